"""`graphgov store wipe` (issue 14): both stores emptied after a confirmation naming what goes, the next load
starting from nothing, an embedded store another writer holds refused, and Cartography's nodes kept."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import FIXTURES, read_terminal_until_closed

from graphgov.cli.app import main
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from graphgov.stores import StoreError, open_store
from graphgov.stores.embedded import EmbeddedStore
from graphgov.stores.neo4j_wipe import Neo4jWipeCounts

ROOT = Path(__file__).resolve().parent.parent
LINEAGE = FIXTURES / "lineage"
# tests/fixtures/lineage as loaded: 52 records, 51 loaded; its graph
LINEAGE_TOTALS = (107, 196)
LINEAGE_LOADED = 51


def _load(spec: str, quarantine: Path) -> int:
    with open_store(spec) as store:
        summary = load_paths([LINEAGE], store, quarantine)
    return summary.loaded


def _answers(spec: str) -> list[dict[str, Any]]:
    with open_store(spec, read_only=True) as store:
        return ask(store, "ai-inventory", {})


def _bookkeeping(spec: str) -> int:
    with open_store(spec) as store, store.driver.session() as session:
        return session.run("MATCH (n) WHERE n:GraphgovSeenEvent OR n:GraphgovCheckpoint "
                           "RETURN count(n) AS c").single()["c"]


@pytest.fixture
def spec(store: Any, request: pytest.FixtureRequest) -> str:
    """The empty store's --store value; the fixture's own store is closed so only the commands hold it."""
    value = str(store.path) if isinstance(store, EmbeddedStore) else request.getfixturevalue("neo4j_uri")
    store.close()
    return value


def _plan_lines(spec: str, description: str) -> tuple[str, str]:
    """What `store wipe` says it deletes and keeps, for tests/fixtures/lineage loaded once."""
    embedded = "://" not in spec
    # the 51 loaded events' seen markers, the 9 files' completion markers (graphgov.ingest.file_loads) and the
    # derivation's checkpoint (graphgov.access.marker); Neo4j adds the pending layer's lock and the two derivation
    # markers
    deletes = f"107 nodes, 196 relationships and {61 if embedded else 64} bookkeeping entries " \
              "(seen events, pullers' checkpoints, pending copies)"
    files = f"  file  {spec}\n" if embedded else ""
    kept = ("" if embedded else "  kept  the constraints and indexes\n"
            "  kept  every node and relationship graphgov did not write\n")
    return (f"wipe {description}: deletes {deletes}\n{files}{kept}"
            "  kept  the quarantine (--quarantine FILE deletes it too)\n"), deletes


def _description(spec: str) -> str:
    return f"embedded store {spec}" if "://" not in spec else f"Neo4j at {spec}"


def test_wipe_deletes_the_graph_and_its_bookkeeping_and_the_next_load_starts_from_nothing(spec, tmp_path):
    quarantine = tmp_path / "q.jsonl"
    assert _load(spec, quarantine) == LINEAGE_LOADED
    before = _answers(spec)
    assert len(before) == 20  # ai-inventory on tests/fixtures/lineage: its models, jobs and endpoints
    with open_store(spec) as opened:
        assert opened.totals() == LINEAGE_TOTALS
    description = _description(spec)
    plan, deletes = _plan_lines(spec, description)

    done = CliRunner().invoke(main, ["store", "wipe", "--store", spec, "--yes"])

    assert done.exit_code == 0, done.output
    assert done.output == f"{plan}wiped {description}: deleted {deletes}\n"
    if "://" not in spec:
        assert not Path(spec).exists()
        with pytest.raises(StoreError, match="no embedded store at"):
            _answers(spec)
    else:
        with open_store(spec) as opened:
            assert opened.totals() == (0, 0)
        assert _bookkeeping(spec) == 0
        assert _answers(spec) == []
    again = CliRunner().invoke(main, ["store", "wipe", "--store", spec])
    gone = "is empty" if "://" in spec else "does not exist"  # the embedded wipe deleted its file
    assert (again.exit_code, again.output) == (0, f"{description} {gone}: nothing to wipe\n")
    assert _load(spec, quarantine) == LINEAGE_LOADED  # every event loads again: none is remembered as seen
    assert _answers(spec) == before


def _pty_wipe(store: Path | str, answer: bytes) -> tuple[int, str]:
    """`graphgov store wipe` on a real terminal, answering its question with `answer`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    primary, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "graphgov.cli", "store", "wipe", "--store", str(store)],
                               stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True)
    os.close(secondary)
    seen = b""
    while b"[y/N]: " not in seen:
        ready, _, _ = select.select([primary], [], [], 60)
        assert ready, seen.decode()
        seen += os.read(primary, 4096)
    os.write(primary, answer)
    seen += read_terminal_until_closed(primary)
    return process.wait(timeout=60), seen.decode().replace("\r\n", "\n")


def _state(spec: str) -> Any:
    """What a wipe would change: the embedded file's bytes, Neo4j's totals and bookkeeping."""
    if "://" not in spec:
        return Path(spec).read_bytes()
    with open_store(spec) as opened:
        return opened.totals(), _bookkeeping(spec)


def test_the_prompt_names_the_store_and_counts_and_n_leaves_everything(spec, tmp_path):
    _load(spec, tmp_path / "q.jsonl")
    before = _state(spec)
    description = _description(spec)
    plan, deletes = _plan_lines(spec, description)

    code, output = _pty_wipe(spec, b"n\n")

    assert code == 1
    assert output == f"{plan}Delete all of this from {description}? [y/N]: n\nAborted!\n"
    assert _state(spec) == before

    code, output = _pty_wipe(spec, b"y\n")
    assert code == 0
    assert output == f"{plan}Delete all of this from {description}? [y/N]: y\nwiped {description}: deleted {deletes}\n"
    if "://" not in spec:
        assert not Path(spec).exists()
    else:
        assert _state(spec) == ((0, 0), 0)


def test_without_a_terminal_and_without_yes_nothing_is_wiped(tmp_path):
    store = tmp_path / "graph.json.gz"
    _load(str(store), tmp_path / "q.jsonl")
    content = store.read_bytes()

    done = CliRunner().invoke(main, ["store", "wipe", "--store", str(store)])

    assert done.exit_code == 1
    assert done.output.endswith("Error: not wiping: no terminal to confirm on; give --yes to wipe without asking\n")
    assert store.read_bytes() == content


def test_a_store_another_writer_holds_is_not_wiped_and_the_error_names_the_holder(tmp_path):
    store = tmp_path / "graph.json.gz"
    _load(str(store), tmp_path / "q.jsonl")
    content = store.read_bytes()
    env = {k: v for k, v in os.environ.items() if k != "GRAPHGOV_STORE_LOCK_WAIT"}
    env.update(PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""), GRAPHGOV_TEST_PAUSE_AT="commit")
    holder = subprocess.Popen([sys.executable, "-m", "graphgov.cli", "load", str(FIXTURES / "cloudtrail"),
                               "--store", str(store), "--quarantine", str(tmp_path / "q2.jsonl")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stderr.readline() == f"graphgov-pause-at commit pid {holder.pid}\n"
        refused = subprocess.run([sys.executable, "-m", "graphgov.cli", "store", "wipe", "--store", str(store),
                                  "--yes"], capture_output=True, text=True, env={**env, "GRAPHGOV_TEST_PAUSE_AT": ""},
                                 timeout=120)
        assert refused.returncode == 1
        assert refused.stdout == ""
        assert refused.stderr.startswith(f"Error: embedded store {store} is being written by pid {holder.pid} on "
                                         f"{socket.gethostname()} (graphgov load) since ")
        assert store.read_bytes() == content
    finally:
        holder.send_signal(signal.SIGUSR1)
        holder.communicate(timeout=120)
    assert holder.returncode == 0


def test_a_damaged_store_file_is_wiped_uncounted(tmp_path):
    store = tmp_path / "graph.json.gz"
    store.write_text("not a store")

    done = CliRunner().invoke(main, ["store", "wipe", "--store", str(store), "--yes"])

    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[0] == (
        f"wipe embedded store {store}: deletes the store file, unread (neither an SQLite database "
        "(graphgov-embedded/2) nor gzip JSON (graphgov-embedded/1))")
    assert not store.exists()


def test_quarantine_is_deleted_only_when_named(tmp_path):
    store, quarantine = tmp_path / "graph.json.gz", tmp_path / "q.jsonl"
    _load(str(store), quarantine)
    quarantine.write_text('{"error": "x"}\n')

    done = CliRunner().invoke(main, ["store", "wipe", "--store", str(store), "--yes", "--quarantine", str(quarantine)])

    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[1:3] == [f"  file  {store}", f"  file  {quarantine}"]
    assert not quarantine.exists()


def test_neo4j_wipe_keeps_what_cartography_wrote(neo4j_store, neo4j_uri, tmp_path):
    uri = neo4j_uri
    with neo4j_store.driver.session() as session:  # as Cartography writes them: everything stamped lastupdated
        session.run("CREATE (:AWSAccount {id: '222222222222', name: 'prod', lastupdated: 1700000000})"
                    "-[:RESOURCE {lastupdated: 1700000000}]->(:S3Bucket {id: 'cartography-only', "
                    "lastupdated: 1700000000}), (:Unrelated {name: 'mine'})").consume()
    neo4j_store.close()
    _load(uri, tmp_path / "q.jsonl")

    done = CliRunner().invoke(main, ["store", "wipe", "--store", uri, "--yes"])

    assert done.exit_code == 0, done.output
    assert "  kept  1 node Cartography also wrote (graphgov's first_seen, last_seen and sources removed)\n" \
        in done.output
    with open_store(uri) as store, store.driver.session() as session:
        left = session.run("MATCH (n) OPTIONAL MATCH (n)-[r]->(m) RETURN labels(n) AS labels, properties(n) AS props, "
                           "type(r) AS rel, properties(r) AS rel_props, m.id AS to ORDER BY labels[0]").data()
    assert left == [  # graphgov's own nodes (accounts 111..., 333..., 444..., jobs, data) and relationships gone
        {"labels": ["AWSAccount"], "props": {"id": "222222222222", "name": "prod", "lastupdated": 1700000000},
         "rel": "RESOURCE", "rel_props": {"lastupdated": 1700000000}, "to": "cartography-only"},
        {"labels": ["S3Bucket"], "props": {"id": "cartography-only", "lastupdated": 1700000000},
         "rel": None, "rel_props": None, "to": None},
        {"labels": ["Unrelated"], "props": {"name": "mine"}, "rel": None, "rel_props": None, "to": None},
    ]


def test_neo4j_wipe_deletes_in_batches_smaller_than_the_graph(neo4j_store, neo4j_uri, tmp_path):
    from graphgov.stores.neo4j_wipe import count, wipe
    from graphgov.stores.schema_cypher import constraint_statements

    neo4j_store.close()
    _load(neo4j_uri, tmp_path / "q.jsonl")
    with open_store(neo4j_uri) as store, store.driver.session() as session:
        assert count(session) == Neo4jWipeCounts(nodes=107, edges=196, bookkeeping=64, kept_nodes=0)
        wipe(session, batch=7)  # 16 inner transactions for the nodes alone
        assert count(session) == Neo4jWipeCounts(nodes=0, edges=0, bookkeeping=0, kept_nodes=0)
        assert session.run("MATCH (n) RETURN count(n) AS c").single()["c"] == 0
        constraints = session.run("SHOW CONSTRAINTS YIELD name WHERE name STARTS WITH 'graphgov_' "
                                  "RETURN count(*) AS c").single()["c"]
    # the schema stays: the next load needs no step to make it
    assert constraints == sum(1 for statement in constraint_statements() if statement.startswith("CREATE CONSTRAINT"))
