"""The embedded store's rows as the networkx graph the saved questions' twins (graphgov.questions.embedded) read.

Nodes are (label, key) with their attributes, edges are keyed by type, in the order the old whole-file
store held them (nodes by label and key, edges by type, source and target), so a twin that keeps
insertion order answers as it did. Built in one read transaction: a reader sees one commit throughout.

A question reads only what it declares (`GraphReads`): the edges of the types it walks with both their
ends, the nodes of the labels it scans, and, for a question about one node, the edges a few steps around
that node. Most of a graph is S3 objects and their edges, which most questions never walk: the graph of
such a question is a few percent of the whole (graphgov.questions.embedded.registry holds each twin's
declaration; tests/test_embedded_reads.py holds every twin's answer on its graph to its answer on the whole).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from graphgov.stores.embedded_sql import EdgeRow, GraphTables, NodeId


@dataclass(frozen=True)
class Hop:
    """One step from the nodes reached so far: their edges of `types`, outgoing (`out`) or incoming."""

    types: tuple[str, ...]
    out: bool = True


@dataclass(frozen=True)
class GraphReads:
    """What of the graph a question reads; the graph it gets holds that and the ends of every edge it holds.

    `edges`: every edge of these types. `bare`: those of `edges` whose attributes the question never reads
    (membership and containment: it only follows them), held with empty attributes and never decoded.
    `fields`: (edge type or node label, attribute names): of those edges and nodes, only these attributes are
    read (SQLite takes them out of the row's JSON; an attribute the row lacks stays absent), for the bulk of a
    graph a question needs one or two attributes of (an operation's names, an S3 object's bucket and key).
    `labels`: every node of these merge labels (`None`: every node, for a question that scans all nodes).
    `seed` (merge labels, parameter name) and `hops`: the node the parameter names, then the edges of each hop
    in turn from the nodes the previous one reached. `whole`: the whole graph."""

    edges: tuple[str, ...] = ()
    bare: tuple[str, ...] = ()
    labels: tuple[str, ...] | None = ()
    fields: tuple[tuple[str, tuple[str, ...]], ...] = ()
    seed: tuple[tuple[str, ...], str] | None = None
    hops: tuple[Hop, ...] = ()
    whole: bool = False

    def __post_init__(self) -> None:
        if not set(self.bare) <= set(self.edges):
            raise ValueError(f"bare edge types {sorted(set(self.bare) - set(self.edges))} are not among the edges read")

    def value(self, params: Mapping[str, Any]) -> Any:
        """The seed's parameter among `params` (None without a seed): two asks of the same reads and value read
        the same rows."""
        return params.get(self.seed[1]) if self.seed else None


WHOLE = GraphReads(whole=True)


def networkx_graph(tables: GraphTables, reads: GraphReads = WHOLE, params: Mapping[str, Any] | None = None
                   ) -> nx.MultiDiGraph:
    """The part of the graph `reads` declares (the whole graph by default), read in one transaction."""
    conn = tables.conn
    opened = not conn.in_transaction
    if opened:
        conn.execute("BEGIN")
    try:
        if reads.whole:
            return _built(tables.all_nodes(), tables.all_edges())
        nodes: dict[NodeId, dict[str, Any]] = {}
        edges: dict[tuple[str, NodeId, NodeId], dict[str, Any]] = {}
        fields = dict(reads.fields)
        if reads.labels is None:
            nodes.update(tables.all_nodes())
        else:
            nodes.update(tables.nodes_of_labels(reads.labels, fields))
        bare = set(reads.bare)
        if set(reads.edges) - bare:
            for edge_type, src, dst, attrs in tables.all_edges(set(reads.edges) - bare, fields):
                edges[(edge_type, src, dst)] = attrs
        if bare:
            for edge_id in tables.bare_edges(bare):
                edges[edge_id] = {}
        if reads.seed is not None:
            _walk(tables, reads, params or {}, nodes, edges)
        missing = {end for _, src, dst in edges for end in (src, dst) if end not in nodes}
        nodes.update(tables.nodes(missing))
        return _built(sorted(nodes.items()), ((t, s, d, attrs) for (t, s, d), attrs in sorted(edges.items())))
    finally:
        if opened:
            conn.execute("COMMIT")


def _walk(tables: GraphTables, reads: GraphReads, params: Mapping[str, Any], nodes: dict[NodeId, dict[str, Any]],
          edges: dict[tuple[str, NodeId, NodeId], dict[str, Any]]) -> None:
    """The seed node(s) the parameter names, then each hop's edges from the nodes the last one reached."""
    labels, name = reads.seed
    value = params.get(name)
    if not isinstance(value, str):
        return
    found = tables.nodes((label, value) for label in labels)
    nodes.update(found)
    frontier = set(found)
    for hop in reads.hops:
        reached = set()
        for edge_type, src, dst, attrs in tables.edges_around(frontier, hop.types, hop.out):
            edges[(edge_type, src, dst)] = attrs
            reached.add(dst if hop.out else src)
        frontier = reached


def _built(nodes: Iterable[tuple[NodeId, dict[str, Any]]], edges: Iterator[EdgeRow]) -> nx.MultiDiGraph:
    """The MultiDiGraph networkx's `add_nodes_from` and `add_edges_from` would build from these rows, filled
    in directly: the same dicts (a node's attributes; an edge's key dict shared by `_succ` and `_pred`),
    without the per-edge checks and copies those make (half the time of a whole-graph question at 100k)."""
    graph = nx.MultiDiGraph()
    node, succ, pred = graph._node, graph._succ, graph._pred
    for node_id, attrs in nodes:
        node[node_id] = attrs
        succ[node_id] = {}
        pred[node_id] = {}
    for edge_type, src, dst, attrs in edges:
        for end in (src, dst):
            if end not in node:  # an end without a row (never written bare: kept as networkx would)
                node[end] = {}
                succ[end] = {}
                pred[end] = {}
        keys = succ[src].get(dst)
        if keys is None:
            keys = succ[src][dst] = {}
            pred[dst][src] = keys
        keys[edge_type] = attrs
    return graph
