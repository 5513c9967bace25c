"""S3 event notifications -> the objects, versions and ETags they announce.

Reads the notification record (delivered raw, in SQS, in SNS-in-SQS: the readers unwrap those) and
EventBridge "Object Created"/"Object Deleted" events. Notification keys are form-encoded (space is `+`)
and decoded here; EventBridge keys are taken as given (whether they are encoded is unconfirmed).
Notifications name the requester only by a principal id (`AWS:AROA…:session`, `AIDA…`) or, on
EventBridge, an account (`account:<id>`), not an ARN: a creation keeps it in the CONTAINS edge's `writer_ids`, and the
questions that show writers resolve it through the principals' `principal_id` (stated by CloudTrail,
CreateRole/CreateUser or `pull iam`) at question time, so the load order does not matter; an id no
evidence resolves is shown as `unresolved:<id>`. One change delivered both ways (same request id, key
and kind of change) is recognised as one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, GraphDelta, Malformed, NodeRow, Skip
from graphgov.core.times import to_utc_iso
from loaders import fields

SOURCE = "s3_notification"


def _change(name: str) -> str:
    lowered = name.lower()
    if "created" in lowered:
        return "created"
    if "removed" in lowered or "deleted" in lowered or "expiration" in lowered:
        return "removed"
    return lowered.replace(" ", "-")


def object_delta(bucket: Any, key: Any, event: str, time_value: Any, request_id: Any, version_id: Any,
                 etag: Any, sequencer: Any, source: str, event_id: str | None = None,
                 writer: Any = None) -> GraphDelta:
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        raise Malformed("S3 event without bucket name and object key")
    try:
        time = to_utc_iso(time_value)
    except ValueError as exc:
        raise Malformed(f"S3 event {event}: {exc}") from exc
    arn = ids.s3_object_arn(bucket, key)
    # The request id names the change; trimmed copies without one fall back to what else is unique.
    change_id = request_id or sequencer or etag or version_id or time
    action = f"s3obj:{change_id}:{bucket}/{key}:{_change(event)}"
    props = {"events": [event]}
    if version_id:
        props["version_ids"] = [str(version_id)]
    if etag:
        props["etags"] = [str(etag).strip('"')]
    if sequencer:
        props["sequencers"] = [str(sequencer)]  # order changes of one key (compare right-padded hex)
    writer_id = ids.principal_id_ref(writer)
    if writer_id and _change(event) == "created":
        props["writer_ids"] = [writer_id]
    return GraphDelta(
        source=source, event_id=event_id or action, event_key=action, action_key=action, time=time,
        nodes=(NodeRow("S3Bucket", bucket, {"id": bucket, "name": bucket, "arn": ids.s3_bucket_arn(bucket)}),
               NodeRow("S3Object", arn, {"arn": arn, "bucket": bucket, "key": key})),
        edges=(EdgeRow("CONTAINS", "S3Bucket", bucket, "S3Object", arn, props),),
    )


def parse(record: Mapping[str, Any]) -> GraphDelta:
    """One notification record (`Records[]` element with eventSource aws:s3)."""
    event = str(record.get("eventName") or "")
    s3 = record.get("s3")
    if not isinstance(s3, Mapping) or not event:
        raise Malformed("S3 notification without s3 block or eventName")
    obj = s3.get("object") if isinstance(s3.get("object"), Mapping) else {}
    raw_key = obj.get("key")
    return object_delta(
        fields.dig(s3, "bucket", "name"),
        ids.decode_notification_key(raw_key) if isinstance(raw_key, str) else raw_key,
        event, record.get("eventTime"), fields.get_ci(record.get("responseElements") or {}, "x-amz-request-id"),
        obj.get("versionId"), obj.get("eTag"), obj.get("sequencer"), SOURCE,
        writer=fields.dig(record, "userIdentity", "principalId"),
    )


S3_DETAIL_TYPES = frozenset({"Object Created", "Object Deleted"})


def parse_eventbridge(event: Mapping[str, Any]) -> GraphDelta:
    """EventBridge `aws.s3` Object Created / Object Deleted (kebab-case keys, lower-case `etag`)."""
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise Malformed("EventBridge S3 event without detail")
    kind = str(event.get("detail-type"))
    if kind not in S3_DETAIL_TYPES:
        raise Skip("unsupported_event")
    obj = detail.get("object") if isinstance(detail.get("object"), Mapping) else {}
    name = f"{kind}:{detail.get('reason') or detail.get('deletion-type') or ''}".rstrip(":")
    return object_delta(
        fields.dig(detail, "bucket", "name"), obj.get("key"), name, event.get("time"), detail.get("request-id"),
        obj.get("version-id"), obj.get("etag"), obj.get("sequencer"), SOURCE, event_id=event.get("id"),
        writer=_requester(detail.get("requester")),
    )


def _requester(value: Any) -> str | None:
    """EventBridge names the requester by account (or service): an account id is kept as `account:<id>`,
    which says whose principal wrote without naming it."""
    if isinstance(value, str) and re.fullmatch(r"\d{12}", value):
        return f"account:{value}"
    return value if isinstance(value, str) else None
