"""Whole-estate lookups an embedded answer needs many times, computed once per answer.

The twins are called as `implementation(graph, params)` on a graph that may change between calls (a
writer's store), so nothing here outlives the answer that built it: each answer makes its own `Estate`,
which computes every lookup lazily, in one pass, the first time it is asked for. What it replaces were
per-row re-walks: the IN_DATASET edges of a dataset scanned once per question it was asked, every node
scanned for each model artifact's objects, the role chains into a principal walked again for each of
its grants.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

import networkx as nx

from graphgov.questions.embedded.walk import Node

TRAINING_READERS = ("TrainingJob", "TuningJob", "CustomizationJob")
CHAIN_STEPS = 3

T = TypeVar("T")
Chain = tuple[Node, list[Node], list[dict]]  # (start, roles after start, CAN_ASSUME edges in path order)


class Estate:
    """Lazy, per-answer indexes over one graph (never kept past the answer: the graph may change)."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self._training: set[Node] | None = None
        self._objects: dict[tuple[Any, Any], list[Node]] | None = None
        self._artifacts: set[tuple[Any, Any]] | None = None
        self._memo: dict[Hashable, Any] = {}
        self._chains: dict[Node, list[Chain]] = {}
        self._by_type_in: dict[Node, dict[str, list[tuple[Node, dict]]]] = {}

    def training_datasets(self) -> set[Node]:
        """Datasets a training, tuning or customization job READS: found from the few jobs, not by scanning
        every dataset's incoming edges (which hold an IN_DATASET edge per object)."""
        if self._training is None:
            succ = self.graph._succ
            self._training = {dst for node in self.graph._node if node[0] in TRAINING_READERS
                              for dst, by_type in succ[node].items() if "READS" in by_type and dst[0] == "Dataset"}
        return self._training

    def is_training_data(self, dataset: Node) -> bool:
        return dataset in self.training_datasets()

    def objects_at(self, bucket: Any, key: Any) -> list[Node]:
        """The S3Object nodes whose `bucket` and `key` are these (a model artifact's objects), in graph order."""
        if self._objects is None:
            found: dict[tuple[Any, Any], list[Node]] = defaultdict(list)
            for node, attrs in self.graph._node.items():
                if node[0] == "S3Object":
                    found[(attrs.get("bucket"), attrs.get("key"))].append(node)
            self._objects = found
        return self._objects.get((bucket, key), [])

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per key for this answer (a bucket's replications, shared by its datasets)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def artifact_locations(self) -> set[tuple[Any, Any]]:
        """(bucket, key) of every ModelArtifact."""
        if self._artifacts is None:
            self._artifacts = {(attrs.get("bucket"), attrs.get("key")) for node, attrs in self.graph._node.items()
                               if node[0] == "ModelArtifact"}
        return self._artifacts

    def edges_in(self, node: Node) -> dict[str, list[tuple[Node, dict]]]:
        """The node's incoming edges by type, (source, attributes) in graph order, read once per node."""
        found = self._by_type_in.get(node)
        if found is None:
            found = defaultdict(list)
            for src, by_type in self.graph._pred[node].items():
                for edge_type, attrs in by_type.items():
                    found[edge_type].append((src, attrs))
            self._by_type_in[node] = found
        return found

    def chains(self, reader: Node) -> list[Chain]:
        """Simple CAN_ASSUME paths of 1-3 steps from an AWSPrincipal to `reader`, walked once per reader."""
        found = self._chains.get(reader)
        if found is None:
            found = list(self._walk(reader, [reader], []))
            self._chains[reader] = found
        return found

    def _walk(self, node: Node, path: list[Node], edges: list[dict]) -> Iterator[Chain]:
        if len(edges) >= CHAIN_STEPS:
            return
        for src, by_type in self.graph._pred[node].items():
            attrs = by_type.get("CAN_ASSUME")
            if attrs is None or src[0] != "AWSPrincipal" or src in path:
                continue
            yield src, path, [attrs, *edges]
            yield from self._walk(src, [src, *path], [attrs, *edges])
