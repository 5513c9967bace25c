"""Answers too large to hold in memory: a question's rows streamed from the store and sorted on disk.

`cross-account-exposure` at 10M generated records is 15.7M rows (every execution role times every dataset the
role it assumed read): as Python dicts they would need tens of GB. `ask_stream` gives the same rows in the same
order as `graphgov.questions.catalog.ask`, one at a time: the store yields them (Neo4j streams its result), and
they are sorted as `normalise_rows` sorts them, in runs of RUN_ROWS spilled to a temporary folder and merged
(an external merge sort; an answer of one run never touches the disk). Memory stays near one run whatever the
answer's size, so `graphgov query --format json|csv` and grouped answers (graphgov.questions.grouping.Groups)
work at any size.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from graphgov.questions.catalog import bind_params, get_question, normalise_row, row_sort_key
from graphgov.stores.base import Store

RUN_ROWS = 100_000  # rows sorted in memory at a time; each full run is written to disk


def ask_stream(store: Store, question_id: str, given: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """The rows `ask` returns, in its order, yielded one at a time. Consume it inside the store's `with` block:
    the store's result stays open until the last row."""
    question = get_question(question_id)
    params = bind_params(question, given or {}, store)
    return sorted_rows(store.ask_stream(question.id, question.cypher, params))


def sorted_rows(rows: Iterable[Mapping[str, Any]], run_rows: int | None = None) -> Iterator[dict[str, Any]]:
    """The rows normalised and sorted as `normalise_rows` does, holding at most `run_rows` (RUN_ROWS) of them
    at a time."""
    run_rows = run_rows or RUN_ROWS
    run: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="graphgov-answer-") as folder:
        spilled: list[Path] = []
        for row in rows:
            run.append(normalise_row(row))
            if len(run) >= run_rows:
                spilled.append(_spill(run, Path(folder) / f"run-{len(spilled)}"))
                run = []
        run.sort(key=row_sort_key)
        if not spilled:
            yield from run
            return
        # heapq.merge is stable across its inputs in order, as sorted() is across the runs' rows
        yield from heapq.merge(*(_read(path) for path in spilled), run, key=row_sort_key)


def _spill(run: list[dict[str, Any]], path: Path) -> Path:
    run.sort(key=row_sort_key)
    with path.open("wb") as out:
        for row in run:  # one pickle per row: a reader's memo would otherwise keep every row it read
            pickle.dump(row, out, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _read(path: Path) -> Iterator[dict[str, Any]]:
    """A spilled run's rows in order; the file is this process's own (pickle never reads foreign input here)."""
    with path.open("rb") as source:
        while True:
            try:
                yield pickle.load(source)  # noqa: S301 - written by _spill in this process's own temporary folder
            except EOFError:
                return
