"""The embedded store: a networkx graph persisted to one local file, the default (no server needed).

The file is gzip JSON holding the nodes, the edges and the seen-set of evidence keys (partitioned by
day), written atomically (temp file, fsync, rename), so graph and seen-set always agree: an
interrupted load leaves the previous file intact, and re-running it neither loses nor doubles anything.
A writer holds the store's lock (graphgov.stores.lock) from before it reads the file until it closes,
so two writers never interleave; the file's shape is checked on reading (graphgov.stores.embedded_file).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from pathlib import Path
from typing import Any

import networkx as nx

from graphgov.core.delta import GraphDelta
from graphgov.core.ids import parse_s3_uri, s3_object_arn
from graphgov.core.merge_rules import NODE_RULES
from graphgov.core.s3_containment import WRITER_JOBS, feeds
from graphgov.core.schema import DERIVED_EDGE_TYPES, MERGE_KEYS
from graphgov.ingest.aggregate import Aggregate, NodeId, merge_attrs
from graphgov.ingest.pending import dumps, layer, loads, order
from graphgov.pause import pause_point
from graphgov.stores.base import DerivedEdge, Store, StoreError, merge_provenance
from graphgov.stores.dataset_index import DatasetIndex, FeedIndex
from graphgov.stores.embedded_file import FORMAT, read_store_file
from graphgov.stores.embedded_pending import revert, snapshot
from graphgov.stores.lock import StoreLock
from graphgov.stores.seen_prune import check_day, is_marker

__all__ = ["FORMAT", "EmbeddedStore"]

TEMP_SUFFIX_RE = r"[a-z0-9_]{8}\.tmp"  # what tempfile.mkstemp(prefix=<name>, suffix=".tmp") adds


class EmbeddedStore(Store):
    # Each commit rewrites the whole file, so a long load checkpoints rarely; an interrupted load is
    # simply run again (its evidence keys were not committed either, so nothing is lost or doubled).
    checkpoint_seconds = 300.0

    def __init__(self, path: Path, read_only: bool = False):
        """Open the store at `path`. A writer (the default) first checks it can write there, takes the
        writer lock and clears temp files a killed commit left; a reader (`read_only`) takes no lock and
        reads the last committed file."""
        self.path = path
        self.read_only = read_only
        self.description = f"embedded store {path}"
        self.graph = nx.MultiDiGraph()
        self.seen_by_day: dict[str, set[str]] = {}
        self.checkpoints: dict[str, str] = {}
        self.pending: dict[str, str] = {}  # action key -> the poorer copy loaded as pending (graphgov.ingest.pending)
        self.undo: dict[str, Any] | None = None  # the undo log of the pending layer's materialization
        self._seen_index: set[str] = set()
        self._datasets = DatasetIndex()
        self._tuning_outputs = DatasetIndex()  # same prefix logic: tuning-job output prefixes over artifacts
        self._feeds = FeedIndex()  # processing outputs and datasets, by prefix, for FEEDS
        self._dirty = False
        self._lock: StoreLock | None = None
        if not read_only:
            self._check_writable()
            self._lock = StoreLock(path)
        try:
            if not read_only:
                self._check_file_writable()
                self._remove_stale_temp_files()
            if path.exists():
                self._read()
            self._build_indexes()
        except BaseException:
            self.close()
            raise

    def _check_writable(self) -> None:
        """Fail before any input is read when the store could not be written at the end of the load."""
        if self.path.is_dir():
            raise StoreError(f"embedded store {self.path} is a directory; give the path of a file in it")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"embedded store {self.path} is not writable: cannot create directory "
                             f"{self.path.parent} ({exc.strerror})") from None
        if not os.access(self.path.parent, os.W_OK | os.X_OK):
            raise StoreError(f"embedded store {self.path} is not writable: directory {self.path.parent} "
                             "is not writable")

    def _check_file_writable(self) -> None:
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise StoreError(f"embedded store {self.path} is not writable: the file is read-only")

    def _remove_stale_temp_files(self) -> None:
        """Delete the temp files of commits that were killed before their rename (only the store's own
        `<name>XXXXXXXX.tmp` pattern; only while holding the lock, so no live commit owns one)."""
        pattern = re.compile(re.escape(self.path.name) + TEMP_SUFFIX_RE)
        for entry in self.path.parent.iterdir():
            if pattern.fullmatch(entry.name) and entry.is_file() and not entry.is_symlink():
                entry.unlink(missing_ok=True)

    def _build_indexes(self) -> None:
        try:
            for node_id, attrs in list(self.graph.nodes(data=True)):
                self._index(node_id, attrs)
            for src, dst, key in list(self.graph.edges(keys=True)):
                if key == "WRITES":
                    self._feed_from(src, dst)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StoreError(f"cannot read embedded store {self.path}: a node lacks a property its kind "
                             f"needs or has one of the wrong type ({type(exc).__name__}: {exc})") from None

    def close(self) -> None:
        """Release the writer lock (uncommitted writes are dropped, as a killed load's are)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _index(self, node_id: tuple[str, str], attrs: dict) -> None:
        """Enter a dataset or object in the dataset index and add the IN_DATASET edges it implies."""
        if node_id[0] == "S3Object":
            for dataset in list(self._datasets.add_object(attrs["bucket"], attrs["key"])):
                self._link(node_id, ("Dataset", dataset))
        elif node_id[0] == "Dataset":
            for job, output in sorted(self._feeds.add_dataset(attrs["bucket"], attrs["prefix"],
                                                              attrs.get("data_type"), node_id)):
                self._feed(job, output, node_id)
            if attrs.get("data_type") == "S3Prefix":
                for key in list(self._datasets.add_dataset(attrs["bucket"], attrs["prefix"], node_id[1])):
                    self._link(("S3Object", s3_object_arn(attrs["bucket"], key)), node_id)
        elif node_id[0] == "ModelArtifact":
            for job in list(self._tuning_outputs.add_object(attrs["bucket"], attrs["key"])):
                self._link_tuning(("TuningJob", job), node_id)
        elif node_id[0] == "TuningJob" and attrs.get("artifact_prefix"):
            loc = parse_s3_uri(attrs["artifact_prefix"])
            for key in list(self._tuning_outputs.add_dataset(loc.bucket, loc.key, node_id[1])):
                self._link_tuning(node_id, ("ModelArtifact", f"s3://{loc.bucket}/{key}"))

    def _feed_from(self, job: tuple[str, str], output: tuple[str, str]) -> None:
        """FEEDS from a job (processing, transform, batch inference) to each dataset its output feeds."""
        if job[0] not in WRITER_JOBS or output[0] != "Dataset":
            return
        out = self.graph.nodes[output]
        for dataset in sorted(set(self._feeds.add_output(out["bucket"], out["prefix"], (job, output)))):
            self._feed(job, output, dataset)

    def _feed(self, job: tuple[str, str], output: tuple[str, str], dataset: tuple[str, str]) -> None:
        out, attrs = self.graph.nodes[output], self.graph.nodes[dataset]
        if feeds(out["prefix"], attrs["prefix"], attrs.get("data_type")) and \
                not self.graph.has_edge(job, dataset, key="FEEDS"):
            self.graph.add_edge(job, dataset, key="FEEDS")

    def _link_tuning(self, job: tuple[str, str], artifact: tuple[str, str]) -> None:
        """A tuning job WRITES the artifacts under its output prefix (those of the jobs it started)."""
        if not self.graph.has_edge(job, artifact, key="WRITES"):
            self.graph.add_edge(job, artifact, key="WRITES", evidence=["tuning-output-prefix"])

    def _endpoint_history(self, endpoint: tuple[str, str]) -> None:
        """Mark the endpoint's configurations: `since` it was last set to each, `until` the next one
        was set, and `current` for the one set last (ties: smallest ARN), as Neo4j's statement does."""
        uses = sorted(((attrs["last_seen"], config[1], attrs) for _, config, key, attrs
                       in self.graph.out_edges(endpoint, keys=True, data=True) if key == "USES_CONFIG"),
                      key=lambda u: (u[0], u[1]))
        for index, (since, _, attrs) in enumerate(uses):
            until = uses[index + 1][0] if index + 1 < len(uses) else None
            attrs.update(since=since, current=until is None)
            if until is None:
                attrs.pop("until", None)
            else:
                attrs["until"] = until

    def _link(self, obj: tuple[str, str], dataset: tuple[str, str]) -> None:
        if not self.graph.has_edge(obj, dataset, key="IN_DATASET"):
            self.graph.add_edge(obj, dataset, key="IN_DATASET")

    # --- persistence ---------------------------------------------------------------------------------

    def _read(self) -> None:
        data = read_store_file(self.path)
        for label, key, attrs in data["nodes"]:
            self.graph.add_node((label, key), **attrs)
        for edge_type, src, dst, attrs in data["edges"]:
            self.graph.add_edge(tuple(src), tuple(dst), key=edge_type, **attrs)
        self.seen_by_day = {day: set(keys) for day, keys in data["seen"].items()}
        self.checkpoints = dict(data.get("checkpoints", {}))
        self.pending = dict(data.get("pending", {}))
        self.undo = data.get("undo")
        for keys in self.seen_by_day.values():
            self._seen_index |= keys

    def commit(self) -> None:
        if not self._dirty:
            return
        if self._lock is None:
            raise StoreError(f"embedded store {self.path} was opened read-only (or closed): nothing was written")
        data = {
            "format": FORMAT,
            "nodes": [[n[0], n[1], attrs] for n, attrs in sorted(self.graph.nodes(data=True))],
            "edges": sorted(
                ([k, list(u), list(v), attrs] for u, v, k, attrs in self.graph.edges(keys=True, data=True)),
                key=lambda e: (e[0], e[1], e[2]),
            ),
            "seen": {day: sorted(keys) for day, keys in sorted(self.seen_by_day.items())},
            "checkpoints": dict(sorted(self.checkpoints.items())),
            "pending": dict(sorted(self.pending.items())),
            "undo": self.undo,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
        try:
            pause_point("commit-start")  # inert outside the kill trials
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=3) as handle:
                handle.write(json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8"))
            with open(tmp, "rb") as written:
                os.fsync(written.fileno())
            pause_point("commit")  # inert outside the kill trials
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self._dirty = False

    # --- writes --------------------------------------------------------------------------------------

    def unseen(self, keys: Iterable[str]) -> set[str]:
        return {k for k in keys if k not in self._seen_index}

    def checkpoint(self, name: str) -> str | None:
        return self.checkpoints.get(name)

    def prune_seen(self, before_day: str) -> int:
        """Drop the evidence keys of days before `before_day` (markers stay); made durable by `commit`."""
        check_day(before_day)
        removed = 0
        for day in [d for d in self.seen_by_day if d < before_day]:
            kept = {key for key in self.seen_by_day[day] if is_marker(key)}
            removed += len(self.seen_by_day[day]) - len(kept)
            if kept:
                self.seen_by_day[day] = kept
            else:
                del self.seen_by_day[day]
        if removed:
            self._seen_index = set().union(*self.seen_by_day.values())
            self._dirty = True
        return removed

    def write(self, aggregate: Aggregate, seen: Mapping[str, str],
              checkpoints: Mapping[str, str] | None = None) -> None:
        """Fold `aggregate` in. A write outside a load's evidence (derivation, classification) under a
        materialized pending layer goes beneath it: the layer is reverted and materialized again around it,
        so the next revert keeps what this write did."""
        if self.undo is None:
            self._fold(aggregate, seen, checkpoints)
            return
        self._revert_pending()
        self._fold(aggregate, seen, checkpoints)
        self._settle_pending(())

    def _fold(self, aggregate: Aggregate, seen: Mapping[str, str],
              checkpoints: Mapping[str, str] | None = None) -> None:
        for node_id, attrs in aggregate.nodes.items():
            if node_id in self.graph:
                current = self.graph.nodes[node_id]
                before = current.get("bucket")
                merge_attrs(current, attrs, NODE_RULES)
                if node_id[0] == "Dataset" and current.get("bucket") != before:
                    self._index(node_id, current)  # resolved from an access point to its bucket
            else:
                self.graph.add_node(node_id, **attrs)
                self._index(node_id, attrs)
        endpoints = set()
        for (edge_type, src, dst), attrs in aggregate.edges.items():
            if self.graph.has_edge(src, dst, key=edge_type):
                merge_attrs(self.graph.edges[src, dst, edge_type], attrs)
            else:
                self.graph.add_edge(src, dst, key=edge_type, **attrs)
            if edge_type == "USES_CONFIG":
                endpoints.add(src)
            elif edge_type == "WRITES":
                self._feed_from(src, dst)
        for endpoint in sorted(endpoints):
            self._endpoint_history(endpoint)
        for key, day in seen.items():
            self.seen_by_day.setdefault(day, set()).add(key)
            self._seen_index.add(key)
        self.checkpoints.update(checkpoints or {})
        self._dirty = self._dirty or bool(aggregate) or bool(seen) or bool(checkpoints)

    def write_claimed(self, aggregate: Aggregate, seen: Mapping[str, str], claims: Set[str],
                      checkpoints: Mapping[str, str] | None = None,
                      pending: Sequence[GraphDelta] | None = None) -> None:
        """Revert the pending layer, fold the chunk in, and with `pending` settle the layer again: all in
        memory, made durable together by the next commit (one writer at a time: no claim check)."""
        self._revert_pending()
        self.write(aggregate, seen, checkpoints)  # the layer is reverted: a plain fold
        if pending is not None:
            self._settle_pending(pending)

    def _revert_pending(self) -> None:
        if self.undo is None:
            return
        if revert(self.graph, self.undo):  # indexed nodes changed: the indexes start again from the graph
            self._datasets, self._tuning_outputs, self._feeds = DatasetIndex(), DatasetIndex(), FeedIndex()
            self._build_indexes()
        self.undo = None
        self._dirty = True

    def _settle_pending(self, pending: Sequence[GraphDelta]) -> None:
        """Keep the new poorer copies (the richer per action), drop those whose action is now loaded, and
        materialize the rest with a fresh undo log."""
        for delta in pending:
            kept = self.pending.get(delta.action_key)
            if kept is None or order(delta) < order(loads(kept)):
                self.pending[delta.action_key] = dumps(delta)
                self._dirty = True
        for action in [a for a in self.pending if a in self._seen_index]:
            del self.pending[action]
            self._dirty = True
        if self.pending:
            aggregate = layer(self.pending.values())
            self.undo = snapshot(self.graph, aggregate)
            self._fold(aggregate, {})
            self._dirty = True

    def replace_derived(self, edges: list[DerivedEdge], node_updates: list[tuple[NodeId, Mapping[str, Any]]]) -> None:
        derived = set(DERIVED_EDGE_TYPES)
        stale = [(u, v, k) for u, v, k in self.graph.edges(keys=True) if k in derived]
        self.graph.remove_edges_from(stale)
        for edge in edges:
            self.graph.add_edge(edge.src, edge.dst, key=edge.type, **dict(edge.props))
        for node_id, props in node_updates:
            if node_id not in self.graph:
                continue
            attrs = self.graph.nodes[node_id]
            for name, value in props.items():
                if value is None:
                    attrs.pop(name, None)
                else:
                    attrs[name] = value
        self._dirty = self._dirty or bool(stale or edges or node_updates)

    # --- reads ---------------------------------------------------------------------------------------

    def scan_nodes(self, merge_label: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for (label, key), attrs in self.graph.nodes(data=True):
            if label == merge_label:
                yield key, attrs

    def scan_edges(self, edge_type: str) -> Iterator[tuple[NodeId, NodeId, dict[str, Any]]]:
        for src, dst, key, attrs in self.graph.edges(keys=True, data=True):
            if key == edge_type:
                yield src, dst, attrs

    def totals(self) -> tuple[int, int]:
        return self.graph.number_of_nodes(), self.graph.number_of_edges()

    def find_nodes(self, merge_label: str, key: str, name: str) -> list[str]:
        found = {k for (label, k), attrs in self.graph.nodes(data=True)
                 if label == merge_label and (k == key or attrs.get("name") == name)}
        return sorted(found)

    def provenance(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for key in sorted(set(keys)):
            for label in MERGE_KEYS:
                node = (label, key)
                if node not in self.graph:
                    continue
                edges = [*self.graph.out_edges(node, data=True), *self.graph.in_edges(node, data=True)]
                event_ids = {e for _, _, attrs in edges for e in attrs.get("event_ids") or ()}
                attrs = self.graph.nodes[node]
                merge_provenance(found, key, attrs.get("labels") or (label,), attrs, event_ids)
        return found

    def ask(self, question_id: str, cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        from graphgov.questions.embedded.core import IMPLEMENTATIONS

        try:
            implementation = IMPLEMENTATIONS[question_id]
        except KeyError as exc:
            raise StoreError(f"question {question_id!r} has no embedded-store implementation") from exc
        return implementation(self.graph, params)
