"""Which seen keys `Store.prune_seen` may delete: evidence keys, never the pullers' completion markers.

The seen set holds two kinds of key, each under the day it was recorded for:

- evidence keys (an event's `event_key` and `action_key`, e.g. `ct:<eventID>`): they make a record
  delivered twice (an overlapping trail, a replayed notification) count once;
- completion markers (`LoadRun.mark_done`): one per unit of input read (an S3 object
  `s3obj:<bucket>/<key>`, a CloudWatch Logs event `cwl:...`, a file `file:...`), so a pull or load skips
  what it read before without opening it again.

Pruning the evidence keys of days older than the relist window keeps the seen set bounded; the markers
stay, so a replay of objects or files already read is still skipped whole. A record of a pruned day that
arrives again in input never read before counts as new. The marker shapes are one pattern, written so
Python (`re.fullmatch`) and Cypher (`=~`, a Java full match) read it alike.
"""

from __future__ import annotations

import re
from datetime import date

# s3obj:<bucket>/<key> (a bucket name has no ':'; an S3 notification's action key is s3obj:<id>:<bucket>/...)
MARKER_PATTERN = r"(?s)(?:s3obj:[^:/]+/|cwl:|file:).*"
_MARKER = re.compile(MARKER_PATTERN)
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_marker(key: str) -> bool:
    """A completion marker (kept by pruning), not an evidence key."""
    return _MARKER.fullmatch(key) is not None


def check_day(day: str) -> str:
    """`day` if it is a YYYY-MM-DD date (the form seen keys are stored under), else ValueError."""
    try:
        if DAY.fullmatch(day):
            date.fromisoformat(day)
            return day
    except ValueError:
        pass
    raise ValueError(f"{day!r} is not a day: give it as YYYY-MM-DD")
