"""Tags from CloudTrail -> dataset classification -> personal-data-in-training, on both stores.

tests/fixtures/classification/tagged-training-data.json (account 464646464646): the training job
`Clinic-Train` (role ClinicTrainer, which may read acme-clinic-data and acme-hr-data) reads
`patients/` of a bucket tagged data-classification=health, `reviews/` of an untagged bucket holding one
object tagged pii=true (another object's pii tag was deleted), and `tmp/` of a bucket whose
classification=personal tag was deleted.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import FIXTURES

from graphgov.cli.app import main
from graphgov.core.delta import Malformed
from graphgov.ingest.classify import classify
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from graphgov.questions.classification import (
    ClassificationError,
    default_tag_categories,
    load_mapping,
    parse_mapping,
)
from loaders import cloudtrail

A = "464646464646"
FIXTURE = FIXTURES / "classification" / "tagged-training-data.json"
JOB = f"arn:aws:sagemaker:eu-central-1:{A}:training-job/clinic-train"
TRAINER = f"arn:aws:iam::{A}:role/ClinicTrainer (potential)"
CLINIC, HR, SCRATCH = "s3://acme-clinic-data/patients/", "s3://acme-hr-data/reviews/", "s3://acme-scratch-data/tmp/"
MAPPING = {"rules": [{"bucket": "acme-scratch-data", "prefix": "tmp/", "classification": ["personal"]},
                     {"tag": "team=*", "classification": ["special-category:biometric"]},
                     {"bucket": "acme-clinic-data", "prefix": "other/", "classification": ["personal"]}]}


def _records():
    return json.loads(FIXTURE.read_text())["Records"]


def _nodes(record):
    return {(n.type, n.key): dict(n.props) for n in cloudtrail.parse(record).nodes if "tags" in n.props}


# --- loader -------------------------------------------------------------------------------------------


def test_tagging_events_set_sorted_tags_and_deletes_empty_them():
    records = _records()
    assert _nodes(records[2]) == {("S3Bucket", "acme-clinic-data"): {"tags": ["data-classification=health",
                                                                              "team=ml"]}}
    assert _nodes(records[3]) == {("S3Bucket", "acme-hr-data"): {"tags": ["cost-centre=hr"]}}  # one Tag: an object
    obj = "arn:aws:s3:::acme-hr-data/reviews/employees.csv"
    assert _nodes(records[4]) == {("S3Object", obj): {"arn": obj, "bucket": "acme-hr-data",
                                                      "key": "reviews/employees.csv", "tags": ["pii=true"]}}
    assert _nodes(records[6])[("S3Object", "arn:aws:s3:::acme-hr-data/reviews/old.csv")]["tags"] == []
    assert _nodes(records[8]) == {("S3Bucket", "acme-scratch-data"): {"tags": []}}
    bucket = next(n for n in cloudtrail.parse(records[2]).nodes if n.type == "S3Bucket" and "account_id" in n.props)
    assert bucket.props["account_id"] == A


def test_tagging_body_variants():
    record = _records()[2]
    params = record["requestParameters"]
    params["Tagging"] = json.dumps({"TagSet": {"Tag": [{"Key": "b", "Value": ""}, {"Key": "a", "Value": "1"}]}})
    assert _nodes(record)[("S3Bucket", "acme-clinic-data")]["tags"] == ["a=1", "b="]  # string-encoded block
    params["Tagging"] = {"TagSet": ""}
    assert _nodes(record)[("S3Bucket", "acme-clinic-data")]["tags"] == []  # an empty set
    del params["Tagging"]
    with pytest.raises(Malformed, match="PutBucketTagging: no Tagging"):
        cloudtrail.parse(record)  # the `tagging: ""` marker alone is not a tag set
    record = _records()[6]
    del record["requestParameters"]["key"]  # the object is named by its resource entry alone
    assert ("S3Object", "arn:aws:s3:::acme-hr-data/reviews/old.csv") in _nodes(record)


# --- rules --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tag", "categories"), [
    ("data-classification=health", {"special-category:health"}),
    ("Data_Classification=PII", {"personal"}),
    ("acme:classification=pii,biometric", {"personal", "special-category:biometric"}),
    ("sensitivity=confidential", set()),
    ("pii=true", {"personal"}),
    ("pii=false", set()),
    ("phi=yes", {"special-category:health"}),
    ("pii=health", {"special-category:health"}),
    ("team=health", set()),
])
def test_default_tag_rules(tag, categories):
    assert default_tag_categories(tag) == categories


def test_mapping_files(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(MAPPING))
    assert [r.bucket or r.tag for r in load_mapping(path).rules] == ["acme-scratch-data", "team=*", "acme-clinic-data"]
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(MAPPING))
    assert load_mapping(path) == parse_mapping(MAPPING)
    path.write_text("rules: [oops")
    with pytest.raises(ClassificationError, match=r"m.yaml: not valid yaml"):
        load_mapping(path)


@pytest.mark.parametrize(("data", "message"), [
    ({"rules": [{"bucket": "b", "tag": "k=v", "classification": ["personal"]}]}, "either a bucket"),
    ({"rules": [{"tag": "k", "classification": ["personal"]}]}, "write `key=value`"),
    ({"rules": [{"bucket": "b", "classification": []}]}, "rules.0.classification"),
    ({"rules": [], "colour": "red"}, "colour: Extra inputs are not permitted"),
])
def test_mapping_errors_name_the_fault(data, message):
    with pytest.raises(ClassificationError, match=message):
        parse_mapping(data, "m.json")


# --- end to end, both stores ----------------------------------------------------------------------------


def _derived(store):
    return sorted((t, s, d, json.dumps(a, sort_keys=True)) for t in ("CAN_READ", "CAN_ASSUME", "INPUT_READABLE_BY")
                  for s, d, a in store.scan_edges(t))


def test_classify_and_personal_data_in_training(store, tmp_path):
    summary = load_paths([FIXTURE], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined) == (10, 10, 0)
    assert ask(store, "personal-data-in-training") == []  # nothing classified yet
    derived = _derived(store)
    datasets = {uri: dict(attrs) for uri, attrs in store.scan_nodes("Dataset")}  # embedded: live dicts

    rows = classify(store, parse_mapping(MAPPING))
    assert rows == [
        {"dataset": CLINIC, "classification": ["special-category:biometric", "special-category:health"],
         "why": ["bucket-tag:data-classification=health", "bucket-tag:team=ml"]},
        {"dataset": HR, "classification": ["personal"],
         "why": ["object-tag:arn:aws:s3:::acme-hr-data/reviews/employees.csv:pii=true"]},
        {"dataset": SCRATCH, "classification": ["personal"], "why": ["mapping:rules[0]"]},
    ]
    assert _derived(store) == derived  # the access edges are not touched
    for uri, attrs in store.scan_nodes("Dataset"):  # nor the datasets' window and sources
        assert {k: v for k, v in attrs.items() if k != "classification"} == datasets[uri]
    answer = [
        {"dataset": CLINIC, "bucket": "acme-clinic-data",
         "classification": ["special-category:biometric", "special-category:health"], "jobs": [JOB],
         "derived_jobs": [], "readers": [TRAINER]},
        {"dataset": HR, "bucket": "acme-hr-data", "classification": ["personal"], "jobs": [JOB], "derived_jobs": [],
         "readers": [TRAINER]},
        # acme-scratch-data's bucket policy is never seen: its reader is unknown, not "nobody" (issue 11)
        {"dataset": SCRATCH, "bucket": "acme-scratch-data", "classification": ["personal"], "jobs": [JOB],
         "derived_jobs": [], "readers": [f"arn:aws:iam::{A}:role/ClinicTrainer (unknown)"]},
    ]
    assert ask(store, "personal-data-in-training") == answer

    # without the mapping: the scratch dataset is cleared, the biometric rule gone
    rows = classify(store)
    assert [(r["dataset"], r["classification"]) for r in rows] == [
        (CLINIC, ["special-category:health"]), (HR, ["personal"]), (SCRATCH, [])]
    assert ask(store, "personal-data-in-training") == [
        {**answer[0], "classification": ["special-category:health"]}, answer[1]]
    assert dict(store.scan_nodes("Dataset"))[SCRATCH]["classification"] == []
    assert classify(store) == rows[:2]  # idempotent; the cleared dataset is reported once
    assert _derived(store) == derived


def test_classify_command(tmp_path):
    graph = str(tmp_path / "g.json.gz")
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(FIXTURE), "--store", graph,
                                "--quarantine", str(tmp_path / "q.jsonl")]).exit_code == 0
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps(MAPPING))
    result = runner.invoke(main, ["classify", "--mapping", str(mapping), "--store", graph])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"{CLINIC}  special-category:biometric, special-category:health"
    assert result.output.endswith("(3 datasets classified)\n")
    result = runner.invoke(main, ["classify", "--store", graph, "--format", "json"])
    assert [r["dataset"] for r in json.loads(result.output) if not r["classification"]] == [SCRATCH]
    query = runner.invoke(main, ["query", "personal-data-in-training", "--store", graph, "--format", "json"])
    assert [r["dataset"] for r in json.loads(query.output)] == [CLINIC, HR]
    mapping.write_text('{"rules": [{"tag": "x"}]}')
    result = runner.invoke(main, ["classify", "--mapping", str(mapping), "--store", graph])
    assert result.exit_code == 1 and result.output.startswith(f"Error: {mapping}: invalid mapping: rules.0")
    assert len(result.output.splitlines()) == 1


def _tag_state(store, label, key):
    attrs = dict(store.scan_nodes(label))[key]
    return attrs.get("tags"), attrs.get("tags_at")


@pytest.mark.parametrize("separately", [False, True], ids=["one-file", "file-per-record"])
def test_tags_are_the_newest_events_whatever_order_the_logs_are_loaded_in(store, tmp_path, separately):
    """A backfill loaded after newer logs must not bring back tags that were since changed or deleted."""
    records = list(reversed(_records()))  # newest first: the deletions come before the puts they undo
    files = [[r] for r in records] if separately else [records]
    for i, batch in enumerate(files):  # one load each: the stores' merge, not only the in-chunk aggregate
        path = tmp_path / f"part-{i}.json"
        path.write_text(json.dumps({"Records": batch}))
        load_paths([path], store, tmp_path / "q.jsonl")
    assert _tag_state(store, "S3Bucket", "acme-scratch-data") == ([], "2026-04-01T11:01:00Z")
    assert _tag_state(store, "S3Object", "arn:aws:s3:::acme-hr-data/reviews/old.csv") == ([], "2026-04-01T11:00:00Z")
    assert _tag_state(store, "S3Bucket", "acme-clinic-data") == (["data-classification=health", "team=ml"],
                                                                 "2026-04-01T10:00:00Z")
    classify(store)
    assert [row["dataset"] for row in ask(store, "personal-data-in-training")] == [CLINIC, HR]
