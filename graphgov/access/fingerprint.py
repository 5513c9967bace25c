"""What a derivation read, in digests: the next derivation compares them to find what changed.

Derived access is a function of the facts `graphgov.access.derivation` reads (policy states, principals, the
AI resources and their buckets, keys, access points, jobs, observed calls). Each fact that one principal,
one resource or one job depends on is digested on its own (`item -> digest`), only from the properties the
derivation reads, and each policy slot by its history (which state held from when: a snapshot seen again later
changes no answer and no digest), never by `last_seen`. Two derivations whose
digests agree on an item derive the same answers from it, so an incremental derivation re-derives only what
hangs on the items whose digests differ (graphgov.access.scope). Items that every answer hangs on (the
accounts whose policies are known, the organisations) are digested whole under one name each.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from graphgov.access.model import account_of

if TYPE_CHECKING:
    from graphgov.access.derivation import _Facts
    from graphgov.access.timeline import Timeline

# What each resource node's derivation reads: the digest covers these properties only.
NODE_PROPS: dict[str, tuple[str, ...]] = {
    "Dataset": ("bucket", "data_type", "prefix"),
    "ModelArtifact": ("bucket", "key"),
    "KMSKey": ("account_id", "key_manager"),
    "Endpoint": ("account_id",),
    "Model": ("account_id", "kind"),
    "ModelPackageGroup": ("account_id",),
}
GLOBAL = "global"  # the item every answer depends on


def digest(value: Any) -> str:
    """A short, stable digest of a JSON-able value (collisions between two states of one item: 2^-64)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def facts_digests(facts: _Facts, timeline: Timeline) -> dict[str, str]:
    """`kind|key` -> digest for every fact the derivation reads (see the module docstring)."""
    out: dict[str, str] = {}
    for state in facts.states:  # what each state says; when it held is its slots' history, below
        out[f"state|{state.id}"] = digest([state.subject, state.subject_type, state.slot, state.kind, state.document,
                                           state.target, state.deleted, state.evidence, state.event_id])
    for rejected in facts.rejected:
        out[f"state|{rejected['state']}"] = digest(rejected)
    for (subject, slot), history in timeline.histories().items():
        out[f"slot|{subject}|{slot}"] = digest(history)
    for key, labels in facts.principals.items():
        out[f"principal|{key}"] = digest([sorted(labels), key in facts.policy_only_principals,
                                          facts.role_paths.get(key)])
    for label, nodes in (("Dataset", facts.datasets), ("ModelArtifact", facts.artifacts), ("KMSKey", facts.keys),
                         ("Endpoint", facts.endpoints), ("Model", facts.models), ("ModelPackageGroup", facts.groups)):
        for key, attrs in nodes.items():
            out[f"{label}|{key}"] = digest([attrs.get(name) for name in NODE_PROPS[label]])
    for bucket, owner in facts.buckets.items():
        out[f"bucket|{bucket}"] = digest([owner, facts.encrypted_buckets.get(bucket),
                                          facts.bucket_points.get(bucket, ())])
    for bucket, key in facts.encrypted_buckets.items():
        if bucket not in facts.buckets:  # a bucket only an ENCRYPTS edge names
            out[f"bucket|{bucket}"] = digest([None, key, facts.bucket_points.get(bucket, ())])
    for job, inputs in facts.job_inputs.items():
        out[f"job|{job[0]}|{job[1]}"] = digest([sorted(inputs), facts.job_starts.get(job)])
    for (principal, label, key), calls in facts.observed.items():
        out[f"observed|{label}|{principal}|{key}"] = digest(sorted(
            [c.first_seen, c.last_seen, list(c.operations), c.event_id] for c in calls))
    known_accounts = sorted({account_of(s.subject) or "" for s in facts.states
                             if s.subject_type in ("AWSRole", "AWSUser")})
    out[GLOBAL] = digest([sorted(facts.org_policy_types.items()), sorted(facts.management_accounts),
                          sorted(facts.organizations.items()), known_accounts,
                          timeline.instants[0] if timeline.instants else None])
    return out


def changed_items(before: Mapping[str, str], now: Mapping[str, str]) -> set[str]:
    """Items whose digest differs, appeared or disappeared."""
    return {k for k in before.keys() | now.keys() if before.get(k) != now.get(k)}


def edge_digests(keys: Iterable[tuple[str, tuple[str, str], tuple[str, str]]]) -> dict[str, str]:
    """`edges|<label>|<key>` -> digest of the derived edges leaving each node (type and target): what the last
    derivation wrote, to tell the edges something else removed since (the embedded store's pending layer
    re-creates its nodes without them) from those it kept."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for edge_type, src, dst in keys:
        out.setdefault(f"edges|{src[0]}|{src[1]}", []).append((edge_type, dst[0], dst[1]))
    return {name: digest(sorted(rows)) for name, rows in out.items()}
