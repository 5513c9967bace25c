"""Question rows as text: tables fitted to the terminal (cut cells, left-out columns, said under the table),
one phrasing of row counts, JSON and CSV never cut."""

from __future__ import annotations

import csv
import io
import json

import pytest
import wcwidth

from graphgov.report.rows import counted, output_width, render_rows, rows_phrase
from graphgov.report.table_fit import cut_end, cut_middle, fit_columns

ROLE = "arn:aws:iam::222222222222:role/AmazonSageMaker-ExecutionRole-20260105T001106"
ROWS = [
    {"principal": ROLE, "account": "222222222222", "count": 14, "name": "データセット-日本語-訓練用",
     "seen": "2026-01-05T00:32:52Z"},
    {"principal": "arn:aws:iam::444444444444:user/hackathon-dev", "account": "444444444444", "count": 1,
     "name": "Zoë’s café", "seen": None},
]


def test_a_wide_terminal_shows_every_value_whole():
    assert render_rows(ROWS, "table", width=200) == (
        "principal                                                                     account       count  name"
        "                        seen\n"
        "----------------------------------------------------------------------------  ------------  -----  "
        "--------------------------  --------------------\n"
        f"{ROLE}  222222222222  14     データセット-日本語-訓練用  2026-01-05T00:32:52Z\n"
        "arn:aws:iam::444444444444:user/hackathon-dev                                  444444444444  1      "
        "Zoë’s café\n"
        "2 rows\n")


def test_80_columns_cut_the_long_arn_in_the_middle_and_leave_out_the_last_column():
    """Short columns keep their width (a CJK character counts two cells); the ARN takes what is left."""
    text = render_rows(ROWS, "table", width=80)
    assert text == (
        "principal                        account       count  name\n"
        "-------------------------------  ------------  -----  --------------------------\n"
        "arn:aws:iam::22…20260105T001106  222222222222  14     データセット-日本語-訓練用\n"
        "arn:aws:iam::44…r/hackathon-dev  444444444444  1      Zoë’s café\n"
        "2 rows\n"
        "cells cut (…) and column seen left out to fit 80 characters; --format json or\n"
        "csv shows all\n")
    assert max(wcwidth.width(line) for line in text.splitlines()) == 80


def test_40_columns_keep_the_columns_that_can_still_be_read():
    assert render_rows(ROWS, "table", width=40) == (
        "principal                   account\n"
        "--------------------------  ------------\n"
        "arn:aws:iam:…260105T001106  222222222222\n"
        "arn:aws:iam:…hackathon-dev  444444444444\n"
        "2 rows\n"
        "cells cut (…) and columns count, name,\n"
        "seen left out to fit 40 characters;\n"
        "--format json or csv shows all\n")


def test_cells_cut_without_columns_left_out_say_so():
    rows = [{"endpoint": "arn:aws:sagemaker:eu-west-1:333333333333:endpoint/fraud-endpoint", "region": "eu-west-1"}]
    assert render_rows(rows, "table", width=50) == (
        "endpoint                                 region\n"
        "---------------------------------------  ---------\n"
        "arn:aws:sagemaker:e…oint/fraud-endpoint  eu-west-1\n"
        "1 row\n"
        "cells cut (…) to fit 50 characters; --format json\n"
        "or csv shows them whole\n")


JOB = "arn:aws:sagemaker:eu-west-1:222222222222:training-job/fraud-xgb-20260105-002"
READERS = [{"job": JOB, "principal": principal, "access": access, "via": ""} for principal, access in (
    ("arn:aws:iam::111111111111:role/DataEngineer", "potential"), ("arn:aws:iam::222222222222:role/MLEngineer",
                                                                   "observed"),
    ("arn:aws:iam::111111111111:user/alice.admin", "potential"))]


def test_columns_the_same_in_every_row_are_said_once_when_the_table_does_not_fit():
    """The job asked about fills a column of identical ARNs: under the table once, its room to the principals."""
    assert render_rows(READERS, "table", width=60, limit=2, all_rows_hint="the command above shows all") == (
        "principal                                    access\n"
        "-------------------------------------------  ---------\n"
        "arn:aws:iam::111111111111:role/DataEngineer  potential\n"
        "arn:aws:iam::222222222222:role/MLEngineer    observed\n"
        "every row shown: job = arn:aws:sagemaker:…d-xgb-20260105-002\n"
        "empty in every row shown: via\n"
        "showing 2 of 3 rows; the command above shows all\n"
        "cells cut (…) to fit 60 characters; --format json or csv\n"
        "shows them whole\n")
    whole = render_rows(READERS, "table", width=200)  # fits: nothing taken out
    assert whole.splitlines()[0].split() == ["job", "principal", "access", "via"]
    assert whole.splitlines()[-1] == "3 rows"
    one = render_rows(READERS[:1], "table", width=60)  # one row: every column is "the same", none is taken out
    assert one == (
        "job                    principal              access     via\n"
        "---------------------  ---------------------  ---------  ---\n"
        "arn:aws:sa…260105-002  arn:aws:ia…taEngineer  potential\n"
        "1 row\n"
        "cells cut (…) to fit 60 characters; --format json or csv\n"
        "shows them whole\n")


def test_unicode_is_cut_by_display_cells_and_never_inside_a_character():
    assert cut_middle("データセット-日本語", 9) == "デー…本語"  # 4 + 1 + 4 cells
    assert cut_middle("データセット-日本語", 8) == "デ…本語"  # a wide character that does not fit is left out
    assert cut_middle("cafe\u0301-au-lait-cafe\u0301", 7) == "caf…afe\u0301"  # the accent stays on its letter
    assert (cut_middle("abcdef", 1), cut_middle("abcdef", 0), cut_middle("abc", 3)) == ("…", "", "abc")
    assert cut_end("principal_account", 10) == "principal…"
    rows = [{"name": "データセット-日本語-訓練用", "n": 1}]
    assert render_rows(rows, "table", width=24).splitlines()[:3] == [  # 9 cells of tail + 1 of padding
        "name                   n", "---------------------  -", "データセッ…語-訓練用   1"]


def test_the_width_is_shared_fairly():
    """Max-min: narrow columns keep their width, the rest is shared among the wide ones; unreadable ones go."""
    assert fit_columns([76, 12, 5, 26, 20], 80).widths == (31, 12, 5, 26)
    assert fit_columns([60, 60, 60], 80).widths == (25, 25, 26)
    assert fit_columns([76, 12, 5, 26, 20], None).widths == (76, 12, 5, 26, 20)
    assert fit_columns([76, 60], 10).widths == (10,)  # one column, however narrow


def test_row_counts_have_one_phrasing():
    assert [rows_phrase(n) for n in (0, 1, 2, 22)] == ["0 rows", "1 row", "2 rows", "22 rows"]
    assert [counted(n, "file") for n in (0, 1, 3)] == ["0 files", "1 file", "3 files"]  # load and pull summaries
    assert render_rows([], "table", width=80) == "0 rows\n"
    assert render_rows(ROWS[:1], "table").splitlines()[-1] == "1 row"
    shown = render_rows(ROWS, "table", width=200, limit=1, all_rows_hint="the command above shows all")
    assert shown.splitlines()[-1] == "showing 1 of 2 rows; the command above shows all"
    assert render_rows(ROWS, "table", width=200, limit=2).splitlines()[-1] == "2 rows"


def test_control_characters_do_not_break_the_table():
    assert render_rows([{"value": "a\nb\tc"}], "table") == "value\n-----\na b c\n1 row\n"


def test_json_and_csv_are_never_cut():
    assert json.loads(render_rows(ROWS, "json", width=40)) == ROWS
    table = list(csv.DictReader(io.StringIO(render_rows(ROWS, "csv", width=40))))
    assert [(r["principal"], r["name"], r["seen"]) for r in table] == [
        (ROLE, "データセット-日本語-訓練用", "2026-01-05T00:32:52Z"),
        ("arn:aws:iam::444444444444:user/hackathon-dev", "Zoë’s café", "")]
    assert (render_rows([], "csv"), render_rows([], "json")) == ("", "[]\n")


@pytest.mark.parametrize(("columns", "expected"), [("57", 57), (None, None)])
def test_output_width_is_columns_or_nothing_when_not_a_terminal(monkeypatch, columns, expected):
    """pytest's stdout is not a terminal: COLUMNS decides, and without it nothing is cut (pipes, files)."""
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert output_width() == expected
