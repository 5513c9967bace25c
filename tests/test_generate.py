"""The synthetic log generator: deterministic bytes, exact record accounting, AWS layouts, the story."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
from click.testing import CliRunner

from graphgov.cli import main
from graphgov.generate import KINDS, GenerateError, form_encode_key, generate, parse_size
from graphgov.readers import expand_paths, read_path

# Seed 0, 2,000 records. The four record kinds add up to 2,000; "files" counts files (digests included).
SEED0_COUNTS = {"cloudtrail": 1663, "eventbridge": 35, "s3_notification": 177, "bedrock_invocation_log": 125,
                "files": 165}

CT_FILE = re.compile(
    r"^AWSLogs/o-exampleorg1/(?P<acct>\d{12})/CloudTrail/(?P<region>[a-z]{2}-[a-z]+-\d)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P=acct)_CloudTrail_(?P=region)_(?P=y)(?P=m)(?P=d)T\d{4}Z_"
    r"[A-Za-z0-9]{16}\.json\.gz$"
)
CT_DIGEST = re.compile(
    r"^AWSLogs/o-exampleorg1/(?P<acct>\d{12})/CloudTrail-Digest/(?P<region>[a-z]{2}-[a-z]+-\d)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P=acct)_CloudTrail-Digest_(?P=region)_org-trail_(?P=region)_"
    r"(?P=y)(?P=m)(?P=d)T\d{6}Z\.json\.gz$"
)
INVOCATION_FILE = re.compile(
    r"^AWSLogs/(?P<acct>\d{12})/BedrockModelInvocationLogs/(?P<region>[a-z]{2}-[a-z]+-\d)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<h>\d{2})/(?P=y)(?P=m)(?P=d)T(?P=h)\d{7}Z_[0-9a-f]{16}\.json\.gz$"
)


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def run0(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("seed0") / "out"
    return root, generate(root, seed=0, records=2000)


@pytest.fixture(scope="module")
def ct_records(run0: tuple[Path, dict[str, int]]) -> list[tuple[str, dict[str, Any]]]:
    """Every CloudTrail record with the delivery file it came in (relative to cloudtrail/)."""
    root = run0[0] / "cloudtrail"
    out = []
    for path in sorted(root.rglob("*.json.gz")):
        rel = str(path.relative_to(root))
        if "CloudTrail-Digest" in rel:
            continue
        out.extend((rel, record) for record in json.loads(gzip.decompress(path.read_bytes()))["Records"])
    return out


def _events(root: Path) -> list[dict[str, Any]]:
    """Every EventBridge event that parses (the deliberately cut line does not)."""
    events = []
    for path in sorted((root / "eventbridge").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events


def _notification_records(root: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted((root / "s3-notifications").rglob("*.json")):
        doc = json.loads(path.read_text())
        wrapper = path.parent.name
        for item in doc["Records"]:
            if wrapper == "raw":
                records.append(item)
                continue
            assert item["eventSource"] == "aws:sqs"
            assert item["md5OfBody"] == hashlib.md5(item["body"].encode()).hexdigest()
            body = json.loads(item["body"])
            if wrapper == "sns-sqs":
                assert body["Type"] == "Notification"
                body = json.loads(body["Message"])
            records.extend(body["Records"])
    return records


def _invocation_logs(root: Path) -> list[dict[str, Any]]:
    logs = []
    for path in sorted((root / "bedrock-invocation-logs").rglob("*.json.gz")):
        for line in gzip.decompress(path.read_bytes()).decode().splitlines():
            try:
                logs.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    for path in sorted((root / "cloudwatch-logs").glob("*.json")):
        payload = json.loads(gzip.decompress(base64.b64decode(json.loads(path.read_text())["awslogs"]["data"])))
        assert payload["messageType"] == "DATA_MESSAGE"
        assert payload["logGroup"] == "/aws/bedrock/modelinvocations"
        logs.extend(json.loads(event["message"]) for event in payload["logEvents"])
    return logs


# --- determinism and accounting -----------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(run0: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    again = generate(tmp_path / "again", seed=0, records=2000)
    assert again == run0[1]
    first, second = _digests(run0[0]), _digests(tmp_path / "again")
    assert len(first) == run0[1]["files"]
    assert first == second


def test_different_seed_gives_different_output(run0: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    counts = generate(tmp_path / "seed1", seed=1, records=2000)
    assert sum(counts[k] for k in KINDS) == 2000
    other = _digests(tmp_path / "seed1")
    assert other != _digests(run0[0])
    same_name = set(other) & set(_digests(run0[0]))
    assert not any(name.startswith("cloudtrail/") for name in same_name)  # random file suffixes differ


def test_counts_for_seed_0(run0: tuple[Path, dict[str, int]]) -> None:
    root, counts = run0
    assert counts == SEED0_COUNTS
    # The record kinds add up to the requested number; "files" is every file on disk.
    assert sum(counts[k] for k in KINDS) == 2000
    assert counts["files"] == sum(1 for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("records", [1000, 3333, 7919])
def test_counts_add_up_at_other_sizes(tmp_path: Path, records: int) -> None:
    counts = generate(tmp_path / "out", seed=5, records=records)
    assert sum(counts[k] for k in KINDS) == records


def test_every_file_reads_and_only_the_planted_faults_fail(run0: tuple[Path, dict[str, int]]) -> None:
    root, counts = run0
    files = expand_paths([root])
    assert len(files) == counts["files"]  # every generated file is one the loader would pick up
    kinds: Counter = Counter()
    skips: Counter = Counter()
    errors = []
    for path in files:
        for raw in read_path(path):
            if raw.error:
                errors.append(raw.location)
            elif raw.skip:
                skips[raw.skip] += 1
            else:
                kinds[raw.kind] += 1
    # Exactly two unreadable records: one cut EventBridge line, one cut invocation-log line.
    assert len(errors) == 2
    assert sum("/eventbridge/" in e for e in errors) == 1
    assert sum("/bedrock-invocation-logs/" in e for e in errors) == 1
    digests = sum(1 for p in files if "CloudTrail-Digest" in p.name)
    assert skips == {"cloudtrail_digest": digests}
    assert kinds == {"cloudtrail": counts["cloudtrail"], "eventbridge": counts["eventbridge"] - 1,
                     "s3_notification": counts["s3_notification"],
                     "bedrock_invocation_log": counts["bedrock_invocation_log"] - 1}


def test_planted_duplicates_and_missing_event_id(ct_records: list[tuple[str, dict[str, Any]]]) -> None:
    without_id = [r for _, r in ct_records if "eventID" not in r]
    assert len(without_id) == 1
    assert (without_id[0]["eventSource"], without_id[0]["eventName"]) == ("sts.amazonaws.com", "AssumeRole")
    files_by_id: dict[str, list[str]] = {}
    for rel, record in ct_records:
        if "eventID" in record:
            files_by_id.setdefault(record["eventID"], []).append(rel)
    duplicated = {k: v for k, v in files_by_id.items() if len(v) > 1}
    assert len(duplicated) == 2
    for delivered_in in duplicated.values():
        assert len(delivered_in) == 2 and delivered_in[0] != delivered_in[1]  # redelivered in a later file


# --- delivery layouts ---------------------------------------------------------------------------------


def test_cloudtrail_layout_and_digests(run0: tuple[Path, dict[str, int]]) -> None:
    root = run0[0] / "cloudtrail"
    logs, digests = {}, []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(root))
        assert path.name.endswith(".json.gz")
        data = path.read_bytes()
        assert data[:2] == b"\x1f\x8b" and data[3] == 0 and data[4:8] == b"\0\0\0\0"  # no name, mtime 0
        body = gzip.decompress(data)
        if "CloudTrail-Digest" in rel:
            assert CT_DIGEST.match(rel), rel
            digests.append((rel, json.loads(body)))
            continue
        match = CT_FILE.match(rel)
        assert match, rel
        records = json.loads(body)["Records"]
        assert 1 <= len(records) <= 500
        assert {r["recipientAccountId"] for r in records} == {match["acct"]}
        assert {r["awsRegion"] for r in records} == {match["region"]}
        logs[rel] = (hashlib.sha256(body).hexdigest(), records)
    assert {m["acct"] for m in map(CT_FILE.match, logs)} == {"111111111111", "222222222222", "333333333333",
                                                             "444444444444"}
    times = [[r["eventTime"] for r in records] for _, records in logs.values()]
    assert any(t != sorted(t) for t in times)  # records inside a file are not in time order
    listed = Counter()
    for rel, digest in digests:
        assert digest["digestS3Object"] == rel
        assert digest["digestSignatureAlgorithm"] == "SHA256withRSA"
        for entry in digest["logFiles"]:
            listed[entry["s3Object"]] += 1
            assert entry["hashValue"] == logs[entry["s3Object"]][0]  # SHA-256 of the uncompressed file
    assert listed == Counter(dict.fromkeys(logs, 1))  # each log file in exactly one digest


def test_other_layouts(run0: tuple[Path, dict[str, int]]) -> None:
    root = run0[0]
    top = {p.name for p in root.iterdir()}
    assert top == {"cloudtrail", "eventbridge", "s3-notifications", "bedrock-invocation-logs", "cloudwatch-logs"}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}\.jsonl", p.name) for p in (root / "eventbridge").iterdir())
    assert {p.name for p in (root / "s3-notifications").iterdir()} == {"raw", "sqs", "sns-sqs"}
    for path in (root / "s3-notifications").rglob("*.json"):
        assert re.fullmatch(r"\d{6}\.json", path.name)
    invocation_files = [p for p in (root / "bedrock-invocation-logs").rglob("*") if p.is_file()]
    assert invocation_files
    for path in invocation_files:
        assert INVOCATION_FILE.match(str(path.relative_to(root / "bedrock-invocation-logs"))), path
    assert list((root / "cloudwatch-logs").glob("*.json"))


def test_notification_keys_are_form_encoded_and_match_cloudtrail(
        run0: tuple[Path, dict[str, int]], ct_records: list[tuple[str, dict[str, Any]]]) -> None:
    records = _notification_records(run0[0])
    assert len(records) == run0[1]["s3_notification"]
    writes = {r["requestID"]: r for _, r in ct_records
              if r["eventSource"] == "s3.amazonaws.com" and r.get("eventCategory") == "Data"}
    keys = []
    for record in records:
        assert record["eventVersion"] == "2.1" and record["eventSource"] == "aws:s3"
        assert record["eventName"].startswith("ObjectCreated:")
        key = record["s3"]["object"]["key"]
        keys.append(key)
        assert " " not in key and key == form_encode_key(unquote_plus(key))
        write = writes[record["responseElements"]["x-amz-request-id"]]
        assert write["requestParameters"]["key"] == unquote_plus(key)
        assert write["requestParameters"]["bucketName"] == record["s3"]["bucket"]["name"]
    assert any("+" in k for k in keys) and any("%3D" in k for k in keys)
    eventbridge = [e for e in _events(run0[0]) if e["detail-type"] == "Object Created"]
    assert eventbridge
    for event in eventbridge:
        detail = event["detail"]
        assert {"version-id", "etag", "sequencer"} <= set(detail["object"]) and "request-id" in detail
        assert writes[detail["request-id"]]["requestParameters"]["key"] == detail["object"]["key"]


# --- the platform story -------------------------------------------------------------------------------


def _calls(ct_records: list[tuple[str, dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    seen, out = set(), []
    for _, record in ct_records:
        if record["eventName"] == name and record.get("eventID") not in seen:
            seen.add(record.get("eventID"))
            out.append(record)
    return out


def test_sagemaker_story(ct_records: list[tuple[str, dict[str, Any]]], run0: tuple[Path, dict[str, int]]) -> None:
    jobs = _calls(ct_records, "CreateTrainingJob")
    assert len(jobs) == 3
    for job in jobs:
        request = job["requestParameters"]
        name = request["trainingJobName"]
        assert name != name.lower()  # mixed case in the request, lower case in the ARN
        assert job["responseElements"]["trainingJobArn"] == (
            f"arn:aws:sagemaker:eu-west-1:222222222222:training-job/{name.lower()}")
        assert {c["channelName"] for c in request["inputDataConfig"]} >= {"train", "validation"}
        assert request["outputDataConfig"]["s3OutputPath"].startswith("s3://acme-models-training/")
    uris = [c["dataSource"]["s3DataSource"] for j in jobs for c in j["requestParameters"]["inputDataConfig"]]
    assert any(u["s3Uri"].startswith("https://") for u in uris)
    assert any(u["s3DataType"] == "ManifestFile" for u in uris)
    assert sum("kmsKeyId" not in j["requestParameters"]["outputDataConfig"] for j in jobs) == 1

    outputs = {f"{j['requestParameters']['outputDataConfig']['s3OutputPath']}"
               f"{j['requestParameters']['trainingJobName']}/output/model.tar.gz" for j in jobs}
    models = _calls(ct_records, "CreateModel")
    urls = [m["requestParameters"]["primaryContainer"]["modelDataUrl"] for m in models]
    assert sum(u not in outputs for u in urls) == 1  # one model has no training job behind it
    assert any(m["recipientAccountId"] == "333333333333" and
               m["requestParameters"]["primaryContainer"]["modelDataUrl"] in outputs for m in models)
    configs = [c["requestParameters"] for c in _calls(ct_records, "CreateEndpointConfig")]
    assert any("dataCaptureConfig" in c for c in configs) and any("dataCaptureConfig" not in c for c in configs)
    assert any("shadowProductionVariants" in c for c in configs)
    assert _calls(ct_records, "CreateEndpoint") and _calls(ct_records, "UpdateEndpoint")
    completed = [e for e in _events(run0[0]) if e["detail-type"] == "SageMaker Training Job State Change"
                 and e["detail"]["TrainingJobStatus"] == "Completed"]
    assert completed and all(e["detail"]["ModelArtifacts"]["S3ModelArtifacts"] in outputs for e in completed)


def test_cross_account_assume_role_has_both_trail_copies(ct_records: list[tuple[str, dict[str, Any]]]) -> None:
    copies: dict[str, list[dict[str, Any]]] = {}
    for _, record in ct_records:
        if record["eventName"] == "AssumeRole" and record["requestParameters"]["roleArn"].startswith(
                "arn:aws:iam::111111111111:role/cross-account/"):
            copies.setdefault(record["sharedEventID"], []).append(record)
    assert copies
    for pair in copies.values():
        assert len(pair) == 2
        by_account = {r["recipientAccountId"]: r for r in pair}
        assert set(by_account) == {"111111111111", "222222222222"}
        assert by_account["111111111111"]["userIdentity"]["type"] == "AWSAccount"
        assert by_account["111111111111"]["userIdentity"]["accountId"] == "222222222222"
        assert by_account["222222222222"]["userIdentity"]["type"] == "AssumedRole"
        assert pair[0]["eventID"] != pair[1]["eventID"] and pair[0]["requestID"] == pair[1]["requestID"]


def test_bedrock_story(ct_records: list[tuple[str, dict[str, Any]]], run0: tuple[Path, dict[str, int]]) -> None:
    invokes = [r for _, r in ct_records if r["eventSource"] == "bedrock.amazonaws.com"
               and r["eventName"] in ("InvokeModel", "Converse", "ConverseStream")]
    assert any(r["recipientAccountId"] == "444444444444" for r in invokes)
    logging = {(r["recipientAccountId"], r["awsRegion"])
               for r in _calls(ct_records, "PutModelInvocationLoggingConfiguration")}
    assert logging == {("333333333333", "eu-west-1"), ("222222222222", "us-east-1")}
    assert any((r["recipientAccountId"], r["awsRegion"]) == ("333333333333", "us-east-1") for r in invokes)
    jobs = _calls(ct_records, "CreateModelCustomizationJob")
    assert len(jobs) == 2 and sum("customModelKmsKeyId" in j["requestParameters"] for j in jobs) == 1
    assert all(j["responseElements"]["jobArn"].startswith("arn:aws:bedrock:us-east-1:222222222222:"
                                                          "model-customization-job/") for j in jobs)
    throughput = _calls(ct_records, "CreateProvisionedModelThroughput")
    assert len(throughput) == 1
    provisioned = throughput[0]["responseElements"]["provisionedModelArn"]
    assert any(r["requestParameters"]["modelId"] == provisioned for r in invokes)
    produced = {e["detail"]["jobArn"]: e["detail"]["outputModelArn"] for e in _events(run0[0])
                if e["detail-type"] == "Model Customization Job State Change"}
    assert set(produced) == {j["responseElements"]["jobArn"] for j in jobs}
    assert throughput[0]["requestParameters"]["modelId"] in produced.values()

    logs = _invocation_logs(run0[0])
    assert len(logs) == run0[1]["bedrock_invocation_log"] - 1  # less the cut line
    by_request = {r["requestID"]: r for r in invokes}
    for log in logs:
        assert log["schemaType"] == "ModelInvocationLog"
        call = by_request[log["requestId"]]
        assert (log["accountId"], log["region"]) in logging
        assert (call["recipientAccountId"], call["awsRegion"], call["requestParameters"]["modelId"]) == (
            log["accountId"], log["region"], log["modelId"])
        assert log["identity"]["arn"] == call["userIdentity"]["arn"]
    prompts = json.dumps([log["input"] for log in logs])
    assert re.search(r"[a-z]+\.[a-z]+@example\.(com|org|net)", prompts)
    assert re.search(r"\+44 20 7946 0\d{3}|\+1-202-555-01\d{2}", prompts)


# --- the command and the arguments --------------------------------------------------------------------


def test_cli_generate(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["generate", "--size", "2000", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{k}: {v}" for k, v in SEED0_COUNTS.items()]
    refused = CliRunner().invoke(main, ["generate", "--size", "2000", str(tmp_path / "cli")])
    assert refused.exit_code != 0 and "not empty" in refused.output
    bad = CliRunner().invoke(main, ["generate", "--size", "huge", str(tmp_path / "bad")])
    assert bad.exit_code != 0 and "size" in bad.output


def test_arguments(tmp_path: Path) -> None:
    assert [parse_size(s) for s in ("small", "medium", "large", "2500", "1_000_000")] == [
        2000, 100_000, 1_000_000, 2500, 1_000_000]
    with pytest.raises(GenerateError):
        generate(tmp_path / "few", records=10)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(GenerateError):
        generate(tmp_path / "full")
