"""`graphgov pull config`: a snapshot of the logging the evidence depends on, which logs themselves may predate.

What a trail records decides what the graph can know: SageMaker and Bedrock data events exist only in
advanced event selectors, a trail may have stopped logging, a log group or bucket may expire its logs
before an audit asks. So each pull records, per account:

- every trail visible in each Region read (DescribeTrails with shadow trails, each once, asked in its
  home Region): GetTrailStatus `IsLogging`, and GetEventSelectors (basic or advanced) reduced to
  management coverage and the resource types whose data events it records (CloudTrailTrail);
- Bedrock model-invocation logging per Region (GetModelInvocationLoggingConfiguration), onto the same
  BedrockLoggingConfig node the CloudTrail Put/Delete calls name;
- every log group's retention (DescribeLogGroups `retentionInDays`; LogGroup);
- every bucket's default encryption and lifecycle expiration (S3Bucket properties).

One delta per object, keyed by (account, pull time, object) like `pull iam`, timed at the pull: a node's
`last_seen` is the last pull that saw it, its properties the last values read. Properties are merged,
not replaced, so a value that disappears (a lifecycle rule removed) is told by the flag written
beside it (`lifecycle_expires`, `never_expires`, `enabled`). An object whose read fails is skipped
(`access_denied:...`, `gone:...`) or quarantined; refused credentials stop the pull with one line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from graphgov.aws.clients import pull_client
from graphgov.aws.pullers.describe import failed_record
from graphgov.aws.pullers.lookup_events import ACCOUNT_CALLS, pull_error, session_regions
from graphgov.aws.session import Clock, PullError, PullSummary, error_code, iso_time, pull_run, utc_now
from graphgov.core import ids
from graphgov.core.delta import EdgeRow, GraphDelta, NodeRow
from graphgov.ingest.readers import RawRecord
from graphgov.stores.base import Store

SOURCE = "pull:config"
AWS_CALLS: frozenset[tuple[str, str]] = ACCOUNT_CALLS | {
    ("cloudtrail", "DescribeTrails"), ("cloudtrail", "GetTrailStatus"), ("cloudtrail", "GetEventSelectors"),
    ("bedrock", "GetModelInvocationLoggingConfiguration"), ("logs", "DescribeLogGroups"),
    ("s3", "ListBuckets"), ("s3", "GetBucketEncryption"), ("s3", "GetBucketLifecycleConfiguration"),
}
# Basic selectors' values that mean "every resource of the type".
_ALL_OF_TYPE = frozenset({"arn:aws:s3", "arn:aws:s3:::", "arn:aws:lambda", "arn:aws:dynamodb"})
_READ_WRITE = {"All": {"ReadOnly", "WriteOnly"}, "ReadOnly": {"ReadOnly"}, "WriteOnly": {"WriteOnly"}}


# --- the objects as graph rows (pure: API answers in, rows out) -------------------------------------------


def _read_write(kinds: set[str]) -> str | None:
    if kinds >= {"ReadOnly", "WriteOnly"}:
        return "All"
    return next(iter(kinds), None)


def event_coverage(selectors: Mapping[str, Any]) -> dict[str, Any]:
    """What a GetEventSelectors answer records: management events (and which), data event resource types,
    and the types recorded only in part (some resources, some calls, reads or writes only)."""
    management: set[str] = set()
    types: set[str] = set()
    scoped: set[str] = set()
    advanced = selectors.get("AdvancedEventSelectors") or []
    for selector in advanced:
        conditions = {f.get("Field"): f for f in selector.get("FieldSelectors") or () if isinstance(f, Mapping)}
        category = (conditions.get("eventCategory") or {}).get("Equals") or []
        read_only = (conditions.get("readOnly") or {}).get("Equals") or []
        if "Management" in category:
            management |= ({"ReadOnly"} if read_only == ["true"] else {"WriteOnly"} if read_only == ["false"]
                           else {"ReadOnly", "WriteOnly"})
        if "Data" in category:
            resource_types = set((conditions.get("resources.type") or {}).get("Equals") or [])
            types |= resource_types
            if set(conditions) - {"eventCategory", "resources.type"}:
                scoped |= resource_types
    for selector in selectors.get("EventSelectors") or []:
        read_write = _READ_WRITE.get(selector.get("ReadWriteType") or "All", set())
        if selector.get("IncludeManagementEvents", True):
            management |= read_write
        for resource in selector.get("DataResources") or ():
            values = resource.get("Values") or []
            if not values or not resource.get("Type"):
                continue
            types.add(resource["Type"])
            if read_write != _READ_WRITE["All"] or not set(values) <= _ALL_OF_TYPE:
                scoped.add(resource["Type"])
    return {
        "selector_mode": "advanced" if advanced else "basic",
        "management_events": bool(management), "management_read_write": _read_write(management),
        "data_event_types": sorted(types), "data_event_types_scoped": sorted(scoped),
    }


def log_group_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account}:log-group:{name}"


def _log_group_ref(arn: str) -> tuple[str, str]:
    """(key, name) of a log group ARN as CloudTrail and DescribeLogGroups give it (maybe ending `:*`)."""
    key = arn[:-2] if arn.endswith(":*") else arn
    return key, key.split(":log-group:", 1)[1]


def _delta(account: str, time: str, name: str, nodes: list[NodeRow], edges: list[EdgeRow]) -> GraphDelta:
    key = f"pull-config:{account}:{time}:{name}"
    return GraphDelta(SOURCE, key, key, key, time, tuple(nodes), tuple(edges))


def trail_delta(trail: Mapping[str, Any], status: Mapping[str, Any], selectors: Mapping[str, Any],
                account: str, time: str) -> GraphDelta:
    """A trail (DescribeTrails entry, GetTrailStatus, GetEventSelectors) and where it delivers."""
    arn = trail["TrailARN"]
    owner = ids.parse_arn(arn).account
    nodes: list[NodeRow] = []
    edges: list[EdgeRow] = []
    props = {
        "arn": arn, "name": trail.get("Name"), "account_id": owner, "home_region": trail.get("HomeRegion"),
        "is_logging": bool(status.get("IsLogging")), "multi_region": bool(trail.get("IsMultiRegionTrail")),
        "organization": bool(trail.get("IsOrganizationTrail")),
        "global_service_events": bool(trail.get("IncludeGlobalServiceEvents")),
        "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
        "s3_bucket": trail.get("S3BucketName"), "kms_key_ref": trail.get("KmsKeyId"),
        **event_coverage(selectors),
    }
    if trail.get("S3BucketName"):
        bucket = trail["S3BucketName"]
        nodes.append(NodeRow("S3Bucket", bucket, {"id": bucket, "name": bucket,
                                                  "arn": ids.s3_bucket_arn(bucket, ids.parse_arn(arn).partition)}))
        edges.append(EdgeRow("DELIVERS_TO", "CloudTrailTrail", arn, "S3Bucket", bucket))
    if trail.get("CloudWatchLogsLogGroupArn"):
        group, name = _log_group_ref(trail["CloudWatchLogsLogGroupArn"])
        group_arn = ids.parse_arn(group)
        props["log_group_arn"] = group
        nodes.append(NodeRow("LogGroup", group, {"arn": group, "name": name, "account_id": group_arn.account,
                                                 "region": group_arn.region}))
        edges.append(EdgeRow("DELIVERS_TO", "CloudTrailTrail", arn, "LogGroup", group))
    nodes.append(NodeRow("CloudTrailTrail", arn, props))
    nodes.append(NodeRow("AWSAccount", owner, {"id": owner}))
    edges.append(EdgeRow("HAS_TRAIL", "AWSAccount", owner, "CloudTrailTrail", arn))
    return _delta(account, time, f"trail:{arn}", nodes, edges)


def bedrock_logging_delta(answer: Mapping[str, Any], account: str, region: str, partition: str,
                          time: str) -> GraphDelta:
    """GetModelInvocationLoggingConfiguration: whether invocations are logged in the Region, and where."""
    key = f"{account}/{region}"
    config = answer.get("loggingConfig") or {}
    cloudwatch = config.get("cloudWatchConfig") or {}
    s3 = config.get("s3Config") or {}
    group_name, bucket = cloudwatch.get("logGroupName"), s3.get("bucketName")
    props: dict[str, Any] = {
        "id": key, "account_id": account, "region": region, "enabled": bool(group_name or bucket),
        "cloudwatch_log_group": group_name, "s3_bucket": bucket, "s3_key_prefix": s3.get("keyPrefix"),
        **{name: bool(config.get(field)) for name, field in (
            ("text_data_delivery", "textDataDeliveryEnabled"), ("image_data_delivery", "imageDataDeliveryEnabled"),
            ("embedding_data_delivery", "embeddingDataDeliveryEnabled"),
            ("video_data_delivery", "videoDataDeliveryEnabled"))},
    }
    nodes = [NodeRow("BedrockLoggingConfig", key, props), NodeRow("AWSAccount", account, {"id": account})]
    edges = [EdgeRow("RESOURCE", "AWSAccount", account, "BedrockLoggingConfig", key)]
    if group_name:
        group = log_group_arn(partition, region, account, group_name)
        nodes.append(NodeRow("LogGroup", group, {"arn": group, "name": group_name, "account_id": account,
                                                 "region": region}))
        edges.append(EdgeRow("DELIVERS_TO", "BedrockLoggingConfig", key, "LogGroup", group))
    if bucket:
        nodes.append(NodeRow("S3Bucket", bucket, {"id": bucket, "name": bucket,
                                                  "arn": ids.s3_bucket_arn(bucket, partition)}))
        edges.append(EdgeRow("DELIVERS_TO", "BedrockLoggingConfig", key, "S3Bucket", bucket))
    return _delta(account, time, f"bedrock-logging:{region}", nodes, edges)


def log_group_delta(group: Mapping[str, Any], account: str, region: str, partition: str, time: str) -> GraphDelta:
    """A DescribeLogGroups entry: its retention (none set: it never expires) and key."""
    name = group["logGroupName"]
    key = log_group_arn(partition, region, account, name)
    retention = group.get("retentionInDays")
    props = {"arn": key, "name": name, "account_id": account, "region": region,
             "retention_days": retention, "never_expires": retention is None, "kms_key_ref": group.get("kmsKeyId")}
    nodes = [NodeRow("LogGroup", key, props), NodeRow("AWSAccount", account, {"id": account})]
    edges = [EdgeRow("HAS_LOG_GROUP", "AWSAccount", account, "LogGroup", key)]
    return _delta(account, time, f"log-group:{key}", nodes, edges)


def lifecycle_expiration_days(rules: Iterable[Mapping[str, Any]]) -> int | None:
    """The shortest `Expiration.Days` of the enabled lifecycle rules (whatever their filter), None if none."""
    days = [rule["Expiration"]["Days"] for rule in rules
            if rule.get("Status") == "Enabled" and isinstance((rule.get("Expiration") or {}).get("Days"), int)]
    return min(days) if days else None


def bucket_delta(name: str, encryption: Mapping[str, Any] | None, lifecycle: Iterable[Mapping[str, Any]] | None,
                 account: str, partition: str, time: str) -> GraphDelta:
    """A bucket's default encryption (GetBucketEncryption) and expiration (GetBucketLifecycleConfiguration)."""
    rule = next(iter((encryption or {}).get("Rules") or ()), {})
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    expiration = lifecycle_expiration_days(lifecycle or ())
    props = {"id": name, "name": name, "arn": ids.s3_bucket_arn(name, partition), "account_id": account,
             "default_encryption": default.get("SSEAlgorithm") or "none",
             "encryption_kms_key_ref": default.get("KMSMasterKeyID"),
             "lifecycle_expires": expiration is not None, "lifecycle_expiration_days": expiration}
    nodes = [NodeRow("S3Bucket", name, props), NodeRow("AWSAccount", account, {"id": account})]
    edges = [EdgeRow("RESOURCE", "AWSAccount", account, "S3Bucket", name)]
    return _delta(account, time, f"bucket:{name}", nodes, edges)


# --- reading the accounts ------------------------------------------------------------------------------


class _Absent(Exception):  # noqa: N818 - the configuration is not set: a state, not an error
    pass


class _Snapshot:
    """One account's configuration, as (kind, item) pairs; a failed read becomes a record, never a stop."""

    def __init__(self, account: str, session: boto3.Session, regions: list[str], time: str) -> None:
        self.account, self.session, self.regions, self.time = account, session, regions, time
        self.partition = ids.partition_of_region(regions[0])
        self.clients: dict[tuple[str, str], BaseClient] = {}
        self.trails_seen: set[str] = set()

    def client(self, service: str, region: str) -> BaseClient:
        if (service, region) not in self.clients:
            self.clients[(service, region)] = pull_client(self.session, service, region)
        return self.clients[(service, region)]

    def call(self, client: BaseClient, operation: str, absent: str | None = None, **params: Any) -> Any:
        try:
            answer = getattr(client, operation)(**params)
        except ClientError as exc:
            if absent and error_code(exc) == absent:
                raise _Absent() from None
            raise
        except BotoCoreError as exc:
            raise pull_error(exc, f"{client.meta.service_model.service_name} {operation}") from None
        answer.pop("ResponseMetadata", None)
        return answer

    def one(self, kind: str, location: str, build: Callable[[], GraphDelta]) -> tuple[str, GraphDelta | RawRecord]:
        try:
            return kind, build()
        except ClientError as exc:
            service = exc.operation_name
            return kind, failed_record(exc, location, f"{self._service(exc)}:{service}")
        except PullError:
            raise
        except Exception as exc:  # noqa: BLE001 - a mapping bug must not lose the object or stop the pull
            return kind, RawRecord(kind, None, location, error=f"pull error {type(exc).__name__}: {exc}")

    @staticmethod
    def _service(exc: ClientError) -> str:
        return {"DescribeTrails": "cloudtrail", "GetTrailStatus": "cloudtrail", "GetEventSelectors": "cloudtrail",
                "GetModelInvocationLoggingConfiguration": "bedrock", "DescribeLogGroups": "logs"}.get(
                    exc.operation_name or "", "s3")

    def listing(self, kind: str, location: str, pages: Callable[[], Iterator[tuple[str, GraphDelta | RawRecord]]]
                ) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        """A listing's items; a listing that fails counts as one record of the kind it lists."""
        try:
            yield from pages()
        except ClientError as exc:
            yield kind, failed_record(exc, location, f"{self._service(exc)}:{exc.operation_name}")

    def items(self) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        for region in self.regions:
            yield from self.listing("trail", f"cloudtrail:DescribeTrails:{region}", lambda r=region: self._trails(r))
            yield self.one("bedrock-logging", f"bedrock:{self.account}/{region}", lambda r=region: self._bedrock(r))
            yield from self.listing("log-group", f"logs:DescribeLogGroups:{region}",
                                    lambda r=region: self._log_groups(r))
        yield from self.listing("bucket", "s3:ListBuckets", self._buckets)

    def _trails(self, region: str) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        answer = self.call(self.client("cloudtrail", region), "describe_trails", includeShadowTrails=True)
        for trail in answer.get("trailList") or ():
            arn = trail.get("TrailARN")
            if not arn or arn in self.trails_seen:
                continue  # a multi-Region trail shows in every Region: read it once
            self.trails_seen.add(arn)
            yield self.one("trail", arn, lambda t=trail: self._trail(t, region))

    def _trail(self, trail: Mapping[str, Any], region: str) -> GraphDelta:
        client = self.client("cloudtrail", trail.get("HomeRegion") or region)
        status = self.call(client, "get_trail_status", Name=trail["TrailARN"])
        selectors = self.call(client, "get_event_selectors", TrailName=trail["TrailARN"])
        return trail_delta(trail, status, selectors, self.account, self.time)

    def _bedrock(self, region: str) -> GraphDelta:
        answer = self.call(self.client("bedrock", region), "get_model_invocation_logging_configuration")
        return bedrock_logging_delta(answer, self.account, region, self.partition, self.time)

    def _log_groups(self, region: str) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        client = self.client("logs", region)
        for page in client.get_paginator("describe_log_groups").paginate():
            for group in page.get("logGroups") or ():
                yield self.one("log-group", group.get("logGroupName", ""),
                               lambda g=group: log_group_delta(g, self.account, region, self.partition, self.time))

    def _buckets(self) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        s3 = self.client("s3", self.regions[0])
        for page in s3.get_paginator("list_buckets").paginate():
            for bucket in page.get("Buckets") or ():
                yield self.one("bucket", bucket["Name"], lambda b=bucket["Name"]: self._bucket(s3, b))

    def _bucket(self, s3: BaseClient, name: str) -> GraphDelta:
        try:
            encryption = self.call(s3, "get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError",
                                   Bucket=name).get("ServerSideEncryptionConfiguration")
        except _Absent:
            encryption = None
        try:
            rules = self.call(s3, "get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration",
                              Bucket=name).get("Rules")
        except _Absent:
            rules = None
        return bucket_delta(name, encryption, rules, self.account, self.partition, self.time)


def pull_config(accounts: Iterable[tuple[str, boto3.Session]], store: Store, quarantine_path: Path,
                regions: Iterable[str] = (), clock: Clock = utc_now) -> PullSummary:
    """Snapshot the trails, Bedrock invocation logging, log groups and buckets of each account into `store`."""
    objects: Counter = Counter()
    time = iso_time(clock())
    regions = tuple(regions)
    with pull_run(store, quarantine_path) as run:
        for account, session in accounts:
            for kind, item in _Snapshot(account, session, session_regions(session, regions), time).items():
                objects[kind] += 1
                run.add(item)
    return PullSummary(**vars(run.result()), objects=objects, time=time, gaps=run.gaps.as_list())
