"""The Bolt half of a bulk import (graphgov.stores.neo4j_bulk): check what neo4j-admin imported, then write what
CSV could not carry.

Run once on the database neo4j-admin just created from an export folder; opening the store has already made
the constraints and indexes (Neo4jStore._ensure_schema, which fails on a duplicate key). The finish checks the
database holds exactly the export's CSV rows, turns the empty-list marks back into empty lists, writes the
fixups by MERGE (so a finish that died half-way can simply be run again) and records the export's id in a
bookkeeping node, so a second finish of the same folder changes nothing and a finish of another folder on an
imported database is refused.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphgov.core.schema import CHECKPOINT_LABEL, EDGE_TYPES, MERGE_KEYS, SEEN_LABEL, node_labels
from graphgov.stores.base import Store, StoreError
from graphgov.stores.neo4j import Neo4jStore
from graphgov.stores.neo4j_bulk import EMPTY, FIXUPS, read_manifest
from graphgov.stores.schema_cypher import PLAIN_NAME

IMPORT_KEY = "graphgov:bulk-import"  # the bookkeeping node recording the export finished here (value: its id)
_KEYS = {**MERGE_KEYS, SEEN_LABEL: "key", CHECKPOINT_LABEL: "name"}
_LABELS = frozenset({*node_labels(), SEEN_LABEL, CHECKPOINT_LABEL})  # what a fixup or mark may name
_BATCH = 2000


@dataclass(frozen=True)
class FinishCounts:
    nodes: int  # nodes the CSV files brought (bookkeeping included)
    relationships: int
    empty_lists: int  # nodes and relationships whose marked properties were set back to []
    fixup_nodes: int
    fixup_relationships: int
    seconds: float
    already: bool = False  # finished before: nothing was written


def _name(value: str) -> str:
    if not PLAIN_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is no property name")
    return value


def _state(store: Neo4jStore) -> str | None:
    with store._session(read_only=True) as session:
        record = session.run(f"MATCH (s:{SEEN_LABEL} {{key: $key}}) RETURN s.export AS export",
                             key=IMPORT_KEY).single()
    return None if record is None else record["export"]


def _totals(store: Neo4jStore) -> tuple[int, int]:
    with store._session(read_only=True) as session:
        nodes = session.run("MATCH (n) RETURN count(n) AS c").single()["c"]
        relationships = session.run("MATCH ()-[r]->() RETURN count(r) AS c").single()["c"]
    return nodes, relationships


def _fixups(folder: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Batches of fixup rows of one kind ("node" or "type"), in file order (every node before any edge)."""
    kind, batch = None, []
    with open(folder / FIXUPS, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            this = "node" if "node" in row else "type"
            if batch and (this != kind or len(batch) >= _BATCH):
                yield kind, batch
                batch = []
            kind = this
            batch.append(row)
    if batch:
        yield kind, batch


def _write_nodes(tx: Any, rows: list[dict[str, Any]]) -> None:
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        labels = tuple(row["node"])
        if not set(labels) <= _LABELS:
            raise ValueError(f"fixup node labels {labels} are not declared")
        grouped[labels].append(row)
    for labels, group in sorted(grouped.items()):
        merge = next(label for label in labels if label in _KEYS)
        key = _KEYS[merge]
        others = "".join(f" SET n:{label}" for label in labels if label != merge)
        tx.run(f"UNWIND $rows AS row MERGE (n:{merge} {{{key}: row.props.{key}}}) SET n = row.props{others}",
               rows=group).consume()


def _write_relationships(tx: Any, rows: list[dict[str, Any]]) -> None:
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["type"] not in EDGE_TYPES or row["src"][0] not in MERGE_KEYS or row["dst"][0] not in MERGE_KEYS:
            raise ValueError(f"fixup relationship {row['type']} between {row['src'][0]} and {row['dst'][0]} "
                             "is not declared")
        grouped[(row["type"], row["src"][0], row["dst"][0])].append(
            {"src": row["src"][1], "dst": row["dst"][1], "props": row["props"]})
    for (edge_type, src, dst), group in sorted(grouped.items()):
        tx.run(f"UNWIND $rows AS row MATCH (a:{src} {{{MERGE_KEYS[src]}: row.src}}) "
               f"MATCH (b:{dst} {{{MERGE_KEYS[dst]}: row.dst}}) MERGE (a)-[r:{edge_type}]->(b) SET r = row.props",
               rows=group).consume()


def _empty_lists(store: Neo4jStore, marks: list[list[str]]) -> int:
    """Set the marked properties back to []: one pass over each label's nodes or type's relationships for all
    of its marked properties; the number of nodes and relationships changed."""
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for kind, name, prop in marks:
        if not ((kind == "nodes" and name in _LABELS) or (kind == "relationships" and name in EDGE_TYPES)):
            raise ValueError(f"empty-list mark on undeclared {kind} {name!r}")
        grouped[(kind, name)].append(_name(prop))
    changed = 0
    with store._session() as session:
        for (kind, name), props in sorted(grouped.items()):
            match = f"MATCH (x:{name})" if kind == "nodes" else f"MATCH ()-[x:{name}]->()"
            where = " OR ".join(f"x.{p} = [$mark]" for p in props)
            sets = ", ".join(f"x.{p} = CASE WHEN x.{p} = [$mark] THEN [] ELSE x.{p} END" for p in props)
            record = session.run(f"{match} WHERE {where} CALL (x) {{ SET {sets} }} IN TRANSACTIONS OF 10000 ROWS "
                                 "RETURN count(*) AS n", mark=EMPTY).single()
            changed += record["n"]
    return changed


def finish_import(store: Neo4jStore, folder: Path) -> FinishCounts:
    """Finish the bulk import of `folder` on `store` (see the module's docstring)."""
    started = time.perf_counter()
    manifest = read_manifest(folder)
    export_id = manifest["id"]
    nodes, relationships = manifest["nodes"] + manifest["bookkeeping"], manifest["relationships"]
    state = _state(store)
    if state == f"{export_id}:done":
        return FinishCounts(nodes, relationships, 0, 0, 0, time.perf_counter() - started, already=True)
    if state is not None and state != f"{export_id}:started":
        raise StoreError(f"{store.description} finished another import ({state.split(':')[0]}), not {folder}'s "
                         f"({export_id})")
    if state is None:
        found = _totals(store)
        if found != (nodes, relationships):
            raise StoreError(
                f"{store.description} holds {found[0]:,} nodes and {found[1]:,} relationships; the export in {folder} "
                f"wrote {nodes:,} and {relationships:,}. Finish the import on the database neo4j-admin has just "
                "imported this folder into, before anything else writes to it.")
        _mark(store, f"{export_id}:started")
    empties = _empty_lists(store, manifest.get("empty_lists", []))
    fixed = {"node": 0, "type": 0}
    with store._session() as session:
        for kind, rows in _fixups(folder):
            writer = _write_nodes if kind == "node" else _write_relationships
            session.execute_write(lambda tx, w=writer, r=rows: w(tx, r))
            fixed[kind] += len(rows)
    _mark(store, f"{export_id}:done")
    return FinishCounts(nodes, relationships, empties, fixed["node"], fixed["type"], time.perf_counter() - started)


def _mark(store: Neo4jStore, value: str) -> None:
    with store._session() as session:
        session.run(f"MERGE (s:{SEEN_LABEL} {{key: $key}}) SET s.export = $value", key=IMPORT_KEY,
                    value=value).consume()


def finish_store(store: Store, folder: Path) -> FinishCounts:
    """`finish_import` on a Neo4j store (what `graphgov store finish-import` runs); StoreError otherwise."""
    if not isinstance(store, Neo4jStore):
        raise StoreError(f"{store.description} is not Neo4j: finish-import runs on the Neo4j database neo4j-admin "
                         "imported into (--store bolt://HOST:7687)")
    try:
        return finish_import(store, folder)
    except (OSError, ValueError) as exc:  # a folder's file gone or damaged: run again once it is whole
        raise StoreError(f"cannot finish the import of {folder}: {exc}") from exc
