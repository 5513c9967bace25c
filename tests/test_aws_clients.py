"""graphgov.aws.clients: every client's retry mode, attempts and user agent, and the retry counts it reads."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest

from graphgov.aws.clients import client, count_retries, pull_client, retries
from graphgov.aws.session import PullError


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch, tmp_path) -> boto3.Session:
    for name in ("AWS_PROFILE", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1")


def test_standard_retries_six_attempts_and_the_pull_user_agent_by_default(session):
    made = client(session, "s3")
    assert made.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}
    assert made.meta.config.user_agent_extra == "graphgov-pull"
    assert made.meta.region_name == "eu-west-1"


def test_rate_limited_calls_retry_adaptively_in_the_region_asked(session):
    made = client(session, "cloudtrail", "us-east-1", rate_limited=True)
    assert made.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 6}
    assert made.meta.region_name == "us-east-1"


def test_the_callers_and_then_the_users_attempts_win(session, monkeypatch: pytest.MonkeyPatch):
    assert client(session, "s3", max_attempts=3).meta.config.retries["total_max_attempts"] == 3
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    user = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1")
    assert client(user, "sqs").meta.config.retries == {"mode": "standard", "total_max_attempts": 2}


def test_a_client_botocore_cannot_make_is_one_pull_error(session):
    with pytest.raises(PullError, match=r"^cannot create the AWS s3 client: Provided region_name 'not a region'"):
        pull_client(session, "s3", "not a region")


def test_retries_are_read_from_the_answer_and_counted_only_when_there_were_some():
    objects: Counter = Counter()
    count_retries(objects, "retry", {"ResponseMetadata": {"RetryAttempts": 0}})
    count_retries(objects, "retry", {})
    assert objects == Counter()
    count_retries(objects, "retry", {"ResponseMetadata": {"RetryAttempts": 2}})
    count_retries(objects, "retry", {"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"RetryAttempts": 5}})
    assert objects == Counter({"retry": 7}) and retries(None) == 0
