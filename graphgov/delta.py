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
