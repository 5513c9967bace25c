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
(graphgov.aws.pullers.s3_objects explains the markers, retries and failures).
`since` bounds where a stream without a checkpoint starts.

A bucket that holds nothing in that layout is not "0 objects": the summary's `notes` say what the pull
found instead (no `AWSLogs/` under the prefix and what is there, folders under `AWSLogs/` that are
neither an account id nor an organisation id, an organisation or account folder with nothing of
CloudTrail's under it), so a wrong --prefix or a trail writing elsewhere shows at once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import boto3

from graphgov.aws.pullers.s3_objects import AWS_CALLS as S3_CALLS
from graphgov.aws.pullers.s3_objects import RELIST_DAYS, BucketReader, folder, run_pull
from graphgov.aws.session import PullError, PullSummary
from graphgov.ingest.pipeline import CHUNK_RECORDS, LoadRun
from graphgov.stores.base import Store
from loaders.organizations import ORG_ID_RE  # one definition of a valid organisation id

AWS_CALLS: frozenset[tuple[str, str]] = S3_CALLS
ACCOUNT_ID = re.compile(r"^\d{12}$")
CHECKPOINT_PREFIX = "cloudtrail-s3"


@dataclass
class CloudTrailPullSummary(PullSummary):
    """A pull summary plus `notes`: what the pull found where the CloudTrail layout was expected."""

    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "notes": list(self.notes)}


def _why_not(name: str) -> str:
    """Why a folder under AWSLogs/ is not read, in the user's terms."""
    if name.startswith("o-"):
        return f"{name}/ (not an organisation id: o- followed by 10 to 32 lowercase letters or digits)"
    if name.isdigit():
        return f"{name}/ (not an account id: 12 digits)"
    return f"{name}/ (neither an account id nor an organisation id)"


def _listing(folders: list[str], contents: list[dict[str, Any]], limit: int = 10) -> str:
    """`a/, b/ and 3 objects` (at most `limit` folder names)."""
    names = [f"{name}/" for name in sorted(folders)[:limit]]
    if len(folders) > limit:
        names.append(f"{len(folders) - limit} more folders")
    if contents:
        names.append(f"{len(contents)} object{'s' if len(contents) > 1 else ''}")
    return ", ".join(names) if names else "nothing"


def account_folders(reader: BucketReader, logs: str, org_id: str | None, accounts: Iterable[str],
                    notes: list[str] | None = None) -> list[str]:
    """The `…/<account>/` folders to read under `logs` (the `AWSLogs/` folder); what stands in the way
    of finding them (folders that are not ids, empty organisation folders) is added to `notes`."""
    notes = [] if notes is None else notes
    where = f"s3://{reader.bucket}/{logs}"
    wanted = sorted(set(accounts))
    if org_id and wanted:  # everything named: nothing to discover
        return [f"{logs}{org_id}/{account}/" for account in wanted]
    if org_id:
        orgs, direct = [org_id], []
    else:  # a one-account trail's accounts sit in AWSLogs/ itself, an organisation's one level down
        denied = reader.listings_denied
        top, contents = reader.level(logs)
        orgs = sorted(name for name in top if ORG_ID_RE.match(name))
        direct = sorted(name for name in top if ACCOUNT_ID.match(name))
        others = sorted(set(top) - set(orgs) - set(direct))
        if others:
            notes.append(f"{where} holds folders that are neither an account id (12 digits) nor an organisation "
                         f"id, not read: {', '.join(_why_not(name) for name in others)}")
        if not top and reader.listings_denied == denied:  # (a denied listing is a gap, not an empty folder)
            notes.append(_no_logs_folder(reader, logs, contents))
    found = [(account, f"{logs}{account}/") for account in direct]
    for org in orgs:
        denied = reader.listings_denied
        children, contents = reader.level(f"{logs}{org}/")
        members = sorted(name for name in children if ACCOUNT_ID.match(name))
        if not members and reader.listings_denied == denied:
            notes.append(f"{where}{org}/ holds no account folder (12 digits); found: {_listing(children, contents)}")
        found += [(account, f"{logs}{org}/{account}/") for account in members]
    chosen = [path for account, path in found if not wanted or account in wanted]
    missing = sorted(set(wanted) - {account for account, _ in found})
    if missing:
        notes.append(f"no folder for account{'s' if len(missing) > 1 else ''} {', '.join(missing)} under {where}"
                     f"{'' if org_id else '[o-…/]'}; accounts found: "
                     f"{', '.join(sorted({a for a, _ in found})) or 'none'}")
    return chosen


def _no_logs_folder(reader: BucketReader, logs: str, contents: list[dict[str, Any]]) -> str:
    """What is under the prefix when its AWSLogs/ folder holds nothing (one more listing, only then)."""
    if contents:
        return f"s3://{reader.bucket}/{logs} holds no folder, only {_listing([], contents)}"
    prefix = logs[: -len("AWSLogs/")]
    folders, objects = reader.level(prefix)
    hint = ""
    if any(name.lower() == "awslogs" for name in folders):
        hint = " (the folder name is case-sensitive: AWSLogs/)"
    return (f"s3://{reader.bucket}/{prefix} holds no AWSLogs/ folder{hint}; found: {_listing(folders, objects)} "
            f"(is --prefix the folder that holds AWSLogs/?)")


def check_ids(org_id: str | None, accounts: Iterable[str]) -> None:
    """Reject malformed filters before any request: a typo would otherwise silently read nothing."""
    if org_id and not ORG_ID_RE.match(org_id):
        raise PullError(f"not an organisation id: {org_id!r} (expected o- and 10 to 32 letters or digits)")
    for account in accounts:
        if not ACCOUNT_ID.match(account):
            raise PullError(f"not an AWS account id: {account!r} (expected 12 digits)")


def pull_cloudtrail_s3(session: boto3.Session, store: Store, quarantine_path: Path, bucket: str, prefix: str = "",
                       org_id: str | None = None, accounts: Iterable[str] = (), regions: Iterable[str] = (),
                       since: date | None = None, region: str | None = None, chunk_records: int = CHUNK_RECORDS,
                       attempts: int | None = None, relist_days: int = RELIST_DAYS) -> CloudTrailPullSummary:
    """Read the trail's delivery files in s3://bucket/prefix not read before into `store`."""
    accounts, regions = tuple(accounts), tuple(dict.fromkeys(regions))
    check_ids(org_id, accounts)

    notes: list[str] = []

    def body(run: LoadRun) -> Counter:
        reader = BucketReader(session, bucket, run, region, checkpoint_prefix=CHECKPOINT_PREFIX,
                              relist_days=relist_days, attempts=attempts)
        for account_folder in account_folders(reader, f"{folder(prefix)}AWSLogs/", org_id, accounts, notes):
            trail = f"{account_folder}CloudTrail/"
            denied = reader.listings_denied
            names = list(regions) or sorted(reader.level(trail)[0])
            if not names and reader.listings_denied == denied:  # say what the account folder holds instead
                children, contents = reader.level(account_folder)
                notes.append(f"s3://{bucket}/{account_folder} holds no CloudTrail/<region>/ folder; found: "
                             f"{_listing(children, contents)}")
            for name in names:
                reader.read_stream_days(f"{trail}{name}/", since)
        return reader.objects

    summary = run_pull(store, quarantine_path, chunk_records, body)
    return CloudTrailPullSummary(**vars(summary), notes=notes)
