"""`Store.prune_seen` and `graphgov store prune` (issue 15): the seen evidence keys of days before a date go,
in batches on Neo4j; completion markers, bookkeeping and the graph stay; a pruned day loaded again counts as new."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from graph_dump import dump
from helpers import FIXTURES

from graphgov.cli.app import main
from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.pipeline import load_paths
from graphgov.stores import open_store
from graphgov.stores.embedded import EmbeddedStore
from graphgov.stores.seen_prune import check_day, is_marker

STS = FIXTURES / "cloudtrail/iam-user-guide-sts.json"  # an AssumeRole of 2014-07-18 (two copies), a chaining of 2019
SEEN = {
    "ct:a": "2026-01-01", "ct:b": "2026-01-02", "ct:c": "2026-01-03", "bedrock-log:d": "2026-02-01",
    "s3obj:0055AED6DCD90281E5:bucket/k.json:put": "2026-01-01",  # an S3 notification's action key: evidence
    "s3obj:bucket/AWSLogs/1/CloudTrail/f.json.gz": "2026-01-01",  # the S3 puller's marker of an object read
    "cwl:111122223333:us-east-1:/aws/lambda/f:3771": "2026-01-02",  # the logs puller's marker of an event
    "file:/var/log/trail/f.json.gz": "2026-01-01",  # a file read
}
MARKERS = {"s3obj:bucket/AWSLogs/1/CloudTrail/f.json.gz", "cwl:111122223333:us-east-1:/aws/lambda/f:3771",
           "file:/var/log/trail/f.json.gz"}


def test_markers_are_told_from_evidence_keys() -> None:
    assert sorted(key for key in SEEN if is_marker(key)) == sorted(MARKERS)
    assert not is_marker("ct:s3obj:bucket/x") and not is_marker("eb:file:x") and is_marker("cwl:a\nb")


@pytest.mark.parametrize("day", ["2026-1-05", "2026-13-01", "2026-02-30", "yesterday", "2026-01-05T00:00:00Z"])
def test_a_day_is_a_real_yyyy_mm_dd(day: str) -> None:
    with pytest.raises(ValueError, match="is not a day: give it as YYYY-MM-DD"):
        check_day(day)


def test_prune_removes_evidence_keys_before_the_day_and_keeps_markers(store) -> None:
    store.write(Aggregate(), SEEN)
    store.commit()
    assert store.prune_seen("2026-01-03") == 3  # ct:a, ct:b and the notification's key; the markers stay
    assert store.unseen(SEEN) == {"ct:a", "ct:b", "s3obj:0055AED6DCD90281E5:bucket/k.json:put"}
    assert store.prune_seen("2026-01-03") == 0
    assert store.prune_seen("2026-02-02") == 2  # ct:c (the day before is kept: "before" is strict) and d
    assert store.unseen(SEEN) == set(SEEN) - MARKERS


def test_embedded_prune_is_durable_after_commit(tmp_path) -> None:
    store = EmbeddedStore(tmp_path / "graph.json.gz")
    store.write(Aggregate(), SEEN)
    store.commit()
    assert store.prune_seen("2026-01-02") == 2
    store.commit()
    store.close()
    again = EmbeddedStore(tmp_path / "graph.json.gz", read_only=True)
    assert again.unseen(SEEN) == {"ct:a", "s3obj:0055AED6DCD90281E5:bucket/k.json:put"}
    kept = again.tables.conn.execute("SELECT key FROM seen WHERE day = '2026-01-01' ORDER BY key").fetchall()
    assert [key for (key,) in kept] == ["file:/var/log/trail/f.json.gz", "s3obj:bucket/AWSLogs/1/CloudTrail/f.json.gz"]


def test_a_pruned_day_loaded_again_counts_as_new_and_the_graph_is_kept(store, tmp_path) -> None:
    quarantine = tmp_path / "q.jsonl"
    first = load_paths([STS], store, quarantine, reference_time="2026-01-01T00:00:00Z")
    graph = dump(store)
    again = load_paths([STS], store, quarantine, reference_time="2026-01-01T00:00:00Z")
    assert (first.loaded, again.loaded, again.skipped) == (2, 0, {"duplicate": 3})
    assert store.prune_seen("2014-07-18") == 0  # "before" is strict
    assert dump(store) == graph
    assert store.prune_seen("2014-07-19") == 2  # the 2014 AssumeRole's event key and its shared copy's key
    assert dump(store) == graph  # the graph, counters included, is untouched
    third = load_paths([STS], store, quarantine, reference_time="2026-01-01T00:00:00Z")
    assert (third.loaded, third.skipped) == (1, {"duplicate": 2})  # the 2014 one counts again, 2019's does not
    assert dump(store) != graph


def _seen_nodes(store) -> int:
    with store.driver.session() as session:
        return session.run("MATCH (s:GraphgovSeenEvent) RETURN count(s) AS c").single()["c"]


def test_neo4j_prune_runs_in_batches_and_keeps_bookkeeping_without_a_day(neo4j_store, tmp_path) -> None:
    load_paths([STS], neo4j_store, tmp_path / "q.jsonl", reference_time="2026-01-01T00:00:00Z")
    # the pending layer's lock and the derivation markers are seen-labelled nodes with no day
    bookkeeping = _seen_nodes(neo4j_store) - 3  # the two events and a shared copy
    assert bookkeeping >= 2
    days = {f"ct:{i}": f"2020-01-{1 + i % 28:02d}" for i in range(25_000)}  # more than one inner transaction
    neo4j_store.write(Aggregate(), days)
    assert neo4j_store.prune_seen("9999-12-31") == 25_003
    assert _seen_nodes(neo4j_store) == bookkeeping


def test_store_prune_command_says_what_went_and_warns(tmp_path) -> None:
    spec = str(tmp_path / "graph.json.gz")
    with open_store(spec) as store:
        store.write(Aggregate(), SEEN)
        store.commit()
    done = CliRunner().invoke(main, ["store", "prune", "--store", spec, "--before", "2026-01-03"])
    assert done.exit_code == 0, done.output
    assert done.output == (
        f"pruned embedded store {spec}: 3 seen event keys of days before 2026-01-03\n"
        "note: a record dated before 2026-01-03 loaded again will count as new (its seen key is gone)\n")
    done = CliRunner().invoke(main, ["store", "prune", "--store", spec, "--before", "2026-01-03"])
    assert done.output == f"pruned embedded store {spec}: 0 seen event keys of days before 2026-01-03\n"
    with open_store(spec, read_only=True) as store:
        assert store.unseen(SEEN) == {"ct:a", "ct:b", "s3obj:0055AED6DCD90281E5:bucket/k.json:put"}
    done = CliRunner().invoke(main, ["store", "prune", "--store", spec, "--before", "2026-02-30"])
    assert done.exit_code == 2
    assert "Invalid value for '--before': '2026-02-30' does not match the format '%Y-%m-%d'" in done.output
