"""Long answers as people read them: a question's rows grouped by the columns its header names.

`cross-account-exposure` at a million records is 160,000 rows, one per principal: nobody reads that. A question
declares `// group: {"by": [...], "member": "principal", "merge": ["via"]}` (graphgov.questions.catalog), and the
table, Markdown, HTML and SARIF forms show one row per group instead: the `by` columns, how many distinct members
(`principals`), a sample of them in sorted order, the other columns that do not name the member (constant in a
group, so they join the key: a value that varied would split the group, never be hidden), and the union of the
`merge` lists. The access level is a `by` column, so `unknown` and `conditional` rows stay groups of their
own, never folded into `potential` or `observed`.

JSON and CSV keep one row per member (tools rely on it), in `graphgov query` and in the JSON report, unless
`graphgov query` is asked `--param summary=true`; `--param summary=false` gives its table every row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgov.questions.catalog import Grouping, Question, QuestionError, normalise_rows

SAMPLE_SIZE = 3  # members named per group; the count says how many there are
SAMPLE_COLUMN = "sample"
SUMMARY_PARAM = "summary"
GROUPED_FORMATS = ("table", "md", "html", "sarif")  # for people; json and csv are for tools
_TRUTH = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def count_column(grouping: Grouping) -> str:
    """`principals` for member `principal`: the column holding each group's member count."""
    return f"{grouping.member}s"


def group_rows(grouping: Grouping, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per group, sorted like any answer (graphgov.questions.catalog.normalise_rows).

    Pure: the same rows in any order give the same groups. A group's sample is its first SAMPLE_SIZE members
    in sorted order, so it names the same principals on every run and on both stores."""
    if not rows:
        return []
    columns = list(rows[0])
    missing = [c for c in (*grouping.by, grouping.member, *grouping.merge) if c not in columns]
    if missing:
        raise QuestionError(f"cannot group rows by missing column(s): {', '.join(missing)}")
    key_columns = [c for c in columns if c != grouping.member and c not in grouping.merge]
    groups: dict[tuple, tuple[set, dict[str, set]]] = {}
    for row in rows:
        key = tuple(_hashable(row.get(c)) for c in key_columns)
        members, merged = groups.setdefault(key, (set(), {c: set() for c in grouping.merge}))
        members.add(row.get(grouping.member))
        for column in grouping.merge:
            value = row.get(column)
            merged[column].update(value if isinstance(value, list) else [] if value is None else [value])
    carried = [c for c in key_columns if c not in grouping.by]
    out = []
    for key, (members, merged) in groups.items():
        values = dict(zip(key_columns, key, strict=True))
        row = {c: _unhashable(values[c]) for c in grouping.by}  # what a reader scans first, then who and why
        row[count_column(grouping)] = len(members)
        row[SAMPLE_COLUMN] = sorted(members, key=_order)[:SAMPLE_SIZE]
        row.update({c: _unhashable(values[c]) for c in carried})
        row.update({c: sorted(merged[c], key=_order) for c in grouping.merge})
        out.append(row)
    return normalise_rows(out)


def group_phrase(grouping: Grouping, rows: int, groups: int) -> str:
    """'180 groups of 2094 rows (one per principal, grouped by resource, principal_account, access)'."""
    return (f"{groups} group{'' if groups == 1 else 's'} of {rows} row{'' if rows == 1 else 's'} (one per "
            f"{grouping.member}, grouped by {', '.join(grouping.by)})")


def for_people(question: Question, rows: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows a report shows people (Markdown, HTML, SARIF): the groups when the question declares them."""
    return group_rows(question.group, list(rows)) if question.group is not None else list(rows)


def take_summary(question: Question, given: Mapping[str, str]) -> tuple[dict[str, str], bool | None]:
    """The question's own parameters, and the `summary` rendering parameter when given (True/False), which a
    question without a `group` header refuses: grouping it would say nothing new."""
    params = dict(given)
    if SUMMARY_PARAM not in params or SUMMARY_PARAM in question.params:
        return params, None
    value = params.pop(SUMMARY_PARAM).strip().lower()
    if question.group is None:
        raise QuestionError(f"{question.id}: parameter {SUMMARY_PARAM!r} groups rows, and this question's rows "
                            "are not grouped (only questions with a `// group:` header are)")
    if value not in _TRUTH:
        raise QuestionError(f"{question.id}: parameter {SUMMARY_PARAM!r} must be true or false, got {value!r}")
    return params, _TRUTH[value]


def grouped_for(question: Question, output_format: str, summary: bool | None = None) -> Grouping | None:
    """The grouping a rendering applies: the question's, for people's formats (table, md, html, sarif) unless
    summary=false, for tools' formats (json, csv) only with summary=true; None to show every row."""
    if question.group is None:
        return None
    wanted = output_format in GROUPED_FORMATS if summary is None else summary
    return question.group if wanted else None


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _unhashable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _order(value: Any) -> tuple[bool, str]:
    return (value is None, str(value))
