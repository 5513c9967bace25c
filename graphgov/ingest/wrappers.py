"""Wrappers: peel delivery envelopes off a parsed JSON value until the records inside are reached.

Every leaf is one `RawRecord`. A wrapper field of the wrong type or encoding never raises: the shape is
checked where the field is read, and what does not fit is a skip with a named reason (a value that is
not a record at all) or a quarantined record whose error names the field (a wrapper that should hold
records but cannot be read). Two general rules:

- A field that should hold JSON text (`CloudTrailEvent`, an SQS `body`, an SNS `Message`) but holds the
  decoded object is read as that object; any other type is an error naming the field and the type.
- `Records` holds records: a list of them, one record object, or an object whose values are all
  objects (keyed by index or id: each value is one record, located as `#Records[<key>]`).

Arrays and wrappers nest at most `MAX_WRAPPING` levels (real deliveries use a handful); deeper is one
quarantined record, so nothing here recurses without bound. JSON text nested beyond the parser's
recursion limit is an error record too, never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphgov.ingest import json_recovery, shippers
from loaders.cloudtrail import looks_like_cloudtrail

MAX_WRAPPING = 32  # arrays and envelopes around one record
MAX_CLOUDWATCH_BYTES = 64 << 20  # a subscription payload is at most 1 MB compressed; bigger is a bomb


@dataclass(frozen=True)
class RawRecord:
    """One record as read: `kind` names its loader; `skip` or `error` when the reader already knows;
    `note` what the reader saw that explains a failure to load it (added to its quarantine error)."""

    kind: str | None
    record: Any
    location: str
    skip: str | None = None
    error: str | None = None
    note: str | None = None


def _type(value: Any) -> str:
    """A JSON type name for errors ("a list", "a number")."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "an object" if isinstance(value, Mapping) else "a number")


def _evidence(value: Any, limit: int = MAX_WRAPPING * 2) -> Any:
    """`value` to keep with an error record, unless it nests deeper than `limit` (the quarantine writer
    walks it recursively): then a note instead. Only error paths pay for the walk."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return f"<{_type(value)} nested deeper than {limit} levels, not kept>"
        children = item.values() if isinstance(item, Mapping) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, Mapping | list))
    return value


def unwrap(value: Any, location: str, depth: int = 0) -> Iterator[RawRecord]:
    """Peel delivery wrappers off a parsed JSON value until the records inside are reached."""
    return _unwrap(value, location, depth)


def _unwrap(value: Any, location: str, depth: int) -> Iterator[RawRecord]:
    if depth > MAX_WRAPPING:
        yield RawRecord(None, None, location, error=f"arrays or wrappers nested deeper than {MAX_WRAPPING} levels")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unwrap(item, f"{location}[{index}]", depth + 1)
        return
    if not isinstance(value, Mapping):
        yield RawRecord(None, value, location, skip="unrecognised_record")
        return
    try:  # an object: a shape no check foresaw is one error record here, and its neighbours still read
        records = value.get("Records")
        if isinstance(records, list | Mapping) and not looks_like_cloudtrail(value):
            items = _record_items(records)
            if items is None:  # one record object
                yield from _unwrap(records, f"{location}#Records", depth + 1)
            for key, item in items or ():
                yield from _unwrap(item, f"{location}#Records[{key}]", depth + 1)
            return
        exported = shippers.rows(value)
        if exported is not None:  # a shipper's export page: Splunk results, Elasticsearch hits, Log Analytics tables
            label, rows = exported
            for index, item in enumerate(rows):
                yield from _unwrap(item, f"{location}#{label}[{index}]", depth + 1)
            return
        yield from _unwrap_object(value, location, depth)
    except Exception as exc:  # noqa: BLE001 - never a traceback: the reader must go on with the next record
        yield RawRecord(None, None, location, error=f"unreadable wrapper ({type(exc).__name__}: {exc})")


def _record_items(records: list[Any] | Mapping[str, Any]) -> Iterable[tuple[Any, Any]] | None:
    """The (key, item) pairs of `Records`; None when it is one record object (see the module doc)."""
    if isinstance(records, list):
        return enumerate(records)
    if records and all(isinstance(item, Mapping) for item in records.values()):
        return records.items()
    return None


def _unwrap_object(obj: Mapping[str, Any], location: str, depth: int) -> Iterator[RawRecord]:
    if looks_like_cloudtrail(obj):
        envelope = None if obj.get("eventTime") else shippers.match(obj)
        if envelope is None:  # the record as CloudTrail wrote it (its own eventTime wins over any shipper's)
            yield RawRecord("cloudtrail", obj, location)
        else:  # e.g. Logstash's cloudtrail codec, which moves eventTime to @timestamp
            yield from _shipped(obj, envelope, location, depth)
    elif "CloudTrailEvent" in obj:  # LookupEvents item
        yield from _json_text(obj["CloudTrailEvent"], f"{location}#CloudTrailEvent", depth, "CloudTrailEvent")
    elif isinstance(obj.get("Events"), list) and all(
        isinstance(e, Mapping) and "CloudTrailEvent" in e for e in obj["Events"]
    ):  # a LookupEvents response page
        for index, item in enumerate(obj["Events"]):
            yield from _unwrap_object(item, f"{location}#Events[{index}]", depth + 1)
    elif obj.get("eventType") == "AwsCloudTrailInsight" or obj.get("eventCategory") == "Insight":
        yield RawRecord(None, None, location, skip="insight_event")
    elif "digestStartTime" in obj or "digestPublicKeyFingerprint" in obj:
        yield RawRecord(None, None, location, skip="cloudtrail_digest")
    elif isinstance(obj.get("awslogs"), Mapping) and "data" in obj["awslogs"]:
        yield from _cloudwatch_data(obj["awslogs"]["data"], f"{location}#awslogs", depth)
    elif "logEvents" in obj and "messageType" in obj:
        yield from _cloudwatch_payload(obj, location, depth)
    elif "detail-type" in obj and "detail" in obj:
        yield from _eventbridge(obj, location)
    elif obj.get("eventSource") == "aws:sqs" and "body" in obj:
        yield from _json_text(obj["body"], f"{location}#body", depth, "SQS body", not_json="unrecognised_record")
    elif isinstance(obj.get("Sns"), Mapping) and "Message" in obj["Sns"]:
        yield from _json_text(obj["Sns"]["Message"], f"{location}#Sns", depth, "SNS Message",
                              not_json="unrecognised_record")
    elif obj.get("Type") == "Notification" and "Message" in obj:  # SNS body inside SQS
        yield from _json_text(obj["Message"], f"{location}#Message", depth, "SNS Message",
                              not_json="unrecognised_record")
    elif obj.get("Event") == "s3:TestEvent":
        yield RawRecord(None, None, location, skip="s3_test_event")
    elif obj.get("eventSource") == "aws:s3" and "s3" in obj:
        yield RawRecord("s3_notification", obj, location)
    elif obj.get("schemaType") == "ModelInvocationLog":
        yield RawRecord("bedrock_invocation_log", obj, location)
    elif (envelope := shippers.match(obj)) is not None:
        yield from _shipped(obj, envelope, location, depth)
    else:
        yield RawRecord(None, None, location, skip="unrecognised_record")


def _shipped(obj: Mapping[str, Any], envelope: shippers.Envelope, location: str, depth: int) -> Iterator[RawRecord]:
    """What a log shipper's envelope holds: its CloudTrail record, or whatever else it carried."""
    where = f"{location}#{envelope.name}"
    try:
        found = shippers.from_envelope(obj, envelope)
    except RecursionError:  # embedded JSON text nested too deep
        yield RawRecord(None, None, where, error=f"invalid embedded JSON ({envelope.name} envelope): "
                                                f"{json_recovery.describe(RecursionError())}")
        return
    except (TypeError, ValueError, AttributeError) as exc:  # fields of types no shipper writes
        yield RawRecord(None, None, where, error=f"unreadable {envelope.name} envelope ({type(exc).__name__}: {exc})")
        return
    if found.record is not None:
        yield RawRecord("cloudtrail", found.record, where, note=found.note)
    elif found.inner is not None:
        yield from _unwrap(found.inner, where, depth + 1)
    elif found.broken is not None:  # starts like JSON but does not parse: maybe a truncated record, kept
        yield RawRecord(None, found.broken, where, error=f"invalid embedded JSON ({envelope.name} envelope)")
    elif found.text is not None:
        yield RawRecord(None, None, where, skip="unrecognised_log_line")
    else:
        yield RawRecord(None, None, where, skip="unrecognised_record")


def _loads(text: str) -> Any:
    """json.loads, with nesting beyond the parser's recursion limit raised as a JSONDecodeError-like
    ValueError naming it."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError(json_recovery.describe(exc)) from None


def _json_text(value: Any, location: str, depth: int, field: str, not_json: str | None = None) -> Iterator[RawRecord]:
    """A field holding JSON text (or, decoded already, the object itself)."""
    if isinstance(value, Mapping | list):
        yield from _unwrap(value, location, depth + 1)
        return
    if not isinstance(value, str | bytes):
        yield RawRecord(None, value, location, error=f"{field} is {_type(value)}, not JSON text")
        return
    try:
        parsed = _loads(value)
    except ValueError as exc:  # JSONDecodeError, undecodable bytes, or too deep
        deep = "recursion limit" in str(exc)
        if not_json and not deep and not (isinstance(value, str) and value.lstrip().startswith(("{", "["))):
            yield RawRecord(None, None, location, skip=not_json)  # plain text: not a record at all
        else:
            yield RawRecord(None, value, location, error=f"invalid embedded JSON in {field}: {exc}")
        return
    yield from _unwrap(parsed, location, depth + 1)


def _eventbridge(obj: Mapping[str, Any], location: str) -> Iterator[RawRecord]:
    detail = obj.get("detail")
    if not isinstance(detail, Mapping):
        yield RawRecord(None, _evidence(obj), location, error=f"EventBridge detail is {_type(detail)}, not an object")
    elif looks_like_cloudtrail(detail):
        yield RawRecord("cloudtrail", detail, f"{location}#detail")
    else:
        yield RawRecord("eventbridge", obj, location)


def _cloudwatch_data(data: Any, location: str, depth: int) -> Iterator[RawRecord]:
    """`awslogs.data`: base64 of a gzip (or zlib) compressed subscription payload."""
    if not isinstance(data, str):
        yield RawRecord(None, _evidence(data), location,
                        error=f"undecodable CloudWatch Logs data: awslogs.data is {_type(data)}, not base64 text")
        return
    try:
        raw = base64.b64decode(data, validate=False)
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
        inflated = inflater.decompress(raw, MAX_CLOUDWATCH_BYTES)
        if inflater.unconsumed_tail:
            raise ValueError(f"decompresses to more than {MAX_CLOUDWATCH_BYTES} bytes")
        if not inflater.eof:
            raise ValueError("truncated compressed data")
        payload = _loads(inflated.decode("utf-8"))
    except (binascii.Error, zlib.error, ValueError) as exc:  # ValueError: also UnicodeDecodeError, JSONDecodeError
        yield RawRecord(None, data, location, error=f"undecodable CloudWatch Logs data: {exc}")
        return
    if not isinstance(payload, Mapping):
        yield RawRecord(None, None, location,
                        error=f"undecodable CloudWatch Logs data: the payload is {_type(payload)}, not an object")
        return
    yield from _unwrap(payload, location, depth + 1)


def _cloudwatch_payload(obj: Mapping[str, Any], location: str, depth: int) -> Iterator[RawRecord]:
    if obj.get("messageType") == "CONTROL_MESSAGE":
        yield RawRecord(None, None, location, skip="control_message")
        return
    events = obj.get("logEvents")
    if not isinstance(events, list):
        yield RawRecord(None, None, location, error=f"CloudWatch Logs logEvents is {_type(events)}, not a list")
        return
    for index, event in enumerate(events):
        where = f"{location}#logEvents[{index}]"
        message = event.get("message") if isinstance(event, Mapping) else None
        if not isinstance(message, str):
            what = f"message is {_type(message)}" if isinstance(event, Mapping) else f"the event is {_type(event)}"
            yield RawRecord(None, _evidence(event), where, error=f"log event without a message ({what})")
            continue
        stripped = message.strip()
        if not stripped.startswith("{"):
            yield RawRecord(None, None, where, skip="unrecognised_log_line")
            continue
        try:
            value = _loads(stripped)
        except ValueError as exc:
            # A log line that starts like JSON but does not parse may be a truncated record: keep it.
            yield RawRecord(None, message, where, error=f"invalid JSON log message: {exc}")
            continue
        yield from _unwrap(value, where, depth + 1)
