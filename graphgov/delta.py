"""The neutral graph delta a loader returns: what one record says about nodes and edges.

Loaders produce these values and nothing else; stores consume them. Keeping the delta free of any
store detail is what lets one parse feed both the embedded graph and Neo4j.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Skip(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The record is well-formed but says nothing the graph models; `reason` names why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Malformed(Exception):  # noqa: N818
    """The record lacks something the graph needs (identity, time, principal, resource)."""


@dataclass(frozen=True)
class NodeRow:
    """One node fact: `type` is a NodeType name from graphgov.schema, `key` its key value."""

    type: str
    key: str
    props: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EdgeRow:
    """One edge fact, observed once at `time` (ISO-8601 UTC) by the event that produced the delta."""

    type: str
    src_type: str
    src: str
    dst_type: str
    dst: str
    props: Mapping[str, Any] = field(default_factory=dict)
    operation: str | None = None
    bytes: int = 0


@dataclass(frozen=True)
class GraphDelta:
    """Everything one record contributes, plus the evidence identity used to de-duplicate it.

    `event_key` names this delivered record (CloudTrail `eventID`); `action_key` names the action it
    records: CloudTrail's `sharedEventID` when the call was delivered to several accounts, else the
    event key. `rank` orders two copies of one action (lower is the richer copy).
    """

    source: str
    event_id: str
    event_key: str
    action_key: str
    time: str
    nodes: tuple[NodeRow, ...] = ()
    edges: tuple[EdgeRow, ...] = ()
    rank: int = 0

    @property
    def day(self) -> str:
        return self.time[:10]


INT64 = 2**63  # Neo4j integers are signed 64-bit


def _storable(value: Any) -> bool:
    """A property value both stores can hold and the merge rules can compare: a scalar, or a list of one
    scalar type (Neo4j lists are homogeneous); strings must be UTF-8 encodable; numbers finite int64."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, int):
        return -INT64 <= value < INT64
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, (list, tuple)):
        kinds = {bool if isinstance(v, bool) else str if isinstance(v, str) else (int, float)
                 if isinstance(v, (int, float)) else None for v in value}
        return None not in kinds and len(kinds) <= 1 and all(_storable(v) for v in value)
    return False


def _key(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value or not _storable(value):
        raise Malformed(f"{what}: not a usable key ({type(value).__name__} {str(value)[:80]!r})")


def _props(props: Mapping[str, Any], what: str) -> None:
    if not isinstance(props, Mapping):
        raise Malformed(f"{what}: properties are not an object")
    for name, value in props.items():
        if not isinstance(name, str) or not _storable(value):
            raise Malformed(f"{what}.{name}: value of unexpected shape ({type(value).__name__} {str(value)[:80]!r})")


def validate(delta: GraphDelta) -> GraphDelta:
    """The delta, checked to be storable: keys are non-empty strings, properties scalars or homogeneous lists.

    The last edge before aggregation and the store write, which hash keys, sort unions and add counters:
    a record whose fields had an unexpected shape becomes Malformed (quarantined) here instead of a crash
    there. `None` values are allowed (the merge rules ignore them)."""
    from graphgov.schema import ADDITIVE_PROPS, EDGE_TYPES, NODE_TYPES, UNION_PROPS

    for name in ("event_id", "event_key", "action_key", "time"):
        _key(getattr(delta, name), name)
    for row in delta.nodes:
        if row.type not in NODE_TYPES:
            raise Malformed(f"node type {row.type!r} is not in the schema")
        _key(row.key, f"{row.type} key")
        _props(row.props, row.type)
    for edge in delta.edges:
        if edge.type not in EDGE_TYPES or edge.src_type not in NODE_TYPES or edge.dst_type not in NODE_TYPES:
            raise Malformed(f"edge {edge.type!r} ({edge.src_type} -> {edge.dst_type}) is not in the schema")
        _key(edge.src, f"{edge.type} source")
        _key(edge.dst, f"{edge.type} target")
        _props(edge.props, edge.type)
        if edge.operation is not None:
            _key(edge.operation, f"{edge.type} operation")
        if not isinstance(edge.bytes, int) or isinstance(edge.bytes, bool) or not 0 <= edge.bytes < INT64:
            raise Malformed(f"{edge.type}.bytes: not a byte count ({edge.bytes!r})")
        for name, value in edge.props.items():
            if name in UNION_PROPS and value is not None and not (
                    isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
                raise Malformed(f"{edge.type}.{name}: expected a list of strings, got {type(value).__name__}")
            if (name in ADDITIVE_PROPS or name == "count") and value is not None and (
                    isinstance(value, bool) or not isinstance(value, (int, float))):
                raise Malformed(f"{edge.type}.{name}: expected a number, got {type(value).__name__}")
    return delta
