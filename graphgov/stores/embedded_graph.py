"""The embedded store's rows as the networkx graph the saved questions' twins (graphgov.questions.embedded) read.

Nodes are (label, key) with their attributes, edges are keyed by type, in the order the old whole-file
store held them (nodes by label and key, edges by type, source and target), so a twin that keeps
insertion order answers as it did. Built in one read transaction: a reader sees one commit throughout.
"""

from __future__ import annotations

import networkx as nx

from graphgov.stores.embedded_sql import GraphTables


def networkx_graph(tables: GraphTables) -> nx.MultiDiGraph:
    """The whole graph, read once."""
    graph = nx.MultiDiGraph()
    conn = tables.conn
    opened = not conn.in_transaction
    if opened:
        conn.execute("BEGIN")
    try:
        graph.add_nodes_from(tables.all_nodes())
        graph.add_edges_from((src, dst, edge_type, attrs) for edge_type, src, dst, attrs in tables.all_edges())
    finally:
        if opened:
            conn.execute("COMMIT")
    return graph
