"""`graphgov pull cloudtrail-s3` against a real moto server: an organisation trail's bucket, read once.

The bucket holds `graphgov generate` output (seed 0, 1,000 records): the organisation trail's delivery
files of accounts 111111111111, 222222222222 and 333333333333 in eu-west-1 and us-east-1, re-keyed so
each (account, Region) has files on two days (2026-01-05 and 2026-01-06), under the prefix `trail/`,
with the trail's digest files beside them. The graph a pull builds must equal the graph `graphgov load`
builds from the same files on disk.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ResponseStreamingError
from click.testing import CliRunner
from graph_dump import dump

import graphgov.aws.pullers.s3_objects as s3_objects
from graphgov.aws.pullers.cloudtrail_s3 import AWS_CALLS, pull_cloudtrail_s3
from graphgov.aws.pullers.s3_objects import BODY_READS, object_marker
from graphgov.aws.session import PullError, aws_session
from graphgov.cli.app import main
from graphgov.generate import generate
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from graphgov.stores.embedded import EmbeddedStore

pytest_plugins = ("moto_server",)

BUCKET, PREFIX, ORG = "acme-org-cloudtrail", "trail/", "o-exampleorg1"
ACCOUNTS, REGIONS = ("111111111111", "222222222222", "333333333333"), ("eu-west-1", "us-east-1")
DAYS = ("2026/01/05", "2026/01/06")
# The 3 accounts x 2 Regions hold 23 delivery files (3 or 4 per stream) with 823 CloudTrail records:
# 2 delivered twice, 10 role owners' copies of cross-account calls, 85 events the graph does not model
# and the planted record without an eventID (quarantined). (Figures since issue 11's generator plants.)
FILES, RECORDS = 23, 823


# --- the bucket's content ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out, seed=0, records=1000)
    return out / "cloudtrail"


def trail_objects(generated: Path, accounts: tuple[str, ...] = ACCOUNTS) -> dict[str, bytes]:
    """Key -> bytes of the delivery and digest files of `accounts`: of each stream's files (in name
    order) the first half stays on 2026-01-05 and the rest moves to 2026-01-06 (folder and file name)."""
    objects: dict[str, bytes] = {}
    for account in accounts:
        for region in REGIONS:
            for kind in ("CloudTrail", "CloudTrail-Digest"):
                base = generated / "AWSLogs" / ORG / account / kind / region / "2026/01/05"
                files = sorted(base.iterdir())
                for index, path in enumerate(files):
                    day = DAYS[0] if index < len(files) // 2 else DAYS[1]
                    name = path.name.replace("_20260105T", f"_{day.replace('/', '')}T")
                    objects[f"{PREFIX}AWSLogs/{ORG}/{account}/{kind}/{region}/{day}/{name}"] = path.read_bytes()
    return objects


def delivery_keys(objects: dict[str, bytes]) -> list[str]:
    return sorted(key for key in objects if "/CloudTrail/" in key)


def upload(objects: dict[str, bytes]) -> None:
    s3 = boto3.client("s3")
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def on_disk(objects: dict[str, bytes], root: Path) -> Path:
    for key, body in objects.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return root


@pytest.fixture
def bucket(moto: str, generated: Path) -> dict[str, bytes]:
    """The trail bucket on the moto server, with a non-CloudTrail folder beside the trail's."""
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    objects = trail_objects(generated)
    objects[f"{PREFIX}AWSLogs/{ORG}/111111111111/Config/eu-west-1/2026/01/05/config.json.gz"] = b"not read"
    objects[f"{PREFIX}AWSLogs/{ORG}/111111111111/CloudTrail-Insight/eu-west-1/2026/01/05/x.json.gz"] = b"not read"
    upload(objects)
    return objects


@pytest.fixture(scope="module")
def reference(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`graphgov load` of the same delivery files: the graph every pull must end with."""
    objects = trail_objects(generated)
    root = on_disk({k: v for k, v in objects.items() if "/CloudTrail/" in k}, tmp_path_factory.mktemp("files"))
    store = EmbeddedStore(root / "graph.json.gz")
    summary = load_paths([root / PREFIX], store, root / "q.jsonl")
    return {"dump": dump(store), "summary": summary}


def store_at(path: Path) -> EmbeddedStore:
    return EmbeddedStore(path / "graph.json.gz")


def pull(store: Any, tmp_path: Path, session: boto3.Session | None = None, **kwargs: Any) -> Any:
    return pull_cloudtrail_s3(session or aws_session(), store, tmp_path / "q.jsonl", BUCKET, "trail", **kwargs)


def stream(account: str, region: str) -> str:
    return f"cloudtrail-s3:{BUCKET}/{PREFIX}AWSLogs/{ORG}/{account}/CloudTrail/{region}/"


def listed_prefixes(session: boto3.Session) -> list[tuple[str, bool]]:
    """Every ListObjectsV2 the session's clients make, as (prefix, with delimiter)."""
    seen: list[tuple[str, bool]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append((params["Prefix"], "Delimiter" in params))

    session.events.register("provide-client-params.s3.ListObjectsV2", record)
    return seen


# --- a whole organisation bucket, pulled twice ---------------------------------------------------------


SUMMARY = {
    "records": RECORDS, "loaded": 725, "quarantined": 1, "files": FILES,
    "skipped": {"duplicate": 2, "shared_event_copy": 10, "unsupported_event": 85},
}
# with each account's membership the organisation trail's folder proves, and roles whose trust policy no
# record shows as unknown assume targets (issue 11)
# (issue 11's generator plants add project 1's data preparation: a processing job, two training jobs, a model,
# the prepared bucket and its key; execution roles may write prepared data)
NODES, EDGES = 611, 1591
ACCESS_EDGES = {"CAN_ASSUME": 27, "CAN_DECRYPT": 23, "CAN_INVOKE": 3, "CAN_READ": 94, "CAN_WRITE": 49,
                "INPUT_READABLE_BY": 87}
TRAIN = "arn:aws:iam::222222222222:role/AmazonSageMaker-ExecutionRole-20260105T"
# The cross-account role assumptions in the three accounts' trails (the vendor's call is seen from 111... only).
ASSUMPTIONS = [
    (f"{TRAIN}000000", "arn:aws:iam::111111111111:role/TrainingDataAccess"),
    (f"{TRAIN}000533", "arn:aws:iam::111111111111:role/TrainingDataAccess"),
    (f"{TRAIN}001106", "arn:aws:iam::111111111111:role/TrainingDataAccess"),
    ("arn:aws:iam::222222222222:role/MLEngineer", "arn:aws:iam::111111111111:role/TrainingDataAccess"),
    ("arn:aws:iam::555555555555:root", "arn:aws:iam::111111111111:role/LabelingVendorAccess"),
]


def test_org_bucket_pull_equals_load_and_a_second_pull_reads_nothing(bucket, reference, tmp_path, aws_calls):
    aws_calls.clear()  # the fixture's uploads are not the puller's calls
    store = store_at(tmp_path)
    summary = pull(store, tmp_path)
    assert aws_calls == {("s3", "ListObjectsV2"), ("s3", "GetObject")} and aws_calls <= AWS_CALLS
    got = summary.as_dict()
    assert {k: got[k] for k in SUMMARY} == SUMMARY
    assert summary.balanced
    # 1 AWSLogs/ + 1 organisation + 3 accounts' Regions + per stream (6): 1 year, 1 month, 1 days, 2 day listings
    assert got["objects"] == {"list_page": 5 + 6 * 5, "s3_object": FILES, "s3_object_already_read": 0}
    assert (got["nodes"], got["edges"], got["access"]["edges"]) == (NODES, EDGES, ACCESS_EDGES)
    assert dump(store) == reference["dump"]
    ref = reference["summary"]
    assert (ref.records, ref.loaded, ref.quarantined, dict(ref.skipped)) == (
        RECORDS, SUMMARY["loaded"], SUMMARY["quarantined"], SUMMARY["skipped"])
    assert store.checkpoints == {stream(a, r): "2026-01-06" for a in ACCOUNTS for r in REGIONS}
    assert store.unseen(object_marker(BUCKET, key) for key in bucket) == {
        object_marker(BUCKET, key) for key in bucket if "/CloudTrail/" not in key}  # digests etc. never read
    (entry,) = [json.loads(line) for line in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert entry["location"].startswith(f"s3://{BUCKET}/{PREFIX}AWSLogs/{ORG}/") and "eventID" in entry["error"]

    assumptions = ask(store, "cross-account-assumptions", {})
    assert [(r["principal"], r["role"]) for r in assumptions] == ASSUMPTIONS

    store.commit()
    again = pull(store_at(tmp_path), tmp_path)  # a fresh process: only what was committed
    assert again.as_dict()["objects"] == {"list_page": 5 + 6 * 5, "s3_object": 0, "s3_object_already_read": FILES}
    assert (again.records, again.loaded, again.files) == (0, 0, 0)
    assert dump(store_at(tmp_path)) == reference["dump"]



# --- late files, --since, explicit accounts and Regions --------------------------------------------------


def test_a_late_file_in_a_listed_day_is_read_by_the_next_pull(moto, generated, reference, tmp_path):
    """Files delivered into the checkpoint day or the day before after a pull are read by the next
    one; a day older than that is not listed again (the documented window)."""
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    objects = trail_objects(generated)
    keys = delivery_keys(objects)
    late = [keys[0], keys[-1]]  # 111...'s eu-west-1 on 2026-01-05 and 333...'s us-east-1 on 2026-01-06
    assert "/2026/01/05/" in late[0] and "/2026/01/06/" in late[1]
    upload({k: v for k, v in objects.items() if k not in late})
    store = store_at(tmp_path)
    first = pull(store, tmp_path)
    assert (first.files, first.objects["s3_object"]) == (FILES - 2, FILES - 2)
    assert store.checkpoint(stream("111111111111", "eu-west-1")) == "2026-01-06"

    upload({k: objects[k] for k in late})
    too_old = keys[1].replace("/2026/01/05/", "/2026/01/04/")  # a day before the window: not listed again
    upload({too_old: objects[keys[1]]})
    second = pull(store, tmp_path)
    assert second.objects["s3_object"] == 2 and second.objects["s3_object_already_read"] == FILES - 2
    assert second.files == 2 and second.loaded > 0
    assert store.unseen([object_marker(BUCKET, k) for k in (*late, too_old)]) == {object_marker(BUCKET, too_old)}
    assert first.loaded + second.loaded == SUMMARY["loaded"]
    # The same graph as `graphgov load` of the same files in the same two steps. (Not quite the one-step
    # graph: the access derivation after the first step writes principal nodes stamped with that step's
    # time, e.g. 555555555555:root's last_seen, which the second step does not rewrite.)
    files = {k: v for k, v in objects.items() if "/CloudTrail/" in k}
    early = on_disk({k: v for k, v in files.items() if k not in late}, tmp_path / "early")
    later = on_disk({k: files[k] for k in late}, tmp_path / "late")
    loaded = EmbeddedStore(tmp_path / "loaded.json.gz")
    load_paths([early / PREFIX], loaded, tmp_path / "lq.jsonl")
    load_paths([later / PREFIX], loaded, tmp_path / "lq.jsonl")
    assert dump(store) == dump(loaded)
    assert {k: v for k, v in dump(store).items() if k == "edges"} == {"edges": reference["dump"]["edges"]}


def test_relist_days_reaches_files_delivered_longer_after_their_day(moto, generated, tmp_path):
    """After a delivery delay, --relist-days lists older days again; files already read stay unread."""
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    objects = trail_objects(generated)
    keys = delivery_keys(objects)
    upload(objects)
    store = store_at(tmp_path)
    first = pull(store, tmp_path)
    assert first.objects["s3_object"] == FILES
    delayed = keys[1].replace("/2026/01/05/", "/2026/01/04/")  # two days before the checkpoint (2026-01-06)
    upload({delayed: objects[keys[1]]})  # a second copy: its records are duplicates of the first
    assert pull(store, tmp_path).objects["s3_object"] == 0  # the default window: the day before only
    with pytest.raises(PullError, match="relist days must be 0 or more"):
        pull(store, tmp_path, relist_days=-1)
    third = pull(store, tmp_path, relist_days=2)
    assert (third.objects["s3_object"], third.objects["s3_object_already_read"]) == (1, FILES)
    assert store.unseen([object_marker(BUCKET, delayed)]) == set()
    # the copy's records were loaded from its twin: nothing new, nothing lost
    assert (third.records, third.loaded, third.quarantined, dict(third.skipped)) == (
        172, 0, 0, {"duplicate": 164, "unsupported_event": 8})


def test_since_and_explicit_accounts_and_regions_limit_the_listing(moto, generated, tmp_path):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    objects = trail_objects(generated, ("111111111111", "222222222222", "333333333333", "444444444444"))
    upload(objects)
    session = aws_session()
    listed = listed_prefixes(session)
    store = store_at(tmp_path)
    summary = pull(store, tmp_path, session, org_id=ORG, accounts=("333333333333", "111111111111"),
                   regions=("us-east-1",), since=date(2026, 1, 6))
    streams = [f"{PREFIX}AWSLogs/{ORG}/{a}/CloudTrail/us-east-1/" for a in ("111111111111", "333333333333")]
    assert listed == [p for s in streams for p in (
        (s, True), (f"{s}2026/", True), (f"{s}2026/01/", True), (f"{s}2026/01/06/", False))]
    wanted = [k for k in delivery_keys(objects) if "/us-east-1/2026/01/06/" in k
              and ("/111111111111/" in k or "/333333333333/" in k)]
    assert summary.objects["s3_object"] == summary.files == len(wanted) == 4
    assert store.unseen(object_marker(BUCKET, k) for k in objects) == {
        object_marker(BUCKET, k) for k in objects if k not in wanted}
    assert store.checkpoints == {stream("111111111111", "us-east-1"): "2026-01-06",
                                 stream("333333333333", "us-east-1"): "2026-01-06"}

    # accounts without --org-id: AWSLogs/ and the organisation folder are listed to find them
    listed.clear()
    again = pull(store, tmp_path, session, accounts=("444444444444",), regions=("eu-west-1",), since=date(2026, 1, 6))
    s = f"{PREFIX}AWSLogs/{ORG}/444444444444/CloudTrail/eu-west-1/"
    assert listed == [(f"{PREFIX}AWSLogs/", True), (f"{PREFIX}AWSLogs/{ORG}/", True), (s, True), (f"{s}2026/", True),
                      (f"{s}2026/01/", True), (f"{s}2026/01/06/", False)]
    assert again.objects["s3_object"] == 2  # the shadow account's files of 2026-01-06 (seed 0, 1,000 records)


def test_malformed_filters_fail_before_any_request(moto, tmp_path, aws_calls):
    with pytest.raises(PullError, match="not an AWS account id: '1111'"):
        pull(store_at(tmp_path), tmp_path, accounts=("1111",))
    with pytest.raises(PullError, match="not an organisation id"):
        pull(store_at(tmp_path), tmp_path, org_id="org-1")
    assert aws_calls == set()


def test_a_missing_bucket_is_one_error(moto, tmp_path):
    with pytest.raises(PullError, match=f"cannot read s3://{BUCKET}/{PREFIX}AWSLogs/: NoSuchBucket"):
        pull(store_at(tmp_path), tmp_path)


# --- faults ----------------------------------------------------------------------------------------------


class CrashingStore:
    """An embedded store made durable at every write, whose `crash_at`-th write stores the chunk but not
    the markers and checkpoints that came with it, then fails: a crash between the two."""

    def __init__(self, path: Path, crash_at: int | None) -> None:
        self.inner, self.crash_at, self.writes = EmbeddedStore(path), crash_at, 0
        self.marker_writes: list[int] = []  # the writes that carried markers

    def write(self, aggregate: Any, seen: Any, checkpoints: Any = None) -> None:
        self._write(lambda s, c: self.inner.write(aggregate, s, c), seen, checkpoints)

    def write_claimed(self, aggregate: Any, seen: Any, claims: Any, checkpoints: Any = None,
                      pending: Any = None) -> None:
        """The pipeline's write (claims matter only to Neo4j); the load's last write also settles the
        pending layer (graphgov.ingest.pending), which the crash keeps with the chunk."""
        self._write(lambda s, c: self.inner.write_claimed(aggregate, s, claims, c, pending), seen, checkpoints)

    def _write(self, write: Callable[[Any, Any], None], seen: Any, checkpoints: Any) -> None:
        self.writes += 1
        if any(key.startswith("s3obj:") for key in seen):
            self.marker_writes.append(self.writes)
        if self.writes == self.crash_at:
            write({k: v for k, v in seen.items() if not k.startswith("s3obj:")}, None)
            self.inner.commit()
            raise RuntimeError("crash after the chunk, before its markers")
        write(seen, checkpoints)
        self.inner.commit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The LoadRuns the pullers start, to read a crashed run's account."""
    started: list[Any] = []

    class Recorded(s3_objects.PullRun):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(s3_objects, "PullRun", Recorded)
    return started


@pytest.mark.parametrize("crash_at", [2, 5, "markers"])
def test_a_crash_between_a_chunk_and_its_markers_loses_and_doubles_nothing(bucket, reference, tmp_path, runs,
                                                                           crash_at):
    clean = CrashingStore(tmp_path / "clean.json.gz", None)
    clean_summary = pull(clean, tmp_path, chunk_records=100)
    assert clean_summary.loaded == SUMMARY["loaded"] and dump(clean.inner) == reference["dump"]

    path = tmp_path / "crashed.json.gz"
    # Poorer copies of cross-account calls wait for the run's end, and the markers with them: one write has them all
    assert len(clean.marker_writes) == 1 and clean.writes > 5
    crashing = CrashingStore(path, clean.marker_writes[-1] if crash_at == "markers" else crash_at)
    with pytest.raises(RuntimeError, match="crash after the chunk"):
        pull(crashing, tmp_path, chunk_records=100)
    crashed = runs[-1].summary
    rerun_store = EmbeddedStore(path)  # the next process sees what was made durable
    rerun = pull(rerun_store, tmp_path, chunk_records=100)
    assert dump(rerun_store) == dump(clean.inner) == reference["dump"]
    # nothing loaded twice, nothing lost (the dumps above); a run counts a record loaded only once its write
    # returned (issue 12), so the records of the write that crashed after committing are in the store but in
    # neither run's `loaded`: at most one chunk of them
    assert 0 <= clean_summary.loaded - crashed.loaded - rerun.loaded <= 100
    assert rerun.records == RECORDS  # no marker survived the crash: every object is read again
    # what the crashed run wrote comes back as duplicates (its loaded records, and the copies of shared calls
    # it had already settled); everything else is accounted as in a clean run
    assert rerun.loaded + rerun.skipped["duplicate"] + rerun.skipped["shared_event_copy"] == RECORDS - 85 - 1
    assert (rerun.skipped["unsupported_event"], rerun.quarantined) == (85, 1)
    assert rerun.skipped["duplicate"] >= SUMMARY["skipped"]["duplicate"] + crashed.loaded
    assert rerun_store.checkpoints == clean.inner.checkpoints
    assert not rerun_store.unseen(object_marker(BUCKET, k) for k in delivery_keys(bucket))


def s3_error(code: str, status: int) -> AWSResponse:
    body = f"<Error><Code>{code}</Code><Message>injected {code}</Message></Error>".encode()

    class Raw:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield body

    return AWSResponse("https://injected", status, {}, Raw())


def fail_first(times: int, code: str, status: int, calls: list[str]) -> Callable[..., AWSResponse | None]:
    """A before-send hook answering the first `times` requests with an S3 error."""

    def hook(request: Any, **_: Any) -> AWSResponse | None:
        calls.append(request.url)
        return s3_error(code, status) if len(calls) <= times else None

    return hook


def test_throttling_is_retried_by_botocore_and_nothing_is_lost(bucket, reference, tmp_path, backoffs):
    session = aws_session()
    gets: list[str] = []
    lists: list[str] = []
    session.events.register("before-send.s3.GetObject", fail_first(3, "SlowDown", 503, gets))
    session.events.register("before-send.s3.ListObjectsV2", fail_first(1, "ServiceUnavailable", 503, lists))
    store = store_at(tmp_path)
    summary = pull(store, tmp_path, session)
    assert summary.objects["retry"] == 4 and backoffs == [1, 1, 2, 3]  # the listing's, then one object's 3
    assert len(gets) == FILES + 3
    assert {k: summary.as_dict()[k] for k in SUMMARY} == SUMMARY
    assert dump(store) == reference["dump"]


def test_throttling_that_does_not_end_stops_the_pull_and_the_next_pull_completes(bucket, reference, tmp_path,
                                                                                   backoffs):
    session = aws_session()
    gets: list[str] = []
    session.events.register("before-send.s3.GetObject", fail_first(10**6, "SlowDown", 503, gets))
    store = store_at(tmp_path)
    with pytest.raises(PullError, match=r"still failing after 3 attempts \(SlowDown\)"):
        pull(store, tmp_path, session, attempts=3)
    assert len(gets) == 3 and backoffs == [1, 2] and store.checkpoints == {}
    summary = pull(store, tmp_path)
    assert {k: summary.as_dict()[k] for k in SUMMARY} == SUMMARY
    assert dump(store) == reference["dump"]


class BreakingBody:
    """A GetObject body whose read breaks off after `after` bytes, as a connection reset mid-object does."""

    def __init__(self, body: Any, after: int) -> None:
        self.body, self.after, self.given = body, after, 0

    def read(self, amount: int | None = None) -> bytes:
        if self.given >= self.after:
            raise ResponseStreamingError(error="Connection broken: IncompleteRead")
        left = self.after - self.given
        data = self.body.read(min(amount, left) if amount else left)
        self.given += len(data)
        return data

    def close(self) -> None:
        self.body.close()


def break_bodies(session: boto3.Session, breaks: int, after: int) -> list[dict[str, Any]]:
    """The bodies of the session's first `breaks` GetObject answers break off after `after` bytes; returns
    each GetObject asked for, as its Key, Range and IfMatch."""
    asked: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        asked.append({name: params.get(name) for name in ("Key", "Range", "IfMatch")})

    def wrap(parsed: dict[str, Any], **_: Any) -> None:
        if len(asked) <= breaks and "Body" in parsed:
            parsed["Body"] = BreakingBody(parsed["Body"], after)

    session.events.register("provide-client-params.s3.GetObject", record)
    session.events.register("after-call.s3.GetObject", wrap)
    return asked


def test_a_body_broken_mid_read_is_read_on_from_the_byte_it_reached(bucket, reference, tmp_path):
    session = aws_session()
    asked = break_bodies(session, breaks=1, after=100)
    store = store_at(tmp_path)
    summary = pull(store, tmp_path, session)
    key = asked[0]["Key"]
    etag = f'"{hashlib.md5(bucket[key]).hexdigest()}"'  # noqa: S324 - S3's ETag of a single-part upload
    assert asked[:2] == [{"Key": key, "Range": None, "IfMatch": None},
                         {"Key": key, "Range": "bytes=100-", "IfMatch": etag}]  # the same object, from byte 100
    assert len(asked) == FILES + 1 and summary.objects["retry"] == 1
    assert {k: summary.as_dict()[k] for k in SUMMARY} == SUMMARY  # every record once: none lost, none twice
    assert dump(store) == reference["dump"]


def test_a_body_that_keeps_breaking_stops_the_pull_after_its_reads_and_the_next_pull_completes(
        bucket, reference, tmp_path):
    session = aws_session()
    asked = break_bodies(session, breaks=10**6, after=100)
    store = store_at(tmp_path)
    with pytest.raises(PullError, match=rf"^cannot read s3://{BUCKET}/{PREFIX}AWSLogs/\S+: the body broke off "
                                        rf"{BODY_READS} times, the last at byte 300: .*IncompleteRead"):
        pull(store, tmp_path, session)
    key = asked[0]["Key"]
    assert BODY_READS == 3 and [(a["Key"], a["Range"]) for a in asked] == [
        (key, None), (key, "bytes=100-"), (key, "bytes=200-")]
    assert store.unseen([object_marker(BUCKET, key)]) == {object_marker(BUCKET, key)}  # not marked: read again
    summary = pull(store, tmp_path)
    assert {k: summary.as_dict()[k] for k in SUMMARY} == SUMMARY
    assert dump(store) == reference["dump"]


def test_an_object_deleted_between_list_and_get_is_skipped_as_gone_and_marked(bucket, tmp_path):
    session = aws_session()
    victim = delivery_keys(bucket)[3]

    def delete_first(params: dict[str, Any], **_: Any) -> None:
        if params["Key"] == victim:
            boto3.client("s3").delete_object(Bucket=BUCKET, Key=victim)

    session.events.register("provide-client-params.s3.GetObject", delete_first)
    store = store_at(tmp_path)
    summary = pull(store, tmp_path, session)
    assert summary.skipped["gone:s3:GetObject"] == 1 and summary.balanced
    assert summary.objects["s3_object_gone"] == 1 and summary.objects["s3_object"] == FILES - 1
    assert not store.unseen([object_marker(BUCKET, victim)])  # gone: not asked for again
    assert pull(store, tmp_path).objects["s3_object"] == 0


def test_an_object_the_caller_may_not_read_is_skipped_and_read_once_allowed(bucket, reference, tmp_path):
    session = aws_session()
    denied = delivery_keys(bucket)[5]

    def deny(request: Any, **_: Any) -> AWSResponse | None:
        return s3_error("AccessDenied", 403) if request.url.endswith(denied.rsplit("/", 1)[-1]) else None

    session.events.register("before-send.s3.GetObject", deny)
    store = store_at(tmp_path)
    summary = pull(store, tmp_path, session)
    assert summary.skipped["access_denied:s3:GetObject"] == 1 and summary.objects["s3_object_denied"] == 1
    assert store.unseen([object_marker(BUCKET, denied)])  # not marked
    again = pull(store, tmp_path)
    assert again.objects["s3_object"] == 1 and summary.loaded + again.loaded == SUMMARY["loaded"]
    assert dump(store) == reference["dump"]


def denying(session: boto3.Session, account: str, unlisted: str) -> tuple[list[str], str]:
    """Deny s3:GetObject on every delivery file of `account` and the listing of the stream folder `unlisted`,
    as a bucket policy would (AWS answers 403 AccessDenied): the denied keys and the folder."""
    keys = [key for key in delivery_keys(boto3_objects()) if f"/{account}/" in key]
    names = {key.rsplit("/", 1)[-1] for key in keys}

    def deny_get(request: Any, **_: Any) -> AWSResponse | None:
        return s3_error("AccessDenied", 403) if unquote(request.url).rsplit("/", 1)[-1] in names else None

    def deny_list(request: Any, **_: Any) -> AWSResponse | None:
        return s3_error("AccessDenied", 403) if f"prefix={unlisted}" in unquote(request.url) else None

    session.events.register("before-send.s3.GetObject", deny_get)
    session.events.register("before-send.s3.ListObjectsV2", deny_list)
    return keys, unlisted


def boto3_objects() -> dict[str, None]:
    """The keys in the bucket (from the moto server)."""
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return {entry["Key"]: None for page in pages for entry in page.get("Contents") or ()}


def test_denied_objects_and_a_denied_folder_are_gaps_the_rest_loads_and_a_permitted_rerun_completes(
        bucket, reference, tmp_path):
    session = aws_session()
    unlisted = f"{PREFIX}AWSLogs/{ORG}/333333333333/CloudTrail/eu-west-1/"
    keys, _ = denying(session, "222222222222", unlisted)
    assert len(keys) == 8
    store = store_at(tmp_path)
    summary = pull(store, tmp_path, session)
    assert summary.gaps == [
        {"action": "s3:GetObject", "how": "denied", "resource": f"s3://{BUCKET}/{PREFIX}AWSLogs/{ORG}/222222222222/"
         "CloudTrail/*", "count": 8, "unit": "object"},
        {"action": "s3:ListBucket", "how": "denied", "resource": f"s3://{BUCKET}/{unlisted}", "count": 1,
         "unit": "folder"}]
    assert (summary.skipped["access_denied:s3:GetObject"], summary.skipped["access_denied:s3:ListObjectsV2"]) == (8, 1)
    assert summary.balanced and summary.objects["list_denied"] == 1
    assert store.checkpoint(stream("333333333333", "eu-west-1")) is None  # never listed: read from the start again
    assert store.checkpoint(stream("333333333333", "us-east-1")) == "2026-01-06"
    # both days of 222's streams hold denied objects: their checkpoints stay, the next pulls list them again
    assert [store.checkpoint(stream("222222222222", region)) for region in REGIONS] == [None, None]

    again = pull(store, tmp_path)  # permitted now: the gaps are read, nothing twice
    # the role owner's copies of the 10 cross-account calls whose callers' trail was denied loaded as pending
    # in the first pull; the callers' copies replace them in the second (graphgov.ingest.pending): both count loaded
    assert again.gaps == [] and summary.loaded + again.loaded == SUMMARY["loaded"] + 10
    assert [store.checkpoint(stream("222222222222", region)) for region in REGIONS] == ["2026-01-06"] * 2
    assert store.unseen([object_marker(BUCKET, key) for key in delivery_keys(bucket)]) == set()
    assert dump(store) == reference["dump"]  # the graph loaded in two parts is the one loaded whole


# --- the command line ------------------------------------------------------------------------------------


def test_cli_json_and_text(bucket, tmp_path):
    store = tmp_path / "graph.json.gz"
    args = ["pull", "cloudtrail-s3", "--bucket", BUCKET, "--prefix", "trail/", "--store", str(store),
            "--quarantine", str(tmp_path / "q.jsonl"), "--accounts", "111111111111,222222222222",
            "--accounts", "333333333333", "--regions", "eu-west-1", "--regions", "us-east-1"]
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {k: out[k] for k in SUMMARY} == SUMMARY
    assert (out["nodes"], out["edges"]) == (NODES, EDGES)
    assert out["objects"] == {"list_page": 2 + 6 * 5, "s3_object": FILES, "s3_object_already_read": 0}
    assert out["quarantine_file"] == str(tmp_path / "q.jsonl")

    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"0 records from 0 S3 objects in s3://{BUCKET}/trail/ into embedded store {store}"
    assert f"  read         {FILES}     s3_object_already_read" in lines
    assert lines[-1] == f"graph now holds {NODES} nodes and {EDGES} edges"

    bad = CliRunner().invoke(main, [*args, "--accounts", "12"])
    assert bad.exit_code == 1 and bad.output == "Error: not an AWS account id: '12' (expected 12 digits)\n"


def test_cli_exits_3_with_one_line_per_gap_and_0_with_allow_partial(bucket, tmp_path, monkeypatch):
    denied, permitted = aws_session(), aws_session()
    unlisted = f"{PREFIX}AWSLogs/{ORG}/333333333333/CloudTrail/eu-west-1/"
    denying(denied, "222222222222", unlisted)
    sessions = [denied, denied, permitted]
    monkeypatch.setattr("graphgov.aws.session.aws_session", lambda profile=None, region=None: sessions.pop(0))
    args = ["pull", "cloudtrail-s3", "--bucket", BUCKET, "--prefix", "trail/", "--quarantine",
            str(tmp_path / "q.jsonl")]
    gaps = [f"gap: s3:GetObject denied on s3://{BUCKET}/{PREFIX}AWSLogs/{ORG}/222222222222/CloudTrail/* (8 objects)",
            f"gap: s3:ListBucket denied on s3://{BUCKET}/{unlisted} (1 folder)"]
    partial = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "a.json.gz"), "--format", "json"])
    assert partial.exit_code == 3, partial.output
    assert partial.stderr.splitlines() == [*gaps, "partial pull: 2 gaps (exit 3; --allow-partial exits 0)"]
    assert [g["count"] for g in json.loads(partial.stdout)["gaps"]] == [8, 1]
    allowed = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "b.json.gz"), "--allow-partial"])
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stderr.splitlines() == gaps
    assert "  skipped      8      access_denied:s3:GetObject" in allowed.stdout.splitlines()
    # everything permitted: exit 0 and nothing on stderr
    complete = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "b.json.gz")])
    assert (complete.exit_code, complete.stderr) == (0, ""), complete.output
