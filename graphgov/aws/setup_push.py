"""`graphgov setup eventbridge` and `graphgov setup subscription`: the wiring of the push path, as API calls.

A plan is the list of write calls that wire one path, each with its service, Region and exact
parameters; `--dry-run` prints it, `--apply` makes the calls in order. Building a plan only reads
(the caller's account, the queue's current policy, each bucket's Region and notification configuration),
so the printed plan is exactly what `--apply` would send, and existing configuration is kept.

EventBridge (per Region asked for): three rules, `graphgov-ai-service-events` (SageMaker and Bedrock
service events), `graphgov-s3-object-events` (S3 Object Created/Deleted, for the buckets given) and
`graphgov-cloudtrail-api-calls` ("AWS API Call via CloudTrail" from the services the CloudTrail loader
models). The last one is in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: plain ENABLED drops
read-only management events such as AssumeRole and KMS Decrypt, which the access graph needs. In the
queue's Region the rules target the queue; EventBridge delivers to an SQS queue only in the rule's own
Region, so in any other Region they forward to the queue Region's default event bus (that needs a role
EventBridge can assume to call events:PutEvents: `--forward-role-arn`), where the same rules pick the
events up. The queue policy gets (or has replaced) one statement, Sid GraphgovEventBridgeSend, letting
events.amazonaws.com send from the queue Region's rules (aws:SourceArn); its other statements stay.
Each bucket gets EventBridge delivery switched on (`EventBridgeConfiguration`), its topic, queue and
Lambda notifications kept; a bucket whose Region has no rules is an error (its events would be lost).
A queue encrypted with a customer managed KMS key also needs that key's policy to let
events.amazonaws.com call kms:GenerateDataKey and kms:Decrypt; key policies are not changed here.

Subscription filters (CloudTrail and Bedrock invocation log groups): CloudWatch Logs delivers only to
a Lambda function, a Kinesis data stream, a Firehose stream or a CloudWatch Logs destination (cross
account), in the log group's Region. A Lambda needs a resource policy letting logs.amazonaws.com invoke
it for that log group (lambda:AddPermission, part of the plan); Kinesis and Firehose need a role CloudWatch
Logs assumes (`--role-arn`). An SQS ARN is refused: put graphgov.aws_lambda.handler in front instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from graphgov.aws.clients import client
from graphgov.aws.pullers.sqs import queue_region
from graphgov.aws.session import error_code, error_message

QUEUE_TARGET_ID = "graphgov-queue"
FORWARD_TARGET_ID = "graphgov-forward"
QUEUE_POLICY_SID = "GraphgovEventBridgeSend"
FILTER_NAME = "graphgov"
SETUP_AGENT = "graphgov-setup"  # the user agent of setup's calls, told apart from the pullers' in CloudTrail
# The services whose CloudTrail events loaders.cloudtrail turns into graph facts (Rekognition joins when modelled:
# until then its events would only be counted as skipped).
CLOUDTRAIL_SOURCES = ("aws.bedrock", "aws.comprehend", "aws.iam", "aws.kms", "aws.organizations", "aws.s3",
                      "aws.sagemaker", "aws.sts")
CLOUDTRAIL_RULE_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
SUBSCRIPTION_SERVICES = {"lambda": "function:", "kinesis": "stream/", "firehose": "deliverystream/",
                         "logs": "destination:"}

# What building and applying the plans calls (for the operator's policy; the pullers never call these).
SETUP_CALLS: frozenset[tuple[str, str]] = frozenset({
    ("sts", "GetCallerIdentity"), ("sqs", "GetQueueAttributes"), ("sqs", "SetQueueAttributes"),
    ("events", "PutRule"), ("events", "PutTargets"), ("s3", "GetBucketLocation"),
    ("s3", "GetBucketNotificationConfiguration"), ("s3", "PutBucketNotificationConfiguration"),
    ("logs", "PutSubscriptionFilter"), ("lambda", "AddPermission"),
})


class SetupError(Exception):
    """The wiring asked for cannot be made (a destination AWS does not allow, a missing role...)."""


@dataclass(frozen=True)
class Call:
    """One write call of a plan."""

    service: str
    region: str
    operation: str
    params: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "region": self.region, "operation": self.operation,
                "params": dict(self.params)}


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    pattern: dict[str, Any]
    state: str = "ENABLED"




def _read(session: boto3.Session, service: str, region: str | None, operation: str, **params: Any) -> dict:
    try:
        response = getattr(client(session, service, region, user_agent=SETUP_AGENT), xform_name(operation))(**params)
    except ClientError as exc:
        raise SetupError(f"{service}:{operation} failed: {error_code(exc) or 'error'}: "
                         f"{error_message(exc)}") from None
    except BotoCoreError as exc:
        raise SetupError(f"cannot reach AWS ({service}:{operation}): {exc}") from None
    response.pop("ResponseMetadata", None)
    return response


def _caller(session: boto3.Session, region: str) -> tuple[str, str]:
    identity = _read(session, "sts", region, "GetCallerIdentity")
    return identity["Account"], identity["Arn"].split(":")[1]


def _pattern(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# --- EventBridge -------------------------------------------------------------------------------------


def eventbridge_rules(buckets: Sequence[str] = ()) -> list[Rule]:
    """The three rules; the S3 one limited to `buckets` when some are given."""
    s3_pattern: dict[str, Any] = {"source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"]}
    if buckets:
        s3_pattern["detail"] = {"bucket": {"name": sorted(buckets)}}
    return [
        Rule("graphgov-ai-service-events", "graphgov: SageMaker and Bedrock service events to the graph",
             {"source": ["aws.bedrock", "aws.sagemaker"],
              "detail-type": [{"anything-but": ["AWS API Call via CloudTrail"]}]}),
        Rule("graphgov-s3-object-events", "graphgov: S3 objects created and deleted to the graph", s3_pattern),
        Rule("graphgov-cloudtrail-api-calls", "graphgov: API calls (read-only ones too) to the graph",
             {"source": list(CLOUDTRAIL_SOURCES), "detail-type": ["AWS API Call via CloudTrail"]},
             CLOUDTRAIL_RULE_STATE),
    ]


def _queue_place(session: boto3.Session, queue_url: str, partition: str) -> tuple[str, str]:
    """(Region, ARN) of a queue URL `https://sqs.<region>.amazonaws.com/<account>/<name>`."""
    parts = [p for p in urlsplit(queue_url).path.split("/") if p]
    if len(parts) != 2 or not parts[0].isdigit():
        raise SetupError(f"not an SQS queue URL (…/<account>/<queue name>): {queue_url}")
    region = queue_region(queue_url) or session.region_name
    if not region:
        raise SetupError("no AWS region for the queue: use its full URL or set AWS_REGION (or --region)")
    return region, f"arn:{partition}:sqs:{region}:{parts[0]}:{parts[1]}"


def queue_policy(current: str | None, queue_arn: str, rule_arns: Sequence[str]) -> dict[str, Any]:
    """The queue's policy with graphgov's statement added or replaced, every other statement kept."""
    policy = json.loads(current) if current else {"Version": "2012-10-17", "Statement": []}
    statements = policy.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    kept = [s for s in statements if s.get("Sid") != QUEUE_POLICY_SID]
    kept.append({"Sid": QUEUE_POLICY_SID, "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                 "Action": "sqs:SendMessage", "Resource": queue_arn,
                 "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}}})
    return {**policy, "Statement": kept}


def _bucket_region(session: boto3.Session, bucket: str) -> str:
    location = _read(session, "s3", None, "GetBucketLocation", Bucket=bucket).get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)


def eventbridge_plan(session: boto3.Session, queue_url: str, regions: Sequence[str] = (),
                     buckets: Sequence[str] = (), forward_role_arn: str | None = None) -> list[Call]:
    """The calls that send AI-service, S3 object and CloudTrail API-call events of `regions` to the queue."""
    probe_region = queue_region(queue_url) or session.region_name or (regions[0] if regions else None)
    if not probe_region:
        raise SetupError("no AWS region: pass --region or set AWS_REGION (or a profile's region)")
    account, partition = _caller(session, probe_region)
    home, queue_arn = _queue_place(session, queue_url, partition)
    regions = list(dict.fromkeys(regions)) or [home]
    away = [r for r in regions if r != home]
    if away and not forward_role_arn:
        raise SetupError(f"EventBridge sends to an SQS queue only in the rule's own Region ({home}); for "
                         f"{', '.join(away)} the rules forward to {home}'s default event bus, which needs "
                         "--forward-role-arn (a role events.amazonaws.com may assume, allowed events:PutEvents)")
    if home not in regions:
        regions.append(home)  # the forwarded events are sent on to the queue by the rules of its own Region
    rules = eventbridge_rules(buckets)
    rule_arn = {(r, rule.name): f"arn:{partition}:events:{r}:{account}:rule/{rule.name}"
                for r in regions for rule in rules}
    calls = [Call("events", region, "PutRule", {"Name": rule.name, "EventPattern": _pattern(rule.pattern),
                                                "State": rule.state, "Description": rule.description})
             for region in regions for rule in rules]
    current = _read(session, "sqs", home, "GetQueueAttributes", QueueUrl=queue_url,
                    AttributeNames=["Policy"]).get("Attributes", {}).get("Policy")
    policy = queue_policy(current, queue_arn, [rule_arn[(home, rule.name)] for rule in rules])
    calls.append(Call("sqs", home, "SetQueueAttributes",
                      {"QueueUrl": queue_url, "Attributes": {"Policy": json.dumps(policy, sort_keys=True)}}))
    for region in regions:
        if region == home:
            target = {"Id": QUEUE_TARGET_ID, "Arn": queue_arn}
        else:
            target = {"Id": FORWARD_TARGET_ID, "Arn": f"arn:{partition}:events:{home}:{account}:event-bus/default",
                      "RoleArn": forward_role_arn}
        calls.extend(Call("events", region, "PutTargets", {"Rule": rule.name, "Targets": [target]}) for rule in rules)
    for bucket in buckets:
        region = _bucket_region(session, bucket)
        if region not in regions:
            raise SetupError(f"bucket {bucket} is in {region}, where no rules are asked for: add --region {region}")
        config = _read(session, "s3", region, "GetBucketNotificationConfiguration", Bucket=bucket)
        if "EventBridgeConfiguration" in config:
            continue  # already on
        calls.append(Call("s3", region, "PutBucketNotificationConfiguration",
                          {"Bucket": bucket, "NotificationConfiguration": {**config, "EventBridgeConfiguration": {}}}))
    return calls


# --- subscription filters ----------------------------------------------------------------------------


def subscription_plan(session: boto3.Session, log_groups: Sequence[str], destination_arn: str,
                      region: str | None = None, role_arn: str | None = None,
                      filter_pattern: str = "") -> list[Call]:
    """The calls that subscribe each log group to a destination CloudWatch Logs can deliver to."""
    parts = destination_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise SetupError(f"not an ARN: {destination_arn}")
    _, partition, service, dest_region, _dest_account, resource = parts
    if service == "sqs":
        raise SetupError("CloudWatch Logs subscription filters cannot deliver to SQS: use a Lambda function "
                         "(graphgov.aws_lambda.handler), a Kinesis data stream, a Firehose stream or a "
                         "CloudWatch Logs destination")
    if service not in SUBSCRIPTION_SERVICES or not resource.startswith(SUBSCRIPTION_SERVICES[service]):
        raise SetupError(f"CloudWatch Logs cannot deliver to {destination_arn}: the destination must be a Lambda "
                         "function, a Kinesis data stream, a Firehose stream or a CloudWatch Logs destination")
    if region and region != dest_region:
        raise SetupError(f"a subscription filter delivers within its Region: {destination_arn} is in {dest_region}, "
                         f"not {region} (use a destination in {region}, or a CloudWatch Logs destination)")
    region = dest_region
    if service in ("kinesis", "firehose") and not role_arn:
        raise SetupError(f"a {service} destination needs --role-arn: a role logs.amazonaws.com may assume "
                         f"to write to {destination_arn}")
    if not log_groups:
        raise SetupError("no log group given (--log-group)")
    account, _ = _caller(session, region)
    calls: list[Call] = []
    for group in dict.fromkeys(log_groups):
        group_arn = f"arn:{partition}:logs:{region}:{account}:log-group:{group}:*"
        if service == "lambda":
            statement = "graphgov-logs-" + hashlib.sha256(group_arn.encode()).hexdigest()[:16]
            calls.append(Call("lambda", region, "AddPermission", {
                "FunctionName": destination_arn, "StatementId": statement, "Action": "lambda:InvokeFunction",
                "Principal": "logs.amazonaws.com", "SourceArn": group_arn, "SourceAccount": account}))
        params: dict[str, Any] = {"logGroupName": group, "filterName": FILTER_NAME, "filterPattern": filter_pattern,
                                  "destinationArn": destination_arn}
        if role_arn and service != "lambda":
            params["roleArn"] = role_arn
        calls.append(Call("logs", region, "PutSubscriptionFilter", params))
    return calls


# --- applying ----------------------------------------------------------------------------------------


def apply_plan(session: boto3.Session, calls: Iterable[Call]) -> list[dict[str, Any]]:
    """Make the calls in order; a Lambda permission that is already there counts as made."""
    done = []
    for call in calls:
        made = client(session, call.service, call.region, user_agent=SETUP_AGENT)
        try:
            getattr(made, xform_name(call.operation))(**call.params)
            outcome = "done"
        except ClientError as exc:
            code = (exc.response.get("Error") or {}).get("Code")
            if call.operation == "AddPermission" and code == "ResourceConflictException":
                outcome = "already there"
            else:
                raise SetupError(f"{call.service}:{call.operation} in {call.region} failed: {code}: "
                                 f"{(exc.response.get('Error') or {}).get('Message') or exc}") from None
        except BotoCoreError as exc:
            raise SetupError(f"cannot reach AWS ({call.service}:{call.operation}): {exc}") from None
        done.append({**call.as_dict(), "outcome": outcome})
    return done
