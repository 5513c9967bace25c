"""Test helpers: fixture paths, wrappers built from real records, graph snapshots."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
CLOUDTRAIL = FIXTURES / "cloudtrail"


def fixture_json(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def iam_guide_sts_records() -> list[dict[str, Any]]:
    """The four STS examples of the IAM User Guide: [cross-account requester copy, owner copy, chaining, service]."""
    return fixture_json("cloudtrail/iam-user-guide-sts.json")["Records"]


def kms_guide_record(event_id: str) -> dict[str, Any]:
    for line in (CLOUDTRAIL / "kms-developer-guide.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("eventID") == event_id:
            return record
    raise KeyError(event_id)


def cloudwatch_subscription(records: list[dict[str, Any]], owner: str = "111122223333") -> dict[str, Any]:
    """A Lambda-style `{"awslogs": {"data": base64(gzip(payload))}}` around real CloudTrail records."""
    payload = {
        "messageType": "DATA_MESSAGE", "owner": owner, "logGroup": "CloudTrail/logs",
        "logStream": f"{owner}_CloudTrail_us-east-2", "subscriptionFilters": ["graphgov-test"],
        "logEvents": [
            {"id": str(i), "timestamp": 1405696059000 + i, "message": json.dumps(r)} for i, r in enumerate(records)
        ],
    }
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    return {"awslogs": {"data": data}}


def eventbridge_envelope(record: dict[str, Any]) -> dict[str, Any]:
    """An "AWS API Call via CloudTrail" EventBridge event around a real CloudTrail record."""
    return {
        "version": "0", "id": "6f6b1e4c-0000-4000-8000-000000000001", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + record["eventSource"].split(".")[0], "account": record.get("recipientAccountId", ""),
        "time": record["eventTime"], "region": record["awsRegion"], "resources": [], "detail": record,
    }


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def wipe_neo4j(store: Any) -> None:
    """Empty the test database in batches (relationships first: super-nodes would not fit one transaction)."""
    kwargs = {"database": store.database} if store.database else {}
    with store.driver.session(**kwargs) as session:
        session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
        session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


_PUBLIC_MODEL = "arn:aws:s3:::acme-artifacts-pub/output/churn-train/output/model.tar.gz"
# What public-ai-data answers on tests/fixtures/access/public-data.json (tests/test_access.py), and after a bad
# policy was loaded beside it (tests/test_derivation_reliability.py).
PUBLIC_DATA_ROWS = [
    {"resource": _PUBLIC_MODEL, "resource_type": "S3Object", "bucket": "acme-artifacts-pub", "access": "read",
     "via": [f"acl:{_PUBLIC_MODEL}#AllUsers:READ"]},
    {"resource": "s3://acme-datasets-pub/churn/", "resource_type": "Dataset", "bucket": "acme-datasets-pub",
     "access": "read", "via": ["bucket-policy:acme-datasets-pub#PublicChurn"]},
    {"resource": "s3://acme-datasets-pub/churn/", "resource_type": "Dataset", "bucket": "acme-datasets-pub",
     "access": "write", "via": ["acl:acme-datasets-pub#AllUsers:WRITE"]},
    {"resource": "s3://acme-datasets-pub/internal/", "resource_type": "Dataset", "bucket": "acme-datasets-pub",
     "access": "write", "via": ["acl:acme-datasets-pub#AllUsers:WRITE"]},
]


def read_terminal_until_closed(primary: int) -> bytes:
    """Everything a process wrote to its pseudo-terminal until it closed it (the read fails or ends then)."""
    import os

    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closes with the process
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    return shown
