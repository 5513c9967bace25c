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

from bisect import insort
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
    groups = Groups(grouping)
    for row in rows:
        groups.add(row)
    return groups.rows()


class Groups:
    """Rows folded into their groups one at a time, so an answer of millions of rows is grouped as it streams.

    A group keeps its member count, its sample and the union of its merged lists, not its members, when the
    rows come sorted as normalise_rows sorts them (`sorted_input`): a member's rows of one group then arrive
    together, so a member is counted when it differs from the group's last one. That holds when no merged
    column comes before the member column (the merged lists are not part of the key); otherwise, and for rows
    in any order, each group keeps the set of its members."""

    def __init__(self, grouping: Grouping, sorted_input: bool = False) -> None:
        self.grouping = grouping
        self.count = 0  # rows folded
        self._columns: list[str] | None = None
        self._key_columns: list[str] = []
        self._by_last_member = False
        self._sorted_input = sorted_input
        self._groups: dict[tuple, _Group] = {}

    def add(self, row: dict[str, Any]) -> None:
        if self._columns is None:
            self._start(list(row))
        self.count += 1
        key = tuple(_hashable(row.get(c)) for c in self._key_columns)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(self.grouping.merge, keep_members=not self._by_last_member)
        group.add(row, self.grouping)

    def _start(self, columns: list[str]) -> None:
        grouping = self.grouping
        missing = [c for c in (*grouping.by, grouping.member, *grouping.merge) if c not in columns]
        if missing:
            raise QuestionError(f"cannot group rows by missing column(s): {', '.join(missing)}")
        self._columns = columns
        self._key_columns = [c for c in columns if c != grouping.member and c not in grouping.merge]
        before_member = columns[:columns.index(grouping.member)]
        self._by_last_member = self._sorted_input and not any(c in grouping.merge for c in before_member)

    def rows(self) -> list[dict[str, Any]]:
        """The groups, sorted like any answer."""
        if self._columns is None:
            return []
        grouping = self.grouping
        carried = [c for c in self._key_columns if c not in grouping.by]
        out = []
        for key, group in self._groups.items():
            values = dict(zip(self._key_columns, key, strict=True))
            row = {c: _unhashable(values[c]) for c in grouping.by}  # what a reader scans first, then who and why
            row[count_column(grouping)] = group.members
            row[SAMPLE_COLUMN] = list(group.sample)
            row.update({c: _unhashable(values[c]) for c in carried})
            row.update({c: sorted(group.merged[c], key=_order) for c in grouping.merge})
            out.append(row)
        return normalise_rows(out)


class _Group:
    """One group as it fills: how many distinct members, the first SAMPLE_SIZE of them in sorted order, and the
    union of each merged column."""

    __slots__ = ("members", "sample", "merged", "_seen", "_last")

    def __init__(self, merge: tuple[str, ...], keep_members: bool) -> None:
        self.members = 0
        self.sample: list[Any] = []
        self.merged: dict[str, set] = {c: set() for c in merge}
        self._seen: set | None = set() if keep_members else None
        self._last: Any = _NOTHING

    def add(self, row: dict[str, Any], grouping: Grouping) -> None:
        member = row.get(grouping.member)
        if self._seen is None:
            new = member != self._last
            self._last = member
        else:
            new = member not in self._seen
            self._seen.add(member)
        if new:
            self.members += 1
            if len(self.sample) < SAMPLE_SIZE or _order(member) < _order(self.sample[-1]):
                insort(self.sample, member, key=_order)
                del self.sample[SAMPLE_SIZE:]
        for column in grouping.merge:
            value = row.get(column)
            self.merged[column].update(value if isinstance(value, list) else [] if value is None else [value])


_NOTHING = object()


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
