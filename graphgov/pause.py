"""A hook for the kill -9 trials (tests/test_kill_trials.py): stop at a named phase so a test can kill there.

Inert unless $GRAPHGOV_TEST_PAUSE_AT names the phase: then the process says so on stderr and sleeps,
and the trial sends SIGKILL at exactly that point. Phases: `commit` (the embedded store's new file is
written and synced, not yet renamed into place) and `derive` (access derivation has written the named
principals, not yet the derived edges).
"""

from __future__ import annotations

import os
import sys
import time

PAUSE_ENV = "GRAPHGOV_TEST_PAUSE_AT"
PAUSE_SECONDS = 60.0  # without a killer the process goes on after this


def pause_point(phase: str) -> None:
    """Announce `phase` and sleep when the kill trials asked for it; otherwise return at once."""
    if os.environ.get(PAUSE_ENV) != phase:
        return
    sys.stderr.write(f"graphgov-pause-at {phase} pid {os.getpid()}\n")
    sys.stderr.flush()
    time.sleep(PAUSE_SECONDS)
