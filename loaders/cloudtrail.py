"""CloudTrail records -> graph delta: identities, role assumptions, S3 object access, KMS data-key use.

Pure: `parse(record)` reads one CloudTrail record (already unwrapped from its delivery file, EventBridge
envelope, LookupEvents page or CloudWatch Logs payload) and returns a GraphDelta, or raises Skip
(well-formed but not modelled) or Malformed (lacks what the graph needs). Fields the graph does not
use are never validated, so odd regions, anonymised IPs or vendor-added fields pass through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, GraphDelta, Malformed, NodeRow, Skip
from graphgov.core.times import to_utc_iso
from loaders import (
    access_points,
    bedrock,
    comprehend,
    fields,
    iam_changes,
    organizations,
    replication,
    resource_policies,
    sagemaker,
    shapes,
    tagging,
    trail_changes,
)
from loaders.identity import Principal, from_user_identity, role_rows
from loaders.s3_object_encryption import object_encryption

SOURCE = "cloudtrail"

ASSUME_ROLE_EVENTS = {"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"}
S3_READ_EVENTS = {"GetObject", "SelectObjectContent", "GetObjectTorrent"}
S3_WRITE_EVENTS = {
    "PutObject", "PostObject", "POST Object", "CreateMultipartUpload", "UploadPart",
    "CompleteMultipartUpload",
}
S3_COPY_EVENTS = {"CopyObject", "UploadPartCopy"}
S3_DELETE_EVENTS = {"DeleteObject"}
S3_LIST_EVENTS = {"ListObjects", "ListObjectsV2", "ListObjectVersions", "ListBucket"}
KMS_DATA_KEY_EVENTS = {
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "ReEncrypt", "ReEncryptFrom", "ReEncryptTo",
}


def looks_like_cloudtrail(obj: Mapping[str, Any]) -> bool:
    """A CloudTrail record has eventVersion/eventSource/eventName, with a `*.amazonaws.com` source."""
    source = obj.get("eventSource")
    return (
        isinstance(source, str)
        and source.endswith("amazonaws.com")
        and "eventName" in obj
        and ("eventVersion" in obj or "eventID" in obj or "userIdentity" in obj)
    )


def parse(record: Mapping[str, Any]) -> GraphDelta:
    """One CloudTrail record -> GraphDelta (or Skip / Malformed)."""
    if not isinstance(record, Mapping):
        raise Malformed("record is not a JSON object")
    shapes.check(record, shapes.CLOUDTRAIL_DISPATCH)  # what decides the handler, before it is looked up
    reason = unmodelled(record)
    if reason is not None:
        raise Skip(reason)
    source, name = record.get("eventSource"), record.get("eventName")
    handler = _handler(source, name)
    if handler is None:  # unmodelled() said there is one
        raise Skip("unsupported_event")
    try:  # a record the graph models: every field it reads has its type
        shapes.check(record, shapes.CLOUDTRAIL)
    except Malformed as exc:
        raise Malformed(f"{source} {name}: {exc}") from None
    if record.get("errorCode"):
        raise Skip("failed_call")  # the action did not happen: no access, no assumption
    event_id = record.get("eventID")
    if not isinstance(event_id, str) or not event_id:
        raise Malformed(f"{source} {name}: no eventID")
    try:
        time = to_utc_iso(record.get("eventTime"))
    except ValueError as exc:
        missing = record.get("eventTime") in (None, "")
        raise Malformed(f"{source} {name}: {'no eventTime' if missing else exc}") from exc
    identity = record.get("userIdentity")
    if record.get("eventType") == "AwsServiceEvent" and (not identity or (
            isinstance(identity, Mapping) and not identity.get("arn") and identity.get("invokedBy") == "AWS Internal")):
        # some exports drop a service event's userIdentity, and Organizations names its own events' actor
        # "AWS Internal" (CreateAccountResult): the service that recorded the event acted
        identity = {**(identity or {}), "invokedBy": source}
    principal = from_user_identity(identity, fields.partition(record))
    nodes, edges = list(principal.nodes), list(principal.edges)
    handler(record, principal, nodes, edges)
    shared = record.get("sharedEventID")
    return GraphDelta(
        source=SOURCE,
        event_id=event_id,
        event_key=f"ct:{event_id}",
        action_key=f"ct-shared:{shared}" if isinstance(shared, str) and shared else f"ct:{event_id}",
        time=time,
        nodes=tuple(nodes),
        edges=tuple(edges),
        rank=0 if principal.has_arn else 1,
    )


def unmodelled(record: Mapping[str, Any]) -> str | None:
    """The skip reason of a record no handler models (an Insights event, an event no handler dispatches), from
    its dispatch fields alone (checked by shapes.CLOUDTRAIL_DISPATCH first); None when a handler models it.
    `parse` decides with it too, so the load path's cheap test before parsing (loaders.registry) cannot differ."""
    if record.get("eventType") == "AwsCloudTrailInsight" or record.get("eventCategory") == "Insight":
        return "insight_event"
    if _handler(record.get("eventSource"), record.get("eventName")) is None:
        return "unsupported_event"
    return None


Handler = Callable[[Mapping[str, Any], Principal, list, list], None]


def _handler(source: object, name: object) -> Handler | None:
    if source == "sts.amazonaws.com" and name in ASSUME_ROLE_EVENTS:
        return _assume_role
    if source == "s3.amazonaws.com":
        if name in resource_policies.S3_HANDLERS:
            return resource_policies.S3_HANDLERS[name]
        if name in tagging.HANDLERS:
            return tagging.HANDLERS[name]
        if name in access_points.HANDLERS:
            return access_points.HANDLERS[name]
        if name in replication.HANDLERS:
            return replication.HANDLERS[name]
        if name in S3_READ_EVENTS | S3_WRITE_EVENTS | S3_COPY_EVENTS | S3_DELETE_EVENTS:
            return _s3_object
        if name == "DeleteObjects":
            return _s3_delete_objects
        if name in S3_LIST_EVENTS:
            return _s3_list
    if source == "kms.amazonaws.com" and name in KMS_DATA_KEY_EVENTS:
        return _kms_data_key
    if source == "kms.amazonaws.com" and name in resource_policies.KMS_HANDLERS:
        return resource_policies.KMS_HANDLERS[name]
    if source == "iam.amazonaws.com" and name in iam_changes.HANDLERS:
        return iam_changes.HANDLERS[name]
    if source == "organizations.amazonaws.com" and name in organizations.HANDLERS:
        return organizations.HANDLERS[name]
    # Registry policies are access changes, not lineage: checked before SageMaker's own events.
    if source == "sagemaker.amazonaws.com" and name in resource_policies.SAGEMAKER_HANDLERS:
        return resource_policies.SAGEMAKER_HANDLERS[name]
    if source == "sagemaker.amazonaws.com" and name in sagemaker.EVENTS:
        return sagemaker.handle
    if source == "bedrock.amazonaws.com" and name in bedrock.HANDLERS:
        return bedrock.HANDLERS[name]
    if source == comprehend.SOURCE and name in comprehend.HANDLERS:
        return comprehend.HANDLERS[name]
    if source == trail_changes.SOURCE and name in trail_changes.HANDLERS:
        return trail_changes.HANDLERS[name]
    return None


# --- STS ----------------------------------------------------------------------------------------------


def _assume_role(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    params = fields.params(record)
    role_arn = params.get("roleArn")
    if not ids.is_arn(role_arn):
        res = fields.resource(record, "AWS::IAM::Role")
        role_arn = fields.get_ci(res, "ARN") if res else None
    if not ids.is_arn(role_arn):
        raise Malformed(f"{record.get('eventName')}: no role ARN in requestParameters or resources")
    role = role_rows(role_arn)
    nodes.extend(role.nodes)
    edges.extend(role.edges)
    edges.append(EdgeRow(
        "ASSUMED_ROLE", principal.node_type, principal.key, "AWSRole", role.key,
        fields.cross(principal.account, role.account), operation=record.get("eventName"),
    ))
    assumed = fields.section(record, "responseElements").get("assumedRoleUser") or {}
    session_arn = assumed.get("arn") if isinstance(assumed, Mapping) else None
    # The session belongs to the role its ARN names; a record whose two disagree links no session.
    if ids.is_session_arn(session_arn) and ids.role_arn_from_session(session_arn) == role.key:
        nodes.append(NodeRow("AWSRoleSession", session_arn, {
            "arn": session_arn,
            "role_arn": role.key,
            "session_name": ids.session_name_from_session(session_arn),
            **({"source_identity": params["sourceIdentity"]} if params.get("sourceIdentity") else {}),
            **({"account_id": role.account} if role.account else {}),
        }))
        edges.append(EdgeRow("SESSION_OF", "AWSRoleSession", session_arn, "AWSRole", role.key))


# --- S3 -----------------------------------------------------------------------------------------------


def _bucket_rows(bucket: str, account: str | None, partition: str, nodes: list, edges: list) -> None:
    props = {"id": bucket, "name": bucket, "arn": ids.s3_bucket_arn(bucket, partition)}
    if account:
        props["account_id"] = account
        nodes.append(NodeRow("AWSAccount", account, {"id": account}))
        edges.append(EdgeRow("RESOURCE", "AWSAccount", account, "S3Bucket", bucket))
    nodes.append(NodeRow("S3Bucket", bucket, props))


def _object_rows(loc: ids.S3Location, partition: str, nodes: list, edges: list) -> str:
    arn = loc.object_arn(partition)
    nodes.append(NodeRow("S3Object", arn, {"arn": arn, "bucket": loc.bucket, "key": loc.key}))
    edges.append(EdgeRow("CONTAINS", "S3Bucket", loc.bucket, "S3Object", arn))
    return arn


def _bucket_owner(record: Mapping[str, Any], bucket: str) -> str | None:
    """The owner account CloudTrail gives on the bucket's own resource entry (object entries carry none)."""
    for res in fields.resources(record):
        arn = fields.get_ci(res, "ARN")
        is_bucket = fields.get_ci(res, "type") == "AWS::S3::Bucket"
        if is_bucket and ids.is_arn(arn) and ids.parse_s3_uri(arn).bucket == bucket:
            account = fields.get_ci(res, "accountId")
            return str(account) if account else None
    return None


def _bucket_of(record: Mapping[str, Any]) -> tuple[str, str | None]:
    """The bucket the call addressed and its owner account, when the record says.

    A call through an access point may name the alias or the access point ARN where the bucket goes;
    the bucket is then the one the record's bucket resource names (never a bucket named after the alias)."""
    named = fields.params(record).get("bucketName")
    bucket = named if isinstance(named, str) and named and not ids.is_access_point_name(named) else None
    if bucket is None:
        res = fields.resource(record, "AWS::S3::Bucket")
        arn = fields.get_ci(res, "ARN") if res else None
        bucket = ids.parse_s3_uri(arn).bucket if ids.is_arn(arn) else None
    if not bucket and ids.is_access_point_name(named):
        raise Skip("access_point_bucket_unknown")  # the record names no bucket behind the access point
    if not bucket:
        raise Malformed(f"{record.get('eventName')}: no bucket in requestParameters or resources")
    return bucket, _bucket_owner(record, bucket)


def _through_access_points(record: Mapping[str, Any], principal: Principal, bucket: str, owner: str | None,
                           nodes: list, edges: list) -> tuple[dict[str, Any], dict[str, Any]]:
    """The access points a data event went through (nodes, POINTS_TO) -> the props its READ/WROTE edge takes,
    and the cross-account flag: a call through another account's access point is cross-account."""
    named = fields.params(record).get("bucketName")
    points = access_points.data_event_access_points(record)
    for point, _ in points:
        access_points.access_point_rows(point, bucket, owner, named if isinstance(named, str) else None,
                                        nodes, edges)
    cross = fields.cross(principal.account, owner)
    for _, account in points:
        if fields.cross(principal.account, account).get("cross_account"):
            cross = {"cross_account": True}
    props = {"access_points": sorted(point.arn for point, _ in points)} if points else {}
    return props, cross


def _object_key(record: Mapping[str, Any], bucket: str) -> str:
    key = fields.get_ci(fields.params(record), "key")
    if isinstance(key, str) and key:
        return key  # CloudTrail keys are raw: never URL-decode them
    for res in fields.resources(record):
        if fields.get_ci(res, "type") == "AWS::S3::Object":
            loc = ids.parse_s3_uri(str(fields.get_ci(res, "ARN")))
            if loc.bucket == bucket:
                return loc.key
    raise Malformed(f"{record.get('eventName')}: no object key")


def _s3_object(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    name = str(record.get("eventName"))
    partition = fields.partition(record)
    bucket, owner = _bucket_of(record)
    _bucket_rows(bucket, owner, partition, nodes, edges)
    target = _object_rows(ids.S3Location(bucket, _object_key(record, bucket)), partition, nodes, edges)
    via, cross = _through_access_points(record, principal, bucket, owner, nodes, edges)
    if name in S3_READ_EVENTS:
        edges.append(EdgeRow("READ", principal.node_type, principal.key, "S3Object", target, {**cross, **via}, name,
                             fields.bytes(record, "bytesTransferredOut")))
    elif name in S3_DELETE_EVENTS:
        edges.append(EdgeRow("DELETED", principal.node_type, principal.key, "S3Object", target, cross, name))
    else:
        edges.append(EdgeRow("WROTE", principal.node_type, principal.key, "S3Object", target, {**cross, **via}, name,
                             fields.bytes(record, "bytesTransferredIn")))
        encryption = object_encryption(record)
        if encryption:  # the newest write's encryption is the object's (a TIMED_PROPS pair)
            nodes.append(NodeRow("S3Object", target, {"encryption": encryption,
                                                      "encryption_at": to_utc_iso(record.get("eventTime"))}))
    if name in S3_COPY_EVENTS:
        src = _copy_source(record, target)
        if src is None:
            return  # some copies log no source: the write still stands
        src_owner = _bucket_owner(record, src.bucket)
        _bucket_rows(src.bucket, src_owner, partition, nodes, edges)
        source_arn = _object_rows(src, partition, nodes, edges)
        edges.append(EdgeRow("READ", principal.node_type, principal.key, "S3Object", source_arn,
                             fields.cross(principal.account, src_owner), name))
        directive = _tagging_directive(record)
        if directive == "REPLACE":  # the copy gets the request's tag set, none when the request gives none
            tags = tagging.query_tags(fields.get_ci(fields.params(record), "x-amz-tagging"))
            nodes.append(NodeRow("S3Object", target, {"arn": target, "tags": tags}))
        edges.append(EdgeRow("COPIED_FROM", "S3Object", target, "S3Object", source_arn,
                             {"tagging_directives": [directive]}, name))


def _tagging_directive(record: Mapping[str, Any]) -> str:
    """CopyObject's `x-amz-tagging-directive` (default COPY: the copy keeps the source's tag set, CopyObject API
    reference); UploadPartCopy copies bytes into an upload whose tags CreateMultipartUpload set: `PART`."""
    if record.get("eventName") == "UploadPartCopy":
        return "PART"
    value = fields.get_ci(fields.params(record), "x-amz-tagging-directive")
    return "REPLACE" if isinstance(value, str) and value.strip().upper() == "REPLACE" else "COPY"


def _copy_source(record: Mapping[str, Any], target_arn: str) -> ids.S3Location | None:
    """`x-amz-copy-source`, else the object resource that is not the target."""
    copy_source = fields.get_ci(fields.params(record), "x-amz-copy-source")
    if isinstance(copy_source, str) and copy_source:
        source = ids.parse_copy_source(copy_source)
        if not ids.is_access_point_name(source.bucket):
            return source
        # a source named through an access point: its bucket is the object resource's (not the target)
    for res in fields.resources(record):
        arn = fields.get_ci(res, "ARN")
        if fields.get_ci(res, "type") == "AWS::S3::Object" and ids.is_arn(arn) and arn != target_arn:
            return ids.parse_s3_uri(arn)
    return None


def _s3_delete_objects(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    bucket, owner = _bucket_of(record)
    _bucket_rows(bucket, owner, fields.partition(record), nodes, edges)
    edges.append(EdgeRow("DELETED", principal.node_type, principal.key, "S3Bucket", bucket,
                         {**fields.cross(principal.account, owner), "keys_unknown": True},
                         "DeleteObjects"))


def _s3_list(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    bucket, owner = _bucket_of(record)
    _bucket_rows(bucket, owner, fields.partition(record), nodes, edges)
    edges.append(EdgeRow("LISTED", principal.node_type, principal.key, "S3Bucket", bucket,
                         fields.cross(principal.account, owner), str(record.get("eventName"))))


# --- KMS ----------------------------------------------------------------------------------------------


def _kms_key_resource(record: Mapping[str, Any]) -> str | None:
    """The resolved key ARN from resources[] (older records omit the resource `type`)."""
    for res in fields.resources(record):
        arn = fields.get_ci(res, "ARN")
        if ids.arn_service(arn) == "kms" and ":key/" in arn:
            return arn
    return None


def _kms_data_key(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    key_arn = _kms_key_resource(record)
    params = fields.params(record)
    if not ids.is_arn(key_arn):
        key_ref = params.get("keyId") or params.get("sourceKeyId") or params.get("destinationKeyId")
        account = str(record.get("recipientAccountId") or "")
        key_arn = kms_key_ref(key_ref, fields.partition(record), str(record.get("awsRegion") or ""), account)
    if not key_arn:
        raise Skip("kms_key_unresolved")  # an alias alone cannot name a key
    arn = ids.parse_arn(key_arn)
    key_props = {"arn": key_arn, "id": arn.resource.split("/", 1)[-1], "region": arn.region,
                 "account_id": arn.account}
    nodes.append(NodeRow("KMSKey", key_arn, key_props))
    nodes.append(NodeRow("AWSAccount", arn.account, {"id": arn.account}))
    edges.append(EdgeRow("RESOURCE", "AWSAccount", arn.account, "KMSKey", key_arn))
    name = str(record.get("eventName"))
    edges.append(EdgeRow("USED_KEY", principal.node_type, principal.key, "KMSKey", key_arn,
                         fields.cross(principal.account, arn.account), name))
    context = params.get("encryptionContext")
    s3_arn = context.get("aws:s3:arn") if isinstance(context, Mapping) else None
    if isinstance(s3_arn, str) and s3_arn.startswith("arn:"):
        loc = ids.parse_s3_uri(s3_arn)
        partition = arn.partition
        if loc.key:
            _bucket_rows(loc.bucket, None, partition, nodes, edges)
            target = _object_rows(loc, partition, nodes, edges)
            edges.append(EdgeRow("ENCRYPTS", "KMSKey", key_arn, "S3Object", target, {}, name))
        else:  # S3 Bucket Keys: the context names the bucket only
            _bucket_rows(loc.bucket, None, partition, nodes, edges)
            edges.append(EdgeRow("ENCRYPTS", "KMSKey", key_arn, "S3Bucket", loc.bucket, {}, name))


def kms_key_ref(key_ref: object, partition: str, region: str, account: str) -> str | None:
    """The key ARN a request's `keyId` names, when it is an ARN or a bare id (aliases stay unresolved)."""
    if not isinstance(key_ref, str) or not key_ref:
        return None
    if not ids.is_arn(key_ref) and not (region and account):
        return None
    return ids.kms_key_arn(key_ref, partition, region, account)
