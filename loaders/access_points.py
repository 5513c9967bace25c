"""S3 access points: which bucket an access point (ARN or `…-s3alias` alias) serves.

Sources: CreateAccessPoint (an S3 Control call, logged under `s3.amazonaws.com`: `Name`, `Bucket`,
`BucketAccountId`, the `x-amz-account-id` header, and `AccessPointArn` and `Alias` in the response; the
CloudTrail key casing and nesting of these bodies is unconfirmed, so keys are looked for case-insensitively
up to three levels down), and the `AWS::S3::AccessPoint` resource entry of an object data event made
through an access point (beside the bucket's own entry). An alias or access point ARN is never written as
a bucket: data it names resolves to the bucket (graphgov.ingest.access_points after each load).

Access point policies are policy history on the access point (slot `access-point-policy`, kind `resource`):
PutAccessPointPolicy / DeleteAccessPointPolicy (S3 Control: `Name`, `Policy` as a JSON string, the account
header; key casing and nesting unconfirmed, so found as CreateAccessPoint's keys are), and CreateAccessPoint,
which starts the access point with no policy (its `lifecycle` state), or with the policy a record carries,
and with its Block Public Access for good: every flag on unless the request turned it off (S3 User Guide,
"Managing public access to access points": enabled by default, not changeable after creation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, Malformed, NodeRow
from loaders import fields
from loaders.iam_changes import account_rows, add_state, as_bool
from loaders.identity import Principal


def find_key(value: Any, name: str, depth: int = 3) -> Any:
    """The first value under `name` (case-insensitive) in nested mappings, breadth first."""
    level = [value]
    for _ in range(depth):
        nested = []
        for mapping in level:
            if not isinstance(mapping, Mapping):
                continue
            found = fields.get_ci(mapping, name)
            if found not in (None, "", []):
                return found
            nested.extend(v for v in mapping.values() if isinstance(v, Mapping))
        level = nested
    return None


def access_point_rows(point: ids.AccessPointRef, bucket: str | None, bucket_account: str | None,
                      alias: str | None, nodes: list, edges: list) -> str:
    """The access point node, its owner's RESOURCE edge and, when its bucket is known, POINTS_TO."""
    props = {"arn": point.arn, "name": point.name, "account_id": point.account, "region": point.region,
             "alias": alias if ids.is_access_point_alias(alias) else None, "bucket": bucket,
             "bucket_account_id": bucket_account}
    nodes.append(NodeRow("S3AccessPoint", point.arn, {k: v for k, v in props.items() if v}))
    account_rows(point.account, "S3AccessPoint", point.arn, nodes, edges)
    if bucket and not ids.is_access_point_name(bucket):
        bucket_props = {"id": bucket, "name": bucket, "arn": ids.s3_bucket_arn(bucket, point.partition)}
        if bucket_account:
            bucket_props["account_id"] = bucket_account
        nodes.append(NodeRow("S3Bucket", bucket, bucket_props))
        account_rows(bucket_account, "S3Bucket", bucket, nodes, edges)
        edges.append(EdgeRow("POINTS_TO", "S3AccessPoint", point.arn, "S3Bucket", bucket))
    return point.arn


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and str(value) else None


def _create_access_point(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    params, response = fields.params(record), fields.section(record, "responseElements")
    point = ids.parse_access_point_arn(find_key(response, "AccessPointArn"))
    if point is None:  # no ARN in the response: build it from the name, the account header and the Region
        name = _text(find_key(params, "name"))
        account = _text(find_key(params, "x-amz-account-id")) or _text(record.get("recipientAccountId"))
        region = _text(record.get("awsRegion"))
        if not (name and account and region):
            raise Malformed("CreateAccessPoint: no AccessPointArn, nor name, account and Region")
        point = ids.parse_access_point_arn(
            f"arn:{fields.partition(record)}:s3:{region}:{account}:accesspoint/{name}")
        if point is None:  # e.g. a name holding `/` or a line break
            raise Malformed(f"CreateAccessPoint: unreadable access point name {name!r}")
    bucket = _text(find_key(params, "Bucket"))
    if bucket is None:
        raise Malformed("CreateAccessPoint: no Bucket in requestParameters")
    bucket_account = _text(find_key(params, "BucketAccountId")) or point.account
    access_point_rows(point, bucket, bucket_account, _text(find_key(response, "Alias")), nodes, edges)
    add_state(record, principal, nodes, edges, "S3AccessPoint", point.arn, "lifecycle", "lifecycle")
    add_state(record, principal, nodes, edges, "S3AccessPoint", point.arn, "public-access-block",
              "public-access-block", document=public_access_block(find_key(params, "PublicAccessBlockConfiguration")))
    policy = find_key(params, "Policy")
    if policy not in (None, ""):  # the API takes none; a record that carries one (CloudFormation-made) is kept
        add_state(record, principal, nodes, edges, "S3AccessPoint", point.arn, POLICY_SLOT, "resource",
                  document=policy)


POLICY_SLOT = "access-point-policy"
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def public_access_block(config: Any) -> dict[str, bool]:
    """An access point's Block Public Access: a flag the request does not turn off is on."""
    config = config if isinstance(config, Mapping) else {}
    return {flag: as_bool(fields.get_ci(config, flag)) is not False for flag in PUBLIC_ACCESS_FLAGS}


def _named_point(record: Mapping[str, Any]) -> ids.AccessPointRef:
    """The access point an S3 Control call names: `Name` (a name, or an access point ARN), else the
    `AWS::S3::AccessPoint` entry of resources[]; a name takes the account header (else the recipient
    account) and the event's Region."""
    params = fields.params(record)
    name = _text(find_key(params, "name"))
    point = ids.parse_access_point_arn(name)
    if point is not None:
        return point
    for found, _owner in data_event_access_points(record):
        if name is None or found.name == name:
            return found
    account = _text(find_key(params, "x-amz-account-id")) or _text(record.get("recipientAccountId"))
    region = _text(record.get("awsRegion"))
    if not (name and account and region):
        raise Malformed(f"{record.get('eventName')}: no access point name, account and Region")
    point = ids.parse_access_point_arn(f"arn:{fields.partition(record)}:s3:{region}:{account}:accesspoint/{name}")
    if point is None:
        raise Malformed(f"{record.get('eventName')}: unreadable access point name {name!r}")
    return point


def _access_point_policy(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """Put/DeleteAccessPointPolicy: the access point's resource policy from then on."""
    deleted = record.get("eventName") == "DeleteAccessPointPolicy"
    policy = None if deleted else find_key(fields.params(record), "Policy")
    if not deleted and policy in (None, ""):
        raise Malformed("PutAccessPointPolicy: no Policy in requestParameters")
    point = _named_point(record)
    access_point_rows(point, None, None, None, nodes, edges)
    add_state(record, principal, nodes, edges, "S3AccessPoint", point.arn, POLICY_SLOT, "resource",
              document=policy, deleted=deleted)


def data_event_access_points(record: Mapping[str, Any]) -> list[tuple[ids.AccessPointRef, str | None]]:
    """The access points an object data event went through: (access point, its owner account)."""
    found = []
    for res in fields.resources(record):
        if fields.get_ci(res, "type") != "AWS::S3::AccessPoint":
            continue
        point = ids.parse_access_point_arn(fields.get_ci(res, "ARN"))
        if point is not None:
            found.append((point, _text(fields.get_ci(res, "accountId")) or point.account))
    return found


HANDLERS = {"CreateAccessPoint": _create_access_point, "PutAccessPointPolicy": _access_point_policy,
            "DeleteAccessPointPolicy": _access_point_policy}
