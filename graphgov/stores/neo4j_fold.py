"""A chunk's nodes and edges written to Neo4j by reading what they touch, folding in Python, writing the result.

The fold is the embedded store's (graphgov.ingest.aggregate.merge_attrs, the merge rules), so the two stores
cannot disagree about a merge. Per chunk the server does only index seeks, plain `CREATE ... SET x = row.props`
for what is new and `SET x += row.changed` (by element id) for what the fold changed; it never evaluates fold
expressions or merges per row, and unchanged rows are not written at all.

Safe against concurrent writers because every evidence write first takes the pending layer's lock
(graphgov.stores.neo4j_pending.lock_and_revert): the values read here cannot change before this transaction
commits. The derivation's own node updates (`replace_derived`) set only derived properties, which the fold
never writes. Labels are only ever added, as a MERGE statement's `SET n:Label` did.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Set
from typing import Any

from graphgov.core.merge_rules import NODE_RULES, named_only
from graphgov.core.schema import MERGE_KEYS, node_labels
from graphgov.ingest.aggregate import NodeId, merge_attrs

BATCH = 5000  # rows per statement
_NOT_STORED_ON_NODES = ("event_ids",)  # a node's event ids are kept on its edges only


def node_properties(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """What of a node's attributes Neo4j holds as properties: not its labels (Neo4j's own), nor its event ids."""
    return {k: v for k, v in attrs.items() if k not in _NOT_STORED_ON_NODES and k != "labels"}
Rates = dict[str, list[float]]  # kind -> [rows, seconds]


class Timed:
    """Runs statements in batches and adds rows and seconds per kind (nodes, edges, seen, links) to `rates`."""

    def __init__(self, tx: Any, rates: Rates | None) -> None:
        self.tx, self.rates = tx, rates

    def run(self, kind: str, statement: str, rows: list[dict[str, Any]],
            collect: Callable[[Any], None] | None = None) -> None:
        start = time.perf_counter()
        for first in range(0, len(rows), BATCH):
            result = self.tx.run(statement, rows=rows[first:first + BATCH])
            if collect is None:
                result.consume()
            else:
                for record in result:
                    collect(record)
        self.count(kind, 0, time.perf_counter() - start)

    def count(self, kind: str, rows: int, seconds: float = 0.0) -> None:
        if self.rates is not None:
            entry = self.rates.setdefault(kind, [0, 0.0])
            entry[0] += rows
            entry[1] += seconds


def _key_seek(var: str, label: str, field: str) -> str:
    return f"({var}:{label} {{{MERGE_KEYS[label]}: row.{field}}})"


def _node_states(runner: Timed, wanted: Iterable[NodeId]) -> dict[NodeId, tuple[str, list[str], dict[str, Any]]]:
    """(element id, labels, properties) of each wanted node present in the graph."""
    by_label: dict[str, list[dict[str, str]]] = defaultdict(list)
    for label, key in sorted(set(wanted)):
        by_label[label].append({"key": key})
    found: dict[NodeId, tuple[str, list[str], dict[str, Any]]] = {}
    for label, rows in sorted(by_label.items()):
        statement = (f"UNWIND $rows AS row MATCH {_key_seek('n', label, 'key')} "
                     "RETURN row.key AS key, elementId(n) AS id, labels(n) AS labels, properties(n) AS props")
        runner.run("nodes", statement, rows,
                   lambda r, lb=label: found.__setitem__((lb, r["key"]), (r["id"], r["labels"], r["props"])))
    return found


def _fold_node(labels: list[str], props: dict[str, Any], attrs: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """(labels to add, properties changed: None removes) for `attrs` written over a stored node."""
    incoming = node_properties(attrs)
    if named_only(incoming) and props.get("sources") and not named_only(props):
        return [], {}  # a policy-named row leaves an evidenced node alone, labels included
    folded = dict(props)
    merge_attrs(folded, incoming, NODE_RULES)
    changed = {k: v for k, v in folded.items() if k not in props or props[k] != v}
    changed.update({k: None for k in props if k not in folded})  # a policy-named node replaced by evidence
    return sorted(set(attrs["labels"]) - set(labels)), changed


def write_nodes(runner: Timed, nodes: Mapping[NodeId, Mapping[str, Any]],
                endpoints: Iterable[NodeId]) -> tuple[dict[NodeId, str], set[NodeId]]:
    """Fold and write the chunk's nodes: the element ids of them and of the other `endpoints` present, and
    the nodes created here (no edge can touch them yet)."""
    states = _node_states(runner, [*nodes, *endpoints])
    ids = {node: state[0] for node, state in states.items()}
    created_here: set[NodeId] = set()
    created: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    updates: list[dict[str, Any]] = []
    relabel: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for (label, key), attrs in nodes.items():
        state = states.get((label, key))
        if state is None:
            props: dict[str, Any] = {MERGE_KEYS[label]: key}
            merge_attrs(props, node_properties(attrs), NODE_RULES)
            created[tuple(sorted(attrs["labels"]))].append(
                {"label": label, "key": key, "props": {k: v for k, v in props.items() if v is not None}})
            continue
        added, changed = _fold_node(state[1], state[2], attrs)
        if changed:
            updates.append({"id": state[0], "props": changed})
        if added:
            relabel[tuple(added)].append({"id": state[0]})
    runner.count("nodes", len(nodes))
    declared = set(node_labels())
    for labels, rows in sorted(created.items()):
        if not set(labels) <= declared:
            raise ValueError(f"labels {labels} are not declared in the schema")
        statement = (f"UNWIND $rows AS row CREATE (n:{':'.join(labels)}) SET n = row.props "
                     "RETURN row.label AS label, row.key AS key, elementId(n) AS id")
        def created_one(record: Any) -> None:
            ids[(record["label"], record["key"])] = record["id"]
            created_here.add((record["label"], record["key"]))

        runner.run("nodes", statement, rows, created_one)
    if updates:
        runner.run("nodes", "UNWIND $rows AS row MATCH (n) WHERE elementId(n) = row.id SET n += row.props", updates)
    for labels, rows in sorted(relabel.items()):
        if not set(labels) <= declared:
            raise ValueError(f"labels {labels} are not declared in the schema")
        runner.run("nodes", f"UNWIND $rows AS row MATCH (n) WHERE elementId(n) = row.id SET n:{':'.join(labels)}",
                   rows)
    return ids, created_here


def write_edges(runner: Timed, edges: Mapping[tuple[str, NodeId, NodeId], Mapping[str, Any]],
                ids: Mapping[NodeId, str], new_ids: Set[str] = frozenset()) -> None:
    """Fold and write the chunk's edges between nodes the graph holds (an edge to a missing node is dropped,
    as a MATCH of its end would drop it); an edge with an end in `new_ids` (created in this transaction) is
    new without asking."""
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    attrs_of: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for (edge_type, src, dst), attrs in edges.items():
        if src in ids and dst in ids:
            by_type[edge_type].append({"a": ids[src], "b": ids[dst]})
            attrs_of[(edge_type, ids[src], ids[dst])] = attrs
    runner.count("edges", len(edges))
    updates: list[dict[str, Any]] = []
    for edge_type, rows in sorted(by_type.items()):
        stored: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        known = [row for row in rows if row["a"] not in new_ids and row["b"] not in new_ids]
        # both ends bound before the subquery: Expand(Into), from the end with fewer relationships (a plain
        # MATCH would expand every relationship of a hub such as a bucket, then filter on the other end)
        statement = ("UNWIND $rows AS row MATCH (a) WHERE elementId(a) = row.a MATCH (b) WHERE elementId(b) = row.b "
                     f"CALL (a, b) {{ MATCH (a)-[r:{edge_type}]->(b) RETURN r }} "
                     "RETURN row.a AS a, row.b AS b, elementId(r) AS id, properties(r) AS props")
        runner.run("edges", statement, known,
                   lambda r, s=stored: s.__setitem__((r["a"], r["b"]), (r["id"], r["props"])))
        new: list[dict[str, Any]] = []
        for row in rows:
            attrs = attrs_of[(edge_type, row["a"], row["b"])]
            found = stored.get((row["a"], row["b"]))
            if found is None:
                props: dict[str, Any] = {}
                merge_attrs(props, attrs)
                new.append({**row, "props": {k: v for k, v in props.items() if v is not None}})
                continue
            folded = dict(found[1])
            merge_attrs(folded, attrs)
            changed = {k: v for k, v in folded.items() if k not in found[1] or found[1][k] != v}
            if changed:
                updates.append({"id": found[0], "props": changed})
        if new:
            runner.run("edges", "UNWIND $rows AS row MATCH (a) WHERE elementId(a) = row.a "
                       "MATCH (b) WHERE elementId(b) = row.b "
                       f"CREATE (a)-[r:{edge_type}]->(b) SET r = row.props", new)
    if updates:
        runner.run("edges", "UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row.id SET r += row.props",
                   updates)


def write_graph(tx: Any, nodes: Mapping[NodeId, Mapping[str, Any]],
                edges: Mapping[tuple[str, NodeId, NodeId], Mapping[str, Any]],
                rates: Rates | None = None) -> set[NodeId]:
    """Fold a chunk's nodes (`Aggregate.nodes`), then its edges (`Aggregate.edges`), into the graph in `tx`;
    the nodes it created."""
    runner = Timed(tx, rates)
    endpoints = {node for _, src, dst in edges for node in (src, dst) if node not in nodes}
    ids, created = write_nodes(runner, nodes, endpoints)
    write_edges(runner, edges, ids, {ids[node] for node in created})
    return created
