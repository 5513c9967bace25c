"""An embedded store written out as the CSV files of neo4j-admin's offline bulk import, for a first Neo4j load.

Loading a long history into an empty Neo4j through Bolt pays a read, a fold and a write per row on the server
(graphgov.stores.neo4j_fold). `neo4j-admin database import full` instead writes the database files directly
from CSV, at hundreds of thousands of rows a second, into a database that does not exist yet. So a large
backfill is loaded into the embedded store (the same fold, locally), exported here, imported offline, and
finished through Bolt (graphgov.stores.neo4j_bulk_finish); the loads after it go through Bolt as usual.

The export carries everything the Neo4j store holds, in its shapes: nodes (labels, properties without the
embedded store's `labels` attribute or a node's `event_ids`), relationships, the seen keys (one node each),
the checkpoints (the derivation's marker among them), the pending copies and the materialised layer's undo
log, so the first load after the import goes on as it would on a store loaded through Bolt.

CSV cannot carry every value; those rows go to `fixups.jsonl`, written through Bolt by the finish:
- a string with a control character (a line break needs the importer's slow multi-line parsing for a whole
  file; the array delimiter and the empty-list mark are control characters too);
- a list holding an empty string, mixed types or a nested value (CSV writes `[""]` as nothing at all);
- the edges of a node that is itself a fixup (the importer links by the ids of the files it read).
An empty list is written as `[EMPTY]` and set to `[]` by the finish on the server (one pass per label or
relationship type), since an empty array field imports as no property at all.
"""

from __future__ import annotations

import json
import os
import re
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from graphgov.core.schema import CHECKPOINT_LABEL, EDGE_TYPES, MERGE_KEYS, SEEN_LABEL, node_labels
from graphgov.ingest.pending import LAYER_KEY, loads
from graphgov.stores.base import Store, StoreError
from graphgov.stores.embedded import EmbeddedStore
from graphgov.stores.embedded_sql import GraphTables, loads_json
from graphgov.stores.neo4j_fold import node_properties
from graphgov.stores.neo4j_pending import copy_properties, undo_text
from graphgov.stores.schema_cypher import PLAIN_NAME

DELIMITER = "\x1f"  # between array elements (and labels): no value written to CSV holds a control character
EMPTY = "\x1e"  # an empty list's mark, set back to [] by the finish
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCALARS = {str: "string", bool: "boolean", int: "long", float: "double"}
MANIFEST = "export.json"
ARGS = "neo4j-admin.args"
FIXUPS = "fixups.jsonl"
FORMAT = "graphgov-neo4j-import/1"
_MAX_OPEN = 64  # CSV files open at once; the rest are reopened to append


def column_type(value: Any) -> str | None:
    """The CSV column type that carries `value` exactly (`string[]` for an empty list), or None if none does."""
    kind = type(value)
    if kind in _SCALARS:
        if kind is str and _CONTROL.search(value):
            return None
        if kind is int and not -(2**63) <= value < 2**63:
            return None
        if kind is float and value != value:  # NaN: Java reads it, but never equal to itself: leave it to Bolt
            return None
        return _SCALARS[kind]
    if kind is not list:
        return None
    if not value:
        return "string[]"
    kinds = {type(v) for v in value}
    if len(kinds) != 1:
        return None
    inner = column_type(value[0]) if kinds <= set(_SCALARS) else None
    if inner is None or any(column_type(v) != inner for v in value[1:]):
        return None
    if inner == "string" and "" in value:
        return None
    return inner + "[]"


def _field(value: Any) -> str:
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return '"' + value.replace('"', '""') + '"'
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        return repr(value)
    if kind is int:
        return str(value)
    if not value:
        return '"' + EMPTY + '"'
    return '"' + DELIMITER.join(
        ("true" if v else "false") if type(v) is bool else repr(v) if type(v) is float else str(v) for v in value
    ).replace('"', '""') + '"'


@dataclass
class _Group:
    """One CSV file: rows of one shape (node labels or relationship type, property columns and their types)."""

    path: Path
    columns: tuple[tuple[str, str], ...]


@dataclass
class ExportCounts:
    """What an export wrote: CSV rows by kind, fixups, and the files."""

    nodes: int = 0
    relationships: int = 0
    bookkeeping: int = 0
    fixup_nodes: int = 0
    fixup_relationships: int = 0
    node_files: int = 0
    relationship_files: int = 0
    empty_lists: list[list[str]] = field(default_factory=list)  # [kind, label or type, property]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Writer:
    """CSV files by shape under `out`, at most _MAX_OPEN open; the neo4j-admin arguments that read them."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.groups: dict[tuple, _Group] = {}
        self.open: dict[tuple, TextIO] = {}
        self.empties: set[tuple[str, str, str]] = set()

    def row(self, kind: str, name: str, head: list[str], props: dict[str, Any], types: dict[str, str]) -> None:
        columns = tuple(sorted(types.items()))
        shape = (kind, name, columns)
        group = self.groups.get(shape)
        if group is None:
            group = self.groups[shape] = _Group(self.out / f"{kind}-{len(self.groups) + 1:05d}.csv", columns)
            header = (":ID,:LABEL" if kind == "nodes" else ":START_ID,:END_ID,:TYPE")
            self._file(shape, group, "w").write(
                header + "".join(f",{c}:{t}" for c, t in columns) + "\n")
        handle = self._file(shape, group, "a")
        for column, kind_ in columns:
            if kind_ == "string[]" and props[column] == []:
                self.empties.add((kind, name, column))
        handle.write(",".join(head) + "".join("," + _field(props[c]) for c, _ in columns) + "\n")

    def _file(self, shape: tuple, group: _Group, mode: str) -> TextIO:
        handle = self.open.get(shape)
        if handle is None:
            if len(self.open) >= _MAX_OPEN:
                self.open.pop(next(iter(self.open))).close()
            handle = self.open[shape] = open(group.path, mode, encoding="utf-8", newline="")  # noqa: SIM115
        return handle

    def close(self) -> list[str]:
        for handle in self.open.values():
            handle.close()
        self.open.clear()
        args = ["--id-type=actual", "--array-delimiter=U+001F", "--delimiter=,", '--quote="']
        for (kind, _, _), group in sorted(self.groups.items(), key=lambda item: item[1].path):
            args.append(f"--{kind}={group.path.name}")
        return args


def _typed(props: dict[str, Any]) -> dict[str, str] | None:
    types = {}
    for name, value in props.items():
        kind = column_type(value)
        if kind is None or not PLAIN_NAME.fullmatch(name):  # a CSV header carries the name as it is
            return None
        types[name] = kind
    return types


def _node_props(label: str, key: str, attrs: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The labels and properties the Neo4j store holds for an embedded node (graphgov.stores.neo4j_fold)."""
    labels = sorted(set(attrs.get("labels") or ()) | {label})
    props = {k: v for k, v in node_properties(attrs).items() if v is not None}
    if label in MERGE_KEYS:
        props.setdefault(MERGE_KEYS[label], key)
    return labels, props


def neo4j_undo(undo: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The embedded layer's undo log in the Neo4j store's shape (graphgov.stores.neo4j_pending): a node's state
    is its labels and properties, not the embedded attributes."""
    nodes = []
    for label, key, attrs in undo["nodes"]:
        if attrs is None:
            nodes.append([label, key, None])
        else:
            labels, props = _node_props(label, key, attrs)
            nodes.append([label, key, {"labels": labels, "props": props}])
    edges = [[t, src, dst, None if attrs is None else {k: v for k, v in attrs.items() if v is not None}]
             for t, src, dst, attrs in undo["edges"]]
    return {"nodes": nodes, "full": undo["full"],
            "edges": sorted(edges, key=lambda e: json.dumps(e, sort_keys=True))}


def _bookkeeping(tables: GraphTables) -> Iterator[dict[str, Any]]:
    """The seen keys, checkpoints, pending copies and layer as the Neo4j store's bookkeeping nodes' properties
    (labels first)."""
    for key, day in tables.conn.execute("SELECT key, min(day) FROM seen GROUP BY key ORDER BY key"):
        yield {"labels": [SEEN_LABEL], "key": key, "day": day}
    for name, value in tables.conn.execute("SELECT name, value FROM checkpoints ORDER BY name"):
        yield {"labels": [CHECKPOINT_LABEL], "name": name, "value": value}
    for (copy,) in tables.conn.execute("SELECT copy FROM pending ORDER BY action"):  # keyed by its action
        yield {"labels": [SEEN_LABEL], **copy_properties(loads(copy), copy)}
    undo = tables.meta("undo")
    if undo is not None:
        yield {"labels": [SEEN_LABEL], "key": LAYER_KEY,
               "undo": undo_text(neo4j_undo(loads_json(undo)))}


def export(tables: GraphTables, out: Path) -> ExportCounts:
    """Write the store's last commit under `out` (an empty or new folder): CSV files, the neo4j-admin
    arguments (`neo4j-admin.args`, one a line, paths relative to `out`), `fixups.jsonl` and `export.json`."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: export into a new folder")
    declared, edge_types = set(node_labels()), set(EDGE_TYPES)
    counts, writer = ExportCounts(), _Writer(out)
    conn = tables.conn
    opened = not conn.in_transaction
    if opened:
        conn.execute("BEGIN")  # one snapshot: the store's last commit, whatever a writer does meanwhile
    try:
        with open(out / FIXUPS, "w", encoding="utf-8") as fixups:
            held_back: dict[int, tuple[str, str]] = {}  # row id -> (label, key) of nodes written as fixups
            # Neo4j's own node ids (`--id-type=actual`: no id map to build, a third of the node phase), dense
            # from 0 in row order: a row id's is ordinals[row id] (8 bytes a row id, not a dict entry)
            last = conn.execute("SELECT coalesce(max(id), 0) FROM nodes").fetchone()[0]
            ordinals = array("q", bytes(8 * (last + 1)))
            ordinal = 0
            for row_id, label, key, text in conn.execute("SELECT id, label, key, attrs FROM nodes ORDER BY id"):
                labels, props = _node_props(label, key, loads_json(text) if text != "{}" else {})
                if not set(labels) <= declared or label not in MERGE_KEYS:
                    raise ValueError(f"node {label} {key!r} has labels {labels} the schema does not declare")
                types = _typed(props)
                if types is None:
                    held_back[row_id] = (label, key)
                    fixups.write(_json({"node": labels, "props": props}))
                    counts.fixup_nodes += 1
                    continue
                ordinals[row_id] = ordinal
                writer.row("nodes", DELIMITER.join(labels), [str(ordinal), _field(DELIMITER.join(labels))],
                           props, types)
                ordinal += 1
                counts.nodes += 1
            for props in _bookkeeping(tables):
                labels = props.pop("labels")
                types = _typed(props)
                if types is None:
                    fixups.write(_json({"node": labels, "props": props}))
                    counts.fixup_nodes += 1
                    continue
                writer.row("nodes", labels[0], [str(ordinal), _field(labels[0])], props, types)
                ordinal += 1
                counts.bookkeeping += 1
            for src, edge_type, dst, text in conn.execute("SELECT src, type, dst, attrs FROM edges"):
                if edge_type not in edge_types:
                    raise ValueError(f"relationship type {edge_type!r} is not declared in the schema")
                props = {k: v for k, v in loads_json(text).items() if v is not None} if text != "{}" else {}
                types = _typed(props)
                if types is None or src in held_back or dst in held_back:
                    fixups.write(_json({"type": edge_type, "src": _end(tables, src, held_back),
                                        "dst": _end(tables, dst, held_back), "props": props}))
                    counts.fixup_relationships += 1
                    continue
                writer.row("relationships", edge_type, [str(ordinals[src]), str(ordinals[dst]), edge_type], props,
                           types)
                counts.relationships += 1
    finally:
        if opened:
            conn.execute("COMMIT")
    args = writer.close()
    (out / ARGS).write_text("\n".join(args) + "\n", encoding="utf-8")
    counts.node_files = sum(1 for (kind, _, _) in writer.groups if kind == "nodes")
    counts.relationship_files = len(writer.groups) - counts.node_files
    counts.empty_lists = sorted([kind, name.split(DELIMITER)[0] if kind == "nodes" else name, column]
                                for kind, name, column in writer.empties)
    manifest = {"format": FORMAT, "id": os.urandom(8).hex(), **counts.as_dict()}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return counts


def _end(tables: GraphTables, row_id: int, held_back: dict[int, tuple[str, str]]) -> list[str]:
    found = held_back.get(row_id)
    if found is None:
        found = tables.conn.execute("SELECT label, key FROM nodes WHERE id = ?", (row_id,)).fetchone()
    return list(found)


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False) + "\n"


def read_manifest(folder: Path) -> dict[str, Any]:
    """The export's manifest (`export.json`); ValueError when `folder` holds no export of this format."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{folder} holds no graphgov export for neo4j-admin ({MANIFEST}: {exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{folder / MANIFEST} is not a {FORMAT} manifest")
    return manifest


def export_store(store: Store, out: Path) -> tuple[ExportCounts, float]:
    """`export` of an embedded store (what `graphgov store export-neo4j` runs), with its seconds; StoreError
    for any other store or a folder that holds files."""
    if not isinstance(store, EmbeddedStore) or store.tables is None:
        raise StoreError(f"{store.description} is not an embedded SQLite store: only those are exported "
                         "(an old graph.json.gz store is moved to SQLite by the next load into it)")
    started = time.perf_counter()
    try:
        counts = export(store.tables, out)
    except (FileExistsError, ValueError) as exc:
        raise StoreError(str(exc)) from exc
    return counts, time.perf_counter() - started
