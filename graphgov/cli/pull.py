"""`graphgov pull ...`: read the current state of AWS into the graph, one command per source.

Every puller's logic lives in graphgov.aws.pullers; these commands parse options, open the store and
print the pull's summary (exit 3 when it completed with gaps, unless --allow-partial).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from graphgov.aws.pullers.s3_objects import RELIST_DAYS
from graphgov.aws.session import PullError, PullSummary, bucket_session
from graphgov.cli.accounts import parse_since, puller_options, sessions
from graphgov.cli.common import (
    ALLOW_PARTIAL_HELP,
    STORE_HELP,
    friendly_errors,
    output_options,
    print_pull,
    progress_for,
    progress_option,
    store_from,
)
from graphgov.ingest.progress import reporting
from graphgov.stores import Store

# --- graphgov pull s3

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


def run_pull(store_spec: str | None, output_format: str, pull: Callable[[Store], PullSummary],
             what: Callable[[PullSummary], str], allow_partial: bool = False, unit: str | None = None) -> None:
    """Open the store, pull (with a progress line counting records and `unit`s), print the summary as
    `graphgov load` does plus `what(summary)` was read; a PullError is the command's one-line error."""
    try:
        with store_from(store_spec) as store, progress_for("pulling", unit) as progress, reporting(progress):
            summary = pull(store)
    except PullError as exc:
        raise click.ClickException(str(exc)) from None
    print_pull(summary, output_format, what(summary), store.description, allow_partial)


def day(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.command("s3")
@s3_pull_options
@click.option("--prefix", default="", help="The folder the logs are under (e.g. bedrock/ or firehose/cloudtrail/).")
@click.option("--layout", type=click.Choice(["bedrock-invocation", "firehose"]), required=True,
              help="bedrock-invocation: Bedrock model invocation logging to S3; firehose: a Firehose S3 destination.")
@friendly_errors
def s3_command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            since: datetime | None,
            profile: str | None, region: str | None, role_arn: str | None, external_id: str | None, bucket: str,
            relist_days: int, prefix: str, layout: str) -> None:
    """Read every log object under s3://BUCKET/PREFIX not read before (date folders from their checkpoint).

    Records are recognised as `graphgov load` recognises them: CloudTrail, CloudWatch Logs payloads
    (control messages skipped), Bedrock invocation logs, EventBridge events...
    """
    from graphgov.aws.pullers.s3_objects import pull_s3

    def pull(store: Store) -> PullSummary:
        session = bucket_session(profile, region, role_arn, external_id)
        return pull_s3(session, store, quarantine_path, bucket, prefix, layout, since=day(since), region=region,
                       relist_days=relist_days)

    run_pull(store_spec, output_format, pull, lambda summary: f"{summary.files} S3 objects in s3://{bucket}/{prefix}",
             allow_partial, unit="S3 objects")


# --- graphgov pull cloudtrail-s3

def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    """Repeated and comma-separated values, in order, once each."""
    return tuple(dict.fromkeys(part.strip() for value in values for part in value.split(",") if part.strip()))


@click.command("cloudtrail-s3")
@s3_pull_options
@click.option("--prefix", default="", help="The trail's S3 key prefix (the folder holding AWSLogs/).")
@click.option("--org-id", default=None, help="Read only this organisation's folder (o-...) [default: all found].")
@click.option("--accounts", multiple=True, help="Accounts whose logs are read (repeatable, or comma-separated) "
              "[default: every account folder found].")
@click.option("--regions", multiple=True, help="Regions read (repeatable, or comma-separated) "
              "[default: every Region folder found].")
@friendly_errors
def cloudtrail_s3_command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            since: datetime | None,
            profile: str | None, region: str | None, role_arn: str | None, external_id: str | None, bucket: str,
            relist_days: int, prefix: str, org_id: str | None, accounts: tuple[str, ...],
            regions: tuple[str, ...]) -> None:
    """Read CloudTrail delivery files from the trail's bucket, each file once.

    Each account and Region is read day by day from its checkpoint (the last day listed whole), listing
    the day before it again (--relist-days) for files delivered late; digest files are not read.
    """
    from graphgov.aws.pullers.cloudtrail_s3 import pull_cloudtrail_s3

    def pull(store: Store) -> PullSummary:
        session = bucket_session(profile, region, role_arn, external_id)
        return pull_cloudtrail_s3(session, store, quarantine_path, bucket, prefix, org_id=org_id,
                                  accounts=_split(accounts), regions=_split(regions), since=day(since), region=region,
                                  relist_days=relist_days)

    run_pull(store_spec, output_format, pull, lambda summary: f"{summary.files} S3 objects in s3://{bucket}/{prefix}",
             allow_partial, unit="S3 objects")


# --- graphgov pull sqs

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
@progress_option
@friendly_errors
def sqs_command(queue_url: str, max_messages: int | None, wait_seconds: int, store_spec: str | None,
            output_format: str, quarantine_path: Path, profile: str | None, allow_partial: bool) -> None:
    """Load S3 notifications and EventBridge events from an SQS queue, deleting each message once it is written."""
    from graphgov.aws.pullers.sqs import pull_sqs
    from graphgov.aws.session import aws_session

    try:
        session = aws_session(profile)
        with store_from(store_spec) as store, progress_for("pulling") as progress, reporting(progress):
            summary = pull_sqs(session, store, quarantine_path, queue_url, max_messages=max_messages,
                               wait_seconds=wait_seconds)
    except PullError as exc:
        raise click.ClickException(str(exc)) from None
    print_pull(summary, output_format, f"{summary.objects['messages']} messages of {queue_url}", store.description,
               allow_partial)


# --- graphgov pull lookup-events

@click.command("lookup-events")
@puller_options
@click.option("--since", default=None,
              help="Start every scan here (ISO-8601, or 7d / 12h / 30m ago) [default: the checkpoint minus "
                   "15 minutes, else 90 days ago].")
@click.option("--event-source", "event_sources", multiple=True,
              help="Event source to scan (repeatable) [default: sts, s3, kms, iam, sagemaker, bedrock and "
                   "organizations .amazonaws.com].")
@friendly_errors
def lookup_events_command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            profile: str | None,
            regions: tuple[str, ...], role_arn: str | None, assume_role_name: str | None, external_id: str | None,
            accounts: str | None, since: str | None, event_sources: tuple[str, ...]) -> None:
    """Pull CloudTrail event history (LookupEvents), management events of the last 90 days, incrementally."""
    from graphgov.aws.pullers.lookup_events import DEFAULT_SOURCES, pull_lookup_events

    start = parse_since(since)
    run_pull(store_spec, output_format,
             lambda store: pull_lookup_events(sessions(profile, role_arn, assume_role_name, external_id, accounts),
                                              store, quarantine_path, regions, event_sources or DEFAULT_SOURCES,
                                              start),
             lambda _summary: "CloudTrail event history", allow_partial)


# --- graphgov pull logs

@click.command("logs")
@puller_options
@click.option("--log-group", "log_groups", multiple=True, required=True,
              help="Log group to read (repeatable): CloudTrail's or Bedrock's model-invocation log group.")
@click.option("--filter-pattern", default=None, help="CloudWatch Logs filter pattern, applied by AWS.")
@click.option("--since", default=None,
              help="Read from here (ISO-8601, or 7d / 12h / 30m ago) [default: the checkpoint minus 15 minutes, "
                   "else the whole group].")
@friendly_errors
def logs_command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            profile: str | None,
            regions: tuple[str, ...], role_arn: str | None, assume_role_name: str | None, external_id: str | None,
            accounts: str | None, log_groups: tuple[str, ...], filter_pattern: str | None, since: str | None) -> None:
    """Pull log events with FilterLogEvents: each message as CloudTrail or Bedrock records, each event once."""
    from graphgov.aws.pullers.logs import pull_logs

    start = parse_since(since)
    run_pull(store_spec, output_format,
             lambda store: pull_logs(sessions(profile, role_arn, assume_role_name, external_id, accounts), store,
                                     quarantine_path, log_groups, regions, filter_pattern, start),
             lambda _summary: f"log groups {', '.join(log_groups)}", allow_partial)


# --- graphgov pull describe

@click.command("describe")
@puller_options
@friendly_errors
def describe_command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            profile: str | None,
            regions: tuple[str, ...], role_arn: str | None, assume_role_name: str | None, external_id: str | None,
            accounts: str | None) -> None:
    """Describe training jobs (DescribeTrainingJob) and Bedrock customization jobs (GetModelCustomizationJob)
    whose artifact or model the graph does not know yet. Jobs are asked about in their own Region."""
    from graphgov.aws.pullers.describe import pull_describe

    del regions  # each job is described in the Region its ARN names
    run_pull(store_spec, output_format,
             lambda store: pull_describe(sessions(profile, role_arn, assume_role_name, external_id, accounts), store,
                                         quarantine_path),
             lambda _summary: "job descriptions", allow_partial)


# --- graphgov pull config

@click.command("config")
@puller_options
@friendly_errors
def config_command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            profile: str | None,
            regions: tuple[str, ...], role_arn: str | None, assume_role_name: str | None, external_id: str | None,
            accounts: str | None) -> None:
    """Snapshot the logging configuration the evidence depends on: what each trail records and whether it
    logs, Bedrock model-invocation logging, log-group retention, bucket encryption and lifecycle expiration."""
    from graphgov.aws.pullers.config import pull_config

    run_pull(store_spec, output_format,
             lambda store: pull_config(sessions(profile, role_arn, assume_role_name, external_id, accounts), store,
                                       quarantine_path, regions),
             lambda _summary: "the logging configuration", allow_partial)


# --- graphgov pull iam, and the group

@click.group()
def pull() -> None:
    """Read the current state of an AWS account into the graph (a snapshot; pull again to see changes)."""


@pull.command("iam")
@puller_options
@friendly_errors
def pull_iam_command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
                     profile: str | None,
                     regions: tuple[str, ...], role_arn: str | None, assume_role_name: str | None,
                     external_id: str | None, accounts: str | None) -> None:
    """Pull the IAM users, groups, roles and managed policies, bucket, access point and key policies in force now.

    Credentials, Region and endpoint come from the standard AWS configuration (profile, environment
    including AWS_ENDPOINT_URL); the caller needs read access such as the SecurityAudit policy. With
    --role-arn or --assume-role-name each account reached is pulled in turn (`--region`: where KMS
    keys and S3 access points are read). The organisation's tree and its SCPs/RCPs are read where the
    caller may read them (once, as the caller, with --assume-role-name); elsewhere that is one skipped
    record.

    It fills the gap logs leave: access that a bucket, access point, key or trust policy no record shows
    would decide is `unknown` (`via` names it, e.g. unknown:key-policy:<key arn>) until this pull reads
    that policy.
    """
    from graphgov.aws.pullers.iam import pull_iam_accounts
    from graphgov.aws.session import aws_session

    def pull_accounts(store: Store) -> PullSummary:
        accounts_read = (session for _account, session in sessions(profile, role_arn, assume_role_name,
                                                                     external_id, accounts))
        return pull_iam_accounts(accounts_read, store, quarantine_path, regions,
                                 organization_session=aws_session(profile) if assume_role_name else None)

    run_pull(store_spec, output_format, pull_accounts,
             lambda summary: f"account {summary.account} at {summary.time}", allow_partial)


for _command in (sqs_command, cloudtrail_s3_command, s3_command, lookup_events_command, logs_command,
                 describe_command, config_command):
    pull.add_command(_command)
