"""The saved-question catalogue: metadata, parameters, and parity between the two stores."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graph_dump import dump
from helpers import FIXTURES, wipe_neo4j
from parity_cases import PARITY_CASES

from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import QuestionError, ask, bind_params, catalog, get_question, parse_question
from graphgov.stores.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parent.parent

def test_catalogue_ids_files_and_metadata():
    assert catalog()  # which ids, each with its twin and parity case: tests/test_question_recipe.py
    for question in catalog().values():
        assert (ROOT / "cypher" / f"{question.id}.cypher").exists()
        assert question.controls and all(":" in c for c in question.controls)
        declared = set(question.params)
        writes = re.search(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DETACH|FOREACH|LOAD\s+CSV)\b", question.cypher, re.I)
        assert writes is None, (question.id, writes)
        assert set(re.findall(r"\$(\w+)", question.cypher)) == declared, question.id  # parameters only


def test_header_errors_name_the_file():
    with pytest.raises(QuestionError, match="cypher/x.cypher: header 'params' is not JSON"):
        parse_question("// id: x\n// params: {oops\nMATCH (n) RETURN n", "cypher/x.cypher")
    with pytest.raises(QuestionError, match="cypher/y.cypher: invalid question metadata"):
        parse_question("// id: y\n// title: t\nMATCH (n) RETURN n", "cypher/y.cypher")


def test_parameter_checks(tmp_path):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    with pytest.raises(QuestionError, match="unknown question 'nope'"):
        get_question("nope")
    question = get_question("object-readers")
    with pytest.raises(QuestionError, match="missing required parameter 'bucket'"):
        bind_params(question, {}, store)
    with pytest.raises(QuestionError, match=r"unknown parameter\(s\) colour; it takes: bucket, prefix"):
        bind_params(question, {"bucket": "b", "colour": "red"}, store)
    assert bind_params(question, {"bucket": "arn:aws:s3:::b"}, store) == {"bucket": "b", "prefix": ""}
    with pytest.raises(QuestionError, match="not an S3 location"):
        bind_params(question, {"bucket": "ftp://b"}, store)


@pytest.fixture(scope="module")
def both_loaded(tmp_path_factory, neo4j_uri):
    from graphgov.stores import open_store

    tmp = tmp_path_factory.mktemp("parity")
    embedded = EmbeddedStore(tmp / "graph.json.gz")
    neo4j = open_store(neo4j_uri)
    wipe_neo4j(neo4j)
    for store in (embedded, neo4j):
        load_paths([FIXTURES], store, tmp / "q.jsonl")
    yield embedded, neo4j
    neo4j.close()


def test_both_stores_hold_the_same_graph(both_loaded):
    embedded, neo4j = both_loaded
    assert dump(embedded) == dump(neo4j)


@pytest.mark.parametrize(("question_id", "params"), [(case.question, case.params) for case in PARITY_CASES])
def test_both_stores_answer_identically(both_loaded, question_id, params):
    embedded, neo4j = both_loaded
    answer = ask(embedded, question_id, params)
    assert answer == ask(neo4j, question_id, params)
    assert answer == ask(embedded, question_id, params)  # deterministic


def test_parity_cases_answer_their_declared_row_counts(both_loaded):
    embedded, _ = both_loaded
    sizes = [len(ask(embedded, case.question, case.params)) for case in PARITY_CASES]
    assert sizes == [case.rows for case in PARITY_CASES]  # the counts are explained in tests/parity_cases.py


def test_questions_run_read_only_on_neo4j(both_loaded):
    _, neo4j = both_loaded
    from graphgov.stores.base import StoreError

    with pytest.raises(StoreError, match="read access mode"):
        neo4j.ask("sneaky", "CREATE (n:AWSAccount {id: 'x'}) RETURN n", {})


def test_every_question_plans_on_neo4j(both_loaded):
    _, neo4j = both_loaded
    for question in catalog().values():
        params = {name: ("" if spec.type == "prefix" else "x") for name, spec in question.params.items()}
        assert neo4j.ask(question.id, "EXPLAIN " + question.cypher, params) == []
