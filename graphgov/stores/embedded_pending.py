"""The embedded store's pending layer (graphgov.ingest.pending): the undo log of a materialization, and its revert.

The undo log holds, for every node the layer touches, its attributes before (None: it was absent), every
edge incident on the linked ones before, and the state before of each other edge the layer writes (None:
absent), as JSON values, so it commits in the store file with the graph (a row of its meta table).
"""

from __future__ import annotations

from typing import Any

from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.pending import linked, own_edges, touched
from graphgov.stores.embedded_sql import GraphTables


def snapshot(tables: GraphTables, aggregate: Aggregate) -> dict[str, list[Any]]:
    """The exact state, before `aggregate` is written, of every node it touches, of every edge incident on
    a linked one (graphgov.ingest.pending.LINKED_LABELS) and of each of its other edges (null: absent)."""
    nodes = touched(aggregate)
    full = linked(nodes)
    states = tables.nodes(nodes)
    found_nodes = [[node[0], node[1], states.get(node)] for node in sorted(nodes)]
    edges: dict[tuple[Any, ...], list[Any]] = {}
    for node in sorted(full):
        for key, src, dst, attrs in tables.incident(node):
            edges[(key, src, dst)] = [key, list(src), list(dst), attrs]
    for key, src, dst in own_edges(aggregate, full):
        edges[(key, src, dst)] = [key, list(src), list(dst), tables.edge(key, src, dst)]
    return {"nodes": found_nodes, "full": [list(node) for node in sorted(full)],
            "edges": [edges[k] for k in sorted(edges)]}


def revert(tables: GraphTables, undo: dict[str, list[Any]]) -> bool:
    """Put the snapshot's nodes and edges back exactly as they were; True when a linked node was touched
    (the caller rebuilds its key indexes)."""
    full = [tuple(node) for node in undo["full"]]
    for node in full:
        tables.remove_incident(node)
    for label, key, attrs in undo["nodes"]:
        node = (label, key)
        if attrs is None:
            tables.remove_node(node)
        else:
            tables.put_node(node, attrs)
    for key, src, dst, attrs in undo["edges"]:
        src, dst = tuple(src), tuple(dst)
        tables.remove_edge(key, src, dst)
        if attrs is not None and tables.node_id(src) is not None and tables.node_id(dst) is not None:
            tables.put_edge(key, src, dst, attrs)
    return bool(full)


def shape_problem(pending: Any, undo: Any) -> str | None:
    """What is wrong with a store file's pending layer, as a phrase; None when its shape is right."""
    if not (isinstance(pending, dict) and all(isinstance(v, str) for v in pending.values())):
        return "\"pending\" is not an object of action keys to copies"
    if undo is None:
        return None
    if not (isinstance(undo, dict) and all(isinstance(undo.get(name), list) for name in ("nodes", "full", "edges"))):
        return "\"undo\" is not an undo log"
    for node in undo["nodes"]:
        if not (isinstance(node, list) and len(node) == 3 and all(isinstance(v, str) for v in node[:2])
                and (node[2] is None or isinstance(node[2], dict))):
            return "\"undo\" holds a node that is not [label, key, {attributes} or null]"
    for edge in undo["edges"]:
        if not (isinstance(edge, list) and len(edge) == 4 and isinstance(edge[0], str)
                and all(isinstance(end, list) and len(end) == 2 for end in edge[1:3])
                and (edge[3] is None or isinstance(edge[3], dict))):
            return "\"undo\" holds an edge that is not [type, [label, key], [label, key], {attributes} or null]"
    if not all(isinstance(node, list) and len(node) == 2 for node in undo["full"]):
        return "\"undo\" holds a linked node that is not [label, key]"
    return None
