"""Loading fuzzed batches into stores, and the checks every load must pass: the counts add up exactly, the
saved questions still run, and the store reopens and takes the same records again (all now duplicates)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fuzz.harness import FIGURES
from fuzz.seeds import Seed
from graphgov.ingest.pipeline import LoadSummary, load_deltas, load_paths
from graphgov.ingest.readers import RawRecord
from graphgov.questions.catalog import ask, catalog
from graphgov.stores.base import Store
from graphgov.stores.embedded import EmbeddedStore


def raw_records(batch: list[tuple[Seed, Any]]) -> list[RawRecord]:
    return [RawRecord(seed.kind, record, f"fuzz[{i}]") for i, (seed, record) in enumerate(batch)]


def balanced(summary: LoadSummary, expected: int | None = None) -> None:
    """Every record read is loaded, skipped or quarantined; `expected` records when the count is known."""
    accounted = summary.loaded + sum(summary.skipped.values()) + summary.quarantined
    if summary.records != accounted or (expected is not None and summary.records != expected):
        FIGURES.unaccounted += abs(summary.records - accounted) or abs(summary.records - (expected or 0))
        raise AssertionError(f"records {summary.records} (expected {expected}) != loaded {summary.loaded} + "
                             f"skipped {dict(summary.skipped)} + quarantined {summary.quarantined}")


def questions_run(store: Store) -> int:
    """Every saved question that needs no parameter, on `store`; the number run."""
    ran = 0
    for question in catalog().values():
        if any(spec.required for spec in question.params.values()):
            continue
        ask(store, question.id)
        ran += 1
    return ran


def unusable(check: Callable[[], Any]) -> None:
    """Run a usability check (questions, reopen, reload); its failure counts as an unusable store."""
    try:
        check()
    except Exception:
        FIGURES.unusable += 1
        raise


def load_and_reload_embedded(records: list[RawRecord]) -> LoadSummary:
    """Load into a fresh embedded store, ask every question, reopen it and load the same records again."""
    with tempfile.TemporaryDirectory(prefix="graphgov-fuzz-") as tmp:
        path, quarantine = Path(tmp) / "graph.json.gz", Path(tmp) / "quarantine.jsonl"
        first = load_deltas(records, EmbeddedStore(path), quarantine, chunk_records=64)
        balanced(first, len(records))

        def reuse() -> None:
            questions_run(EmbeddedStore(path))
            again = load_deltas(records, EmbeddedStore(path), quarantine, chunk_records=64)
            balanced(again, len(records))
            assert again.loaded == 0, f"a reload of the same records loaded {again.loaded} again"
            questions_run(EmbeddedStore(path))

        unusable(reuse)
        return first


def load_file(data: bytes, name: str) -> LoadSummary:
    with tempfile.TemporaryDirectory(prefix="graphgov-fuzz-") as tmp:
        file = Path(tmp) / name
        file.write_bytes(data)
        return load_paths([file], EmbeddedStore(Path(tmp) / "graph.json.gz"), Path(tmp) / "q.jsonl",
                          chunk_records=64)
