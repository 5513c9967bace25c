"""Aggregation: many deltas -> one row per node and per edge, with counts and time windows.

The merge rules are declared once, in graphgov.core.merge_rules: `Aggregate` applies them while folding
a chunk of deltas, `merge_attrs` when the embedded store folds a chunk into what it already holds, and
the Neo4j write statements (graphgov.stores.schema_cypher) are generated from the same table; the parity
tests (tests/test_merge_rules.py) hold the stores to each other.

In short: the newest non-null value wins (LATEST), except TIMED states, which take the value of the newest
event by event time; `first_seen`/`last_seen` are min/max; `count` and `bytes` add, and so do the edge
type's additive properties (token counts, PII counts...); `operations`, `sources` and the edge type's
union properties are sorted unions; `event_ids` keeps the lexicographically smallest few ids, so the sample
is the same whatever order records arrive in; a RANKED property takes its highest-ranked value (then the
greatest), never the one loaded last.

Each row of an aggregated edge adds 1 to `count` unless it states its own `count`: a second witness of
calls another source already counts (a Bedrock invocation-log record, of the InvokeModel CloudTrail
counts) states 0 and adds its own additive counter (`logged_count`) instead, so no call counts twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphgov.core.delta import GraphDelta
from graphgov.core.merge_rules import (
    AGGREGATED_FIELDS,
    EDGE_RULES,
    EDGE_WINDOW,
    LATEST,
    NAMED_ONLY_SOURCE,
    NODE_RULES,
    Kind,
    Rule,
    add,
    fold,
    named_only,
    outranks,
)
from graphgov.core.schema import EDGE_TYPES, EVENT_ID_SAMPLE, MERGE_KEYS, NODE_TYPES

__all__ = ["Aggregate", "EdgeId", "NodeId", "merge_attrs"]

NodeId = tuple[str, str]  # (merge label, key)
EdgeId = tuple[str, NodeId, NodeId]  # (edge type, source node, target node)


def _timed(rules: Mapping[str, Rule]) -> dict[str, str]:
    """The TIMED properties of a rules table and their stamps."""
    return {name: rule.partner or "" for name, rule in rules.items() if rule.kind is Kind.TIMED}


def _of_kind(rules: Mapping[str, Rule], kind: Kind) -> frozenset[str]:
    return frozenset(name for name, rule in rules.items() if rule.kind is kind)


# The hot path's views of the rules, for the properties a delta's rows state. An edge's window and
# aggregated fields come from the delta itself (its time, source, event, bytes, operation): a value a row's
# props state for one is plain, and the delta's stands over it.
_ENVELOPE = frozenset(EDGE_WINDOW + AGGREGATED_FIELDS)
_NODE_STAMPS = _of_kind(NODE_RULES, Kind.STAMP)
_NODE_TIMED = _timed(NODE_RULES)
_TIMED_OF = {id(NODE_RULES): _NODE_TIMED, id(EDGE_RULES): _timed(EDGE_RULES)}  # the two tables' TIMED views
_NODE_RANKED = {name: rule for name, rule in NODE_RULES.items() if rule.kind is Kind.RANKED}
_EDGE_UNIONS = _of_kind(EDGE_RULES, Kind.UNION) - _ENVELOPE
_EDGE_SUMS = _of_kind(EDGE_RULES, Kind.SUM) - _ENVELOPE


def merge_attrs(current: dict[str, Any], incoming: Mapping[str, Any], rules: Mapping[str, Rule] = EDGE_RULES) -> None:
    """Fold `incoming` edge (or, with NODE_RULES, node) attributes into `current` in place, by the rules."""
    if rules is NODE_RULES:
        if named_only(incoming) and current.get("sources") and not named_only(current):
            return
        # the first evidence replaces a policy-named node, and so does each derivation's own row (its window
        # is recomputed from every policy state the store holds: a window an earlier, partial derivation
        # wrote must not survive as a min/max, or the node would depend on how the input was split)
        if named_only(current) and (NAMED_ONLY_SOURCE not in incoming.get("sources", ()) or named_only(incoming)):
            kept = {name: current[name] for name in set(MERGE_KEYS.values()) if name in current}
            current.clear()
            current.update(kept)
    timed = _TIMED_OF[id(rules)] if id(rules) in _TIMED_OF else _timed(rules)
    for prop, at in timed.items():  # an older state never replaces a newer one
        if prop in incoming and current.get(at) is not None and (incoming.get(at) or "") < current[at]:
            incoming = {k: v for k, v in incoming.items() if k not in (prop, at)}
    for name, value in incoming.items():
        merged = fold(rules.get(name, LATEST), current.get(name), value)
        if merged is not None or name in current:
            current[name] = merged


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
                if time < acc.first:  # min and max, without two calls per row
                    acc.first = time
                if time > acc.last:
                    acc.last = time
            acc.sources.add(source)
            for name, value in row.props.items():
                if value is None or name in _NODE_STAMPS:  # a stamp is set only alongside its property
                    continue
                at = _NODE_TIMED.get(name)
                if at is not None:  # a changing state: the newest event's value, stamped with its time
                    stamp = row.props.get(at) or time
                    if acc.props.get(at) is not None and stamp < acc.props[at]:
                        continue
                    acc.props[at] = stamp
                elif name in _NODE_RANKED and not outranks(_NODE_RANKED[name], value, acc.props.get(name)):
                    continue
                acc.props[name] = value
        for edge in delta.edges:
            edge_id = (edge.type, (NODE_TYPES[edge.src_type].merge_label, edge.src),
                       (NODE_TYPES[edge.dst_type].merge_label, edge.dst))
            acc = self._edges.get(edge_id)
            if acc is None:
                acc = self._edges[edge_id] = _EdgeAcc(EDGE_TYPES[edge.type].aggregated, time)
            else:
                if time < acc.first:
                    acc.first = time
                if time > acc.last:
                    acc.last = time
            acc.sources.add(source)
            for name, value in edge.props.items():
                if name in _EDGE_UNIONS:
                    acc.unions.setdefault(name, set()).update(value or ())
                elif name in _EDGE_SUMS:
                    if value is not None:
                        acc.added[name] = add(acc.added.get(name, 0), value)
                elif name == "count":
                    continue  # the row's own count, taken below
                elif value is not None:
                    acc.props[name] = value
            acc.event_ids.add(delta.event_id)  # every edge names (a sample of) the events that made it
            if len(acc.event_ids) > 4 * EVENT_ID_SAMPLE:  # keep the sample bounded
                acc.event_ids = set(sorted(acc.event_ids)[:EVENT_ID_SAMPLE])
            if acc.aggregated:
                acc.count = add(acc.count, edge.props.get("count", 1))
                acc.bytes = add(acc.bytes, edge.bytes)
                if edge.operation:
                    acc.operations.add(edge.operation)

    def extend(self, deltas: Iterable[GraphDelta]) -> Aggregate:
        for delta in deltas:
            self.add(delta)
        return self

    def keys(self) -> tuple[dict[NodeId, frozenset[str]], list[EdgeId]]:
        """The nodes (with the names of the properties they state) and edges the aggregate holds, without
        building their rows."""
        return {node_id: frozenset(acc.props) for node_id, acc in self._nodes.items()}, list(self._edges)

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
