"""The Neo4j store's pending layer (graphgov.ingest.pending), run inside the caller's write transaction.

Bookkeeping lives in seen-marker nodes (never counted or dumped as graph): one per pending copy (key
`graphgov:pending:<action key>`, the copy as JSON) and the layer's lock node (`graphgov:pending-layer`),
whose `undo` holds the undo log of the current materialization: for each touched node its labels and
properties before (or null: absent), every relationship incident on the linked ones before, and the state
before of each other relationship the layer writes (graphgov.ingest.pending.LINKED_LABELS). Every evidence write
locks that node first, so concurrent loads revert and materialize the layer one at a time.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from graphgov.core.delta import GraphDelta
from graphgov.core.schema import MERGE_KEYS, SEEN_LABEL, node_labels
from graphgov.ingest.aggregate import Aggregate, NodeId
from graphgov.ingest.pending import LAYER_KEY, PENDING_PREFIX, dumps, layer, linked, own_edges, touched
from graphgov.stores.schema_cypher import PLAIN_NAME

Plan = Any  # the Neo4j store's write plan, opaque here: made by `plan`, run by `apply`


def _name(value: str) -> str:
    if not PLAIN_NAME.fullmatch(value):  # a label or type read back from the store, checked before use
        raise ValueError(f"unexpected label or relationship type {value!r} in the pending layer's undo log")
    return value


def _by_label(nodes: Sequence[NodeId]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for label, key in sorted(nodes):
        grouped[label].append(key)
    return grouped


def lock_and_revert(tx: Any) -> bool:
    """Lock the layer (waits for another load's write) and put back what its materialization changed;
    True when there was one."""
    record = tx.run(f"MERGE (l:{SEEN_LABEL} {{key: $key}}) SET l.writes = coalesce(l.writes, 0) + 1 "
                    "RETURN l.undo AS undo", key=LAYER_KEY).single()
    if record["undo"] is None:
        return False
    _revert(tx, json.loads(record["undo"]))
    tx.run(f"MATCH (l:{SEEN_LABEL} {{key: $key}}) REMOVE l.undo", key=LAYER_KEY).consume()
    return True


def copy_properties(delta: GraphDelta, text: str | None = None) -> dict[str, Any]:
    """The bookkeeping node that holds a pending copy: its key, action, rank, event and the copy itself (`text`,
    the copy as graphgov.ingest.pending.dumps writes it, when the caller has it already)."""
    return {"key": PENDING_PREFIX + delta.action_key, "action": delta.action_key, "rank": delta.rank,
            "event": delta.event_key, "delta": dumps(delta) if text is None else text}


def undo_text(undo: dict[str, list[Any]]) -> str:
    """The undo log as the layer's lock node holds it."""
    return json.dumps(undo, sort_keys=True, separators=(",", ":"))


def settle(tx: Any, pending: Sequence[GraphDelta], apply: Callable[[Any, Plan], None],
           plan: Callable[[Aggregate, dict[str, str]], Plan]) -> None:
    """Keep the new poorer copies (the richer per action), drop those whose action is loaded now, and
    materialize the rest, recording the undo log first. Called after `lock_and_revert` in one transaction."""
    rows = [copy_properties(d) for d in pending]
    if rows:
        tx.run(f"UNWIND $rows AS row MERGE (p:{SEEN_LABEL} {{key: row.key}}) "
               "ON CREATE SET p.action = row.action, p.rank = row.rank, p.event = row.event, p.delta = row.delta",
               rows=rows).consume()
        tx.run(f"UNWIND $rows AS row MATCH (p:{SEEN_LABEL} {{key: row.key}}) "
               "WHERE row.rank < p.rank OR (row.rank = p.rank AND row.event < p.event) "
               "SET p.rank = row.rank, p.event = row.event, p.delta = row.delta", rows=rows).consume()
    tx.run(f"MATCH (p:{SEEN_LABEL}) WHERE p.key STARTS WITH $prefix "
           f"AND EXISTS {{ MATCH (:{SEEN_LABEL} {{key: p.action}}) }} DELETE p", prefix=PENDING_PREFIX).consume()
    texts = [r["delta"] for r in tx.run(f"MATCH (p:{SEEN_LABEL}) WHERE p.key STARTS WITH $prefix "
                                        "RETURN p.delta AS delta", prefix=PENDING_PREFIX)]
    if not texts:
        return
    aggregate = layer(texts)
    undo = _snapshot(tx, aggregate)
    apply(tx, plan(aggregate, {}))
    tx.run(f"MATCH (l:{SEEN_LABEL} {{key: $key}}) SET l.undo = $undo", key=LAYER_KEY,
           undo=undo_text(undo)).consume()


def _snapshot(tx: Any, aggregate: Aggregate) -> dict[str, list[Any]]:
    """As graphgov.stores.embedded_pending.snapshot: touched nodes (labels and properties, or null), every
    relationship incident on a linked node, and the state of each other relationship the layer writes."""
    nodes = touched(aggregate)
    full = linked(nodes)
    found: list[Any] = []
    edges: dict[Any, list[Any]] = {}
    labels = sorted(MERGE_KEYS)
    ends = ("WITH r, a, b, [l IN labels(a) WHERE l IN $labels][0] AS la, [l IN labels(b) WHERE l IN $labels][0] AS lb\n"
            "RETURN elementId(r) AS id, type(r) AS type, la, a[$mk[la]] AS ka, lb, b[$mk[lb]] AS kb, "
            "properties(r) AS props")
    for label, keys in sorted(_by_label(sorted(nodes)).items()):
        match = f"UNWIND $keys AS k MATCH (n:{label} {{{MERGE_KEYS[label]}: k}})"
        present = {r["key"]: r for r in tx.run(f"{match} RETURN k AS key, labels(n) AS labels, "
                                                "properties(n) AS props", keys=keys)}
        for key in keys:
            row = present.get(key)
            found.append([label, key, None if row is None else {"labels": sorted(row["labels"]),
                                                                 "props": row["props"]}])
    for label, keys in sorted(_by_label(sorted(full)).items()):
        match = f"UNWIND $keys AS k MATCH (n:{label} {{{MERGE_KEYS[label]}: k}})"
        for r in tx.run(f"{match}-[r]-() WITH DISTINCT r, startNode(r) AS a, endNode(r) AS b\n{ends}",
                        keys=keys, labels=labels, mk=MERGE_KEYS):
            edges[r["id"]] = [r["type"], [r["la"], r["ka"]], [r["lb"], r["kb"]], r["props"]]
    by_shape: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for edge_type, src, dst in own_edges(aggregate, full):
        by_shape[(edge_type, src[0], dst[0])].append({"src": src[1], "dst": dst[1]})
    for (edge_type, src_label, dst_label), rows in sorted(by_shape.items()):
        states = {(r["src"], r["dst"]): r["props"] for r in tx.run(
            f"UNWIND $rows AS row MATCH (a:{src_label} {{{MERGE_KEYS[src_label]}: row.src}})"
            f"-[r:{edge_type}]->(b:{dst_label} {{{MERGE_KEYS[dst_label]}: row.dst}}) "
            "RETURN row.src AS src, row.dst AS dst, properties(r) AS props", rows=rows)}
        for row in rows:
            edges[(edge_type, src_label, row["src"], dst_label, row["dst"])] = [
                edge_type, [src_label, row["src"]], [dst_label, row["dst"]], states.get((row["src"], row["dst"]))]
    return {"nodes": found, "full": [list(node) for node in sorted(full)],
            "edges": sorted(edges.values(), key=lambda e: json.dumps(e, sort_keys=True))}


def _revert(tx: Any, undo: dict[str, list[Any]]) -> None:
    for label, keys in sorted(_by_label([tuple(node) for node in undo["full"]]).items()):
        tx.run(f"UNWIND $keys AS k MATCH (n:{_name(label)} {{{MERGE_KEYS[label]}: k}})-[r]-() "
               "WITH DISTINCT r DELETE r", keys=keys).consume()
    nodes = [((label, key), state) for label, key, state in undo["nodes"]]
    absent = _by_label([node for node, state in nodes if state is None])
    for label, keys in sorted(absent.items()):
        tx.run(f"UNWIND $keys AS k MATCH (n:{_name(label)} {{{MERGE_KEYS[label]}: k}}) DETACH DELETE n",
               keys=keys).consume()
    present: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (label, key), state in nodes:
        if state is not None:
            present[label].append({"key": key, "props": state["props"], "labels": state["labels"]})
    for label, rows in sorted(present.items()):
        match = f"MATCH (n:{_name(label)} {{{MERGE_KEYS[label]}: row.key}})"
        tx.run(f"UNWIND $rows AS row {match} SET n = row.props", rows=rows).consume()
        for extra in sorted(node_labels()):  # a materialization only adds labels: remove those it added
            lacking = [row for row in rows if extra not in row["labels"]]
            if lacking:
                tx.run(f"UNWIND $rows AS row {match} REMOVE n:{extra}", rows=lacking).consume()
    by_shape: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for edge_type, (src_label, src), (dst_label, dst), props in undo["edges"]:
        by_shape[(_name(edge_type), _name(src_label), _name(dst_label))].append(
            {"src": src, "dst": dst, "props": props})
    for (edge_type, src_label, dst_label), rows in sorted(by_shape.items()):
        ends = (f"MATCH (a:{src_label} {{{MERGE_KEYS[src_label]}: row.src}}) "
                f"MATCH (b:{dst_label} {{{MERGE_KEYS[dst_label]}: row.dst}}) ")
        tx.run(f"UNWIND $rows AS row {ends}MATCH (a)-[r:{edge_type}]->(b) DELETE r", rows=rows).consume()
        kept = [row for row in rows if row["props"] is not None]
        if kept:
            tx.run(f"UNWIND $rows AS row {ends}CREATE (a)-[r:{edge_type}]->(b) SET r = row.props",
                   rows=kept).consume()
