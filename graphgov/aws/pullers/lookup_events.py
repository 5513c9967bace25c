"""`graphgov pull lookup-events`: CloudTrail event history (LookupEvents), for accounts without a trail to read.

LookupEvents takes one lookup attribute per call, so each event source is its own scan (newest events
first, paginated). The API allows 2 requests per second per account and Region: every request (each
of botocore's retries too) is spaced client-side to that rate by `RateLimiter`, hooked on the client's
`before-send`; a ThrottlingException is retried by botocore's adaptive mode (graphgov.aws.clients), and
the summary counts the repeated requests (`throttled`).

Position: the last event time seen per (account, Region, source), written with the events it covers.
Events reach LookupEvents up to ~15 minutes late, so the next scan starts a trailing window before that
time and relies on eventID de-duplication for what it reads again. Events that arrive later than the
window are missed: the window is a parameter. Event history keeps 90 days; a first scan reads them all.

A scan denied LookupEvents, or still throttled after its retries, is a gap (graphgov.aws.pullers._gaps): one
record skipped `access_denied:`/`throttled:cloudtrail:LookupEvents`, its checkpoint left where it was,
and the other scans go on.

The same error lines (`pull_error`, `scan_gap`) serve the other API pullers (logs, describe, config).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from graphgov.aws.clients import count_retries, pull_client
from graphgov.aws.session import (
    ACCESS_DENIED_CODES,
    CREDENTIAL_CODES,
    Clock,
    PullError,
    PullSummary,
    error_code,
    error_message,
    iso_time,
    pull_run,
    utc_now,
)
from graphgov.ingest.pipeline import LoadRun
from graphgov.ingest.readers import RawRecord, unwrap
from graphgov.stores.base import Store

# What `account_sessions` may call for the command (the caller's identity, a role, the organisation).
ACCOUNT_CALLS: frozenset[tuple[str, str]] = frozenset({
    ("sts", "GetCallerIdentity"), ("sts", "AssumeRole"), ("organizations", "ListAccounts"),
})
AWS_CALLS: frozenset[tuple[str, str]] = ACCOUNT_CALLS | {("cloudtrail", "LookupEvents")}

DEFAULT_SOURCES: tuple[str, ...] = tuple(
    f"{name}.amazonaws.com" for name in ("sts", "s3", "kms", "iam", "sagemaker", "bedrock", "organizations"))
TRAILING_WINDOW = timedelta(minutes=15)
HISTORY = timedelta(days=90)
REQUESTS_PER_SECOND = 2.0
PAGE_SIZE = 50
THROTTLE_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException",
                            "RequestLimitExceeded", "LimitExceededException"})


class RateLimiter:
    """At most `rate` calls per second: each call starts no sooner than 1/rate after the one before."""

    def __init__(self, rate: float, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate
        self.monotonic, self.sleep = monotonic, sleep
        self._last: float | None = None

    def wait(self) -> None:
        now = self.monotonic()
        if self._last is not None and now < self._last + self.interval:
            self.sleep(self._last + self.interval - now)
            now = max(self.monotonic(), self._last + self.interval)
        self._last = now


def pull_error(exc: Exception, what: str) -> PullError:
    """One line for the user: refused credentials, denied access, or the API's own message."""
    if isinstance(exc, ClientError):
        code, message = error_code(exc), error_message(exc)
        if code in CREDENTIAL_CODES:
            return PullError(f"AWS refused the credentials ({code}) while reading {what}: {message}")
        if code in ACCESS_DENIED_CODES:
            return PullError(f"access denied to {what} ({code}): {message}")
        return PullError(f"{what} failed ({code or 'error'}): {message}")
    return PullError(f"cannot read {what}: {exc}")


def scan_gap(exc: ClientError) -> str | None:
    """`access_denied` or `throttled` (retries exhausted) when a failed call leaves a gap the pull can
    step over (graphgov.aws.pullers._gaps); None when the failure must stop the pull."""
    code = error_code(exc)
    if code in ACCESS_DENIED_CODES:
        return "access_denied"
    if code in THROTTLE_CODES:
        return "throttled"
    return None


def paced(client: BaseClient, operation: str, limiter: RateLimiter) -> BaseClient:
    """`client` with every request of `operation` (botocore's retries too) let through `limiter` first."""
    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service}.{operation}", lambda **_: limiter.wait())
    return client


def session_regions(session: boto3.Session, regions: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(regions)) or ([session.region_name] if session.region_name else [])
    if not chosen:
        raise PullError("no AWS region: pass --region or set AWS_REGION (or a profile's region)")
    return chosen


def parse_checkpoint(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def checkpoint_name(account: str, region: str, source: str) -> str:
    return f"lookup-events:{account}:{region}:{source}"


def pull_lookup_events(accounts: Iterable[tuple[str, boto3.Session]], store: Store, quarantine_path: Path,
                       regions: Iterable[str] = (), sources: Iterable[str] = DEFAULT_SOURCES,
                       since: datetime | None = None, clock: Clock = utc_now,
                       monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                       window: timedelta = TRAILING_WINDOW, page_size: int = PAGE_SIZE) -> PullSummary:
    """Read the event history of each (account, session) and Region, one scan per event source.

    `since` starts every scan there (a backfill); without it a scan starts `window` before its
    checkpoint, or 90 days back the first time. On a PullError what was read so far is written first
    (checkpoints only for completed scans), so a rerun loses nothing and re-reads little.
    """
    objects: Counter = Counter()
    regions, sources = tuple(regions), tuple(dict.fromkeys(sources))
    with pull_run(store, quarantine_path) as run:
        for account, session in accounts:
            for region in session_regions(session, regions):
                limiter = RateLimiter(REQUESTS_PER_SECOND, monotonic, sleep)
                client = paced(pull_client(session, "cloudtrail", region, rate_limited=True), "LookupEvents", limiter)
                for source in sources:
                    _scan(run, objects, client, account, region, source, since, clock(), window, page_size)
    return PullSummary(**vars(run.result()), objects=objects, time=iso_time(clock()), gaps=run.gaps.as_list())


def _scan(run: LoadRun, objects: Counter, client: BaseClient, account: str, region: str, source: str,
          since: datetime | None, end: datetime, window: timedelta, page_size: int) -> None:
    name = checkpoint_name(account, region, source)
    saved = run.store.checkpoint(name)
    start = since or (parse_checkpoint(saved) - window if saved else end - HISTORY)
    params: dict[str, Any] = {"LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": source}],
                              "StartTime": start, "EndTime": end, "MaxResults": page_size}
    newest: datetime | None = None
    what = f"CloudTrail LookupEvents ({source}, account {account}, {region})"
    try:
        for page_number, page in enumerate(client.get_paginator("lookup_events").paginate(**params)):
            count_retries(objects, "throttled", page)
            objects["page"] += 1
            for index, event in enumerate(page.get("Events") or ()):
                objects["event"] += 1
                moment = event.get("EventTime")
                if isinstance(moment, datetime):
                    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
                    newest = moment if newest is None or moment > newest else newest
                for raw in unwrap(event, f"lookup-events:{account}:{region}:{source}:page{page_number}[{index}]"):
                    run.add_raw(raw)
    except ClientError as exc:
        count_retries(objects, "throttled", exc.response)
        gap = scan_gap(exc)
        if gap is None:
            raise pull_error(exc, what) from None
        # a gap, not a stop: the scan's position stays where it was, the other scans go on
        objects["scan_incomplete"] += 1
        run.add_raw(RawRecord(None, None, f"lookup-events:{account}:{region}:{source}",
                              skip=f"{gap}:cloudtrail:LookupEvents"))
        return
    except BotoCoreError as exc:
        raise pull_error(exc, what) from None
    if newest is not None:  # nothing seen: the old position stands
        run.set_checkpoint(name, iso_time(newest))
