"""The AI-governance questions end to end, on both stores: inventory, shadow AI, approval of served
models, data capture, CloudTrail coverage and log retention.

Events come from tests/fixtures/governance/ (hand-written CloudTrail records, see the fixtures README);
the logging configuration comes from `graphgov pull config`'s own delta builders fed with answers in the
documented shapes of DescribeTrails, GetTrailStatus, GetEventSelectors, DescribeLogGroups,
GetBucketLifecycleConfiguration and GetModelInvocationLoggingConfiguration.
"""

from __future__ import annotations

import json

from helpers import FIXTURES

from graphgov.aws.pullers.config import bedrock_logging_delta, bucket_delta, log_group_delta, trail_delta
from graphgov.ingest.pipeline import load_deltas, load_paths
from graphgov.questions.catalog import ask
from loaders import cloudtrail

GOVERNANCE = FIXTURES / "governance"
A, OUT, R = "555555555555", "666666666666", "eu-west-1"
SM = f"arn:aws:sagemaker:{R}:{A}"
CHURN, LEGACY, GHOST = f"{SM}:endpoint/churn", f"{SM}:endpoint/legacy-churn", f"{SM}:endpoint/ghost"
PKG = f"{SM}:model-package/churn-models"
PARTNER_PKG = f"arn:aws:sagemaker:{R}:{OUT}:model-package/partner-models/1"
TITAN = f"arn:aws:bedrock:{R}::foundation-model/amazon.titan-text-express-v1"
HAIKU = f"arn:aws:bedrock:{R}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
APP, OUTSIDER = f"arn:aws:iam::{A}:role/AppRole", f"arn:aws:iam::{OUT}:user/side-project"
MAIN_TRAIL = f"arn:aws:cloudtrail:{R}:{A}:trail/main-trail"
AI_TRAIL = f"arn:aws:cloudtrail:{R}:{A}:trail/ai-trail"
OLD_TRAIL = f"arn:aws:cloudtrail:us-east-1:{A}:trail/old-trail"
LOGS = f"arn:aws:logs:{R}:{A}:log-group"
SNAPSHOT_TIME = "2025-03-09T00:00:00Z"


def _load_events(store, tmp_path):
    summary = load_paths([GOVERNANCE], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined) == (23, 22, 0)
    assert summary.skipped == {"trail_still_records_data_events": 1}


def _snapshot_deltas() -> list:
    """Account 555555555555 as `graphgov pull config` would read it: a logging single-Region trail with S3 data
    events, a stopped trail with SageMaker data events, log groups and buckets with short and long retention."""
    main = {"Name": "main-trail", "TrailARN": MAIN_TRAIL, "HomeRegion": R, "S3BucketName": "trail-logs-555",
            "IsMultiRegionTrail": False, "IsOrganizationTrail": False, "IncludeGlobalServiceEvents": True,
            "LogFileValidationEnabled": True, "CloudWatchLogsLogGroupArn": f"{LOGS}:CloudTrail/main:*"}
    main_selectors = {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]}
    ai = {"Name": "ai-trail", "TrailARN": AI_TRAIL, "HomeRegion": R, "S3BucketName": "ai-trail-logs-555",
          "IsMultiRegionTrail": True, "IsOrganizationTrail": False,
          "CloudWatchLogsLogGroupArn": f"{LOGS}:CloudTrail/ai:*"}
    ai_selectors = {"AdvancedEventSelectors": [
        {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"Name": "sagemaker", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                                 {"Field": "resources.type", "Equals": ["AWS::SageMaker::Endpoint"]}]},
    ]}
    groups = [{"logGroupName": "CloudTrail/main", "retentionInDays": 365},
              {"logGroupName": "CloudTrail/ai", "retentionInDays": 30},
              {"logGroupName": "/aws/bedrock/invocations", "retentionInDays": 90},
              {"logGroupName": "/aws/bedrock/archive"},  # never expires
              {"logGroupName": "app/debug", "retentionInDays": 7}]  # no AI or trail logs: not judged
    expire = lambda days: [{"ID": "expire", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": days}}]  # noqa: E731
    return [
        trail_delta(main, {"IsLogging": True}, main_selectors, A, SNAPSHOT_TIME),
        trail_delta(ai, {"IsLogging": False}, ai_selectors, A, SNAPSHOT_TIME),
        *(log_group_delta(g, A, R, "aws", SNAPSHOT_TIME) for g in groups),
        bucket_delta("trail-logs-555", None, expire(90), A, "aws", SNAPSHOT_TIME),
        bucket_delta("ai-trail-logs-555", None, expire(400), A, "aws", SNAPSHOT_TIME),
        bucket_delta("invocation-logs-555", None, expire(30), A, "aws", SNAPSHOT_TIME),
        bedrock_logging_delta({"loggingConfig": {
            "cloudWatchConfig": {"logGroupName": "/aws/bedrock/invocations",
                                 "roleArn": f"arn:aws:iam::{A}:role/BedrockLogging"},
            "s3Config": {"bucketName": "invocation-logs-555"}, "textDataDeliveryEnabled": True}},
            A, R, "aws", SNAPSHOT_TIME),
    ]


def _load_all(store, tmp_path):
    _load_events(store, tmp_path)
    summary = load_deltas(_snapshot_deltas(), store, tmp_path / "q2.jsonl")
    assert (summary.loaded, summary.quarantined) == (11, 0)


def test_trail_change_records_become_changed_trail_edges():
    raw = json.loads((GOVERNANCE / "trail-changes.json").read_text())["Records"]
    delta = cloudtrail.parse(raw[0])
    assert [(e.type, e.src, e.dst, e.operation) for e in delta.edges if e.type == "CHANGED_TRAIL"] == [
        ("CHANGED_TRAIL", f"arn:aws:iam::{A}:role/Admin", MAIN_TRAIL, "StopLogging")]
    trail = next(n for n in delta.nodes if n.type == "CloudTrailTrail")
    assert trail.props == {"arn": MAIN_TRAIL, "name": "main-trail", "account_id": A, "home_region": R}


def test_ai_inventory(store, tmp_path):
    _load_events(store, tmp_path)
    rows = ask(store, "ai-inventory")
    got = [(r["resource"], r["kind"], r["account"], r["region"], r["first_seen"], r["last_seen"]) for r in rows]
    assert got == [
        (TITAN, "bedrock-foundation-model", None, R, "2025-03-07T09:00:00Z", "2025-03-07T09:00:00Z"),
        (HAIKU, "bedrock-foundation-model", None, R, "2025-03-07T09:05:00Z", "2025-03-07T09:10:00Z"),
        (CHURN, "sagemaker-endpoint", A, R, "2025-03-05T11:00:00Z", "2025-03-06T11:00:00Z"),
        (GHOST, "sagemaker-endpoint", A, R, "2025-03-05T11:10:00Z", "2025-03-05T11:10:00Z"),
        (LEGACY, "sagemaker-endpoint", A, R, "2025-03-05T11:05:00Z", "2025-03-05T11:05:00Z"),
        (f"{PKG}/1", "sagemaker-model-package", A, R, "2025-03-02T09:00:00Z", "2025-03-05T09:00:00Z"),
        (f"{PKG}/2", "sagemaker-model-package", A, R, "2025-03-04T09:00:00Z", "2025-03-05T09:01:00Z"),
        (f"{PKG}/3", "sagemaker-model-package", A, R, "2025-03-04T09:30:00Z", "2025-03-05T09:03:00Z"),
        (f"{SM}:model/churn-adhoc", "sagemaker-model", A, R, "2025-03-05T09:02:00Z", "2025-03-05T10:01:00Z"),
        (f"{SM}:model/churn-candidate", "sagemaker-model", A, R, "2025-03-05T09:03:00Z", "2025-03-05T10:01:00Z"),
        (f"{SM}:model/churn-new", "sagemaker-model", A, R, "2025-03-05T09:01:00Z", "2025-03-05T10:01:00Z"),
        (f"{SM}:model/churn-old", "sagemaker-model", A, R, "2025-03-05T09:00:00Z", "2025-03-05T10:00:00Z"),
        (f"{SM}:model/churn-partner", "sagemaker-model", A, R, "2025-03-05T09:04:00Z", "2025-03-05T10:01:00Z"),
        # a package named by another account's ARN belongs to that account, whoever references it
        (PARTNER_PKG, "sagemaker-model-package", OUT, R, "2025-03-05T09:04:00Z", "2025-03-05T09:04:00Z"),
    ]


def test_ai_inventory_lists_bedrock_kinds_and_foundation_models_in_use(store, tmp_path):
    load_paths([FIXTURES / "lineage" / "bedrock-platform.json", FIXTURES / "lineage" / "bedrock-knowledge-base.json"],
               store, tmp_path / "q.jsonl")
    bedrock, custom = "arn:aws:bedrock:us-east-1", "arn:aws:bedrock:us-east-1:222222222222:custom-model"
    assert [(r["resource"], r["kind"], r["account"]) for r in ask(store, "ai-inventory")] == [
        ("arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
         "bedrock-foundation-model", None),  # invoked
        (f"{custom}/amazon.titan-text-express-v1:0:8k/abcdefghijkl", "bedrock-custom-model", "222222222222"),
        (f"{custom}/amazon.titan-text-express-v1:0:8k/zzzzzzzzzzzz", "bedrock-custom-model", "222222222222"),
        (f"{bedrock}:222222222222:knowledge-base/KBID123456", "bedrock-knowledge-base", "222222222222"),
        (f"{bedrock}:222222222222:provisioned-model/ptabcdef1234", "bedrock-provisioned-model", "222222222222"),
        (f"{bedrock}::foundation-model/amazon.titan-embed-text-v2:0", "bedrock-foundation-model", None),  # embeds
        (f"{bedrock}::foundation-model/amazon.titan-text-express-v1:0:8k", "bedrock-foundation-model", None),  # base
        (f"{bedrock}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", "bedrock-foundation-model", None),
    ]


def test_shadow_ai_estate_from_own_create_calls(store, tmp_path):
    _load_events(store, tmp_path)
    assert ask(store, "shadow-ai") == [
        {"account": OUT, "principal": OUTSIDER, "model": HAIKU, "profile": None, "kind": "foundation-model",
         "invocations": 1,
         "reason": "account-outside-estate"}]


def test_shadow_ai_with_known_accounts_and_allow_list(store, tmp_path):
    _load_events(store, tmp_path)
    rows = ask(store, "shadow-ai", {"known_accounts": f" {A} , {OUT}", "allowed_models": "amazon.titan,meta."})
    assert rows == [
        {"account": A, "principal": APP, "model": HAIKU, "profile": None, "kind": "foundation-model",
         "invocations": 1,
         "reason": "model-not-allowed"},
        {"account": OUT, "principal": OUTSIDER, "model": HAIKU, "profile": None, "kind": "foundation-model",
         "invocations": 1,
         "reason": "model-not-allowed"},
    ]
    both = ask(store, "shadow-ai", {"known_accounts": A, "allowed_models": "anthropic."})
    assert [(r["principal"], r["model"], r["reason"]) for r in both] == [
        (APP, TITAN, "model-not-allowed"), (OUTSIDER, HAIKU, "account-outside-estate")]
    assert ask(store, "shadow-ai", {"known_accounts": f"{A},{OUT}", "allowed_models": "amazon.,anthropic."}) == []


def test_models_without_approved_package(store, tmp_path):
    _load_events(store, tmp_path)
    assert ask(store, "models-without-approved-package") == [
        # churn-new (package 2, Approved at creation) is served too and passes
        {"endpoint": CHURN, "model": f"{SM}:model/churn-adhoc", "account": A, "package": None,
         "package_account": None, "package_status": "none"},
        {"endpoint": CHURN, "model": f"{SM}:model/churn-candidate", "account": A, "package": f"{PKG}/3",
         "package_account": A, "package_status": "pending"},  # created with no status: PendingManualApproval
        {"endpoint": CHURN, "model": f"{SM}:model/churn-partner", "account": A, "package": PARTNER_PKG,
         "package_account": OUT, "package_status": "not-evidenced"},
        # package 1: pending, approved, then rejected; the last one is in force
        {"endpoint": LEGACY, "model": f"{SM}:model/churn-old", "account": A, "package": f"{PKG}/1",
         "package_account": A, "package_status": "rejected"},
    ]


def test_endpoints_without_data_capture(store, tmp_path):
    _load_events(store, tmp_path)
    # churn moved from the capturing configuration to one without; legacy-churn still captures
    assert ask(store, "endpoints-without-data-capture") == [
        {"endpoint": CHURN, "account": A, "region": R, "config": f"{SM}:endpoint-config/churn-nocapture",
         "data_capture": "off", "since": "2025-03-06T11:00:00Z", "until": None},
        {"endpoint": GHOST, "account": A, "region": R, "config": f"{SM}:endpoint-config/ghost-config",
         "data_capture": "not-evidenced", "since": "2025-03-05T11:10:00Z", "until": None},
    ]


def test_logging_coverage_without_a_snapshot_reports_every_place(store, tmp_path):
    _load_events(store, tmp_path)
    assert [(r["account"], r["region"], r["gap"]) for r in ask(store, "logging-coverage")] == [
        (A, R, "no-logging-trail"), (A, R, "trail-changed:PutEventSelectors"), (A, R, "trail-changed:StopLogging"),
        (A, "us-east-1", "no-logging-trail"), (A, "us-east-1", "trail-changed:DeleteTrail"),
        (OUT, R, "no-logging-trail"),
    ]


def test_logging_coverage_with_the_snapshot(store, tmp_path):
    _load_all(store, tmp_path)
    assert ask(store, "logging-coverage") == [
        {"account": A, "region": R, "gap": "no-ai-data-events", "trails": [MAIN_TRAIL]},
        {"account": A, "region": R, "gap": "trail-changed:PutEventSelectors", "trails": [MAIN_TRAIL]},
        {"account": A, "region": R, "gap": "trail-changed:StopLogging", "trails": [MAIN_TRAIL]},
        {"account": A, "region": R, "gap": "trail-not-logging", "trails": [AI_TRAIL]},
        # the deleted trail's Region: the only trail there is single-Region elsewhere
        {"account": A, "region": "us-east-1", "gap": "no-logging-trail", "trails": []},
        {"account": A, "region": "us-east-1", "gap": "trail-changed:DeleteTrail", "trails": [OLD_TRAIL]},
        {"account": OUT, "region": R, "gap": "no-logging-trail", "trails": []},  # not an organization trail
    ]


def test_a_write_only_trail_leaves_ai_read_calls_unrecorded(store, tmp_path):
    """Comprehend and Rekognition analysis calls are read-only management events (their CloudTrail pages)."""
    _load_events(store, tmp_path)
    org = {"Name": "org", "TrailARN": f"arn:aws:cloudtrail:us-east-1:{A}:trail/org", "HomeRegion": "us-east-1",
           "S3BucketName": "org-logs", "IsMultiRegionTrail": True, "IsOrganizationTrail": True}
    write_only = {"AdvancedEventSelectors": [
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["false"]}]},
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object", "AWS::Bedrock::Model"]}]}]}
    load_deltas([trail_delta(org, {"IsLogging": True}, write_only, A, SNAPSHOT_TIME)], store, tmp_path / "q2.jsonl")
    assert [(r["account"], r["region"], r["gap"]) for r in ask(store, "logging-coverage")
            if not r["gap"].startswith("trail-changed")] == [
        (A, R, "no-ai-read-events"), (A, "us-east-1", "no-ai-read-events"), (OUT, R, "no-ai-read-events")]


def test_short_log_retention(store, tmp_path):
    _load_all(store, tmp_path)
    assert ask(store, "short-log-retention") == [
        {"resource": f"{LOGS}:/aws/bedrock/invocations", "resource_type": "log-group", "account": A,
         "retention_days": 90, "delivered_by": [f"{A}/{R}"]},
        {"resource": f"{LOGS}:CloudTrail/ai", "resource_type": "log-group", "account": A, "retention_days": 30,
         "delivered_by": [AI_TRAIL]},
        {"resource": "arn:aws:s3:::invocation-logs-555", "resource_type": "bucket", "account": A,
         "retention_days": 30, "delivered_by": [f"{A}/{R}"]},
        {"resource": "arn:aws:s3:::trail-logs-555", "resource_type": "bucket", "account": A, "retention_days": 90,
         "delivered_by": [MAIN_TRAIL]},
    ]


def test_questions_pass_on_a_clean_estate(store, tmp_path):
    """An organization multi-Region trail with S3 and AI data events covers every account; retention long."""
    _load_events(store, tmp_path)
    org = {"Name": "org", "TrailARN": f"arn:aws:cloudtrail:us-east-1:{A}:trail/org", "HomeRegion": "us-east-1",
           "S3BucketName": "org-logs", "IsMultiRegionTrail": True, "IsOrganizationTrail": True}
    selectors = {"AdvancedEventSelectors": [
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object", "AWS::Bedrock::Model"]}]}]}
    load_deltas([trail_delta(org, {"IsLogging": True}, selectors, A, SNAPSHOT_TIME),
                 bucket_delta("org-logs", None, [], A, "aws", SNAPSHOT_TIME)], store, tmp_path / "q2.jsonl")
    assert [r["gap"] for r in ask(store, "logging-coverage")] == [
        "trail-changed:PutEventSelectors", "trail-changed:StopLogging", "trail-changed:DeleteTrail"]
    assert ask(store, "short-log-retention") == []
