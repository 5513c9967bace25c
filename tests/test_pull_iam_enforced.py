"""A partial pull refused by a real IAM policy: moto's own policy enforcement (server mode,
INITIAL_NO_AUTH_ACTION_COUNT), not a stubbed error, so the gap comes from the answer AWS would give.

The other gap tests stub AccessDenied with botocore event hooks because the shared moto server enforces
no policy (enforcing it would break every other test's unauthenticated setup); this one starts its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto_server import start_moto_server, stop_moto_server

from graphgov.cli.app import main

BUCKET = "logs"
SETUP_CALLS = 7  # create the bucket, 3 objects, the user, its policy, its key: then every call is checked
KEYS = ("fh/2026/01/05/10/a", "fh/2026/01/05/11/b", "fh/2026/01/06/00/c")


def _record(number: int) -> dict:
    return {"version": "0", "id": f"e{number}", "detail-type": "AWS API Call via CloudTrail", "source": "aws.sts",
            "account": "123456789012", "time": "2026-01-05T10:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"eventVersion": "1.08", "eventID": f"00000000-0000-4000-8000-00000000000{number}",
                       "eventTime": "2026-01-05T10:00:00Z", "eventSource": "sts.amazonaws.com",
                       "eventName": "GetCallerIdentity", "awsRegion": "us-east-1",
                       "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/u",
                                        "accountId": "123456789012"}}}


@pytest.fixture
def enforced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A moto server checking IAM policies after the setup calls; the environment holds a user's keys whose
    policy allows S3 and denies s3:GetObject under fh/2026/01/05/."""
    process, url = start_moto_server({"INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)})
    try:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
        admin = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
        s3, iam = admin.client("s3"), admin.client("iam")
        s3.create_bucket(Bucket=BUCKET)
        for number, key in enumerate(KEYS):
            s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(_record(number)).encode())
        iam.create_user(UserName="puller")
        iam.put_user_policy(UserName="puller", PolicyName="read-logs", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:*", "sts:GetCallerIdentity"], "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/fh/2026/01/05/*"}]}))
        key = iam.create_access_key(UserName="puller")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        yield url
    finally:
        stop_moto_server(process)


def test_a_policy_denying_one_day_gives_one_gap_line_and_exit_3(enforced: str, tmp_path: Path):
    args = ["pull", "s3", "--bucket", BUCKET, "--prefix", "fh/", "--layout", "firehose",
            "--quarantine", str(tmp_path / "q.jsonl")]
    line = f"gap: s3:GetObject denied on s3://{BUCKET}/fh/2026/01/05/* (2 objects)"
    partial = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "a.json.gz"), "--format", "json"])
    assert partial.exit_code == 3, partial.output
    assert partial.stderr.splitlines() == [line, "partial pull: 1 gap (exit 3; --allow-partial exits 0)"]
    out = json.loads(partial.stdout)
    assert (out["records"], out["files"], out["skipped"]) == (
        3, 1, {"access_denied:s3:GetObject": 2, "unsupported_event": 1})  # the permitted object's record is read
    allowed = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "b.json.gz"), "--allow-partial"])
    assert (allowed.exit_code, allowed.stderr.splitlines()) == (0, [line])
