"""`graphgov pull sqs`: the command line over graphgov.pullers.sqs."""

from __future__ import annotations

from pathlib import Path

import click

from graphgov.cli_common import ALLOW_PARTIAL_HELP, STORE_HELP, friendly_errors, print_pull, store_from


@click.command("sqs")
@click.option("--queue-url", required=True, help="URL of the SQS queue the S3 notifications and EventBridge "
                                                 "events are delivered to.")
@click.option("--max-messages", type=click.IntRange(min=1), default=None,
              help="Stop after this many messages [default: until the queue is drained].")
@click.option("--wait-seconds", type=click.IntRange(0, 20), default=20, show_default=True,
              help="Long-poll wait; the pull ends when a poll this long finds nothing.")
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quarantine", "quarantine_path", type=click.Path(path_type=Path),
              default=Path(".graphgov") / "quarantine.jsonl", show_default=True,
              help="Where messages and records that cannot be loaded are appended, with their error.")
@click.option("--profile", default=None, help="AWS profile [default: the standard boto3 configuration].")
@click.option("--allow-partial", is_flag=True, default=False, help=ALLOW_PARTIAL_HELP)
@friendly_errors
def command(queue_url: str, max_messages: int | None, wait_seconds: int, store_spec: str | None,
            output_format: str, quarantine_path: Path, profile: str | None, allow_partial: bool) -> None:
    """Load S3 notifications and EventBridge events from an SQS queue, deleting each message once it is written."""
    from graphgov.aws import PullError, aws_session
    from graphgov.pullers.sqs import pull_sqs

    try:
        session = aws_session(profile)
        with store_from(store_spec) as store:
            summary = pull_sqs(session, store, quarantine_path, queue_url, max_messages=max_messages,
                               wait_seconds=wait_seconds)
    except PullError as exc:
        raise click.ClickException(str(exc)) from None
    print_pull(summary, output_format, f"{summary.objects['messages']} messages of {queue_url}", store.description,
               allow_partial)
