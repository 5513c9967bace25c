"""What every puller shares: the boto3 session, the pull summary, the clock, and user-facing errors.

Sessions come from the standard AWS configuration (environment, shared config and credentials files,
`--profile`, `AWS_ENDPOINT_URL` and the service-specific `AWS_ENDPOINT_URL_<SERVICE>`), so the pullers
run unchanged against AWS, LocalStack or a moto server.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from graphgov.aws.pullers._gaps import PullRun
from graphgov.core.times import format_utc, to_utc_iso
from graphgov.ingest.pipeline import CHUNK_RECORDS, LoadSummary
from graphgov.stores.base import Store

Clock = Callable[[], datetime]


# How AWS says why a call failed, whatever the service: what every puller tells apart.
ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "AllAccessDisabled",
})
GONE_CODES = frozenset({"NoSuchBucket", "NoSuchEntity", "NotFoundException", "NoSuchKey"})
CREDENTIAL_CODES = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
    "ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidToken", "AuthFailure",
})


def error_code(exc: ClientError) -> str:
    """The error code of a failed call ("" when AWS gave none)."""
    return str((exc.response.get("Error") or {}).get("Code") or "")


def error_message(exc: ClientError) -> str:
    """AWS's own message for a failed call, else botocore's rendering of the error."""
    return str((exc.response.get("Error") or {}).get("Message") or exc)


class PullError(Exception):
    """The account cannot be read at all (no credentials, endpoint unreachable); meant for the user."""


@dataclass
class PullSummary(LoadSummary):
    """A load summary plus what was read, per kind of object (S3 objects, messages, pages...)."""

    objects: Counter = field(default_factory=Counter)
    account: str | None = None
    time: str | None = None
    gaps: list[dict[str, Any]] = field(default_factory=list)  # input not read (graphgov.aws.pullers._gaps)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "objects": dict(sorted(self.objects.items())), "gaps": list(self.gaps)}


def merged(summaries: list[PullSummary]) -> PullSummary:
    """One summary for a pull over several accounts: counts add up; the graph totals are the last ones."""
    total = PullSummary()
    for summary in summaries:
        total.records += summary.records
        total.loaded += summary.loaded
        total.skipped.update(summary.skipped)
        for reason, names in summary.skipped_events.items():
            total.skipped_events.setdefault(reason, Counter()).update(names)
        total.quarantined += summary.quarantined
        total.files += summary.files
        total.objects.update(summary.objects)
        total.nodes, total.edges, total.access = summary.nodes, summary.edges, summary.access
        total.quarantine_file = total.quarantine_file or summary.quarantine_file
        total.time = summary.time
        total.gaps += summary.gaps
    total.account = ",".join(s.account for s in summaries if s.account) or None
    return total


@contextmanager
def pull_run(store: Store, quarantine_path: Path, chunk_records: int = CHUNK_RECORDS) -> Iterator[PullRun]:
    """A LoadRun for a puller: finished when the body ends, and also when it stops on a PullError (what
    was read is kept, and its markers make the rerun skip it); its quarantine closed in any case. It
    notes the input it could not read (`run.gaps`)."""
    run = PullRun(store, quarantine_path, chunk_records)
    try:
        try:
            yield run
        except PullError:
            run.finish()
            raise
        run.finish()
    finally:
        run.close()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_time(moment: datetime | str) -> str:
    """A time in the graph's one format (`YYYY-MM-DDTHH:MM:SSZ`); a naive datetime is taken as UTC."""
    if isinstance(moment, str):
        return to_utc_iso(moment)
    return format_utc(moment)


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


def account_sessions(base: boto3.Session, role_arn: str | None = None, assume_role_name: str | None = None,
                     external_id: str | None = None, accounts: tuple[str, ...] = ()
                     ) -> Iterator[tuple[str, boto3.Session]]:
    """(account id, session) for each account to read.

    No role: the base session's own account. `role_arn`: that one role, assumed. `assume_role_name`:
    the role of that name in each account listed (`accounts`), or in every ACTIVE member account of
    the organisation (organizations:ListAccounts, from the management or a delegated account).
    """
    from graphgov.aws.clients import client  # not at the top: graphgov.aws.clients imports this module

    try:  # STS answers in every Region; a missing Region is the puller's to report, with its own advice
        sts = client(base, "sts", base.region_name or "us-east-1")
        if role_arn:
            yield role_arn.split(":")[4], _assumed(base, sts, role_arn, external_id)
            return
        if not assume_role_name:
            yield sts.get_caller_identity()["Account"], base
            return
        partition = sts.get_caller_identity()["Arn"].split(":")[1]
        targets = list(accounts) or [
            account["Id"]
            for page in client(base, "organizations", base.region_name or "us-east-1", rate_limited=True)
            .get_paginator("list_accounts").paginate()
            for account in page["Accounts"] if account.get("Status", "ACTIVE") == "ACTIVE"]
    except (BotoCoreError, ClientError) as exc:
        raise PullError(f"cannot read AWS: {exc}") from None
    if not targets:
        raise PullError("no accounts to read: the organisation lists no ACTIVE account (is this its "
                        "management or a delegated administrator account?)")
    for account in targets:
        arn = f"arn:{partition}:iam::{account}:role/{assume_role_name}"
        try:
            yield account, _assumed(base, sts, arn, external_id)
        except (BotoCoreError, ClientError) as exc:
            raise PullError(f"cannot assume {arn}: {exc}") from None


def _assumed(base: boto3.Session, sts: Any, role_arn: str, external_id: str | None) -> boto3.Session:
    params = {"RoleArn": role_arn, "RoleSessionName": "graphgov-pull"}
    if external_id:
        params["ExternalId"] = external_id
    credentials = sts.assume_role(**params)["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name=base.region_name)


def bucket_session(profile: str | None, region: str | None, role_arn: str | None,
                   external_id: str | None) -> boto3.Session:
    """The session that reads the bucket: the standard configuration, or `role_arn` assumed from it.
    A bucket belongs to one account, so one session reads it (no --assume-role-name over accounts)."""
    base = aws_session(profile, region)
    if not role_arn:
        return base
    _, session = next(account_sessions(base, role_arn=role_arn, external_id=external_id))
    return session
