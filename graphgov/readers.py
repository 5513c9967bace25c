"""Readers: the I/O side. Stream records out of files, whatever wrapper AWS delivered them in.

Format is detected per file from its bytes and content, never from flags: gzip or plain; one JSON
document, JSON Lines, or concatenated JSON; and inside, CloudTrail delivery files (`{"Records": [...]}`),
bare records and arrays, LookupEvents output (`CloudTrailEvent` as a string), EventBridge envelopes,
CloudWatch Logs subscription payloads (base64 gzip `awslogs.data`, or decoded), SQS/SNS wrappers,
CloudTrail digest files (recognised and skipped), and CloudTrail records re-exported by log shippers
(Logstash, Elastic, Splunk, Microsoft Sentinel: graphgov.shippers declares their envelopes). Every leaf is
one `RawRecord`; unreadable input becomes a RawRecord with an `error`, so the caller can quarantine it
instead of losing it.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from graphgov import shippers
from loaders.cloudtrail import looks_like_cloudtrail

DIRECTORY_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".log", ".gz")


class ReadError(Exception):
    """A path that cannot be read at all (missing, unreadable)."""


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


def check_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The given paths, each an existing file or directory; ReadError names the first that is not."""
    checked = [Path(raw) for raw in paths]
    for path in checked:
        if not path.is_file() and not path.is_dir():
            raise ReadError(f"no such file or directory: {path}")
    return checked


def iter_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files to read, lazily and in a stable order: explicit files as given, directories walked
    depth-first with sorted names, so a tree of millions of delivery files is never listed whole."""
    for path in check_paths(paths):
        if path.is_file():
            yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and name.lower().endswith(DIRECTORY_SUFFIXES):
                    yield Path(folder) / name


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """All files `iter_paths` would read, as a list (for callers that want a count)."""
    return list(iter_paths(paths))


def read_path(path: Path) -> Iterator[RawRecord]:
    """All records of one file; a file that is not JSON at all yields one error record."""
    try:
        handle = _open(path)
    except OSError as exc:
        yield RawRecord(None, None, str(path), error=f"cannot open: {exc}")
        return
    with handle:
        try:
            yield from _read_text(handle, str(path))
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            yield RawRecord(None, None, str(path), error=f"cannot read: {exc}")


def read_stream(raw: BinaryIO, name: str) -> Iterator[RawRecord]:
    """All records of one object read from a stream (an S3 body): the same detection as `read_path`,
    plain or gzip (several gzip members back to back too, as Firehose writes them), without a local copy."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
    try:
        magic = buffered.peek(2)[:2]
        binary: BinaryIO = gzip.GzipFile(fileobj=buffered) if magic == b"\x1f\x8b" else buffered
        with io.TextIOWrapper(binary, encoding="utf-8-sig") as handle:
            yield from _read_text(handle, name)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        yield RawRecord(None, None, name, error=f"cannot read: {exc}")


def _open(path: Path) -> io.TextIOBase:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig")
    return open(path, encoding="utf-8-sig")


def _read_text(handle: io.TextIOBase, name: str) -> Iterator[RawRecord]:
    first = handle.readline()
    while first and not first.strip():
        first = handle.readline()
    if not first:
        return  # an empty file holds no records
    try:
        first_value = json.loads(first)
        single_line = True
    except json.JSONDecodeError:
        single_line = False
    if single_line:
        # JSON Lines (or a one-line document): stream line by line, memory stays flat.
        yield from unwrap(first_value, f"{name}:1")
        for number, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield RawRecord(None, line.rstrip("\n"), f"{name}:{number}", error=f"invalid JSON: {exc}")
                continue
            yield from unwrap(value, f"{name}:{number}")
        return
    text = first + handle.read()
    try:
        yield from unwrap(json.loads(text), name)
        return
    except json.JSONDecodeError:
        pass
    values = _concatenated(text)
    if values is None:
        yield RawRecord(None, text, name, error="invalid JSON: not a document, JSON Lines or concatenated JSON")
        return
    for index, value in enumerate(values):
        yield from unwrap(value, f"{name}#{index}")


def _concatenated(text: str) -> list[Any] | None:
    """Firehose-style `{...}{...}` objects back to back; None when the text is not that either."""
    decoder, values, pos = json.JSONDecoder(), [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return values
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return None
        values.append(value)


# --- unwrapping ---------------------------------------------------------------------------------------


def unwrap(value: Any, location: str) -> Iterator[RawRecord]:
    """Peel delivery wrappers off a parsed JSON value until the records inside are reached."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from unwrap(item, f"{location}[{index}]")
        return
    if not isinstance(value, Mapping):
        yield RawRecord(None, value, location, skip="unrecognised_record")
        return
    records = value.get("Records")
    if isinstance(records, list) and not looks_like_cloudtrail(value):
        for index, item in enumerate(records):
            yield from unwrap(item, f"{location}#Records[{index}]")
        return
    exported = shippers.rows(value)
    if exported is not None:  # a shipper's export page: Splunk results, Elasticsearch hits, Log Analytics tables
        label, rows = exported
        for index, item in enumerate(rows):
            yield from unwrap(item, f"{location}#{label}[{index}]")
        return
    yield from _unwrap_object(value, location)


def _unwrap_object(obj: Mapping[str, Any], location: str) -> Iterator[RawRecord]:
    if looks_like_cloudtrail(obj):
        envelope = None if obj.get("eventTime") else shippers.match(obj)
        if envelope is None:  # the record as CloudTrail wrote it (its own eventTime wins over any shipper's)
            yield RawRecord("cloudtrail", obj, location)
        else:  # e.g. Logstash's cloudtrail codec, which moves eventTime to @timestamp
            yield from _shipped(obj, envelope, location)
    elif isinstance(obj.get("CloudTrailEvent"), str):  # LookupEvents item
        yield from _json_string(obj["CloudTrailEvent"], f"{location}#CloudTrailEvent")
    elif isinstance(obj.get("Events"), list) and all(
        isinstance(e, Mapping) and "CloudTrailEvent" in e for e in obj["Events"]
    ):  # a LookupEvents response page
        for index, item in enumerate(obj["Events"]):
            yield from _unwrap_object(item, f"{location}#Events[{index}]")
    elif obj.get("eventType") == "AwsCloudTrailInsight" or obj.get("eventCategory") == "Insight":
        yield RawRecord(None, None, location, skip="insight_event")
    elif "digestStartTime" in obj or "digestPublicKeyFingerprint" in obj:
        yield RawRecord(None, None, location, skip="cloudtrail_digest")
    elif isinstance(obj.get("awslogs"), Mapping) and "data" in obj["awslogs"]:
        yield from _cloudwatch_data(obj["awslogs"]["data"], f"{location}#awslogs")
    elif "logEvents" in obj and "messageType" in obj:
        yield from _cloudwatch_payload(obj, location)
    elif "detail-type" in obj and "detail" in obj:
        yield from _eventbridge(obj, location)
    elif obj.get("eventSource") == "aws:sqs" and "body" in obj:
        yield from _json_string(obj["body"], f"{location}#body", not_json="unrecognised_record")
    elif isinstance(obj.get("Sns"), Mapping) and "Message" in obj["Sns"]:
        yield from _json_string(obj["Sns"]["Message"], f"{location}#Sns", not_json="unrecognised_record")
    elif obj.get("Type") == "Notification" and isinstance(obj.get("Message"), str):  # SNS body inside SQS
        yield from _json_string(obj["Message"], f"{location}#Message", not_json="unrecognised_record")
    elif obj.get("Event") == "s3:TestEvent":
        yield RawRecord(None, None, location, skip="s3_test_event")
    elif obj.get("eventSource") == "aws:s3" and "s3" in obj:
        yield RawRecord("s3_notification", obj, location)
    elif obj.get("schemaType") == "ModelInvocationLog":
        yield RawRecord("bedrock_invocation_log", obj, location)
    elif (envelope := shippers.match(obj)) is not None:
        yield from _shipped(obj, envelope, location)
    else:
        yield RawRecord(None, None, location, skip="unrecognised_record")


def _shipped(obj: Mapping[str, Any], envelope: shippers.Envelope, location: str) -> Iterator[RawRecord]:
    """What a log shipper's envelope holds: its CloudTrail record, or whatever else it carried."""
    where = f"{location}#{envelope.name}"
    found = shippers.from_envelope(obj, envelope)
    if found.record is not None:
        yield RawRecord("cloudtrail", found.record, where, note=found.note)
    elif found.inner is not None:
        yield from unwrap(found.inner, where)
    elif found.broken is not None:  # starts like JSON but does not parse: maybe a truncated record, kept
        yield RawRecord(None, found.broken, where, error=f"invalid embedded JSON ({envelope.name} envelope)")
    elif found.text is not None:
        yield RawRecord(None, None, where, skip="unrecognised_log_line")
    else:
        yield RawRecord(None, None, where, skip="unrecognised_record")


def _json_string(text: Any, location: str, not_json: str | None = None) -> Iterator[RawRecord]:
    try:
        value = json.loads(text)
    except (TypeError, json.JSONDecodeError) as exc:
        if not_json:
            yield RawRecord(None, None, location, skip=not_json)
        else:
            yield RawRecord(None, text, location, error=f"invalid embedded JSON: {exc}")
        return
    yield from unwrap(value, location)


def _eventbridge(obj: Mapping[str, Any], location: str) -> Iterator[RawRecord]:
    detail = obj.get("detail")
    if isinstance(detail, Mapping) and looks_like_cloudtrail(detail):
        yield RawRecord("cloudtrail", detail, f"{location}#detail")
    else:
        yield RawRecord("eventbridge", obj, location)


def _cloudwatch_data(data: Any, location: str) -> Iterator[RawRecord]:
    try:
        raw = base64.b64decode(data, validate=False)
        text = zlib.decompress(raw, zlib.MAX_WBITS | 32).decode("utf-8")  # gzip or zlib header
        payload = json.loads(text)
    except (binascii.Error, zlib.error, UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        yield RawRecord(None, data, location, error=f"undecodable CloudWatch Logs data: {exc}")
        return
    yield from unwrap(payload, location)


def _cloudwatch_payload(obj: Mapping[str, Any], location: str) -> Iterator[RawRecord]:
    if obj.get("messageType") == "CONTROL_MESSAGE":
        yield RawRecord(None, None, location, skip="control_message")
        return
    for index, event in enumerate(obj.get("logEvents") or []):
        where = f"{location}#logEvents[{index}]"
        message = event.get("message") if isinstance(event, Mapping) else None
        if not isinstance(message, str):
            yield RawRecord(None, event, where, error="log event without a message")
            continue
        stripped = message.strip()
        if not stripped.startswith("{"):
            yield RawRecord(None, None, where, skip="unrecognised_log_line")
            continue
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            # A log line that starts like JSON but does not parse may be a truncated record: keep it.
            yield RawRecord(None, message, where, error=f"invalid JSON log message: {exc}")
            continue
        yield from unwrap(value, where)
