"""The embedded store in SQLite (issue 15): old gzip JSON stores read and moved, opening reads no graph,
readers see the last commit while a writer works, seen keys pruned by day, and `load` pointing past the
store's ceiling to Neo4j."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from graph_dump import dump
from helpers import FIXTURES

from graphgov.cli.app import main
from graphgov.core.delta import GraphDelta, NodeRow
from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.pipeline import load_paths
from graphgov.stores import open_store
from graphgov.stores.embedded import EmbeddedStore
from graphgov.stores.embedded_file import FORMAT as V1
from graphgov.stores.embedded_sql import GraphTables

STS = FIXTURES / "cloudtrail" / "iam-user-guide-sts.json"
LINEAGE = FIXTURES / "lineage"


def _v1_file(store: EmbeddedStore, path: Path) -> None:
    """The store written as the old format wrote it (gzip JSON, graphgov-embedded/1)."""
    tables = store.tables
    seen: dict[str, list[str]] = {}
    for key, day in tables.conn.execute("SELECT key, day FROM seen ORDER BY key"):
        seen.setdefault(day, []).append(key)
    data = {"format": V1, "nodes": [[n[0], n[1], attrs] for n, attrs in tables.all_nodes()],
            "edges": [[t, list(s), list(d), attrs] for t, s, d, attrs in tables.all_edges()],
            "seen": seen, "checkpoints": dict(tables.conn.execute("SELECT name, value FROM checkpoints")),
            "pending": store.pending, "undo": store.undo}
    path.write_bytes(gzip.compress(json.dumps(data, sort_keys=True).encode()))


@pytest.fixture
def loaded(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "source.db")
    load_paths([STS, LINEAGE], store, tmp_path / "q.jsonl")
    store.close()
    return EmbeddedStore(tmp_path / "source.db", read_only=True)


def test_a_writer_moves_an_old_store_to_sqlite_keeping_the_old_file(loaded, tmp_path, capsys):
    old = tmp_path / "graph.json.gz"
    _v1_file(loaded, old)
    content = old.read_bytes()
    expected = dump(loaded)
    assert dump(EmbeddedStore(old, read_only=True)) == expected  # a reader answers from the old file...
    assert old.read_bytes() == content and not (tmp_path / "graph.json.gz.v1.bak").exists()  # ...changing nothing
    capsys.readouterr()
    writer = EmbeddedStore(old)
    assert capsys.readouterr().err == (
        f"graphgov: embedded store {old} moved to the SQLite format (graphgov-embedded/2) at {old}; "
        f"the old file is kept as {old}.v1.bak\n")
    assert (tmp_path / "graph.json.gz.v1.bak").read_bytes() == content
    assert old.read_bytes()[:16] == b"SQLite format 3\x00"
    assert dump(writer) == expected
    assert writer.unseen(["ct:not-loaded", *loaded.tables.seen_of(["ct:" + "x"])]) == {"ct:not-loaded"}
    assert writer.pending == loaded.pending and writer.undo == loaded.undo
    writer.close()
    EmbeddedStore(old).close()
    assert capsys.readouterr().err == ""  # moved once
    assert list(tmp_path.glob("graph.json.gz*.tmp")) == []


def test_the_old_default_store_is_read_then_moved_to_the_new_default(loaded, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRAPHGOV_STORE", raising=False)
    Path(".graphgov").mkdir()
    _v1_file(loaded, Path(".graphgov/graph.json.gz"))
    expected = dump(loaded)
    with open_store(read_only=True) as reader:
        assert dump(reader) == expected
    assert not Path(".graphgov/graph.db").exists()
    result = CliRunner().invoke(main, ["load", str(STS), "--reload", "--quarantine", "q.jsonl", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped"] == {"duplicate": 3}  # the old store's seen keys came along
    assert result.stderr == ("graphgov: embedded store .graphgov/graph.json.gz moved to the SQLite format "
                             "(graphgov-embedded/2) at .graphgov/graph.db; the old file is kept as "
                             ".graphgov/graph.json.gz.v1.bak\n")
    assert sorted(p.name for p in Path(".graphgov").iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "graph.db", "graph.db.lock", "graph.json.gz.v1.bak"]
    with open_store(read_only=True) as reader:
        assert dump(reader) == expected


def test_opening_reads_no_graph(loaded, tmp_path, monkeypatch):
    def whole_graph(*_args: object) -> None:
        raise AssertionError("the whole graph was read")

    monkeypatch.setattr(GraphTables, "all_nodes", whole_graph)
    monkeypatch.setattr(GraphTables, "all_edges", whole_graph)
    for read_only in (True, False):
        store = EmbeddedStore(loaded.path, read_only=read_only)
        assert store.totals() == loaded.totals()
        assert store.unseen(["ct:not-loaded"]) == {"ct:not-loaded"}
        store.close()


def test_a_reader_sees_the_last_commit_while_a_writer_writes(loaded):
    before = loaded.totals()
    writer = EmbeddedStore(loaded.path)
    aggregate = Aggregate()
    aggregate.add(GraphDelta("pull:iam", "new", "new", "new", "2024-05-01T00:00:00Z",
                             nodes=[NodeRow("AWSAccount", "999999999999", {})]))
    writer.write(aggregate, {"ct:new": "2024-05-01"})
    assert writer.totals() == (before[0] + 1, before[1])
    reader = EmbeddedStore(loaded.path, read_only=True)
    assert reader.totals() == before and reader.unseen(["ct:new"]) == {"ct:new"}
    writer.commit()
    assert reader.totals() == (before[0] + 1, before[1]) and reader.unseen(["ct:new"]) == set()
    writer.close()


def test_seen_keys_are_pruned_by_day_and_stay_pruned(tmp_path):
    path = tmp_path / "graph.db"
    store = EmbeddedStore(path)
    store.write(Aggregate(), {"a": "2024-01-01", "b": "2024-01-02", "c": "2024-01-03", "d": "2024-01-03"})
    store.commit()
    assert store.prune_seen("2024-01-03") == 2
    assert store.prune_seen("2024-01-03") == 0
    store.close()
    reopened = EmbeddedStore(path, read_only=True)
    assert reopened.unseen(["a", "b", "c", "d"]) == {"a", "b"}
    with pytest.raises(Exception, match="opened read-only"):
        reopened.prune_seen("2025-01-01")


def test_load_suggests_neo4j_past_the_ceiling(tmp_path, monkeypatch):
    store = tmp_path / "graph.db"
    args = ["load", str(STS), "--store", str(store), "--quarantine", str(tmp_path / "q.jsonl")]
    below = CliRunner().invoke(main, args)
    assert below.exit_code == 0 and below.stderr == ""
    monkeypatch.setattr("graphgov.stores.embedded.CEILING", 6)
    past = CliRunner().invoke(main, args)
    assert past.exit_code == 0
    assert past.stderr == ("note: the embedded store now holds 8 nodes and 7 relationships, past what it serves "
                           "comfortably (6 relationships): consider Neo4j (--store bolt://HOST:7687, see README)\n")


def test_a_store_file_is_one_file_beside_its_lock_once_closed(tmp_path):
    path = tmp_path / "graph.db"
    store = EmbeddedStore(path)
    load_paths([STS], store, tmp_path / "q.jsonl")
    store.close()
    assert sorted(os.listdir(tmp_path)) == ["graph.db", "graph.db.lock"]
    assert store.totals() == (8, 7)  # a closed store still answers, from the last commit


def test_a_projection_reads_only_the_named_attributes_and_keeps_absent_ones_absent(tmp_path):
    """GraphReads.fields: SQLite takes the named attributes out of each row's JSON (lists stay lists, text stays
    text, an attribute the row lacks is not there, not null), for edges and nodes alike."""
    import sqlite3

    from graphgov.stores.embedded_sql import _projection
    conn = sqlite3.connect(":memory:")
    rows = ['{"operations":["GetObject","HeadObject"],"first_seen":"2026-01-05T00:00:00Z","count":3}',
            '{"first_seen":"2026-01-05T00:00:00Z"}', '{"operations":[],"bucket":"b","key":"a/\\"q\\"\\n"}']
    query = f"WITH r(attrs) AS (SELECT ?) SELECT {_projection(('operations', 'key'))} FROM r"
    got = [json.loads(conn.execute(query, (row,)).fetchone()[0]) for row in rows]
    assert got == [{"operations": ["GetObject", "HeadObject"]}, {}, {"operations": [], "key": 'a/"q"\n'}]
    with pytest.raises(ValueError, match="not an attribute name"):
        _projection(("operations') --",))
