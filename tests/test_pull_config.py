"""`graphgov pull config` against a moto server: trails and their selectors, Bedrock logging, retention, buckets."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from graphgov.aws.pullers.config import AWS_CALLS, event_coverage, pull_config
from graphgov.aws.session import PullError
from graphgov.cli.app import main
from graphgov.stores.embedded import EmbeddedStore

pytest_plugins = ("moto_server",)

ACCOUNT, REGION, OTHER_REGION = "123456789012", "us-east-1", "eu-west-1"
T1 = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)
ORG_TRAIL, AI_TRAIL = (f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/org-trail",
                       f"arn:aws:cloudtrail:{OTHER_REGION}:{ACCOUNT}:trail/ai-data")
LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/bedrock-logging"
AI_SELECTORS = [
    {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                              {"Field": "readOnly", "Equals": ["false"]}]},
    {"Name": "sagemaker", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                             {"Field": "resources.type", "Equals": ["AWS::SageMaker::Endpoint"]}]},
    {"Name": "bedrock", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                           {"Field": "resources.type", "Equals": ["AWS::Bedrock::Model"]},
                                           {"Field": "eventName", "Equals": ["InvokeModel"]}]},
]


@pytest.fixture
def account(moto: str) -> None:
    """Two trails (a multi-Region one logging with basic selectors, a stopped one in eu-west-1 with advanced
    selectors), Bedrock logging in us-east-1 only, two log groups, two buckets."""
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("trail-bkt", "data-bkt"):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_encryption(Bucket="data-bkt", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/data"}}]})
    s3.put_bucket_lifecycle_configuration(Bucket="trail-bkt", LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "AWSLogs/"}, "Expiration": {"Days": 400}},
        {"ID": "short", "Status": "Disabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}},
    ]})
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName="CloudTrail/logs")
    logs.put_retention_policy(logGroupName="CloudTrail/logs", retentionInDays=90)
    logs.create_log_group(logGroupName="bedrock/invocations")
    cloudtrail = boto3.client("cloudtrail", region_name=REGION)
    cloudtrail.create_trail(Name="org-trail", S3BucketName="trail-bkt", IsMultiRegionTrail=True,
                            CloudWatchLogsLogGroupArn=f"{LOGS}:CloudTrail/logs:*",
                            CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/trail-logs")
    cloudtrail.put_event_selectors(TrailName="org-trail", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data-bkt/"]}]}])
    cloudtrail.start_logging(Name="org-trail")
    other = boto3.client("cloudtrail", region_name=OTHER_REGION)
    other.create_trail(Name="ai-data", S3BucketName="trail-bkt")
    other.put_event_selectors(TrailName="ai-data", AdvancedEventSelectors=AI_SELECTORS)
    boto3.client("bedrock", region_name=REGION).put_model_invocation_logging_configuration(loggingConfig={
        "cloudWatchConfig": {"logGroupName": "bedrock/invocations", "roleArn": ROLE},
        "s3Config": {"bucketName": "data-bkt", "keyPrefix": "invocations/"}, "textDataDeliveryEnabled": True})


def _nodes(store: EmbeddedStore, label: str) -> dict[str, dict[str, Any]]:
    drop = {"labels", "sources", "first_seen", "last_seen"}
    return {key: {k: v for k, v in attrs.items() if k not in drop} for key, attrs in store.scan_nodes(label)}


def _edges(store: EmbeddedStore, edge_type: str) -> set[tuple[str, str]]:
    return {(src[1], dst[1]) for src, dst, _ in store.scan_edges(edge_type)}


def test_snapshot(account, aws_calls: set, tmp_path: Path):
    aws_calls.clear()
    store = EmbeddedStore(tmp_path / "g.json.gz")
    summary = pull_config([(ACCOUNT, boto3.Session(region_name=REGION))], store, tmp_path / "q.jsonl",
                          regions=[REGION, OTHER_REGION], clock=lambda: T1)
    assert aws_calls <= AWS_CALLS
    assert aws_calls == AWS_CALLS - {("sts", "GetCallerIdentity"), ("sts", "AssumeRole"),
                                     ("organizations", "ListAccounts")}
    # the multi-Region trail shows in both Regions and is read once
    assert dict(summary.objects) == {"trail": 2, "bedrock-logging": 2, "log-group": 2, "bucket": 2}
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (8, 8, {}, 0)

    assert _nodes(store, "CloudTrailTrail") == {
        ORG_TRAIL: {
            "arn": ORG_TRAIL, "name": "org-trail", "account_id": ACCOUNT, "home_region": REGION, "is_logging": True,
            "multi_region": True, "organization": False, "global_service_events": True,
            "log_file_validation": False, "s3_bucket": "trail-bkt", "log_group_arn": f"{LOGS}:CloudTrail/logs",
            "selector_mode": "basic", "management_events": True, "management_read_write": "All",
            "data_event_types": ["AWS::S3::Object"], "data_event_types_scoped": ["AWS::S3::Object"]},
        AI_TRAIL: {
            "arn": AI_TRAIL, "name": "ai-data", "account_id": ACCOUNT, "home_region": OTHER_REGION,
            "is_logging": False, "multi_region": False, "organization": False, "global_service_events": True,
            "log_file_validation": False, "s3_bucket": "trail-bkt", "selector_mode": "advanced",
            "management_events": True, "management_read_write": "WriteOnly",
            "data_event_types": ["AWS::Bedrock::Model", "AWS::SageMaker::Endpoint"],
            "data_event_types_scoped": ["AWS::Bedrock::Model"]},
    }
    assert _nodes(store, "LogGroup") == {
        f"{LOGS}:CloudTrail/logs": {"arn": f"{LOGS}:CloudTrail/logs", "name": "CloudTrail/logs",
                                    "account_id": ACCOUNT, "region": REGION, "retention_days": 90,
                                    "never_expires": False},
        f"{LOGS}:bedrock/invocations": {"arn": f"{LOGS}:bedrock/invocations", "name": "bedrock/invocations",
                                        "account_id": ACCOUNT, "region": REGION, "never_expires": True},
    }
    assert _nodes(store, "BedrockLoggingConfig") == {
        f"{ACCOUNT}/{REGION}": {
            "id": f"{ACCOUNT}/{REGION}", "account_id": ACCOUNT, "region": REGION, "enabled": True,
            "cloudwatch_log_group": "bedrock/invocations", "s3_bucket": "data-bkt", "s3_key_prefix": "invocations/",
            "text_data_delivery": True, "image_data_delivery": False, "embedding_data_delivery": False,
            "video_data_delivery": False},
        f"{ACCOUNT}/{OTHER_REGION}": {
            "id": f"{ACCOUNT}/{OTHER_REGION}", "account_id": ACCOUNT, "region": OTHER_REGION, "enabled": False,
            "text_data_delivery": False, "image_data_delivery": False, "embedding_data_delivery": False,
            "video_data_delivery": False},
    }
    buckets = _nodes(store, "S3Bucket")
    assert buckets == {
        "trail-bkt": {"id": "trail-bkt", "name": "trail-bkt", "arn": "arn:aws:s3:::trail-bkt", "account_id": ACCOUNT,
                      "default_encryption": "none", "lifecycle_expires": True, "lifecycle_expiration_days": 400},
        "data-bkt": {"id": "data-bkt", "name": "data-bkt", "arn": "arn:aws:s3:::data-bkt", "account_id": ACCOUNT,
                     "default_encryption": "aws:kms", "encryption_kms_key_ref": "alias/data",
                     "lifecycle_expires": False},
    }
    assert _edges(store, "DELIVERS_TO") == {
        (ORG_TRAIL, "trail-bkt"), (ORG_TRAIL, f"{LOGS}:CloudTrail/logs"), (AI_TRAIL, "trail-bkt"),
        (f"{ACCOUNT}/{REGION}", f"{LOGS}:bedrock/invocations"), (f"{ACCOUNT}/{REGION}", "data-bkt")}
    assert _edges(store, "HAS_TRAIL") == {(ACCOUNT, ORG_TRAIL), (ACCOUNT, AI_TRAIL)}
    assert _edges(store, "HAS_LOG_GROUP") == {(ACCOUNT, f"{LOGS}:CloudTrail/logs"),
                                              (ACCOUNT, f"{LOGS}:bedrock/invocations")}

    # a later pull sees the trail stopped: the same nodes, the new value, a later last_seen
    boto3.client("cloudtrail", region_name=REGION).stop_logging(Name="org-trail")
    later = pull_config([(ACCOUNT, boto3.Session(region_name=REGION))], store, tmp_path / "q.jsonl",
                        regions=[REGION, OTHER_REGION], clock=lambda: T1.replace(day=2))
    assert (later.records, later.loaded) == (8, 8)
    trail = dict(store.scan_nodes("CloudTrailTrail"))[ORG_TRAIL]
    assert (trail["is_logging"], trail["first_seen"], trail["last_seen"]) == (
        False, "2026-02-01T12:00:00Z", "2026-02-02T12:00:00Z")


def test_coverage_of_basic_and_advanced_selectors():
    assert event_coverage({"EventSelectors": [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": False,
                                               "DataResources": [{"Type": "AWS::S3::Object",
                                                                  "Values": ["arn:aws:s3"]}]}]}) == {
        "selector_mode": "basic", "management_events": False, "management_read_write": None,
        "data_event_types": ["AWS::S3::Object"], "data_event_types_scoped": ["AWS::S3::Object"]}
    assert event_coverage({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                               "DataResources": [{"Type": "AWS::S3::Object",
                                                                  "Values": ["arn:aws:s3"]}]}]}) == {
        "selector_mode": "basic", "management_events": True, "management_read_write": "All",
        "data_event_types": ["AWS::S3::Object"], "data_event_types_scoped": []}
    assert event_coverage({"AdvancedEventSelectors": AI_SELECTORS}) == {
        "selector_mode": "advanced", "management_events": True, "management_read_write": "WriteOnly",
        "data_event_types": ["AWS::Bedrock::Model", "AWS::SageMaker::Endpoint"],
        "data_event_types_scoped": ["AWS::Bedrock::Model"]}


def test_denied_reads_are_skipped_and_expired_credentials_stop(account, tmp_path: Path):
    from botocore.awsrequest import AWSResponse

    def fail(code: str, status: int):
        def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            return AWSResponse(None, status, {}, None), {"Error": {"Code": code, "Message": f"injected {code}"},
                                                         "ResponseMetadata": {"HTTPStatusCode": status}}
        return handler

    session = boto3.Session(region_name=REGION)
    session.events.register("before-call.logs.DescribeLogGroups", fail("AccessDeniedException", 400))
    session.events.register("before-call.s3.GetBucketLifecycleConfiguration", fail("InternalError", 500))
    store = EmbeddedStore(tmp_path / "g.json.gz")
    summary = pull_config([(ACCOUNT, session)], store, tmp_path / "q.jsonl", clock=lambda: T1)
    assert dict(summary.objects) == {"trail": 1, "bedrock-logging": 1, "log-group": 1, "bucket": 2}
    assert (summary.loaded, dict(summary.skipped), summary.quarantined) == (
        2, {"access_denied:logs:DescribeLogGroups": 1}, 2)
    assert summary.gaps == [{"action": "logs:DescribeLogGroups", "how": "denied",
                             "resource": f"logs:DescribeLogGroups:{REGION}", "count": 1, "unit": "resource"}]
    # (the failed lifecycle reads, InternalError, are quarantined: failures, not gaps)
    entries = [json.loads(line) for line in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert sorted(e["location"] for e in entries) == ["data-bkt", "trail-bkt"]
    assert entries[0]["error"] == "s3:GetBucketLifecycleConfiguration failed: InternalError: injected InternalError"

    expired = boto3.Session(region_name=REGION)
    expired.events.register("before-call.bedrock.GetModelInvocationLoggingConfiguration",
                            fail("ExpiredTokenException", 400))
    with pytest.raises(PullError) as stopped:
        pull_config([(ACCOUNT, expired)], EmbeddedStore(tmp_path / "h.json.gz"), tmp_path / "q2.jsonl")
    assert str(stopped.value) == ("AWS refused the credentials (ExpiredTokenException) while reading "
                                  "bedrock:GetModelInvocationLoggingConfiguration: injected ExpiredTokenException")


def test_command(account, aws_calls: set, tmp_path: Path):
    aws_calls.clear()
    result = CliRunner().invoke(main, ["pull", "config", "--store", str(tmp_path / "g.json.gz"), "--format", "json",
                                       "--quarantine", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["records"], out["loaded"], out["objects"]) == (
        6, 6, {"bedrock-logging": 1, "bucket": 2, "log-group": 2, "trail": 1})
    assert aws_calls <= AWS_CALLS


def test_command_exits_3_when_a_read_is_denied(account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from botocore.awsrequest import AWSResponse

    def deny(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse(None, 403, {}, None), {"Error": {"Code": "AccessDenied", "Message": "denied"},
                                                  "ResponseMetadata": {"HTTPStatusCode": 403}}

    session = boto3.Session(region_name=REGION)
    session.events.register("before-call.s3.GetBucketEncryption", deny)
    monkeypatch.setattr("graphgov.cli.accounts.aws_session", lambda profile=None: session)
    args = ["pull", "config", "--quarantine", str(tmp_path / "q.jsonl")]
    line = "gap: s3:GetEncryptionConfiguration denied on data-bkt, trail-bkt (2 resources)"
    partial = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "a.json.gz")])
    assert partial.exit_code == 3, partial.output
    assert partial.stderr.splitlines() == [line, "partial pull: 1 gap (exit 3; --allow-partial exits 0)"]
    assert "  skipped      2      access_denied:s3:GetBucketEncryption" in partial.stdout.splitlines()
    allowed = CliRunner().invoke(main, [*args, "--store", str(tmp_path / "b.json.gz"), "--allow-partial"])
    assert (allowed.exit_code, allowed.stderr.splitlines()) == (0, [line])
