"""Aggregation: many deltas -> one row per node and per edge, with counts and time windows.

The merge rules live here once and are used twice: to fold a chunk of deltas before writing, and by the
embedded store to fold a chunk into what it already holds. The Neo4j write statements implement the same
rules in Cypher (graphgov.stores.neo4j); the parity tests hold the two to each other.

Rules: node and edge properties take the newest non-null value; `first_seen`/`last_seen` are min/max;
`count` and `bytes` add; `operations` and `sources` are sorted unions; `event_ids` keeps the
lexicographically smallest few ids, so the sample is the same whatever order records arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphgov.delta import GraphDelta
from graphgov.schema import EDGE_TYPES, EVENT_ID_SAMPLE, NODE_TYPES

NodeId = tuple[str, str]  # (merge label, key)
EdgeId = tuple[str, NodeId, NodeId]  # (edge type, source node, target node)


def merge_node_attrs(current: dict[str, Any], incoming: dict[str, Any]) -> None:
    """Fold `incoming` node attributes into `current` in place."""
    for name, value in incoming.items():
        if name == "labels":
            current["labels"] = sorted(set(current.get("labels", [])) | set(value))
        elif name == "sources":
            current["sources"] = sorted(set(current.get("sources", [])) | set(value))
        elif name == "first_seen":
            current[name] = min(current.get(name) or value, value)
        elif name == "last_seen":
            current[name] = max(current.get(name) or value, value)
        elif value is not None:
            current[name] = value


def merge_edge_attrs(current: dict[str, Any], incoming: dict[str, Any]) -> None:
    """Fold `incoming` edge attributes into `current` in place (aggregated edges add up)."""
    for name, value in incoming.items():
        if name in ("count", "bytes"):
            current[name] = current.get(name, 0) + value
        elif name in ("operations", "sources"):
            current[name] = sorted(set(current.get(name, [])) | set(value))
        elif name == "event_ids":
            current[name] = sorted(set(current.get(name, [])) | set(value))[:EVENT_ID_SAMPLE]
        elif name == "first_seen":
            current[name] = min(current.get(name) or value, value)
        elif name == "last_seen":
            current[name] = max(current.get(name) or value, value)
        elif value is not None:
            current[name] = value


@dataclass
class Aggregate:
    """A chunk's worth of deltas folded into one row per node and edge."""

    nodes: dict[NodeId, dict[str, Any]] = field(default_factory=dict)
    edges: dict[EdgeId, dict[str, Any]] = field(default_factory=dict)

    def add(self, delta: GraphDelta) -> None:
        for row in delta.nodes:
            node_type = NODE_TYPES[row.type]
            attrs = {
                **{k: v for k, v in row.props.items() if v is not None},
                "labels": list(node_type.labels),
                "sources": [delta.source],
                "first_seen": delta.time,
                "last_seen": delta.time,
            }
            merge_node_attrs(self.nodes.setdefault((node_type.merge_label, row.key), {}), attrs)
        for edge in delta.edges:
            edge_type = EDGE_TYPES[edge.type]
            src = (NODE_TYPES[edge.src_type].merge_label, edge.src)
            dst = (NODE_TYPES[edge.dst_type].merge_label, edge.dst)
            attrs: dict[str, Any] = {
                **{k: v for k, v in edge.props.items() if v is not None},
                "sources": [delta.source],
                "first_seen": delta.time,
                "last_seen": delta.time,
            }
            if edge_type.aggregated:
                attrs.update(count=1, bytes=edge.bytes, event_ids=[delta.event_id],
                             operations=[edge.operation] if edge.operation else [])
            merge_edge_attrs(self.edges.setdefault((edge.type, src, dst), {}), attrs)

    def extend(self, deltas: Iterable[GraphDelta]) -> Aggregate:
        for delta in deltas:
            self.add(delta)
        return self

    def __bool__(self) -> bool:
        return bool(self.nodes or self.edges)
