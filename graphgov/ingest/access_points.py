"""Data named by an S3 access point resolves to the access point's bucket, after every load.

A job may name its data by access point alias (`s3://<name>-<random>-s3alias/prefix`) or ARN; what
bucket that is comes from another record (CreateAccessPoint, a data event through the access point), in
any file and any order. The loaders keep the alias or ARN in the dataset's `access_point` and write no
bucket for it; `resolve_access_points` (run by graphgov.ingest.pipeline before the access derivation) sets the
dataset's `bucket` to the access point's and adds its IN_BUCKET edge, so objects under the prefix join
it (IN_DATASET, on both stores) and the bucket's policies and tags apply. Unresolved datasets stay as
they are: the access point is named, the bucket unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgov.core.ids import is_access_point_name
from graphgov.core.merge_rules import EDGE_RULES, NODE_RULES, Rule
from graphgov.core.schema import EDGE_TYPES
from graphgov.ingest.aggregate import Aggregate, EdgeId, NodeId, merge_attrs
from graphgov.ingest.touched import StepScope
from graphgov.stores.base import Store

SOURCE = "access-point-resolution"


class Patch(Aggregate):
    """Rows written through Store.write as they are (the node's own window and labels passed back)."""

    def __init__(self, nodes: dict[NodeId, dict[str, Any]], edges: dict[EdgeId, dict[str, Any]]) -> None:
        super().__init__()
        self._rows, self._links = nodes, edges

    @property
    def nodes(self) -> dict[NodeId, dict[str, Any]]:
        return self._rows

    @property
    def edges(self) -> dict[EdgeId, dict[str, Any]]:  # union properties as empty lists, as Aggregate gives them
        return {edge_id: {**{k: [] for k in EDGE_TYPES[edge_id[0]].union_props}, **attrs}
                for edge_id, attrs in self._links.items()}

    def __len__(self) -> int:
        return len(self._rows) + len(self._links)

    def changes(self, store: Store) -> Patch:
        """The rows whose write would change what `store` holds: those it lacks, and those the merge rules
        (graphgov.core.merge_rules) fold into a different row. Writing only these gives the same graph as writing
        them all, so a derivation that finds what is stored already writes nothing."""
        stored_nodes = store.nodes_at(self._rows)
        nodes = {node_id: attrs for node_id, attrs in self._rows.items()
                 if _changes(stored_nodes.get(node_id), attrs, NODE_RULES)}
        edges = self.edges
        stored_edges = store.edges_at(edges)
        return Patch(nodes, {edge_id: self._links[edge_id] for edge_id, attrs in edges.items()
                             if _changes(stored_edges.get(edge_id), attrs, EDGE_RULES)})

    def __bool__(self) -> bool:
        return bool(self._rows or self._links)


def access_point_buckets(store: Store) -> dict[str, tuple[str, str]]:
    """access point ARN or alias -> (access point ARN, bucket), for access points whose bucket is known."""
    found: dict[str, tuple[str, str]] = {}
    for arn, attrs in store.scan_nodes("S3AccessPoint"):
        bucket = attrs.get("bucket")
        if isinstance(bucket, str) and bucket and not is_access_point_name(bucket):
            found[arn] = (arn, bucket)
            if isinstance(attrs.get("alias"), str) and attrs["alias"]:
                found[attrs["alias"]] = (arn, bucket)
    return found


def resolve_access_points(store: Store, scope: StepScope | None = None) -> int:
    """Point every dataset named by a known access point at its bucket; returns how many changed. With a `scope`
    whose base the last derivation recorded (only this load wrote since: graphgov.access.marker.register) and a
    load that wrote no access point, only the datasets the load wrote can change: every other one was resolved
    by that derivation against the same access points."""
    points = access_point_buckets(store)
    nodes: dict[NodeId, dict[str, Any]] = {}
    edges: dict[EdgeId, dict[str, Any]] = {}
    if scope is not None and scope.part("access_points") is not None and not scope.touched.access_points:
        datasets = sorted((key, attrs) for (_, key), attrs in
                          store.nodes_at(("Dataset", uri) for uri in scope.touched.datasets).items())
    else:
        datasets = sorted(store.scan_nodes("Dataset"))
    if scope is not None:
        scope.record["access_points"] = {"points": len(points)}
    for uri, attrs in datasets:
        named = attrs.get("access_point")
        if not isinstance(named, str) or named not in points or attrs.get("bucket") == points[named][1]:
            continue
        bucket = points[named][1]
        window = _window(attrs)
        nodes[("Dataset", uri)] = {"bucket": bucket, "labels": list(attrs.get("labels") or ["Dataset"]), **window,
                                   "sources": list(attrs.get("sources") or [])}
        edges[("IN_BUCKET", ("Dataset", uri), ("S3Bucket", bucket))] = {**window, "sources": [SOURCE],
                                                                        "event_ids": []}
    if nodes:
        store.write(Patch(nodes, edges), {})
    return len(nodes)


def _changes(stored: dict[str, Any] | None, incoming: Mapping[str, Any], rules: Mapping[str, Rule]) -> bool:
    """Whether folding `incoming` into the `stored` row (None: absent) changes it."""
    if stored is None:
        return True
    folded = dict(stored)
    merge_attrs(folded, incoming, rules)
    return folded != stored


def _window(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {"first_seen": attrs.get("first_seen"), "last_seen": attrs.get("last_seen")}
