"""S3 event notifications in every wrapper, and the datasets their objects fall under."""

from __future__ import annotations

import json

import pytest
from graph_dump import dump
from helpers import FIXTURES, write_json

from graphgov.ingest.pipeline import load_paths
from loaders import s3_notification

NOTIFICATIONS = FIXTURES / "s3-notifications"


def contains_edges(store) -> dict[str, dict]:
    return {e["dst"]: {k: e[k] for k in ("events", "version_ids", "etags", "sequencers")}
            for e in map(json.loads, dump(store)["edges"]) if e["type"] == "CONTAINS"}


def test_raw_notification_decodes_the_form_encoded_key():
    record = json.loads((NOTIFICATIONS / "aws-lambda-go-s3-event.json").read_text())["Records"][0]
    delta = s3_notification.parse(record)
    assert [(n.type, n.key) for n in delta.nodes] == [
        ("S3Bucket", "sourcebucket"), ("S3Object", "arn:aws:s3:::sourcebucket/Happy Face.jpg")]
    assert delta.action_key == "s3obj:C3D13FE58DE4C810:sourcebucket/Happy Face.jpg:created"


def test_every_wrapper_loads_and_redeliveries_are_recognised(store, tmp_path):
    results = {}
    for path in sorted(NOTIFICATIONS.iterdir()):
        summary = load_paths([path], store, tmp_path / "q.jsonl")
        results[path.name] = (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined)
    assert results == {
        # the two library test events are dated 1970-01-01T00:00:00.123Z: no evidence of when, skipped
        "aws-lambda-go-s3-event.json": (1, 0, {"implausible_time": 1}, 0),  # raw
        "datadog-sqs-s3.json": (1, 1, {}, 0),  # in SQS
        "datadog-sqs-sns-s3.json": (1, 0, {"duplicate": 1}, 0),  # SNS in SQS: the same change again
        "powertools-eventbridge-object-created.json": (1, 1, {}, 0),  # EventBridge
        "powertools-s3-event-encoded-key.json": (1, 0, {"implausible_time": 1}, 0),
    }
    assert contains_edges(store) == {
        "arn:aws:s3:::my-bucket/my-key.log": {"events": ["ObjectCreated:Put"], "version_ids": [], "etags": [],
                                              "sequencers": []},
        "arn:aws:s3:::example-bucket/IMG_m7fzo3.jpg": {
            "events": ["Object Created:PutObject"], "version_ids": [], "etags": ["4e68adba0abe2dc8653dc3354e14c01d"],
            "sequencers": ["006408CAD69598B05E"]},
    }


def _training_job(job: str, uri: str, data_type: str = "S3Prefix") -> dict:
    chain = json.loads((FIXTURES / "lineage/cross-account-chain.json").read_text())["Records"]
    record = json.loads(json.dumps(next(r for r in chain if r["eventName"] == "CreateTrainingJob")))
    record["eventID"] = f"9e000000-0000-4000-8000-{sum(map(ord, job)):012d}"
    record["requestParameters"]["trainingJobName"] = job
    record["requestParameters"]["inputDataConfig"] = [
        {"channelName": "train", "dataSource": {"s3DataSource": {"s3DataType": data_type, "s3Uri": uri}}}]
    record["responseElements"] = {}
    return record


def _notification(key: str, request_id: str) -> dict:
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
                         "eventTime": "2024-05-01T10:00:00.000Z", "eventName": "ObjectCreated:Put",
                         "responseElements": {"x-amz-request-id": request_id},
                         "s3": {"bucket": {"name": "acme-data-a"}, "object": {"key": key, "size": 1}}}]}


def in_dataset(store) -> set[tuple[str, str]]:
    return {(e["src"], e["dst"]) for e in map(json.loads, dump(store)["edges"]) if e["type"] == "IN_DATASET"}


@pytest.mark.parametrize("order", ["objects-first", "datasets-first"])
def test_objects_link_to_every_enclosing_dataset_whichever_loads_first(store, tmp_path, order):
    objects = [write_json(tmp_path / f"n{i}.json", _notification(key, f"REQ{i}"))
               for i, key in enumerate(["fraud/train/a.csv", "fraud/train-old/b.csv", "fraud/trainee.csv",
                                        "fraud/validation/c.csv", "other/d.csv"])]
    jobs = write_json(tmp_path / "jobs.json", {"Records": [
        _training_job("Job-A", "s3://acme-data-a/fraud/train"),  # plain prefix: covers train-old/ and trainee
        _training_job("Job-B", "s3://acme-data-a/fraud/train/"),
        _training_job("Job-C", "s3://acme-data-a/fraud/"),
        _training_job("Job-D", "s3://acme-data-a/fraud/train/manifest.json", "ManifestFile"),  # members unknown
    ]})
    paths = [*objects, jobs] if order == "objects-first" else [jobs, *objects]
    for path in paths:
        load_paths([path], store, tmp_path / "q.jsonl")
    obj = "arn:aws:s3:::acme-data-a/"
    assert in_dataset(store) == {
        (obj + "fraud/train/a.csv", "s3://acme-data-a/fraud/train"),
        (obj + "fraud/train/a.csv", "s3://acme-data-a/fraud/train/"),
        (obj + "fraud/train/a.csv", "s3://acme-data-a/fraud/"),
        (obj + "fraud/train-old/b.csv", "s3://acme-data-a/fraud/train"),
        (obj + "fraud/train-old/b.csv", "s3://acme-data-a/fraud/"),
        (obj + "fraud/trainee.csv", "s3://acme-data-a/fraud/train"),
        (obj + "fraud/trainee.csv", "s3://acme-data-a/fraud/"),
        (obj + "fraud/validation/c.csv", "s3://acme-data-a/fraud/"),
    }
