"""Neo4j writes folded in Python (issue 15): new rows are CREATEd, changed ones get only their changed properties,
unchanged ones are not written, and labels never come from data."""

from __future__ import annotations

from typing import Any

import pytest
from graph_dump import dump

from graphgov.core.delta import EdgeRow, GraphDelta, NodeRow
from graphgov.ingest.aggregate import Aggregate
from graphgov.stores import neo4j_fold
from graphgov.stores.embedded import EmbeddedStore

BUCKET, OBJECT = "training-data", "arn:aws:s3:::training-data/a.csv"


def _chunk(event: str, time: str) -> Aggregate:
    nodes = (NodeRow("S3Bucket", BUCKET, {"id": BUCKET, "name": BUCKET}),
             NodeRow("S3Object", OBJECT, {"arn": OBJECT, "bucket": BUCKET, "key": "a.csv"}))
    edges = (EdgeRow("CONTAINS", "S3Bucket", BUCKET, "S3Object", OBJECT),)
    return Aggregate().extend([GraphDelta("cloudtrail", event, f"ct:{event}", f"ct:{event}", time, nodes, edges)])


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int]]:
    """(kind, the statement's writing clause or READ, rows) of every node and edge statement a write runs."""
    seen: list[tuple[str, str, int]] = []
    run = neo4j_fold.Timed.run

    def spy(self: Any, kind: str, statement: str, rows: list[dict[str, Any]], collect: Any = None) -> None:
        clause = "CREATE" if " CREATE " in statement else "SET" if " SET " in statement else "READ"
        if kind in ("nodes", "edges") and rows:  # no statement runs without rows; links are not the fold's
            seen.append((kind, clause, len(rows)))
        run(self, kind, statement, rows, collect)

    monkeypatch.setattr(neo4j_fold.Timed, "run", spy)
    return seen


def test_new_rows_are_created_unchanged_ones_not_written_changed_ones_set(neo4j_store, statements, tmp_path) -> None:
    neo4j_store.write(_chunk("e1", "2026-01-05T10:00:00Z"), {})
    # both ends were created here: the edge is new without reading
    assert statements == [("nodes", "READ", 1), ("nodes", "READ", 1), ("nodes", "CREATE", 1), ("nodes", "CREATE", 1),
                          ("edges", "CREATE", 1)]
    statements.clear()
    neo4j_store.write(_chunk("e1", "2026-01-05T10:00:00Z"), {})  # the same facts again: nothing to write
    assert statements == [("nodes", "READ", 1), ("nodes", "READ", 1), ("edges", "READ", 1)]
    statements.clear()
    neo4j_store.write(_chunk("e2", "2026-01-06T10:00:00Z"), {})  # a later event moves last_seen and adds an id
    assert statements == [("nodes", "READ", 1), ("nodes", "READ", 1), ("nodes", "SET", 2),
                          ("edges", "READ", 1), ("edges", "SET", 1)]
    embedded = EmbeddedStore(tmp_path / "graph.json.gz")
    for event, time in (("e1", "2026-01-05T10:00:00Z"), ("e1", "2026-01-05T10:00:00Z"), ("e2", "2026-01-06T10:00:00Z")):
        embedded.write(_chunk(event, time), {})
    assert dump(neo4j_store) == dump(embedded)
    edge = next(neo4j_store.scan_edges("CONTAINS"))[2]
    assert (edge["first_seen"], edge["last_seen"], edge["event_ids"]) == (
        "2026-01-05T10:00:00Z", "2026-01-06T10:00:00Z", ["e1", "e2"])


def test_labels_never_come_from_data() -> None:
    runner = neo4j_fold.Timed(None, None)
    runner.run = lambda kind, statement, rows, collect=None: None  # type: ignore[method-assign] - reads find nothing
    nodes = {("AWSPrincipal", "arn:aws:iam::1:role/r"): {"labels": ["AWSPrincipal", "Injected`) DETACH DELETE n //"],
                                                         "sources": ["cloudtrail"]}}
    with pytest.raises(ValueError, match="are not declared in the schema"):
        neo4j_fold.write_nodes(runner, nodes, ())
