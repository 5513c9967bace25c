"""Wiping graphgov's part of a Neo4j database, in batches, leaving what Cartography wrote.

graphgov shares its labels (`AWSAccount`, `AWSPrincipal`, `S3Bucket`, ...) with Cartography, which may fill the
same database. Cartography stamps every node and relationship it writes with `lastupdated`; graphgov never
writes that property, and writes `sources` on every node. So:

- a relationship of one of graphgov's types without `lastupdated` is graphgov's: deleted;
- a node with one of graphgov's labels and `sources`, without `lastupdated`, is graphgov's: deleted;
- a node or relationship Cartography wrote and graphgov merged into (both stamps) stays, with graphgov's folded
  properties (its window, event ids, counters: the ones a reload would add to again) removed;
- graphgov's bookkeeping (seen markers, the pending layer's copies and lock, the derivation markers, the pullers'
  checkpoints) is deleted whole; the constraints and indexes stay, so the next load needs no schema step.

Every delete runs as `CALL { ... } IN TRANSACTIONS` in an auto-commit query, so a graph of millions of
relationships never has to fit one transaction in the server's heap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphgov.core.merge_rules import NODE_WINDOW, folded_edge_props
from graphgov.core.schema import CHECKPOINT_LABEL, EDGE_TYPES, SEEN_LABEL, node_labels

WIPE_BATCH = 10000  # rows per inner transaction: small enough for any heap, large enough to be quick
FOREIGN_STAMP = "lastupdated"  # what Cartography sets on everything it writes, and graphgov never does


@dataclass(frozen=True)
class Neo4jWipeCounts:
    """What a wipe deletes (nodes, relationships, bookkeeping nodes) and the shared nodes it keeps."""

    nodes: int
    edges: int
    bookkeeping: int
    kept_nodes: int


def _edge_props() -> list[str]:
    return sorted({name for edge_type in EDGE_TYPES.values() for name in folded_edge_props(edge_type)})


_OURS_EDGE = f"type(r) IN $types AND r.{FOREIGN_STAMP} IS NULL"
_SHARED_EDGE = f"type(r) IN $types AND r.{FOREIGN_STAMP} IS NOT NULL AND r.sources IS NOT NULL"
_LABELLED = "any(l IN labels(n) WHERE l IN $labels) AND n.sources IS NOT NULL"
_OURS_NODE = f"{_LABELLED} AND n.{FOREIGN_STAMP} IS NULL"
_SHARED_NODE = f"{_LABELLED} AND n.{FOREIGN_STAMP} IS NOT NULL"
_BOOKKEEPING = f"n:{SEEN_LABEL} OR n:{CHECKPOINT_LABEL}"


def _params() -> dict[str, Any]:
    return {"types": sorted(EDGE_TYPES), "labels": node_labels()}


def count(session: Any) -> Neo4jWipeCounts:
    """What `wipe` would delete and keep, as of now."""
    params = _params()

    def single(statement: str) -> int:
        return int(session.run(statement, params).single()["c"])

    return Neo4jWipeCounts(
        nodes=single(f"MATCH (n) WHERE {_OURS_NODE} RETURN count(n) AS c"),
        edges=single(f"MATCH ()-[r]->() WHERE {_OURS_EDGE} RETURN count(r) AS c"),
        bookkeeping=single(f"MATCH (n) WHERE {_BOOKKEEPING} RETURN count(n) AS c"),
        kept_nodes=single(f"MATCH (n) WHERE {_SHARED_NODE} RETURN count(n) AS c"),
    )


def wipe(session: Any, batch: int = WIPE_BATCH) -> None:
    """Delete graphgov's relationships, nodes and bookkeeping, and its properties on shared ones, in batches.
    Relationships go first, so no node deletion has to detach a super-node's edges in one transaction."""
    params = _params()
    in_batches = f"IN TRANSACTIONS OF {int(batch)} ROWS"
    edge_props = ", ".join(f"r.{name}" for name in _edge_props())
    node_props = ", ".join(f"n.{name}" for name in NODE_WINDOW)
    for statement in (
        f"MATCH ()-[r]->() WHERE {_OURS_EDGE} CALL (r) {{ DELETE r }} {in_batches}",
        f"MATCH ()-[r]->() WHERE {_SHARED_EDGE} CALL (r) {{ REMOVE {edge_props} }} {in_batches}",
        f"MATCH (n) WHERE {_OURS_NODE} CALL (n) {{ DETACH DELETE n }} {in_batches}",
        f"MATCH (n) WHERE {_SHARED_NODE} CALL (n) {{ REMOVE {node_props} }} {in_batches}",
        f"MATCH (n) WHERE {_BOOKKEEPING} CALL (n) {{ DELETE n }} {in_batches}",
    ):
        session.run(statement, params).consume()
