"""Store level: mutated policy changes and other records, with unmutated samples around them, loaded into a
store, then access derivation (every load runs it) and every saved question; the store must still answer,
reopen, and take the same records again as duplicates. Embedded always; Neo4j, less often, when NEO4J_URI
is set, else on the server the test run starts (tests/conftest.py), like every database test."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

import pytest
from helpers import wipe_neo4j
from hypothesis import given
from hypothesis import strategies as st

from fuzz.fast import batch
from fuzz.harness import FIGURES, crash_text, routed
from fuzz.loads import balanced, load_and_reload_embedded, questions_run, raw_records, unusable
from fuzz.seeds import Seed, all_seeds, policy_seeds
from fuzz.settings import fuzz_settings
from graphgov.ingest.pipeline import load_deltas
from graphgov.ingest.readers import RawRecord

EMBEDDED_EXAMPLES = 150
NEO4J_EXAMPLES = 6
POLICY_BATCH, GENERAL_BATCH, CONTEXT = 30, 15, 15


def _records(seed: int) -> list[RawRecord]:
    """Mutated policy changes and other records, with unmutated samples (policies and accesses) around them."""
    rng = random.Random(seed)
    deep = seed % 10 == 0
    context: list[tuple[Seed, object]] = [(s, s.record) for s in rng.sample(policy_seeds(), CONTEXT // 2)]
    context += [(s, s.record) for s in rng.sample(all_seeds(), CONTEXT - CONTEXT // 2)]
    mutated = batch(seed, POLICY_BATCH, policy=True, deep=deep) + batch(seed + 1, GENERAL_BATCH, deep=deep)
    mixed = context + mutated
    rng.shuffle(mixed)
    FIGURES.values["store"] += len(mutated)
    return raw_records(mixed)


def _crashed(exc: Exception) -> None:
    if isinstance(exc, AssertionError) or routed(exc):
        if isinstance(exc, AssertionError):
            raise exc
        return
    FIGURES.crashes["store"] += 1
    raise AssertionError(f"store crash: {crash_text(exc)}") from exc


@fuzz_settings(EMBEDDED_EXAMPLES)
@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_embedded_store_survives(seed: int) -> None:
    started = time.monotonic()
    try:
        load_and_reload_embedded(_records(seed))
    except Exception as exc:  # noqa: BLE001
        _crashed(exc)
    finally:
        FIGURES.seconds["store"] += time.monotonic() - started


@pytest.fixture(scope="module")
def neo4j_fuzz_store(neo4j_uri: str):
    """The session's Neo4j (NEO4J_URI, or the server the test run started): like every database test, this
    fails loudly when no database is reachable instead of skipping."""
    from graphgov.stores import open_store

    store = open_store(neo4j_uri)
    yield store
    wipe_neo4j(store)
    store.close()


def test_neo4j_store_survives(neo4j_fuzz_store) -> None:
    store = neo4j_fuzz_store

    @fuzz_settings(NEO4J_EXAMPLES)
    @given(st.integers(min_value=0, max_value=2**64 - 1))
    def run(seed: int) -> None:
        started = time.monotonic()
        records = _records(seed)
        wipe_neo4j(store)
        with tempfile.TemporaryDirectory(prefix="graphgov-fuzz-") as tmp:
            quarantine = Path(tmp) / "q.jsonl"
            try:
                balanced(load_deltas(records, store, quarantine, chunk_records=64), len(records))

                def reuse() -> None:
                    questions_run(store)
                    again = load_deltas(records, store, quarantine, chunk_records=64)
                    balanced(again, len(records))
                    assert again.loaded == 0, f"a reload of the same records loaded {again.loaded} again"

                unusable(reuse)
            except Exception as exc:  # noqa: BLE001
                _crashed(exc)
            finally:
                FIGURES.seconds["store"] += time.monotonic() - started

    run()
