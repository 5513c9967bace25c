"""The neutral graph delta a loader returns: what one record says about nodes and edges.

Loaders produce these values and nothing else; stores consume them. Keeping the delta free of any
store detail is what lets one parse feed both the embedded graph and Neo4j.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphgov.core.schema import ADDITIVE_PROPS, EDGE_TYPES, NODE_TYPES, UNION_PROPS


class Skip(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The record is well-formed but says nothing the graph models; `reason` names why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Malformed(Exception):  # noqa: N818
    """The record lacks something the graph needs (identity, time, principal, resource)."""


@dataclass(frozen=True)
class NodeRow:
    """One node fact: `type` is a NodeType name from graphgov.core.schema, `key` its key value."""

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
_SCALARS = (str, int, float, bool)


def _text(value: Any) -> bool:
    """A string both stores can write: UTF-8 encodable (JSON `\\udXXX` escapes can make lone surrogates)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(value: Any) -> bool:
    """A property value both stores can hold and the merge rules can compare: a scalar, or a list of one
    scalar type (Neo4j lists are homogeneous); strings UTF-8 encodable; numbers finite and within int64."""
    kind = type(value)
    if value is None or kind is bool:
        return True
    if kind is str:
        return _text(value)
    if kind is int:
        return -INT64 <= value < INT64
    if kind is float:
        return value - value == 0  # false for NaN and the infinities
    if kind is list or kind is tuple:
        if not value:
            return True
        first = bool if type(value[0]) is bool else str if type(value[0]) is str else float
        return all(type(v) in _SCALARS and (bool if type(v) is bool else str if type(v) is str else float) is first
                   and _storable(v) for v in value)  # scalars first: a nested list is refused, never recursed
    return False


def _key(value: Any) -> bool:
    return type(value) is str and value != "" and (value.isascii() or _text(value))


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {str(value)[:80]!r}"


def _check_props(props: Any, what: str) -> None:
    if type(props) is not dict and not isinstance(props, Mapping):
        raise Malformed(f"{what}: properties are not an object")
    for name, value in props.items():
        kind = type(value)
        if kind is str and value.isascii() and type(name) is str:
            continue  # the common case, decided without a call
        if type(name) is not str or not _storable(value):
            raise Malformed(f"{what}.{name}: value of unexpected shape ({_shown(value)})")


def validate(delta: GraphDelta) -> GraphDelta:
    """The delta, checked to be storable: keys are non-empty strings, properties scalars or homogeneous lists.

    The last edge before aggregation and the store write, which hash keys, sort unions and add counters:
    a record whose fields had an unexpected shape becomes Malformed (quarantined) here instead of a crash
    there. `None` values are allowed (the merge rules ignore them)."""
    for name in ("event_id", "event_key", "action_key", "time"):
        if not _key(getattr(delta, name)):
            raise Malformed(f"{name}: not a usable key ({_shown(getattr(delta, name))})")
    for row in delta.nodes:
        if row.type not in NODE_TYPES:
            raise Malformed(f"node type {row.type!r} is not in the schema")
        if not _key(row.key):
            raise Malformed(f"{row.type} key: not a usable key ({_shown(row.key)})")
        _check_props(row.props, row.type)
    for edge in delta.edges:
        if edge.type not in EDGE_TYPES or edge.src_type not in NODE_TYPES or edge.dst_type not in NODE_TYPES:
            raise Malformed(f"edge {edge.type!r} ({edge.src_type} -> {edge.dst_type}) is not in the schema")
        for end, value in (("source", edge.src), ("target", edge.dst)):
            if not _key(value):
                raise Malformed(f"{edge.type} {end}: not a usable key ({_shown(value)})")
        _check_props(edge.props, edge.type)
        if edge.operation is not None and not _key(edge.operation):
            raise Malformed(f"{edge.type} operation: not a usable key ({_shown(edge.operation)})")
        if type(edge.bytes) is not int or not 0 <= edge.bytes < INT64:
            raise Malformed(f"{edge.type}.bytes: not a byte count ({edge.bytes!r})")
        for name, value in edge.props.items():
            if value is None:
                continue
            if name in UNION_PROPS and not (type(value) in (list, tuple) and all(type(v) is str for v in value)):
                raise Malformed(f"{edge.type}.{name}: expected a list of strings, got {type(value).__name__}")
            if (name in ADDITIVE_PROPS or name == "count") and type(value) not in (int, float):
                raise Malformed(f"{edge.type}.{name}: expected a number, got {type(value).__name__}")
    return delta
