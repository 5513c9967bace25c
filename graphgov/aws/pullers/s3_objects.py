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

Failures: S3 throttling (SlowDown, 503) and other transient errors are retried by botocore's standard mode
(graphgov.aws.clients, `attempts` requests in all); the repeated requests are counted. A body whose read
breaks mid-stream is read on from the byte it reached (`resuming_body`, the one retry botocore cannot make),
at most BODY_READS times. An object deleted between the listing and the read is accounted as one record
skipped `gone:s3:GetObject` and marked read (it is gone: reading it again can only fail again). An object the
caller may not read is skipped `access_denied:s3:GetObject` and not marked, and a folder it may not list is
one record skipped `access_denied:s3:ListObjectsV2`: both are gaps (graphgov.aws.pullers._gaps), and the
stream's checkpoint does not move past their day, so every later pull lists that day again and reports the gap
until the caller may read it (then the pull reads it). Anything else (a listing refused, retries exhausted, a
body still breaking after its re-reads) stops the pull with a PullError: what was written is consistent, the
next pull resumes.

The summary's `objects` counts: `s3_object` objects read (also the summary's `files`),
`s3_object_already_read` listed but marked before (not read), `s3_object_gone`, `s3_object_denied`,
`s3_object_ignored` (folder placeholders, Bedrock's permission check object), `list_page` listing
pages requested (delimiter listings included) and `retry` requests repeated after a transient error
(botocore's retries, and the ranged GetObject of each resumed body).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from graphgov.aws.clients import configured_attempts, count_retries, pull_client, retries
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
BODY_READS = 3  # reads of one object's body in all: the first, then two resumed where it broke off
# What botocore's standard mode retries among S3's answers: a call still failing with one of these ran out of attempts.
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


class _Gone(Exception):  # noqa: N818 - control-flow signals
    pass


class _Denied(Exception):  # noqa: N818
    pass


class _Broken(Exception):  # noqa: N818 - not an OSError, so the readers cannot take it for bad content
    pass


def resuming_body(body: Any, reopen: Callable[[int], Any], reads: int = BODY_READS,
                  on_resume: Callable[[], None] = lambda: None) -> io.RawIOBase:
    """An object's body as a raw stream that survives a connection broken mid-read: the one retry botocore
    cannot make, since the call itself had answered (IncompleteRead, ResponseStreamingError, a read
    timeout). A broken read asks `reopen(offset)` for the body from the byte it reached (a ranged
    GetObject of the same ETag), so the readers see every byte once; after `reads` breaks it raises
    _Broken, which the readers cannot take for bad content (an OSError would be quarantined as such)."""
    return _ResumingBody(body, reopen, reads, on_resume)


class _ResumingBody(io.RawIOBase):
    """resuming_body's stream: the byte offset reached, the breaks so far."""

    def __init__(self, body: Any, reopen: Callable[[int], Any], reads: int, on_resume: Callable[[], None]) -> None:
        super().__init__()
        self.body, self.reopen, self.reads, self.on_resume = body, reopen, reads, on_resume
        self.offset = 0
        self.breaks = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            try:
                data = self.body.read(len(buffer))
                break
            except (BotoCoreError, OSError) as exc:
                self.breaks += 1
                if self.breaks >= self.reads:
                    raise _Broken(f"the body broke off {self.breaks} times, the last at byte {self.offset}: "
                                  f"{exc}") from exc
                self.body.close()
                self.on_resume()
                self.body = self.reopen(self.offset)
        buffer[:len(data)] = data
        self.offset += len(data)
        return len(data)

    def close(self) -> None:
        self.body.close()
        super().close()


class BucketReader:
    """One bucket, read through one S3 client into one LoadRun: listings and objects, retried and counted."""

    def __init__(self, session: boto3.Session, bucket: str, run: LoadRun, region: str | None = None,
                 checkpoint_prefix: str = "s3", relist_days: int = RELIST_DAYS, attempts: int | None = None,
                 body_reads: int = BODY_READS) -> None:
        if relist_days < 0:
            raise PullError(f"relist days must be 0 or more, got {relist_days}")
        self.bucket, self.run, self.checkpoint_prefix = bucket, run, checkpoint_prefix
        self.relist_days, self.body_reads = relist_days, body_reads
        self.attempts = attempts or configured_attempts(session)
        self.client = pull_client(session, "s3", region, max_attempts=self.attempts)
        self.objects: Counter = Counter(dict.fromkeys(OBJECT_COUNTS, 0))
        self.listings_denied = 0  # listings refused so far: a day after one is never checkpointed

    # --- requests -----------------------------------------------------------------------------------

    @contextmanager
    def _request(self, operation: str, where: str) -> Iterator[None]:
        """S3's failures of one request (botocore's retries done) as the walk's signals: _Gone, _Denied, PullError."""
        try:
            yield
        except ClientError as exc:
            count_retries(self.objects, "retry", exc.response)
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
            raise PullError(f"cannot read {where}: still failing after {retries(exc.response) + 1} attempts "
                            f"({code or status})") from None
        except (BotoConnectionError, HTTPClientError) as exc:  # endpoint unreachable, connection reset, timeouts
            raise PullError(f"cannot read {where}: still failing after {self.attempts} attempts ({exc})") from None
        except BotoCoreError as exc:
            raise PullError(f"cannot read {where}: {exc}") from None

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        with self._request(operation, f"s3://{self.bucket}/{params.get('Key', params.get('Prefix', ''))}"):
            answer = getattr(self.client, operation)(**params)
        count_retries(self.objects, "retry", answer)
        return answer

    def pages(self, prefix: str, delimiter: bool = False) -> Iterator[dict[str, Any]]:
        """ListObjectsV2 pages under `prefix` (botocore's paginator, each request retried on its own)."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            params["Delimiter"] = "/"
        listing = iter(self.client.get_paginator("list_objects_v2").paginate(**params))
        while True:
            try:
                with self._request("list_objects_v2", f"s3://{self.bucket}/{prefix}"):
                    page = next(listing, None)
            except _Denied:  # a gap: the folder's objects are unknown, the walk goes on elsewhere
                self.listings_denied += 1
                self.objects["list_denied"] += 1
                self.run.add_raw(RawRecord(None, None, f"s3://{self.bucket}/{prefix}",
                                           skip="access_denied:s3:ListObjectsV2"))
                return
            if page is None:
                return
            count_retries(self.objects, "retry", page)
            self.objects["list_page"] += 1
            yield page

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
        self.run.list_units(len(unseen))  # what this listing adds to read, for the progress display
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

        def reopen(offset: int) -> Any:
            try:
                return self._call("get_object", Bucket=self.bucket, Key=key, Range=f"bytes={offset}-",
                                  **({"IfMatch": response["ETag"]} if response.get("ETag") else {}))["Body"]
            except (_Gone, _Denied):
                raise _Broken(f"the object went away while being read (at byte {offset})") from None

        def resumed() -> None:
            self.objects["retry"] += 1

        try:
            with closing(resuming_body(response["Body"], reopen, self.body_reads, resumed)) as body:
                for raw in read_stream(body, name):
                    self.run.add_raw(raw)
        except _Broken as exc:  # still broken after its re-reads: not marked, read again next time
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
            chunk_records: int = CHUNK_RECORDS, attempts: int | None = None,
            relist_days: int = RELIST_DAYS) -> PullSummary:
    """Read every log object under s3://bucket/prefix not read before; records go through the readers
    and loaders as `graphgov load` sends them (Bedrock invocation logs, Firehose output...)."""
    if layout not in LAYOUTS:
        raise PullError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")

    def body(run: LoadRun) -> Counter:
        reader = BucketReader(session, bucket, run, region, checkpoint_prefix=f"s3:{layout}",
                              relist_days=relist_days, attempts=attempts)
        reader.walk(folder(prefix), since, IGNORED[layout])
        return reader.objects

    return run_pull(store, quarantine_path, chunk_records, body)

