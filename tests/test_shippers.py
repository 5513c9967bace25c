"""CloudTrail records re-exported by log shippers (graphgov.ingest.shippers), loaded on both stores.

The fixtures in tests/fixtures/shippers are built in each shipper's documented shape (the `_comment` of
each JSON file, and tests/fixtures/README.md for the JSON Lines ones, cite the pages) around the IAM User
Guide's cross-account AssumeRole example: JohnDoe (777788889999) assumes EC2-dev (111122223333) at
2014-07-18T15:07:39Z. Every file must give the same row as the record delivered by CloudTrail itself,
with the call's own time, never the shipper's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURES, iam_guide_sts_records

from graphgov.ingest.pipeline import load_paths
from graphgov.ingest.readers import unwrap
from graphgov.ingest.shippers import ENVELOPES, from_envelope, match
from graphgov.questions.catalog import ask

SHIPPERS = FIXTURES / "shippers"
JOHN, EC2_DEV = "arn:aws:iam::777788889999:user/JohnDoe", "arn:aws:iam::111122223333:role/EC2-dev"
AT = "2014-07-18T15:07:39Z"


def assumption(event_ids: list[str], first: str = AT, last: str = AT) -> dict[str, Any]:
    return {"principal": JOHN, "principal_type": "IAMUser", "principal_account": "777788889999", "role": EC2_DEV,
            "role_account": "111122223333", "count": len(event_ids), "first_seen": first, "last_seen": last,
            "operations": ["AssumeRole"], "event_ids": event_ids}


def load(store: Any, tmp_path: Path, path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    summary = load_paths([path], store, tmp_path / "q.jsonl")
    assert summary.balanced
    got = summary.as_dict()
    quarantine = tmp_path / "q.jsonl"
    entries = [json.loads(x) for x in quarantine.read_text().splitlines()] if quarantine.exists() else []
    counts = {k: got[k] for k in ("records", "loaded", "skipped", "quarantined")}
    return counts, [{"location": e["location"].split("/")[-1], "error": e["error"]} for e in entries]


# --- one test per shipper, exact counts, quarantine reasons and rows ------------------------------------


def test_logstash_codec_records_take_their_time_from_timestamp(store, tmp_path):
    """Logstash's cloudtrail codec moves eventTime to @timestamp. A record whose @timestamp does not read
    as a time, and one with neither field, are quarantined with the reason."""
    counts, quarantined = load(store, tmp_path, SHIPPERS / "logstash-cloudtrail-codec.jsonl")
    assert counts == {"records": 4, "loaded": 1, "skipped": {"unsupported_event": 1}, "quarantined": 2}
    assert quarantined == [
        {"location": "logstash-cloudtrail-codec.jsonl:3#logstash-elastic",
         "error": "sts.amazonaws.com AssumeRole: no eventTime (logstash-elastic envelope, no usable time field: "
                  "@timestamp unreadable: 'not a time')"},
        {"location": "logstash-cloudtrail-codec.jsonl:4", "error": "sts.amazonaws.com AssumeRole: no eventTime"},
    ]
    assert ask(store, "cross-account-assumptions") == [assumption(["5b1c6f0e-1a2b-4c3d-8e4f-logstash0001"])]


def test_filebeat_message_keeps_the_records_own_time_not_the_read_time(store, tmp_path):
    """Filebeat's @timestamp is when it read the file (2026-01-05): the record's eventTime wins. A plain
    text message is skipped as a log line; one cut short mid-record is quarantined, not dropped."""
    counts, quarantined = load(store, tmp_path, SHIPPERS / "filebeat-aws-s3-input.jsonl")
    assert counts == {"records": 3, "loaded": 1, "skipped": {"unrecognised_log_line": 1}, "quarantined": 1}
    assert quarantined == [{"location": "filebeat-aws-s3-input.jsonl:3#logstash-elastic",
                            "error": "invalid embedded JSON (logstash-elastic envelope)"}]
    rows = ask(store, "cross-account-assumptions")
    assert rows == [assumption(["5b1c6f0e-1a2b-4c3d-8e4f-filebeat0001"])]
    assert "2026-01-05T10:00:00Z" not in {rows[0]["first_seen"], rows[0]["last_seen"]}


def test_elastic_documents_with_and_without_the_original_event(store, tmp_path):
    """Search hits of the Elastic AWS integration: one keeps event.original, the other (the default) is
    rebuilt from ECS and aws.cloudtrail.* fields, its time from @timestamp (set from eventTime)."""
    counts, quarantined = load(store, tmp_path, SHIPPERS / "elastic-search-hits.json")
    assert counts == {"records": 2, "loaded": 2, "skipped": {}, "quarantined": 0}
    assert quarantined == []
    assert ask(store, "cross-account-assumptions") == [assumption(
        ["5b1c6f0e-1a2b-4c3d-8e4f-elastic00001", "5b1c6f0e-1a2b-4c3d-8e4f-elastic00002"],
        last="2014-07-18T16:07:39Z")]


def test_splunk_results_raw_rows_and_flattened_rows(store, tmp_path):
    """Splunk rows: the record in _raw (its own eventTime), a flattened row whose time is _time, and a row
    of another source type (plain text) skipped as a log line."""
    counts, quarantined = load(store, tmp_path, SHIPPERS / "splunk-results.json")
    assert counts == {"records": 3, "loaded": 2, "skipped": {"unrecognised_log_line": 1}, "quarantined": 0}
    assert quarantined == []
    assert ask(store, "cross-account-assumptions") == [assumption(
        ["5b1c6f0e-1a2b-4c3d-8e4f-splunk000001", "5b1c6f0e-1a2b-4c3d-8e4f-splunk000002"],
        last="2014-07-18T17:07:39Z")]


def test_sentinel_rows_map_back_to_cloudtrail_fields(store, tmp_path):
    """AWSCloudTrail rows: PascalCase columns back to CloudTrail names. A row with no TimeGenerated is
    quarantined with the reason; a refused call (ErrorCode) is a failed call, named in the summary."""
    summary = load_paths([SHIPPERS / "sentinel-awscloudtrail-query.json"], store, tmp_path / "q.jsonl")
    counts, quarantined = load(store, tmp_path / "again", SHIPPERS / "sentinel-awscloudtrail-query.json")
    assert summary.as_dict()["skipped_events"] == {"failed_call": [{"event": "sts.amazonaws.com:AssumeRole",
                                                                    "count": 1}]}
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (
        3, 1, {"failed_call": 1}, 1)
    # loaded again: the loaded row is a duplicate, the others are accounted as before
    assert counts == {"records": 3, "loaded": 0, "skipped": {"duplicate": 1, "failed_call": 1}, "quarantined": 1}
    assert quarantined == [{"location": "sentinel-awscloudtrail-query.json#tables[1]#sentinel",
                            "error": "sts.amazonaws.com AssumeRole: no eventTime (sentinel envelope, no usable "
                                     "time field: TimeGenerated absent)"}]
    assert ask(store, "cross-account-assumptions") == [assumption(["5b1c6f0e-1a2b-4c3d-8e4f-sentinel0001"])]


def test_every_shipper_file_gives_the_row_of_the_record_as_cloudtrail_wrote_it(store, tmp_path):
    """The same call, delivered by CloudTrail: the row every shipper file above reproduces (event ids aside)."""
    requester = dict(iam_guide_sts_records()[0])
    requester.pop("sharedEventID")
    path = tmp_path / "trail.json"
    path.write_text(json.dumps({"Records": [requester]}))
    load_paths([path], store, tmp_path / "q.jsonl")
    assert ask(store, "cross-account-assumptions") == [assumption([requester["eventID"]])]


# --- the mapping rules, record by record ----------------------------------------------------------------


def read(value: Any) -> list[tuple[str | None, Any, str | None, str | None]]:
    return [(r.kind, r.record, r.skip, r.error) for r in unwrap(value, "x")]


def test_a_shippers_timestamp_never_overrides_the_records_own_event_time():
    record = {**iam_guide_sts_records()[0], "@timestamp": "2026-01-05T10:00:00.000Z"}
    assert read(record) == [("cloudtrail", record, None, None)]  # as it is: eventTime 2014-07-18T15:07:39Z
    wrapped = {"@timestamp": "2026-01-05T10:00:00.000Z", "message": json.dumps(iam_guide_sts_records()[0])}
    ((kind, got, _, _),) = read(wrapped)
    assert (kind, got["eventTime"]) == ("cloudtrail", "2014-07-18T15:07:39Z")
    splunk = {"_raw": json.dumps(iam_guide_sts_records()[0]), "_time": "1767607200.000"}  # 2026-01-05T10:00:00Z
    assert read(splunk)[0][1]["eventTime"] == "2014-07-18T15:07:39Z"


def test_the_records_own_fields_win_over_the_envelopes():
    """An Elastic document whose ECS fields disagree with event.original: the original's values stand."""
    original = iam_guide_sts_records()[0]
    doc = {"@timestamp": "2014-07-18T15:07:39.000Z", "event": {"original": json.dumps(original),
                                                               "action": "GetCallerIdentity", "id": "other"},
           "cloud": {"region": "eu-west-1", "account": {"id": "999999999999"}}}
    ((kind, got, _, _),) = read(doc)
    assert kind == "cloudtrail" and got == original


def test_splunk_export_lines_and_elastic_hits_are_peeled():
    record = iam_guide_sts_records()[0]
    row = {"_raw": json.dumps(record), "_time": "2014-07-18T15:07:39.000+00:00", "sourcetype": "aws:cloudtrail"}
    line = {"preview": False, "offset": 0, "lastrow": True, "result": row}  # one line of search/jobs/export
    assert [r.location for r in unwrap(line, "f:1")] == ["f:1#result[0]#splunk"]
    hit = {"_index": "logs-aws.cloudtrail-default", "_id": "1", "_source": {"@timestamp": "x", "event": {
        "original": json.dumps(record)}}}
    assert [(r.kind, r.location) for r in unwrap(hit, "f")] == [("cloudtrail", "f#_source[0]#logstash-elastic")]


def test_what_a_shipper_carried_that_is_not_cloudtrail_goes_back_to_the_readers():
    """A Filebeat event whose message is an S3 event notification is read as one (not as CloudTrail)."""
    notification = {"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                    "eventTime": "2026-01-05T10:00:00.000Z", "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": "b"}, "object": {"key": "k"}}}
    ((kind, got, _, _),) = read({"@timestamp": "2026-01-05T10:00:01.000Z", "message": json.dumps(notification)})
    assert (kind, got) == ("s3_notification", notification)


def test_a_record_with_no_time_at_all_gets_a_note_naming_the_fields_tried():
    row = {"EventName": "AssumeRole", "EventSource": "sts.amazonaws.com", "AwsEventId": "e1", "EventVersion": "1.05",
           "UserIdentityArn": JOHN}
    envelope = match(row)
    assert envelope is not None and envelope.name == "sentinel"
    found = from_envelope(row, envelope)
    assert found.record is not None and "eventTime" not in found.record
    assert found.note == "sentinel envelope, no usable time field: TimeGenerated absent"


@pytest.mark.parametrize("envelope", ENVELOPES, ids=lambda e: e.name)
def test_every_declared_rename_targets_a_cloudtrail_field(envelope):
    """The table maps onto CloudTrail's own names (lowerCamelCase, dotted into userIdentity)."""
    for source, target, _ in envelope.renames:
        assert source and target[0].islower() and " " not in target, (source, target)


def test_a_sentinel_row_object_is_rebuilt_field_by_field():
    """A row as `az monitor log-analytics query` prints it (a JSON object per row): exact CloudTrail record."""
    row = {"TimeGenerated": "2014-07-18T15:07:39.1234567Z", "AwsEventId": "e1", "EventVersion": "1.05",
           "EventSource": "sts.amazonaws.com", "EventName": "AssumeRole", "EventTypeName": "AwsApiCall",
           "AWSRegion": "us-east-2", "UserIdentityType": "AssumedRole", "UserIdentityArn": "arn:aws:sts::1:x",
           "UserIdentityAccountId": "111111111111", "SessionIssuerArn": "arn:aws:iam::111111111111:role/JohnRole1",
           "SessionIssuerType": "Role", "SessionMfaAuthenticated": False, "ErrorCode": "",
           "RequestParameters": '{"roleArn": "arn:aws:iam::111111111111:role/JohnRole2"}', "ResponseElements": "",
           "Resources": '[{"ARN": "arn:aws:iam::111111111111:role/JohnRole2", "type": "AWS::IAM::Role"}]',
           "Type": "AWSCloudTrail"}
    ((kind, record, skip, error),) = read([row])
    assert (kind, skip, error) == ("cloudtrail", None, None)
    assert record == {
        "eventID": "e1", "eventVersion": "1.05", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
        "eventType": "AwsApiCall", "awsRegion": "us-east-2",  # empty columns (ErrorCode "") are not copied
        "requestParameters": {"roleArn": "arn:aws:iam::111111111111:role/JohnRole2"},
        "resources": [{"ARN": "arn:aws:iam::111111111111:role/JohnRole2", "type": "AWS::IAM::Role"}],
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:x", "accountId": "111111111111",
                         "sessionContext": {"attributes": {"mfaAuthenticated": False},
                                            "sessionIssuer": {"type": "Role",
                                                              "arn": "arn:aws:iam::111111111111:role/JohnRole1"}}},
        "eventTime": "2014-07-18T15:07:39.1234567Z"}


def test_an_elastic_document_without_the_original_is_rebuilt_as_cloudtrail_wrote_it():
    """The integration's default document (no event.original): every field the graph reads comes back
    under CloudTrail's name; only userIdentity.userName stays out (Elastic's user.name is ambiguous)."""
    hits = json.loads((SHIPPERS / "elastic-search-hits.json").read_text())["hits"]["hits"]
    ((kind, record, _, _),) = read(hits[1])
    expected = dict(iam_guide_sts_records()[0], eventID="5b1c6f0e-1a2b-4c3d-8e4f-elastic00002",
                    eventTime="2014-07-18T16:07:39.000Z")
    expected.pop("sharedEventID")
    expected["userIdentity"] = {k: v for k, v in expected["userIdentity"].items() if k != "userName"}
    expected["responseElements"]["credentials"]["sessionToken"] = "<encoded session token blob>"
    assert kind == "cloudtrail" and record == expected
