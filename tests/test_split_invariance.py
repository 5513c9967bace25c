"""The graph does not depend on how the input is split into loads, nor on the order of its files.

Corpus: the generator's seeded 1,000-record platform (84 files: Bedrock invocation logs, CloudTrail of
five accounts with the two trail copies of cross-account AssumeRole calls, CloudWatch Logs, EventBridge,
S3 notifications), so every loader and the access derivation that follows each load take part.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graph_dump import dump
from helpers import wipe_neo4j

from graphgov.core.delta import GraphDelta, NodeRow
from graphgov.generate import generate
from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.pipeline import load_paths
from graphgov.ingest.readers import expand_paths, read_path
from graphgov.stores.embedded import EmbeddedStore

CROSS_ACCOUNT = (Path(__file__).parent.parent / "cypher" / "cross-account-assumptions.cypher").read_text()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("corpus")
    generate(root, seed=0, records=1000)
    return expand_paths([root])


def _copies(files: list[Path]) -> dict[str, list[tuple[int, str]]]:
    """sharedEventID -> (file index, identity type) of each trail copy."""
    found: dict[str, list[tuple[int, str]]] = {}
    for index, path in enumerate(files):
        for raw in read_path(path):
            record = raw.record
            if isinstance(record, dict) and record.get("sharedEventID"):
                found.setdefault(record["sharedEventID"], []).append((index, record["userIdentity"]["type"]))
    return found


def _load(store, runs: list[list[Path]], tmp_path: Path, name: str):  # noqa: ANN001, ANN202 - a store fixture
    """Load each run in turn (a fresh store handle per run, as separate `graphgov load` commands)."""
    if isinstance(store, EmbeddedStore):
        path = tmp_path / f"{name}.json.gz"
        for run in runs:
            load_paths(run, EmbeddedStore(path), tmp_path / "q.jsonl")
        graph = EmbeddedStore(path)
    else:
        wipe_neo4j(store)
        for run in runs:
            load_paths(run, store, tmp_path / "q.jsonl")
        graph = store
    return dump(graph), graph.ask("cross-account-assumptions", CROSS_ACCOUNT, {})


def test_the_corpus_holds_both_trail_copies_of_cross_account_calls(corpus):
    pairs = [sorted(c) for c in _copies(corpus).values() if len(c) == 2]
    assert len(pairs) == 10
    assert {tuple(kind for _, kind in pair) for pair in pairs} == {("AWSAccount", "AssumedRole")}


def test_whole_halves_and_reverse_order_give_one_graph(store, corpus, tmp_path):
    half = len(corpus) // 2
    assert all(max(i for i, _ in c) < half for c in _copies(corpus).values())  # each pair within one half
    whole = _load(store, [corpus], tmp_path, "whole")
    assert (len(whole[0]["nodes"]), len(whole[0]["edges"])) == (635, 1621)
    # each call credited to its caller; the one call whose caller's trail is not in the corpus, to its account
    role = "arn:aws:iam::222222222222:role/"
    assert [(r["principal"], r["principal_type"], r["count"]) for r in whole[1]] == [
        (f"{role}AmazonSageMaker-ExecutionRole-20260105T000000", "Role", 1),
        (f"{role}AmazonSageMaker-ExecutionRole-20260105T000533", "Role", 4),
        (f"{role}AmazonSageMaker-ExecutionRole-20260105T001106", "Role", 2),
        (f"{role}MLEngineer", "Role", 3),
        ("arn:aws:iam::555555555555:root", "AWSAccount", 1),
    ]
    plans = {
        "halves": [corpus[:half], corpus[half:]],
        "reversed": [corpus[::-1]],
        "reversed_halves_swapped": [corpus[half:][::-1], corpus[:half][::-1]],
    }
    for name, runs in plans.items():
        graph, rows = _load(store, runs, tmp_path, name)
        assert graph == whole[0], name
        assert rows == whole[1], name


def test_the_richer_copy_loaded_first_in_an_earlier_run_stands(store, corpus, tmp_path):
    """The caller's copies (account 222222222222's trail) in one load, the role owner's in the next."""
    callers = [p for p in corpus if "/222222222222/" in str(p)]
    rest = [p for p in corpus if p not in callers]
    whole = _load(store, [callers + rest], tmp_path, "whole")
    assert _load(store, [callers, rest], tmp_path, "split") == whole


def test_the_poorer_copy_loaded_first_in_an_earlier_run_is_replaced(store, corpus, tmp_path):
    """The role owner's copies (account 111111111111's trail) in one load, the callers' in the next: the
    pending layer the first load materialized is reverted and the richer copies stand."""
    owners = [p for p in corpus if "/111111111111/" in str(p)]
    rest = [p for p in corpus if p not in owners]
    whole = _load(store, [owners + rest], tmp_path, "whole")
    split = _load(store, [owners, rest], tmp_path, "split")
    assert split[0] == whole[0]
    assert split[1] == whole[1]


def _principal(principal_type: str, name: str) -> GraphDelta:
    row = NodeRow("AWSPrincipal", "arn:aws:iam::123456789012:root",
                  {"arn": "arn:aws:iam::123456789012:root", "principal_type": principal_type, "name": name})
    event = f"ev-{principal_type}"
    return GraphDelta("cloudtrail", event, event, event, "2026-01-05T00:00:00Z", (row,))


@pytest.mark.parametrize("order", [("AWSAccount", "Root"), ("Root", "AWSAccount")])
def test_principal_type_takes_its_highest_ranked_value_whatever_the_order(store, order):
    for principal_type in order:  # two writes: the store's own merge
        store.write(Aggregate().extend([_principal(principal_type, "n")]), {})
    assert {(key, a["principal_type"]) for key, a in store.scan_nodes("AWSPrincipal")} == {
        ("arn:aws:iam::123456789012:root", "Root")}
    folded = Aggregate().extend(_principal(t, "n") for t in order)  # one chunk: the aggregate's merge
    assert [a["principal_type"] for a in folded.nodes.values()] == ["Root"]


def test_principal_type_among_unranked_values_is_the_greatest_and_a_ranked_one_outranks_them(store):
    for principal_type in ("IAMUser", "SAMLUser", "FederatedUser"):
        store.write(Aggregate().extend([_principal(principal_type, "n")]), {})
    assert [a["principal_type"] for _, a in store.scan_nodes("AWSPrincipal")] == ["SAMLUser"]
    store.write(Aggregate().extend([_principal("AWSAccount", "n")]), {})
    assert [a["principal_type"] for _, a in store.scan_nodes("AWSPrincipal")] == ["AWSAccount"]


def _role(source: str, time: str, **props: str) -> Aggregate:
    key = "arn:aws:iam::333333333333:role/Serving"
    row = NodeRow("AWSRole", key, {"arn": key, "id": key, "principal_type": "Role", **props})
    return Aggregate().extend([GraphDelta(source, f"{source}-{time}", f"{source}-{time}", f"{source}-{time}", time,
                                          (row,))])


@pytest.mark.parametrize("policy_first", [True, False])
def test_a_policy_named_principal_and_its_evidence_never_mix_whatever_the_order(store, policy_first):
    named = _role("policy", "2026-01-01T00:00:00Z", name="Serving")  # what the access derivation writes
    evidence = _role("cloudtrail", "2026-01-05T00:00:00Z", path="/service-role/")
    for aggregate in ([named, evidence] if policy_first else [evidence, named]):
        store.write(aggregate, {})
    assert [attrs for _, attrs in store.scan_nodes("AWSPrincipal")] == [{
        "arn": "arn:aws:iam::333333333333:role/Serving", "id": "arn:aws:iam::333333333333:role/Serving",
        "principal_type": "Role", "path": "/service-role/", "labels": ["AWSPrincipal", "AWSRole"],
        "sources": ["cloudtrail"], "first_seen": "2026-01-05T00:00:00Z", "last_seen": "2026-01-05T00:00:00Z"}]
    store.write(_role("policy", "2026-01-02T00:00:00Z", name="Serving"), {})  # a later derivation: no change
    assert [attrs["sources"] for _, attrs in store.scan_nodes("AWSPrincipal")] == [["cloudtrail"]]


def test_a_policy_named_principal_without_evidence_takes_each_derivation(store):
    # each derivation computes the window from every policy state the store holds, so the latest row replaces
    # the node (a min/max with an earlier, partial derivation's window would depend on how the input was split)
    store.write(_role("policy", "2026-01-02T00:00:00Z", name="Serving"), {})
    store.write(_role("policy", "2026-01-01T00:00:00Z", name="Serving"), {})
    assert [(a["sources"], a["first_seen"], a["last_seen"], a["name"]) for _, a in store.scan_nodes("AWSPrincipal")] \
        == [(["policy"], "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "Serving")]
