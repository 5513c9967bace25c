"""The embedded store: the graph in one local SQLite file, the default (no server needed).

Nodes, edges, the seen evidence keys (partitioned by day), the pullers' checkpoints and the pending layer
are tables (graphgov.stores.embedded_sql). A writer folds each chunk into the rows it touches, fetched by
key, inside one open transaction that `commit` ends: a commit writes what changed since the last one, and
a load killed at any point leaves the last commit intact (re-running it neither loses nor doubles
anything). The file is in WAL mode, so readers never wait for a writer and read the last commit. A writer
holds the store's lock (graphgov.stores.lock) from before it opens the file until it closes, so two writers
never interleave. Opening reads nothing of the graph; a question builds a networkx graph of the rows it
reads, the part of the graph it declares (graphgov.stores.embedded_graph). A `graphgov-embedded/1` gzip JSON
file is read by readers and moved to SQLite by a writer (graphgov.stores.embedded_migrate).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from pathlib import Path
from typing import Any

from graphgov.core.delta import GraphDelta
from graphgov.core.merge_rules import NODE_RULES
from graphgov.core.schema import DERIVED_EDGE_TYPES, MERGE_KEYS
from graphgov.ingest.aggregate import Aggregate, EdgeId, NodeId, merge_attrs
from graphgov.ingest.pending import dumps, layer, loads, order
from graphgov.pause import pause_point
from graphgov.stores.base import DERIVATION_MARKER, DerivedEdge, Store, StoreError, merge_provenance
from graphgov.stores.embedded_graph import GraphReads, networkx_graph
from graphgov.stores.embedded_links import INDEXED_LABELS, DerivedLinks
from graphgov.stores.embedded_migrate import check_format, create, file_kind, migrate, read_v1
from graphgov.stores.embedded_pending import revert, snapshot
from graphgov.stores.embedded_sql import FORMAT, SCHEMA, GraphTables, dumps_json
from graphgov.stores.lock import StoreLock
from graphgov.stores.seen_prune import check_day

__all__ = ["CEILING", "FORMAT", "EmbeddedStore", "committed"]

TEMP_SUFFIX_RE = r"[a-z0-9_]{8}\.tmp"  # what tempfile.mkstemp(prefix=<name>, suffix=".tmp") adds
SIDE_FILES = ("-wal", "-shm")  # SQLite's write-ahead log and its index, beside the store file
# Past this many edges the embedded store stops being comfortable (bench/bench_embedded_store.py,
# bench/query_process.py): loads, opening and most questions stay cheap, but a question walking every S3
# object builds a networkx graph of 1-2.3 GB per million edges; `load` suggests Neo4j past it.
CEILING = 1_000_000
_BUSY_MS = 60_000  # a reader's snapshot never blocks a writer in WAL mode; this covers checkpoints


def committed(path: Path) -> bool:
    """True when `path` holds a store with at least one commit (an old gzip file counts): what readers read."""
    kind = file_kind(path)
    if kind != "sqlite":
        return kind == "v1"
    try:
        conn = _connect(path, read_only=True)
    except StoreError:
        return True  # the reader's own opening says what is wrong
    try:
        tables = GraphTables(conn)  # a database of another format is for the reader's opening to refuse
        return tables.meta("format") != FORMAT or tables.meta("committed") is not None
    except sqlite3.DatabaseError:
        return True
    finally:
        conn.close()


def _connect(path: Path, read_only: bool) -> sqlite3.Connection:
    try:
        if read_only:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        else:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)  # WAL: set at creation
            conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk when it returns
        conn.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
        conn.execute("PRAGMA cache_size=-65536")  # 64 MB of pages
        return conn
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read embedded store {path}: {exc}") from None


class EmbeddedStore(Store):
    def __init__(self, path: Path, read_only: bool = False, legacy: Path | None = None):
        """Open the store at `path`. A writer (the default) first checks it can write there, takes the
        writer lock, clears temp files a killed run left and moves an old-format file to SQLite; a reader
        (`read_only`) takes no lock and reads the last commit. `legacy`: an old store file to read (a reader)
        or move to `path` (a writer) when `path` holds none yet (the old default path)."""
        self.path = path
        self.read_only = read_only
        self.description = f"embedded store {path}"
        self._lock: StoreLock | None = None
        self._conn: sqlite3.Connection | None = None
        self.tables: GraphTables | None = None
        self._graph: Any = None  # the whole networkx graph, built when asked for (graph())
        self._part: Any = None  # the part of it the last question read (graphgov.stores.embedded_graph)
        self._version = 0  # bumped by every write: the graph above is rebuilt after one
        if not read_only:
            self._check_writable()
            self._lock = StoreLock(path)
        try:
            if not read_only:
                self._check_file_writable()
                self._remove_stale_temp_files()
            self._open(legacy)
        except BaseException:
            self.close()
            raise
        self.tables = GraphTables(self._conn)
        self.links = DerivedLinks(self.tables)

    def _open(self, legacy: Path | None) -> None:
        kind = file_kind(self.path)
        if kind == "missing" and legacy is not None and file_kind(legacy) == "v1":
            source = legacy
        else:
            source, legacy = self.path, None
        if self.read_only:
            if kind == "missing" and legacy is None:  # nothing committed: an empty graph, no file created
                self._conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
                self._conn.executescript(SCHEMA)
            elif file_kind(source) == "v1":
                self._conn = read_v1(source)
            else:
                self._conn = _connect(self.path, read_only=True)
                check_format(GraphTables(self._conn), self.path)
            return
        if file_kind(source) == "v1":
            migrate(source, self.path)
        elif kind == "missing":
            create(self.path)
        self._conn = _connect(self.path, read_only=False)
        check_format(GraphTables(self._conn), self.path)

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
        """Delete the temp files of creations and migrations that were killed before their rename (only the
        store's own `<name>XXXXXXXX.tmp` pattern; only while holding the lock, so no live writer owns one)."""
        pattern = re.compile(re.escape(self.path.name) + TEMP_SUFFIX_RE)
        for entry in self.path.parent.iterdir():
            if pattern.fullmatch(entry.name) and entry.is_file() and not entry.is_symlink():
                entry.unlink(missing_ok=True)

    def close(self) -> None:
        """Release the writer lock; uncommitted writes are dropped, as a killed load's are. The object still
        answers reads afterwards, as a reader of the last commit (reconnecting when asked)."""
        if self._lock is None:
            return
        if self._conn is not None:
            if self._conn.in_transaction:
                self._conn.rollback()
            self._conn.close()  # the last connection to close removes SQLite's log files
            self._conn = None
        self._lock.release()
        self._lock = None
        self.read_only = True
        if self.tables is not None:
            self.tables.reconnect(lambda: _connect(self.path, read_only=True))
            self._version += 1

    # --- transactions --------------------------------------------------------------------------------

    def _begin(self) -> None:
        """Open the write transaction the next commit ends (the first write after a commit does)."""
        self._version += 1
        if not self.tables.conn.in_transaction:
            try:
                self.tables.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # a reader's file is opened read-only
                raise StoreError(f"embedded store {self.path} was opened read-only (or closed): nothing was "
                                 "written") from None

    def commit(self) -> None:
        if not self.tables.conn.in_transaction:
            return
        if self._lock is None:
            raise StoreError(f"embedded store {self.path} was opened read-only (or closed): nothing was written")
        pause_point("commit-start")  # inert outside the kill trials
        self.tables.set_meta("committed", "1")
        pause_point("commit")  # inert outside the kill trials: everything is written, not yet committed
        self.tables.conn.execute("COMMIT")

    # --- writes --------------------------------------------------------------------------------------

    def unseen(self, keys: Iterable[str]) -> set[str]:
        wanted = set(keys)
        return wanted - self.tables.seen_of(list(wanted))

    def checkpoint(self, name: str) -> str | None:
        return self.tables.checkpoint(name)

    @property
    def checkpoints(self) -> dict[str, str]:
        """The pullers' checkpoints: stream -> the day listed up to (the derivation's marker is not one)."""
        return {k: v for k, v in self.tables.checkpoints().items() if k != DERIVATION_MARKER}

    @property
    def pending(self) -> dict[str, str]:
        """The poorer copies loaded as pending: action key -> copy (graphgov.ingest.pending)."""
        return self.tables.pending()

    @property
    def undo(self) -> dict[str, Any] | None:
        """The undo log of the pending layer's materialization (None: not materialized)."""
        text = self.tables.meta("undo")
        return None if text is None else json.loads(text)

    def write(self, aggregate: Aggregate, seen: Mapping[str, str],
              checkpoints: Mapping[str, str] | None = None) -> None:
        """Fold `aggregate` in. A write outside a load's evidence (derivation, classification) under a
        materialized pending layer goes beneath it: the layer is reverted and materialized again around it,
        so the next revert keeps what this write did."""
        self._begin()
        if self.undo is None or not (len(aggregate) or seen):
            # checkpoints alone (a derivation's marker) touch no node or edge the layer's undo log holds: going
            # beneath the layer would only make its nodes again as the copies wrote them, dropping what a
            # derivation set on them since (a PolicyState's validity)
            self._fold(aggregate, seen, checkpoints)
            return
        self._revert_pending()
        self._fold(aggregate, seen, checkpoints)
        self._settle_pending(())

    def _fold(self, aggregate: Aggregate, seen: Mapping[str, str],
              checkpoints: Mapping[str, str] | None = None) -> None:
        tables, links = self.tables, self.links
        if aggregate.nodes:
            links.build()
        current_nodes = tables.nodes(aggregate.nodes)
        for node_id, attrs in aggregate.nodes.items():
            current = current_nodes.get(node_id)
            if current is not None:
                before = current.get("bucket")
                merge_attrs(current, attrs, NODE_RULES)
                tables.put_node(node_id, current)
                if node_id[0] == "Dataset" and current.get("bucket") != before:
                    links.index(node_id, current)  # resolved from an access point to its bucket
            else:
                tables.put_node(node_id, dict(attrs))
                if node_id[0] in INDEXED_LABELS:
                    links.index(node_id, dict(attrs))
        endpoints = set()
        for (edge_type, src, dst), attrs in aggregate.edges.items():
            current = tables.edge(edge_type, src, dst)
            if current is not None:
                merge_attrs(current, attrs)
                tables.put_edge(edge_type, src, dst, current)
            else:
                tables.put_edge(edge_type, src, dst, dict(attrs))
            if edge_type == "USES_CONFIG":
                endpoints.add(src)
            elif edge_type == "WRITES":
                links.feed_from(src, dst)
        for endpoint in sorted(endpoints):
            links.endpoint_history(endpoint)
        tables.add_seen((key, day) for key, day in seen.items())
        tables.set_checkpoints((checkpoints or {}).items())

    def write_claimed(self, aggregate: Aggregate, seen: Mapping[str, str], claims: Set[str],
                      checkpoints: Mapping[str, str] | None = None,
                      pending: Sequence[GraphDelta] | None = None) -> None:
        """Revert the pending layer, fold the chunk in, and with `pending` settle the layer again: all in
        the open transaction, made durable together by the next commit (one writer at a time: no claim check)."""
        self._begin()
        self._revert_pending()
        self.write(aggregate, seen, checkpoints)  # the layer is reverted: a plain fold
        if pending is not None:
            self._settle_pending(pending)

    def _revert_pending(self) -> None:
        undo = self.undo
        if undo is None:
            return
        if revert(self.tables, undo):  # indexed nodes changed: the prefix indexes start again from the rows
            self.links.reset()
        self.tables.set_meta("undo", None)

    def _settle_pending(self, pending: Sequence[GraphDelta]) -> None:
        """Keep the new poorer copies (the richer per action), drop those whose action is now loaded, and
        materialize the rest with a fresh undo log."""
        kept = self.tables.pending()
        for delta in pending:
            copy = kept.get(delta.action_key)
            if copy is None or order(delta) < order(loads(copy)):
                kept[delta.action_key] = dumps(delta)
                self.tables.set_pending(delta.action_key, kept[delta.action_key])
        for action in sorted(self.tables.seen_of(list(kept))):
            del kept[action]
            self.tables.set_pending(action, None)
        if kept:
            aggregate = layer(kept.values())
            self.tables.set_meta("undo", dumps_json(snapshot(self.tables, aggregate)))
            self._fold(aggregate, {})

    def replace_derived(self, edges: list[DerivedEdge], node_updates: list[tuple[NodeId, Mapping[str, Any]]]) -> None:
        self._begin()
        self.tables.delete_edge_types(DERIVED_EDGE_TYPES)
        for edge in edges:
            self.tables.put_edge(edge.type, edge.src, edge.dst, dict(edge.props))
        updates: dict[NodeId, dict[str, Any]] = {}
        for node_id, props in node_updates:
            if node_id not in updates:
                found = self.tables.node(node_id)
                if found is None:
                    continue
                updates[node_id] = found
            attrs = updates[node_id]
            for name, value in props.items():
                if value is None:
                    attrs.pop(name, None)
                else:
                    attrs[name] = value
        for node_id, attrs in updates.items():
            self.tables.put_node(node_id, attrs)

    def prune_seen(self, before_day: str) -> int:
        """Forget the evidence keys of days before `before_day` (YYYY-MM-DD), committed at once: their
        events would load again. Completion markers stay (graphgov.stores.seen_prune). How many keys went."""
        if self._lock is None:
            raise StoreError(f"embedded store {self.path} was opened read-only (or closed): nothing was written")
        check_day(before_day)
        self._begin()
        pruned = self.tables.prune_seen(before_day)
        self.commit()
        return pruned

    # --- reads ---------------------------------------------------------------------------------------

    def scan_nodes(self, merge_label: str) -> Iterator[tuple[str, dict[str, Any]]]:
        return self.tables.scan_nodes(merge_label)

    def scan_edges(self, edge_type: str) -> Iterator[tuple[NodeId, NodeId, dict[str, Any]]]:
        return self.tables.scan_edges(edge_type)

    def nodes_at(self, ids: Iterable[NodeId]) -> dict[NodeId, dict[str, Any]]:
        return self.tables.nodes(set(ids))

    def edges_at(self, ids: Iterable[EdgeId]) -> dict[EdgeId, dict[str, Any]]:
        found = {}
        for edge_type, src, dst in set(ids):
            attrs = self.tables.edge(edge_type, src, dst)
            if attrs is not None:
                found[(edge_type, src, dst)] = attrs
        return found

    def edges_to(self, edge_type: str, targets: Iterable[NodeId]) -> list[tuple[NodeId, NodeId, dict[str, Any]]]:
        return [(s, d, a) for _, s, d, a in self.tables.edges_around(sorted(set(targets)), (edge_type,), out=False)]

    def edges_from(self, edge_type: str, sources: Iterable[NodeId]) -> list[tuple[NodeId, NodeId, dict[str, Any]]]:
        return [(s, d, a) for _, s, d, a in self.tables.edges_around(sorted(set(sources)), (edge_type,), out=True)]

    def totals(self) -> tuple[int, int]:
        return self.tables.count("nodes"), self.tables.count("edges")

    def bookkeeping(self) -> int:
        """Seen keys, checkpoints and pending copies held (what a wipe deletes besides the graph)."""
        return self.tables.count("seen") + self.tables.count("checkpoints") + self.tables.count("pending")

    def scale_note(self) -> str | None:
        """One line suggesting Neo4j when the graph has grown past the embedded store's ceiling."""
        nodes, edges = self.totals()
        if edges <= CEILING:
            return None
        return (f"the embedded store now holds {nodes:,} nodes and {edges:,} relationships, past what it serves "
                f"comfortably ({CEILING:,} relationships): consider Neo4j (--store bolt://HOST:7687, see README)")

    def find_nodes(self, merge_label: str, key: str, name: str) -> list[str]:
        return sorted({k for k, attrs in self.tables.scan_nodes(merge_label) if k == key or attrs.get("name") == name})

    def provenance(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for key in sorted(set(keys)):
            for label in MERGE_KEYS:
                attrs = self.tables.node((label, key))
                if attrs is None:
                    continue
                event_ids = {e for *_, edge in self.tables.incident((label, key)) for e in edge.get("event_ids") or ()}
                merge_provenance(found, key, attrs.get("labels") or (label,), attrs, event_ids)
        return found

    def ask(self, question_id: str, cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        from graphgov.questions.embedded.core import IMPLEMENTATIONS, READS

        try:
            implementation = IMPLEMENTATIONS[question_id]
        except KeyError as exc:
            raise StoreError(f"question {question_id!r} has no embedded-store implementation") from exc
        return implementation(self._graph_for(READS[question_id], params), params)

    def _graph_for(self, reads: GraphReads, params: Mapping[str, Any]) -> Any:
        """The graph a question is asked on: the part of the graph it reads, kept for the next ask of the same
        rows; the whole graph once it is built, or once a second part would be (a report, a lineage picture or
        the demo asks many questions: one whole graph then costs less than a part for each). The few rows
        around one node (a seed: principal-activity, object-readers) are read anew for each node asked."""
        if self._graph is not None and self._graph[0] == self._version:
            return self._graph[1]
        key = (self._version, reads, reads.value(params))
        last = self._part[0] if self._part is not None else None  # (version, reads, seed value) of the last part
        if last is not None and last != key and last[0] == self._version and reads.seed is None \
                and last[1].seed is None:
            self._part = None
            return self.graph()
        if last != key:
            self._part = None  # the last part goes before the next is read: one at a time in memory
            self._part = (key, networkx_graph(self.tables, reads, params))
        return self._part[1]

    def graph(self) -> Any:
        """The whole graph as a networkx MultiDiGraph (nodes (label, key), edges keyed by type), built from
        the rows once and again only after a write."""
        if self._graph is None or self._graph[0] != self._version:
            self._graph = (self._version, networkx_graph(self.tables))
        return self._graph[1]
