"""`graphgov pull logs`: CloudWatch Logs log groups (CloudTrail, Bedrock model invocations), incrementally."""

from __future__ import annotations

from pathlib import Path

import click

from graphgov.aws import PullError
from graphgov.cli_accounts import parse_since, puller_options, sessions
from graphgov.cli_common import friendly_errors, print_pull, store_from


@click.command("logs")
@puller_options
@click.option("--log-group", "log_groups", multiple=True, required=True,
              help="Log group to read (repeatable): CloudTrail's or Bedrock's model-invocation log group.")
@click.option("--filter-pattern", default=None, help="CloudWatch Logs filter pattern, applied by AWS.")
@click.option("--since", default=None,
              help="Read from here (ISO-8601, or 7d / 12h / 30m ago) [default: the checkpoint minus 15 minutes, "
                   "else the whole group].")
@friendly_errors
def command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            profile: str | None,
            regions: tuple[str, ...], role_arn: str | None, assume_role_name: str | None, external_id: str | None,
            accounts: str | None, log_groups: tuple[str, ...], filter_pattern: str | None, since: str | None) -> None:
    """Pull log events with FilterLogEvents: each message as CloudTrail or Bedrock records, each event once."""
    from graphgov.pullers.logs import pull_logs

    start = parse_since(since)
    try:
        with store_from(store_spec) as store:
            summary = pull_logs(sessions(profile, role_arn, assume_role_name, external_id, accounts), store,
                                quarantine_path, log_groups, regions, filter_pattern, start)
    except PullError as exc:
        raise click.ClickException(str(exc)) from None
    print_pull(summary, output_format, f"log groups {', '.join(log_groups)}", store.description, allow_partial)
