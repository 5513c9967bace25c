"""Pipeline level: batches of mutated records, as RawRecords and as files in every delivery form, loaded into
embedded stores: no exception, and `records == loaded + skipped + quarantined` exactly."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from fuzz.fast import ENVELOPES, WRAPPERS, batch, envelope, wrap
from fuzz.harness import FIGURES, crash_text, routed
from fuzz.loads import balanced, load_file, raw_records
from fuzz.settings import fuzz_settings
from graphgov.ingest.pipeline import LoadSummary, load_deltas
from graphgov.stores.embedded import EmbeddedStore

EXAMPLES = 200
BATCH = 120


def _load(mutated: list, how: str, seed: int = 0) -> LoadSummary | None:
    """The load's summary; None when it crashed in a known open class of another owner (counted)."""
    try:
        if how == "raw":
            with tempfile.TemporaryDirectory(prefix="graphgov-fuzz-") as tmp:
                return load_deltas(raw_records(mutated), EmbeddedStore(Path(tmp) / "g.json.gz"),
                                   Path(tmp) / "q.jsonl", chunk_records=32)
        records: list[Any] = [record for _, record in mutated]
        if how.startswith("envelope-"):
            return load_file(envelope(records, how.removeprefix("envelope-"), random.Random(seed)), "fuzz-env.json")
        if how == "concatenated":  # back-to-back scalars would read as one value: objects only
            records = [r for r in records if isinstance(r, dict)]
        return load_file(wrap(records, how), f"fuzz-{how}.json")
    except Exception as exc:  # noqa: BLE001 - the crash is what is looked for
        if routed(exc):
            return None
        FIGURES.crashes["pipeline"] += 1
        raise AssertionError(f"pipeline crash ({how}): {crash_text(exc)}") from exc


@fuzz_settings(EXAMPLES)
@given(st.integers(min_value=0, max_value=2**64 - 1),
       st.sampled_from(("raw",) + WRAPPERS + tuple(f"envelope-{e}" for e in ENVELOPES)))
def test_pipeline_counts_add_up(seed: int, how: str) -> None:
    started = time.monotonic()
    mutated = batch(seed, BATCH, policy=seed % 3 == 0, deep=seed % 10 == 0)
    FIGURES.values["pipeline"] += len(mutated)
    summary = _load(mutated, how, seed)
    FIGURES.seconds["pipeline"] += time.monotonic() - started
    if summary is None:
        return
    if how == "raw":
        balanced(summary, len(mutated))
        return
    balanced(summary)
    if how.startswith("envelope-"):
        return  # a mutated envelope may hold fewer records: what it holds must still add up
    objects = sum(isinstance(r, dict) for _, r in mutated)
    if summary.records < objects:  # each object read is at least one record
        FIGURES.unaccounted += objects - summary.records
        raise AssertionError(f"{how}: {objects} objects written, {summary.records} records read")
