"""`graphgov classify`'s write: every Dataset's `classification` from the rules of graphgov.questions.classification.

The rules only read the graph, so they stay with the questions; this is the one step that writes what they
find. The property is written through the store's ordinary node write (Store.write), never replace_derived
(which replaces the derived access edges).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from graphgov.ingest.aggregate import Aggregate, NodeId
from graphgov.questions.classification import ClassificationMapping, classify_dataset, effective_object_tags
from graphgov.stores.base import Store


class _NodePatch(Aggregate):
    """Node properties written through Store.write: the nodes' own window, labels and sources are passed back
    unchanged, so only the patched properties change (both stores merge nodes this way)."""

    def __init__(self, rows: dict[NodeId, dict[str, Any]]) -> None:
        super().__init__()
        self._rows = rows

    @property
    def nodes(self) -> dict[NodeId, dict[str, Any]]:
        return self._rows

    @property
    def edges(self) -> dict:
        return {}

    def __len__(self) -> int:
        return len(self._rows)

    def __bool__(self) -> bool:
        return bool(self._rows)


def classify(store: Store, mapping: ClassificationMapping | None = None) -> list[dict[str, Any]]:
    """Compute and write every Dataset's `classification`; returns one row per dataset that has one
    (`dataset`, `classification`, `why`) and per dataset whose classification was cleared."""
    mapping = mapping or ClassificationMapping()
    bucket_tags = {key: attrs.get("tags") or [] for key, attrs in store.scan_nodes("S3Bucket")}
    object_tags = effective_object_tags(store)
    members: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for obj, dataset, _ in store.scan_edges("IN_DATASET"):
        if obj[1] in object_tags:
            origin, tags = object_tags[obj[1]]
            members[dataset[1]][obj[1] if origin == obj[1] else f"{obj[1]} (copy of {origin})"] = tags
    rows, patch = [], {}
    for uri, attrs in sorted(store.scan_nodes("Dataset")):
        why = classify_dataset(attrs, bucket_tags.get(attrs.get("bucket"), []), members.get(uri, {}), mapping)
        classification = sorted(why)
        if classification or attrs.get("classification"):
            rows.append({"dataset": uri, "classification": classification,
                         "why": sorted({r for reasons in why.values() for r in reasons})})
        if classification != (attrs.get("classification") or []):
            patch[("Dataset", uri)] = {
                "classification": classification, "labels": list(attrs.get("labels") or ["Dataset"]),
                "sources": list(attrs.get("sources") or []), "first_seen": attrs.get("first_seen"),
                "last_seen": attrs.get("last_seen"),
            }
    if patch:
        store.write(_NodePatch(patch), {})
        store.commit()
    return rows
