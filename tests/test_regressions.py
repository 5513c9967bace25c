"""The fuzz suite's regression corpus (tests/regressions/*.json): every crashing input it found, minimised.

Each file states the class of failure (`comment`), whose code crashed (`owner`), and the exact outcome now
expected: quarantined with which error, skipped with which reason, loaded, or (`parsed`) the delta's time;
`level: file` entries are whole input files for the readers, loaded as `graphgov load` reads them.
Inputs whose crash lies in another engineer's area (`status: open`) assert what the fix must give: the load
ends without an exception, every record is accounted for, and the store still answers and reloads. They are
expected failures until that fix is merged; the integrator then sets `status` to `fixed`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fuzz.harness import OWNERS
from fuzz.loads import balanced, questions_run
from fuzz.mutate import nested

from graphgov.ingest.pipeline import load_deltas, load_paths, parse_record
from graphgov.ingest.readers import RawRecord

CORPUS = Path(__file__).resolve().parent / "regressions"
ENTRIES = sorted(CORPUS.glob("*.json"))


def _entry(path: Path) -> dict[str, Any]:
    """The entry, with `expand` applied: nesting too deep to check in as text is built here."""
    entry = json.loads(path.read_text(encoding="utf-8"))
    if "expand" in entry:
        *parents, last = entry["expand"]["path"]
        holder = entry["record"]
        for step in parents:
            holder = holder[step]
        holder[last] = nested(entry["expand"]["depth"])
    return entry


def _params() -> list[Any]:
    params = []
    for path in ENTRIES:
        entry = _entry(path)
        marks = [pytest.mark.xfail(reason=f"owner {entry['owner']}: fix pending on that branch", strict=False)
                 ] if entry["status"] == "open" else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


def test_corpus_entries_are_well_formed() -> None:
    assert len(ENTRIES) >= 25
    for path in ENTRIES:
        entry = _entry(path)
        assert set(entry) >= {"comment", "owner", "status", "level", "kind", "expect", "record"}, path.name
        assert entry["level"] in {"parser", "pipeline", "store", "file"}, path.name
        assert entry["status"] == "fixed" or entry.get("signatures"), path.name  # open ones say how to route
        assert entry["owner"] in {"fuzz", *OWNERS}, path.name
        assert entry["status"] in {"fixed", "open"}, path.name
        assert entry["expect"]["outcome"] in {"quarantined", "skipped", "loaded", "parsed", "survives"}, path.name


@pytest.mark.parametrize("path", _params())
def test_regression(path: Path, store, tmp_path: Path) -> None:
    entry = _entry(path)
    if entry["level"] == "file":  # an input the readers must take apart: read from a file as a load reads it
        file = tmp_path / entry["file"]["name"]
        file.write_text(entry["file"]["text"], encoding="utf-8")
        summary = load_paths([file], store, tmp_path / "quarantine.jsonl")
        balanced(summary)
        assert summary.records >= 1
        questions_run(store)
        return
    expect, raw = entry["expect"], RawRecord(entry["kind"], entry["record"], path.name)
    if expect["outcome"] == "parsed":  # a value the parser must now write differently
        assert parse_record(raw, {}).time == expect["time"]
        return
    quarantine = tmp_path / "quarantine.jsonl"
    summary = load_deltas([raw], store, quarantine)
    balanced(summary, 1)
    if expect["outcome"] == "quarantined":
        assert summary.quarantined == 1
        lines = [json.loads(line) for line in quarantine.read_text(encoding="utf-8").splitlines()]
        assert [line["error"] for line in lines] == [expect["error"]]
    elif expect["outcome"] == "skipped":
        assert dict(summary.skipped) == {expect["reason"]: 1}
    elif expect["outcome"] == "loaded":
        assert summary.loaded == 1
    questions_run(store)  # whatever the outcome, the store still answers and takes the record again
    again = load_deltas([raw], store, quarantine)
    balanced(again, 1)
    assert again.loaded == 0
