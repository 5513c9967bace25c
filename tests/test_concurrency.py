"""Two loads into one Neo4j at once count every event once and give the graph of one load after the other.

(The embedded store's exclusive lock is tested with that store.) Corpus: the generator's seeded
1,000-record platform, whose CloudTrail holds both trail copies of cross-account AssumeRole calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from graph_dump import dump
from helpers import wipe_neo4j

from graphgov.core.delta import GraphDelta, NodeRow
from graphgov.generate import generate
from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.pipeline import load_paths
from graphgov.ingest.readers import expand_paths
from graphgov.stores import open_store
from graphgov.stores.base import DerivedEdge, SeenConflict

ROOT = Path(__file__).parent.parent
CROSS_ACCOUNT = (ROOT / "cypher" / "cross-account-assumptions.cypher").read_text()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("corpus")
    generate(root, seed=0, records=1000)
    return expand_paths([root])


def _answers(store) -> tuple[dict, list]:  # noqa: ANN001 - a Neo4jStore
    return dump(store), store.ask("cross-account-assumptions", CROSS_ACCOUNT, {})


def _node(key: str) -> Aggregate:
    row = NodeRow("AWSAccount", key, {"id": key})
    return Aggregate().extend([GraphDelta("cloudtrail", key, key, key, "2026-01-05T00:00:00Z", (row,))])


def test_a_claim_on_a_key_another_load_wrote_raises_and_writes_nothing(neo4j_store):
    neo4j_store.write(_node("111111111111"), {"ct:e1": "2026-01-05"})
    with pytest.raises(SeenConflict) as raised:
        neo4j_store.write_claimed(_node("222222222222"), {"ct:e1": "2026-01-05", "ct:e2": "2026-01-05"},
                                  {"ct:e1", "ct:e2"})
    assert raised.value.keys == {"ct:e1"}
    assert neo4j_store.unseen(["ct:e1", "ct:e2"]) == {"ct:e2"}  # the whole transaction rolled back
    assert [key for key, _ in neo4j_store.scan_nodes("AWSAccount")] == ["111111111111"]
    neo4j_store.write_claimed(_node("222222222222"), {"ct:e2": "2026-01-05"}, {"ct:e2"})
    assert sorted(key for key, _ in neo4j_store.scan_nodes("AWSAccount")) == ["111111111111", "222222222222"]


class _Interleaved:
    """A store whose first `unseen` answer goes stale: another load writes the same records right after."""

    def __init__(self, store, other) -> None:  # noqa: ANN001
        self.store, self.other, self.raced = store, other, False

    def unseen(self, keys):  # noqa: ANN001, ANN201
        answer = self.store.unseen(keys)
        if not self.raced:
            self.raced = True
            self.other()
        return answer

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.store, name)


def test_a_load_racing_another_on_the_same_records_counts_each_once(neo4j_store, neo4j_uri, corpus, tmp_path):
    files = [p for p in corpus if "/CloudTrail/" in str(p)][:12]  # holds role owners' copies and callers'
    alone = load_paths(files, neo4j_store, tmp_path / "q.jsonl")
    once = _answers(neo4j_store)
    wipe_neo4j(neo4j_store)
    other = open_store(neo4j_uri)
    try:
        raced = _Interleaved(neo4j_store, lambda: load_paths(files, other, tmp_path / "q2.jsonl"))
        summary = load_paths(files, raced, tmp_path / "q.jsonl", chunk_records=100_000)
    finally:
        other.close()
    assert raced.raced and alone.loaded == 593
    # decided again after the other load claimed its events: every one it wrote is now a duplicate
    assert summary.loaded == 0 and summary.balanced
    copies = alone.skipped["duplicate"] + alone.skipped["shared_event_copy"]
    assert summary.skipped["duplicate"] == alone.loaded + copies
    assert _answers(neo4j_store) == once


def _cli_load(uri: str, paths: list[Path], quarantine: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", "from graphgov.cli.app import main; main()", "load", "--store", uri,
                             "--quarantine", str(quarantine), *map(str, paths)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def test_two_loads_at_once_give_the_graph_of_one_after_the_other(neo4j_store, neo4j_uri, corpus, tmp_path):
    trails = [p for p in corpus if "/CloudTrail/" in str(p)]
    first, second = trails[:20], trails[8:][::-1]  # overlapping, the second in reverse order
    for paths in (first, second):
        assert _cli_load(neo4j_uri, paths, tmp_path / "q.jsonl").wait(timeout=300) == 0
    sequential = _answers(neo4j_store)
    assert sum(row["count"] for row in sequential[1]) == 11
    wipe_neo4j(neo4j_store)
    loads = [_cli_load(neo4j_uri, paths, tmp_path / f"q{i}.jsonl") for i, paths in enumerate((first, second))]
    for load in loads:
        _out, err = load.communicate(timeout=300)
        assert load.returncode == 0, err.decode()[-2000:]
    assert _answers(neo4j_store) == sequential


def test_two_derivations_at_once_leave_one_set_of_derived_edges(neo4j_store, neo4j_uri):
    roles = [f"arn:aws:iam::111111111111:role/r{i}" for i in range(40)]
    rows = [NodeRow("AWSRole", arn, {"arn": arn}) for arn in roles]
    neo4j_store.write(Aggregate().extend([GraphDelta("cloudtrail", "e", "e", "e", "2026-01-05T00:00:00Z",
                                                     tuple(rows))]), {})
    edges = [DerivedEdge("CAN_ASSUME", ("AWSPrincipal", a), ("AWSPrincipal", b), {"access": "allowed"})
             for a in roles for b in roles if a != b]
    stores = [open_store(neo4j_uri) for _ in range(2)]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(lambda s=s: [s.replace_derived(edges, []) for _ in range(10)]) for s in stores]:
                future.result()
    finally:
        for s in stores:
            s.close()
    assert len(edges) == 1560
    assert neo4j_store.totals() == (40, 1560)
