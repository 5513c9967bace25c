"""Answers too large to hold (graphgov.questions.streaming, Groups, write_answer): streamed, sorted on disk and
grouped as they come, they must give exactly what the in-memory path gives, on both stores."""

from __future__ import annotations

import csv
import io
import json
import random

from click.testing import CliRunner
from test_grouping import EXPOSURE, HIGH_SET

from graphgov.cli.app import main
from graphgov.ingest.pipeline import load_paths
from graphgov.questions import streaming
from graphgov.questions.catalog import Grouping, ask, catalog, normalise_rows
from graphgov.questions.grouping import Groups, group_rows
from graphgov.questions.streaming import ask_stream, sorted_rows
from graphgov.report.rows import render_answer, write_answer

ACCOUNTS = ["111111111111", "222222222222", None]


def _random_rows(seed: int, count: int) -> list[dict]:
    """Exposure-shaped rows with repeats: one principal under several accesses and vias, None accounts, lists."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        account = rng.choice(ACCOUNTS)
        rows.append({
            "resource": f"s3://b/{rng.choice('abc')}/", "resource_account": "333333333333",
            "principal": "*" if account is None else f"arn:aws:iam::{account}:role/R{rng.randrange(6)}",
            "principal_account": account, "access": rng.choice(["observed", "potential", "unknown"]),
            "via": rng.sample(["v1", "v2", "v3", "v4"], rng.randrange(3))})
    return rows


def test_sorted_rows_give_normalise_rows_order_whatever_the_run_size():
    rows = [{"a": 2, "b": ["y", "x"]}, {"a": None, "b": []}, {"a": 1, "b": ["z"]}, {"a": 2, "b": ["x"]},
            {"a": True, "b": None}, {"a": "s", "b": []}]
    same = "arn:aws:iam::111111111111:role/R"  # one string twice in a row, as pickle's memo shares it
    twice = [{"role": same, "changed": same}, {"role": "arn:a", "changed": "x"}, {"role": "arn:b", "changed": "arn:c"}]
    assert list(sorted_rows(twice, 2)) == normalise_rows(twice)
    # lists compare as their JSON text: '["x", "y"]' sorts before '["x"]'
    expected = [{"a": None, "b": []}, {"a": True, "b": None}, {"a": 1, "b": ["z"]}, {"a": 2, "b": ["x", "y"]},
                {"a": 2, "b": ["x"]}, {"a": "s", "b": []}]
    for run_rows in (1, 2, 4, 100):
        assert list(sorted_rows(rows, run_rows)) == expected, run_rows
    many = _random_rows(1, 500)
    for run_rows in (1, 7, 64, 1000):
        assert list(sorted_rows(many, run_rows)) == normalise_rows(many), run_rows


def test_sorted_rows_of_nothing():
    assert list(sorted_rows([], 3)) == []


def test_groups_of_a_sorted_stream_equal_group_rows_of_any_order():
    rows = _random_rows(2, 400)
    expected = group_rows(EXPOSURE, rows)
    assert sum(g["principals"] for g in expected) < len(rows)  # members repeat within groups: dedup is tested
    for run_rows in (5, 1000):
        groups = Groups(EXPOSURE, sorted_input=True)
        for row in sorted_rows(rows, run_rows):
            groups.add(row)
        assert groups.rows() == expected
        assert groups.count == 400


def test_groups_keep_members_when_a_merged_column_comes_before_the_member():
    # `via` before `principal`: sorted rows of one member no longer arrive together, so sets are kept
    rows = [{"via": ["a"], "principal": "p2", "bucket": "b"}, {"via": ["b"], "principal": "p1", "bucket": "b"},
            {"via": ["c"], "principal": "p2", "bucket": "b"}]
    grouping = Grouping(by=("bucket",), member="principal", merge=("via",))
    groups = Groups(grouping, sorted_input=True)
    for row in sorted_rows(rows):
        groups.add(row)
    assert groups.rows() == [{"bucket": "b", "principals": 2, "sample": ["p1", "p2"], "via": ["a", "b", "c"]}]


def test_written_answers_equal_rendered_answers():
    rows = normalise_rows(_random_rows(3, 2500))  # more than one write batch
    for output_format in ("json", "csv", "table"):
        for grouping in (None, EXPOSURE):
            for given in (rows, []):
                pieces: list[str] = []
                write_answer(iter(given), output_format, grouping, pieces.append, width=None)
                assert "".join(pieces) == render_answer(given, output_format, grouping), (output_format, grouping)
    # CSV has one writer for both paths: hold its text to the csv module's reading of it
    pieces = []
    write_answer(iter(rows), "csv", None, pieces.append)
    read = list(csv.reader(io.StringIO("".join(pieces))))
    assert read[0] == list(rows[0])
    assert read[1:] == [["" if v is None else ";".join(v) if isinstance(v, list) else str(v) for v in row.values()]
                        for row in rows]
    assert len(read) == 2501


def test_ask_stream_equals_ask_on_both_stores(store, tmp_path, monkeypatch):
    load_paths(HIGH_SET, store, tmp_path / "quarantine.jsonl")
    monkeypatch.setattr(streaming, "RUN_ROWS", 2)  # every answer of more than two rows goes through the disk
    asked = 0
    for question in catalog().values():
        if any(spec.required for spec in question.params.values()):
            continue
        assert list(ask_stream(store, question.id)) == ask(store, question.id), question.id
        asked += 1
    assert asked == 15
    exposure = list(ask_stream(store, "cross-account-exposure"))
    assert len(exposure) == 10


def test_query_streams_the_same_json_as_the_answer(tmp_path, monkeypatch):
    store_path = tmp_path / "graph.db"
    monkeypatch.setattr(streaming, "RUN_ROWS", 3)
    runner = CliRunner()
    assert runner.invoke(main, ["load", *map(str, HIGH_SET), "--store", str(store_path)]).exit_code == 0
    result = runner.invoke(main, ["query", "cross-account-exposure", "--format", "json", "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 10
    assert rows == normalise_rows(rows)
    summary = runner.invoke(main, ["query", "cross-account-exposure", "--format", "json", "--param", "summary=true",
                                   "--store", str(store_path)])
    assert json.loads(summary.output) == group_rows(EXPOSURE, rows)
