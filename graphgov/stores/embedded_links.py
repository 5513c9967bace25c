"""The edges the embedded store derives from keys as it writes: IN_DATASET (objects under a prefix dataset),
FEEDS (a writing job's output feeding a dataset), WRITES from a tuning job to the artifacts under its
output prefix, and the `since`/`until`/`current` history of an endpoint's USES_CONFIG edges.

The few prefixes (datasets, tuning outputs, job outputs) are held in memory, built from the store's rows on
the first write of a process (in key order, as the old whole-graph index was) and dropped when a revert
of the pending layer changes them; the many objects and artifacts stay in the store, found by range
queries on their indexed (bucket, key) columns (graphgov.stores.dataset_index). Neo4j derives the same
edges with its own statements (graphgov.stores.schema_cypher).
"""

from __future__ import annotations

from typing import Any

from graphgov.core.ids import parse_s3_uri, s3_object_arn
from graphgov.core.s3_containment import WRITER_JOBS, feeds
from graphgov.stores.dataset_index import DatasetIndex, FeedIndex
from graphgov.stores.embedded_sql import GraphTables, NodeId

INDEXED_LABELS = ("S3Object", "Dataset", "ModelArtifact", "TuningJob")
PREFIX_LABELS = ("Dataset", "TuningJob")  # the few nodes the in-memory indexes hold


class DerivedLinks:
    """Adds the derived edges a written node or edge implies, on the writer's tables."""

    def __init__(self, tables: GraphTables, from_rows: bool = True):
        """`from_rows`: enter the stored prefixes before the first write (False: the caller enters every
        node itself, as a migration does)."""
        self.tables = tables
        self._built = not from_rows
        self._datasets = DatasetIndex(lambda bucket, prefix: tables.keys_under("S3Object", bucket, prefix))
        self._tuning_outputs = DatasetIndex(lambda bucket, prefix: tables.keys_under("ModelArtifact", bucket, prefix))
        self._feeds = FeedIndex()

    def reset(self) -> None:
        """Forget the prefixes (a revert changed indexed nodes): rebuilt from the rows at the next write."""
        self.__init__(self.tables)  # type: ignore[misc]

    def build(self) -> None:
        """Enter the stored datasets, tuning jobs and job outputs (no edge is written: they exist already)."""
        if self._built:
            return
        self._built = True
        for node, attrs in self.tables.nodes_of_labels(PREFIX_LABELS):
            self.index(node, attrs, link=False)
        for job, output in self.tables.edges_between("WRITES", WRITER_JOBS, "Dataset"):
            self.feed_from(job, output, link=False)

    def index(self, node: NodeId, attrs: dict[str, Any], link: bool = True) -> None:
        """Enter a dataset, object, artifact or tuning job and add the edges it implies."""
        self.build()
        label = node[0]
        if label == "S3Object":
            for dataset in list(self._datasets.add_object(attrs["bucket"], attrs["key"])):
                self._link(node, ("Dataset", dataset))
        elif label == "Dataset":
            for job, output in sorted(self._feeds.add_dataset(attrs["bucket"], attrs["prefix"],
                                                              attrs.get("data_type"), node)):
                if link:
                    self._feed(job, output, node)
            if attrs.get("data_type") == "S3Prefix":
                if not link:
                    self._datasets.register(attrs["bucket"], attrs["prefix"], node[1])
                    return
                for key in list(self._datasets.add_dataset(attrs["bucket"], attrs["prefix"], node[1])):
                    self._link(("S3Object", s3_object_arn(attrs["bucket"], key)), node)
        elif label == "ModelArtifact":
            for job in list(self._tuning_outputs.add_object(attrs["bucket"], attrs["key"])):
                self._link_tuning(("TuningJob", job), node)
        elif label == "TuningJob" and attrs.get("artifact_prefix"):
            loc = parse_s3_uri(attrs["artifact_prefix"])
            if not link:
                self._tuning_outputs.register(loc.bucket, loc.key, node[1])
                return
            for key in list(self._tuning_outputs.add_dataset(loc.bucket, loc.key, node[1])):
                self._link_tuning(node, ("ModelArtifact", f"s3://{loc.bucket}/{key}"))

    def feed_from(self, job: NodeId, output: NodeId, link: bool = True) -> None:
        """FEEDS from a job (processing, transform, batch inference) to each dataset its output feeds."""
        self.build()
        if job[0] not in WRITER_JOBS or output[0] != "Dataset":
            return
        out = self.tables.node(output) or {}
        for dataset in sorted(set(self._feeds.add_output(out["bucket"], out["prefix"], (job, output)))):
            if link:
                self._feed(job, output, dataset)

    def _feed(self, job: NodeId, output: NodeId, dataset: NodeId) -> None:
        out, attrs = self.tables.node(output) or {}, self.tables.node(dataset) or {}
        if feeds(out["prefix"], attrs["prefix"], attrs.get("data_type")) and \
                not self.tables.has_edge("FEEDS", job, dataset):
            self.tables.put_edge("FEEDS", job, dataset, {})

    def _link_tuning(self, job: NodeId, artifact: NodeId) -> None:
        """A tuning job WRITES the artifacts under its output prefix (those of the jobs it started)."""
        if not self.tables.has_edge("WRITES", job, artifact):
            self.tables.put_edge("WRITES", job, artifact, {"evidence": ["tuning-output-prefix"]})

    def _link(self, obj: NodeId, dataset: NodeId) -> None:
        if not self.tables.has_edge("IN_DATASET", obj, dataset):
            self.tables.put_edge("IN_DATASET", obj, dataset, {})

    def endpoint_history(self, endpoint: NodeId) -> None:
        """Mark the endpoint's configurations: `since` it was last set to each, `until` the next one
        was set, and `current` for the one set last (ties: smallest ARN), as Neo4j's statement does."""
        uses = sorted(((attrs["last_seen"], config, attrs) for config, attrs
                       in self.tables.out_edges(endpoint, "USES_CONFIG")), key=lambda u: (u[0], u[1][1]))
        for index, (since, config, attrs) in enumerate(uses):
            until = uses[index + 1][0] if index + 1 < len(uses) else None
            before = dict(attrs)
            attrs.update(since=since, current=until is None)
            if until is None:
                attrs.pop("until", None)
            else:
                attrs["until"] = until
            if attrs != before:
                self.tables.put_edge("USES_CONFIG", endpoint, config, attrs)
