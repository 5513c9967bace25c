"""`graphgov pull logs`: CloudWatch Logs log groups (CloudTrail's, Bedrock model-invocation logs) via FilterLogEvents.

FilterLogEvents filters on the event's own time, but events are ingested late (CloudTrail delivers to
CloudWatch Logs minutes after the call), so each scan starts a trailing window before the newest event
time seen last (the checkpoint, per account, Region and log group) and de-duplicates what it reads
again: by CloudWatch's event id (each read event is marked done, written with its records) and, for
CloudTrail records, by eventID (the same record may also have come from S3 or event history). Pages may
be partial or empty while a nextToken is still returned: the scan follows tokens until there is none.

Each message goes through the readers (`unwrap`), so CloudTrail records, Bedrock invocation logs and
lines that are not JSON are told apart exactly as in a subscription payload. A failure (an expired
token...) stops the pull with one line; what was read before it is written with its markers, the
checkpoint only moves when a log group was read to its end, so a rerun loses nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from graphgov.aws import Clock, PullSummary, iso_time, pull_run, utc_now
from graphgov.pipeline import LoadRun
from graphgov.pullers.lookup_events import ACCOUNT_CALLS, api_client, parse_checkpoint, pull_error, session_regions
from graphgov.readers import RawRecord, unwrap
from graphgov.stores.base import Store

AWS_CALLS: frozenset[tuple[str, str]] = ACCOUNT_CALLS | {("logs", "FilterLogEvents")}
TRAILING_WINDOW = timedelta(minutes=15)
SEEN = "seen_log_event"  # the skip reason of an event read before (the trailing window, a rerun)


def checkpoint_name(account: str, region: str, log_group: str) -> str:
    return f"logs:{account}:{region}:{log_group}"


def event_key(account: str, region: str, log_group: str, event_id: str) -> str:
    """The completion marker of one log event (CloudWatch event ids are unique within a log group)."""
    return f"cwl:{account}:{region}:{log_group}:{event_id}"


def _moment(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, timezone.utc)


def pull_logs(accounts: Iterable[tuple[str, boto3.Session]], store: Store, quarantine_path: Path,
              log_groups: Iterable[str], regions: Iterable[str] = (), filter_pattern: str | None = None,
              since: datetime | None = None, window: timedelta = TRAILING_WINDOW, page_size: int | None = None,
              clock: Clock = utc_now) -> PullSummary:
    """Read the log groups of each (account, session) and Region from the checkpoint minus `window`
    (or from `since`, or from the beginning the first time)."""
    objects: Counter = Counter()
    regions, groups = tuple(regions), tuple(dict.fromkeys(log_groups))
    with pull_run(store, quarantine_path) as run:
        for account, session in accounts:
            for region in session_regions(session, regions):
                client = api_client(session, "logs", region)
                for group in groups:
                    _scan(run, objects, client, account, region, group, filter_pattern, since, window, page_size)
    return PullSummary(**vars(run.result()), objects=objects, time=iso_time(clock()))


def _scan(run: LoadRun, objects: Counter, client: BaseClient, account: str, region: str, group: str,
          filter_pattern: str | None, since: datetime | None, window: timedelta, page_size: int | None) -> None:
    name = checkpoint_name(account, region, group)
    saved = run.store.checkpoint(name)
    start = since or (parse_checkpoint(saved) - window if saved else None)
    params: dict[str, Any] = {"logGroupName": group}
    if start is not None:
        params["startTime"] = int(start.timestamp() * 1000)
    if filter_pattern:
        params["filterPattern"] = filter_pattern
    if page_size:
        params["limit"] = page_size
    what = f"CloudWatch Logs FilterLogEvents ({group}, account {account}, {region})"
    newest: int | None = None
    marked: set[str] = set()  # markers of this run, not yet visible in the store
    while True:
        try:
            page = client.filter_log_events(**params)
        except (ClientError, BotoCoreError) as exc:
            raise pull_error(exc, what) from None
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
        token = page.get("nextToken")
        if not token:
            break
        params["nextToken"] = token
    if newest is not None:
        moment = _moment(newest)
        if saved is None or moment > parse_checkpoint(saved):
            run.set_checkpoint(name, iso_time(moment))
