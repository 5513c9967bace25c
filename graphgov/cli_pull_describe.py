"""`graphgov pull describe`: ask SageMaker and Bedrock what the logs did not say about jobs in the graph."""

from __future__ import annotations

from pathlib import Path

import click

from graphgov.aws import PullError
from graphgov.cli_accounts import puller_options, sessions
from graphgov.cli_common import friendly_errors, print_pull, store_from


@click.command("describe")
@puller_options
@friendly_errors
def command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            profile: str | None,
            regions: tuple[str, ...], role_arn: str | None, assume_role_name: str | None, external_id: str | None,
            accounts: str | None) -> None:
    """Describe training jobs (DescribeTrainingJob) and Bedrock customization jobs (GetModelCustomizationJob)
    whose artifact or model the graph does not know yet. Jobs are asked about in their own Region."""
    from graphgov.pullers.describe import pull_describe

    del regions  # each job is described in the Region its ARN names
    try:
        with store_from(store_spec) as store:
            summary = pull_describe(sessions(profile, role_arn, assume_role_name, external_id, accounts), store,
                                    quarantine_path)
    except PullError as exc:
        raise click.ClickException(str(exc)) from None
    print_pull(summary, output_format, "job descriptions", store.description, allow_partial)
