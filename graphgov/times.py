"""Timestamps: every time in the graph is ISO-8601 UTC, `YYYY-MM-DDTHH:MM:SSZ`.

One fixed width keeps string comparison equal to time comparison, which both stores rely on for
`first_seen`/`last_seen`. Inputs vary: CloudTrail `eventTime` is ISO Z, vendor exports write
`2025-01-21 17:49:47.000000000`, LookupEvents uses offsets, EventBridge sometimes epoch strings.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

_FRACTION_RE = re.compile(r"(\.\d+)")


def to_utc_iso(value: object) -> str:
    """Normalise a timestamp; raises ValueError when it cannot be read as one."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_epoch(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"no timestamp: {value!r}")
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
        raise ValueError(f"unreadable timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return _iso(parsed.astimezone(timezone.utc))
    except OverflowError as exc:  # year 1 with a positive offset, year 9999 with a negative one
        raise ValueError(f"timestamp out of range: {value!r}") from exc


def _iso(moment: datetime) -> str:
    """Fixed width whatever the year (`strftime("%Y")` writes year 1 as `1`, breaking string order)."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return text if moment.year >= 1000 else f"{moment.year:04d}{text[text.index('-'):]}"


def _from_epoch(value: float | str) -> str:
    try:
        number = float(value)
        seconds = number / 1000.0 if number > 1e11 else number  # epoch ms vs s
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as exc:  # huge, NaN, inf, or past the platform's time_t
        raise ValueError(f"epoch time out of range: {value!r}") from exc
    return _iso(moment)
