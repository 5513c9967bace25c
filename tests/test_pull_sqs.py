"""`graphgov pull sqs` against a real moto server: load, then delete; redelivery after a crash adds nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from click.testing import CliRunner
from graph_dump import dump
from helpers import FIXTURES, eventbridge_envelope, iam_guide_sts_records

import graphgov.aws.pullers.sqs as sqs_puller
from graphgov.aws.pullers.sqs import AWS_CALLS, pull_sqs, queue_region
from graphgov.aws.session import PullError, aws_session
from graphgov.cli.app import main
from graphgov.ingest.pipeline import LoadRun
from graphgov.stores.embedded import EmbeddedStore

pytest_plugins = ("moto_server",)

NOTIFICATIONS = FIXTURES / "s3-notifications"
NOT_JSON = "this is not JSON {"


def bodies() -> dict[str, str]:
    """One message body per shape the queue receives, each from a real sample."""
    _requester, _owner, chaining = iam_guide_sts_records()
    sns = json.loads((NOTIFICATIONS / "datadog-sqs-sns-s3.json").read_text())["Records"][0]["body"]
    bedrock = json.loads((FIXTURES / "eventbridge/bedrock-user-guide-events.jsonl").read_text().splitlines()[0])
    return {
        # sourcebucket/Happy Face.jpg; the sample is dated 1970 (implausible_time): redated to test the queue
        "raw-s3": (NOTIFICATIONS / "aws-lambda-go-s3-event.json").read_text().replace("1970-01-01", "2024-01-15"),
        "sns-s3": sns,  # my-bucket/my-key.log
        "eventbridge-s3": (NOTIFICATIONS / "powertools-eventbridge-object-created.json").read_text(),
        "eventbridge-cloudtrail": json.dumps(eventbridge_envelope(chaining)),  # role chaining AssumeRole
        "eventbridge-bedrock": json.dumps(bedrock),  # Model Customization Job State Change
        "test-event": json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2024-01-15T12:00:00Z",
                                  "Bucket": "sourcebucket", "RequestId": "5582815E1AEA5ADF",
                                  "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}),
        "not-json": NOT_JSON,
    }


def client(service: str) -> Any:
    return boto3.Session().client(service)


def make_queue(name: str = "graphgov-events", visibility: int = 30) -> str:
    return client("sqs").create_queue(QueueName=name, Attributes={"VisibilityTimeout": str(visibility)})["QueueUrl"]


def send(queue_url: str, messages: list[str]) -> None:
    sqs = client("sqs")
    for body in messages:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)


def in_queue(queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages."""
    attrs = client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture
def queue(moto: str) -> str:
    url = make_queue()
    send(url, list(bodies().values()))
    return url


def test_every_shape_is_loaded_then_deleted(queue, aws_calls, tmp_path):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    summary = pull_sqs(aws_session(), store, tmp_path / "q.jsonl", queue, wait_seconds=0)
    calls = set(aws_calls)
    assert calls == {("sqs", "ReceiveMessage"), ("sqs", "DeleteMessageBatch")}
    assert calls <= AWS_CALLS
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (
        7, 5, {"s3_test_event": 1}, 1)
    assert dict(summary.objects) == {"messages": 7, "deleted": 7}
    assert in_queue(queue) == (0, 0)
    assert summary.quarantine_file == str(tmp_path / "q.jsonl")
    [entry] = [json.loads(line) for line in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert entry["record"] == NOT_JSON
    assert entry["location"].startswith(f"{queue}#")
    assert entry["error"].startswith("invalid JSON message body: ")
    objects = {e["dst"] for e in map(json.loads, dump(store)["edges"]) if e["type"] == "CONTAINS"}
    assert objects == {"arn:aws:s3:::sourcebucket/Happy Face.jpg", "arn:aws:s3:::my-bucket/my-key.log",
                       "arn:aws:s3:::example-bucket/IMG_m7fzo3.jpg"}
    assert store.unseen(["ct:" + iam_guide_sts_records()[2]["eventID"]]) == set()


def test_a_crash_between_write_and_delete_redelivers_without_duplicates(moto, tmp_path, monkeypatch):
    url = make_queue(visibility=1)
    send(url, [bodies()["raw-s3"], bodies()["eventbridge-s3"], bodies()["eventbridge-cloudtrail"]])
    path = tmp_path / "g.json.gz"

    def crash(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("killed after the write, before the delete")

    with monkeypatch.context() as patched, pytest.raises(RuntimeError, match="killed after the write"):
        patched.setattr(sqs_puller, "delete_batch", crash)
        pull_sqs(aws_session(), EmbeddedStore(path), tmp_path / "q.jsonl", url, wait_seconds=0)
    after_crash = dump(EmbeddedStore(path))  # what the crashed process left on disk
    assert len(after_crash["edges"]) > 0
    assert in_queue(url) == (0, 3)  # received, not deleted

    time.sleep(1.5)  # the visibility timeout passes: SQS delivers the three messages again
    store = EmbeddedStore(path)
    summary = pull_sqs(aws_session(), store, tmp_path / "q.jsonl", url, wait_seconds=0)
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (
        3, 0, {"duplicate": 3}, 0)
    assert dict(summary.objects) == {"messages": 3, "deleted": 3}
    assert dump(EmbeddedStore(path)) == after_crash
    assert in_queue(url) == (0, 0)


def test_a_message_with_a_held_back_record_is_deleted_only_after_the_run_ends(moto, tmp_path, monkeypatch):
    _requester, owner, _chaining = iam_guide_sts_records()  # the role owner's copy: held back
    # Visibility long enough that the received message is still in flight when checked on a loaded machine
    # (1 s was not: the check saw it visible again), then polled for until it is visible again.
    url = make_queue(visibility=4)
    send(url, [json.dumps(eventbridge_envelope(owner)), bodies()["raw-s3"]])

    def crash(_self: LoadRun) -> None:
        raise RuntimeError("killed before the run's end")

    with monkeypatch.context() as patched, pytest.raises(RuntimeError, match="killed before the run's end"):
        patched.setattr(LoadRun, "finish", crash)
        pull_sqs(aws_session(), EmbeddedStore(tmp_path / "g.json.gz"), tmp_path / "q.jsonl", url, wait_seconds=0,
                 max_messages=1)
    assert in_queue(url) == (1, 1)  # the owner's copy was received but not deleted; the other never received

    deadline = time.monotonic() + 30
    while in_queue(url) != (2, 0) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert in_queue(url) == (2, 0)  # the owner's copy is visible again, for the next run
    summary = pull_sqs(aws_session(), EmbeddedStore(tmp_path / "g.json.gz"), tmp_path / "q.jsonl", url,
                       wait_seconds=0)
    assert (summary.records, summary.loaded, dict(summary.skipped)) == (2, 2, {})
    assert dict(summary.objects) == {"messages": 2, "deleted": 2}
    assert in_queue(url) == (0, 0)


def test_max_messages_stops_early_and_leaves_the_rest(queue, tmp_path):
    summary = pull_sqs(aws_session(), EmbeddedStore(tmp_path / "g.json.gz"), tmp_path / "q.jsonl", queue,
                       max_messages=3, wait_seconds=0)
    assert dict(summary.objects) == {"messages": 3, "deleted": 3}
    assert summary.records == 3
    assert in_queue(queue) == (4, 0)


def test_cli_json(queue, tmp_path):
    result = CliRunner().invoke(main, [
        "pull", "sqs", "--queue-url", queue, "--wait-seconds", "0", "--store", str(tmp_path / "g.json.gz"),
        "--quarantine", str(tmp_path / "q.jsonl"), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out == {
        "records": 7, "loaded": 5, "skipped": {"s3_test_event": 1}, "quarantined": 1, "skipped_events": {},
        "files": 0, "files_skipped": 0, "nodes": out["nodes"], "edges": out["edges"],
        "quarantine_file": str(tmp_path / "q.jsonl"),
        "access": out["access"], "objects": {"deleted": 7, "messages": 7}, "quarantine_known": 0, "gaps": [],
        "reference_time": out["reference_time"],  # the run's start: tests/test_times.py checks it
    }
    store = EmbeddedStore(tmp_path / "g.json.gz")
    assert (out["nodes"], out["edges"]) == store.totals()
    assert out["access"]["policy_states"] == 0


def test_cli_text_names_the_quarantine_file_next_to_its_count(moto, tmp_path):
    url = make_queue()
    send(url, [bodies()["not-json"]])
    quarantine = tmp_path / "q.jsonl"
    result = CliRunner().invoke(main, ["pull", "sqs", "--queue-url", url, "--wait-seconds", "0", "--store",
                                       str(tmp_path / "g.json.gz"), "--quarantine", str(quarantine)])
    assert result.exit_code == 0, result.output
    assert f"  quarantined  1  (see {quarantine})" in result.output.splitlines()
    assert len(quarantine.read_text().splitlines()) == 1


def test_cli_text_and_a_missing_queue(moto, tmp_path):
    url = make_queue()
    send(url, [bodies()["test-event"]])
    result = CliRunner().invoke(main, ["pull", "sqs", "--queue-url", url, "--wait-seconds", "0", "--store",
                                       str(tmp_path / "g.json.gz")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:4] == [
        f"1 record from 1 messages of {url} into {EmbeddedStore(tmp_path / 'g.json.gz').description}",
        "  read         1      deleted",
        "  read         1      messages",
        "  loaded       0",
    ]
    missing = url.rsplit("/", 1)[0] + "/no-such-queue"
    result = CliRunner().invoke(main, ["pull", "sqs", "--queue-url", missing, "--wait-seconds", "0", "--store",
                                       str(tmp_path / "g.json.gz")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot receive from {missing}: ")


def test_bad_arguments_are_refused_before_any_call(tmp_path):
    with pytest.raises(PullError, match="--wait-seconds must be between 0 and 20"):
        pull_sqs(aws_session(region="us-east-1"), EmbeddedStore(tmp_path / "g"), tmp_path / "q", "https://x",
                 wait_seconds=21)


@pytest.mark.parametrize(("url", "region"), [
    ("https://sqs.eu-west-1.amazonaws.com/123456789012/q", "eu-west-1"),
    ("https://eu-central-1.queue.amazonaws.com/123456789012/q", "eu-central-1"),
    ("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q", "cn-north-1"),
    ("http://127.0.0.1:5000/123456789012/q", None),
])
def test_queue_region_from_the_url(url, region):
    assert queue_region(url) == region


def _deny_receive(session: Any, after: int) -> None:
    """ReceiveMessage answers AccessDenied (a queue policy or key policy without the caller) after `after` calls."""
    calls = {"n": 0}

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        calls["n"] += 1
        if calls["n"] <= after:
            return None
        error = {"Error": {"Code": "AccessDenied", "Message": "not authorized to receive"},
                 "ResponseMetadata": {"HTTPStatusCode": 403}}
        return AWSResponse(None, 403, {}, None), error

    session.events.register("before-call.sqs.ReceiveMessage", handler)


def test_a_denied_receive_is_a_gap_after_what_was_received_is_loaded_and_deleted(queue, tmp_path):
    session = aws_session()
    _deny_receive(session, after=1)  # the first batch (all seven messages) is received, then the caller is refused
    summary = pull_sqs(session, EmbeddedStore(tmp_path / "g.json.gz"), tmp_path / "q.jsonl", queue, wait_seconds=0)
    assert summary.gaps == [{"action": "sqs:ReceiveMessage", "how": "denied", "resource": queue, "count": 1,
                             "unit": "queue"}]
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (
        8, 5, {"s3_test_event": 1, "access_denied:sqs:ReceiveMessage": 1}, 1)
    assert dict(summary.objects) == {"messages": 7, "deleted": 7}
    assert in_queue(queue) == (0, 0)


def test_cli_exit_codes_of_a_denied_queue(queue, tmp_path, monkeypatch):
    session = aws_session()
    _deny_receive(session, after=0)
    monkeypatch.setattr("graphgov.aws.session.aws_session", lambda profile=None: session)
    args = ["pull", "sqs", "--queue-url", queue, "--wait-seconds", "0", "--quarantine", str(tmp_path / "q.jsonl")]
    line = f"gap: sqs:ReceiveMessage denied on {queue} (1 queue)"
    denied = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "a.json.gz")])
    assert denied.exit_code == 3, denied.output
    assert denied.stderr.splitlines() == [line, "partial pull: 1 gap (exit 3; --allow-partial exits 0)"]
    assert denied.stdout.splitlines()[0] == (
        f"1 record from 0 messages of {queue} into embedded store {tmp_path / 'a.json.gz'}")
    allowed = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "b.json.gz"), "--allow-partial"])
    assert (allowed.exit_code, allowed.stderr.splitlines()) == (0, [line])
    assert in_queue(queue) == (7, 0)  # nothing received, nothing deleted
