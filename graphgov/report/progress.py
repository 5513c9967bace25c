"""The progress line of a long load or pull, on stderr: done so far, rate and (when the total is known) ETA.

It renders what the load path reports through graphgov.ingest.progress.Progress (graphgov.report.progress_line
draws it). It is on when stderr is a terminal and off otherwise, so a pipe or a log file never holds redraw
sequences; `--progress` / `--no-progress` decide instead. Off, nothing is built, rich is not even imported, and
the load path is handed None: it does not count.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphgov.report.progress_line import TerminalProgress


@contextmanager
def progress_display(enabled: bool | None, action: str, unit: str | None = None,
                     by_bytes: bool = False) -> Iterator[TerminalProgress | None]:
    """A progress line on stderr for the block, or None: `enabled` None means "when stderr is a terminal".
    `action` names it ("loading"; "loaded" once the block ends), `unit` what the units done are."""
    on = sys.stderr.isatty() if enabled is None else enabled
    if not on:
        yield None
        return
    from rich.console import Console

    from graphgov.report.progress_line import TerminalProgress

    display = TerminalProgress(Console(file=sys.stderr, force_terminal=bool(enabled) or None), action, unit, by_bytes)
    with display.display:
        yield display
        display.phase(action.replace("ing", "ed", 1) if action.endswith("ing") else action)
