"""graphgov.ingest.readers: format and wrapper detected per file, every record accounted for."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import FIXTURES, cloudwatch_subscription, eventbridge_envelope, iam_guide_sts_records, write_json

from graphgov.ingest.readers import ReadError, expand_paths, read_path

DELIVERY_FILE = (FIXTURES / "cloudtrail/AWSLogs/111111111111/CloudTrail/eu-central-1/2017/12/11/"
                 "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz")


def kinds(path: Path) -> Counter:
    return Counter((r.kind, r.skip, r.error is not None) for r in read_path(path))


def test_gzip_delivery_file_in_the_s3_layout():
    expected = len(json.loads(gzip.decompress(DELIVERY_FILE.read_bytes()))["Records"])
    records = list(read_path(DELIVERY_FILE))
    assert expected == 2
    assert [(r.kind, r.location.rsplit("#", 1)[1]) for r in records] == [
        ("cloudtrail", "Records[0]"), ("cloudtrail", "Records[1]")]


def test_directory_walk_finds_layout_files_and_ignores_other_names(tmp_path):
    (tmp_path / "AWSLogs").mkdir()
    (tmp_path / "AWSLogs" / DELIVERY_FILE.name).write_bytes(DELIVERY_FILE.read_bytes())
    (tmp_path / "notes.md").write_text("not a log")
    (tmp_path / ".hidden.json").write_text("{}")
    assert expand_paths([tmp_path]) == [tmp_path / "AWSLogs" / DELIVERY_FILE.name]


def test_missing_path_is_an_error():
    with pytest.raises(ReadError, match="no such file"):
        expand_paths(["/nonexistent/graphgov"])


def test_json_lines_with_records_files_inside():
    counts = kinds(FIXTURES / "cloudtrail/kms-developer-guide.jsonl")
    lines = (FIXTURES / "cloudtrail/kms-developer-guide.jsonl").read_text().splitlines()
    inner = sum(len(json.loads(line).get("Records", [None])) for line in lines)
    assert counts == Counter({("cloudtrail", None, False): inner}) == Counter({("cloudtrail", None, False): 69})


def test_pretty_printed_single_record():
    assert kinds(FIXTURES / "cloudtrail/amazon-bedrock.cloudtrail.json") == Counter({("cloudtrail", None, False): 1})


def test_bare_array_file():
    assert kinds(FIXTURES / "cloudtrail/iam-user-guide-other.json") == Counter({("cloudtrail", None, False): 4})


def test_lookup_events_items_and_page():
    items = (FIXTURES / "lookup-events/plaso-lookup-events.jsonl").read_text().splitlines()
    for name in ("plaso-lookup-events.jsonl", "lookup-events-page.json"):
        records = list(read_path(FIXTURES / "lookup-events" / name))
        assert [r.record["eventID"] for r in records] == [json.loads(json.loads(i)["CloudTrailEvent"])["eventID"]
                                                          for i in items]
        assert len(records) == 6
        assert all(r.kind == "cloudtrail" and r.location.endswith("#CloudTrailEvent") for r in records)


def test_digest_and_insight_records_are_recognised_and_skipped():
    assert kinds(FIXTURES / "cloudtrail/111122223333_CloudTrail-Digest_us-east-2_example_20150817T150131Z.json.gz") == \
        Counter({(None, "cloudtrail_digest", False): 1})
    counts = kinds(FIXTURES / "cloudtrail/cloudtrail-user-guide.jsonl")
    assert counts[(None, "insight_event", False)] == 2
    assert counts[(None, "cloudtrail_digest", False)] == 2


def test_eventbridge_envelopes_unwrap_cloudtrail_details_only(tmp_path):
    counts = kinds(FIXTURES / "eventbridge/s3-user-guide-events.json")
    assert counts == Counter({("cloudtrail", None, False): 2, ("eventbridge", None, False): 4})
    built = write_json(tmp_path / "eb.json", eventbridge_envelope(iam_guide_sts_records()[0]))
    (record,) = list(read_path(built))
    assert (record.kind, record.record["eventID"], record.location.endswith("#detail")) == (
        "cloudtrail", "dEXAMPLE-ac7f-466c-a608-4ac8dEXAMPLE", True)


def test_cloudwatch_subscription_payloads(tmp_path):
    # base64 gzip and base64 zlib `awslogs.data` with plain log lines
    assert kinds(FIXTURES / "cloudwatch-logs/aws-lambda-go-awslogs.json") == \
        Counter({(None, "unrecognised_log_line", False): 2})
    assert kinds(FIXTURES / "cloudwatch-logs/powertools-awslogs-zlib.json") == \
        Counter({(None, "unrecognised_log_line", False): 2})
    # the guide's CloudTrail messages are truncated mid-record: quarantined, never dropped
    guide = list(read_path(FIXTURES / "cloudwatch-logs/cloudwatch-logs-user-guide.jsonl"))
    assert len(guide) == 6 and all(r.error and r.error.startswith("invalid JSON log message") for r in guide)
    assert guide[0].record == '{"eventVersion":"1.03","userIdentity":{"type":"Root"}'
    # a payload carrying real CloudTrail records
    payload = write_json(tmp_path / "cwl.json", cloudwatch_subscription(iam_guide_sts_records()))
    records = list(read_path(payload))
    assert [(r.kind, r.record["eventName"]) for r in records] == [("cloudtrail", "AssumeRole")] * 3
    control = write_json(tmp_path / "control.json", {"messageType": "CONTROL_MESSAGE", "logEvents": [
        {"id": "1", "timestamp": 1, "message": "CWL CONTROL MESSAGE: Checking health of destination"}]})
    assert kinds(control) == Counter({(None, "control_message", False): 1})


def test_sqs_and_sns_wrappers(tmp_path):
    record = iam_guide_sts_records()[0]
    sns_in_sqs = {"Records": [{"eventSource": "aws:sqs", "body": json.dumps(
        {"Type": "Notification", "Message": json.dumps({"Records": [record]})})}]}
    path = write_json(tmp_path / "sqs.json", sns_in_sqs)
    assert [(r.kind, r.record["eventID"]) for r in read_path(path)] == [("cloudtrail", record["eventID"])]


def test_bad_input_becomes_error_records_not_exceptions(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"Records": [ {"eventVersion": ')
    (only,) = list(read_path(broken))
    assert only.error.startswith("invalid JSON") and only.record == '{"Records": [ {"eventVersion": '
    jsonl = tmp_path / "mixed.jsonl"
    good = json.dumps(iam_guide_sts_records()[0])
    jsonl.write_text(f"{good}\nnot json at all\n\n{good}\n")
    records = list(read_path(jsonl))
    assert [(r.kind, r.error is not None, r.location.rsplit(':', 1)[1]) for r in records] == [
        ("cloudtrail", False, "1"), (None, True, "2"), ("cloudtrail", False, "4")]
    bad_gzip = tmp_path / "bad.json.gz"
    bad_gzip.write_bytes(b"\x1f\x8b" + b"\x00" * 20)
    (only,) = list(read_path(bad_gzip))
    assert only.error.startswith("cannot read")
    empty = tmp_path / "empty.json"
    empty.write_text("\n\n")
    assert list(read_path(empty)) == []


def test_concatenated_json_objects(tmp_path):
    records = iam_guide_sts_records()
    path = tmp_path / "firehose"
    path.write_text("".join(json.dumps(r, indent=1) for r in records))
    assert [r.record["eventName"] for r in read_path(path)] == ["AssumeRole"] * 3
