"""`graphgov pull s3`: read every log object under an S3 prefix once, into the graph.

AWS delivers logs to S3 in date folders (`YYYY/MM/DD/`, often `HH/` below): Bedrock model invocation
logs under `AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/`, Firehose output
under `<prefix>YYYY/MM/DD/HH/`. The walk lists folders with a `/` delimiter from the prefix down; a
folder whose children are years is a *stream* and is read day by day from its checkpoint; any other
folder is walked into (at most MAX_DEPTH levels), so other depths and layouts are read too. Objects
outside any date folder are read as well.

Exactly once, and nothing lost:
- Every object read is marked `s3obj:<bucket>/<key>` in the store (`LoadRun.mark_done`), written with
  (never before) its records; a listed object whose marker is recorded is not read again. Object names
  end in random strings and files arrive late, so key order is never trusted: membership is.
- A stream's checkpoint is the last day it listed entirely. The next pull lists again from the day
  before that day (the trailing window), so a file delivered late into an already listed day is read;
  earlier days are not listed again. `since` bounds where a stream without a checkpoint starts.
- A chunk written without its markers (a crash between them) is harmless: the objects are read again
  and their records are skipped as duplicates (their evidence keys were written with them).

Failures: S3 throttling (SlowDown, 503) and other transient errors are retried with exponential
backoff (`Backoff`, botocore's own retries off so there is one retry policy); retries are counted. An
object deleted between the listing and the read is accounted as one record skipped `gone:s3:GetObject`
and marked read (it is gone: reading it again can only fail again). An object the caller may not read
is skipped `access_denied:s3:GetObject` and not marked, and a folder it may not list is one record
skipped `access_denied:s3:ListObjectsV2`: both are gaps (graphgov.aws.pullers._gaps), and the stream's
checkpoint does not move past their day, so every later pull lists that day again and reports the gap
until the caller may read it (then the pull reads it). Anything else (a listing refused, retries exhausted, a stream
broken mid-object) stops the pull with a PullError: what was written is consistent, the next pull resumes.

The summary's `objects` counts: `s3_object` objects read (also the summary's `files`),
`s3_object_already_read` listed but marked before (not read), `s3_object_gone`, `s3_object_denied`,
`s3_object_ignored` (folder placeholders, Bedrock's permission check object), `list_page` listing
pages requested (delimiter listings included) and `retry` requests repeated after a transient error.
"""

from __future__ import annotations

import io
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from graphgov.aws.pullers._gaps import PullRun
from graphgov.aws.session import (
    ACCESS_DENIED_CODES,
    CREDENTIAL_CODES,
    PullError,
    PullSummary,
    error_code,
    error_message,
)
from graphgov.ingest.pipeline import CHUNK_RECORDS, LoadRun
from graphgov.ingest.readers import RawRecord, read_stream
from graphgov.stores.base import Store

AWS_CALLS: frozenset[tuple[str, str]] = frozenset({("s3", "ListObjectsV2"), ("s3", "GetObject")})
LAYOUTS = ("bedrock-invocation", "firehose")
MAX_DEPTH = 8
RELIST_DAYS = 1  # days before a stream's checkpoint listed again for files delivered after their day
RETRY_CODES = frozenset({
    "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
    "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed",
})
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
BEDROCK_PERMISSION_CHECK = "amazon-bedrock-logs-permission-check"
OBJECT_COUNTS = ("list_page", "s3_object", "s3_object_already_read")


def object_marker(bucket: str, key: str) -> str:
    """The completion marker of one S3 object."""
    return f"s3obj:{bucket}/{key}"


def folder(prefix: str | None) -> str:
    """A prefix as a folder (`a/b/`), or "" for the whole bucket."""
    prefix = (prefix or "").lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


@dataclass(frozen=True)
class Backoff:
    """How transient S3 errors are retried: `attempts` requests in all, waiting about base * 2^n
    (capped, with jitter so many pullers do not retry in step) between them."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = field(default=random.random)

    def delay(self, retry: int) -> float:
        """The wait before retry number `retry` (1, 2, ...): between half and all of base * 2^(retry-1)."""
        return min(self.cap, self.base * 2 ** (retry - 1)) * (0.5 + self.jitter() / 2)


class _Gone(Exception):  # noqa: N818 - control-flow signals
    pass


class _Denied(Exception):  # noqa: N818
    pass


class _Broken(Exception):  # noqa: N818 - not an OSError, so the readers cannot take it for bad content
    pass


class _Body(io.RawIOBase):
    """An object's body as a raw stream whose network failures stay failures: the readers turn an
    OSError into a quarantined record, which for a broken connection would lose the object's records."""

    def __init__(self, body: Any) -> None:
        super().__init__()
        self.body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.body.read(len(buffer))
        except (BotoCoreError, OSError) as exc:
            raise _Broken(str(exc)) from exc
        buffer[:len(data)] = data
        return len(data)


class BucketReader:
    """One bucket, read through one S3 client into one LoadRun: listings and objects, retried and counted."""

    def __init__(self, session: boto3.Session, bucket: str, run: LoadRun, backoff: Backoff,
                 region: str | None = None, checkpoint_prefix: str = "s3", relist_days: int = RELIST_DAYS) -> None:
        if relist_days < 0:
            raise PullError(f"relist days must be 0 or more, got {relist_days}")
        self.bucket, self.run, self.backoff, self.checkpoint_prefix = bucket, run, backoff, checkpoint_prefix
        self.relist_days = relist_days
        try:  # one retry policy (ours, counted and testable): botocore's retries are switched off
            self.client = session.client("s3", region_name=region, config=Config(
                retries={"total_max_attempts": 1}, user_agent_extra="graphgov-pull"))
        except BotoCoreError as exc:
            raise PullError(f"cannot create the AWS s3 client: {exc}") from None
        self.objects: Counter = Counter(dict.fromkeys(OBJECT_COUNTS, 0))
        self.listings_denied = 0  # listings refused so far: a day after one is never checkpointed

    # --- requests -----------------------------------------------------------------------------------

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        where = f"s3://{self.bucket}/{params.get('Key', params.get('Prefix', ''))}"
        for attempt in range(1, self.backoff.attempts + 1):
            try:
                return getattr(self.client, operation)(**params)
            except ClientError as exc:
                code = error_code(exc)
                status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
                if code in ("NoSuchKey", "404") and operation == "get_object":
                    raise _Gone() from None
                if code in ACCESS_DENIED_CODES and operation in ("get_object", "list_objects_v2"):
                    raise _Denied() from None
                if code in CREDENTIAL_CODES:
                    raise PullError(f"AWS refused the credentials ({code}): {error_message(exc)}") from None
                if code not in RETRY_CODES and status not in RETRY_STATUS:
                    raise PullError(f"cannot read {where}: {code or status}: {error_message(exc)}") from None
                failure = f"{code or status}"
            except (BotoConnectionError, HTTPClientError) as exc:  # endpoint unreachable, connection reset, timeouts
                failure = str(exc)
            except BotoCoreError as exc:
                raise PullError(f"cannot read {where}: {exc}") from None
            if attempt == self.backoff.attempts:
                raise PullError(f"cannot read {where}: still failing after {attempt} attempts ({failure})")
            self.objects["retry"] += 1
            self.backoff.sleep(self.backoff.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(self, prefix: str, delimiter: bool = False) -> Iterator[dict[str, Any]]:
        """ListObjectsV2 pages under `prefix`, each request retried on its own."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            params["Delimiter"] = "/"
        while True:
            try:
                page = self._call("list_objects_v2", **params)
            except _Denied:  # a gap: the folder's objects are unknown, the walk goes on elsewhere
                self.listings_denied += 1
                self.objects["list_denied"] += 1
                self.run.add_raw(RawRecord(None, None, f"s3://{self.bucket}/{prefix}",
                                           skip="access_denied:s3:ListObjectsV2"))
                return
            self.objects["list_page"] += 1
            yield page
            if not page.get("IsTruncated"):
                return
            params["ContinuationToken"] = page["NextContinuationToken"]

    def level(self, prefix: str) -> tuple[list[str], list[dict[str, Any]]]:
        """The child folder names and the objects directly under `prefix`."""
        folders: list[str] = []
        contents: list[dict[str, Any]] = []
        for page in self.pages(prefix, delimiter=True):
            folders += [p["Prefix"][len(prefix):].rstrip("/") for p in page.get("CommonPrefixes") or ()]
            contents += page.get("Contents") or ()
        return folders, contents

    # --- objects ------------------------------------------------------------------------------------

    def read_objects(self, contents: list[dict[str, Any]], day: str | None,
                     ignore: Callable[[str], bool] = lambda key: False) -> None:
        """Read the listed objects not marked before; `day` files their markers (default: LastModified's)."""
        wanted = []
        for entry in contents:
            if entry["Key"].endswith("/") or ignore(entry["Key"]):
                self.objects["s3_object_ignored"] += 1
            else:
                wanted.append(entry)
        unseen = self.run.store.unseen(object_marker(self.bucket, e["Key"]) for e in wanted)
        for entry in wanted:
            if object_marker(self.bucket, entry["Key"]) not in unseen:
                self.objects["s3_object_already_read"] += 1
                continue
            modified = entry.get("LastModified")
            self.read_object(entry["Key"], day or (modified.strftime("%Y-%m-%d") if modified else "unknown"))

    def read_object(self, key: str, day: str) -> None:
        """Stream one object's records into the run, then mark it read."""
        name = f"s3://{self.bucket}/{key}"
        try:
            response = self._call("get_object", Bucket=self.bucket, Key=key)
        except _Gone:  # deleted since the listing: nothing to read, now or later
            self.objects["s3_object_gone"] += 1
            self.run.add_raw(RawRecord(None, None, name, skip="gone:s3:GetObject"))
            self.run.mark_done(object_marker(self.bucket, key), day)
            return
        except _Denied:  # not marked: readable once the caller may read it
            self.objects["s3_object_denied"] += 1
            self.run.add_raw(RawRecord(None, None, name, skip="access_denied:s3:GetObject"))
            return
        self.objects["s3_object"] += 1
        self.run.summary.files += 1
        try:
            with closing(response["Body"]) as body:
                for raw in read_stream(_Body(body), name):
                    self.run.add_raw(raw)
        except _Broken as exc:  # the connection broke mid-object: not marked, read again next time
            raise PullError(f"cannot read {name}: {exc}") from None
        self.run.mark_done(object_marker(self.bucket, key), day)

    # --- date folders -------------------------------------------------------------------------------

    def days(self, root: str, start: date | None, years: list[str] | None = None) -> Iterator[tuple[str, date]]:
        """(prefix, day) of every `YYYY/MM/DD/` folder under `root` from `start` on, oldest first."""
        for year in sorted(years if years is not None else self.level(root)[0]):
            if not _number(year, 4) or (start and int(year) < start.year):
                continue
            for month in sorted(self.level(f"{root}{year}/")[0]):
                if not _number(month, 2) or (start and (int(year), int(month)) < (start.year, start.month)):
                    continue
                for day_name in sorted(self.level(f"{root}{year}/{month}/")[0]):
                    if not _number(day_name, 2):
                        continue
                    try:
                        day = date(int(year), int(month), int(day_name))
                    except ValueError:
                        continue
                    if not start or day >= start:
                        yield f"{root}{year}/{month}/{day_name}/", day

    def read_stream_days(self, root: str, since: date | None, ignore: Callable[[str], bool] = lambda key: False,
                         years: list[str] | None = None) -> None:
        """Read a date-partitioned folder from `relist_days` before its checkpoint (or `since`), moving
        the checkpoint to each day once every object listed under it is read."""
        name = f"{self.checkpoint_prefix}:{self.bucket}/{root}"
        done = self.run.store.checkpoint(name)
        start = since
        if done:
            window = date.fromisoformat(done) - timedelta(days=self.relist_days)
            start = max(start, window) if start else window
        denied = self._denied()
        for prefix, day in self.days(root, start, years):
            for page in self.pages(prefix):  # the whole day, hours and other sub-folders included
                self.read_objects(page.get("Contents") or [], day.isoformat(), ignore)
            if self._denied() > denied:  # a gap (folder or object): its day stays in the next pull's range
                continue
            if not done or day.isoformat() >= done:
                self.run.set_checkpoint(name, day.isoformat())

    def _denied(self) -> int:
        return self.listings_denied + self.objects["s3_object_denied"]

    def walk(self, prefix: str, since: date | None, ignore: Callable[[str], bool] = lambda key: False,
             depth: int = 0) -> None:
        """Read everything under `prefix`: date folders as streams, other folders walked into."""
        folders, contents = self.level(prefix)
        self.read_objects(contents, None, ignore)
        years = [name for name in folders if _number(name, 4)]
        if years:
            self.read_stream_days(prefix, since, ignore, years)
        if depth >= MAX_DEPTH:
            return
        for name in sorted(set(folders) - set(years)):
            self.walk(f"{prefix}{name}/", since, ignore, depth + 1)


def _number(text: str, digits: int) -> bool:
    return len(text) == digits and text.isdigit()


def _bedrock_ignored(key: str) -> bool:
    return key.rsplit("/", 1)[-1] == BEDROCK_PERMISSION_CHECK


IGNORED: dict[str, Callable[[str], bool]] = {
    "bedrock-invocation": _bedrock_ignored,  # the object Bedrock writes to test it may write
    "firehose": lambda key: False,
}


def run_pull(store: Store, quarantine_path: Path, chunk_records: int,
             body: Callable[[LoadRun], Counter]) -> PullSummary:
    """Drive one LoadRun through `body` (which returns its object counts) and summarise it."""
    run = PullRun(store, quarantine_path, chunk_records)
    try:
        objects = body(run)
        run.finish()
    finally:
        run.close()
    return PullSummary(**vars(run.result()), objects=objects, gaps=run.gaps.as_list())


def pull_s3(session: boto3.Session, store: Store, quarantine_path: Path, bucket: str, prefix: str = "",
            layout: str = "firehose", since: date | None = None, region: str | None = None,
            chunk_records: int = CHUNK_RECORDS, backoff: Backoff | None = None,
            relist_days: int = RELIST_DAYS) -> PullSummary:
    """Read every log object under s3://bucket/prefix not read before; records go through the readers
    and loaders as `graphgov load` sends them (Bedrock invocation logs, Firehose output...)."""
    if layout not in LAYOUTS:
        raise PullError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")

    def body(run: LoadRun) -> Counter:
        reader = BucketReader(session, bucket, run, backoff or Backoff(), region, checkpoint_prefix=f"s3:{layout}",
                              relist_days=relist_days)
        reader.walk(folder(prefix), since, IGNORED[layout])
        return reader.objects

    return run_pull(store, quarantine_path, chunk_records, body)

