"""How a long load or pull tells whoever watches how far it got, without knowing who watches.

The load path reports through the small `Progress` protocol; the command line renders it (a bar on a
terminal: graphgov.report.progress) or passes nothing, and then the load path does not even count. Every count
is cumulative and never goes down, so a renderer needs no state to stay right.

`load_paths` takes its `Progress` as an argument; the pullers take theirs from `reporting(...)` around the
pull (each puller builds its own `LoadRun` deep inside, and threading an argument through every puller for a
display would be noise in all of them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Protocol

from graphgov.ingest.readers import iter_paths

RECORDS_PER_UPDATE = 512  # records between two reports inside one file: cheap, and still several a second


class Progress(Protocol):
    """What a load or pull reports, as it goes."""

    def total(self, total_bytes: int) -> None:
        """The bytes the load will read, when known before it starts (a load of local files)."""

    def update(self, records: int, bytes_done: int | None = None, units: int | None = None,
               listed: int | None = None) -> None:
        """Records read so far, bytes of input consumed (compressed bytes for gzip), units done (files,
        S3 objects, log events) and units listed to be read so far (a pull lists as it goes); each cumulative
        and monotone, None when unchanged or not counted."""

    def phase(self, name: str) -> None:
        """The load moved on to a step that reads no input (e.g. deriving access once every file is read)."""


_CURRENT: ContextVar[Progress | None] = ContextVar("graphgov_progress", default=None)


@contextmanager
def reporting(progress: Progress | None) -> Iterator[None]:
    """Every LoadRun started inside reports to `progress` (None: nothing is reported)."""
    token = _CURRENT.set(progress)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> Progress | None:
    """The `Progress` of the innermost `reporting` block, if any."""
    return _CURRENT.get()


def input_bytes(paths: Iterable[str | os.PathLike]) -> int:
    """The bytes of every file a load of `paths` reads, from one walk that keeps no list (a tree of millions
    of delivery files costs time, not memory); a file gone meanwhile counts 0."""
    total = 0
    for path in iter_paths(paths):
        try:
            total += Path(path).stat().st_size
        except OSError:
            continue
    return total
