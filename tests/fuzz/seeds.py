"""Seed records for the fuzz suite: every record the real samples hold, as the readers deliver them.

Seeds come from tests/fixtures/ and graphgov/samples/ (real AWS documentation and open-source samples,
origins in their READMEs/NOTICE): CloudTrail records of every kind the loaders handle, S3 notifications,
EventBridge events, Bedrock invocation logs, and the policy-bearing CloudTrail calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphgov.ingest.readers import iter_paths, read_path

ROOT = Path(__file__).resolve().parents[2]
SEED_DIRS = (ROOT / "tests" / "fixtures", ROOT / "graphgov" / "samples")

# Requests that carry a policy document (inline JSON or a JSON string) the evaluator reads.
POLICY_EVENTS = frozenset({
    "PutBucketPolicy", "PutRolePolicy", "PutUserPolicy", "PutGroupPolicy", "CreatePolicy", "CreatePolicyVersion",
    "PutKeyPolicy", "CreateKey", "CreateRole", "UpdateAssumeRolePolicy", "PutAccessPointPolicy",
    "PutModelPackageGroupPolicy", "PutResourcePolicy", "CreateGrant", "AttachRolePolicy", "AttachUserPolicy",
    "PutPublicAccessBlock", "PutBucketAcl", "PutAccountPublicAccessBlock",
})


@dataclass(frozen=True)
class Seed:
    kind: str
    record: Any
    origin: str

    @property
    def name(self) -> str:
        rec = self.record if isinstance(self.record, dict) else {}
        return str(rec.get("eventName") or rec.get("detail-type") or rec.get("operation") or self.kind)


@lru_cache(maxsize=1)
def all_seeds() -> tuple[Seed, ...]:
    """Every loadable record of the samples (kind known, no reader error), deduplicated by content."""
    seen: set[str] = set()
    seeds = []
    for path in iter_paths(SEED_DIRS):
        for raw in read_path(path):
            if raw.kind is None or raw.error or raw.skip:
                continue
            text = json.dumps(raw.record, sort_keys=True)
            if text in seen:
                continue
            seen.add(text)
            seeds.append(Seed(raw.kind, raw.record, str(path.relative_to(ROOT))))
    return tuple(seeds)


@lru_cache(maxsize=1)
def policy_seeds() -> tuple[Seed, ...]:
    """Seeds whose request carries a policy, a key policy, a trust policy or a public access block."""
    return tuple(s for s in all_seeds() if s.kind == "cloudtrail" and s.name in POLICY_EVENTS)
