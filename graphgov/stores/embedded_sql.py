"""The embedded store's tables in one SQLite file: nodes, edges, seen keys by day, checkpoints, pending copies.

A node row is (id, label, key, attrs as JSON); S3 objects and model artifacts also carry their (bucket,
key) in indexed columns, so the datasets and tuning jobs above them find them by a range query instead of
an index of every key held in memory. An edge row is (source id, type, target id, attrs); edges are found
by their ends or their type through indexes. Everything here runs inside the writer's open transaction
(graphgov.stores.embedded commits it); nothing reads the whole graph unless asked to.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import orjson

from graphgov.stores.schema_cypher import PLAIN_NAME
from graphgov.stores.seen_prune import is_marker

NodeId = tuple[str, str]
EdgeRow = tuple[str, NodeId, NodeId, dict[str, Any]]

FORMAT = "graphgov-embedded/2"
SQLITE_MAGIC = b"SQLite format 3\x00"
S3_LABELS = ("S3Object", "ModelArtifact")  # nodes found by (bucket, key prefix)
_BATCH = 500  # parameters per IN (...) query, under SQLite's limit
_ID_CACHE = 1 << 18  # row ids remembered (about 80 MB at most): a load of millions of nodes keeps memory flat

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nodes (id INTEGER PRIMARY KEY, label TEXT NOT NULL, key TEXT NOT NULL,
                                  attrs TEXT NOT NULL, bucket TEXT, skey TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS nodes_by_key ON nodes (label, key);
CREATE INDEX IF NOT EXISTS nodes_by_s3_key ON nodes (label, bucket, skey) WHERE skey IS NOT NULL;
CREATE TABLE IF NOT EXISTS edges (src INTEGER NOT NULL, type TEXT NOT NULL, dst INTEGER NOT NULL,
                                  attrs TEXT NOT NULL, PRIMARY KEY (src, type, dst)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_by_target ON edges (dst, type);
CREATE INDEX IF NOT EXISTS edges_by_type ON edges (type);
CREATE TABLE IF NOT EXISTS seen (key TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (key, day)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_by_day ON seen (day);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (action TEXT PRIMARY KEY, copy TEXT NOT NULL) WITHOUT ROWID;
"""

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _loads(text: str) -> Any:
    """A row's attributes: orjson (1.8-2.6x faster on the rows: decoding is most of a question's CPU), the standard
    library for what orjson refuses (NaN and Infinity, which json.dumps writes) or may read differently: a
    float among the attributes or in a list of them (attributes are scalars and lists of scalars,
    graphgov.core.delta), which orjson also gives for an integer past 64 bits (a sum of counters)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    if type(value) is dict:
        kinds = set(map(type, value.values()))
        if float in kinds or (list in kinds and any(float in map(type, v) for v in value.values() if type(v) is list)):
            return json.loads(text)
    return value


def _projection(names: tuple[str, ...], column: str = "attrs") -> str:
    """SQL for the JSON object of only these attributes of the row's JSON (json_patch drops the absent ones,
    which json_object gives as null: attributes are never null)."""
    for name in names:
        if not PLAIN_NAME.fullmatch(name):  # written into the SQL as it is
            raise ValueError(f"not an attribute name: {name!r}")
    pairs = ", ".join(f"'{name}', {column} -> '$.{name}'" for name in names)
    return f"json_patch('{{}}', json_object({pairs}))"


dumps_json = _dumps  # compact JSON text, as the rows hold attributes
loads_json = _loads  # a row's attributes read back exactly


def _s3_columns(label: str, attrs: dict[str, Any]) -> tuple[Any, Any]:
    if label in S3_LABELS and isinstance(attrs.get("bucket"), str) and isinstance(attrs.get("key"), str):
        return attrs["bucket"], attrs["key"]
    return None, None


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), _BATCH):
        yield items[start:start + _BATCH]


class GraphTables:
    """Row-level reads and writes of the graph on one connection; node ids are (label, key) outside."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn: sqlite3.Connection | None = conn
        self._reopen: Callable[[], sqlite3.Connection] | None = None
        self._ids: dict[NodeId, int] = {}  # cache of row ids

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None and self._reopen is not None:
            self._conn = self._reopen()
        return self._conn

    def reconnect(self, opener: Callable[[], sqlite3.Connection]) -> None:
        """Drop the connection (closed by the caller); the next read opens one with `opener`."""
        self._conn, self._reopen = None, opener
        self._ids.clear()

    def create(self) -> None:
        self.conn.executescript(SCHEMA)

    # --- meta, seen, checkpoints, pending ---------------------------------------------------------------

    def meta(self, name: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str | None) -> None:
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE name = ?", (name,))
        else:
            self.conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    def seen_of(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for batch in _chunks(keys):
            marks = ",".join("?" * len(batch))
            found.update(r[0] for r in self.conn.execute(f"SELECT key FROM seen WHERE key IN ({marks})", batch))
        return found

    def add_seen(self, seen: Iterable[tuple[str, str]]) -> None:
        self.conn.executemany("INSERT OR IGNORE INTO seen (key, day) VALUES (?, ?)", seen)

    def prune_seen(self, before_day: str) -> int:
        """Delete the evidence keys of days before `before_day`; completion markers stay (one pattern, in
        graphgov.stores.seen_prune, called from SQL)."""
        self.conn.create_function("graphgov_is_marker", 1, is_marker, deterministic=True)
        return self.conn.execute("DELETE FROM seen WHERE day < ? AND NOT graphgov_is_marker(key)",
                                 (before_day,)).rowcount

    def checkpoint(self, name: str) -> str | None:
        row = self.conn.execute("SELECT value FROM checkpoints WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def checkpoints(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT name, value FROM checkpoints ORDER BY name"))

    def set_checkpoints(self, values: Iterable[tuple[str, str]]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO checkpoints (name, value) VALUES (?, ?)", values)

    def pending(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT action, copy FROM pending ORDER BY action"))

    def set_pending(self, action: str, copy: str | None) -> None:
        if copy is None:
            self.conn.execute("DELETE FROM pending WHERE action = ?", (action,))
        else:
            self.conn.execute("INSERT OR REPLACE INTO pending (action, copy) VALUES (?, ?)", (action, copy))

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - our table names

    # --- nodes ---------------------------------------------------------------------------------------------

    def node_id(self, node: NodeId) -> int | None:
        found = self._ids.get(node)
        if found is None:
            row = self.conn.execute("SELECT id FROM nodes WHERE label = ? AND key = ?", node).fetchone()
            if row is None:
                return None
            found = row[0]
            self._remember(node, found)
        return found

    def _remember(self, node: NodeId, row_id: int) -> None:
        """Cache a node's row id; past _ID_CACHE entries the cache starts again (a miss is one index seek)."""
        if len(self._ids) >= _ID_CACHE:
            self._ids.clear()
        self._ids[node] = row_id

    def node(self, node: NodeId) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT id, attrs FROM nodes WHERE label = ? AND key = ?", node).fetchone()
        if row is None:
            return None
        self._remember(node, row[0])
        return _loads(row[1])

    def nodes(self, wanted: Iterable[NodeId]) -> dict[NodeId, dict[str, Any]]:
        """The attributes of those of `wanted` that exist."""
        found: dict[NodeId, dict[str, Any]] = {}
        by_label: dict[str, list[str]] = {}
        for label, key in wanted:
            by_label.setdefault(label, []).append(key)
        for label, keys in by_label.items():
            for batch in _chunks(keys):
                marks = ",".join("?" * len(batch))
                for row_id, key, attrs in self.conn.execute(
                        f"SELECT id, key, attrs FROM nodes WHERE label = ? AND key IN ({marks})", (label, *batch)):
                    self._remember((label, key), row_id)
                    found[(label, key)] = _loads(attrs)
        return found

    def put_node(self, node: NodeId, attrs: dict[str, Any]) -> int:
        """Insert or replace the node's attributes (its edges stay); its row id."""
        bucket, skey = _s3_columns(node[0], attrs)
        row_id = self.node_id(node)
        if row_id is None:
            row_id = self.conn.execute("INSERT INTO nodes (label, key, attrs, bucket, skey) VALUES (?, ?, ?, ?, ?)",
                                       (*node, _dumps(attrs), bucket, skey)).lastrowid
            self._remember(node, row_id)
        else:
            self.conn.execute("UPDATE nodes SET attrs = ?, bucket = ?, skey = ? WHERE id = ?",
                              (_dumps(attrs), bucket, skey, row_id))
        return row_id

    def ensure_node(self, node: NodeId) -> int:
        """The node's row id, adding it without attributes when absent (as networkx's add_edge does)."""
        row_id = self.node_id(node)
        return self.put_node(node, {}) if row_id is None else row_id

    def remove_node(self, node: NodeId) -> None:
        """Delete the node and every edge incident on it."""
        row_id = self.node_id(node)
        if row_id is None:
            return
        self.conn.execute("DELETE FROM edges WHERE src = ? OR dst = ?", (row_id, row_id))
        self.conn.execute("DELETE FROM nodes WHERE id = ?", (row_id,))
        self._ids.pop(node, None)

    def scan_nodes(self, label: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for key, attrs in self.conn.execute("SELECT key, attrs FROM nodes WHERE label = ? ORDER BY key", (label,)):
            yield key, _loads(attrs)

    def keys_under(self, label: str, bucket: str, prefix: str) -> Iterator[str]:
        """The S3 keys of `label` nodes (S3_LABELS) in `bucket` that start with `prefix`, in key order."""
        for (skey,) in self.conn.execute("SELECT skey FROM nodes WHERE label = ? AND bucket = ? AND skey >= ? "
                                         "AND skey IS NOT NULL ORDER BY skey", (label, bucket, prefix)):
            if not skey.startswith(prefix):
                return
            yield skey

    def all_nodes(self) -> Iterator[tuple[NodeId, dict[str, Any]]]:
        for label, key, attrs in self.conn.execute("SELECT label, key, attrs FROM nodes ORDER BY label, key"):
            yield (label, key), _loads(attrs)

    def nodes_of_labels(self, labels: Iterable[str], fields: Mapping[str, tuple[str, ...]] | None = None
                        ) -> Iterator[tuple[NodeId, dict[str, Any]]]:
        """The nodes of `labels`, each with its attributes or, for a label in `fields`, only those named."""
        for label in sorted(set(labels)):
            if fields and label in fields:
                for key, attrs in self.conn.execute(f"SELECT key, {_projection(fields[label])} FROM nodes "
                                                    "WHERE label = ? ORDER BY key", (label,)):
                    yield (label, key), _loads(attrs)
            else:
                for key, attrs in self.scan_nodes(label):
                    yield (label, key), attrs

    # --- edges ---------------------------------------------------------------------------------------------

    _EDGE_JOIN = "FROM edges e JOIN nodes s ON s.id = e.src JOIN nodes d ON d.id = e.dst "  # both ends' label and key
    _EDGE_SELECT = "SELECT e.type, s.label, s.key, d.label, d.key, e.attrs " + _EDGE_JOIN

    def edge(self, edge_type: str, src: NodeId, dst: NodeId) -> dict[str, Any] | None:
        src_id, dst_id = self.node_id(src), self.node_id(dst)
        if src_id is None or dst_id is None:
            return None
        row = self.conn.execute("SELECT attrs FROM edges WHERE src = ? AND type = ? AND dst = ?",
                                (src_id, edge_type, dst_id)).fetchone()
        return None if row is None else _loads(row[0])

    def has_edge(self, edge_type: str, src: NodeId, dst: NodeId) -> bool:
        src_id, dst_id = self.node_id(src), self.node_id(dst)
        return src_id is not None and dst_id is not None and self.conn.execute(
            "SELECT 1 FROM edges WHERE src = ? AND type = ? AND dst = ?", (src_id, edge_type, dst_id)).fetchone() \
            is not None

    def put_edge(self, edge_type: str, src: NodeId, dst: NodeId, attrs: dict[str, Any]) -> None:
        """Insert or replace the edge (its ends are added bare when absent)."""
        self.conn.execute("INSERT OR REPLACE INTO edges (src, type, dst, attrs) VALUES (?, ?, ?, ?)",
                          (self.ensure_node(src), edge_type, self.ensure_node(dst), _dumps(attrs)))

    def remove_edge(self, edge_type: str, src: NodeId, dst: NodeId) -> None:
        src_id, dst_id = self.node_id(src), self.node_id(dst)
        if src_id is not None and dst_id is not None:
            self.conn.execute("DELETE FROM edges WHERE src = ? AND type = ? AND dst = ?", (src_id, edge_type, dst_id))

    def out_edges(self, node: NodeId, edge_type: str) -> list[tuple[NodeId, dict[str, Any]]]:
        row_id = self.node_id(node)
        if row_id is None:
            return []
        rows = self.conn.execute("SELECT d.label, d.key, e.attrs FROM edges e JOIN nodes d ON d.id = e.dst "
                                 "WHERE e.src = ? AND e.type = ?", (row_id, edge_type))
        return [((label, key), _loads(attrs)) for label, key, attrs in rows]

    def incident(self, node: NodeId) -> list[EdgeRow]:
        """Every edge into or out of the node: (type, source, target, attrs)."""
        row_id = self.node_id(node)
        if row_id is None:
            return []
        rows = self.conn.execute(self._EDGE_SELECT + "WHERE e.dst = ? UNION ALL " + self._EDGE_SELECT +
                                 "WHERE e.src = ?", (row_id, row_id))
        return [(t, (sl, sk), (dl, dk), _loads(a)) for t, sl, sk, dl, dk, a in rows]

    def remove_incident(self, node: NodeId) -> None:
        row_id = self.node_id(node)
        if row_id is not None:
            self.conn.execute("DELETE FROM edges WHERE src = ? OR dst = ?", (row_id, row_id))

    def scan_edges(self, edge_type: str) -> Iterator[tuple[NodeId, NodeId, dict[str, Any]]]:
        for _, sl, sk, dl, dk, attrs in self.conn.execute(self._EDGE_SELECT + "WHERE e.type = ?", (edge_type,)):
            yield (sl, sk), (dl, dk), _loads(attrs)

    def edges_around(self, ends: Iterable[NodeId], types: Iterable[str], out: bool) -> Iterator[EdgeRow]:
        """The edges of `types` out of (`out`) or into `ends`: (type, source, target, attrs), by index."""
        ids = [row_id for row_id in map(self.node_id, ends) if row_id is not None]
        names = sorted(set(types))
        end, marks = ("e.src" if out else "e.dst"), ",".join("?" * len(names))
        for batch in _chunks(ids):
            at = ",".join("?" * len(batch))
            for t, sl, sk, dl, dk, attrs in self.conn.execute(
                    self._EDGE_SELECT + f"WHERE {end} IN ({at}) AND e.type IN ({marks})", (*batch, *names)):
                yield t, (sl, sk), (dl, dk), _loads(attrs)

    def edges_between(self, edge_type: str, src_labels: Iterable[str], dst_label: str) -> list[tuple[NodeId, NodeId]]:
        labels = sorted(set(src_labels))
        marks = ",".join("?" * len(labels))
        rows = self.conn.execute("SELECT s.label, s.key, d.label, d.key " + self._EDGE_JOIN +
                                 f"WHERE e.type = ? AND s.label IN ({marks}) AND d.label = ? "
                                 "ORDER BY s.label, s.key, d.key", (edge_type, *labels, dst_label))
        return [((sl, sk), (dl, dk)) for sl, sk, dl, dk in rows]

    def delete_edge_types(self, types: Iterable[str]) -> int:
        names = sorted(set(types))
        marks = ",".join("?" * len(names))
        return self.conn.execute(f"DELETE FROM edges WHERE type IN ({marks})", names).rowcount

    def all_edges(self, types: Iterable[str] | None = None, fields: Mapping[str, tuple[str, ...]] | None = None
                  ) -> Iterator[EdgeRow]:
        """Every edge (of `types`), ordered by type, source and target as the old file held them; of a type in
        `fields`, only the attributes named."""
        if types is None:
            rows = self.conn.execute(self._EDGE_SELECT + "ORDER BY e.type, s.label, s.key, d.label, d.key")
        else:
            names = sorted(set(types))
            marks = ",".join("?" * len(names))
            projected = {name: _projection(fields[name], "e.attrs") for name in names if fields and name in fields}
            attrs = f"CASE e.type {' '.join(f'WHEN ? THEN {p}' for p in projected.values())} ELSE e.attrs END" \
                if projected else "e.attrs"
            rows = self.conn.execute(f"SELECT e.type, s.label, s.key, d.label, d.key, {attrs} " + self._EDGE_JOIN +
                                     f"WHERE e.type IN ({marks}) ORDER BY e.type, s.label, s.key, d.label, d.key",
                                     [*projected, *names])
        for t, sl, sk, dl, dk, attrs in rows:
            yield t, (sl, sk), (dl, dk), _loads(attrs)

    def bare_edges(self, types: Iterable[str]) -> Iterator[tuple[str, NodeId, NodeId]]:
        """Every edge of `types` without its attributes (neither read nor decoded): (type, source, target)."""
        names = sorted(set(types))
        marks = ",".join("?" * len(names))
        for t, sl, sk, dl, dk in self.conn.execute("SELECT e.type, s.label, s.key, d.label, d.key " + self._EDGE_JOIN
                                                   + f"WHERE e.type IN ({marks})", names):
            yield t, (sl, sk), (dl, dk)
