"""Parser level: mutated sample records through `parse_record` (and the aggregation a store write does).

A record must become a delta that aggregates, or Skip, or Malformed: any other exception is a crash,
even though the load would quarantine it, because parsers validate shapes at the edge (issue 12).
"""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from fuzz.fast import batch
from fuzz.harness import FIGURES, crash_of, fail_with, parse_one, routed
from fuzz.mutate import records
from fuzz.settings import fuzz_settings
from fuzz.shrink import shrink

VOLUME_EXAMPLES = 900  # x BATCH values, times the scale
BATCH = 200


def _check(kind: str, record: object) -> None:
    FIGURES.values["parser"] += 1
    exc = crash_of(lambda: parse_one(kind, record))
    if exc is not None and not routed(exc):
        minimal = shrink(record, lambda r: crash_of(lambda: parse_one(kind, r)))
        fail_with("parser", kind, record, exc, minimal)


@fuzz_settings(VOLUME_EXAMPLES)
@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_parser_volume(seed: int) -> None:
    started = time.monotonic()
    for sample, record in batch(seed, BATCH, policy=seed % 4 == 0):
        _check(sample.kind, record)
    FIGURES.seconds["parser"] += time.monotonic() - started


@fuzz_settings(300, shrink=True)
@given(st.lists(records(), min_size=1, max_size=8))
def test_parser_structured(mutated: list) -> None:
    """The hypothesis-native strategy: slower, but hypothesis itself shrinks what it finds."""
    for sample, record, _ in mutated:
        _check(sample.kind, record)


@fuzz_settings(200, shrink=True)
@given(st.lists(records(policy=True), min_size=1, max_size=8))
def test_parser_policies(mutated: list) -> None:
    for sample, record, _ in mutated:
        _check(sample.kind, record)
