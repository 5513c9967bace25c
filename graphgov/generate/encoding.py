"""How values are written in AWS's records: compact JSON, the timestamp forms each service uses, gzip
without a clock, ids derived from names (so a seed gives the same bytes) and S3's form-encoded keys."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import time as _time
from urllib.parse import quote_plus

dumps = json.JSONEncoder(separators=(",", ":")).encode
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso(t: int) -> str:
    """ISO 8601 to the second, as in CloudTrail's eventTime."""
    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(t))


def iso_ms(t: int, ms: int) -> str:
    """ISO 8601 to the millisecond, as in S3 event notifications."""
    return _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(t)) + f".{ms:03d}Z"


def fmt(t: int, pattern: str) -> str:
    """strftime in UTC."""
    return _time.strftime(pattern, _time.gmtime(t))


def human(t: int) -> str:
    """The `Jan 5, 2026, 1:00:00 AM` form STS uses for credential expirations."""
    g = _time.gmtime(t)
    hour = g.tm_hour % 12 or 12
    return f"{MONTHS[g.tm_mon - 1]} {g.tm_mday}, {g.tm_year}, {hour}:{g.tm_min:02d}:{g.tm_sec:02d} " + (
        "AM" if g.tm_hour < 12 else "PM")


def iam_date(t: int) -> str:
    """The `Jan 5, 2026 1:00:00 AM` form IAM uses for createDate in responseElements."""
    g = _time.gmtime(t)
    hour = g.tm_hour % 12 or 12
    return f"{MONTHS[g.tm_mon - 1]} {g.tm_mday}, {g.tm_year} {hour}:{g.tm_min:02d}:{g.tm_sec:02d} " + (
        "AM" if g.tm_hour < 12 else "PM")


def gz(data: bytes) -> bytes:
    """gzip without a timestamp: the bytes depend on the content only."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def stable_id(text: str, length: int = 17) -> str:
    """An id derived from a name (base32 of its sha256): the same for every seed."""
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:length]


def form_encode_key(key: str) -> str:
    """S3 event notifications form-encode object keys: space -> `+`, `/` kept, the rest percent-encoded."""
    return quote_plus(key, safe="/")

