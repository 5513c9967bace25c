"""The saved-question catalogue: metadata, parameters, and parity between the two stores."""

from __future__ import annotations

import json
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


HEADER = '// id: q\n// title: t\n// description: d\n// severity: low\n// controls: ["soc2:CC6.1"]\n'


def test_every_question_says_how_to_remediate_with_aws_documentation():
    for question in catalog().values():
        fix = question.remediation
        assert len(fix.text) >= 80 and fix.text == fix.text.strip(), question.id
        assert fix.links and all(link.startswith("https://docs.aws.amazon.com/") and link.endswith(".html")
                                 for link in fix.links), question.id
    fix = get_question("endpoints-without-data-capture").remediation
    assert fix.text.startswith("Enable data capture on the endpoint configuration: create a new configuration with "
                               "`DataCaptureConfig`")
    assert fix.links == ("https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html",
                         "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html")
    # a listing says what to do with it, still with a link
    assert get_question("ai-inventory").remediation.text.startswith("A listing, not a finding: review it with")


def test_questions_listing_in_json_carries_each_remediation():
    from click.testing import CliRunner

    from graphgov.cli.app import main

    listing = json.loads(CliRunner().invoke(main, ["questions", "--format", "json"]).output)
    by_id = {item["id"]: item["remediation"] for item in listing}
    assert by_id["object-readers"] == {
        "text": "Review the readers with the bucket's owner: remove the bucket policy, access point or identity-policy "
                "statements that let principals who should not read the objects do so, scope the rest to the prefixes "
                "they need, and keep S3 Block Public Access on.",
        "links": ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-best-practices.html",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html"]}
    assert set(by_id) == set(catalog())


@pytest.mark.parametrize(("header", "message"), [
    ("", 'cypher/q.cypher: invalid question metadata: no remediation: add a header line // remediation: '
         '{"text": "what to change", "links": ["https://docs.aws.amazon.com/..."]}'),
    ('// remediation: {"text": " ", "links": ["https://docs.aws.amazon.com/IAM/latest/UserGuide/x.html"]}\n',
     "cypher/q.cypher: invalid question metadata: remediation.text: remediation text is empty"),
    ('// remediation: {"text": "Fix it.", "links": []}\n',
     "cypher/q.cypher: invalid question metadata: remediation.links: no remediation link: name at least one AWS "
     "documentation page"),
    ('// remediation: {"text": "Fix it.", "links": ["http://docs.aws.amazon.com/IAM/latest/UserGuide/x.html"]}\n',
     "cypher/q.cypher: invalid question metadata: remediation.links: remediation link "
     "'http://docs.aws.amazon.com/IAM/latest/UserGuide/x.html' is not an https page on docs.aws.amazon.com"),
    ('// remediation: {"text": "Fix it.", "links": ["https://docs.aws.amazon.com.evil.example/x.html"]}\n',
     "cypher/q.cypher: invalid question metadata: remediation.links: remediation link "
     "'https://docs.aws.amazon.com.evil.example/x.html' is not an https page on docs.aws.amazon.com"),
    ('// remediation: {"text": "Fix it.", "links": ["https://docs.aws.amazon.com/"]}\n',
     "cypher/q.cypher: invalid question metadata: remediation.links: remediation link "
     "'https://docs.aws.amazon.com/' is not an https page on docs.aws.amazon.com"),
    ('// remediation: {"text": "Fix it.", "link": "https://docs.aws.amazon.com/IAM/latest/UserGuide/x.html"}\n',
     "cypher/q.cypher: invalid question metadata: remediation.links: Field required; remediation.link: Extra inputs "
     "are not permitted"),
    ("// remediation: Fix it.\n", "cypher/q.cypher: header 'remediation' is not JSON: Expecting value: line 1 "
                                   "column 1 (char 0)"),
])
def test_a_question_without_a_remediation_or_with_a_bad_link_is_refused(header, message):
    with pytest.raises(QuestionError) as refused:
        parse_question(HEADER + header + "MATCH (n) RETURN n", "cypher/q.cypher")
    assert str(refused.value) == message
    good = '// remediation: {"text": " Fix it. ", "links": ["https://docs.aws.amazon.com/IAM/latest/UserGuide/x.html"]}\n'
    assert parse_question(HEADER + good + "MATCH (n) RETURN n", "cypher/q.cypher").remediation.as_dict() == {
        "text": "Fix it.", "links": ["https://docs.aws.amazon.com/IAM/latest/UserGuide/x.html"]}


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
