"""Data that moves in S3, on both stores: writers named only by principal id in notifications, copies,
replication and access points (issue 11, "Lineage"). Fixtures: tests/fixtures/s3-movement (README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import FIXTURES, write_json

from graphgov.classification import classify
from graphgov.pipeline import load_paths
from graphgov.questions import ask
from loaders import cloudtrail

MOVES = FIXTURES / "s3-movement"
CHAIN = FIXTURES / "lineage/cross-account-chain.json"
ENDPOINT = "arn:aws:sagemaker:eu-west-1:333333333333:endpoint/fraud-endpoint"
MODEL = "arn:aws:sagemaker:eu-west-1:333333333333:model/fraudmodel"
MODEL_V2 = "arn:aws:sagemaker:eu-west-1:333333333333:model/fraudmodel-v2"
JOB = "arn:aws:sagemaker:eu-west-1:222222222222:training-job/fraud-xgb-2024"
WRITER_ROLE = "arn:aws:iam::111111111111:role/Writer"
UPLOADER = "arn:aws:iam::111111111111:user/uploader"


def _chain_without_writes(tmp_path: Path) -> Path:
    """The three-account chain's jobs, models and endpoint, without its CloudTrail PutObject records."""
    records = [r for r in json.loads(CHAIN.read_text())["Records"] if r["eventName"] != "PutObject"]
    return write_json(tmp_path / "chain.json", {"Records": records})


def _load(store, tmp_path: Path, paths: list[Path]) -> None:
    for path in paths:  # one load per file: the order of loads is the order of the list
        summary = load_paths([path], store, tmp_path / "q.jsonl")
        assert summary.quarantined == 0, path


WRITER_ROWS = [
    {"training_job": JOB, "channel": "train", "dataset": "s3://acme-data-a/fraud/train",
     "dataset_writers": [WRITER_ROLE, "unresolved:AROAEXAMPLEGHOST:ghost-session"]},
    {"training_job": JOB, "channel": "validation", "dataset": "s3://acme-data-a/fraud/validation/",
     "dataset_writers": [UPLOADER]},
]


@pytest.mark.parametrize("order", ["notifications-first", "identities-first"])
def test_notification_writers_resolve_by_principal_id_whatever_the_load_order(store, tmp_path, order):
    notifications, identities = MOVES / "notifications-writers.json", MOVES / "writer-identities.json"
    paths = [notifications, identities] if order == "notifications-first" else [identities, notifications]
    _load(store, tmp_path, [_chain_without_writes(tmp_path), *paths])
    assert ask(store, "model-lineage", {"model": "FraudModel"}) == [{"model": MODEL, **r} for r in WRITER_ROWS]
    assert ask(store, "endpoint-lineage", {"endpoint": "Fraud-Endpoint"}) == [
        {"endpoint": ENDPOINT, "model": MODEL, **r} for r in WRITER_ROWS] + [
        {"endpoint": ENDPOINT, "model": MODEL_V2, "training_job": None, "channel": None, "dataset": None,
         "dataset_writers": []}]


def test_a_writer_no_evidence_names_is_unresolved_not_dropped(store, tmp_path):
    _load(store, tmp_path, [_chain_without_writes(tmp_path), MOVES / "notifications-writers.json"])
    rows = ask(store, "model-lineage", {"model": "FraudModel"})
    assert [r["dataset_writers"] for r in rows] == [
        ["unresolved:AROAEXAMPLEGHOST:ghost-session", "unresolved:AROAEXAMPLEWRITER:writer-session"],
        ["unresolved:AIDAEXAMPLEUPLOADER"]]


# --- copies -------------------------------------------------------------------------------------------

C = "444455556666"
CHURN = f"arn:aws:sagemaker:eu-west-1:{C}:training-job/customer-churn"
COPIER = f"arn:aws:iam::{C}:role/Copier"
SOURCE = "arn:aws:s3:::acme-raw/customers/2024.csv"


def test_copy_records_link_the_copy_to_its_source_with_the_copier_and_the_directive():
    records = json.loads((MOVES / "copies.json").read_text())["Records"]
    found = {}
    for record in records[1:5]:
        delta = cloudtrail.parse(record)
        found[record["eventName"] + ":" + record["requestParameters"]["key"]] = sorted(
            (e.type, e.src, e.dst, tuple(e.props.get("tagging_directives", ()))) for e in delta.edges
            if e.type in ("READ", "WROTE", "COPIED_FROM"))
    copy = "arn:aws:s3:::acme-train/"
    assert found == {
        "CopyObject:copies/customers.csv": [
            ("COPIED_FROM", copy + "copies/customers.csv", SOURCE, ("COPY",)),
            ("READ", COPIER, SOURCE, ()), ("WROTE", COPIER, copy + "copies/customers.csv", ())],
        "CopyObject:replaced/customers.csv": [
            ("COPIED_FROM", copy + "replaced/customers.csv", SOURCE, ("REPLACE",)),
            ("READ", COPIER, SOURCE, ()), ("WROTE", COPIER, copy + "replaced/customers.csv", ())],
        "CopyObject:relabelled/readme.csv": [
            ("COPIED_FROM", copy + "relabelled/readme.csv", "arn:aws:s3:::acme-raw/public/readme.csv", ("REPLACE",)),
            ("READ", COPIER, "arn:aws:s3:::acme-raw/public/readme.csv", ()),
            ("WROTE", COPIER, copy + "relabelled/readme.csv", ())],
        "UploadPartCopy:parts/customers.csv": [  # the source's versionId is not part of its key
            ("COPIED_FROM", copy + "parts/customers.csv", SOURCE, ("PART",)),
            ("READ", COPIER, SOURCE, ()), ("WROTE", COPIER, copy + "parts/customers.csv", ())],
    }
    tags = {n.key: n.props["tags"] for r in records[2:4] for n in cloudtrail.parse(r).nodes if "tags" in n.props}
    assert tags == {copy + "replaced/customers.csv": [],  # REPLACE without x-amz-tagging: an untagged copy
                    copy + "relabelled/readme.csv": ["classification=personal", "team=ml"]}


COPY_CLASSES = [
    {"dataset": "s3://acme-train/copies/", "classification": ["personal"],
     "why": [f"object-tag:arn:aws:s3:::acme-train/copies/customers.csv (copy of {SOURCE}):pii=true"]},
    {"dataset": "s3://acme-train/parts/", "classification": ["personal"],
     "why": [f"object-tag:arn:aws:s3:::acme-train/parts/customers.csv (copy of {SOURCE}):pii=true"]},
    {"dataset": "s3://acme-train/relabelled/", "classification": ["personal"],
     "why": ["object-tag:arn:aws:s3:::acme-train/relabelled/readme.csv:classification=personal"]},
]  # replaced/ is absent: a REPLACE copy whose request gave no tags carries no classification


@pytest.mark.parametrize("split", ["one-file", "copies-before-tagging"])
def test_classification_follows_copies_by_tagging_directive(store, tmp_path, split):
    records = json.loads((MOVES / "copies.json").read_text())["Records"]
    if split == "one-file":
        paths = [MOVES / "copies.json"]
    else:  # the source is tagged in a file loaded after the copies
        paths = [write_json(tmp_path / "a.json", {"Records": records[1:]}),
                 write_json(tmp_path / "b.json", {"Records": records[:1]})]
    _load(store, tmp_path, paths)
    assert classify(store) == COPY_CLASSES
    assert ask(store, "personal-data-in-training") == [
        {"dataset": r["dataset"], "bucket": "acme-train", "classification": ["personal"], "jobs": [CHURN],
         "readers": []} for r in COPY_CLASSES]
