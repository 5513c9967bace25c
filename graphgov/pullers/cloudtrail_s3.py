"""`graphgov pull cloudtrail-s3`: read a trail's delivery files from its S3 bucket, each once.

CloudTrail writes `<prefix>/AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz`
(organisation trails add the `o-…` folder). The pull lists only what it reads, with a `/` delimiter:
`AWSLogs/` (accounts of a one-account trail, and organisation folders), each organisation's accounts
(unless `accounts` are given), each account's `CloudTrail/` Regions (unless `regions` are given), then
the day folders of each (account, Region) stream from its checkpoint on. `CloudTrail-Digest/`,
`CloudTrail-Insight/` and any other sibling folder are never listed, so never read.

Each (account, Region) stream keeps its own checkpoint, `cloudtrail-s3:<bucket>/<stream folder>`: the
last day listed entirely. File names carry the delivery time and a random suffix, and a file can arrive
after its day was listed, so the next pull lists again from the day before the checkpoint (or
`relist_days` before it, after a longer delivery delay) and reads the files not marked read
(graphgov.pullers.s3_objects explains the markers, retries and failures).
`since` bounds where a stream without a checkpoint starts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import boto3

from graphgov.aws import PullError, PullSummary
from graphgov.pipeline import CHUNK_RECORDS, LoadRun
from graphgov.pullers.s3_objects import AWS_CALLS as S3_CALLS
from graphgov.pullers.s3_objects import RELIST_DAYS, Backoff, BucketReader, folder, run_pull
from graphgov.stores.base import Store

AWS_CALLS: frozenset[tuple[str, str]] = S3_CALLS
ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
CHECKPOINT_PREFIX = "cloudtrail-s3"


def account_folders(reader: BucketReader, logs: str, org_id: str | None, accounts: Iterable[str]) -> list[str]:
    """The `…/<account>/` folders to read under `logs` (the `AWSLogs/` folder)."""
    wanted = sorted(set(accounts))
    if org_id and wanted:  # everything named: nothing to discover
        return [f"{logs}{org_id}/{account}/" for account in wanted]
    if org_id:
        orgs, direct = [org_id], []
    else:  # a one-account trail's accounts sit in AWSLogs/ itself, an organisation's one level down
        top = reader.level(logs)[0]
        orgs = sorted(name for name in top if ORG_ID.match(name))
        direct = sorted(name for name in top if ACCOUNT_ID.match(name))
    found = [(account, f"{logs}{account}/") for account in direct]
    for org in orgs:
        found += [(account, f"{logs}{org}/{account}/") for account in sorted(reader.level(f"{logs}{org}/")[0])
                  if ACCOUNT_ID.match(account)]
    return [path for account, path in found if not wanted or account in wanted]


def check_ids(org_id: str | None, accounts: Iterable[str]) -> None:
    """Reject malformed filters before any request: a typo would otherwise silently read nothing."""
    if org_id and not ORG_ID.match(org_id):
        raise PullError(f"not an organisation id: {org_id!r} (expected o- and 10 to 32 letters or digits)")
    for account in accounts:
        if not ACCOUNT_ID.match(account):
            raise PullError(f"not an AWS account id: {account!r} (expected 12 digits)")


def pull_cloudtrail_s3(session: boto3.Session, store: Store, quarantine_path: Path, bucket: str, prefix: str = "",
                       org_id: str | None = None, accounts: Iterable[str] = (), regions: Iterable[str] = (),
                       since: date | None = None, region: str | None = None, chunk_records: int = CHUNK_RECORDS,
                       backoff: Backoff | None = None, relist_days: int = RELIST_DAYS) -> PullSummary:
    """Read the trail's delivery files in s3://bucket/prefix not read before into `store`."""
    accounts, regions = tuple(accounts), tuple(dict.fromkeys(regions))
    check_ids(org_id, accounts)

    def body(run: LoadRun) -> Counter:
        reader = BucketReader(session, bucket, run, backoff or Backoff(), region, checkpoint_prefix=CHECKPOINT_PREFIX,
                              relist_days=relist_days)
        for account_folder in account_folders(reader, f"{folder(prefix)}AWSLogs/", org_id, accounts):
            trail = f"{account_folder}CloudTrail/"
            for name in regions or sorted(reader.level(trail)[0]):
                reader.read_stream_days(f"{trail}{name}/", since)
        return reader.objects

    return run_pull(store, quarantine_path, chunk_records, body)
