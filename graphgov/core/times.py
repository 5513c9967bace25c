"""Timestamps: every time in the graph is ISO-8601 UTC, `YYYY-MM-DDTHH:MM:SSZ`.

One fixed width keeps string comparison equal to time comparison, which both stores rely on for
`first_seen`/`last_seen`. Inputs vary: CloudTrail `eventTime` is ISO Z, vendor exports write
`2025-01-21 17:49:47.000000000`, LookupEvents uses offsets, EventBridge sometimes epoch strings.
The year is always four digits (`0001-01-01T00:00:00Z`, never `1-01-01T...`: strftime's `%Y` does not
pad on every platform), so the rule holds for any year datetime can represent.

Plausibility: an event time before 2013-01-01 (CloudTrail's first years; no source graphgov reads is
older) or later than the load's reference time (its start, or `--reference-time`) plus one day (clock
skew and time zones, no more) is not evidence of when something happened: the pipeline skips the
record as `implausible_time` (one rule, applied to every record's event time, whatever loader read it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

_FRACTION_RE = re.compile(r"(\.\d+)")
_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
EARLIEST_PLAUSIBLE = "2013-01-01T00:00:00Z"
FUTURE_TOLERANCE = timedelta(days=1)
IMPLAUSIBLE_TIME = "implausible_time"  # the skip reason


def format_utc(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` with a zero-padded year; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z")


@dataclass(frozen=True)
class TimeWindow:
    """The event times a load accepts: from EARLIEST_PLAUSIBLE to its reference time + FUTURE_TOLERANCE."""

    reference: str  # ISO-8601 UTC, as to_utc_iso writes it

    @classmethod
    def at(cls, reference: datetime | str | None = None) -> TimeWindow:
        """The window of a load starting now, or at `reference` (a rerun that must judge times alike)."""
        if reference is None:
            return cls(format_utc(datetime.now(timezone.utc)))
        return cls(to_utc_iso(reference) if isinstance(reference, str) else format_utc(reference))

    @property
    def latest(self) -> str:
        moment = datetime.fromisoformat(self.reference.replace("Z", "+00:00"))
        try:
            return format_utc(moment + FUTURE_TOLERANCE)
        except OverflowError:
            return "9999-12-31T23:59:59Z"

    def plausible(self, time: str) -> bool:
        """Whether an event time (any form to_utc_iso reads) lies in the window; unreadable is not."""
        if not _ISO_RE.fullmatch(time):
            try:
                time = to_utc_iso(time)
            except ValueError:
                return False
        return EARLIEST_PLAUSIBLE <= time <= self.latest


def to_utc_iso(value: object) -> str:
    """Normalise a timestamp; raises ValueError when it cannot be read as one."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_epoch(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"no timestamp: {_shown(value)}")
    text = value.strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _from_epoch(text)
    text = text.replace(" ", "T", 1) if re.match(r"\d{4}-\d{2}-\d{2} ", text) else text
    text = _FRACTION_RE.sub(lambda m: m.group(1)[:7], text, count=1)  # Python takes at most 6 digits
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"unreadable timestamp: {_shown(value)}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return format_utc(parsed)
    except OverflowError as exc:  # an offset that moves the year past 9999 or before 1
        raise ValueError(f"timestamp out of range: {_shown(value)}") from exc


def _from_epoch(value: float | str) -> str:
    try:
        number = float(value)
        seconds = number / 1000.0 if number > 1e11 else number  # epoch ms vs s
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as exc:  # huge, NaN, inf, or past the platform's time_t
        raise ValueError(f"epoch time out of range: {_shown(value)}") from exc
    return format_utc(moment)


def _shown(value: object, limit: int = 40) -> str:
    """A value for an error message: its repr, cut short (a time field may hold anything, even a secret)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"
