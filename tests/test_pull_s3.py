"""`graphgov pull s3` against a real moto server: Firehose output and Bedrock invocation logs, read once.

Firehose objects are built as a CloudWatch Logs subscription to Firehose writes them: each payload
(DATA_MESSAGE with CloudTrail records, or Bedrock invocation log records, as log event messages; a
CONTROL_MESSAGE) gzipped on its own and the members concatenated. Bedrock invocation logs are
`graphgov generate` output (seed 0, 1,000 records) uploaded in their own layout. Bedrock invocation
log records may or may not have a loader yet: the tests assert their accounting, not their graph.
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from graph_dump import dump

from graphgov.aws.pullers.s3_objects import AWS_CALLS, object_marker, pull_s3
from graphgov.aws.session import aws_session
from graphgov.cli.app import main
from graphgov.generate import generate
from graphgov.ingest.pipeline import load_paths
from graphgov.stores.embedded import EmbeddedStore

pytest_plugins = ("moto_server",)

BUCKET = "acme-logs"
BEDROCK = "bedrock_invocation_log"


def gz(value: Any) -> bytes:
    return gzip.compress(json.dumps(value).encode(), mtime=0)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out, seed=0, records=1000)
    return out


def ct_records(generated: Path, count: int) -> list[dict[str, Any]]:
    """The first `count` records with an eventID of one generated delivery file that the loader models (the
    generator's noise includes unsupported events such as DescribeInstances, wherever its random stream puts them)."""
    from graphgov.core.delta import Skip
    from loaders.cloudtrail import parse

    def modelled(record: dict[str, Any]) -> bool:
        try:
            parse(record)
        except Skip:
            return False
        return True

    path = sorted((generated / "cloudtrail/AWSLogs/o-exampleorg1/222222222222/CloudTrail/us-east-1").rglob("*.gz"))[0]
    records = [r for r in json.loads(gzip.decompress(path.read_bytes()))["Records"] if "eventID" in r and modelled(r)]
    return records[:count]


def payload(messages: list[str], owner: str = "222222222222") -> dict[str, Any]:
    return {"messageType": "DATA_MESSAGE", "owner": owner, "logGroup": "aws-cloudtrail-logs",
            "logStream": f"{owner}_CloudTrail_us-east-1", "subscriptionFilters": ["to-firehose"],
            "logEvents": [{"id": str(i), "timestamp": 1767571200000 + i, "message": m} for i, m in enumerate(messages)]}


CONTROL = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
           "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1767571200000,
                                                     "message": "CWL CONTROL MESSAGE: Checking health of destination"}]}


def bedrock_messages(generated: Path) -> list[str]:
    """The Bedrock invocation log records the generator sent to CloudWatch Logs, as log messages."""
    messages = []
    for path in sorted((generated / "cloudwatch-logs").iterdir()):
        for line in path.read_text().splitlines():
            data = json.loads(gzip.decompress(base64.b64decode(json.loads(line)["awslogs"]["data"])))
            messages += [event["message"] for event in data["logEvents"]]
    return messages


@pytest.fixture
def firehose(moto: str, generated: Path) -> dict[str, Any]:
    """Firehose output under `firehose/`: 2 objects of concatenated gzip members, 1 of concatenated JSON."""
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    records = ct_records(generated, 7)
    bedrock = bedrock_messages(generated)[:4]
    objects = {
        "firehose/2026/01/05/10/cwl-to-s3-1-2026-01-05-10-00-00-0a1b": (
            gz(payload([json.dumps(r) for r in records[:3]])) + gz(CONTROL) + gz(payload([json.dumps(records[3])]))),
        "firehose/2026/01/05/23/cwl-to-s3-1-2026-01-05-23-59-00-9f8e": (
            gz(payload(bedrock, owner="333333333333")) + gz(CONTROL)),
        "firehose/2026/01/06/00/eventbridge-to-s3-1-2026-01-06-00-01-00-77aa": "".join(
            json.dumps({"version": "0", "id": f"e{i}", "detail-type": "AWS API Call via CloudTrail",
                        "source": "aws.iam", "account": "222222222222", "time": r["eventTime"],
                        "region": "us-east-1", "resources": [], "detail": r}) for i, r in enumerate(records[4:])
        ).encode(),
    }
    s3 = boto3.client("s3")
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return {"objects": objects, "records": records, "bedrock": len(bedrock)}


def pull(store: Any, tmp_path: Path, layout: str, prefix: str, **kwargs: Any) -> Any:
    return pull_s3(aws_session(), store, tmp_path / "q.jsonl", BUCKET, prefix, layout, **kwargs)


def test_firehose_concatenated_gzip_members_and_control_messages(firehose, tmp_path, aws_calls):
    aws_calls.clear()
    store = EmbeddedStore(tmp_path / "graph.json.gz")
    summary = pull(store, tmp_path, "firehose", "firehose")
    assert aws_calls == {("s3", "ListObjectsV2"), ("s3", "GetObject")} and aws_calls <= AWS_CALLS
    got = summary.as_dict()
    bedrock = firehose["bedrock"]
    # 7 CloudTrail records (4 through CloudWatch Logs, 3 in EventBridge envelopes), 4 Bedrock invocation log
    # records, 2 control messages
    assert got["records"] == 7 + bedrock + 2 and summary.balanced and got["quarantined"] == 0 and got["files"] == 3
    assert got["skipped"].pop("control_message") == 2
    unsupported = got["skipped"].pop(f"unsupported_source:{BEDROCK}", 0)
    assert got["skipped"] == {} and unsupported in (0, bedrock)  # every CloudTrail record loaded
    assert got["loaded"] == 7 + bedrock - unsupported
    assert got["objects"] == {"list_page": 1 + 1 + 1 + 2, "s3_object": 3, "s3_object_already_read": 0}
    assert store.checkpoints == {f"s3:firehose:{BUCKET}/firehose/": "2026-01-06"}
    assert not store.unseen(object_marker(BUCKET, k) for k in firehose["objects"])

    # the same records loaded from files give the same graph
    reference = EmbeddedStore(tmp_path / "ref.json.gz")
    root = tmp_path / "files"
    for key, body in firehose["objects"].items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).with_suffix(".gz" if body[:2] == b"\x1f\x8b" else ".json").write_bytes(body)
    loaded = load_paths([root], reference, tmp_path / "rq.jsonl")
    assert (loaded.records, loaded.loaded, loaded.skipped) == (summary.records, summary.loaded, summary.skipped)
    assert dump(store) == dump(reference)

    again = pull(store, tmp_path, "firehose", "firehose/")
    assert again.as_dict()["objects"] == {"list_page": 5, "s3_object": 0, "s3_object_already_read": 3}
    assert again.records == 0


def test_bedrock_invocation_layout(moto, generated, tmp_path, aws_calls):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    source = generated / "bedrock-invocation-logs"
    files = sorted(p for p in source.rglob("*.gz"))
    objects = {f"bedrock/{p.relative_to(source)}": p.read_bytes() for p in files}
    lines = {key: gzip.decompress(body).decode().splitlines(keepends=True) for key, body in objects.items()}
    records = sum(len(v) for v in lines.values())
    # one file rewritten as two gzip members (first line, then the rest), as a multi-part upload may be
    split = next(key for key, v in lines.items() if len(v) > 1)
    objects[split] = (gzip.compress("".join(lines[split][:1]).encode(), mtime=0)
                      + gzip.compress("".join(lines[split][1:]).encode(), mtime=0))
    check = "bedrock/AWSLogs/333333333333/BedrockModelInvocationLogs/amazon-bedrock-logs-permission-check"
    objects[check] = b""
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    aws_calls.clear()

    store = EmbeddedStore(tmp_path / "graph.json.gz")
    summary = pull(store, tmp_path, "bedrock-invocation", "bedrock/")
    assert aws_calls <= AWS_CALLS
    got = summary.as_dict()
    assert (len(files), records) == (4, 38)  # since issue 11 plants: logs of the serving account's us-east-1 too
    assert got["records"] == records and got["files"] == len(files) and summary.balanced
    assert got["quarantined"] == 1  # the generator's truncated invocation log line
    unsupported = got["skipped"].get(f"unsupported_source:{BEDROCK}", 0)
    assert got["loaded"] + unsupported == records - 1 and set(got["skipped"]) <= {f"unsupported_source:{BEDROCK}"}
    assert got["objects"]["s3_object"] == len(files) and got["objects"]["s3_object_ignored"] == 1
    streams = {f"s3:bedrock-invocation:{BUCKET}/bedrock/AWSLogs/333333333333/BedrockModelInvocationLogs/{r}/"
               for r in ("eu-west-1", "us-east-1")}
    assert set(store.checkpoints) <= streams and len(store.checkpoints) >= 1
    assert set(store.checkpoints.values()) == {"2026-01-05"}
    (entry,) = [json.loads(line) for line in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert entry["location"].startswith(f"s3://{BUCKET}/bedrock/AWSLogs/") and "invalid JSON" in entry["error"]

    again = pull(store, tmp_path, "bedrock-invocation", "bedrock")
    assert (again.records, again.objects["s3_object"], again.objects["s3_object_already_read"]) == (0, 0, len(files))


def test_cli_json(firehose, tmp_path):
    store = tmp_path / "graph.json.gz"
    args = ["pull", "s3", "--bucket", BUCKET, "--prefix", "firehose/", "--layout", "firehose", "--store", str(store),
            "--quarantine", str(tmp_path / "q.jsonl"), "--format", "json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["records"] == 7 + firehose["bedrock"] + 2 and out["files"] == 3
    assert out["objects"] == {"list_page": 5, "s3_object": 3, "s3_object_already_read": 0}
    assert out["skipped"]["control_message"] == 2 and out["quarantine_file"] is None

    since = CliRunner().invoke(main, [*args[:-2], "--store", str(tmp_path / "other.json.gz"), "--since", "2026-01-06"])
    assert since.exit_code == 0, since.output
    assert since.output.splitlines()[0] == (
        f"3 records from 1 S3 objects in s3://{BUCKET}/firehose/ into embedded store {tmp_path / 'other.json.gz'}")

    bad = CliRunner().invoke(main, [*args[:6], "--layout", "other"])
    assert bad.exit_code == 2 and "'other' is not one of 'bedrock-invocation', 'firehose'" in bad.output


def test_cli_denied_objects_are_one_gap_line_exit_3_and_0_with_allow_partial(firehose, tmp_path, monkeypatch):
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_: Any) -> Any:
            yield b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"

    def deny(request: Any, **_: Any) -> AWSResponse | None:  # a bucket policy denying the 2026/01/05 objects
        return AWSResponse(request.url, 403, {}, Raw()) if "/firehose/2026/01/05/" in request.url else None

    session = aws_session()
    session.events.register("before-send.s3.GetObject", deny)
    monkeypatch.setattr("graphgov.aws.session.aws_session", lambda profile=None, region=None: session)
    args = ["pull", "s3", "--bucket", BUCKET, "--prefix", "firehose/", "--layout", "firehose",
            "--quarantine", str(tmp_path / "q.jsonl")]
    line = f"gap: s3:GetObject denied on s3://{BUCKET}/firehose/2026/01/05/* (2 objects)"
    partial = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "a.json.gz"), "--format", "json"])
    assert partial.exit_code == 3, partial.output
    assert partial.stderr.splitlines() == [line, "partial pull: 1 gap (exit 3; --allow-partial exits 0)"]
    out = json.loads(partial.stdout)
    # the third object (2026/01/06) is read and loaded: its three EventBridge records
    assert (out["records"], out["loaded"], out["files"]) == (5, 3, 1)
    assert out["skipped"] == {"access_denied:s3:GetObject": 2}
    allowed = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "b.json.gz"), "--allow-partial"])
    assert (allowed.exit_code, allowed.stderr.splitlines()) == (0, [line])
