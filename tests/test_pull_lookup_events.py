"""`graphgov pull lookup-events` against a fake LookupEvents server (moto does not implement the call)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from fake_cloudtrail import epoch, fake_cloudtrail
from graph_dump import dump
from helpers import CLOUDTRAIL, fixture_json

from graphgov.aws.pullers import lookup_events
from graphgov.aws.pullers.lookup_events import AWS_CALLS, DEFAULT_SOURCES, checkpoint_name, pull_lookup_events
from graphgov.cli.app import main
from graphgov.ingest.pipeline import load_deltas
from graphgov.ingest.readers import unwrap
from graphgov.stores.embedded import EmbeddedStore

pytest_plugins = ("moto_server",)

ACCOUNT, REGION = "123456789012", "us-east-1"
NOW = datetime(2026, 1, 2, 10, 0, tzinfo=timezone.utc)  # after the newest fixture record
SINCE = datetime(2014, 1, 1, tzinfo=timezone.utc)


def _records() -> list[dict[str, Any]]:
    """Real records of four default sources: KMS (the guide's 51 distinct events), STS (3: the guide repeats one
    record), SageMaker and Bedrock (one each)."""
    kms: dict[str, dict[str, Any]] = {}
    for line in (CLOUDTRAIL / "kms-developer-guide.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("eventSource") == "kms.amazonaws.com":  # event history holds each eventID once
            kms.setdefault(record["eventID"], record)
    sts = fixture_json("cloudtrail/iam-user-guide-sts.json")["Records"]
    sagemaker = fixture_json("cloudtrail/amazon-sagemaker.cloudtrail.json")
    bedrock = fixture_json("cloudtrail/amazon-bedrock.cloudtrail.json")
    single = [r for doc in (sagemaker, bedrock) for r in (doc.get("Records") or [doc])]
    return list(kms.values()) + sts + single


RECORDS = _records()
PER_SOURCE = Counter(r["eventSource"] for r in RECORDS)


class FakeClock:
    """monotonic() and sleep() that only move when slept: the rate limit is measured, never waited for."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDTRAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def _pull(server: Any, store: EmbeddedStore, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
          since: datetime | None = SINCE, **kwargs: Any):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", server.url)
    return pull_lookup_events([(ACCOUNT, boto3.Session(region_name=REGION))], store, tmp_path / "q.jsonl",
                              since=since, clock=lambda: NOW, monotonic=clock.monotonic, sleep=clock.sleep,
                              **kwargs)


def test_pages_throttling_and_rate_limit(fake_env, backoffs: list[int], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch):
    clock = FakeClock()
    store = EmbeddedStore(tmp_path / "g.json.gz")
    with fake_cloudtrail(RECORDS, clock.monotonic, throttle_calls={2, 3, 7}) as server:
        summary = _pull(server, store, tmp_path, clock, monkeypatch, page_size=10)

    # one scan per default source, one lookup attribute per call, each source in turn; pages followed
    asked = [r.body for r in server.pages_asked()]
    assert [b["LookupAttributes"] for b in asked] == [
        [{"AttributeKey": "EventSource", "AttributeValue": s}] for s in DEFAULT_SOURCES
        for _ in range(max(1, -(-PER_SOURCE[s] // 10)))]
    assert [b.get("NextToken") for b in asked[:8]] == [None, None, None, "10", "20", "30", "40", "50"]
    assert PER_SOURCE == {"kms.amazonaws.com": 51, "sts.amazonaws.com": 3, "sagemaker.amazonaws.com": 1,
                          "bedrock.amazonaws.com": 1}
    assert {(b["StartTime"], b["EndTime"]) for b in asked} == {(SINCE.timestamp(), NOW.timestamp())}
    # throttled calls retried by botocore (backing off after attempt 1, then 2: two in a row, then 1); nothing lost
    assert [r.throttled for r in server.requests][:8] == [False, True, True, False, False, False, True, False]
    assert backoffs == [1, 2, 1]
    times = [r.time for r in server.requests]
    assert times == [1000.0 + 0.5 * n for n in range(len(times))]  # 2 requests/s exactly, botocore's retries too
    assert set(clock.slept) == {0.5}
    assert dict(summary.objects) == {"event": 56, "page": 12, "throttled": 3}

    # exactly what loading the same records from a file loads: no event lost or twice
    reference = EmbeddedStore(tmp_path / "ref.json.gz")
    expected = load_deltas([raw for r in RECORDS for raw in unwrap(r, "ref")], reference, tmp_path / "rq.jsonl")
    assert (summary.records, summary.loaded, summary.skipped, summary.quarantined) == (
        expected.records, expected.loaded, expected.skipped, expected.quarantined)
    assert summary.records == 56 and summary.loaded == expected.loaded
    assert dump(store) == dump(reference)
    newest = {s: max(r["eventTime"] for r in RECORDS if r["eventSource"] == s) for s in PER_SOURCE}
    assert {s: store.checkpoint(checkpoint_name(ACCOUNT, REGION, s)) for s in DEFAULT_SOURCES} == {
        **dict.fromkeys(DEFAULT_SOURCES), **newest}


def test_rerun_reads_only_the_trailing_window(fake_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    with fake_cloudtrail(RECORDS, FakeClock().monotonic) as server:
        first = _pull(server, store, tmp_path, FakeClock(), monkeypatch)
        before = dump(store)
        server.requests.clear()
        second = _pull(server, store, tmp_path, FakeClock(), monkeypatch, since=None)

    starts = {b["LookupAttributes"][0]["AttributeValue"]: b["StartTime"] for b in (r.body for r in server.requests)}
    window = timedelta(minutes=15).total_seconds()
    newest = {s: max(epoch(r["eventTime"]) for r in RECORDS if r["eventSource"] == s) for s in PER_SOURCE}
    assert starts == {s: newest[s] - window if s in newest else (NOW - timedelta(days=90)).timestamp()
                      for s in DEFAULT_SOURCES}
    in_window = [r for r in RECORDS if epoch(r["eventTime"]) >= newest[r["eventSource"]] - window]
    assert len(in_window) == 4 and first.records == 56
    # read again, nothing loaded: the loaded ones are known by eventID, SageMaker's ListTags is not modelled
    assert (second.records, second.loaded, dict(second.skipped), second.quarantined) == (
        4, 0, {"duplicate": 3, "unsupported_event": 1}, 0)
    assert dump(store) == before


def test_throttled_beyond_retries_is_a_gap_the_other_scans_go_on_and_rerun_loses_nothing(
        fake_env, backoffs: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    clock = FakeClock()
    # the kms scan's first page is served, then every attempt at its second page is throttled
    with fake_cloudtrail(RECORDS, clock.monotonic, throttle_calls=set(range(4, 10))) as server:
        first = _pull(server, store, tmp_path, clock, monkeypatch, page_size=50)
        assert [r.throttled for r in server.requests][3:10] == [True] * 6 + [False]  # six attempts, then a gap
        assert backoffs == [1, 2, 3, 4, 5]  # five backoffs between them
        assert first.objects["throttled"] == 5  # the requests repeated
        assert first.gaps == [{"action": "cloudtrail:LookupEvents", "how": "throttled out",
                               "resource": f"lookup-events:{ACCOUNT}:{REGION}:kms.amazonaws.com", "count": 1,
                               "unit": "scan"}]
        assert first.skipped["throttled:cloudtrail:LookupEvents"] == 1 and first.balanced
        assert (first.records, first.objects["scan_incomplete"]) == (3 + 50 + 1 + 1 + 1, 1)  # + the gap's record
        assert store.checkpoint(checkpoint_name(ACCOUNT, REGION, "kms.amazonaws.com")) is None
        # the scans after kms's were read (their checkpoints moved)
        assert store.checkpoint(checkpoint_name(ACCOUNT, REGION, "bedrock.amazonaws.com")) is not None
        server.throttle_calls.clear()
        rerun = _pull(server, store, tmp_path, FakeClock(), monkeypatch, page_size=50)
    assert rerun.gaps == []

    reference = EmbeddedStore(tmp_path / "ref.json.gz")
    full = load_deltas([raw for r in RECORDS for raw in unwrap(r, "ref")], reference, tmp_path / "rq.jsonl")
    assert dump(store) == dump(reference)
    # what the partial run had loaded (STS, KMS's newest 50 events, SageMaker's and Bedrock's) is read again and
    # skipped, nothing twice
    kms = sorted((r for r in RECORDS if r["eventSource"] == "kms.amazonaws.com"),
                 key=lambda r: (-epoch(r["eventTime"]), r["eventID"]))
    after = [r for r in RECORDS if r["eventSource"] in ("sagemaker.amazonaws.com", "bedrock.amazonaws.com")]
    partial = load_deltas([raw for r in RECORDS[-5:-2] + kms[:50] + after for raw in unwrap(r, "p")],
                          EmbeddedStore(tmp_path / "partial.json.gz"), tmp_path / "pq.jsonl")
    assert (partial.loaded, full.loaded, dict(full.skipped)) == (
        27, 27, {"duplicate": 1, "failed_call": 1, "unsupported_event": 27})  # the guide repeats one STS eventID
    assert (rerun.records, rerun.loaded, dict(rerun.skipped)) == (
        56, full.loaded - partial.loaded, {"duplicate": partial.loaded + 1, "failed_call": 1, "unsupported_event": 27})


def test_command_against_the_fake_server(moto: str, aws_calls: set, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch):
    with fake_cloudtrail(RECORDS, lambda: 0.0) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", server.url)  # STS and the rest: moto
        result = CliRunner().invoke(main, [
            "pull", "lookup-events", "--store", str(tmp_path / "g.json.gz"), "--format", "json",
            "--since", "2014-01-01", "--event-source", "sagemaker.amazonaws.com",
            "--event-source", "bedrock.amazonaws.com", "--quarantine", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["records"], out["objects"]) == (2, {"event": 2, "page": 2})
    assert aws_calls <= AWS_CALLS
    assert aws_calls == {("sts", "GetCallerIdentity"), ("cloudtrail", "LookupEvents")}


def test_command_exits_3_on_a_scan_throttled_out_and_0_with_allow_partial(moto: str, backoffs: list[int],
                                                                          tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(lookup_events, "REQUESTS_PER_SECOND", 1000.0)
    args = ["pull", "lookup-events", "--since", "2014-01-01", "--event-source", "sagemaker.amazonaws.com",
            "--event-source", "bedrock.amazonaws.com", "--quarantine", str(tmp_path / "q.jsonl")]
    gap = (f"gap: cloudtrail:LookupEvents throttled out on lookup-events:{ACCOUNT}:{REGION}:bedrock.amazonaws.com"
           " (1 scan)")
    for flags, code in (([], 3), (["--allow-partial"], 0)):
        # call 1 is SageMaker's scan; every attempt at Bedrock's (calls 2 to 7) is throttled
        with fake_cloudtrail(RECORDS, lambda: 0.0, throttle_calls=set(range(2, 8))) as server:
            monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", server.url)
            result = CliRunner().invoke(main, [*args, *flags, "--store", str(tmp_path / f"g{code}.json.gz")])
        assert result.exit_code == code, result.output
        assert result.stderr.splitlines() == [gap] + (
            ["partial pull: 1 gap (exit 3; --allow-partial exits 0)"] if code else [])
        assert "  skipped      1      throttled:cloudtrail:LookupEvents" in result.stdout.splitlines()
        assert "  skipped      1      unsupported_event" in result.stdout.splitlines()  # SageMaker's ListTags
