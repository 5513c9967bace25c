"""What every fuzz level checks, the owner of a crash, and the figures printed at the session's end.

A crash is any exception other than the named outcomes (Skip, Malformed, IdentityError). Its owner is
the project module of the innermost frame: the fuzz engineer's (loaders, aggregate, delta, ids, times) or
another's (readers, derivation, store, pipeline), so the report can route it.
"""

from __future__ import annotations

import functools
import json
import os
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphgov.core.delta import GraphDelta, Malformed, Skip
from graphgov.core.ids import IdentityError
from graphgov.ingest.aggregate import Aggregate, merge_attrs
from graphgov.ingest.pipeline import parse_record
from graphgov.ingest.readers import RawRecord

ROOT = Path(__file__).resolve().parents[2]
NAMED_OUTCOMES = (Skip, Malformed, IdentityError)
OWNERS = {
    "readers": ("graphgov/ingest/readers.py", "graphgov/ingest/shippers.py"),
    "derivation": ("graphgov/access/", "graphgov/ingest/replication.py", "graphgov/questions/embedded/walk.py"),
    "store": ("graphgov/stores/",),
    "pipeline": ("graphgov/ingest/pipeline.py",),
    "questions": ("graphgov/questions/",),
}


def strict() -> bool:
    """GRAPHGOV_FUZZ_STRICT=1: crashes of the known open classes fail too (once their owners' fixes are in)."""
    return os.environ.get("GRAPHGOV_FUZZ_STRICT", "") not in ("", "0")


def scale() -> float:
    """The run's size factor: --fuzz-scale or GRAPHGOV_FUZZ_SCALE (1 by default: the CI budget)."""
    return float(os.environ.get("GRAPHGOV_FUZZ_SCALE") or 1)


def random_mode() -> bool:
    """Random seeds (a new search each run) instead of CI's fixed derandomized one."""
    return os.environ.get("GRAPHGOV_FUZZ_RANDOM", "") not in ("", "0")


@dataclass
class Figures:
    values: Counter = field(default_factory=Counter)  # level -> generated values tried
    crashes: Counter = field(default_factory=Counter)  # level -> crashes
    unaccounted: int = 0  # records neither loaded, skipped nor quarantined
    unusable: int = 0  # stores that failed a question or a reload after a load
    routed: Counter = field(default_factory=Counter)  # owner -> crashes of a known class open on their branch
    seconds: Counter = field(default_factory=Counter)

    def line(self) -> str:
        levels = ", ".join(f"{level} {self.values[level]:,}" for level in ("parser", "pipeline", "store"))
        routed = ", ".join(f"{owner} {count}" for owner, count in sorted(self.routed.items()))
        return (f"graphgov fuzz: {sum(self.values.values()):,} values ({levels}); crashes "
                f"{sum(self.crashes.values())}" + (f" (+ known open in tests/regressions, routed: {routed})"
                                                   if routed else "")
                + f"; unaccounted records {self.unaccounted}; unusable stores {self.unusable}; scale "
                f"{scale():g}, {'random' if random_mode() else 'derandomized'}"
                + f"; {sum(self.seconds.values()):.0f}s")


FIGURES = Figures()


def owner_of(exc: BaseException) -> str:
    """The area whose code raised `exc`: its innermost frame inside the project."""
    owner = "fuzz"
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            rel = Path(frame.filename).resolve().relative_to(ROOT).as_posix()
        except ValueError:
            continue
        if rel.startswith("tests/"):
            continue
        owner = next((name for name, prefixes in OWNERS.items() if rel.startswith(prefixes)), "fuzz")
    return owner


def crash_signature(exc: BaseException) -> str:
    """`<Exception> <file>:<function>` of the innermost frame: how the corpus names a crash class."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{type(exc).__name__} {Path(frames[-1].filename).name}:{frames[-1].name}" if frames else type(exc).__name__


@functools.cache
def open_signatures() -> dict[str, str]:
    """Crash classes found in other owners' code and checked in as `status: open`: signature -> owner."""
    found = {}
    for path in sorted((ROOT / "tests" / "regressions").glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("status") == "open":
            found.update({signature: entry["owner"] for signature in entry.get("signatures", [])})
    return found


def routed(exc: BaseException) -> bool:
    """Whether `exc` is a known open crash of another owner: counted and printed, not failed (unless strict)."""
    owner = open_signatures().get(crash_signature(exc))
    if owner is None or strict():
        return False
    FIGURES.routed[owner] += 1
    return True


def crash_text(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/site-packages/" not in f.filename]
    where = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else "?"
    return f"{type(exc).__name__}: {str(exc)[:300]} at {where} (owner: {owner_of(exc)})"


def fold(delta: GraphDelta) -> None:
    """What a store write does with a delta: aggregate it, then fold the rows into held rows twice."""
    aggregate = Aggregate()
    aggregate.add(delta)
    aggregate.add(delta)
    for attrs in list(aggregate.nodes.values()) + list(aggregate.edges.values()):
        held: dict[str, Any] = {}
        merge_attrs(held, dict(attrs))
        merge_attrs(held, dict(attrs))


def parse_one(kind: str, record: Any) -> str:
    """Parse one record: 'delta', 'skip' or 'quarantine'; any other exception propagates as the crash."""
    raw = RawRecord(kind, record, "fuzz")
    try:
        delta = parse_record(raw, {})
    except Skip:
        return "skip"
    except (Malformed, IdentityError):
        return "quarantine"
    assert isinstance(delta, GraphDelta), f"parser returned {type(delta).__name__}"
    assert isinstance(delta.time, str) and len(delta.time) >= 20, f"time {delta.time!r}"
    fold(delta)
    return "delta"


def crash_of(call: Any) -> Any:
    """`call()`'s crash (any exception but the named outcomes), or None."""
    try:
        call()
    except NAMED_OUTCOMES:
        return None
    except Exception as exc:  # noqa: BLE001 - that is what is being looked for
        return exc
    return None


def fail_with(level: str, kind: str, record: Any, exc: BaseException, minimal: Any) -> None:
    """Count the crash and fail the test with the minimised input, ready for tests/regressions/."""
    FIGURES.crashes[level] += 1
    text = json.dumps(minimal, allow_nan=True, default=repr)
    raise AssertionError(f"{level} crash: {crash_text(exc)}\nminimised {kind} record: {text[:4000]}") from exc
