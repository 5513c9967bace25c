"""`graphgov pull logs`: CloudWatch Logs log groups (CloudTrail's, Bedrock model-invocation logs) via FilterLogEvents.

FilterLogEvents filters on the event's own time, but events are ingested late (CloudTrail delivers to
CloudWatch Logs minutes after the call), so each scan starts a trailing window before the newest event
time seen last (the checkpoint, per account, Region and log group) and de-duplicates what it reads
again: by CloudWatch's event id (each read event is marked done, written with its records) and, for
CloudTrail records, by eventID (the same record may also have come from S3 or event history). Pages may
be partial or empty while a nextToken is still returned: the scan (botocore's paginator) follows tokens until
there is none. FilterLogEvents has a per-account, per-Region request rate quota: its client retries in
botocore's adaptive mode (graphgov.aws.clients).

Each message goes through the readers (`unwrap`), so CloudTrail records, Bedrock invocation logs and
lines that are not JSON are told apart exactly as in a subscription payload. A failure (an expired
token...) stops the pull with one line; what was read before it is written with its markers, the
checkpoint only moves when a log group was read to its end, so a rerun loses nothing. A group the
caller may not read (or is throttled out of) is a gap (graphgov.aws.pullers._gaps): one record skipped
`access_denied:logs:FilterLogEvents`, its checkpoint kept, and the other groups are read.

Events ingested later than the trailing window are not read (the window is what bounds a pull's
cost). They are not silent: an incremental scan also lists the `lookbehind` before its window
(default a day) and counts the events there it never read (`outside_window`), with the `--since`
that reaches them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from graphgov.aws.clients import pull_client
from graphgov.aws.pullers._gaps import PullRun
from graphgov.aws.pullers.config import log_group_arn
from graphgov.aws.pullers.lookup_events import (
    ACCOUNT_CALLS,
    parse_checkpoint,
    pull_error,
    scan_gap,
    session_regions,
)
from graphgov.aws.session import Clock, PullSummary, iso_time, pull_run, utc_now
from graphgov.core import ids
from graphgov.ingest.readers import RawRecord, unwrap
from graphgov.stores.base import Store

AWS_CALLS: frozenset[tuple[str, str]] = ACCOUNT_CALLS | {("logs", "FilterLogEvents")}
TRAILING_WINDOW = timedelta(minutes=15)
LOOKBEHIND = timedelta(days=1)  # how far before the window a scan looks for events it never read
SEEN = "seen_log_event"  # the skip reason of an event read before (the trailing window, a rerun)


def checkpoint_name(account: str, region: str, log_group: str) -> str:
    return f"logs:{account}:{region}:{log_group}"


def event_key(account: str, region: str, log_group: str, event_id: str) -> str:
    """The completion marker of one log event (CloudWatch event ids are unique within a log group)."""
    return f"cwl:{account}:{region}:{log_group}:{event_id}"


def _moment(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, timezone.utc)


@dataclass
class LogsPullSummary(PullSummary):
    """A pull summary plus `outside_window`: events older than a scan's window that were never read,
    and `notes` saying how to read them (`--since`)."""

    outside_window: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "outside_window": self.outside_window, "notes": list(self.notes)}


@dataclass
class _Outside:
    """Events before the windows of this pull's scans, never read: how many, and the oldest's time."""

    count: int = 0
    oldest: int | None = None

    def note(self) -> list[str]:
        if not self.count:
            return []
        since = iso_time(_moment(self.oldest)) if self.oldest is not None else "an earlier time"
        return [f"{self.count} event{'s' if self.count > 1 else ''} older than the trailing window "
                f"{'were' if self.count > 1 else 'was'} not read: pull logs again with --since {since} to read them"]


def pull_logs(accounts: Iterable[tuple[str, boto3.Session]], store: Store, quarantine_path: Path,
              log_groups: Iterable[str], regions: Iterable[str] = (), filter_pattern: str | None = None,
              since: datetime | None = None, window: timedelta = TRAILING_WINDOW, page_size: int | None = None,
              clock: Clock = utc_now, lookbehind: timedelta = LOOKBEHIND) -> LogsPullSummary:
    """Read the log groups of each (account, session) and Region from the checkpoint minus `window`
    (or from `since`, or from the beginning the first time); count the events in the `lookbehind`
    before a window that were never read."""
    objects: Counter = Counter()
    outside = _Outside()
    regions, groups = tuple(regions), tuple(dict.fromkeys(log_groups))
    with pull_run(store, quarantine_path) as run:
        for account, session in accounts:
            for region in session_regions(session, regions):
                client = pull_client(session, "logs", region, rate_limited=True)
                for group in groups:
                    scan = _Scan(run, objects, client, account, region, group, filter_pattern, page_size)
                    scan.read(since, window, lookbehind, outside)
    return LogsPullSummary(**vars(run.result()), objects=objects, time=iso_time(clock()), gaps=run.gaps.as_list(),
                           outside_window=outside.count, notes=outside.note())


class _Scan:
    """One log group of one account and Region: FilterLogEvents pages, each failure a stop or a gap."""

    def __init__(self, run: PullRun, objects: Counter, client: BaseClient, account: str, region: str, group: str,
                 filter_pattern: str | None, page_size: int | None) -> None:
        self.run, self.objects, self.client = run, objects, client
        self.account, self.region, self.group = account, region, group
        self.base: dict[str, Any] = {"logGroupName": group}
        if filter_pattern:
            self.base["filterPattern"] = filter_pattern
        if page_size:
            self.base["limit"] = page_size
        self.what = f"CloudWatch Logs FilterLogEvents ({group}, account {account}, {region})"

    def pages(self, **params: Any) -> Iterator[dict[str, Any]]:
        """The pages of one query, following nextToken; a gap (denied, throttled out) ends it early."""
        try:
            yield from self.client.get_paginator("filter_log_events").paginate(**self.base, **params)
        except ClientError as exc:
            gap = scan_gap(exc)
            if gap is None:
                raise pull_error(exc, self.what) from None
            partition = ids.partition_of_region(self.region)
            self.objects["group_incomplete"] += 1
            self.run.add_raw(RawRecord(None, None, log_group_arn(partition, self.region, self.account, self.group),
                                       skip=f"{gap}:logs:FilterLogEvents"))
            raise _Gap() from None
        except BotoCoreError as exc:
            raise pull_error(exc, self.what) from None

    def read(self, since: datetime | None, window: timedelta, lookbehind: timedelta, outside: _Outside) -> None:
        name = checkpoint_name(self.account, self.region, self.group)
        saved = self.run.store.checkpoint(name)
        start = since or (parse_checkpoint(saved) - window if saved else None)
        try:
            newest = self._load(start)
        except _Gap:
            return  # the checkpoint stays: the next pull reads the group again from the same place
        if newest is not None:
            moment = _moment(newest)
            if saved is None or moment > parse_checkpoint(saved):
                self.run.set_checkpoint(name, iso_time(moment))
        if since is None and start is not None and lookbehind > timedelta(0):
            try:
                self._count_before(start, lookbehind, outside)
            except _Gap:  # recorded: what lies before the window is unknown, not "nothing"
                return

    def _count_before(self, start: datetime, lookbehind: timedelta, outside: _Outside) -> None:
        """Count the events in [start - lookbehind, start) this puller never read (nothing is loaded)."""
        end = int(start.timestamp() * 1000)
        for page in self.pages(startTime=int((start - lookbehind).timestamp() * 1000), endTime=end - 1):
            self.objects["lookbehind_page"] += 1
            events = [e for e in page.get("events") or () if isinstance(e, dict)]
            keys = {event_key(self.account, self.region, self.group, str(e.get("eventId"))): e for e in events}
            for key in self.run.store.unseen(set(keys)):
                outside.count += 1
                timestamp = keys[key].get("timestamp")
                if isinstance(timestamp, int):
                    outside.oldest = timestamp if outside.oldest is None else min(outside.oldest, timestamp)

    def _load(self, start: datetime | None) -> int | None:
        """Load the events from `start` on; the newest event time read."""
        run, objects, account, region, group = self.run, self.objects, self.account, self.region, self.group
        newest: int | None = None
        marked: set[str] = set()  # markers of this run, not yet visible in the store
        for page in self.pages(**({"startTime": int(start.timestamp() * 1000)} if start is not None else {})):
            objects["page"] += 1
            events = [e for e in page.get("events") or () if isinstance(e, dict)]
            pairs = [(event_key(account, region, group, str(e.get("eventId"))), e) for e in events]
            unseen = run.store.unseen({key for key, _ in pairs})
            for key, event in pairs:
                objects["log-event"] += 1
                location = f"logs:{account}:{region}:{group}:{event.get('logStreamName')}:{event.get('eventId')}"
                if key not in unseen or key in marked:
                    run.add_raw(RawRecord(None, None, location, skip=SEEN))
                    continue
                payload = {"messageType": "DATA_MESSAGE", "owner": account, "logGroup": group,
                           "logStream": event.get("logStreamName"),
                           "logEvents": [{"id": event.get("eventId"), "timestamp": event.get("timestamp"),
                                          "message": event.get("message")}]}
                for raw in unwrap(payload, location):
                    run.add_raw(raw)
                timestamp = event.get("timestamp")
                day = iso_time(_moment(timestamp))[:10] if isinstance(timestamp, int) else "unknown"
                run.mark_done(key, day)
                marked.add(key)
                if isinstance(timestamp, int):
                    newest = timestamp if newest is None else max(newest, timestamp)
        return newest


class _Gap(Exception):  # noqa: N818 - control flow: the scan stopped at a gap, already recorded
    pass
