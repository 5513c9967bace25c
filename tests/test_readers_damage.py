"""Damaged input costs only the damaged part: every record read is loaded, skipped with a named reason or
quarantined, and everything around the damage still loads (issue 12, "Records dropped without being
counted"). Hostile files are built here from the real KMS Developer Guide records in tests/fixtures."""

from __future__ import annotations

import base64
import gzip
import io
import json
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from graph_dump import dump
from helpers import CLOUDTRAIL

from graphgov.core.delta import Skip
from graphgov.ingest.pipeline import load_paths, parse_record
from graphgov.ingest.readers import RawRecord, read_path, read_stream
from graphgov.stores.embedded import EmbeddedStore

DEEP = "[" * 5000 + "]" * 5000  # beyond the parser's recursion limit (1000)


def _loadable() -> list[dict[str, Any]]:
    """The KMS guide's records that load on their own: distinct event ids, no shared event copies."""
    found: dict[str, dict[str, Any]] = {}
    for raw in read_path(CLOUDTRAIL / "kms-developer-guide.jsonl"):
        if raw.kind != "cloudtrail" or "sharedEventID" in raw.record or raw.record["eventID"] in found:
            continue
        try:
            parse_record(raw)
        except Skip:
            continue
        found[raw.record["eventID"]] = raw.record
    return list(found.values())


RECORDS = _loadable()
TEN = RECORDS[:10]


def test_the_base_records_all_load(tmp_path):
    assert len(RECORDS) == 26
    path = _jsonl(tmp_path / "all.jsonl", TEN)
    assert _counts(tmp_path, path) == (10, 10, {}, 0)


def _line(record: Any) -> bytes:
    return json.dumps(record).encode()


def _jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_bytes(b"".join((line if isinstance(line, bytes) else _line(line)) + b"\n" for line in lines))
    return path


def _load(tmp_path: Path, *paths: Path):
    store = EmbeddedStore(tmp_path / "graph.json.gz")
    summary = load_paths(paths, store, tmp_path / "quarantine.jsonl")
    assert summary.balanced
    return summary


def _counts(tmp_path: Path, *paths: Path) -> tuple[int, int, dict[str, int], int]:
    summary = _load(tmp_path, *paths)
    return summary.records, summary.loaded, dict(summary.skipped), summary.quarantined


def _quarantine(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "quarantine.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _shape(records: list[RawRecord]) -> list[tuple[str | None, str | None, bool]]:
    return [(r.kind, r.skip, r.error is not None) for r in records]


# --- 1. a non-UTF-8 byte costs one line ------------------------------------------------------------


def _with_bad_byte() -> tuple[bytes, int]:
    """Ten JSON lines, the fourth with a 0xFF byte inside a string; (data, offset of that byte)."""
    lines = [_line(r) for r in TEN]
    at = lines[3].index(b'"eventName": "') + len(b'"eventName": "')
    lines[3] = lines[3][:at] + b"\xff" + lines[3][at:]
    return b"".join(line + b"\n" for line in lines), sum(len(line) + 1 for line in lines[:3]) + at


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_non_utf8_byte_quarantines_its_line_and_later_lines_still_load(tmp_path, compress):
    data, offset = _with_bad_byte()
    path = tmp_path / ("bad-byte.jsonl.gz" if compress else "bad-byte.jsonl")
    path.write_bytes(gzip.compress(data) if compress else data)
    assert _counts(tmp_path, path) == (10, 9, {}, 1)
    (entry,) = _quarantine(tmp_path)
    assert entry["location"] == f"{path}:4"
    assert entry["error"].startswith(f"invalid UTF-8 at byte {offset}:")
    assert "\ufffd" in entry["record"] and TEN[3]["eventName"] in entry["record"]  # kept as text
    streamed = list(read_stream(io.BytesIO(path.read_bytes()), "s3://bucket/key"))
    assert _shape(streamed) == [("cloudtrail", None, False)] * 3 + [(None, None, True)] + \
        [("cloudtrail", None, False)] * 6
    assert [r.location for r in streamed][2:5] == ["s3://bucket/key:3", "s3://bucket/key:4", "s3://bucket/key:5"]


def test_a_non_utf8_byte_in_a_delivery_file_costs_one_record(tmp_path):
    text = json.dumps({"Records": TEN}).encode()
    at = text.index(TEN[5]["eventID"].encode())
    path = tmp_path / "delivery.json.gz"
    path.write_bytes(gzip.compress(text[:at] + b"\xc3\x28" + text[at:]))  # 0xC3 then a non-continuation byte
    assert _counts(tmp_path, path) == (10, 9, {}, 1)
    (entry,) = _quarantine(tmp_path)
    assert (entry["location"], entry["error"].split(":")[0]) == (f"{path}#0#Records[5]", f"invalid UTF-8 at byte {at}")


def test_a_byte_order_mark_is_still_accepted(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _jsonl(tmp_path / "plain.jsonl", TEN).read_bytes())
    assert _counts(tmp_path, path) == (10, 10, {}, 0)


# --- 2. a bad first line does not make a JSON Lines file one bad document --------------------------


def test_a_bad_first_line_is_one_record_and_the_other_lines_load(tmp_path):
    first = _line(TEN[0])
    path = _jsonl(tmp_path / "bad-first.jsonl", [first[: len(first) // 2], *TEN[1:]])
    assert _counts(tmp_path, path) == (10, 9, {}, 1)
    (entry,) = _quarantine(tmp_path)
    assert entry["location"] == f"{path}:1" and entry["error"].startswith("invalid JSON")


def test_pretty_printed_documents_still_read_as_one_document(tmp_path):
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps({"Records": TEN}, indent=2))
    one_per_line = tmp_path / "array.json"  # the last line alone parses, the others end in a comma
    one_per_line.write_text("[\n" + ",\n".join(json.dumps(r) for r in TEN) + "\n]\n")
    assert _counts(tmp_path, pretty, one_per_line) == (20, 10, {"duplicate": 10}, 0)
    assert [r.location.rsplit("#", 1)[1] for r in read_path(pretty)] == [f"Records[{i}]" for i in range(10)]


# --- 3. a truncated delivery file counts what it held ----------------------------------------------


def _cut_delivery(records: list[dict[str, Any]] = TEN) -> tuple[str, str]:
    """A delivery file's text and its prefix cut in the middle of record 7 (six whole records before)."""
    text = json.dumps({"Records": records})
    start = text.index(json.dumps(records[6]))
    return text, text[: start + len(json.dumps(records[6])) // 2]


def test_a_truncated_gzip_stream_loads_the_records_before_the_cut(tmp_path):
    text, prefix = _cut_delivery()
    stored = gzip.compress(text.encode(), compresslevel=0)  # stored blocks: byte n of data is byte n + 15
    path = tmp_path / "cut.json.gz"
    path.write_bytes(stored[: 15 + len(prefix)])
    assert _counts(tmp_path, path) == (7, 6, {}, 1)
    (entry,) = _quarantine(tmp_path)
    assert entry["location"] == f"{path}#0#Records[6]"
    assert entry["error"].startswith(f"truncated gzip: the data stops after {len(prefix)} bytes")
    assert "truncated JSON after 6 records" in entry["error"]
    assert entry["record"] == prefix[text.index(json.dumps(TEN[6])):]


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_truncated_json_text_loads_the_records_before_the_cut(tmp_path, compress):
    _, prefix = _cut_delivery()
    path = tmp_path / "cut.json"
    path.write_bytes(gzip.compress(prefix.encode()) if compress else prefix.encode())
    assert _counts(tmp_path, path) == (7, 6, {}, 1)
    (entry,) = _quarantine(tmp_path)
    assert entry["error"].startswith("invalid JSON: truncated JSON after 6 records")


def test_a_gzip_cut_between_lines_still_reports_the_loss(tmp_path):
    data = b"".join(_line(r) + b"\n" for r in TEN[:3])
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(data, compresslevel=0)[: 15 + len(data)])  # every line, no gzip trailer
    assert _counts(tmp_path, path) == (4, 3, {}, 1)
    (entry,) = _quarantine(tmp_path)
    assert entry["location"] == f"{path}:4" and entry["error"].startswith("truncated gzip")


def test_big_json_lines_stream_in_flat_memory(tmp_path):
    line = _line(TEN[0]) + b"\n"
    data = line * (16_000_000 // len(line))  # about 16 MB
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_stream(io.BytesIO(gzip.compress(data, compresslevel=1)), "big"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == data.count(b"\n")
    assert peak < 4_000_000 + len(gzip.compress(data, compresslevel=1))  # a few chunks beside the input bytes


# --- 4. Records that is an object ------------------------------------------------------------------


def test_records_as_an_object_of_records_or_one_record(tmp_path):
    keyed = tmp_path / "keyed.json"
    keyed.write_text(json.dumps({"Records": {str(i): r for i, r in enumerate(TEN[:3])}}))
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"Records": TEN[3]}))
    mixed = tmp_path / "mixed.json"  # not all values are objects: the object is one (unrecognised) record
    mixed.write_text(json.dumps({"Records": {"0": TEN[4], "note": "text"}}))
    assert [r.location.rsplit("#", 1)[1] for r in read_path(keyed)] == ["Records[0]", "Records[1]", "Records[2]"]
    assert _shape(list(read_path(single))) == [("cloudtrail", None, False)]
    assert _counts(tmp_path, keyed, single, mixed) == (5, 4, {"unrecognised_record": 1}, 0)


# --- 5. concatenated documents with a damaged one among them ---------------------------------------


def test_concatenated_documents_keep_their_valid_neighbours(tmp_path):
    whole = json.dumps({"Records": TEN[4:7]})
    cut = whole[: whole.index(TEN[6]["eventID"]) + 8]  # the third document stops inside its third record's id
    text = json.dumps({"Records": TEN[:3]}) + json.dumps(TEN[3], indent=2) + cut + json.dumps({"Records": TEN[7:]})
    path = tmp_path / "firehose"
    path.write_text(text)
    assert _counts(tmp_path, path) == (10, 9, {}, 1)
    (entry,) = _quarantine(tmp_path)
    assert entry["location"] == f"{path}#2#Records[2]"
    assert entry["error"].startswith("invalid JSON: damaged JSON after 2 records")
    assert entry["record"] == cut[whole.index(json.dumps(TEN[6])):]


def test_a_corrupt_record_inside_a_document_costs_that_record(tmp_path):
    body = ", ".join([json.dumps(TEN[0]), '{"eventVersion": tru, "eventName": "x"}', json.dumps(TEN[1])])
    path = tmp_path / "corrupt.json"
    path.write_text('{"Records": [' + body + "]}" + json.dumps(TEN[2]))
    assert _shape(list(read_path(path))) == [("cloudtrail", None, False), (None, None, True),
                                             ("cloudtrail", None, False), ("cloudtrail", None, False)]
    assert _counts(tmp_path, path) == (4, 3, {}, 1)
    assert _quarantine(tmp_path)[0]["record"] == '{"eventVersion": tru, "eventName": "x"}'


def test_a_garbage_stretch_between_documents_is_one_record(tmp_path):
    path = tmp_path / "garbage.json"
    path.write_text(json.dumps(TEN[0]) + "\n<html>502 Bad Gateway</html>\n" + json.dumps(TEN[1], indent=1))
    assert _counts(tmp_path, path) == (3, 2, {}, 1)


# --- 6. deep JSON at any level ---------------------------------------------------------------------


def _gzip_b64(value: str) -> str:
    return base64.b64encode(gzip.compress(value.encode())).decode()


def test_json_nested_beyond_the_recursion_limit_is_one_record_at_every_level(tmp_path):
    lines = [
        TEN[0],
        DEEP.encode(),                                                      # the line itself
        {"CloudTrailEvent": DEEP},                                          # LookupEvents item
        {"awslogs": {"data": _gzip_b64(DEEP)}},                             # CloudWatch Logs payload
        {"eventSource": "aws:sqs", "body": DEEP},                           # SQS body
        {"Sns": {"Message": DEEP}},                                         # SNS Message
        {"messageType": "DATA_MESSAGE", "logEvents": [{"message": "{\"a\":" + DEEP + "}"}]},
        {"_raw": "{\"eventVersion\":" + DEEP + "}", "_time": "2024-01-01"},  # Splunk row
        json.loads("[" * 100 + json.dumps(TEN[1]) + "]" * 100),            # parses, but wrapped 100 deep
    ]
    path = _jsonl(tmp_path / "deep.jsonl", lines)
    assert _counts(tmp_path, path) == (9, 1, {}, 8)
    errors = [entry["error"] for entry in _quarantine(tmp_path)]
    assert sum(e.endswith("nested deeper than the parser's recursion limit") for e in errors) == 7
    assert "arrays or wrappers nested deeper than 32 levels" in errors
    assert "invalid embedded JSON (splunk envelope): JSON nested deeper than the parser's recursion limit" in errors
    whole = tmp_path / "deep.json"
    whole.write_text(DEEP)
    (only,) = list(read_path(whole))
    assert only.error == "invalid JSON in item 0: JSON nested deeper than the parser's recursion limit"


# --- 7. wrapper fields of the wrong type or encoding -----------------------------------------------


WRONG_WRAPPERS: list[tuple[Any, list[str]]] = [
    ({"awslogs": {"data": 5}}, ["error:undecodable CloudWatch Logs data: awslogs.data is a number"]),
    ({"awslogs": {"data": "!!!not base64"}}, ["error:undecodable CloudWatch Logs data"]),
    ({"awslogs": {"data": base64.b64encode(b"not gzip").decode()}}, ["error:undecodable CloudWatch Logs data"]),
    ({"awslogs": {"data": base64.b64encode(gzip.compress(b"\xff\xfe{}")).decode()}},
     ["error:undecodable CloudWatch Logs data: 'utf-8' codec"]),
    ({"awslogs": {"data": _gzip_b64("[1, 2]")}}, ["error:undecodable CloudWatch Logs data: the payload is a list"]),
    ({"awslogs": {"data": base64.b64encode(gzip.compress(b'{"a": 1}')[:-12]).decode()}},
     ["error:undecodable CloudWatch Logs data: truncated compressed data"]),
    ({"messageType": "DATA_MESSAGE", "logEvents": "abc"}, ["error:CloudWatch Logs logEvents is a string"]),
    ({"messageType": "DATA_MESSAGE", "logEvents": 5}, ["error:CloudWatch Logs logEvents is a number"]),
    ({"messageType": "DATA_MESSAGE", "logEvents": [1, {"message": 5}]},
     ["error:log event without a message (the event is a number)",
      "error:log event without a message (message is a number)"]),
    ({"Records": ["a", 1, None]}, ["skip:unrecognised_record"] * 3),
    ({"Records": "text"}, ["skip:unrecognised_record"]),
    ({"CloudTrailEvent": 5}, ["error:CloudTrailEvent is a number, not JSON text"]),
    ({"CloudTrailEvent": None}, ["error:CloudTrailEvent is null, not JSON text"]),
    ({"CloudTrailEvent": TEN[0]}, ["kind:cloudtrail"]),  # decoded already: read as the object
    ({"detail-type": "AWS API Call via CloudTrail", "detail": [TEN[1]]}, ["error:EventBridge detail is a list"]),
    ({"detail-type": "AWS API Call via CloudTrail", "detail": json.dumps(TEN[1])},
     ["error:EventBridge detail is a string"]),
    ({"eventSource": "aws:sqs", "body": {"Records": [TEN[2]]}}, ["kind:cloudtrail"]),
    ({"eventSource": "aws:sqs", "body": 5}, ["error:SQS body is a number, not JSON text"]),
    ({"eventSource": "aws:sqs", "body": "hello"}, ["skip:unrecognised_record"]),
    ({"eventSource": "aws:sqs", "body": '{"Records": [{"eventVersion"'}, ["error:invalid embedded JSON in SQS body"]),
    ({"Sns": {"Message": 5}}, ["error:SNS Message is a number, not JSON text"]),
    ({"Type": "Notification", "Message": ["x"]}, ["skip:unrecognised_record"]),  # a decoded list of a string
    ({"@timestamp": ["x"], "message": 5}, ["skip:unrecognised_record"]),
    ({"_raw": 5, "_time": {"a": 1}}, ["skip:unrecognised_record"]),
    ({"EventName": [1], "EventSource": {"a": 1}, "AwsEventId": 5}, ["skip:unrecognised_record"]),
    ({"tables": [{"columns": [[1]], "rows": [[1]]}]}, ["error:unreadable wrapper (TypeError: "]),  # list as a name
    # a Splunk row with an unusable `_time`: read, then quarantined by the loader (no time)
    ({**{k: v for k, v in TEN[4].items() if k != "eventTime"}, "_time": []}, ["kind:cloudtrail"]),
]


def _outcome(raw: RawRecord) -> str:
    return f"error:{raw.error}" if raw.error else f"skip:{raw.skip}" if raw.skip else f"kind:{raw.kind}"


@pytest.mark.parametrize(("value", "expected"), WRONG_WRAPPERS, ids=[str(i) for i in range(len(WRONG_WRAPPERS))])
def test_wrapper_fields_of_the_wrong_type_give_a_named_skip_or_error(tmp_path, value, expected):
    path = _jsonl(tmp_path / "wrapper.jsonl", [value])
    outcomes = [_outcome(r) for r in read_path(path)]
    assert len(outcomes) == len(expected)
    assert all(got.startswith(want) for got, want in zip(outcomes, expected, strict=True)), outcomes


def test_all_wrong_wrappers_in_one_file_are_counted(tmp_path):
    path = _jsonl(tmp_path / "wrappers.jsonl", [value for value, _ in WRONG_WRAPPERS])
    expected = Counter(want.split(":")[0] for _, wants in WRONG_WRAPPERS for want in wants)
    assert expected == Counter({"error": 18, "skip": 9, "kind": 3})
    assert _counts(tmp_path, path) == (30, 2, {"unrecognised_record": 9}, 19)


def test_an_unforeseen_wrapper_shape_costs_only_itself(tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps({"Records": [TEN[0], {"tables": [{"columns": [[1]], "rows": [[1]]}]}, TEN[1]]}))
    records = list(read_path(path))
    assert _shape(records) == [("cloudtrail", None, False), (None, None, True), ("cloudtrail", None, False)]
    assert records[1].location == f"{path}:1#Records[1]"


def test_wrong_typed_wrapper_values_nested_deep_are_counted_without_their_value(tmp_path):
    deep = json.loads("[" * 500 + "]" * 500)  # parses, but deeper than the quarantine writer walks
    lines = [{"awslogs": {"data": deep}}, {"messageType": "DATA_MESSAGE", "logEvents": [deep]},
             {"detail-type": "x", "detail": deep}]
    path = _jsonl(tmp_path / "deep-wrappers.jsonl", lines)
    assert _counts(tmp_path, path) == (3, 0, {}, 3)
    kept = [entry["record"] for entry in _quarantine(tmp_path)]
    assert kept == [f"<{what} nested deeper than 64 levels, not kept>" for what in ("a list", "a list", "an object")]


class _Trickle(io.RawIOBase):
    """A raw stream that returns at most `size` bytes per read, as a network body may."""

    def __init__(self, data: bytes, size: int) -> None:
        super().__init__()
        self.data, self.size = data, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk, self.data = self.data[: min(self.size, len(buffer))], self.data[min(self.size, len(buffer)):]
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_short_reads_from_a_stream_read_the_same(size):
    data, _ = _with_bad_byte()
    records = list(read_stream(_Trickle(gzip.compress(data), size), "s3://bucket/key"))
    good = ("cloudtrail", None, False)
    assert _shape(records) == [good] * 3 + [(None, None, True)] + [good] * 6


def test_damaged_files_give_the_graph_of_the_records_they_held_on_both_stores(store, tmp_path):
    """What loads from damaged files is exactly what a clean file of their readable records gives."""
    data, _ = _with_bad_byte()  # RECORDS[0:10], the fourth line undecodable
    bad_byte = tmp_path / "in" / "bad-byte.jsonl"
    bad_byte.parent.mkdir()
    bad_byte.write_bytes(data)
    text, prefix = _cut_delivery(RECORDS[10:20])  # six whole records before the cut
    cut = tmp_path / "in" / "cut.json.gz"
    cut.write_bytes(gzip.compress(text.encode(), compresslevel=0)[: 15 + len(prefix)])
    summary = load_paths([tmp_path / "in"], store, tmp_path / "quarantine.jsonl")
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (17, 15, {}, 2)
    clean = _jsonl(tmp_path / "clean.jsonl", RECORDS[0:3] + RECORDS[4:10] + RECORDS[10:16])
    reference_store = EmbeddedStore(tmp_path / "clean.json.gz")
    reference = load_paths([clean], reference_store, tmp_path / "clean-quarantine.jsonl")
    assert reference.loaded == 15
    assert (summary.nodes, summary.edges) == (reference.nodes, reference.edges)
    assert dump(store) == dump(reference_store)


def test_a_record_cut_after_a_nested_object_is_one_record_not_two(tmp_path):
    path = tmp_path / "cut-record.json"
    path.write_text('{"eventVersion":"1.03","userIdentity":{"type":"Root"}')  # the inner object is complete
    (only,) = list(read_path(path))
    assert (only.location, only.record) == (str(path), '{"eventVersion":"1.03","userIdentity":{"type":"Root"}')


def test_a_document_cut_right_after_a_colon_keeps_the_next_one_in_its_quarantined_piece(tmp_path):
    """The documented limit: after `:` a `{` cannot be told from a nested value, so the next document
    stays inside the damaged piece (quarantined with it, not lost, and counted once)."""
    path = tmp_path / "cut-after-colon.json"
    following = json.dumps({"Records": [TEN[1]]})
    path.write_text('{"Records": [' + json.dumps(TEN[0]) + ', {"eventVersion": ' + following)
    assert _counts(tmp_path, path) == (2, 1, {}, 1)
    assert _quarantine(tmp_path)[0]["record"] == '{"eventVersion": ' + following


def test_a_records_document_without_its_closing_brace_keeps_the_next_document(tmp_path):
    path = tmp_path / "unclosed.json"
    path.write_text('{"Records": [' + json.dumps(TEN[0]) + "]" + json.dumps({"Records": [TEN[1]]}))
    records = list(read_path(path))
    assert _shape(records) == [("cloudtrail", None, False), (None, None, True), ("cloudtrail", None, False)]
    assert records[1].error == "invalid JSON: no `}` closes the Records document"
