"""The embedded store's pending layer (graphgov.ingest.pending): the undo log of a materialization, and its revert.

The undo log holds, for every node the layer touches, its attributes before (None: it was absent), every
edge incident on the linked ones before, and the state before of each other edge the layer writes (None:
absent), as JSON values, so it commits in the store file with the graph.
"""

from __future__ import annotations

import json
from typing import Any

import networkx as nx

from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.pending import linked, own_edges, touched


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def snapshot(graph: nx.MultiDiGraph, aggregate: Aggregate) -> dict[str, list[Any]]:
    """The exact state, before `aggregate` is written, of every node it touches, of every edge incident on
    a linked one (graphgov.ingest.pending.LINKED_LABELS) and of each of its other edges (null: absent)."""
    nodes = touched(aggregate)
    full = linked(nodes)
    found_nodes = [[node[0], node[1], _copy(graph.nodes[node]) if node in graph else None] for node in sorted(nodes)]
    edges: dict[tuple[Any, ...], list[Any]] = {}
    for node in sorted(full):
        if node in graph:
            for src, dst, key, attrs in [*graph.in_edges(node, keys=True, data=True),
                                         *graph.out_edges(node, keys=True, data=True)]:
                edges[(key, src, dst)] = [key, list(src), list(dst), _copy(attrs)]
    for key, src, dst in own_edges(aggregate, full):
        state = graph.edges[src, dst, key] if graph.has_edge(src, dst, key=key) else None
        edges[(key, src, dst)] = [key, list(src), list(dst), _copy(state)]
    return {"nodes": found_nodes, "full": [list(node) for node in sorted(full)],
            "edges": [edges[k] for k in sorted(edges)]}


def revert(graph: nx.MultiDiGraph, undo: dict[str, list[Any]]) -> bool:
    """Put the snapshot's nodes and edges back exactly as they were; True when a linked node was touched
    (the caller rebuilds its key indexes)."""
    full = [tuple(node) for node in undo["full"]]
    for node in full:
        if node in graph:
            graph.remove_edges_from([*graph.in_edges(node, keys=True), *graph.out_edges(node, keys=True)])
    for label, key, attrs in undo["nodes"]:
        node = (label, key)
        if attrs is None:
            if node in graph:
                graph.remove_node(node)
        elif node in graph:
            graph.nodes[node].clear()
            graph.nodes[node].update(_copy(attrs))
        else:
            graph.add_node(node, **_copy(attrs))
    for key, src, dst, attrs in undo["edges"]:
        src, dst = tuple(src), tuple(dst)
        if graph.has_edge(src, dst, key=key):
            graph.remove_edge(src, dst, key=key)
        if attrs is not None and src in graph and dst in graph:
            graph.add_edge(src, dst, key=key, **_copy(attrs))
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
