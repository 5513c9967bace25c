"""`graphgov pull lookup-events`: CloudTrail event history via LookupEvents (graphgov.pullers.lookup_events)."""

from __future__ import annotations

from pathlib import Path

import click

from graphgov.aws import PullError
from graphgov.cli_accounts import parse_since, puller_options, sessions
from graphgov.cli_common import friendly_errors, print_pull, store_from


@click.command("lookup-events")
@puller_options
@click.option("--since", default=None,
              help="Start every scan here (ISO-8601, or 7d / 12h / 30m ago) [default: the checkpoint minus "
                   "15 minutes, else 90 days ago].")
@click.option("--event-source", "event_sources", multiple=True,
              help="Event source to scan (repeatable) [default: sts, s3, kms, iam, sagemaker, bedrock and "
                   "organizations .amazonaws.com].")
@friendly_errors
def command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            profile: str | None,
            regions: tuple[str, ...], role_arn: str | None, assume_role_name: str | None, external_id: str | None,
            accounts: str | None, since: str | None, event_sources: tuple[str, ...]) -> None:
    """Pull CloudTrail event history (LookupEvents), management events of the last 90 days, incrementally."""
    from graphgov.pullers.lookup_events import DEFAULT_SOURCES, pull_lookup_events

    start = parse_since(since)
    try:
        with store_from(store_spec) as store:
            summary = pull_lookup_events(sessions(profile, role_arn, assume_role_name, external_id, accounts),
                                         store, quarantine_path, regions, event_sources or DEFAULT_SOURCES, start)
    except PullError as exc:
        raise click.ClickException(str(exc)) from None
    print_pull(summary, output_format, "CloudTrail event history", store.description, allow_partial)
