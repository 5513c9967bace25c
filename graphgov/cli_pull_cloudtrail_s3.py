"""`graphgov pull cloudtrail-s3`: read a trail's delivery files from its bucket (graphgov.pullers.cloudtrail_s3)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from graphgov.aws import PullSummary
from graphgov.cli_common import friendly_errors
from graphgov.cli_pull_s3 import bucket_session, day, run_s3_pull, s3_pull_options
from graphgov.stores import Store


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
def command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
            since: datetime | None,
            profile: str | None, region: str | None, role_arn: str | None, external_id: str | None, bucket: str,
            relist_days: int, prefix: str, org_id: str | None, accounts: tuple[str, ...],
            regions: tuple[str, ...]) -> None:
    """Read CloudTrail delivery files from the trail's bucket, each file once.

    Each account and Region is read day by day from its checkpoint (the last day listed whole), listing
    the day before it again (--relist-days) for files delivered late; digest files are not read.
    """
    from graphgov.pullers.cloudtrail_s3 import pull_cloudtrail_s3

    def pull(store: Store) -> PullSummary:
        session = bucket_session(profile, region, role_arn, external_id)
        return pull_cloudtrail_s3(session, store, quarantine_path, bucket, prefix, org_id=org_id,
                                  accounts=_split(accounts), regions=_split(regions), since=day(since), region=region,
                                  relist_days=relist_days)

    run_s3_pull(store_spec, output_format, f"s3://{bucket}/{prefix}", pull, allow_partial)
