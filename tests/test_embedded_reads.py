"""A question on the embedded store reads only the part of the graph it declares, and answers as on the whole.

Each twin (graphgov.questions.embedded) declares what it walks (`@answers(id, GraphReads(...))`); the store
builds it a graph of that alone (graphgov.stores.embedded_graph). A twin that walks an edge type or scans a
label it did not declare would silently miss rows, so every twin is asked on its part and on the whole graph,
for every node its parameter can name (and a name the graph does not hold), on three graphs: the fixture
graph (tests/fixtures: the real samples and the hand-written scenarios) and two seeds of the generator's
platform. The answers must be equal, row for row.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from parity_cases import PARITY_CASES

from graphgov.generate import generate
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import RESOLVED_TYPES, bind_params, get_question, normalise_rows
from graphgov.questions.embedded.core import IMPLEMENTATIONS, READS
from graphgov.stores.embedded import EmbeddedStore
from graphgov.stores.embedded_graph import WHOLE, GraphReads, Hop, networkx_graph
from graphgov.stores.embedded_sql import _dumps, _loads

FIXTURES = Path(__file__).parent / "fixtures"
PER_PARAMETER = 25  # nodes tried per required parameter (all of them on the fixture graph's small labels)


def _store(tmp: Path, source: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp / "graph.db")
    load_paths([source], store, tmp / "quarantine.jsonl")
    return store


@pytest.fixture(scope="module", params=["fixtures", "generated-seed-0", "generated-seed-5"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "fixtures":
        source = FIXTURES
    else:
        source = tmp / "logs"
        generate(source, seed=int(request.param.rsplit("-", 1)[1]), records=2500)
    opened = _store(tmp, source)
    yield opened
    opened.close()


def _cases(store: EmbeddedStore, question_id: str) -> list[dict[str, str]]:
    """Parameter sets for a question: the parity cases', and each node its required parameter can name."""
    question = get_question(question_id)
    cases = [dict(case.params) for case in PARITY_CASES if case.question == question_id]
    for name, spec in question.params.items():
        if not spec.required or spec.type not in RESOLVED_TYPES:
            continue
        labels = RESOLVED_TYPES[spec.type][0]
        keys = sorted({key for label in labels for key, _ in store.scan_nodes(label)})
        step = max(1, len(keys) // PER_PARAMETER)
        cases += [{name: key} for key in keys[::step]]
    return cases or [{}]


def _bound(store: EmbeddedStore, question_id: str, given_params: Mapping[str, str]) -> dict[str, Any] | None:
    try:
        return bind_params(get_question(question_id), given_params, store)
    except Exception:  # noqa: BLE001 - a parity case naming a node only the fixture graph holds
        return None


@pytest.mark.parametrize("question_id", sorted(IMPLEMENTATIONS))
def test_every_question_answers_on_its_part_as_on_the_whole_graph(store: EmbeddedStore, question_id: str) -> None:
    whole = store.graph()
    twin, reads = IMPLEMENTATIONS[question_id], READS[question_id]
    asked = 0
    for given_params in _cases(store, question_id):
        params = _bound(store, question_id, given_params)
        if params is None:
            continue
        part = networkx_graph(store.tables, reads, params)
        assert normalise_rows(twin(part, params)) == normalise_rows(twin(whole, params)), (question_id, params)
        asked += 1
    assert asked >= 1


def test_missing_seed_reads_nothing_and_answers_nothing(store: EmbeddedStore) -> None:
    for question_id, name in (("principal-activity", "principal"), ("object-readers", "bucket")):
        params = {name: "arn:aws:iam::000000000000:role/not-in-the-graph", "prefix": ""}
        part = networkx_graph(store.tables, READS[question_id], params)
        assert (part.number_of_nodes(), part.number_of_edges()) == (0, 0)
        assert IMPLEMENTATIONS[question_id](part, params) == []


def test_a_part_holds_exactly_the_declared_rows(tmp_path: Path) -> None:
    store = _store(tmp_path, FIXTURES)
    whole = store.graph()
    part = networkx_graph(store.tables, GraphReads(edges=("ASSUMED_ROLE", "SESSION_OF"), labels=("KMSKey",)))
    declared = [(s, d, t) for s, d, t in whole.edges(keys=True) if t in ("ASSUMED_ROLE", "SESSION_OF")]
    ends = {n for s, d, _ in declared for n in (s, d)}
    keys = {n for n in whole.nodes if n[0] == "KMSKey"}
    assert len(declared) > 0 and len(keys) > 0
    assert sorted(part.edges(keys=True)) == sorted(declared)
    assert set(part.nodes) == ends | keys
    assert all(part.nodes[n] == whole.nodes[n] for n in part.nodes)
    assert list(part.nodes) == [n for n in whole.nodes if n in ends | keys]  # the whole graph's order
    store.close()


def test_a_seed_reads_its_hops_only(tmp_path: Path) -> None:
    store = _store(tmp_path, FIXTURES)
    whole = store.graph()
    bucket = ("S3Bucket", "victim-data-bucket")
    reads = GraphReads(seed=(("S3Bucket",), "bucket"), hops=(Hop(("CONTAINS",)), Hop(("READ",), out=False)))
    part = networkx_graph(store.tables, reads, {"bucket": bucket[1]})
    objects = [d for _, d, t in whole.out_edges(bucket, keys=True) if t == "CONTAINS"]
    reads_in = [(s, d, t) for o in objects for s, d, t in whole.in_edges(o, keys=True) if t == "READ"]
    assert len(objects) > 0 and len(reads_in) > 0
    assert sorted(part.edges(keys=True)) == sorted([(bucket, o, "CONTAINS") for o in objects] + reads_in)
    store.close()


def test_the_whole_graph_is_what_networkx_builds_from_the_rows(tmp_path: Path) -> None:
    store = _store(tmp_path, FIXTURES)
    built = networkx_graph(store.tables, WHOLE)
    reference = nx.MultiDiGraph()
    reference.add_nodes_from(store.tables.all_nodes())
    reference.add_edges_from((s, d, t, a) for t, s, d, a in store.tables.all_edges())
    assert nx.utils.graphs_equal(built, reference)
    assert list(built.nodes) == list(reference.nodes)
    assert all(list(built._succ[n]) == list(reference._succ[n]) and list(built._pred[n]) == list(reference._pred[n])
               for n in reference)
    built.add_edge(("AWSPrincipal", "x"), ("S3Object", "y"), key="READ", count=1)  # still a working graph
    assert built.has_edge(("AWSPrincipal", "x"), ("S3Object", "y"), key="READ")
    store.close()


def test_store_asks_on_the_part_until_the_whole_graph_is_built(tmp_path: Path) -> None:
    store = _store(tmp_path, FIXTURES)
    store.ask("cross-account-assumptions", "", {})
    part = store._part[1]
    assert {t for *_, t in part.edges(keys=True)} == {"ASSUMED_ROLE"}
    whole = store.graph()
    assert store._graph_for(READS["cross-account-assumptions"], {}) is whole
    store.close()


# --- the rows' attributes: orjson where it reads as the standard library does ------------------------------

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                     st.floats(allow_nan=True, allow_infinity=True), st.text())
_VALUES = _SCALARS | st.lists(_SCALARS, max_size=4)  # what a row holds: scalars and lists (graphgov.core.delta)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@given(st.dictionaries(st.text(), _VALUES, max_size=6))
def test_row_attributes_read_back_exactly_as_written(attrs: dict[str, Any]) -> None:
    text = _dumps(attrs)
    assert _same(_loads(text), json.loads(text))


def test_integers_past_64_bits_and_nan_read_back_exactly() -> None:
    assert _loads(_dumps({"bytes": 2**64 + 1, "count": 3})) == {"bytes": 2**64 + 1, "count": 3}
    assert type(_loads(_dumps({"bytes": 2**64 + 1}))["bytes"]) is int
    assert math.isnan(_loads(_dumps({"ratio": float("nan")}))["ratio"])


def test_a_second_question_builds_the_whole_graph_for_the_next_ones(tmp_path: Path) -> None:
    store = _store(tmp_path, FIXTURES)
    store.ask("cross-account-assumptions", "", {})
    first = store._part[1]
    assert store._graph_for(READS["cross-account-assumptions"], {}) is first  # the same rows: the same part
    store.ask("logging-coverage", "", {})
    assert store._part is None and store._graph is not None  # a second part: the whole graph instead
    whole = store.graph()
    assert store._graph_for(READS["principal-activity"], {"principal": "x"}) is whole
    store.close()


def test_bare_edges_are_edges_read() -> None:
    with pytest.raises(ValueError, match=r"bare edge types \['READ'\] are not among the edges read"):
        GraphReads(edges=("WROTE",), bare=("READ",))
