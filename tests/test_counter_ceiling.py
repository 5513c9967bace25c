"""Counters that add up past a signed 64-bit integer stop at its ceiling, on both stores, instead of failing a load.

A CloudTrail record's `bytesTransferredOut` is read as at most 2**63 - 1 (loaders.fields.bytes); three such
records of one principal and object added up to 2.76e19, which Neo4j cannot hold: the driver refused the
chunk's write (`OverflowError: Python int too large to convert to C long`) and the load ended in a
traceback. A sum now stays at the ceiling ("at least this"), the same on both stores.

The records have the fields of an S3 data event ("CloudTrail record contents",
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html;
`additionalEventData.bytesTransferredOut` as in the Amazon S3 User Guide's CloudTrail examples,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-understanding-s3-entries.html), their
byte counts absurd.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import wipe_neo4j

from graphgov.core.delta import INT64
from graphgov.core.merge_rules import add
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from graphgov.stores import open_store
from graphgov.stores.embedded import EmbeddedStore

CEILING = INT64 - 1


def test_add_stops_at_the_ceiling_both_ways_and_leaves_floats_alone() -> None:
    assert add(1, 2) == 3
    assert add(CEILING, 1) == CEILING
    assert add(CEILING - 5, 3) == CEILING - 2
    assert add(CEILING, CEILING) == CEILING
    assert add(-INT64, -1) == -INT64
    assert add(0.5, 1e308) == 1e308 + 0.5


def _absurd_reads(tmp: Path) -> Path:
    """Three GetObject data events of one user on one object, each transferring 9.2e18 bytes."""
    records = [{
        "eventVersion": "1.08", "eventTime": f"2026-01-05T00:0{i}:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.10", "userAgent": "aws-cli",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER", "accountId": "111122223333",
                         "arn": "arn:aws:iam::111122223333:user/yourUserName", "userName": "yourUserName"},
        "requestParameters": {"bucketName": "amzn-s3-demo-bucket", "key": "training/part-0.csv",
                              "Host": "amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com"},
        "responseElements": None,
        "additionalEventData": {"bytesTransferredIn": 0, "bytesTransferredOut": 9.2e18},
        "requestID": f"8E96D972160306F{i}", "eventID": f"ee3b4e0c-ab12-459b-9998-0a5a6f2e40{i:02d}",
        "readOnly": True, "eventType": "AwsApiCall", "managementEvent": False, "eventCategory": "Data",
        "recipientAccountId": "111122223333",
        "resources": [
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::amzn-s3-demo-bucket/training/part-0.csv"},
            {"accountId": "111122223333", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::amzn-s3-demo-bucket"}],
    } for i in range(3)]
    path = tmp / "absurd-bytes.json"
    path.write_text(json.dumps({"Records": records}), encoding="utf-8")
    return path


def _wrote(store: Any) -> list[tuple[int, int]]:
    principal = "arn:aws:iam::111122223333:user/yourUserName"
    return [(row["count"], row["bytes"]) for row in ask(store, "principal-activity", {"principal": principal})
            if row["action"] == "READ"]


@pytest.mark.parametrize("kind", ["embedded", "neo4j"])
def test_byte_counts_past_int64_load_at_the_ceiling(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    source = _absurd_reads(tmp_path)
    if kind == "embedded":
        store = EmbeddedStore(tmp_path / "graph.db")
    else:
        store = open_store(request.getfixturevalue("neo4j_uri"))
        wipe_neo4j(store)
    try:
        summary = load_paths([source], store, tmp_path / "q.jsonl")
        assert (summary.loaded, summary.quarantined) == (3, 0)
        assert _wrote(store) == [(3, CEILING)]
        load_paths([source], store, tmp_path / "q.jsonl")  # read again: its events are seen, nothing is added
        assert _wrote(store) == [(3, CEILING)]
    finally:
        store.close()
