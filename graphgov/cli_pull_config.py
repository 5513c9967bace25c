"""`graphgov pull config`: trails, Bedrock invocation logging, log-group retention, bucket encryption and lifecycle."""

from __future__ import annotations

from pathlib import Path

import click

from graphgov.aws import PullError
from graphgov.cli_accounts import puller_options, sessions
from graphgov.cli_common import friendly_errors, print_pull, store_from


@click.command("config")
@puller_options
@friendly_errors
def command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            profile: str | None,
            regions: tuple[str, ...], role_arn: str | None, assume_role_name: str | None, external_id: str | None,
            accounts: str | None) -> None:
    """Snapshot the logging configuration the evidence depends on: what each trail records and whether it
    logs, Bedrock model-invocation logging, log-group retention, bucket encryption and lifecycle expiration."""
    from graphgov.pullers.config import pull_config

    try:
        with store_from(store_spec) as store:
            summary = pull_config(sessions(profile, role_arn, assume_role_name, external_id, accounts), store,
                                  quarantine_path, regions)
    except PullError as exc:
        raise click.ClickException(str(exc)) from None
    print_pull(summary, output_format, "the logging configuration", store.description, allow_partial)
