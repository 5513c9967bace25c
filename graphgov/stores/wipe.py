"""`graphgov store wipe`: empty a store so the next load starts from nothing, saying first what goes.

A wipe is two steps on one held store: `open_wipe` counts what would be deleted (the plan, shown to the user
to confirm), `run` deletes it. The embedded store's writer lock (graphgov.stores.lock) is held from before the
count until the files are gone, so the count is what is deleted and no load writes in between; a store
another writer holds is refused with the holder's name. The store file is read only to count, never needed:
a damaged file (the reason one may want a wipe) is wiped all the same.

The quarantine file is kept unless named: it is the record of input that could not be loaded, it is not tied to
one store (Neo4j loads write it too), and a reload adds none of its entries twice (graphgov.ingest.quarantine).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from graphgov.stores import open_store, resolve_store_spec
from graphgov.stores.base import StoreError
from graphgov.stores.embedded import SIDE_FILES, TEMP_SUFFIX_RE, EmbeddedStore
from graphgov.stores.embedded_file import read_store_file
from graphgov.stores.embedded_migrate import file_kind
from graphgov.stores.lock import StoreLock, lock_path


@dataclass(frozen=True)
class WipePlan:
    """What a wipe of `store` deletes (counts None: the file cannot be read, so it is deleted uncounted)."""

    store: str
    nodes: int | None
    edges: int | None
    bookkeeping: int | None
    files: tuple[Path, ...] = ()
    kept: tuple[str, ...] = ()
    problem: str | None = None
    exists: bool = True  # False: no store at that path (an embedded file never written, or a typo)

    @property
    def empty(self) -> bool:
        """Nothing to delete: no graph, no bookkeeping, no file."""
        return not self.files and not self.nodes and not self.edges and not self.bookkeeping

    def deletes(self) -> str:
        """What goes, as one phrase for the prompt and the closing line."""
        if self.nodes is None:
            return f"the store file, unread ({self.problem})"
        return (f"{_count(self.nodes, 'node')}, {_count(self.edges, 'relationship')} and "
                f"{_count(self.bookkeeping, 'bookkeeping entry', 'bookkeeping entries')} "
                "(seen events, pullers' checkpoints, pending copies)")


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number:,} {one if number == 1 else many or one + 's'}"


class StoreWipe(ABC):
    """A store held for wiping: `plan` says what goes, `run` deletes it, `close` lets go."""

    plan: WipePlan

    @abstractmethod
    def run(self) -> None:
        """Delete what the plan names."""

    @abstractmethod
    def close(self) -> None:
        """Release the store (the embedded lock, the Neo4j connection)."""

    def __enter__(self) -> StoreWipe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quarantine_files(quarantine: Path | None) -> tuple[Path, ...]:
    return (quarantine,) if quarantine is not None and quarantine.is_file() else ()


def _kept_quarantine(quarantine: Path | None) -> tuple[str, ...]:
    return () if quarantine is not None else ("the quarantine (--quarantine FILE deletes it too)",)


def _embedded_counts(path: Path) -> tuple[int, int, int]:
    """(nodes, edges, bookkeeping) of the embedded store file, either format; StoreError when it is neither."""
    if file_kind(path) == "v1":
        data = read_store_file(path)
        bookkeeping = sum(len(keys) for keys in data["seen"].values()) + len(data.get("checkpoints", {}))
        return len(data["nodes"]), len(data["edges"]), bookkeeping + len(data.get("pending", {}))
    store = EmbeddedStore(path, read_only=True)
    try:
        return (*store.totals(), store.bookkeeping())
    finally:
        store.close()


class EmbeddedWipe(StoreWipe):
    """The store file, SQLite's log beside it and killed runs' temp files, deleted under the writer lock; the
    lock file stays (deleting it would let a waiting writer and a new one lock two different files)."""

    def __init__(self, path: Path, quarantine: Path | None = None):
        if path.is_dir():
            raise StoreError(f"embedded store {path} is a directory; give the path of a file in it")
        # a writer at work has created the lock file; neither file: no store, and no lock file left behind
        self._lock = StoreLock(path) if path.exists() or lock_path(path).exists() else None
        nodes = edges = bookkeeping = 0
        problem = None
        if path.exists():
            try:
                nodes, edges, bookkeeping = _embedded_counts(path)
            except StoreError as exc:
                nodes = edges = bookkeeping = None
                problem = str(exc).rpartition(": ")[2]
        temp = re.compile(re.escape(path.name) + TEMP_SUFFIX_RE)
        stale = sorted(entry for entry in path.parent.iterdir() if temp.fullmatch(entry.name)) \
            if self._lock is not None else []
        files = tuple(p for p in (path, *stale) if p.is_file()) + _quarantine_files(quarantine)
        self._side = [path.with_name(path.name + suffix) for suffix in SIDE_FILES]  # SQLite's log: part of the file
        self.plan = WipePlan(f"embedded store {path}", nodes, edges, bookkeeping, files,
                             _kept_quarantine(quarantine), problem, exists=path.exists())

    def run(self) -> None:
        for file in (*self.plan.files, *(self._side if self.plan.files else ())):
            file.unlink(missing_ok=True)

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


class Neo4jWipe(StoreWipe):
    """graphgov's nodes, relationships and bookkeeping deleted in batches (graphgov.stores.neo4j_wipe)."""

    def __init__(self, spec: str, quarantine: Path | None = None):
        from graphgov.stores.neo4j import Neo4jStore

        self.store = open_store(spec)
        assert isinstance(self.store, Neo4jStore)
        try:
            counts = self.store.wipe_counts()
        except BaseException:
            self.store.close()
            raise
        kept = ["the constraints and indexes", "every node and relationship graphgov did not write"]
        if counts.kept_nodes:
            kept.append(f"{_count(counts.kept_nodes, 'node')} Cartography also wrote (graphgov's first_seen, "
                        "last_seen and sources removed)")
        self.plan = WipePlan(self.store.description, counts.nodes, counts.edges, counts.bookkeeping,
                             _quarantine_files(quarantine), (*kept, *_kept_quarantine(quarantine)))

    def run(self) -> None:
        self.store.wipe()
        for file in self.plan.files:
            file.unlink(missing_ok=True)

    def close(self) -> None:
        self.store.close()


def open_wipe(spec: str | None, quarantine: Path | None = None) -> StoreWipe:
    """The store `spec` names (as `open_store` resolves it), held for wiping, its plan counted."""
    resolved = resolve_store_spec(spec)
    if "://" in resolved:
        return Neo4jWipe(resolved, quarantine)
    return EmbeddedWipe(Path(resolved), quarantine)
