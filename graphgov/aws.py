"""What every puller shares: the boto3 session, the pull summary, the clock, and user-facing errors.

Sessions come from the standard AWS configuration (environment, shared config and credentials files,
`--profile`, `AWS_ENDPOINT_URL` and the service-specific `AWS_ENDPOINT_URL_<SERVICE>`), so the pullers
run unchanged against AWS, LocalStack or a moto server.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.exceptions import BotoCoreError

from graphgov.pipeline import LoadSummary
from graphgov.times import to_utc_iso

Clock = Callable[[], datetime]


class PullError(Exception):
    """The account cannot be read at all (no credentials, endpoint unreachable); meant for the user."""


@dataclass
class PullSummary(LoadSummary):
    """A load summary plus what was read, per kind of object (S3 objects, messages, pages...)."""

    objects: Counter = field(default_factory=Counter)
    account: str | None = None
    time: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "objects": dict(sorted(self.objects.items()))}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_time(moment: datetime | str) -> str:
    """A time in the graph's one format (`YYYY-MM-DDTHH:MM:SSZ`); a naive datetime is taken as UTC."""
    if isinstance(moment, str):
        return to_utc_iso(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def aws_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A boto3 session from the standard configuration (environment, profile, AWS_ENDPOINT_URL...)."""
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except BotoCoreError as exc:
        raise PullError(f"cannot use AWS profile: {exc}") from None


def unprefix_local_endpoint(request: Any, **_: Any) -> None:
    """S3 Control puts the account id in front of the endpoint's host name (`<account>.host`); an IP
    address or `localhost` (a local emulator given as AWS_ENDPOINT_URL) cannot take one, so drop it."""
    parts = urlsplit(request.url)
    host = parts.hostname or ""
    prefix, _, rest = host.partition(".")
    if not (prefix.isdigit() and len(prefix) == 12 and rest):
        return
    try:
        ipaddress.ip_address(rest)
    except ValueError:
        if rest != "localhost":
            return
    netloc = parts.netloc.replace(f"{prefix}.", "", 1)
    request.url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
