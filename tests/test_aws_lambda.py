"""The push path's Lambda handler, called directly with the three event shapes, into an embedded store."""

from __future__ import annotations

import json
import logging
from typing import Any
from unittest.mock import ANY  # reference_time: the invocation's start (tests/test_times.py checks it)

import pytest
from helpers import cloudwatch_subscription, eventbridge_envelope, fixture_json, iam_guide_sts_records

from graphgov.aws.push_handler import event_kind, handler
from graphgov.stores import StoreError
from graphgov.stores.embedded import EmbeddedStore, committed

NO_ACCESS = {"policy_states": 0, "principals": 2, "targets": 0, "decisions": 0, "edges": {}}
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:my-queue"


@pytest.fixture
def env(tmp_path, monkeypatch) -> dict[str, Any]:
    monkeypatch.setenv("GRAPHGOV_STORE", str(tmp_path / "graph.json.gz"))
    monkeypatch.setenv("GRAPHGOV_QUARANTINE", str(tmp_path / "quarantine.jsonl"))
    return {"store": tmp_path / "graph.json.gz", "quarantine": str(tmp_path / "quarantine.jsonl")}


class Context:
    aws_request_id = "c0ffee00-0000-4000-8000-000000000001"


def sqs_message(message_id: str, body: str) -> dict[str, Any]:
    """An SQS record as Lambda delivers it: the real sample's envelope around another body."""
    record = dict(fixture_json("s3-notifications/datadog-sqs-s3.json")["Records"][0])
    return {**record, "messageId": message_id, "body": body}


def sqs_batch() -> dict[str, Any]:
    _requester, _owner, chaining = iam_guide_sts_records()
    return {"Records": [
        fixture_json("s3-notifications/datadog-sqs-s3.json")["Records"][0],  # my-bucket/my-key.log
        sqs_message("m-test", json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "my-bucket"})),
        sqs_message("m-api-call", json.dumps(eventbridge_envelope(chaining))),
        sqs_message("m-garbage", "not JSON"),
    ]}


def test_event_kinds():
    _requester, _owner, chaining = iam_guide_sts_records()
    assert event_kind(sqs_batch()) == "sqs"
    assert event_kind(eventbridge_envelope(chaining)) == "eventbridge"
    assert event_kind(cloudwatch_subscription([chaining])) == "cloudwatch_logs"
    assert event_kind(fixture_json("s3-notifications/aws-lambda-go-s3-event.json")) == "other"


def test_eventbridge_event(env):
    _requester, _owner, chaining = iam_guide_sts_records()
    assert handler(eventbridge_envelope(chaining), Context()) == {
        "event": "eventbridge", "records": 1, "loaded": 1, "skipped": {}, "quarantined": 0, "files": 0,
        "files_skipped": 0,
        "skipped_events": {}, "nodes": 3, "edges": 3, "quarantine_file": None, "access": NO_ACCESS,
        "quarantine_known": 0, "reference_time": ANY}
    assert EmbeddedStore(env["store"]).unseen([f"ct:{chaining['eventID']}"]) == set()


def test_cloudwatch_logs_subscription_event(env):
    requester, _owner, chaining = iam_guide_sts_records()
    assert handler(cloudwatch_subscription([requester, chaining]), Context()) == {
        "event": "cloudwatch_logs", "records": 2, "loaded": 2, "skipped": {}, "quarantined": 0, "files": 0,
        "files_skipped": 0,
        "skipped_events": {}, "nodes": 8, "edges": 7, "quarantine_file": None,
        "quarantine_known": 0, "reference_time": ANY,
        "access": {**NO_ACCESS, "principals": 4}}


def test_sqs_batch_loads_skips_quarantines_and_reports_no_failure(env, caplog):
    caplog.set_level(logging.WARNING, logger="graphgov.aws_lambda")
    first = handler(sqs_batch(), Context())
    assert first == {
        "event": "sqs", "records": 4, "loaded": 2, "skipped": {"s3_test_event": 1}, "quarantined": 1, "files": 0,
        "files_skipped": 0,
        "skipped_events": {}, "nodes": 5, "edges": 4, "quarantine_file": env["quarantine"], "access": NO_ACCESS,
        "quarantine_known": 0, "reference_time": ANY,
        "messages": 4, "batchItemFailures": []}
    [logged] = [r.getMessage() for r in caplog.records]
    entry = json.loads(logged.removeprefix("graphgov quarantined "))
    assert (entry["location"], entry["record"]) == (f"{QUEUE_ARN}#m-garbage", "not JSON")
    # SQS delivers at least once: the same batch again changes nothing
    again = handler(sqs_batch(), Context())
    # the same unparsable message again: counted as quarantined, its entry already in the file
    # (nothing new was written: the access derivation is skipped, its counts the last one's)
    assert again == {**first, "loaded": 0, "skipped": {"duplicate": 2, "s3_test_event": 1}, "quarantine_known": 1,
                     "access": {**NO_ACCESS, "derived": "unchanged"}}


def test_sqs_batch_reports_the_messages_whose_write_failed(env, monkeypatch):
    writes = []
    original = EmbeddedStore.write

    def failing_second_write(self: EmbeddedStore, *args: Any, **kwargs: Any) -> Any:
        writes.append(1)
        if len(writes) == 3:
            raise ConnectionError("store unavailable")
        return original(self, *args, **kwargs)

    with monkeypatch.context() as patched:  # not monkeypatch.undo(): that would drop GRAPHGOV_STORE too
        patched.setattr(EmbeddedStore, "write", failing_second_write)
        # writes: 1 the load registers in the derivation marker (graphgov.access.marker), 2 the first message's
        # record; the test event writes nothing; 3 the API call's record fails
        result = handler(sqs_batch(), Context())
    # the failed write loaded nothing: the first message's record is loaded, the API call's is write_failed, the
    # garbage message after it was not read (SQS delivers both again)
    assert result == {
        "event": "sqs", "records": 3, "loaded": 1, "skipped": {"s3_test_event": 1, "write_failed": 1},
        "quarantined": 0, "files": 0, "files_skipped": 0, "skipped_events": {}, "quarantine_file": None,
        "messages": 4,
        "batchItemFailures": [{"itemIdentifier": "m-api-call"}, {"itemIdentifier": "m-garbage"}],
        "error": "ConnectionError: store unavailable", "quarantine_known": 0, "reference_time": ANY}
    store = EmbeddedStore(env["store"])
    _requester, _owner, chaining = iam_guide_sts_records()
    assert store.unseen([f"ct:{chaining['eventID']}"]) == {f"ct:{chaining['eventID']}"}  # really not written

    # SQS redelivers only the two failed messages: now they load
    retry = {"Records": [r for r in sqs_batch()["Records"] if r["messageId"] in ("m-api-call", "m-garbage")]}
    assert handler(retry, Context()) == {
        "event": "sqs", "records": 2, "loaded": 1, "skipped": {}, "quarantined": 1, "files": 0,
        "files_skipped": 0, "skipped_events": {},
        "nodes": 5,
        "edges": 4, "quarantine_file": env["quarantine"], "access": NO_ACCESS,
        "quarantine_known": 0, "reference_time": ANY, "messages": 2,
        "batchItemFailures": []}


def test_a_held_back_record_fails_its_message_when_the_end_of_run_write_fails(env, monkeypatch, caplog):
    _requester, owner, _chaining = iam_guide_sts_records()  # the role owner's copy waits for the run's end
    batch = {"Records": [sqs_message("m-owner", json.dumps(eventbridge_envelope(owner))),
                         fixture_json("s3-notifications/datadog-sqs-s3.json")["Records"][0]]}
    from graphgov.ingest.pipeline import LoadRun

    def crash(_self: LoadRun) -> None:
        raise ConnectionError("store unavailable")

    monkeypatch.setattr(LoadRun, "finish", crash)
    caplog.set_level(logging.ERROR, logger="graphgov.aws_lambda")
    # every message failed: the handler raises, so even a mapping without ReportBatchItemFailures retries the batch
    with pytest.raises(StoreError, match="^no message of the batch was written: ConnectionError: store unavailable$"):
        handler(batch, Context())
    logged = [r.getMessage() for r in caplog.records if "write failed" in r.getMessage()][-1]
    result = json.loads(logged.split(": ", 1)[1])
    # conservative: once a record is held back, later messages wait for the end too (a redelivery is a duplicate)
    assert result["batchItemFailures"] == [{"itemIdentifier": "m-owner"},
                                           {"itemIdentifier": "059f36b4-87a3-44ab-83d2-661975830a7d"}]
    # the S3 notification's record was committed with its message; the held-back copy never was
    assert (result["records"], result["loaded"], result["skipped"]) == (2, 1, {"write_failed": 1})


@pytest.mark.parametrize("kind", ["eventbridge", "cloudwatch_logs"])
def test_a_failed_write_outside_sqs_loads_nothing_and_raises_for_the_retry(env, monkeypatch, caplog, kind):
    requester, _owner, chaining = iam_guide_sts_records()
    event = eventbridge_envelope(chaining) if kind == "eventbridge" else cloudwatch_subscription([requester, chaining])

    def failing_write(self: EmbeddedStore, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("store unavailable")

    monkeypatch.setattr(EmbeddedStore, "write", failing_write)
    caplog.set_level(logging.ERROR, logger="graphgov.aws_lambda")
    with pytest.raises(ConnectionError, match="store unavailable"):
        handler(event, Context())
    [logged] = [r.getMessage() for r in caplog.records]
    prefix, _, summary = logged.partition(": ")
    assert prefix == "graphgov write failed, nothing after the last commit was loaded"
    records = 1 if kind == "eventbridge" else 2
    assert json.loads(summary) == {
        "event": kind, "records": records, "loaded": 0, "skipped": {"write_failed": records}, "quarantined": 0,
        "files": 0, "files_skipped": 0, "skipped_events": {}, "quarantine_file": None,
        "error": "ConnectionError: store unavailable",
        "quarantine_known": 0, "reference_time": ANY}
    assert not committed(env["store"])  # the store was created empty; nothing was ever committed to it


def test_the_store_must_be_named(monkeypatch):
    monkeypatch.delenv("GRAPHGOV_STORE", raising=False)
    with pytest.raises(StoreError, match="set GRAPHGOV_STORE to the graph store"):
        handler(sqs_batch(), Context())
