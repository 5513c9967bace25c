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

from graphgov.cli.app import main
from graphgov.generate import KINDS, GenerateError, form_encode_key, generate, parse_size
from graphgov.ingest.readers import expand_paths, read_path

# Seed 0, 2,000 records. The four record kinds add up to 2,000; "files" counts files (digests included).
# Issue 11's plants (category "plant": org accounts, data preparation, logging on then off in the serving
# account's us-east-1, replication, a tagged copy, an unresolved writer) shift the mix and the random stream;
# the management account's trail and the new invocation-log Region add files.
SEED0_COUNTS = {"cloudtrail": 1680, "eventbridge": 32, "s3_notification": 168, "bedrock_invocation_log": 120,
                "files": 179}
DATA_ACCESS = "arn:aws:iam::111111111111:role/cross-account/TrainingDataAccess"
VENDOR_ROLE = "arn:aws:iam::111111111111:role/cross-account/LabelingVendorAccess"
# The role id of the planted writer that no CloudTrail record reveals (issue 11): the generator's stable id.
LEGACY_EXPORTER = "AROA" + base64.b32encode(hashlib.sha256(b"role:111111111111:LegacyExporter").digest()).decode()[:17]
EXEC_ROLE_0 = "arn:aws:iam::222222222222:role/service-role/AmazonSageMaker-ExecutionRole-20260105T000000"

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
    assert len(duplicated) == 3  # the two planted ones and, at seed 0, one of the occasional random ones
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
    # 999999999999: the management account's trail (CreateAccountResult of the members, an issue 11 plant)
    assert {m["acct"] for m in map(CT_FILE.match, logs)} == {"111111111111", "222222222222", "333333333333",
                                                             "444444444444", "999999999999"}
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
        if record["userIdentity"]["principalId"].startswith(f"AWS:{LEGACY_EXPORTER}:"):
            continue  # planted: a writer no CloudTrail record shows (issue 11, unresolved writers)
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
    assert len(jobs) == 5  # one per project, and project 1's baseline and prepared-data jobs (issue 11 plants)
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
    # project 1's job and its two prepared-data jobs (issue 11 plants, same project: no output key)
    assert sum("kmsKeyId" not in j["requestParameters"]["outputDataConfig"] for j in jobs) == 3

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
        if record["eventName"] == "AssumeRole" and record["requestParameters"]["roleArn"] == DATA_ACCESS:
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
    # The labelling vendor is outside the organization: only the data account's copy is in its trail.
    vendor = [r for _, r in ct_records if r["eventName"] == "AssumeRole"
              and r["requestParameters"]["roleArn"] == VENDOR_ROLE]
    assert len(vendor) == 1 and vendor[0]["recipientAccountId"] == "111111111111"
    assert vendor[0]["userIdentity"] == {"type": "AWSAccount", "principalId": vendor[0]["userIdentity"]["principalId"],
                                         "accountId": "555555555555"}
    assert vendor[0]["requestParameters"]["externalId"] == "acme-labeling-7f3a9c2e" and vendor[0]["sharedEventID"]


def test_bedrock_story(ct_records: list[tuple[str, dict[str, Any]]], run0: tuple[Path, dict[str, int]]) -> None:
    invokes = [r for _, r in ct_records if r["eventSource"] == "bedrock.amazonaws.com"
               and r["eventName"] in ("InvokeModel", "Converse", "ConverseStream")]
    assert any(r["recipientAccountId"] == "444444444444" for r in invokes)
    logging = {(r["recipientAccountId"], r["awsRegion"])
               for r in _calls(ct_records, "PutModelInvocationLoggingConfiguration")}
    # issue 11 plant: the serving account's us-east-1 logs text only, until it is deleted mid-window
    assert logging == {("333333333333", "eu-west-1"), ("222222222222", "us-east-1"), ("333333333333", "us-east-1")}
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


# --- the access history: IAM, bucket and key policies ---------------------------------------------------

POLICY_SOURCES = ("iam.amazonaws.com", "kms.amazonaws.com", "s3.amazonaws.com")
READ_ONLY_NOISE = {"GetUser", "ListRoles", "GetRole", "ListAttachedRolePolicies", "ListBuckets", "Decrypt"}


def _access_history(ct_records: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """IAM, KMS and bucket-level S3 changes (management events), in time order."""
    out = [r for _, r in ct_records if r["eventSource"] in POLICY_SOURCES and r.get("eventCategory") != "Data"
           and r["eventName"] not in READ_ONLY_NOISE]
    return sorted(out, key=lambda r: r["eventTime"])


def _doc(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def test_access_history_parses_into_policy_states(ct_records: list[tuple[str, dict[str, Any]]]) -> None:
    from loaders.cloudtrail import parse

    history = _access_history(ct_records)
    assert Counter(r["eventName"] for r in history) == {
        "CreateRole": 17, "PutRolePolicy": 18, "AttachRolePolicy": 6, "UpdateAssumeRolePolicy": 3, "CreatePolicy": 2,
        "CreatePolicyVersion": 1, "CreateGroup": 2, "PutGroupPolicy": 2, "CreateUser": 2, "AddUserToGroup": 2,
        "CreateAccessKey": 2, "CreateKey": 7, "PutKeyPolicy": 1, "PutBucketEncryption": 6,
        "PutBucketPublicAccessBlock": 5, "PutBucketOwnershipControls": 6, "PutBucketPolicy": 8,
        "DeleteBucketPublicAccessBlock": 1, "PutBucketReplication": 1}  # replication: an issue 11 plant
    states: Counter = Counter()
    for record in history:
        assert record["readOnly"] is False and record["managementEvent"] is True
        if record["eventSource"] == "iam.amazonaws.com":
            assert record["awsRegion"] == "us-east-1"
            assert record["tlsDetails"]["clientProvidedHostHeader"] == "iam.amazonaws.com"
        delta = parse(record)  # neither Skip nor Malformed
        kinds = [n.props["kind"] for n in delta.nodes if n.type == "PolicyState"]
        assert kinds, record["eventName"]
        states.update(kinds)
    assert states == {"lifecycle": 30, "trust": 20, "identity": 20, "attachment": 6, "policy-version": 3,
                      "default-version": 3, "membership": 2, "credential": 2, "key-policy": 8, "key-state": 7,
                      "encryption": 6, "public-access-block": 6, "ownership": 6, "resource": 8,
                      "replication": 1}  # PutBucketReplication: an issue 11 plant


def test_access_history_shapes(ct_records: list[tuple[str, dict[str, Any]]]) -> None:
    history = _access_history(ct_records)
    roles = {r["responseElements"]["role"]["arn"]: r for r in history if r["eventName"] == "CreateRole"}
    role = roles[EXEC_ROLE_0]
    params, response = role["requestParameters"], role["responseElements"]["role"]
    assert params["path"] == "/service-role/" and isinstance(params["assumeRolePolicyDocument"], str)
    assert json.loads(unquote_plus(response["assumeRolePolicyDocument"])) == json.loads(
        params["assumeRolePolicyDocument"])  # the response URL-encodes the trust policy
    assert re.fullmatch(r"Jan 5, 2026 \d{1,2}:\d{2}:\d{2} [AP]M", response["createDate"])
    assert response["roleId"].startswith("AROA")
    for record in history:
        if record["eventName"] in ("PutRolePolicy", "PutGroupPolicy", "CreatePolicy", "CreatePolicyVersion"):
            assert isinstance(record["requestParameters"]["policyDocument"], str)  # IAM: JSON text
        if record["eventName"] == "PutBucketPolicy":
            policy = record["requestParameters"]["bucketPolicy"]
            assert isinstance(policy, dict)  # S3: the parsed object
            deny = policy["Statement"][0]
            assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            bucket = record["requestParameters"]["bucketName"]
            assert record["resources"] == [{"accountId": record["recipientAccountId"], "type": "AWS::S3::Bucket",
                                            "ARN": f"arn:aws:s3:::{bucket}"}]
        if record["eventName"] == "PutBucketPublicAccessBlock":
            config = record["requestParameters"]["PublicAccessBlockConfiguration"]
            assert [config[k] for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                        "RestrictPublicBuckets")] == [True] * 4
        if record["eventName"] == "PutBucketOwnershipControls":
            rule = record["requestParameters"]["OwnershipControls"]["Rule"]
            assert rule == {"ObjectOwnership": "BucketOwnerEnforced"}
    encryption = {r["requestParameters"]["bucketName"]: r["requestParameters"]["ServerSideEncryptionConfiguration"][
        "Rule"]["ApplyServerSideEncryptionByDefault"] for r in history if r["eventName"] == "PutBucketEncryption"}
    keys = {r["responseElements"]["keyMetadata"]["arn"]: r for r in history if r["eventName"] == "CreateKey"}
    for bucket in ("acme-data-1", "acme-data-2", "acme-data-3"):
        assert encryption[bucket]["SSEAlgorithm"] == "aws:kms"
        key = keys[encryption[bucket]["KMSMasterKeyID"]]  # the account's own key, created before
        assert key["recipientAccountId"] == "111111111111" and key["eventTime"] < min(
            r["eventTime"] for r in history if r["requestParameters"].get("bucketName") == bucket)
    for key in keys.values():
        policy = json.loads(key["requestParameters"]["policy"])
        assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{key['recipientAccountId']}:root"}
        assert key["resources"][0]["ARN"] == key["responseElements"]["keyMetadata"]["arn"]
    # Every KMS key the objects are encrypted with was created (with its policy) before its first use.
    # (acme-data-prepared's key predates the logs: an issue 11 plant, its policy never seen)
    for _, record in ct_records:
        used = (record.get("responseElements") or {}).get("x-amz-server-side-encryption-aws-kms-key-id")
        if used and "acme-data-prepared" not in record["requestParameters"]["bucketName"]:
            assert keys[used]["eventTime"] < record["eventTime"]


def _first_uses(ct_records: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """Role or user ARN (with its path) -> the earliest time anything used it."""
    first: dict[str, str] = {}

    def seen(arn: Any, time: str) -> None:
        if isinstance(arn, str) and (":role/" in arn or ":user/" in arn):
            first[arn] = min(first.get(arn, time), time)

    for _, r in ct_records:
        identity, params = r["userIdentity"], r.get("requestParameters") or {}
        seen(identity.get("sessionContext", {}).get("sessionIssuer", {}).get("arn"), r["eventTime"])
        if r["eventSource"] != "iam.amazonaws.com":
            seen(identity.get("arn"), r["eventTime"])
        for member in ("roleArn", "executionRoleArn"):
            seen(params.get(member), r["eventTime"])
        seen((params.get("loggingConfig", {}).get("cloudWatchConfig") or {}).get("roleArn"), r["eventTime"])
    return first


def _check_created_before_use(ct_records: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """Roles, users and bucket settings all precede their first use; returns the roles and users created."""
    history = _access_history(ct_records)
    created = {r["responseElements"]["role"]["arn"]: r["eventTime"] for r in history if r["eventName"] == "CreateRole"}
    created.update({r["responseElements"]["user"]["arn"]: r["eventTime"] for r in history
                    if r["eventName"] == "CreateUser"})
    first = _first_uses(ct_records)
    admins = {f"arn:aws:iam::{a}:user/{u}" for a, u in (("111111111111", "alice.admin"), ("222222222222", "bob.ml"),
                                                         ("333333333333", "carol.ops"))}
    service_linked = "arn:aws:iam::111111111111:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO"
    shadow = "arn:aws:iam::444444444444:user/hackathon-dev"
    security = "arn:aws:iam::999999999999:user/security.admin"  # the management account's (issue 11 plant: the SCP)
    assert set(first) - set(created) == admins | {service_linked, shadow, security}  # they predate the trail
    for arn, time in created.items():
        assert time < first[arn], arn
    # The bucket settings precede the first object written to each bucket.
    configured: dict[str, str] = {}
    for r in history:
        if r["eventSource"] == "s3.amazonaws.com":
            configured.setdefault(r["requestParameters"]["bucketName"], r["eventTime"])
    for _, r in ct_records:
        if r.get("eventCategory") == "Data" and r["requestParameters"]["bucketName"] in configured:
            assert configured[r["requestParameters"]["bucketName"]] < r["eventTime"]
    return created


def test_identities_are_created_before_they_are_used(ct_records: list[tuple[str, dict[str, Any]]]) -> None:
    created = _check_created_before_use(ct_records)
    assert len(created) == 19  # 13 long-lived roles, the vendor's, 3 execution roles, 2 users


def _caller_named(statement: dict[str, Any], record: dict[str, Any]) -> bool:
    """Whether a trust statement lets this AssumeRole* caller in (as IAM would, for the conditions used here)."""
    action = "sts:" + record["eventName"]
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    if statement["Effect"] != "Allow" or action not in actions:
        return False
    principal, identity, params = statement["Principal"], record["userIdentity"], record["requestParameters"]

    def named(kind: str) -> list[str]:
        value = principal.get(kind, [])
        return value if isinstance(value, list) else [value]

    external = statement.get("Condition", {}).get("StringEquals", {}).get("sts:ExternalId")
    if external is not None and params.get("externalId") != external:
        return False
    kind = identity["type"]
    if kind == "AWSService":
        return identity["invokedBy"] in named("Service")
    if kind == "SAMLUser":
        return params["principalArn"] in named("Federated")
    if kind == "WebIdentityUser":
        return identity["identityProvider"] in named("Federated")
    if kind == "AWSAccount":  # the role owner's copy of a cross-account call: a principal of that account
        return any(arn.split(":")[4] == identity["accountId"] for arn in named("AWS"))
    caller = identity["sessionContext"]["sessionIssuer"]["arn"] if kind == "AssumedRole" else identity["arn"]
    return caller in named("AWS") or f"arn:aws:iam::{identity['accountId']}:root" in named("AWS")


def _check_trust(ct_records: list[tuple[str, dict[str, Any]]]) -> Counter:
    """Each AssumeRole* call is let in by the role's trust policy in force then; returns the calls checked."""
    names = {}
    events = []
    for r in _access_history(ct_records):
        if r["eventName"] == "CreateRole":
            arn = r["responseElements"]["role"]["arn"]
            names[(r["recipientAccountId"], r["requestParameters"]["roleName"])] = arn
            events.append((r["eventTime"], 0, arn, _doc(r["requestParameters"]["assumeRolePolicyDocument"])))
        elif r["eventName"] == "UpdateAssumeRolePolicy":
            arn = names[(r["recipientAccountId"], r["requestParameters"]["roleName"])]
            events.append((r["eventTime"], 0, arn, _doc(r["requestParameters"]["policyDocument"])))
    calls = [r for _, r in ct_records if r["eventSource"] == "sts.amazonaws.com" and r["eventName"].startswith(
        "AssumeRole")]
    events += [(r["eventTime"], 1, r["requestParameters"]["roleArn"], r) for r in calls]
    trust: dict[str, dict[str, Any]] = {}
    checked = Counter()
    for _, order, arn, item in sorted(events, key=lambda e: e[:2]):
        if order == 0:
            trust[arn] = item
            continue
        assert any(_caller_named(s, item) for s in trust[arn]["Statement"]), (arn, item["userIdentity"])
        checked[item["eventName"]] += 1
    return checked


def test_trust_policies_admit_every_assume_role_call(ct_records: list[tuple[str, dict[str, Any]]]) -> None:
    checked = _check_trust(ct_records)
    assert set(checked) == {"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"}
    # The data-access role follows the jobs: it trusts the execution roles of the jobs that may still run.
    updates = [_doc(r["requestParameters"]["policyDocument"]) for r in _access_history(ct_records)
               if r["eventName"] == "UpdateAssumeRolePolicy"]
    assert [len(u["Statement"][0]["Principal"]["AWS"]) for u in updates] == [2, 3, 3]


def _check_grants(ct_records: list[tuple[str, dict[str, Any]]]) -> Counter:
    """Every S3 object call by a role or user the trail created is allowed by that principal's own policies
    (inline, attached managed, group); returns the calls checked per principal name."""
    from graphgov.access.policy import evaluate, parse_policy

    history = _access_history(ct_records)
    names, managed, groups = {}, {}, {}
    callers: Counter = Counter()
    policies: dict[str, list] = {}
    for r in history:
        params, account = r["requestParameters"], r["recipientAccountId"]
        if r["eventName"] in ("CreateRole", "CreateUser"):
            entity = r["responseElements"]["role" if r["eventName"] == "CreateRole" else "user"]
            names[(account, params.get("roleName") or params.get("userName"))] = entity["arn"]
        elif r["eventName"] in ("CreatePolicy", "CreatePolicyVersion"):
            arn = params.get("policyArn") or r["responseElements"]["policy"]["arn"]
            managed[arn] = parse_policy(params["policyDocument"])
        elif r["eventName"] == "PutRolePolicy":
            policies.setdefault(names[(account, params["roleName"])], []).append(parse_policy(params["policyDocument"]))
        elif r["eventName"] == "AttachRolePolicy" and params["policyArn"] in managed:
            policies.setdefault(names[(account, params["roleName"])], []).append(managed[params["policyArn"]])
        elif r["eventName"] == "PutGroupPolicy":
            groups[(account, params["groupName"])] = parse_policy(params["policyDocument"])
        elif r["eventName"] == "AddUserToGroup":
            policies.setdefault(names[(account, params["userName"])], []).append(groups[(account, params["groupName"])])
    action = {"GetObject": "s3:GetObject", "PutObject": "s3:PutObject", "CopyObject": "s3:PutObject",
              "CreateMultipartUpload": "s3:PutObject", "UploadPart": "s3:PutObject",
              "CompleteMultipartUpload": "s3:PutObject", "PutObjectTagging": "s3:PutObjectTagging"}
    for _, r in ct_records:
        if r.get("eventCategory") != "Data":
            continue
        identity = r["userIdentity"]
        who = identity.get("sessionContext", {}).get("sessionIssuer", {}).get("arn") or identity["arn"]
        params = r["requestParameters"]
        resource = f"arn:aws:s3:::{params['bucketName']}/{params['key']}"
        assert evaluate(policies[who], action[r["eventName"]], resource).outcome == "allow", (who, resource)
        callers[who.rsplit("/", 1)[1]] += 1
        if r["eventName"] == "CopyObject":
            source = "arn:aws:s3:::" + unquote_plus(params["x-amz-copy-source"])
            assert evaluate(policies[who], "s3:GetObject", source).outcome == "allow"
    return callers


def test_identity_policies_grant_what_principals_do(ct_records: list[tuple[str, dict[str, Any]]]) -> None:
    callers = _check_grants(ct_records)
    assert set(callers) == {"DataEngineer", "DataPipeline", "AWSReservedSSO_DataAnalyst_5e2b7c1d9a8f4e36",
                            "TrainingDataAccess", "etl-bot", "contractor-upload",
                            "AmazonSageMaker-ExecutionRole-20260105T000000",
                            "AmazonSageMaker-ExecutionRole-20260105T001106",
                            "AmazonSageMaker-ExecutionRole-20260105T002213"}


def test_planted_access_mistakes_in_the_trail(ct_records: list[tuple[str, dict[str, Any]]]) -> None:
    history = _access_history(ct_records)
    # (1) A prefix of a training-data bucket granted to the shadow account, and its key opened to it.
    shared = [r for r in history if r["eventName"] == "PutBucketPolicy"
              and r["requestParameters"]["bucketName"] == "acme-data-1"][-1]
    grants = [s for s in shared["requestParameters"]["bucketPolicy"]["Statement"] if s["Effect"] == "Allow"]
    assert grants[0]["Principal"] == {"AWS": "arn:aws:iam::444444444444:root"}
    assert grants[0]["Resource"] == "arn:aws:s3:::acme-data-1/fraud/*"
    key_policy = json.loads(next(r for r in history if r["eventName"] == "PutKeyPolicy")["requestParameters"]["policy"])
    assert key_policy["Statement"][-1]["Principal"] == {"AWS": "arn:aws:iam::444444444444:root"}
    # (2) A model bucket's Block Public Access deleted, then a policy letting anyone read: nothing re-blocks it.
    serving = [r for r in history if r["requestParameters"].get("bucketName") == "acme-models-serving"]
    assert [r["eventName"] for r in serving][-2:] == ["DeleteBucketPublicAccessBlock", "PutBucketPolicy"]
    public = serving[-1]["requestParameters"]["bucketPolicy"]["Statement"][-1]
    assert public["Principal"] == "*" and "Condition" not in public and public["Action"] == "s3:GetObject"
    unblocked = {r["eventName"] for r in history if r["eventSource"] == "s3.amazonaws.com"
                 and r["requestParameters"]["bucketName"] == "acme-models-training-use1"}
    assert "PutBucketPublicAccessBlock" not in unblocked  # "most buckets": this one never had it
    # (3) A human broadens a training role's S3 access after the role was first used.
    debug = [r for r in history if r["eventName"] == "PutRolePolicy"
             and r["requestParameters"]["policyName"] == "DebugS3Access"]
    assert len(debug) == 1 and debug[0]["userIdentity"]["type"] == "IAMUser"
    assert debug[0]["userIdentity"]["arn"] == "arn:aws:iam::222222222222:user/bob.ml"
    assert debug[0]["requestParameters"]["roleName"] == EXEC_ROLE_0.rsplit("/", 1)[1]
    assert _first_uses(ct_records)[EXEC_ROLE_0] < debug[0]["eventTime"]
    assert json.loads(debug[0]["requestParameters"]["policyDocument"])["Statement"][0]["Action"] == "s3:*"
    # (4) A vendor account may assume a data role on an external id alone.
    vendor = next(r for r in history if r["eventName"] == "CreateRole"
                  and r["responseElements"]["role"]["arn"] == VENDOR_ROLE)
    statement = json.loads(vendor["requestParameters"]["assumeRolePolicyDocument"])["Statement"][0]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::555555555555:root"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "acme-labeling-7f3a9c2e"}}


@pytest.fixture(scope="module")
def loaded(run0: tuple[Path, dict[str, int]], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The seed-0 platform loaded into an embedded store (the access derivation runs after the load)."""
    from graphgov.ingest.pipeline import load_paths
    from graphgov.stores.embedded import EmbeddedStore

    tmp = tmp_path_factory.mktemp("loaded")
    store = EmbeddedStore(tmp / "graph.json.gz")
    summary = load_paths([run0[0]], store, tmp / "quarantine.jsonl")
    assert summary.quarantined == 3  # the three planted malformed records, nothing else
    return store


def test_saved_questions_find_the_planted_mistakes(loaded: Any) -> None:
    from graphgov.questions.catalog import ask

    shadow, vendor = "arn:aws:iam::444444444444:root", "arn:aws:iam::555555555555:root"
    # (1) the shadow account may read the fraud training datasets, through the bucket and key policies
    exposed = [r for r in ask(loaded, "cross-account-exposure", {}) if r["principal"] == shadow]
    datasets = {r["resource"] for r in exposed if r["resource"].startswith("s3://")}
    assert len(datasets) == 6 and all(d.startswith("s3://acme-data-1/fraud/") for d in datasets)  # 2 jobs' inputs
    assert {r["resource"] for r in exposed} - datasets == {"arn:aws:kms:eu-west-1:111111111111:key/"
                                                           "7d612e2f-749c-49e5-ace1-31d0b1e9a037"}  # the data key
    assert all(r["access"] == "potential" and "bucket-policy:acme-data-1#HackathonFraudSampleRead" in r["via"]
               for r in exposed if r["resource"] in datasets)
    # (2) a model artifact anyone may read
    public = ask(loaded, "public-ai-data", {})
    assert public == [{"resource": "s3://acme-models-serving/manual-upload/fraud/002/model.tar.gz",
                       "resource_type": "ModelArtifact", "bucket": "acme-models-serving", "access": "read",
                       "via": ["bucket-policy:acme-models-serving#PublicReadManualModels"]}]
    # (3) the hand-made change to a training role, after its job started
    changes = ask(loaded, "iam-changes-on-ai-roles", {})
    debug = [r for r in changes if r["slot"] == "inline:DebugS3Access"]
    assert len(debug) == 1 and debug[0]["operation"] == "PutRolePolicy"
    assert debug[0]["role"] == debug[0]["changed"] == "arn:aws:iam::222222222222:role/" + EXEC_ROLE_0.rsplit("/")[-1]
    assert debug[0]["actor"] == "arn:aws:iam::222222222222:user/bob.ml" and "runs-jobs" in debug[0]["reasons"]
    created = [r["time"] for r in changes if r["role"] == debug[0]["role"] and r["operation"] == "CreateRole"]
    assert created and created[0] < debug[0]["time"]
    # (4) the vendor may read the credit training data through the role, whose trust wants its external id:
    # the vendor's successful AssumeRole shows it had one (issue 11: observed success is evidence), so the
    # chain is potential, with the observed call and the note that only that call's context is proven
    readers = [r for r in ask(loaded, "training-data-readers", {}) if r["principal"] == vendor
               and not r["dataset"].startswith("s3://acme-data-prepared/")]  # unknown there: see test_plant_unknown_key
    assert len(readers) == 3 and {r["access"] for r in readers} == {"potential"}  # train, validation, test
    assert all(r["dataset"].startswith("s3://acme-data-2/credit/") for r in readers)
    assert all("assume:arn:aws:iam::111111111111:role/LabelingVendorAccess" in r["via"] for r in readers)
    assert all("context:observed-call-only" in r["via"] and any(v.startswith("observed:cloudtrail:AssumeRole@")
                                                                 for v in r["via"]) for r in readers)
    assert {r["principal"] for r in ask(loaded, "cross-account-exposure", {}) if r["access"] == "conditional"} == set()


def test_access_at_training_time_follows_the_history(loaded: Any) -> None:
    from graphgov.questions.catalog import ask

    def readers(job: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for row in ask(loaded, "access-at-training-time", {"job": job}):
            out.setdefault(row["principal"], set()).add(row["access"])
        return out

    arn = "arn:aws:sagemaker:eu-west-1:222222222222:training-job/"
    first, credit, last = (readers(arn + name) for name in (
        "fraud-xgb-20260105-000", "credit-xgb-20260105-001", "fraud-xgb-20260105-002"))
    # The first fraud job started before the shadow share; the second after it.
    assert "arn:aws:iam::444444444444:root" not in first
    assert last["arn:aws:iam::444444444444:root"] == {"potential"}
    # The credit job started after the vendor's role existed; its AssumeRole, seen succeeding with the same
    # policies in force, settles the trust's external-id condition.
    assert credit["arn:aws:iam::555555555555:root"] == {"potential"}
    assert first["arn:aws:iam::111111111111:role/TrainingDataAccess"] == {"potential"}


def test_access_history_scales_with_the_platform(tmp_path: Path) -> None:
    """More projects, more execution roles and trust updates; the mix of MIX's categories is unchanged."""
    from graphgov.generate import _Platform

    platform = _Platform(tmp_path / "out", 0, 24_000)
    platform.run()
    assert platform.P == 6
    assert platform.done["iam"] == 91 + 4 * (platform.P - 3)  # 4 calls per project's execution role
    mix = {k: v for k, v in platform.done.items() if k not in ("iam", "plant")}
    assert {k: round(v / sum(mix.values()), 3) for k, v in mix.items()} == {
        "s3": 0.55, "bedrock": 0.15, "noise": 0.1, "notif": 0.1, "sts": 0.05, "control": 0.05}


@pytest.mark.parametrize(("records", "seed"), [(1000, 3), (7919, 5)])
def test_access_history_holds_at_other_sizes(tmp_path: Path, records: int, seed: int) -> None:
    from loaders.cloudtrail import parse

    generate(tmp_path / "out", seed=seed, records=records)
    ct = []
    for path in sorted((tmp_path / "out" / "cloudtrail").rglob("*.json.gz")):
        if "CloudTrail-Digest" not in path.name:
            ct.extend((path.name, r) for r in json.loads(gzip.decompress(path.read_bytes()))["Records"])
    for record in _access_history(ct):
        assert any(n.type == "PolicyState" for n in parse(record).nodes)
    assert len(_check_created_before_use(ct)) == 16 + max(3, records // 4000)  # one execution role per project
    assert _check_trust(ct)["AssumeRole"] > 0 and _check_grants(ct)


# --- issue 11 plants: each rule's question has rows on the generated platform ---------------------------

PREP_JOB = "arn:aws:sagemaker:eu-west-1:222222222222:processing-job/credit-prep-20260105-001"
PREPARED_JOB = "arn:aws:sagemaker:eu-west-1:222222222222:training-job/credit-xgb-prepared-20260105-001"
BASELINE_JOB = "arn:aws:sagemaker:eu-west-1:222222222222:training-job/credit-xgb-baseline-20260105-001"
PREPARED = "s3://acme-data-prepared/credit/loan-applications-v1/prepared/"
LEGACY_KEY = "arn:aws:kms:eu-west-1:111111111111:key/1a2c0c57-c82a-49be-a387-adac8f43f60b"


def test_plant_processing_chain(loaded: Any) -> None:
    """A processing job's output `.../prepared/` feeds the job reading `.../prepared/train/`; the baseline job
    that read the same prefix before the processing job started is not its consumer."""
    from graphgov.questions.catalog import ask

    raw = "s3://acme-data-2/credit/loan-applications-v1/train/"
    rows = ask(loaded, "dataset-consumers", {"dataset": raw})
    assert [(r["job"], r["channel"], r["read_dataset"], r["via"], r["link"]) for r in rows] == [
        (PREP_JOB, "raw", raw, None, "direct"),
        ("arn:aws:sagemaker:eu-west-1:222222222222:training-job/credit-xgb-20260105-001", "train", raw, None, "direct"),
        (PREPARED_JOB, "train", PREPARED + "train/", PREP_JOB, "derived"),
        (PREPARED_JOB, "validation", PREPARED + "validation/", PREP_JOB, "derived")]
    assert BASELINE_JOB not in {r["job"] for r in rows}  # started before the processing job: not a consumer
    model = "arn:aws:sagemaker:eu-west-1:222222222222:model/credit-xgb-prepared-model-001"
    lineage = ask(loaded, "model-lineage", {"model": model})
    assert sorted((r["channel"], r["dataset"], r["via"], r["link"]) for r in lineage) == [
        ("train", raw, PREP_JOB, "derived"), ("train", PREPARED + "train/", None, "direct"),
        ("validation", raw, PREP_JOB, "derived"), ("validation", PREPARED + "validation/", None, "direct")]


def test_plant_unknown_key_policy_and_observed_decrypt(loaded: Any) -> None:
    """acme-data-prepared and its key predate the logs: readers are `unknown` naming the unseen documents,
    except TrainingDataAccess, whose GetObject and kms:Decrypt succeeded (observed)."""
    from graphgov.questions.catalog import ask

    rows = [r for r in ask(loaded, "training-data-readers", {}) if r["dataset"] == PREPARED + "train/"]
    by_principal = {r["principal"]: r for r in rows}
    assert by_principal["arn:aws:iam::111111111111:role/DataEngineer"]["access"] == "unknown"
    assert by_principal["arn:aws:iam::111111111111:role/DataEngineer"]["via"] == [
        "unknown:bucket-policy:acme-data-prepared", f"unknown:key-policy:{LEGACY_KEY}"]
    observed = by_principal["arn:aws:iam::111111111111:role/TrainingDataAccess"]
    assert observed["access"] == "observed" and "context:observed-call-only" in observed["via"]
    validation = [r for r in ask(loaded, "training-data-readers", {})
                  if r["dataset"] == PREPARED + "validation/" and r["principal"].endswith("/TrainingDataAccess")]
    assert [v for v in validation[0]["via"] if v.startswith("observed:")][0].startswith("observed:cloudtrail:Decrypt@")
    assert {r["access"] for r in rows} == {"unknown", "observed", "potential"}
    assert "denied" not in {r["access"] for r in rows}  # unknown is never a deny


def test_plant_logging_deleted_mid_window(ct_records: list[tuple[str, dict[str, Any]]], loaded: Any) -> None:
    from graphgov.questions.catalog import ask

    deleted = _calls(ct_records, "DeleteModelInvocationLoggingConfiguration")
    assert [(r["recipientAccountId"], r["awsRegion"], r["requestParameters"]) for r in deleted] == [
        ("333333333333", "us-east-1", None)]
    rows = [(r["model"], r["invocations"], r["logging"], r["logging_off_at"])
            for r in ask(loaded, "bedrock-invocations-without-logging", {})
            if (r["account"], r["region"]) == ("333333333333", "us-east-1")]
    off = deleted[0]["eventTime"]
    embed = "amazon.titan-embed-text-v2:0"
    embeddings = [r for _, r in ct_records if r["eventName"] == "InvokeModel"
                  and (r["recipientAccountId"], r["awsRegion"]) == ("333333333333", "us-east-1")
                  and r["requestParameters"]["modelId"] == embed]
    assert embeddings and all(r["eventTime"] > off for r in embeddings)  # embeddings only once logging is off
    # the image call (text-only logging) and, after the deletion, the embedding calls; the support bot's text
    # calls made while logging was on are not findings. (At 2,000 records the whole run is one hour, the hour
    # logging changed in; the medium platform has later hours with logging off.)
    assert rows == [(f"arn:aws:bedrock:us-east-1::foundation-model/{embed}", len(embeddings), "changed-in-hour", off),
                    ("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-image-generator-v2:0", 1,
                     "changed-in-hour", off)]


def test_plant_organization_members(ct_records: list[tuple[str, dict[str, Any]]]) -> None:
    from loaders.cloudtrail import parse

    created = _calls(ct_records, "CreateAccountResult")
    assert sorted(r["serviceEventDetails"]["createAccountStatus"]["accountId"] for r in created) == [
        "111111111111", "222222222222", "333333333333", "444444444444"]
    for record in created:
        assert record["recipientAccountId"] == "999999999999" and record["eventType"] == "AwsServiceEvent"
        states = [n for n in parse(record).nodes if n.type == "PolicyState"]
        assert [s.props["kind"] for s in states] == ["org-membership"]


def test_plant_personal_data_copy(loaded: Any) -> None:
    from graphgov.ingest.classify import classify
    from graphgov.questions.catalog import ask

    classify(loaded)
    rows = ask(loaded, "personal-data-in-training", {})
    assert [(r["dataset"], r["classification"], r["jobs"]) for r in rows] == [
        ("s3://acme-data-1/fraud/card-transactions-v2/train/", ["personal"],
         ["arn:aws:sagemaker:eu-west-1:222222222222:training-job/fraud-xgb-20260105-002"])]


def test_plant_replication_to_a_partner(loaded: Any) -> None:
    """The fraud prefix replicated to a partner's account: that account receives a copy of every fraud
    dataset written after the rule (cross-account exposure), with nothing else granting it access."""
    from graphgov.questions.catalog import ask

    rows = [r for r in ask(loaded, "cross-account-exposure", {}) if r["principal"] == "arn:aws:iam::666666666666:root"]
    manifest = "s3://acme-data-1/fraud/card-transactions-v2/manifests/test.manifest"
    assert {(r["access"], tuple(r["via"])) for r in rows} == {
        ("potential", ("replication:partner-fraud-feed:acme-partner-fraud-landing",)),
        # a manifest's members are unknown until it is read: replicated objects of its bucket may be among them
        ("unknown", ("replication:partner-fraud-feed:acme-partner-fraud-landing",
                     f"unknown:manifest-members:{manifest}"))}
    assert sorted(r["resource"] for r in rows if r["access"] == "potential") == [
        f"s3://acme-data-1/fraud/card-transactions-v{v}/{s}/" for v, s in (
            (1, "test"), (1, "train"), (1, "validation"), (2, "train"), (2, "validation"))]
    assert [r["resource"] for r in rows if r["access"] == "unknown"] == [manifest]
    # the credit datasets (acme-data-2, no replication) are not among them
    assert not [r for r in ask(loaded, "training-data-readers", {})
                if r["principal"] == "arn:aws:iam::666666666666:root" and r["dataset"].startswith("s3://acme-data-2/")]


def test_plant_unresolved_writer(loaded: Any) -> None:
    from graphgov.questions.catalog import ask

    model = "arn:aws:sagemaker:eu-west-1:222222222222:model/credit-xgb-model-001"
    rows = ask(loaded, "model-lineage", {"model": model})
    writers = {w for r in rows for w in r["dataset_writers"] if w.startswith("unresolved:")}
    assert writers == {f"unresolved:{LEGACY_EXPORTER}:nightly-export"}
    assert not any(r["dataset_writers"] == [] for r in rows)


def test_plant_prepared_model_is_served(loaded: Any) -> None:
    """endpoint-lineage walks upstream through the processing job to the raw split (via, derived)."""
    from graphgov.questions.catalog import ask

    endpoint = "arn:aws:sagemaker:eu-west-1:222222222222:endpoint/credit-prepared-staging-endpoint"
    rows = ask(loaded, "endpoint-lineage", {"endpoint": endpoint})
    raw = "s3://acme-data-2/credit/loan-applications-v1/train/"
    assert sorted((r["training_job"], r["channel"], r["dataset"], r["via"], r["link"]) for r in rows) == [
        (PREPARED_JOB, "train", raw, PREP_JOB, "derived"),
        (PREPARED_JOB, "train", PREPARED + "train/", None, "direct"),
        (PREPARED_JOB, "validation", raw, PREP_JOB, "derived"),
        (PREPARED_JOB, "validation", PREPARED + "validation/", None, "direct")]


def test_plant_scp_attached_after_a_job_started(ct_records: list[tuple[str, dict[str, Any]]], loaded: Any) -> None:
    """The SCP denying the analysts the credit data is attached after the credit job started: that job's
    access-at-training-time keeps the analysts (potential); today's potential access is gone."""
    from graphgov.questions.catalog import ask

    (attach,) = _calls(ct_records, "AttachPolicy")
    assert attach["requestParameters"] == {"policyId": "p-7k2m9q4x", "targetId": "111111111111"}
    assert attach["recipientAccountId"] == "999999999999"
    analyst = "arn:aws:iam::111111111111:role/AWSReservedSSO_DataAnalyst_5e2b7c1d9a8f4e36"
    job = "arn:aws:sagemaker:eu-west-1:222222222222:training-job/credit-xgb-20260105-001"
    then = [r for r in ask(loaded, "access-at-training-time", {"job": job}) if r["principal"] == analyst]
    assert then and all(r["as_of"] < attach["eventTime"] for r in then)
    assert sorted((r["dataset"].rsplit("/", 2)[-2], r["access"]) for r in then) == [
        ("test", "potential"), ("train", "potential"), ("validation", "potential")]
    now = [r for r in ask(loaded, "training-data-readers", {})
           if r["principal"] == analyst and r["dataset"].startswith("s3://acme-data-2/credit/")]
    assert {r["access"] for r in now} <= {"observed"}  # only the reads seen before, no potential access now
    assert all(r["via"] == ["cloudtrail:GetObject"] for r in now)
