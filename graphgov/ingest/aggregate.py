"""Aggregation: many deltas -> one row per node and per edge, with counts and time windows.

The merge rules are stated here once: `Aggregate` applies them while folding a chunk of deltas,
`merge_attrs` when the embedded store folds a chunk into what it already holds, and the Neo4j write
statements (graphgov.stores.schema_cypher) implement them in Cypher; the parity tests hold them to each other.

Rules: node and edge properties take the newest non-null value (loaded last), except the changing
states of TIMED_PROPS, which take the value of the newest event by event time; `first_seen`/`last_seen` are min/max;
`count` and `bytes` add, and so do the edge type's declared additive properties (token counts, PII
counts...); `operations` and `sources` are sorted unions; `event_ids` keeps the lexicographically
smallest few ids, so the sample is the same whatever order records arrive in. A property of
RANKED_PROPS takes its highest-ranked value (then the greatest), never the one loaded last.

Each row of an aggregated edge adds 1 to `count` unless it states its own `count`: a second witness of
calls another source already counts (a Bedrock invocation-log record, of the InvokeModel CloudTrail
counts) states 0 and adds its own additive counter (`logged_count`) instead, so no call counts twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphgov.core.delta import GraphDelta
from graphgov.core.schema import (
    ADDITIVE_PROPS,
    EDGE_TYPES,
    EVENT_ID_SAMPLE,
    MERGE_KEYS,
    NODE_TYPES,
    TIMED_PROPS,
    UNION_PROPS,
)

NodeId = tuple[str, str]  # (merge label, key)
EdgeId = tuple[str, NodeId, NodeId]  # (edge type, source node, target node)


EDGE_UNIONS = frozenset({"sources", "operations"}) | UNION_PROPS
TIMED_AT = frozenset(TIMED_PROPS.values())  # set only alongside their property
NODE_UNIONS = frozenset({"labels", "sources"})  # a node property may share an edge union's name (`evidence`)


# Values two kinds of evidence may state differently for one node, and which stands whatever the load
# order (or a concurrent load's commit order): `arn:aws:iam::<acct>:root` is the root user when it acted
# (Root), else the account as a caller or a policy's grantee (AWSAccount).
RANKED_PROPS: dict[str, dict[str, int]] = {"principal_type": {"Root": 2, "AWSAccount": 1}}


def outranks(name: str, value: Any, current: Any) -> bool:
    """Whether `value` replaces `current` for a RANKED_PROPS property: higher rank, then greater value."""
    ranks = RANKED_PROPS[name]
    return current is None or (ranks.get(value, 0), str(value)) > (ranks.get(current, 0), str(current))


# The source of principal nodes the access derivation writes because a policy names them (graphgov.access.derivation).
NAMED_ONLY_SOURCE = "policy"


def named_only(attrs: dict[str, Any]) -> bool:
    """A node the access derivation made only because a policy names it. Evidence and such rows never
    mix: the first evidence replaces the node, a policy-named row leaves an evidenced node alone and
    replaces a policy-named one, so the graph is the same whether derivation ran before the evidence came
    (an earlier or a concurrent load) or after (the same load)."""
    return attrs.get("sources") == [NAMED_ONLY_SOURCE]


def merge_attrs(current: dict[str, Any], incoming: dict[str, Any], unions: frozenset[str] = EDGE_UNIONS) -> None:
    """Fold `incoming` edge (or, with NODE_UNIONS, node) attributes into `current` in place."""
    if unions is NODE_UNIONS and named_only(incoming) and current.get("sources") and not named_only(current):
        return
    # the first evidence replaces a policy-named node, and so does each derivation's own row (its window is
    # recomputed from every policy state the store holds: a window an earlier, partial derivation wrote
    # must not survive as a min/max, or the node would depend on how the input was split)
    if unions is NODE_UNIONS and named_only(current) and (
            NAMED_ONLY_SOURCE not in incoming.get("sources", ()) or named_only(incoming)):
        kept = {name: current[name] for name in set(MERGE_KEYS.values()) if name in current}
        current.clear()
        current.update(kept)
    for prop, at in TIMED_PROPS.items():  # an older state never replaces a newer one
        if prop in incoming and current.get(at) is not None and (incoming.get(at) or "") < current[at]:
            incoming = {k: v for k, v in incoming.items() if k not in (prop, at)}
    for name, value in incoming.items():
        if name in unions:
            current[name] = sorted(set(current.get(name, [])) | set(value))
        elif name == "event_ids":
            current[name] = sorted(set(current.get(name, [])) | set(value))[:EVENT_ID_SAMPLE]
        elif name in ("count", "bytes") or name in ADDITIVE_PROPS:
            current[name] = current.get(name, 0) + value
        elif name == "first_seen":
            current[name] = min(current.get(name) or value, value)
        elif name == "last_seen":
            current[name] = max(current.get(name) or value, value)
        elif name in RANKED_PROPS:
            if value is not None and outranks(name, value, current.get(name)):
                current[name] = value
        elif value is not None:
            current[name] = value


class _NodeAcc:
    __slots__ = ("labels", "props", "sources", "first", "last")

    def __init__(self, labels: tuple[str, ...], time: str) -> None:
        self.labels, self.props, self.sources = set(labels), {}, set()
        self.first = self.last = time


class _EdgeAcc:
    __slots__ = ("props", "unions", "added", "sources", "operations", "event_ids", "count", "bytes", "first",
                 "last", "aggregated")

    def __init__(self, aggregated: bool, time: str) -> None:
        self.props: dict[str, Any] = {}
        self.unions: dict[str, set[str]] = {}
        self.added: dict[str, int] = {}
        self.sources: set[str] = set()
        self.operations: set[str] = set()
        self.event_ids: set[str] = set()
        self.count = self.bytes = 0
        self.first = self.last = time
        self.aggregated = aggregated


class Aggregate:
    """A chunk's worth of deltas folded into one row per node and edge.

    Accumulates in sets and counters (the hot path of a load); `nodes` and `edges` give the folded
    attributes in the canonical form the stores and merge functions above use.
    """

    def __init__(self) -> None:
        self._nodes: dict[NodeId, _NodeAcc] = {}
        self._edges: dict[EdgeId, _EdgeAcc] = {}

    def add(self, delta: GraphDelta) -> None:
        time, source = delta.time, delta.source
        for row in delta.nodes:
            node_type = NODE_TYPES[row.type]
            node_id = (node_type.merge_label, row.key)
            acc = self._nodes.get(node_id)
            if acc is None:
                acc = self._nodes[node_id] = _NodeAcc(node_type.labels, time)
            else:
                acc.labels.update(node_type.labels)
                acc.first, acc.last = min(acc.first, time), max(acc.last, time)
            acc.sources.add(source)
            for name, value in row.props.items():
                if value is None or name in TIMED_AT:
                    continue
                at = TIMED_PROPS.get(name)
                if at is not None:  # a changing state: the newest event's value, stamped with its time
                    stamp = row.props.get(at) or time
                    if acc.props.get(at) is not None and stamp < acc.props[at]:
                        continue
                    acc.props[at] = stamp
                elif name in RANKED_PROPS and not outranks(name, value, acc.props.get(name)):
                    continue
                acc.props[name] = value
        for edge in delta.edges:
            edge_id = (edge.type, (NODE_TYPES[edge.src_type].merge_label, edge.src),
                       (NODE_TYPES[edge.dst_type].merge_label, edge.dst))
            acc = self._edges.get(edge_id)
            if acc is None:
                acc = self._edges[edge_id] = _EdgeAcc(EDGE_TYPES[edge.type].aggregated, time)
            else:
                acc.first, acc.last = min(acc.first, time), max(acc.last, time)
            acc.sources.add(source)
            for name, value in edge.props.items():
                if name in UNION_PROPS:
                    acc.unions.setdefault(name, set()).update(value or ())
                elif name in ADDITIVE_PROPS:
                    if value is not None:
                        acc.added[name] = acc.added.get(name, 0) + value
                elif name == "count":
                    continue  # the row's own count, taken below
                elif value is not None:
                    acc.props[name] = value
            acc.event_ids.add(delta.event_id)  # every edge names (a sample of) the events that made it
            if len(acc.event_ids) > 4 * EVENT_ID_SAMPLE:  # keep the sample bounded
                acc.event_ids = set(sorted(acc.event_ids)[:EVENT_ID_SAMPLE])
            if acc.aggregated:
                acc.count += edge.props.get("count", 1)
                acc.bytes += edge.bytes
                if edge.operation:
                    acc.operations.add(edge.operation)

    def extend(self, deltas: Iterable[GraphDelta]) -> Aggregate:
        for delta in deltas:
            self.add(delta)
        return self

    @property
    def nodes(self) -> dict[NodeId, dict[str, Any]]:
        return {
            node_id: {**acc.props, "labels": sorted(acc.labels), "sources": sorted(acc.sources),
                      "first_seen": acc.first, "last_seen": acc.last}
            for node_id, acc in self._nodes.items()
        }

    @property
    def edges(self) -> dict[EdgeId, dict[str, Any]]:
        out = {}
        for edge_id, acc in self._edges.items():
            attrs = {**acc.props, **{k: sorted(acc.unions.get(k, ())) for k in EDGE_TYPES[edge_id[0]].union_props},
                     "sources": sorted(acc.sources), "first_seen": acc.first, "last_seen": acc.last,
                     "event_ids": sorted(acc.event_ids)[:EVENT_ID_SAMPLE], **acc.added}
            if acc.aggregated:
                attrs.update(count=acc.count, bytes=acc.bytes, operations=sorted(acc.operations))
            out[edge_id] = attrs
        return out

    def __len__(self) -> int:
        return len(self._nodes) + len(self._edges)

    def __bool__(self) -> bool:
        return bool(self._nodes or self._edges)
