"""Readers: the I/O side. Stream records out of files, whatever wrapper AWS delivered them in.

Format is detected per file from its bytes and content, never from flags: gzip or plain; one JSON
document, JSON Lines, or concatenated JSON; and inside, CloudTrail delivery files (`{"Records": [...]}`),
bare records and arrays, LookupEvents output (`CloudTrailEvent` as a string), EventBridge envelopes,
CloudWatch Logs subscription payloads (base64 gzip `awslogs.data`, or decoded), SQS/SNS wrappers,
CloudTrail digest files (recognised and skipped), and CloudTrail records re-exported by log shippers
(Logstash, Elastic, Splunk, Microsoft Sentinel: graphgov.ingest.shippers declares their envelopes). Every leaf is
one `RawRecord` (graphgov.ingest.wrappers peels the envelopes); unreadable input becomes a RawRecord with an
`error`, so the caller can quarantine it instead of losing it.

Damage costs only the damaged part. Bytes are decoded line by line (a non-UTF-8 byte makes its line, or
in a document its record, one quarantined record kept as text with U+FFFD); a JSON Lines file whose
first line is bad is still JSON Lines when most of the next lines parse; a gzip stream or JSON text cut
off or corrupt yields every complete record before the damage and one quarantined record for the rest
(graphgov.ingest.byte_lines, graphgov.ingest.json_recovery).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from graphgov.ingest import json_recovery
from graphgov.ingest.byte_lines import ByteSource, Line
from graphgov.ingest.wrappers import RawRecord, unwrap

LOOKAHEAD_LINES = 64  # lines looked at to tell JSON Lines with a bad first line from a document
DIRECTORY_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".log", ".gz")


class ReadError(Exception):
    """A path that cannot be read at all (missing, unreadable)."""


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
    """JSON Lines, streamed line by line, when at least half of the first `LOOKAHEAD_LINES` non-blank
    lines each hold a JSON object or array (a bad first line is then one bad record, and a one-line
    file is JSON Lines when its line parses); otherwise one document or concatenated documents (maybe
    pretty-printed, maybe damaged), read whole: delivery files are at most tens of MB."""
    lines = source.lines()
    head: list[Line] = []
    values: dict[int, Any] = {}  # line number -> its value, parsed once
    for line in lines:
        head.append(line)
        if line.data.strip():
            values[line.number] = _line_value(line)
            if len(values) >= LOOKAHEAD_LINES:
                break
    if not values:  # no records; a damaged gzip still says so
        yield from _damage_record(source, name, len(head) + 1)
        return
    if sum(isinstance(value, dict | list) for value in values.values()) * 2 < len(values):
        parts = [line.data for line in chain(head, lines)]
        head.clear()
        text = _decode(b"\n".join(parts))  # no reference to the bytes is kept: memory is the text's
        parts.clear()
        yield from _read_document(text, name, source.damage)
        return
    for line in chain(head, lines):
        if not line.data.strip():
            continue
        value = values.pop(line.number) if line.number in values else _line_value(line)
        if value is not _NOT_JSON:
            yield from unwrap(value, f"{name}:{line.number}")
        elif not line.ended and source.damage is not None:  # the line the damaged data stopped in
            yield _error(line.data, f"{name}:{line.number}", f"{source.damage}; the last line is cut off")
            return
        else:
            yield from _read_document(_decode(line.data), f"{name}:{line.number}", None, line.offset)
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


def _decode(data: bytes) -> str:
    """UTF-8 text; bytes that are not UTF-8 are kept as lone surrogates (`_UNDECODED`), to be found later."""
    return data.decode("utf-8", "surrogateescape")


def _read_document(text: str, location: str, damage: str | None, offset: int = 0) -> Iterator[RawRecord]:
    """One text that is not a clean JSON line: a document, concatenated documents, or damage. Read as
    far as it goes (graphgov.ingest.json_recovery); a piece holding undecodable bytes is quarantined, its error
    naming the first bad byte's offset in the data (`offset` is where `text` starts)."""
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
    suspect = (lambda start, end: _UNDECODED.search(text, start, end) is not None) if undecodable else None
    for piece in json_recovery.pieces(text, suspect):
        if held is not None:
            yield held
            held = None
        alone = piece.path == "#0" and piece.end >= whole  # the whole text is one piece
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
