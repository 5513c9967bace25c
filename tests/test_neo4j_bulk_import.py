"""A bulk import (graphgov store export-neo4j, neo4j-admin database import full, graphgov store finish-import)
gives the Neo4j database the embedded store's graph and bookkeeping exactly, so loads after it go on as they
would on the embedded store (issue 15: a first load into an empty database by neo4j-admin's offline import).

The import runs into a Neo4j server of this test's own (scripts/neo4j-local with a temporary home and free
ports): neo4j-admin writes only into a database that does not exist yet, so it can never be the shared one.
Corpus: the generator's seeded platform split in two loads (pending copies of cross-account calls across
the split), plus a record whose S3 key holds a line break: a node and its edges that CSV cannot carry, written
through Bolt, as are the derived INPUT_READABLE_BY edges, whose `vias` hold line breaks.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from graph_dump import dump
from helpers import fixture_json

from graphgov.cli import main
from graphgov.core.schema import CHECKPOINT_LABEL, SEEN_LABEL
from graphgov.generate import generate
from graphgov.ingest.pending import LAYER_KEY, PENDING_PREFIX
from graphgov.ingest.pipeline import load_paths
from graphgov.ingest.readers import expand_paths
from graphgov.stores import open_store
from graphgov.stores.base import StoreError
from graphgov.stores.embedded import EmbeddedStore
from graphgov.stores.neo4j_bulk import DELIMITER, EMPTY, _field, column_type, export
from graphgov.stores.neo4j_bulk_finish import IMPORT_KEY

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "neo4j-local"
REFERENCE = "2026-12-01T00:00:00Z"


# --- what CSV carries (no server) --------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("plain", "string"), ("", "string"), ("a,\"b\"", "string"), (True, "boolean"), (7, "long"), (-(2**63), "long"),
    (0.25, "double"), (["a", "b"], "string[]"), ([1, 2], "long[]"), ([], "string[]"), ([True], "boolean[]"),
    ("line\nbreak", None), (f"a{DELIMITER}b", None), ([""], None), (["a", ""], None), ([1, "a"], None),
    ([1, True], None), ([["nested"]], None), ({"a": 1}, None), (2**63, None), (float("nan"), None),
    ([f"x{EMPTY}"], None),
])
def test_column_type_says_which_values_a_csv_column_carries_exactly(value: object, expected: str | None) -> None:
    assert column_type(value) == expected


def test_fields_quote_strings_and_join_lists_with_the_array_delimiter() -> None:
    assert _field('say "hi", then go') == '"say ""hi"", then go"'
    assert _field(["a\"", "b"]) == f'"a""{DELIMITER}b"'
    assert _field([]) == f'"{EMPTY}"'
    assert (_field(None), _field(False), _field(12), _field(0.1)) == ("", "false", "12", "0.1")


def test_an_export_refuses_a_folder_that_holds_files(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    store = EmbeddedStore(tmp_path / "graph.db")
    store.commit()
    with pytest.raises(FileExistsError, match="is not empty"):
        export(store.tables, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["keep.txt"]


# --- the whole path, against a server of this test's own ------------------------------------------------------


def _odd_records(folder: Path) -> Path:
    """A GetObject whose key holds a line break, and the same read of a plain key (a doc example's shape)."""
    base = next(r for r in fixture_json("access/kms-observed-decrypt.json")["Records"]
                if r["eventName"] == "GetObject" and "errorCode" not in r)
    broken = copy.deepcopy(base)
    broken["requestParameters"]["key"] = "train/line\nbreak.csv"
    broken["resources"][0]["ARN"] = "arn:aws:s3:::kms-data/train/line\nbreak.csv"
    broken["eventID"] = "bulk0000-0000-4000-8000-000000000001"
    plain = copy.deepcopy(base)
    plain["eventID"] = "bulk0000-0000-4000-8000-000000000002"
    path = folder / "odd" / "odd.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"Records": [broken, plain]}))
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[Path]]:
    root = tmp_path_factory.mktemp("bulk-corpus")
    generate(root / "gen", seed=0, records=1500)
    files = expand_paths([root / "gen"])
    half = len(files) // 2
    return [*files[:half], _odd_records(root)], files[half:]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment that points scripts/neo4j-local at a home of this test's own (the jars shared)."""
    if not shutil.which("java"):
        pytest.fail("the bulk-import test runs neo4j-admin itself: it needs Java 17+ (and Maven or the jars "
                    "cached in .cache/neo4j/lib), as scripts/neo4j-local does")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHGOV_NEO4J") and k != "NEO4J_URI"}
    env.update(GRAPHGOV_NEO4J_HOME=str(tmp_path_factory.mktemp("neo4j-home")),
               GRAPHGOV_NEO4J_LIB=str(ROOT / ".cache" / "neo4j" / "lib"), GRAPHGOV_NEO4J_BOLT_PORT="0",
               GRAPHGOV_NEO4J_HTTP_PORT="0", GRAPHGOV_BROWSER_ASSETS_PORT="0")
    try:
        yield env
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, check=False, timeout=120)


def _script(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def _bookkeeping(store) -> dict[str, object]:  # noqa: ANN001 - either store
    """Seen keys with their days, checkpoints and pending copies (by action), as comparable values."""
    if isinstance(store, EmbeddedStore):
        conn = store.tables.conn
        return {"seen": dict(conn.execute("SELECT key, min(day) FROM seen GROUP BY key")),
                "checkpoints": dict(conn.execute("SELECT name, value FROM checkpoints")),
                "pending": dict(conn.execute("SELECT action, copy FROM pending"))}
    with store.driver.session() as session:
        seen = {r["key"]: r["day"] for r in session.run(
            f"MATCH (s:{SEEN_LABEL}) WHERE s.day IS NOT NULL RETURN s.key AS key, s.day AS day")}
        checkpoints = {r["name"]: r["value"] for r in session.run(
            f"MATCH (c:{CHECKPOINT_LABEL}) RETURN c.name AS name, c.value AS value")}
        pending = {r["action"]: r["delta"] for r in session.run(
            f"MATCH (p:{SEEN_LABEL}) WHERE p.key STARTS WITH $prefix RETURN p.action AS action, p.delta AS delta",
            prefix=PENDING_PREFIX)}
    return {"seen": seen, "checkpoints": checkpoints, "pending": pending}


def _undo(store) -> dict[str, object]:  # noqa: ANN001 - a Neo4jStore
    with store.driver.session() as session:
        record = session.run(f"MATCH (l:{SEEN_LABEL} {{key: $key}}) RETURN l.undo AS undo", key=LAYER_KEY).single()
    return json.loads(record["undo"])


def test_an_imported_database_holds_the_embedded_store_and_later_loads_go_on_alike(
        tmp_path: Path, corpus: tuple[list[Path], list[Path]], own_server: dict[str, str], neo4j_store) -> None:  # noqa: ANN001
    first, second = corpus
    embedded_path = tmp_path / "graph.db"
    first_summary = load_paths(first, EmbeddedStore(embedded_path), tmp_path / "q.jsonl", reference_time=REFERENCE)
    assert first_summary.loaded > 600
    # the same load through Bolt (the shared server): the pending layer's undo log the import must reproduce
    load_paths(first, neo4j_store, tmp_path / "q.jsonl", reference_time=REFERENCE)
    bolt_undo = _undo(neo4j_store)
    assert [node[0] for node in bolt_undo["nodes"] if node[2] is not None]  # the log restores existing nodes
    out = tmp_path / "export"
    result = CliRunner().invoke(main, ["store", "export-neo4j", str(out), "--store", str(embedded_path)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "export.json").read_text())
    fixups = [json.loads(line) for line in (out / "fixups.jsonl").read_text().splitlines()]
    broken_key = "arn:aws:s3:::kms-data/train/line\nbreak.csv"
    assert [row["props"]["arn"] for row in fixups if "node" in row] == [broken_key]
    assert manifest["fixup_nodes"] == 1
    # every edge of the node CSV could not carry, and only edges CSV cannot carry, went to Bolt
    held = [row for row in fixups if "type" in row]
    assert len(held) == manifest["fixup_relationships"]
    assert all(broken_key in (row["src"][1], row["dst"][1]) or column_type(row["props"]) is None
               or any(column_type(v) is None for v in row["props"].values()) for row in held)
    assert any(broken_key in (row["src"][1], row["dst"][1]) for row in held)

    _script(own_server, "import", str(out))
    printed = dict(line.split("=", 1) for line in _script(own_server, "start").splitlines() if "=" in line)
    uri = printed["NEO4J_URI"]
    result = CliRunner().invoke(main, ["store", "finish-import", str(out), "--store", uri])
    assert result.exit_code == 0, result.output
    assert f"1 nodes and {manifest['fixup_relationships']} relationships written through Bolt" in result.output

    embedded, neo4j = EmbeddedStore(embedded_path, read_only=True), open_store(uri)
    try:
        assert dump(neo4j) == dump(embedded)
        assert _bookkeeping(neo4j) == _bookkeeping(embedded)
        assert len(_bookkeeping(embedded)["pending"]) >= 1  # the layer crossed over materialised
        assert _undo(neo4j) == bolt_undo  # with the undo log a load through Bolt leaves
    finally:
        embedded.close()
        neo4j.close()

    # a second finish changes nothing; another export's finish is refused
    again = CliRunner().invoke(main, ["store", "finish-import", str(out), "--store", uri])
    assert again.exit_code == 0 and "was finished before; nothing to do" in again.output, again.output
    other = tmp_path / "other"
    CliRunner().invoke(main, ["store", "export-neo4j", str(other), "--store", str(embedded_path)])
    refused = CliRunner().invoke(main, ["store", "finish-import", str(other), "--store", uri])
    assert refused.exit_code != 0 and "finished another import" in refused.output, refused.output

    # the next load: same summary, same graph, same bookkeeping on both
    summaries = []
    for store in (EmbeddedStore(embedded_path), open_store(uri)):
        try:
            summary = load_paths(second, store, tmp_path / "q.jsonl", reference_time=REFERENCE)
        finally:
            store.close()
        summaries.append((summary.loaded, dict(summary.skipped), summary.quarantined))
    assert summaries[0] == summaries[1]
    assert summaries[0][0] > 100  # a real load: the comparison above is not between two empty ones
    embedded, neo4j = EmbeddedStore(embedded_path, read_only=True), open_store(uri)
    try:
        assert dump(neo4j) == dump(embedded)
        assert _bookkeeping(neo4j) == _bookkeeping(embedded)
        with neo4j.driver.session() as session:
            state = session.run(f"MATCH (s:{SEEN_LABEL} {{key: $key}}) RETURN s.export AS e", key=IMPORT_KEY).single()
        assert state["e"] == f"{manifest['id']}:done"
    finally:
        embedded.close()
        neo4j.close()


def test_a_finish_on_a_database_that_is_not_the_import_is_refused(tmp_path: Path, neo4j_store) -> None:  # noqa: ANN001
    store = EmbeddedStore(tmp_path / "graph.db")
    store.commit()
    export(store.tables, tmp_path / "out")
    store.close()
    from graphgov.stores.neo4j_bulk_finish import finish_store

    with neo4j_store.driver.session() as session:
        session.run("CREATE (:AWSAccount {id: '999999999999'})").consume()
    with pytest.raises(StoreError, match="holds 1 nodes and 0 relationships; the export in .* wrote 0 and 0"):
        finish_store(neo4j_store, tmp_path / "out")
    (tmp_path / "out" / "fixups.jsonl").unlink()  # a folder copied in part
    with neo4j_store.driver.session() as session:
        session.run("MATCH (n:AWSAccount {id: '999999999999'}) DELETE n").consume()
    with pytest.raises(StoreError, match="cannot finish the import of .*: .*No such file or directory.*fixups.jsonl"):
        finish_store(neo4j_store, tmp_path / "out")
    with pytest.raises(StoreError, match="is not Neo4j"):
        finish_store(EmbeddedStore(tmp_path / "graph.db", read_only=True), tmp_path / "out")
