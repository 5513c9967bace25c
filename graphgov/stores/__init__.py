"""Choose and open a store: `--store`, then `GRAPHGOV_STORE`, then the embedded default."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from graphgov.stores.base import Store, StoreError

DEFAULT_EMBEDDED_PATH = Path(".graphgov") / "graph.db"
LEGACY_EMBEDDED_PATH = Path(".graphgov") / "graph.json.gz"  # the default before the SQLite format: read, then moved
NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")

__all__ = ["DEFAULT_EMBEDDED_PATH", "Store", "StoreError", "open_store", "resolve_store_spec"]


def resolve_store_spec(spec: str | None) -> str:
    """The store to use: the explicit spec, else $GRAPHGOV_STORE, else the embedded default path."""
    return spec or os.environ.get("GRAPHGOV_STORE") or str(DEFAULT_EMBEDDED_PATH)


def open_store(spec: str | None = None, read_only: bool = False) -> Store:
    """Open a Neo4j store for bolt/neo4j URIs (credentials from NEO4J_* variables), else an embedded one.

    An embedded store opened to write (the default) is locked against other writers until closed;
    `read_only` (queries, reports) takes no lock and reads the last commit. The old default file
    (`.graphgov/graph.json.gz`, gzip JSON) is read when the new one does not exist yet, and moved to it by a writer.
    """
    resolved = resolve_store_spec(spec)
    if resolved.startswith(NEO4J_SCHEMES):
        if not urlsplit(resolved).hostname:
            # the driver would silently use 127.0.0.1:7687, which may be another server than the one meant
            raise StoreError(f"store {resolved!r} names no host: give one, e.g. bolt://127.0.0.1:7687")
        from graphgov.stores.neo4j import Neo4jStore

        return Neo4jStore(
            resolved,
            username=os.environ.get("NEO4J_USERNAME"),
            password=os.environ.get("NEO4J_PASSWORD"),
            database=os.environ.get("NEO4J_DATABASE") or None,
        )
    if "://" in resolved:
        raise StoreError(f"unsupported store {resolved!r}: use a file path or one of {', '.join(NEO4J_SCHEMES)}")
    from graphgov.stores.embedded import EmbeddedStore, committed

    path = Path(resolved)
    legacy = LEGACY_EMBEDDED_PATH if path == DEFAULT_EMBEDDED_PATH and LEGACY_EMBEDDED_PATH.exists() else None
    if read_only and not committed(path) and legacy is None:
        # an empty answer from a store that does not exist (a typo, another working directory) would read as
        # "nothing found": say that there is no store instead
        raise StoreError(f"no embedded store at {resolved} (nothing committed there yet): load into it first "
                         f"(graphgov load --store {resolved}), or give the store with --store or GRAPHGOV_STORE")
    return EmbeddedStore(path, read_only=read_only, legacy=legacy)
