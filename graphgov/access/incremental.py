"""The derivation after a load: nothing when the load wrote nothing, else only what changed, else everything.

`derive_after_load` reads the marker of the last derivation (graphgov.access.marker):

- **unchanged**: this load wrote no evidence and no other load is registered as having written some since
  the last derivation: the derived edges stand; the summary is the last derivation's, marked `unchanged`.
- **incremental**: the last derivation's digests (graphgov.access.fingerprint) are compared with the facts
  now; graphgov.access.scope turns the changed ones into the targets, principals, pairs and jobs to derive
  again. Every other derived edge stands (its `as_of` moved to the latest evidence, as a full derivation
  would give it). The result equals a full derivation of the same graph (tests/test_incremental_derivation.py).
- **full**: no usable marker (a store derived before markers existed, a marker that cannot be read), a
  change every answer depends on (an organisation's policies or places, an account's settings), or a change
  touching more than half of the targets or principals.
"""

from __future__ import annotations

import time as wallclock
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from graphgov.access import derivation
from graphgov.access import marker as markers
from graphgov.access.derivation import AccessSummary, _Deriver, _read_facts, job_edges, refresh_access
from graphgov.access.fingerprint import changed_items, edge_digests, facts_digests
from graphgov.access.model import ANYONE, principal_kind
from graphgov.access.scope import INCREMENTAL_SHARE, Scope, scope_of
from graphgov.core.schema import DERIVED_EDGE_TYPES
from graphgov.ingest.aggregate import NodeId
from graphgov.stores.base import DerivedEdge, Store

EdgeKey = tuple[str, NodeId, NodeId]


def derive_after_load(store: Store, run: str | None = None, commit: bool = False) -> AccessSummary:
    """Derive what the load's evidence changed (whether to derive at all is `nothing_new`'s answer). `run`: the
    load's id as registered in the marker (None when it registered nothing)."""
    started = wallclock.monotonic()
    marker = markers.read(store)
    if marker.digests is None or marker.summary is None:
        return refresh_access(store, commit, run)
    facts = _read_facts(store)
    deriver = _Deriver(facts)
    now = facts_digests(facts, deriver.timeline)
    old = _old_edges(store)
    job_roles: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (edge_type, job, (_, principal)) in old:
        if edge_type == "INPUT_READABLE_BY" and principal_kind(principal) == "role":
            job_roles[job].add(principal)
    for job in facts.job_inputs:
        job_roles.setdefault(job, set())
    old_states = {k[len("state|"):]: v for k, v in marker.digests.items() if k.startswith("state|")}
    now.update(edge_digests(old))  # derived edges removed since the last derivation: their sources re-derive
    scope = scope_of(changed_items(marker.digests, now), facts, old_states, job_roles)
    if isinstance(scope, str) or _too_wide(scope, facts):
        return refresh_access(store, commit, run)
    as_of = deriver.timeline.as_of or ""
    jobs = sorted(j for j in facts.job_inputs if scope.all_jobs or j in scope.jobs)
    fresh = deriver.current_edges(as_of, scope) + job_edges(deriver, jobs)
    stale = {key for key in old if _in_scope(key, scope, set(jobs) if not scope.all_jobs else None)}
    fresh_keys = {(e.type, e.src, e.dst) for e in fresh}
    kept = [DerivedEdge(k[0], k[1], k[2], _as_of(k[0], props, as_of)) for k, props in old.items()
            if k not in stale and k not in fresh_keys]
    moved = any(k[0] != "INPUT_READABLE_BY" and props.get("as_of") != as_of for k, props in old.items()
                if k not in stale)
    edges = kept + fresh  # disjoint: `fresh` is merged already, `kept` holds none of its keys
    removed = set(old) if moved else stale | (fresh_keys & set(old))
    added = edges if moved else fresh

    summary = derivation.settle(store, facts, deriver, edges, started, removed, added, commit, "incremental", run)
    summary.rederived = {"targets": len(scope.targets), "principals": len(scope.principals),
                         "pairs": sum(len(p) for p in scope.pairs.values()), "jobs": len(jobs)}
    return summary


def nothing_new(store: Store, wrote: bool) -> dict[str, Any] | None:
    """The last derivation's summary when nothing was written since it (this load wrote nothing, no other
    load is registered as having written), else None: derive. Derived edges a pending layer dropped are put
    back from the marker."""
    if wrote:
        return None
    marker = markers.read(store)
    if marker.pending or marker.summary is None or marker.digests is None:
        return None
    recorded = {k: v for k, v in marker.digests.items() if k.startswith("edges|")}
    if edge_digests(_derived_keys(store)) == recorded:
        return marker.summary
    # a store's pending layer, reverted and materialized again by every load, re-creates its nodes without the
    # derived edges they had: nothing else changed, so the last derivation's edges are put back as they were
    last = markers.unpack(marker.edges) if marker.edges else None
    if last is None or edge_digests((e.type, e.src, e.dst) for e in last) != recorded:
        return None
    store.replace_derived_for(None, last, [])
    return marker.summary


def unchanged(last: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of a derivation skipped: the last derivation's counts (edges, quarantined states...), no
    decision, marked `unchanged`."""
    out = {k: v for k, v in last.items() if k not in ("derived", "rederived")}
    return {**out, "decisions": 0, "derived": "unchanged"}


def access_mode(access: Mapping[str, Any]) -> str:
    """How a load summary says the derivation was spared: "" for a full one."""
    if access.get("derived") == "unchanged":
        return " (unchanged: nothing new to derive)"
    done = access.get("rederived")
    if access.get("derived") == "incremental" and done:
        return (f" (incremental: re-derived targets {done['targets']}, principals {done['principals']}, "
                f"pairs {done['pairs']}, jobs {done['jobs']})")
    return ""


def _too_wide(scope: Scope, facts: Any) -> bool:
    return (len(scope.targets) > INCREMENTAL_SHARE * max(1, len(facts.datasets) + len(facts.artifacts)
                                                         + len(facts.keys) + len(facts.principals))
            or len(scope.principals) > INCREMENTAL_SHARE * max(1, len(facts.principals)))


def _old_edges(store: Store) -> dict[EdgeKey, dict[str, Any]]:
    return {(edge_type, src, dst): dict(attrs) for edge_type in DERIVED_EDGE_TYPES
            for src, dst, attrs in store.scan_edges(edge_type)}


def _derived_keys(store: Store) -> list[EdgeKey]:
    return [(edge_type, src, dst) for edge_type in DERIVED_EDGE_TYPES for src, dst, _ in store.scan_edges(edge_type)]


def _in_scope(key: EdgeKey, scope: Scope, jobs: set[tuple[str, str]] | None) -> bool:
    """Whether the edge is one the incremental derivation derived again (so the old one goes)."""
    edge_type, src, dst = key
    if edge_type == "INPUT_READABLE_BY":
        return jobs is None or src in jobs
    if src[1] == ANYONE or dst in scope.targets or src[1] in scope.principals:
        return True
    return src[1] in scope.pairs.get(dst, ())


def _as_of(edge_type: str, props: Mapping[str, Any], as_of: str) -> dict[str, Any]:
    """A kept CAN_* edge says the latest evidence time, as a full derivation now would (INPUT_READABLE_BY's is
    the job's start)."""
    return dict(props) if edge_type == "INPUT_READABLE_BY" else {**props, "as_of": as_of}

