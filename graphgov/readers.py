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
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from graphgov import json_recovery, shippers
from graphgov.byte_lines import ByteSource, Line
from loaders.cloudtrail import looks_like_cloudtrail

LOOKAHEAD_LINES = 64  # lines looked at to tell JSON Lines with a bad first line from a document
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
    """All records of one file; what cannot be read is an error record, never an exception."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the generator is done
    except OSError as exc:
        yield RawRecord(None, None, str(path), error=f"cannot open: {exc}")
        return
    with handle:
        yield from read_stream(handle, str(path))


def read_stream(raw: BinaryIO, name: str) -> Iterator[RawRecord]:
    """All records of one file or stream (an S3 body), plain or gzip (several gzip members back to back
    too, as Firehose writes them), without a local copy. Damage costs only the damaged part: see
    `_read_lines`."""
    source = ByteSource(raw)
    try:
        yield from _read_lines(source, name)
    except OSError as exc:  # the file or stream itself failed (not its content)
        yield RawRecord(None, None, name, error=f"cannot read: {exc} (after {source.size} bytes)")


def _read_lines(source: ByteSource, name: str) -> Iterator[RawRecord]:
    """JSON Lines, streamed line by line, when the first non-blank line is a JSON value, or when it is
    not but most of the next lines are (a bad first line is one bad record); otherwise one document or
    concatenated documents, read whole (delivery files are at most tens of MB)."""
    lines = source.lines()
    head: list[Line] = []
    first = None
    for line in lines:
        head.append(line)
        if line.data.strip():
            first = line
            break
    if first is None:  # no records; a damaged gzip still says so
        yield from _damage_record(source, name, len(head) + 1)
        return
    first_value = _line_value(first)
    if first_value is _NOT_JSON:
        seen = 0
        for line in lines:
            head.append(line)
            seen += bool(line.data.strip())
            if seen >= LOOKAHEAD_LINES:
                break
        later = [line for line in head if line.number > first.number and line.data.strip()]
        parsed = sum(isinstance(_line_value(line), (dict, list)) for line in later)
        if not later or parsed * 2 <= len(later):  # a document (maybe pretty-printed, or damaged)
            data = b"\n".join([line.data for line in head] + [line.data for line in lines])
            yield from _read_document(data, name, source.damage)
            return
    for line in chain(head, lines):
        if not line.data.strip():
            continue
        last = not line.ended and source.damage is not None
        value = first_value if line is first else _line_value(line)
        if value is _NOT_JSON:
            if last:  # the line the damaged data stopped in: one record, its error names the damage
                yield _error(line.data, f"{name}:{line.number}", f"{source.damage}; the last line is cut off")
                return
            yield from _read_document(line.data, f"{name}:{line.number}", None, line.offset)
        else:
            yield from unwrap(value, f"{name}:{line.number}")
    yield from _damage_record(source, name, line.number + 1)


def _damage_record(source: ByteSource, name: str, number: int) -> Iterator[RawRecord]:
    if source.damage is not None:
        yield RawRecord(None, None, f"{name}:{number}", error=f"{source.damage}; what follows is lost")


_NOT_JSON = object()


def _line_value(line: Line) -> Any:
    """The JSON value a line holds, or _NOT_JSON (undecodable, invalid, or nested too deep)."""
    try:
        return json.loads(line.data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _NOT_JSON


def _error(data: bytes | str, location: str, error: str) -> RawRecord:
    """A quarantined piece of input, kept as text (undecodable bytes as U+FFFD, so redaction still sees
    the rest of the text, which hex or base64 would hide from it)."""
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    return RawRecord(None, _printable(text), location, error=error)


def _printable(text: str) -> str:
    """`text` with the undecodable bytes `surrogateescape` kept replaced by U+FFFD."""
    if _UNDECODED.search(text) is None:
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes `surrogateescape` could not decode as UTF-8


def _read_document(data: bytes, location: str, damage: str | None, offset: int = 0) -> Iterator[RawRecord]:
    """One text that is not a clean JSON line: a document, concatenated documents, or damage. Read as
    far as it goes (graphgov.json_recovery); a piece holding undecodable bytes is quarantined, its error
    naming the first bad byte's offset in the data (`offset` is where `data` starts)."""
    text = data.decode("utf-8", "surrogateescape")
    undecodable = _UNDECODED.search(text) is not None
    if not undecodable:
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            pass
        else:
            yield from unwrap(value, location)
            yield from _damage_note(damage, location, None)
            return
    held: RawRecord | None = None  # a damaged piece ending the text: the data's damage joins its error
    whole = len(text.rstrip())
    for piece in json_recovery.pieces(text):
        if held is not None:
            yield held
            held = None
        alone = piece.path == "#0" and piece.end >= whole and piece.value is None  # one damaged whole
        where = location if alone else f"{location}{piece.path}"
        bad = _UNDECODED.search(text, piece.start, piece.end) if undecodable else None
        if bad is not None:
            at = offset + len(text[:bad.start()].encode("utf-8", "surrogateescape"))
            yield _error(text[piece.start:piece.end], where, f"invalid UTF-8 at byte {at}: "
                         f"the record is kept as text with U+FFFD for the undecodable bytes")
        elif piece.error is not None:
            record = _error(piece.text or "", where, piece.error)
            if piece.end >= whole:
                held = record
            else:
                yield record
        else:
            yield from unwrap(piece.value, where)
    yield from _damage_note(damage, location, held)


def _damage_note(damage: str | None, location: str, last: RawRecord | None) -> Iterator[RawRecord]:
    """The damaged data's end: one quarantined record, the text's cut-off tail when there is one."""
    if last is not None and damage is not None:
        yield RawRecord(None, last.record, last.location, error=f"{damage}: {last.error}")
    elif last is not None:
        yield last
    elif damage is not None:
        yield RawRecord(None, None, f"{location}#end", error=f"{damage}; what follows is lost")


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
