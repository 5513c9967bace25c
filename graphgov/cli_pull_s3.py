"""`graphgov pull s3`: read every log object under an S3 prefix once (graphgov.pullers.s3_objects).

Also the options and output the S3 pullers share (`graphgov pull cloudtrail-s3` uses them too).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import boto3
import click

from graphgov.aws import PullError, PullSummary, account_sessions, aws_session
from graphgov.cli_common import friendly_errors, output_options, print_pull, store_from
from graphgov.pullers.s3_objects import RELIST_DAYS
from graphgov.stores import Store

F = TypeVar("F", bound=Callable[..., Any])


def s3_pull_options(func: F) -> F:
    """The options every S3 puller takes: where to write, who reads the bucket, from when."""
    options = [
        output_options,
        click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                     help="First day (YYYY-MM-DD, UTC) read by a first pull; later pulls go on from their checkpoint."),
        click.option("--profile", default=None, help="AWS profile [default: the standard boto3 configuration]."),
        click.option("--region", default=None, help="The bucket's Region [default: the session's]."),
        click.option("--role-arn", default=None, help="Read the bucket as this role (e.g. the log archive's)."),
        click.option("--external-id", default=None, help="External id for --role-arn."),
        click.option("--bucket", required=True, help="The bucket the logs are delivered to."),
        click.option("--relist-days", type=click.IntRange(min=0), default=RELIST_DAYS, show_default=True,
                     help="Days before each checkpoint listed again, for files delivered after their day "
                          "(raise it after a delivery delay; files already read are not read again)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def bucket_session(profile: str | None, region: str | None, role_arn: str | None,
                   external_id: str | None) -> boto3.Session:
    """The session that reads the bucket: the standard configuration, or `role_arn` assumed from it.
    A bucket belongs to one account, so one session reads it (no --assume-role-name over accounts)."""
    base = aws_session(profile, region)
    if not role_arn:
        return base
    _, session = next(account_sessions(base, role_arn=role_arn, external_id=external_id))
    return session


def run_s3_pull(store_spec: str | None, output_format: str, where: str,
                pull: Callable[[Store], PullSummary], allow_partial: bool = False) -> None:
    """Open the store, pull, print the summary as `graphgov load` does plus what was read."""
    try:
        with store_from(store_spec) as store:
            summary = pull(store)
    except PullError as exc:
        raise click.ClickException(str(exc)) from None
    print_pull(summary, output_format, f"{summary.files} S3 objects in {where}", store.description, allow_partial)


def day(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.command("s3")
@s3_pull_options
@click.option("--prefix", default="", help="The folder the logs are under (e.g. bedrock/ or firehose/cloudtrail/).")
@click.option("--layout", type=click.Choice(["bedrock-invocation", "firehose"]), required=True,
              help="bedrock-invocation: Bedrock model invocation logging to S3; firehose: a Firehose S3 destination.")
@friendly_errors
def command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            since: datetime | None,
            profile: str | None, region: str | None, role_arn: str | None, external_id: str | None, bucket: str,
            relist_days: int, prefix: str, layout: str) -> None:
    """Read every log object under s3://BUCKET/PREFIX not read before (date folders from their checkpoint).

    Records are recognised as `graphgov load` recognises them: CloudTrail, CloudWatch Logs payloads
    (control messages skipped), Bedrock invocation logs, EventBridge events...
    """
    from graphgov.pullers.s3_objects import pull_s3

    def pull(store: Store) -> PullSummary:
        session = bucket_session(profile, region, role_arn, external_id)
        return pull_s3(session, store, quarantine_path, bucket, prefix, layout, since=day(since), region=region,
                       relist_days=relist_days)

    run_s3_pull(store_spec, output_format, f"s3://{bucket}/{prefix}", pull, allow_partial)
