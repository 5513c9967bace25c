"""One read record's bucket, decided where it is parsed: its delta, a named skip, or the quarantine.

Pure of the load's state (but the trail-folder memory of the file being read, loaders.trail_folder), so a parse
worker (graphgov.ingest.file_loads) decides a record exactly as the load itself would; the load then counts and
writes what was decided (graphgov.ingest.pipeline). Records no loader models are skipped by the registry's cheap
test (loaders.registry.unmodelled) before any parse, with the reason and event name the parse would give.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from graphgov.core.delta import GraphDelta, Malformed, Skip
from graphgov.core.ids import IdentityError
from graphgov.core.times import IMPLAUSIBLE_TIME, TimeWindow
from graphgov.ingest.readers import RawRecord
from loaders import trail_folder
from loaders.registry import REGISTRY, unmodelled


def parse_record(raw: RawRecord, memberships: dict[str, str] | None = None) -> GraphDelta:
    """Dispatch one read record to its loader; Skip when no loader models its kind. `memberships`: the load's
    memory of the organisation-trail file that last carried a membership (loaders.trail_folder)."""
    parser = REGISTRY.get(raw.kind or "")
    if parser is None:
        raise Skip(f"unsupported_source:{raw.kind}")
    if raw.kind == "cloudtrail":  # an organisation trail's folder also proves the account's membership
        return trail_folder.with_membership(parser(raw.record), raw.location, memberships)
    return parser(raw.record)


def event_name(raw: RawRecord) -> str | None:
    """The name a skipped record is listed under: `<eventSource>:<eventName>` for CloudTrail, the event
    name, detail type or operation for the other sources; None when the record names none."""
    record = raw.record
    if not isinstance(record, Mapping):
        return None
    if raw.kind == "cloudtrail":
        source, name = record.get("eventSource"), record.get("eventName")
        return f"{source}:{name}" if source and name else None
    if raw.kind == "s3_notification":
        name = record.get("eventName")
        return f"s3:{name}" if name else None
    if raw.kind == "eventbridge":
        source, detail = record.get("source"), record.get("detail-type")
        return f"{source}:{detail}" if source and detail else None
    if raw.kind == "bedrock_invocation_log":
        operation = record.get("operation")
        return f"bedrock:{operation}" if operation else None
    return None


class Skipped(NamedTuple):
    """A record decided skipped: the reason, and the event name it is listed under."""

    reason: str
    event: str | None


class Quarantined(NamedTuple):
    """A record decided quarantined: where it was read, why, and the record (redacted when written)."""

    location: str
    error: str
    record: Any


Outcome = GraphDelta | Skipped | Quarantined  # one record's bucket, decided where it was parsed


def decide(raw: RawRecord, memberships: dict[str, str] | None = None, window: TimeWindow | None = None) -> Outcome:
    """One read record's bucket: its delta, a named skip, or the quarantine. Pure of the run's state but the
    trail-folder memory (`memberships`), so a parse worker decides a record exactly as the load itself would."""
    if raw.error:
        return Quarantined(raw.location, raw.error, raw.record)
    if raw.skip:
        return Skipped(raw.skip, event_name(raw))
    reason = unmodelled(raw.kind, raw.record)  # the cheap test: no loader models it, no parse needed
    if reason is not None:
        return Skipped(reason, event_name(raw))
    try:
        delta = parse_record(raw, memberships)
        if window is not None and not window.plausible(delta.time):
            raise Skip(IMPLAUSIBLE_TIME)
        return delta
    except Skip as skip:
        return Skipped(skip.reason, event_name(raw))
    except (Malformed, IdentityError) as exc:
        return Quarantined(raw.location, f"{exc} ({raw.note})" if raw.note else str(exc), raw.record)
    except Exception as exc:  # noqa: BLE001 - a loader bug must not lose the record or stop the load
        return Quarantined(raw.location, f"loader error {type(exc).__name__}: {exc}", raw.record)
