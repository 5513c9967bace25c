"""What a pull was asked to read and could not: the gaps that make a snapshot partial.

A puller that is denied part of its input (or throttled out of it) keeps loading the rest and accounts
for each unit it could not read as one record skipped with a reason `access_denied:<service>:<Operation>`
or `throttled:<service>:<Operation>`. That reason is the whole rule: `Gaps.observe` collects every such
record, whichever puller made it, so no puller can report a partial read as complete. The command line
turns a non-empty gap list into exit code 3 (see graphgov.cli.common), unless `--allow-partial`.

Gaps are aggregated per missing permission and scope (an S3 bucket, an ARN's account and Region): one
line names the IAM action, the resources as their common prefix, and how many were missed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphgov.ingest.pipeline import LoadRun
from graphgov.ingest.readers import RawRecord

NAMES_SHOWN = 3
GAP_REASONS = {"access_denied": "denied", "throttled": "throttled out"}

# API operations whose IAM action has another name (the policy a user must change names the action).
IAM_ACTIONS = {
    "s3:ListObjectsV2": "s3:ListBucket", "s3:ListObjects": "s3:ListBucket", "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
    "s3control:ListAccessPoints": "s3:ListAccessPoints", "s3control:GetAccessPoint": "s3:GetAccessPoint",
    "s3control:GetAccessPointPolicy": "s3:GetAccessPointPolicy",
}
# What one unit of each action is, for the count (default: resource).
UNITS = {
    "s3:GetObject": "object", "s3:ListBucket": "folder", "sagemaker:DescribeTrainingJob": "job",
    "bedrock:GetModelCustomizationJob": "job", "logs:FilterLogEvents": "log group", "kms:GetKeyPolicy": "key",
    "cloudtrail:LookupEvents": "scan", "sqs:ReceiveMessage": "queue",
}


def gap_of(raw: RawRecord) -> tuple[str, str] | None:
    """(how, IAM action) when the record stands for input a pull could not read, else None."""
    reason = raw.skip or ""
    kind, _, operation = reason.partition(":")
    if kind not in GAP_REASONS or ":" not in operation:
        return None
    return GAP_REASONS[kind], IAM_ACTIONS.get(operation, operation)


def _scope(location: str) -> str:
    """What gaps are aggregated within: a bucket, an ARN's service, Region and account, else the location
    up to its last `:` (`lookup-events:<account>:<region>`), else all plain names (bucket names) together."""
    if location.startswith("s3://"):
        return "/".join(location.split("/", 3)[:3])
    if location.startswith("arn:"):
        return ":".join(location.split(":", 5)[:5])
    return location.rsplit(":", 1)[0] if ":" in location else ""


def _resource(locations: list[str]) -> str:
    """One location, or the common prefix of several cut back to a separator, with `*`."""
    unique = sorted(set(locations))
    if len(unique) == 1:
        return unique[0]
    prefix = os.path.commonprefix(unique)
    cut = max(prefix.rfind("/"), prefix.rfind(":"))
    prefix = prefix[:cut + 1] if cut >= 0 else prefix
    if prefix:
        return prefix + "*"
    shown = ", ".join(unique[:NAMES_SHOWN])  # nothing in common (bucket names): name the first few
    return shown + (", ..." if len(unique) > NAMES_SHOWN else "")


@dataclass
class Gaps:
    """The gaps of one pull, in the order first met."""

    found: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)

    def observe(self, item: Any) -> None:
        """Note `item` if it is a record of input not read (any other item is ignored)."""
        if not isinstance(item, RawRecord):
            return
        gap = gap_of(item)
        if gap is not None:
            how, action = gap
            location = str(item.location or "")
            self.found.setdefault((action, how, _scope(location)), []).append(location)

    def as_list(self) -> list[dict[str, Any]]:
        """One entry per (action, how, scope): action, how, resource, count and unit."""
        out = []
        for (action, how, _scope_name), locations in self.found.items():
            out.append({"action": action, "how": how, "resource": _resource(locations), "count": len(locations),
                        "unit": UNITS.get(action, "resource")})
        return out


def gap_line(gap: dict[str, Any]) -> str:
    """`gap: s3:GetObject denied on s3://bucket/prefix/* (3 objects)`."""
    unit = gap["unit"] if gap["count"] == 1 else f"{gap['unit']}s"
    return f"gap: {gap['action']} {gap['how']} on {gap['resource']} ({gap['count']} {unit})"


class PullRun(LoadRun):
    """A LoadRun that notes every record of input not read as a gap (`gaps`)."""

    def __init__(self, store: Any, quarantine_path: Path, chunk_records: int) -> None:
        super().__init__(store, quarantine_path, chunk_records)
        self.gaps = Gaps()

    def add_raw(self, raw: RawRecord) -> None:
        self.gaps.observe(raw)
        super().add_raw(raw)
