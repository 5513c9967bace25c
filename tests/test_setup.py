"""`graphgov setup`: the pullers' IAM policy, and the push path's EventBridge and subscription wiring (moto)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from helpers import FIXTURES

import graphgov
from graphgov.aws.pullers.iam import AWS_CALLS as pull_iam_calls
from graphgov.aws.pullers.iam import pull_iam
from graphgov.aws.pullers.sqs import pull_sqs
from graphgov.aws.session import aws_session, unprefix_local_endpoint
from graphgov.aws.setup_policy import (
    PolicyError,
    declared_calls,
    iam_actions,
    is_read,
    policy_actions,
    policy_document,
    puller_policy,
)
from graphgov.aws.setup_push import CLOUDTRAIL_SOURCES, SetupError, eventbridge_plan, subscription_plan
from graphgov.cli.app import main
from graphgov.stores.embedded import EmbeddedStore

pytest_plugins = ("moto_server",)

ACCOUNT = "123456789012"  # moto's account
REGION = "us-east-1"
RULES = ("graphgov-ai-service-events", "graphgov-s3-object-events", "graphgov-cloudtrail-api-calls")
AI_PATTERN = ('{"detail-type":[{"anything-but":["AWS API Call via CloudTrail"]}],'
              '"source":["aws.bedrock","aws.sagemaker"]}')
S3_PATTERN = ('{"detail":{"bucket":{"name":["data-bkt"]}},"detail-type":["Object Created","Object Deleted"],'
              '"source":["aws.s3"]}')
CT_PATTERN = ('{"detail-type":["AWS API Call via CloudTrail"],"source":["aws.bedrock","aws.comprehend","aws.iam",'
              '"aws.kms","aws.organizations","aws.s3","aws.sagemaker","aws.sts"]}')
DESCRIPTIONS = {
    "graphgov-ai-service-events": "graphgov: SageMaker and Bedrock service events to the graph",
    "graphgov-s3-object-events": "graphgov: S3 objects created and deleted to the graph",
    "graphgov-cloudtrail-api-calls": "graphgov: API calls (read-only ones too) to the graph",
}
PATTERNS = dict(zip(RULES, (AI_PATTERN, S3_PATTERN, CT_PATTERN), strict=True))
STATES = {"graphgov-ai-service-events": "ENABLED", "graphgov-s3-object-events": "ENABLED",
          "graphgov-cloudtrail-api-calls": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"}


def client(service: str, region: str = REGION) -> Any:
    return boto3.Session().client(service, region_name=region)


# --- the policy --------------------------------------------------------------------------------------


def test_every_declared_call_maps_to_an_iam_action():
    calls = declared_calls()
    assert {"graphgov.aws.pullers.sqs", "graphgov.aws.pullers.iam"} <= set(calls)
    unmapped = []
    for module, declared in sorted(calls.items()):
        for service, operation in sorted(declared):
            try:
                iam_actions(service, operation)
            except PolicyError:
                unmapped.append(f"{module}: {service}:{operation}")
    assert unmapped == [], f"calls with no IAM action: {unmapped}"


def test_every_puller_module_is_discovered():
    folder = Path(graphgov.__file__).parent / "pullers"
    expected = {f"graphgov.aws.pullers.{p.stem}" for p in folder.glob("*.py") if not p.stem.startswith("_")}
    assert expected | {"graphgov.aws.pullers.iam"} <= set(declared_calls())


def test_the_only_write_is_sqs_delete_message():
    policy, sources = puller_policy()
    assert {action for action in policy_actions(policy) if not is_read(action)} == {"sqs:DeleteMessage"}
    assert sources["sqs:DeleteMessage"] == ["sqs:DeleteMessageBatch"]
    assert set(sources) == policy_actions(policy)


@pytest.mark.parametrize(("action", "read"), [
    ("s3:GetObject", True), ("s3:ListBucket", True), ("logs:FilterLogEvents", True), ("sqs:ReceiveMessage", True),
    ("cloudtrail:LookupEvents", True), ("kms:Decrypt", True), ("sts:AssumeRole", True),
    ("config:SelectResourceConfig", True), ("sqs:DeleteMessage", False), ("s3:PutObject", False),
    ("events:PutRule", False), ("kms:CreateGrant", False), ("iam:PassRole", False), ("s3:GetObjectAcl", True),
    ("sqs:ChangeMessageVisibility", False), ("s3:RestoreObject", False),
])
def test_reads_are_told_from_writes_by_verb(action, read):
    assert is_read(action) is read


def test_names_that_differ_and_calls_nobody_mapped():
    assert iam_actions("s3", "ListObjectsV2") == ("s3:ListBucket",)
    assert iam_actions("s3control", "GetPublicAccessBlock") == ("s3:GetAccountPublicAccessBlock",)
    assert iam_actions("sqs", "DeleteMessageBatch") == ("sqs:DeleteMessage",)
    assert iam_actions("logs", "FilterLogEvents") == ("logs:FilterLogEvents",)
    assert iam_actions("s3", "GetBucketLifecycleConfiguration") == ("s3:GetLifecycleConfiguration",)
    with pytest.raises(PolicyError, match="no IAM action is mapped for s3:PutObject"):
        iam_actions("s3", "PutObject")
    with pytest.raises(PolicyError, match="no IAM action is mapped for dynamodb:Scan"):
        iam_actions("dynamodb", "Scan")


def test_policy_document_exactly():
    calls = {("s3", "ListObjectsV2"), ("s3", "GetObject"), ("s3control", "GetPublicAccessBlock"),
             ("s3", "GetBucketPolicy"), ("sqs", "ReceiveMessage"), ("sqs", "DeleteMessageBatch"),
             ("logs", "FilterLogEvents"), ("organizations", "ListAccounts"), ("sts", "AssumeRole"),
             ("iam", "GetAccountAuthorizationDetails"), ("kms", "ListKeys"), ("kms", "DescribeKey"),
             ("kms", "GetKeyPolicy"), ("kms", "ListGrants")}
    assert policy_document(calls) == {"Version": "2012-10-17", "Statement": [
        {"Sid": "GraphgovIam", "Effect": "Allow", "Action": ["iam:GetAccountAuthorizationDetails"], "Resource": "*"},
        {"Sid": "GraphgovKms", "Effect": "Allow",
         "Action": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants", "kms:ListKeys"], "Resource": "*"},
        {"Sid": "GraphgovLogs", "Effect": "Allow", "Action": ["logs:FilterLogEvents"], "Resource": "*"},
        {"Sid": "GraphgovOrganizations", "Effect": "Allow", "Action": ["organizations:ListAccounts"],
         "Resource": "*"},
        {"Sid": "GraphgovS3", "Effect": "Allow", "Resource": "*",
         "Action": ["s3:GetAccountPublicAccessBlock", "s3:GetBucketPolicy", "s3:GetObject", "s3:ListBucket"]},
        {"Sid": "GraphgovSqs", "Effect": "Allow", "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
         "Resource": "*"},
        {"Sid": "GraphgovSts", "Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": "*"},
        {"Sid": "GraphgovKmsDecryptViaS3AndSqs", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*",
         "Condition": {"StringLike": {"kms:ViaService": ["s3.*.amazonaws.com", "sqs.*.amazonaws.com"]}}},
    ]}


def test_cli_policy():
    result = CliRunner().invoke(main, ["setup", "policy", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == puller_policy()[0]
    text = CliRunner().invoke(main, ["setup", "policy"])
    assert text.exit_code == 0, text.output
    writes = [line for line in text.output.splitlines() if " WRITE " in line]
    assert len(writes) == 1 and writes[0].startswith("sqs:DeleteMessage ")
    assert writes[0].endswith("WRITE  sqs:DeleteMessageBatch")


def test_what_the_pullers_call_against_moto_is_in_the_printed_policy(moto, aws_calls, tmp_path):
    sqs, s3 = client("sqs"), client("s3")
    s3.create_bucket(Bucket="data-bkt")
    client("kms").create_key(Description="trail logs")
    client("iam").create_user(UserName="alice")
    client("organizations").create_organization(FeatureSet="ALL")  # so the pull reads the tree and its SCPs/RCPs
    s3control = client("s3control")
    s3control.meta.events.register("before-sign.s3-control", unprefix_local_endpoint)
    s3control.create_access_point(AccountId=ACCOUNT, Name="data-ap", Bucket="data-bkt")  # so its policy is asked
    url = sqs.create_queue(QueueName="graphgov-events")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=(FIXTURES / "s3-notifications/aws-lambda-go-s3-event.json").read_text())
    aws_calls.clear()  # the calls above made the account; from here, only the pullers' calls
    store = EmbeddedStore(tmp_path / "g.json.gz")
    pull_iam(aws_session(), store, tmp_path / "q.jsonl")
    assert set(aws_calls) == pull_iam_calls  # every declared call made, and nothing else
    pull_sqs(aws_session(), store, tmp_path / "q.jsonl", url, wait_seconds=0)
    recorded = set(aws_calls)
    result = CliRunner().invoke(main, ["setup", "policy", "--format", "json"])
    assert result.exit_code == 0, result.output
    allowed = policy_actions(json.loads(result.output))
    missing = sorted(f"{s}:{o}" for s, o in recorded if not set(iam_actions(s, o)) <= allowed)
    assert missing == []
    assert ("sqs", "DeleteMessageBatch") in recorded and ("s3control", "GetPublicAccessBlock") in recorded


# --- EventBridge -------------------------------------------------------------------------------------


OTHER_STATEMENT = {"Sid": "S3Notifications", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                   "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:graphgov-events"}


@pytest.fixture
def wired(moto: str) -> dict[str, str]:
    """A queue with a policy of its own, and a bucket already notifying another queue (both must be kept)."""
    sqs, s3 = client("sqs"), client("s3")
    url = sqs.create_queue(QueueName="graphgov-events", Attributes={"Policy": json.dumps(
        {"Version": "2012-10-17", "Statement": [OTHER_STATEMENT]})})["QueueUrl"]
    other = sqs.create_queue(QueueName="other-consumer")["QueueUrl"]
    other_arn = sqs.get_queue_attributes(QueueUrl=other, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="data-bkt")
    s3.put_bucket_notification_configuration(Bucket="data-bkt", NotificationConfiguration={"QueueConfigurations": [
        {"Id": "existing", "QueueArn": other_arn, "Events": ["s3:ObjectCreated:*"]}]})
    return {"url": url, "other_arn": other_arn}


def expected_plan(url: str, other_arn: str) -> list[dict[str, Any]]:
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:graphgov-events"
    rule_arns = [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}" for name in RULES]
    policy = {"Version": "2012-10-17", "Statement": [OTHER_STATEMENT, {
        "Sid": "GraphgovEventBridgeSend", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}}}]}
    return [
        *({"service": "events", "region": REGION, "operation": "PutRule",
           "params": {"Name": name, "EventPattern": PATTERNS[name], "State": STATES[name],
                      "Description": DESCRIPTIONS[name]}} for name in RULES),
        {"service": "sqs", "region": REGION, "operation": "SetQueueAttributes",
         "params": {"QueueUrl": url, "Attributes": {"Policy": json.dumps(policy, sort_keys=True)}}},
        *({"service": "events", "region": REGION, "operation": "PutTargets",
           "params": {"Rule": name, "Targets": [{"Id": "graphgov-queue", "Arn": queue_arn}]}} for name in RULES),
        {"service": "s3", "region": REGION, "operation": "PutBucketNotificationConfiguration",
         "params": {"Bucket": "data-bkt", "NotificationConfiguration": {
             "QueueConfigurations": [{"Id": "existing", "QueueArn": other_arn, "Events": ["s3:ObjectCreated:*"]}],
             "EventBridgeConfiguration": {}}}},
    ]


def test_eventbridge_dry_run_prints_the_exact_calls_and_changes_nothing(wired, aws_calls):
    result = CliRunner().invoke(main, ["setup", "eventbridge", "--queue-url", wired["url"], "--buckets", "data-bkt",
                                       "--dry-run"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == expected_plan(wired["url"], wired["other_arn"])
    assert {op for _, op in aws_calls} == {"GetCallerIdentity", "GetQueueAttributes", "GetBucketLocation",
                                           "GetBucketNotificationConfiguration"}


def test_eventbridge_apply_wires_rules_targets_queue_policy_and_buckets(wired, tmp_path):
    result = CliRunner().invoke(main, ["setup", "eventbridge", "--queue-url", wired["url"], "--buckets", "data-bkt",
                                       "--apply"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        *(["done: events:PutRule in us-east-1"] * 3), "done: sqs:SetQueueAttributes in us-east-1",
        *(["done: events:PutTargets in us-east-1"] * 3), "done: s3:PutBucketNotificationConfiguration in us-east-1"]
    events, sqs, s3 = client("events"), client("sqs"), client("s3")
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:graphgov-events"
    for name in RULES:
        rule = events.describe_rule(Name=name)
        assert (rule["State"], rule["EventPattern"], rule["Description"]) == (
            STATES[name], PATTERNS[name], DESCRIPTIONS[name])
        assert events.list_targets_by_rule(Rule=name)["Targets"] == [{"Id": "graphgov-queue", "Arn": queue_arn}]
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=wired["url"], AttributeNames=["Policy"])
                        ["Attributes"]["Policy"])
    assert policy == json.loads(expected_plan(wired["url"], wired["other_arn"])[3]["params"]["Attributes"]["Policy"])
    # moto keeps EventBridgeConfiguration but does not return it from GetBucketNotificationConfiguration:
    # the kept queue configuration is checked here, the EventBridge delivery by an object's event below.
    config = s3.get_bucket_notification_configuration(Bucket="data-bkt")
    assert config["QueueConfigurations"] == [
        {"Id": "existing", "QueueArn": wired["other_arn"], "Events": ["s3:ObjectCreated:*"]}]

    s3.put_object(Bucket="data-bkt", Key="train/a.csv", Body=b"x")  # S3 -> EventBridge -> rule -> queue
    summary = pull_sqs(aws_session(), EmbeddedStore(tmp_path / "g.json.gz"), tmp_path / "q.jsonl", wired["url"],
                       wait_seconds=0)
    assert (summary.records, summary.loaded, dict(summary.objects)) == (1, 1, {"messages": 1, "deleted": 1})


def test_eventbridge_in_other_regions_forwards_to_the_queue_region(wired):
    role = f"arn:aws:iam::{ACCOUNT}:role/graphgov-forward"
    plan = eventbridge_plan(aws_session(), wired["url"], ["eu-west-1", REGION], forward_role_arn=role)
    assert [(c.region, c.operation, c.params.get("Name") or c.params.get("Rule") or "") for c in plan] == [
        *(("eu-west-1", "PutRule", name) for name in RULES), *((REGION, "PutRule", name) for name in RULES),
        (REGION, "SetQueueAttributes", ""),
        *(("eu-west-1", "PutTargets", name) for name in RULES), *((REGION, "PutTargets", name) for name in RULES)]
    assert plan[7].params["Targets"] == [{"Id": "graphgov-forward", "RoleArn": role,
                                          "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"}]
    assert json.loads(plan[0].params["EventPattern"]) == {"source": ["aws.bedrock", "aws.sagemaker"],
                                                          "detail-type": [{"anything-but": [
                                                              "AWS API Call via CloudTrail"]}]}
    assert json.loads(plan[2].params["EventPattern"])["source"] == list(CLOUDTRAIL_SOURCES)


def test_eventbridge_refusals(wired):
    with pytest.raises(SetupError, match="for eu-west-1 the rules forward to us-east-1's default event bus, "
                                         "which needs --forward-role-arn"):
        eventbridge_plan(aws_session(), wired["url"], ["eu-west-1"])
    client("s3", "eu-west-1").create_bucket(Bucket="eu-bkt",
                                            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(SetupError, match="bucket eu-bkt is in eu-west-1, where no rules are asked for: "
                                         "add --region eu-west-1"):
        eventbridge_plan(aws_session(), wired["url"], buckets=["eu-bkt"])
    result = CliRunner().invoke(main, ["setup", "eventbridge", "--queue-url", wired["url"]])
    assert result.exit_code == 2
    assert "choose one of --dry-run (print the calls) or --apply (make them)" in result.output


# --- subscription filters ----------------------------------------------------------------------------


def test_subscription_to_kinesis_applied(moto):
    kinesis, logs = client("kinesis"), client("logs")
    kinesis.create_stream(StreamName="graphgov-logs", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="graphgov-logs")["StreamDescription"]["StreamARN"]
    for group in ("aws-cloudtrail-logs", "bedrock/invocations"):
        logs.create_log_group(logGroupName=group)
    role = f"arn:aws:iam::{ACCOUNT}:role/cwl-to-kinesis"
    result = CliRunner().invoke(main, ["setup", "subscription", "--log-group", "aws-cloudtrail-logs", "--log-group",
                                       "bedrock/invocations", "--destination-arn", stream, "--role-arn", role,
                                       "--apply"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["done: logs:PutSubscriptionFilter in us-east-1"] * 2
    for group in ("aws-cloudtrail-logs", "bedrock/invocations"):
        [found] = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
        assert {k: found[k] for k in ("logGroupName", "filterName", "filterPattern", "destinationArn", "roleArn")} == {
            "logGroupName": group, "filterName": "graphgov", "filterPattern": "", "destinationArn": stream,
            "roleArn": role}


def test_subscription_to_lambda_dry_run(moto):
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:graphgov-load"
    result = CliRunner().invoke(main, ["setup", "subscription", "--log-group", "bedrock/invocations",
                                       "--destination-arn", function, "--dry-run"])
    assert result.exit_code == 0, result.output
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:bedrock/invocations:*"
    statement = "graphgov-logs-" + hashlib.sha256(group_arn.encode()).hexdigest()[:16]
    assert json.loads(result.output) == [
        {"service": "lambda", "region": REGION, "operation": "AddPermission", "params": {
            "FunctionName": function, "StatementId": statement,
            "Action": "lambda:InvokeFunction", "Principal": "logs.amazonaws.com", "SourceArn": group_arn,
            "SourceAccount": ACCOUNT}},
        {"service": "logs", "region": REGION, "operation": "PutSubscriptionFilter", "params": {
            "logGroupName": "bedrock/invocations", "filterName": "graphgov", "filterPattern": "",
            "destinationArn": function}},
    ]


@pytest.mark.parametrize(("arn", "extra", "message"), [
    (f"arn:aws:sqs:{REGION}:{ACCOUNT}:graphgov-events", [],
     "CloudWatch Logs subscription filters cannot deliver to SQS: use a Lambda function"),
    (f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s", [], "a kinesis destination needs --role-arn"),
    (f"arn:aws:sns:{REGION}:{ACCOUNT}:topic", [], "CloudWatch Logs cannot deliver to arn:aws:sns:"),
    (f"arn:aws:firehose:eu-west-1:{ACCOUNT}:deliverystream/d", ["--region", REGION, "--role-arn", "r"],
     "a subscription filter delivers within its Region"),
])
def test_subscription_refusals(moto, arn, extra, message):
    result = CliRunner().invoke(main, ["setup", "subscription", "--log-group", "g", "--destination-arn", arn,
                                       "--dry-run", *extra])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {message}")


def test_subscription_plan_needs_a_log_group(moto):
    with pytest.raises(SetupError, match="no log group given"):
        subscription_plan(aws_session(), [], f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f")
