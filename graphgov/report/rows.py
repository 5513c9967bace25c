"""Rows of a saved question as text: a table for people, JSON or CSV for tools (the CLI and the demo print them).

The table is fitted to the width it is given (graphgov.report.table_fit) and says under it how many rows it
holds and what it cut; JSON and CSV always carry every row and every value whole.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

from graphgov.questions.catalog import Grouping
from graphgov.questions.controls import rows_phrase  # one phrasing of row counts for reports and tables
from graphgov.questions.grouping import (
    SAMPLE_COLUMN,
    SUMMARY_PARAM,
    Groups,
    count_column,
    group_phrase,
    group_rows,
)
from graphgov.report.table_fit import GAP, MIN_CUT_WIDTH, Fit, cut_end, cut_middle, display_width, fit_columns, pad

FULL_FORMATS = "--format json or csv"
_BATCH_ROWS = 1000  # rows written at a time when an answer is streamed
# control characters (a newline in a logged value) would break the table's lines: each shows as a space
_CONTROLS = {code: " " for code in (*range(32), *range(127, 160))}


def counted(count: int, noun: str) -> str:
    """'1 record', '3 records', '0 files': a count with its noun, singular for one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def output_width() -> int | None:
    """The width tables are fitted to: $COLUMNS when set, else the terminal's. None (nothing cut) when stdout
    is a pipe or a file and COLUMNS is unset, so `graphgov query ... > rows.txt` or `| grep` keeps every value."""
    if os.environ.get("COLUMNS", "").strip().isdigit() or sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def render_answer(rows: list[dict[str, Any]], output_format: str, grouping: Grouping | None,
                  width: int | None = None, limit: int | None = None, all_rows_hint: str = "") -> str:
    """A question's rows as `render_rows` gives them, or, with a grouping, its groups
    (graphgov.questions.grouping); a grouped table says how many rows it groups and how to list them all."""
    if grouping is None:
        return render_rows(rows, output_format, width, limit, all_rows_hint)
    return render_groups(group_rows(grouping, rows), len(rows), output_format, grouping, width, limit, all_rows_hint)


def write_answer(rows: Iterable[dict[str, Any]], output_format: str, grouping: Grouping | None,
                 write: Callable[[str], Any], width: int | None = None) -> None:
    """`render_answer` for answers streamed in sorted order (graphgov.questions.streaming.ask_stream), written
    piece by piece: JSON and CSV rows as they come, groups folded as they come; only an ungrouped table, which
    is fitted to its widest cells, holds its rows."""
    if grouping is not None:
        groups = Groups(grouping, sorted_input=True)
        for row in rows:
            groups.add(row)
        write(render_groups(groups.rows(), groups.count, output_format, grouping, width))
    elif output_format == "json":
        _write_json(rows, write)
    elif output_format == "csv":
        _write_csv(rows, write)
    else:
        write(render_rows(list(rows), output_format, width))


def _write_json(rows: Iterable[dict[str, Any]], write: Callable[[str], Any]) -> None:
    """The text `json.dumps(rows, indent=2)` gives, a batch of rows at a time."""
    batch: list[str] = []
    first = True
    for row in rows:
        batch.append(("[\n" if first else ",\n") + textwrap.indent(json.dumps(row, indent=2), "  "))
        first = False
        if len(batch) >= _BATCH_ROWS:
            write("".join(batch))
            batch = []
    batch.append("[]\n" if first else "\n]\n")
    write("".join(batch))


def _write_csv(rows: Iterable[dict[str, Any]], write: Callable[[str], Any]) -> None:
    """The rows as CSV (a header of the first row's columns; lists joined by `;`), a batch of rows at a time:
    `render_rows` writes its CSV through it too."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns: list[str] | None = None
    for count, row in enumerate(rows, 1):
        if columns is None:
            columns = list(row)
            writer.writerow(columns)
        writer.writerow([_cell(row.get(c)) for c in columns])
        if count % _BATCH_ROWS == 0:
            write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    write(buffer.getvalue())


def render_groups(groups: list[dict[str, Any]], row_count: int, output_format: str, grouping: Grouping,
                  width: int | None = None, limit: int | None = None, all_rows_hint: str = "") -> str:
    """Groups (graphgov.questions.grouping) as json, csv or a table that says how many rows they group."""
    if output_format != "table":
        return render_rows(groups, output_format)
    count = group_phrase(grouping, row_count, len(groups))
    every = f"--param {SUMMARY_PARAM}=false lists every {grouping.member}"
    shown = groups if limit is None else groups[:limit]
    if width is not None and shown and fit_columns(_natural(list(shown[0]), [
            [_printable(_cell(v)) for v in g.values()] for g in shown]), width).cut:
        groups = [_first_of_sample(g, count_column(grouping)) for g in groups]
    return render_table(groups, width, limit, all_rows_hint, count=f"{count}; {every}" if row_count else None)


def _first_of_sample(group: dict[str, Any], counted_column: str) -> dict[str, Any]:
    """A group whose sample is cut to fit shows its first member whole-ish and how many more, '<arn> (+3)',
    rather than the head of one ARN joined to the tail of another."""
    sample, count = group.get(SAMPLE_COLUMN) or [], group.get(counted_column) or 0
    first = f"{sample[0]} (+{count - 1})" if sample and count > 1 else (sample[0] if sample else "")
    return {**group, SAMPLE_COLUMN: first}


def render_rows(rows: list[dict[str, Any]], output_format: str, width: int | None = None,
                limit: int | None = None, all_rows_hint: str = "") -> str:
    """The rows as json, csv or table; a table fits `width` (None: no limit) and shows the first `limit` rows,
    saying under it "showing 8 of 22 rows; <all_rows_hint>"."""
    if output_format == "json":
        return json.dumps(rows, indent=2) + "\n"
    if output_format == "csv":
        pieces: list[str] = []
        _write_csv(rows, pieces.append)
        return "".join(pieces)
    return render_table(rows, width, limit, all_rows_hint)


def render_table(rows: list[dict[str, Any]], width: int | None, limit: int | None = None,
                 all_rows_hint: str = "", count: str | None = None) -> str:
    """An aligned table of (the first `limit` of) `rows` within `width` cells, then its count (`count`, when
    the rows are groups, else "22 rows") and what was cut.

    When the table does not fit whole, a column holding the same value in every row shown says nothing a
    table needs room for: it is taken out and its value said once, under the table, leaving the room to
    the columns that tell the rows apart.
    """
    shown = rows if limit is None else rows[:limit]
    lines: list[str] = []
    fit = None
    values_cut = False
    if rows:
        columns = list(rows[0])
        cells = [[_printable(_cell(row.get(c))) for c in columns] for row in shown]
        columns, cells, same = _take_out_constant_columns(columns, cells, width)
        fit = fit_columns(_natural(columns, cells), width)
        lines.append(GAP.join(pad(cut_end(c, w), w) for c, w in zip(columns, fit.widths, strict=False)).rstrip())
        lines.append(GAP.join("-" * w for w in fit.widths))
        lines += [GAP.join(pad(cut_middle(v, w), w) for v, w in zip(r, fit.widths, strict=False)).rstrip()
                  for r in cells]
        same_lines, values_cut = _same_lines(same, width)
        lines += same_lines
    count = count or rows_phrase(len(rows))
    if len(shown) < len(rows):
        count = f"showing {len(shown)} of {count}" + (f"; {all_rows_hint}" if all_rows_hint else "")
    notes = [count]
    if fit is not None and width is not None and (fit.cut or fit.left_out or values_cut):
        notes.append(_cut_note(columns, fit, width, values_cut))
    for note in notes:
        lines += textwrap.wrap(note, width, break_on_hyphens=False) if width else [note]
    return "\n".join(lines) + "\n"


def _natural(columns: list[str], cells: list[list[str]]) -> list[int]:
    return [max(display_width(c), *(display_width(r[i]) for r in cells)) for i, c in enumerate(columns)]


def _take_out_constant_columns(columns: list[str], cells: list[list[str]], width: int | None
                               ) -> tuple[list[str], list[list[str]], list[tuple[str, str]]]:
    """The columns and cells left once the columns with one value in every row are taken out (only when the
    table would not fit whole, and some column still differs), and those (column, value)."""
    if width is None or len(cells) < 2:
        return columns, cells, []
    fit = fit_columns(_natural(columns, cells), width)
    constant = [i for i in range(len(columns)) if len({row[i] for row in cells}) == 1]
    if not (fit.cut or fit.left_out) or not constant or len(constant) == len(columns):
        return columns, cells, []
    keep = [i for i in range(len(columns)) if i not in constant]
    return ([columns[i] for i in keep], [[row[i] for i in keep] for row in cells],
            [(columns[i], cells[0][i]) for i in constant])


def _same_lines(same: list[tuple[str, str]], width: int | None) -> tuple[list[str], bool]:
    """'every row shown: job = arn:…', one line each (the value cut to fit), the empty ones in one line; and
    whether a value was cut."""
    lines, cut = [], False
    for column, value in same:
        if value:
            prefix = f"every row shown: {column} = "
            room = max(width or 0, display_width(prefix) + MIN_CUT_WIDTH) - display_width(prefix)
            lines.append(prefix + cut_middle(value, room))
            cut = cut or display_width(value) > room
    empty = [column for column, value in same if not value]
    if empty:
        lines += textwrap.wrap(f"empty in every row shown: {', '.join(empty)}", width or 80, break_on_hyphens=False)
    return lines, cut


def _cut_note(columns: list[str], fit: Fit, width: int, values_cut: bool = False) -> str:
    """What the table left out to fit, and where to see it whole."""
    left_out = columns[len(fit.widths):]
    named = f"column{'s' if len(left_out) > 1 else ''} {', '.join(left_out)} left out"
    if (fit.cut or values_cut) and left_out:
        return f"cells cut (…) and {named} to fit {width} characters; {FULL_FORMATS} shows all"
    if left_out:
        return f"{named} to fit {width} characters; {FULL_FORMATS} shows {'them' if len(left_out) > 1 else 'it'}"
    return f"cells cut (…) to fit {width} characters; {FULL_FORMATS} shows them whole"


def _printable(text: str) -> str:
    return text if text.isprintable() else text.translate(_CONTROLS)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)
