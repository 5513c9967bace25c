"""`graphgov pull logs` against a moto server: pages, the trailing window, both de-duplications, an expired token.

moto matches every event whatever the filter pattern, so nothing here relies on server-side filtering.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from click.testing import CliRunner
from graph_dump import dump
from helpers import CLOUDTRAIL, FIXTURES

from graphgov.aws.pullers.logs import AWS_CALLS, LOOKBEHIND, TRAILING_WINDOW, checkpoint_name, pull_logs
from graphgov.aws.session import PullError, iso_time
from graphgov.cli.app import main
from graphgov.ingest.pipeline import load_deltas
from graphgov.ingest.readers import unwrap
from graphgov.stores.embedded import EmbeddedStore

pytest_plugins = ("moto_server",)

ACCOUNT, REGION, GROUP, BEDROCK_GROUP = "123456789012", "us-east-1", "CloudTrail/logs", "bedrock/invocations"
WANTED = ("CreateKey", "Decrypt", "GenerateDataKey", "ScheduleKeyDeletion", "CreateGrant")


def _kms() -> list[dict[str, Any]]:
    """Five real KMS records of five kinds of call, one of each."""
    chosen: dict[str, dict[str, Any]] = {}
    for line in (CLOUDTRAIL / "kms-developer-guide.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("eventName") in WANTED and record.get("eventSource"):
            chosen.setdefault(record["eventName"], record)
    return [chosen[name] for name in WANTED]


KMS = _kms()


def _messages(now_ms: int) -> list[tuple[int, str]]:
    """Three events three hours old, then, in the last minute, two more, one of them again (CloudTrail's eventID
    repeated in another log event) and a line that is not JSON: seven log events."""
    old = [(now_ms - 3 * 3600_000 + i, json.dumps(r)) for i, r in enumerate(KMS[:3])]
    recent = [(now_ms - 60_000 + i, json.dumps(r)) for i, r in enumerate(KMS[3:])]
    return old + recent + [(now_ms - 50_000, json.dumps(KMS[3])), (now_ms - 40_000, "START RequestId: not json")]


def _put(group: str, messages: list[tuple[int, str]]) -> None:
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=f"{ACCOUNT}_CloudTrail_{REGION}")
    logs.put_log_events(logGroupName=group, logStreamName=f"{ACCOUNT}_CloudTrail_{REGION}",
                        logEvents=[{"timestamp": t, "message": m} for t, m in messages])


@pytest.fixture
def trail_group(moto: str) -> list[tuple[int, str]]:
    messages = _messages(int(time.time() * 1000))
    _put(GROUP, messages)
    return messages


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def _expire_on(call: int):
    """A before-send hook answering the `call`-th FilterLogEvents with ExpiredTokenException, as AWS would."""
    calls = {"n": 0}

    def handler(request: Any, **_: Any) -> AWSResponse | None:
        if "FilterLogEvents" not in (request.headers.get("X-Amz-Target") or b"").decode():
            return None
        calls["n"] += 1
        if calls["n"] != call:
            return None
        body = json.dumps({"__type": "ExpiredTokenException",
                           "message": "The security token included in the request is expired"}).encode()
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Body(body))

    return handler


def _recorded(session: boto3.Session) -> list[dict[str, Any]]:
    asked: list[dict[str, Any]] = []
    session.events.register("provide-client-params.logs.FilterLogEvents",
                            lambda params, **_: asked.append(dict(params)))
    return asked


def _reference(messages: list[tuple[int, str]], tmp_path: Path, name: str) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / f"{name}.json.gz")
    payload = {"messageType": "DATA_MESSAGE", "logGroup": GROUP,
               "logEvents": [{"id": str(i), "timestamp": t, "message": m} for i, (t, m) in enumerate(messages)]}
    load_deltas(list(unwrap(payload, "ref")), store, tmp_path / f"{name}.q.jsonl")
    return store


def test_pages_window_and_both_deduplications(trail_group, tmp_path: Path):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    session = boto3.Session(region_name=REGION)
    asked = _recorded(session)
    first = pull_logs([(ACCOUNT, session)], store, tmp_path / "q.jsonl", [GROUP], page_size=2)
    assert dict(first.objects) == {"page": 4, "log-event": 7}
    assert (first.records, first.loaded, dict(first.skipped), first.quarantined) == (
        7, 5, {"duplicate": 1, "unrecognised_log_line": 1}, 0)  # the repeated eventID, the text line
    assert [a.get("nextToken") is not None for a in asked] == [False, True, True, True]
    assert "startTime" not in asked[0]
    newest = trail_group[-1][0]
    assert store.checkpoint(checkpoint_name(ACCOUNT, REGION, GROUP)) == iso_time(
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(newest // 1000)))
    assert dump(store) == dump(_reference(trail_group, tmp_path, "ref"))

    before, asked[:] = dump(store), []
    second = pull_logs([(ACCOUNT, session)], store, tmp_path / "q.jsonl", [GROUP])
    window_start = (newest // 1000 - int(TRAILING_WINDOW.total_seconds())) * 1000
    # the window, then the day before it, only counted (endTime: just before the window)
    assert [(a["startTime"], a.get("endTime")) for a in asked] == [
        (window_start, None), (window_start - int(LOOKBEHIND.total_seconds()) * 1000, window_start - 1)]
    # only the last minute's four events come back (the three-hour-old ones are outside the window), all seen
    assert (second.records, second.loaded, dict(second.skipped)) == (4, 0, {"seen_log_event": 4})
    # the three-hour-old ones were read by the first pull: nothing outside the window is missing
    assert (second.outside_window, second.notes, second.gaps) == (0, [], [])
    assert dump(store) == before


def test_expired_token_is_one_line_and_the_rerun_loses_nothing(trail_group, tmp_path: Path):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    session = boto3.Session(region_name=REGION)
    session.events.register("before-send.logs.FilterLogEvents", _expire_on(2))
    with pytest.raises(PullError) as failed:
        pull_logs([(ACCOUNT, session)], store, tmp_path / "q.jsonl", [GROUP], page_size=2)
    assert str(failed.value) == (
        "AWS refused the credentials (ExpiredTokenException) while reading CloudWatch Logs FilterLogEvents "
        f"({GROUP}, account {ACCOUNT}, {REGION}): The security token included in the request is expired")
    assert store.checkpoint(checkpoint_name(ACCOUNT, REGION, GROUP)) is None
    assert store.totals() == _reference(trail_group[:2], tmp_path, "page1").totals()  # the first page is kept

    rerun = pull_logs([(ACCOUNT, boto3.Session(region_name=REGION))], store, tmp_path / "q.jsonl", [GROUP],
                      page_size=2)
    assert (rerun.records, rerun.loaded, dict(rerun.skipped)) == (
        7, 3, {"seen_log_event": 2, "duplicate": 1, "unrecognised_log_line": 1})
    assert dump(store) == dump(_reference(trail_group, tmp_path, "ref"))


def test_bedrock_invocation_log_group(moto: str, tmp_path: Path):
    now = int(time.time() * 1000)
    lines = (FIXTURES / "bedrock-invocation-logs" / "constructed-invocations.jsonl").read_text().splitlines()
    messages = [(now - 10_000 + i, line) for i, line in enumerate(lines) if line.strip()]
    _put(BEDROCK_GROUP, messages)
    store = EmbeddedStore(tmp_path / "g.json.gz")
    summary = pull_logs([(ACCOUNT, boto3.Session(region_name=REGION))], store, tmp_path / "q.jsonl", [BEDROCK_GROUP],
                        filter_pattern='{ $.schemaType = "ModelInvocationLog" }')
    reference = _reference(messages, tmp_path, "ref")
    expected = load_deltas(list(unwrap({"messageType": "DATA_MESSAGE", "logEvents": [
        {"id": str(i), "timestamp": t, "message": m} for i, (t, m) in enumerate(messages)]}, "ref")),
        EmbeddedStore(tmp_path / "again.json.gz"), tmp_path / "again.q.jsonl")
    assert (summary.records, summary.loaded, summary.skipped, summary.quarantined) == (
        6, expected.loaded, expected.skipped, expected.quarantined)
    assert dump(store) == dump(reference)


def test_command(trail_group, aws_calls: set, tmp_path: Path):
    result = CliRunner().invoke(main, [
        "pull", "logs", "--log-group", GROUP, "--store", str(tmp_path / "g.json.gz"), "--format", "json",
        "--quarantine", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["records"], out["loaded"], out["objects"]) == (7, 5, {"log-event": 7, "page": 1})
    assert aws_calls <= AWS_CALLS
    assert aws_calls == {("sts", "GetCallerIdentity"), ("logs", "FilterLogEvents")}

    failing = CliRunner().invoke(main, ["pull", "logs", "--log-group", "no-such-group", "--store",
                                        str(tmp_path / "g.json.gz"), "--quarantine", str(tmp_path / "q.jsonl")])
    assert failing.exit_code == 1
    assert failing.output.count("\n") == 1 and failing.output.startswith(
        f"Error: CloudWatch Logs FilterLogEvents (no-such-group, account {ACCOUNT}, {REGION}) failed "
        "(ResourceNotFoundException): ")


def test_events_ingested_after_the_window_passed_are_counted_and_since_reaches_them(trail_group, tmp_path: Path):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    session = boto3.Session(region_name=REGION)
    pull_logs([(ACCOUNT, session)], store, tmp_path / "q.jsonl", [GROUP])
    # two events ingested late, two hours old: before the next scan's window (checkpoint minus 15 minutes)
    late = trail_group[-1][0] - 2 * 3600_000
    logs = boto3.client("logs", region_name=REGION)
    logs.put_log_events(logGroupName=GROUP, logStreamName=f"{ACCOUNT}_CloudTrail_{REGION}",
                        logEvents=[{"timestamp": late, "message": json.dumps(KMS[4])},
                                   {"timestamp": late + 1, "message": "late text line"}])
    second = pull_logs([(ACCOUNT, session)], store, tmp_path / "q.jsonl", [GROUP])
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(late // 1000))
    assert (second.records, second.loaded, second.outside_window) == (4, 0, 2)
    assert second.notes == [f"2 events older than the trailing window were not read: pull logs again with --since "
                            f"{since} to read them"]
    assert second.as_dict()["outside_window"] == 2 and second.gaps == []

    reached = pull_logs([(ACCOUNT, session)], store, tmp_path / "q.jsonl", [GROUP],
                        since=datetime.fromisoformat(since.replace("Z", "+00:00")))
    # the two late events are read (the CloudTrail one was loaded before from its first copy: a duplicate)
    assert (reached.records, reached.loaded, dict(reached.skipped)) == (
        6, 0, {"seen_log_event": 4, "duplicate": 1, "unrecognised_log_line": 1})
    assert pull_logs([(ACCOUNT, session)], store, tmp_path / "q.jsonl", [GROUP]).outside_window == 0


def _deny_group(session: boto3.Session, group: str) -> None:
    """FilterLogEvents on `group` answers AccessDeniedException, as an IAM policy without that group would."""

    def handler(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if json.loads(params["body"] or b"{}").get("logGroupName") != group:
            return None
        error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"},
                 "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse(None, 400, {}, None), error

    session.events.register("before-call.logs.FilterLogEvents", handler)


def test_a_denied_log_group_is_a_gap_and_the_others_are_read(trail_group, tmp_path: Path, monkeypatch):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    session = boto3.Session(region_name=REGION)
    _deny_group(session, BEDROCK_GROUP)
    summary = pull_logs([(ACCOUNT, session)], store, tmp_path / "q.jsonl", [BEDROCK_GROUP, GROUP])
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{BEDROCK_GROUP}"
    assert summary.gaps == [{"action": "logs:FilterLogEvents", "how": "denied", "resource": arn, "count": 1,
                             "unit": "log group"}]
    assert (summary.records, summary.loaded, dict(summary.skipped)) == (
        8, 5, {"access_denied:logs:FilterLogEvents": 1, "duplicate": 1, "unrecognised_log_line": 1})
    assert store.checkpoint(checkpoint_name(ACCOUNT, REGION, BEDROCK_GROUP)) is None
    assert store.checkpoint(checkpoint_name(ACCOUNT, REGION, GROUP)) is not None

    # the command: exit 3 and one gap line; --allow-partial exits 0 with the same line
    monkeypatch.setattr("graphgov.cli.accounts.aws_session", lambda profile=None: session)
    args = ["pull", "logs", "--log-group", BEDROCK_GROUP, "--log-group", GROUP, "--quarantine",
            str(tmp_path / "q.jsonl")]
    line = f"gap: logs:FilterLogEvents denied on {arn} (1 log group)"
    partial = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "a.json.gz"), "--format", "json"])
    assert partial.exit_code == 3, partial.output
    assert partial.stderr.splitlines() == [line, "partial pull: 1 gap (exit 3; --allow-partial exits 0)"]
    assert json.loads(partial.stdout)["gaps"] == summary.gaps
    allowed = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "b.json.gz"), "--allow-partial"])
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stderr.splitlines() == [line]
    assert "  skipped      1      access_denied:logs:FilterLogEvents" in allowed.stdout.splitlines()
