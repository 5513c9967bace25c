"""The pending layer (graphgov.ingest.pending): a role owner's trail copy of a cross-account call loaded in an
earlier load than the caller's copy is replaced by it exactly, on both stores.

Corpus: the generator's seeded 1,000-record platform (as tests/test_split_invariance.py): account
111111111111's trail holds the role owner's copies of 11 cross-account AssumeRole calls, account
222222222222's trail the callers' copies of 10 of them (the 11th caller, 555555555555, has no trail here).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from graph_dump import dump
from helpers import wipe_neo4j

import graphgov.stores.embedded as embedded
import graphgov.stores.neo4j_pending as neo4j_pending
from graphgov.core.delta import GraphDelta, NodeRow
from graphgov.core.schema import SEEN_LABEL
from graphgov.generate import generate
from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.pending import PENDING_PREFIX
from graphgov.ingest.pipeline import LoadSummary, load_paths
from graphgov.ingest.readers import expand_paths
from graphgov.stores.embedded import EmbeddedStore

CROSS_ACCOUNT = (Path(__file__).parent.parent / "cypher" / "cross-account-assumptions.cypher").read_text()
ROLE = "arn:aws:iam::222222222222:role/"


@pytest.fixture(scope="module")
def trails(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    root = tmp_path_factory.mktemp("corpus")
    generate(root, seed=0, records=1000)
    corpus = expand_paths([root])
    owners = [p for p in corpus if "/111111111111/" in str(p)]
    callers = [p for p in corpus if "/222222222222/" in str(p)]
    return {"owners": owners, "callers": callers, "rest": [p for p in corpus if p not in owners + callers]}


class Loads:
    """Separate loads into one store (a fresh embedded handle per load, as separate `graphgov load` runs)."""

    def __init__(self, store: Any, tmp_path: Path, name: str) -> None:
        self.store, self.tmp_path = store, tmp_path
        self.path = tmp_path / f"{name}.json.gz"
        if not isinstance(store, EmbeddedStore):
            wipe_neo4j(store)

    def load(self, paths: list[Path]) -> LoadSummary:
        if isinstance(self.store, EmbeddedStore):
            with EmbeddedStore(self.path) as handle:
                summary = load_paths(paths, handle, self.tmp_path / "q.jsonl")
        else:
            summary = load_paths(paths, self.store, self.tmp_path / "q.jsonl")
        assert summary.balanced
        return summary

    def graph(self) -> Any:
        return EmbeddedStore(self.path, read_only=True) if isinstance(self.store, EmbeddedStore) else self.store

    def dump(self) -> dict[str, list[str]]:
        return dump(self.graph())

    def callers(self) -> list[tuple[str, str, int]]:
        return [(r["principal"], r["principal_type"], r["count"])
                for r in self.graph().ask("cross-account-assumptions", CROSS_ACCOUNT, {})]

    def pending(self) -> int:
        graph = self.graph()
        if isinstance(graph, EmbeddedStore):
            return len(graph.pending)
        with graph.driver.session() as session:
            return session.run(f"MATCH (p:{SEEN_LABEL}) WHERE p.key STARTS WITH $prefix RETURN count(p) AS c",
                               prefix=PENDING_PREFIX).single()["c"]


def _whole(store: Any, trails: dict[str, list[Path]], tmp_path: Path, *names: str) -> dict[str, list[str]]:
    loads = Loads(store, tmp_path, "whole")
    loads.load([p for name in names for p in trails[name]])
    return loads.dump()


CALLED = [(f"{ROLE}AmazonSageMaker-ExecutionRole-20260105T000000", "Role", 1),
          (f"{ROLE}AmazonSageMaker-ExecutionRole-20260105T000533", "Role", 4),
          (f"{ROLE}AmazonSageMaker-ExecutionRole-20260105T001106", "Role", 2),
          (f"{ROLE}MLEngineer", "Role", 3),
          ("arn:aws:iam::555555555555:root", "AWSAccount", 1)]


# Every order of the three parts. (The rest loaded before account 222222222222's trail used to change the
# `first_seen` of four principals only a policy names: each derivation now replaces such a node's window.)
@pytest.mark.parametrize("order", [("owners", "callers", "rest"), ("callers", "owners", "rest"),
                                   ("callers", "rest", "owners"), ("rest", "callers", "owners"),
                                   ("rest", "owners", "callers"), ("owners", "rest", "callers")])
def test_each_trail_in_its_own_load_gives_the_whole_load_graph(store, trails, tmp_path, order):
    whole = _whole(store, trails, tmp_path, "owners", "callers", "rest")
    loads = Loads(store, tmp_path, "split")
    for name in order:
        loads.load(trails[name])
    assert loads.dump() == whole
    assert loads.callers() == CALLED
    assert loads.pending() == 1  # 555555555555's call: its caller's copy may still come


def test_until_the_callers_copy_comes_the_call_is_credited_to_its_account_and_then_replaced(store, trails, tmp_path):
    loads = Loads(store, tmp_path, "split")
    first = loads.load(trails["owners"])
    assert (first.loaded, dict(first.skipped)) == (566, {"cloudtrail_digest": 2, "duplicate": 2,
                                                         "unsupported_event": 25})
    assert loads.callers() == [("arn:aws:iam::222222222222:root", "AWSAccount", 10),
                               ("arn:aws:iam::555555555555:root", "AWSAccount", 1)]  # unknown is not no
    assert loads.pending() == 11
    materialized = loads.dump()
    again = loads.load(trails["owners"])  # the same files again: the layer is reverted and put back
    assert (again.loaded, again.skipped["duplicate"]) == (0, 566 + 2)  # what loaded, and its 2 in-file duplicates
    assert loads.dump() == materialized
    assert loads.pending() == 11
    later = loads.load(trails["callers"])
    assert (later.loaded, later.skipped.get("shared_event_copy", 0)) == (84, 0)  # the richer copies load
    assert loads.callers() == CALLED
    assert loads.pending() == 1
    assert loads.dump() == _whole(store, trails, tmp_path, "owners", "callers")


class Killed(Exception):
    """A load killed between reverting the layer and the rest of its first write."""


def test_a_load_killed_after_reverting_the_layer_leaves_the_layer_in_place(store, trails, tmp_path, monkeypatch):
    loads = Loads(store, tmp_path, "split")
    loads.load(trails["owners"])
    materialized = loads.dump()

    def kill_after(real: Any) -> Any:
        def killed(*args: Any) -> Any:
            real(*args)
            raise Killed("after the revert, before the write's commit")
        return killed

    if isinstance(store, EmbeddedStore):
        monkeypatch.setattr(embedded, "revert", kill_after(embedded.revert))
    else:
        monkeypatch.setattr(neo4j_pending, "_revert", kill_after(neo4j_pending._revert))
    with pytest.raises(Killed):
        loads.load(trails["callers"])
    monkeypatch.undo()
    assert loads.dump() == materialized  # the revert and the write commit together or not at all
    assert loads.pending() == 11
    loads.load(trails["callers"])  # the rerun
    assert loads.dump() == _whole(store, trails, tmp_path, "owners", "callers")
    assert loads.callers() == CALLED


TRAINING_ROLE = "arn:aws:iam::111111111111:role/TrainingDataAccess"  # the role every pending copy assumes


def _patch(store: Any) -> None:
    """A write outside a load (as classification makes) on a node the pending layer touches."""
    row = NodeRow("AWSRole", TRAINING_ROLE, {"arn": TRAINING_ROLE, "description": "reviewed"})
    store.write(Aggregate().extend([GraphDelta("cloudtrail", "patch", "patch", "patch", "2026-01-05T00:00:01Z",
                                               (row,))]), {})
    if isinstance(store, EmbeddedStore):
        store.commit()


def test_a_write_between_loads_on_a_node_the_layer_touches_survives_the_revert(store, trails, tmp_path):
    whole = Loads(store, tmp_path, "whole")
    whole.load(trails["owners"] + trails["callers"])
    with EmbeddedStore(whole.path) if isinstance(store, EmbeddedStore) else nullcontext(store) as handle:
        _patch(handle)
    whole.load(trails["callers"])  # nothing new: only the derivation runs again, after the write, as below
    expected = whole.dump()
    assert any('"description": "reviewed"' in node for node in expected["nodes"])
    loads = Loads(store, tmp_path, "split")
    loads.load(trails["owners"])
    with EmbeddedStore(loads.path) if isinstance(store, EmbeddedStore) else nullcontext(store) as handle:
        _patch(handle)  # beneath the layer: reverted and materialized again around it
    loads.load(trails["callers"])
    assert loads.dump() == expected
