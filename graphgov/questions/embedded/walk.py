"""Typed steps through the embedded (networkx) graph, shared by the embedded question twins."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import networkx as nx

Node = tuple[str, str]  # (merge label, key)


def edges_in(graph: nx.MultiDiGraph, node: Node, *types: str) -> Iterator[tuple[Node, str, dict]]:
    """(source, edge type, attributes) of the node's incoming edges of the given types."""
    for src, by_type in graph._pred[node].items():  # networkx's own adjacency: no view objects per call
        for edge_type, attrs in by_type.items():
            if edge_type in types:
                yield src, edge_type, attrs


def edges_out(graph: nx.MultiDiGraph, node: Node, *types: str) -> Iterator[tuple[Node, str, dict]]:
    """(target, edge type, attributes) of the node's outgoing edges of the given types."""
    for dst, by_type in graph._succ[node].items():
        for edge_type, attrs in by_type.items():
            if edge_type in types:
                yield dst, edge_type, attrs


def typed_edges(graph: nx.MultiDiGraph, *types: str) -> Iterator[tuple[Node, Node, str, dict]]:
    """(source, target, edge type, attributes) of every edge of the given types, in `graph.edges` order:
    one pass over the adjacency that looks nothing else up for the other edges (most are S3 object edges)."""
    for src, targets in graph._succ.items():
        for dst, by_type in targets.items():
            for edge_type, attrs in by_type.items():
                if edge_type in types:
                    yield src, dst, edge_type, attrs


def has_label(attrs: Mapping[str, Any], label: str) -> bool:
    """Whether a node carries the label (a node keeps its merge label and every other label in `labels`)."""
    return label in attrs.get("labels", ())
