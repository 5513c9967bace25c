"""CloudTrail S3 tagging calls -> the `tags` of buckets and objects (graphgov.questions.classification reads them).

PutBucketTagging and PutObjectTagging replace the whole tag set, so the graph keeps the set the call
put, as sorted `key=value` strings; DeleteBucketTagging and DeleteObjectTagging leave an empty list.
The request body is logged as `Tagging.TagSet.Tag`: one `{Key, Value}` object when the set has one tag
(XML flattened), a list otherwise, and absent or empty for an empty set. The newest call by event time
wins, whatever order logs are loaded in: `tags` is a timed property (graphgov.core.schema.TIMED_PROPS), stamped
`tags_at`.
Tags are per object, not per version: a call naming a `versionId` sets the object's tags all the same.

Bucket tagging is a management event delivered to the bucket owner (`recipientAccountId` names it);
object tagging is a data event, whose owner only the bucket's resource entry states.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, Malformed, NodeRow
from loaders import fields
from loaders.iam_changes import as_object, text
from loaders.identity import Principal
from loaders.resource_policies import Handler, bucket_rows


def tag_strings(tagging: Any) -> list[str]:
    """A logged `Tagging` body -> sorted `key=value` strings (a tag without a value gives `key=`)."""
    tagging = as_object(tagging)
    tag_set = as_object(fields.get_ci(tagging, "TagSet")) if isinstance(tagging, Mapping) else None
    tags = as_object(fields.get_ci(tag_set, "Tag")) if isinstance(tag_set, Mapping) else None
    if tags is None and isinstance(tag_set, list):  # some exporters drop the `Tag` level
        tags = tag_set
    found = set()
    for tag in tags if isinstance(tags, list) else [tags]:
        tag = as_object(tag)
        if not isinstance(tag, Mapping):
            continue
        key = fields.get_ci(tag, "Key")
        if not isinstance(key, str) or not key:
            continue
        value = fields.get_ci(tag, "Value")
        found.add(f"{key}={value if isinstance(value, str) else ''}")
    return sorted(found)


def query_tags(value: Any) -> list[str]:
    """An `x-amz-tagging` header (URL query form, `k1=v1&k2=v2`) -> sorted `key=value` strings."""
    if not isinstance(value, str):
        return []
    return sorted({f"{k}={v}" for k, v in parse_qsl(value, keep_blank_values=True) if k})


def _tagging_body(record: Mapping[str, Any]) -> Any:
    """The `Tagging` object, not the `tagging: ""` sub-resource marker S3 logs beside it."""
    for key, value in fields.params(record).items():
        value = as_object(value)
        if str(key).lower() == "tagging" and isinstance(value, Mapping):
            return value
    raise Malformed(f"{record.get('eventName')}: no Tagging in requestParameters")


def _bucket(record: Mapping[str, Any]) -> tuple[str, str | None]:
    """The bucket named by the call and its owner when the bucket's resource entry states it."""
    bucket = text(fields.params(record), "bucketName")
    if ids.is_access_point_name(bucket):
        bucket = None  # named through an access point: the bucket resource names the bucket
    owner = None
    for res in fields.resources(record):
        arn = fields.get_ci(res, "ARN")
        if fields.get_ci(res, "type") == "AWS::S3::Bucket" and ids.is_arn(arn):
            named = ids.parse_s3_uri(arn).bucket
            bucket = bucket or named
            if named == bucket:
                account = fields.get_ci(res, "accountId")
                owner = str(account) if account else None
    if not bucket:
        raise Malformed(f"{record.get('eventName')}: no bucket in requestParameters or resources")
    return bucket, owner


def _bucket_tagging(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    deleted = record.get("eventName") == "DeleteBucketTagging"
    tags = [] if deleted else tag_strings(_tagging_body(record))
    bucket, owner = _bucket(record)
    bucket_rows(bucket, owner or text(record, "recipientAccountId"), fields.partition(record), nodes, edges)
    nodes.append(NodeRow("S3Bucket", bucket, {"tags": tags}))


def _object_tagging(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    deleted = record.get("eventName") == "DeleteObjectTagging"
    tags = [] if deleted else tag_strings(_tagging_body(record))
    bucket, owner = _bucket(record)
    key = text(fields.params(record), "key")
    if key is None:
        for res in fields.resources(record):
            arn = fields.get_ci(res, "ARN")
            if fields.get_ci(res, "type") == "AWS::S3::Object" and ids.is_arn(arn):
                loc = ids.parse_s3_uri(arn)
                if loc.bucket == bucket and loc.key:
                    key = loc.key
                    break
    if not key:
        raise Malformed(f"{record.get('eventName')}: no object key in requestParameters or resources")
    partition = fields.partition(record)
    bucket_rows(bucket, owner, partition, nodes, edges)
    arn = ids.S3Location(bucket, key).object_arn(partition)
    nodes.append(NodeRow("S3Object", arn, {"arn": arn, "bucket": bucket, "key": key, "tags": tags}))
    edges.append(EdgeRow("CONTAINS", "S3Bucket", bucket, "S3Object", arn))


HANDLERS: dict[str, Handler] = {
    "PutBucketTagging": _bucket_tagging,
    "DeleteBucketTagging": _bucket_tagging,
    "PutObjectTagging": _object_tagging,
    "DeleteObjectTagging": _object_tagging,
}
