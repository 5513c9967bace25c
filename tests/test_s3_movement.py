"""Data that moves in S3, on both stores: writers named only by principal id in notifications, copies,
replication and access points (issue 11, "Lineage"). Fixtures: tests/fixtures/s3-movement (README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import FIXTURES, write_json

from graphgov.pipeline import load_paths
from graphgov.questions import ask

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
