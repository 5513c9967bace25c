"""A canonical, store-independent dump of a whole graph, to compare stores and runs exactly."""

from __future__ import annotations

import json
from typing import Any

from graphgov.core.schema import CHECKPOINT_LABEL, EDGE_TYPES, MERGE_KEYS, SEEN_LABEL
from graphgov.stores.embedded import EmbeddedStore


def _key(labels: list[str], props: dict[str, Any]) -> str:
    for label in labels:
        if label in MERGE_KEYS:
            return props[MERGE_KEYS[label]]
    raise AssertionError(f"node with no merge label: {labels}")


def dump(store: Any) -> dict[str, list[str]]:
    """{"nodes": [...], "edges": [...]} as sorted JSON strings; bookkeeping nodes excluded."""
    if isinstance(store, EmbeddedStore):  # read from its tables, not through the graph questions are asked on
        props = dict(store.tables.all_nodes())
        nodes = list(props.values())
        edges = [{"type": k, "src": props[u][MERGE_KEYS[u[0]]], "dst": props[v][MERGE_KEYS[v[0]]], **attrs}
                 for k, u, v, attrs in store.tables.all_edges()]
    else:
        with store.driver.session() as session:
            nodes = [
                {**r["props"], "labels": sorted(r["labels"])}
                for r in session.run(f"MATCH (n) WHERE NOT n:{SEEN_LABEL} AND NOT n:{CHECKPOINT_LABEL} "
                                     "RETURN labels(n) AS labels, "
                                     "properties(n) AS props")
            ]
            edges = []
            for r in session.run("MATCH (a)-[r]->(b) WHERE type(r) IN $types RETURN type(r) AS type, "
                                 "labels(a) AS al, properties(a) AS ap, labels(b) AS bl, properties(b) AS bp, "
                                 "properties(r) AS props", types=sorted(EDGE_TYPES)):
                edges.append({"type": r["type"], "src": _key(r["al"], r["ap"]), "dst": _key(r["bl"], r["bp"]),
                              **r["props"]})
    return {
        "nodes": sorted(json.dumps(n, sort_keys=True) for n in nodes),
        "edges": sorted(json.dumps(e, sort_keys=True) for e in edges),
    }
