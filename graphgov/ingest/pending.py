"""The pending layer: poorer trail copies of cross-account calls whose richer copy has not arrived yet.

The role owner's copy of a cross-account call names only the caller's account; the caller's copy names
the caller (its ARN). When a load ends with no richer copy of an action, the poorer copy is loaded as
*pending*: kept in the store's bookkeeping (keyed by its action) and materialized into the graph, so
answers show the call (unknown is not no), with an undo log of the exact prior state of every node and
edge the materialization touched. The next load's first evidence write reverts that materialization in
the same atomic write, and its end materializes again the copies still pending: those whose richer copy
arrived meanwhile are dropped. So the graph is the same whichever load brought which copy.

This module holds what both stores share: a delta's serialized form and the nodes a layer touches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from graphgov.core.delta import EdgeRow, GraphDelta, NodeRow
from graphgov.core.s3_containment import WRITER_JOBS
from graphgov.ingest.aggregate import Aggregate, NodeId

PENDING_PREFIX = "graphgov:pending:"  # bookkeeping keys (event keys always carry a source prefix)
LAYER_KEY = "graphgov:pending-layer"
# Nodes a store links by key beyond the written edges (dataset membership, tuning outputs, feeds, endpoint
# history): the undo log keeps every edge incident on them. Of other nodes it keeps only the layer's own
# edges, so a role with a million edges costs the few the pending copies write, not the million.
LINKED_LABELS = frozenset({"S3Object", "Dataset", "ModelArtifact", "TuningJob", "Endpoint", *WRITER_JOBS})


def is_pending(delta: GraphDelta) -> bool:
    """A poorer copy of an action several trails deliver: loaded as pending, never as evidence proper."""
    return delta.rank > 0 and delta.action_key != delta.event_key


def order(delta: GraphDelta) -> tuple[int, str]:
    """Which of two pending copies of one action is kept: the richer, then the smaller event key."""
    return delta.rank, delta.event_key


def dumps(delta: GraphDelta) -> str:
    """The delta as JSON (its properties are storable scalars and lists: graphgov.core.delta.validate)."""
    return json.dumps({
        "source": delta.source, "event_id": delta.event_id, "event_key": delta.event_key,
        "action_key": delta.action_key, "time": delta.time, "rank": delta.rank,
        "nodes": [[row.type, row.key, dict(row.props)] for row in delta.nodes],
        "edges": [[e.type, e.src_type, e.src, e.dst_type, e.dst, dict(e.props), e.operation, e.bytes]
                  for e in delta.edges],
    }, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> GraphDelta:
    data: dict[str, Any] = json.loads(text)
    return GraphDelta(
        data["source"], data["event_id"], data["event_key"], data["action_key"], data["time"],
        tuple(NodeRow(t, k, p) for t, k, p in data["nodes"]),
        tuple(EdgeRow(t, st, s, dt, d, p, op, b) for t, st, s, dt, d, p, op, b in data["edges"]),
        data["rank"],
    )


def layer(texts: Iterable[str]) -> Aggregate:
    """The aggregate of the pending copies, folded in action order (the same whichever load brought them)."""
    deltas = sorted((loads(text) for text in texts), key=lambda d: (d.action_key, d.event_key))
    return Aggregate().extend(deltas)


def touched(aggregate: Aggregate) -> set[NodeId]:
    """Every node a write of `aggregate` can change: its nodes and both ends of its edges (the links a
    store derives from keys, dataset membership, feeds, endpoint history, all end at one of them)."""
    found = set(aggregate.nodes)
    for _, src, dst in aggregate.edges:
        found.update((src, dst))
    return found


def linked(nodes: Iterable[NodeId]) -> set[NodeId]:
    """Of `nodes`, those whose every incident edge the undo log keeps (LINKED_LABELS)."""
    return {node for node in nodes if node[0] in LINKED_LABELS}


def own_edges(aggregate: Aggregate, full: set[NodeId]) -> list[tuple[str, NodeId, NodeId]]:
    """The layer's edges the undo log keeps one by one: those not incident on a fully kept node."""
    return sorted(edge for edge in aggregate.edges if edge[1] not in full and edge[2] not in full)
