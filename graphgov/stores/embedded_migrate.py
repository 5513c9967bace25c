"""Which embedded store a file holds, creating a new one, and moving a `graphgov-embedded/1` file to SQLite.

A store file is an SQLite database (graphgov.stores.embedded_sql, format FORMAT) since graphgov-embedded/2;
before, it was one gzip JSON file (graphgov.stores.embedded_file) rewritten whole by every commit. A writer
that finds an old file builds the database beside it (a temp file, the pattern a killed run's leftovers are
cleared by), keeps the old file as `<name>.v1.bak` and renames the database into place: at every moment the
path holds one whole store. A reader of an old file answers from an in-memory copy and changes nothing.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

from graphgov.stores.base import StoreError
from graphgov.stores.embedded_file import FORMAT as V1_FORMAT
from graphgov.stores.embedded_file import read_store_file
from graphgov.stores.embedded_links import DerivedLinks
from graphgov.stores.embedded_sql import FORMAT, SQLITE_MAGIC, GraphTables, dumps_json

BACKUP_SUFFIX = ".v1.bak"


def file_kind(path: Path) -> str:
    """"missing", "sqlite" or "v1" (gzip: its content is checked on reading); StoreError for anything else."""
    try:
        with path.open("rb") as raw:
            head = raw.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        raise StoreError(f"cannot read embedded store {path}: {exc.strerror}") from None
    if not head:
        raise StoreError(f"cannot read embedded store {path}: the file is empty (0 bytes)")
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head[:2] == b"\x1f\x8b":
        return "v1"
    raise StoreError(f"cannot read embedded store {path}: neither an SQLite database ({FORMAT}) nor gzip JSON "
                     f"({V1_FORMAT})")


def check_format(tables: GraphTables, path: Path) -> None:
    """StoreError unless the database is a graphgov store of FORMAT."""
    try:
        found = tables.meta("format")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read embedded store {path}: an SQLite database but not a graphgov store ({exc})") \
            from None
    if found != FORMAT:
        raise StoreError(f"cannot read embedded store {path}: format {found!r}, but this graphgov reads {FORMAT!r}")


def _temp_database(path: Path) -> tuple[Path, sqlite3.Connection]:
    fd, name = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    conn = sqlite3.connect(name, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")  # a failed build is deleted whole: no journal needed
    conn.execute("PRAGMA synchronous=OFF")
    return Path(name), conn


def _finish(conn: sqlite3.Connection, temp: Path) -> None:
    """Switch the built database to WAL, close it (nothing left in a WAL file) and make it durable."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create(path: Path) -> None:
    """A new, empty store at `path` (absent until now), put in place whole."""
    temp, conn = _temp_database(path)
    try:
        tables = GraphTables(conn)
        tables.create()
        tables.set_meta("format", FORMAT)
        _finish(conn, temp)
        os.replace(temp, path)
    except BaseException:
        conn.close()
        temp.unlink(missing_ok=True)
        raise


def fill_from_v1(tables: GraphTables, path: Path) -> None:
    """Copy the gzip JSON store at `path` into `tables` (empty, schema created), checking it as the old store
    did on opening: its shape, then every node its key indexes need (the derived edges are added if missing)."""
    data: dict[str, Any] = read_store_file(path)
    tables.conn.execute("BEGIN")
    for label, key, attrs in sorted(data["nodes"], key=lambda n: (n[0], n[1])):
        tables.put_node((label, key), attrs)
    for edge_type, src, dst, attrs in data["edges"]:
        tables.put_edge(edge_type, tuple(src), tuple(dst), attrs)
    tables.add_seen((key, day) for day, keys in data["seen"].items() for key in keys)
    tables.set_checkpoints(data.get("checkpoints", {}).items())
    for action, copy in data.get("pending", {}).items():
        tables.set_pending(action, copy)
    if data.get("undo") is not None:
        tables.set_meta("undo", dumps_json(data["undo"]))
    links = DerivedLinks(tables, from_rows=False)  # entered one by one below, linking what the file may lack
    try:
        for node, attrs in list(tables.nodes_of_labels(("Dataset", "ModelArtifact", "S3Object", "TuningJob"))):
            links.index(node, attrs)
        for job, output in tables.edges_between("WRITES", ("BatchInferenceJob", "ProcessingJob", "TransformJob"),
                                                "Dataset"):
            links.feed_from(job, output)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StoreError(f"cannot read embedded store {path}: a node lacks a property its kind "
                         f"needs or has one of the wrong type ({type(exc).__name__}: {exc})") from None
    tables.set_meta("format", FORMAT)
    tables.set_meta("committed", "1")
    tables.conn.execute("COMMIT")


def read_v1(path: Path) -> sqlite3.Connection:
    """An in-memory store holding the old file's graph, for a reader (nothing is written to disk)."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    tables = GraphTables(conn)
    tables.create()
    fill_from_v1(tables, path)
    return conn


def migrate(source: Path, dest: Path) -> None:
    """Move the old store at `source` into a new SQLite store at `dest` (the same path, or the new default
    beside it), keeping the old file as `<source>.v1.bak`; the writer's lock is held by the caller."""
    temp, conn = _temp_database(dest)
    try:
        tables = GraphTables(conn)
        tables.create()
        fill_from_v1(tables, source)
        _finish(conn, temp)
        backup = source.with_name(source.name + BACKUP_SUFFIX)
        backup.unlink(missing_ok=True)
        os.link(source, backup)  # the old file stays whole at `source` until the new one replaces it
        os.replace(temp, dest)
        if source != dest:
            source.unlink()
    except BaseException:
        conn.close()
        temp.unlink(missing_ok=True)
        raise
    sys.stderr.write(f"graphgov: embedded store {source} moved to the SQLite format ({FORMAT}) at {dest}; "
                     f"the old file is kept as {backup}\n")
