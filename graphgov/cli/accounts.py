"""The account options every AWS puller shares, and the sessions they name.

`--profile`, `--region` (repeatable), `--role-arn`, or `--assume-role-name` over `--accounts` (default:
the organisation's ACTIVE accounts) with `--external-id`; and `--since` as a date, a time or `<n>d`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import click

from graphgov.aws.session import account_sessions, aws_session, utc_now
from graphgov.cli.common import output_options


def puller_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--store, --format, --quarantine and the account options (profile, Regions, roles, accounts)."""
    options = [
        output_options,
        click.option("--profile", default=None, help="AWS profile [default: the standard boto3 configuration]."),
        click.option("--region", "regions", multiple=True,
                     help="Region to read (repeatable) [default: the session's region]."),
        click.option("--role-arn", default=None, help="Assume this role and read its account."),
        click.option("--assume-role-name", default=None,
                     help="Assume the role of this name in each account of --accounts (default: the organisation)."),
        click.option("--external-id", default=None, help="ExternalId for the role assumptions."),
        click.option("--accounts", default=None, help="Comma-separated account ids for --assume-role-name."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def sessions(profile: str | None, role_arn: str | None, assume_role_name: str | None, external_id: str | None,
             accounts: str | None) -> Iterator[tuple[str, boto3.Session]]:
    """(account, session) pairs from the account options."""
    listed = tuple(a.strip() for a in (accounts or "").split(",") if a.strip())
    return account_sessions(aws_session(profile), role_arn, assume_role_name, external_id, listed)


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """`--since`: an ISO-8601 date or time (UTC unless it says otherwise), or `<n>d`, `<n>h`, `<n>m` ago."""
    if not value:
        return None
    match = re.fullmatch(r"(\d+)([dhm])", value.strip())
    if match:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
        return (now or utc_now()) - timedelta(**{unit: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"expected an ISO-8601 time or <n>d/<n>h/<n>m, got {value!r}",
                                 param_hint="--since") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
