"""A hook for the kill -9 trials (tests/test_kill_trials.py): stop at a named phase so a test can kill there.

Inert unless $GRAPHGOV_TEST_PAUSE_AT names the phase: then the process says so on stderr and waits,
and the test sends SIGKILL at exactly that point (or SIGUSR1 to let it go on). Phases: `commit-start`
(the embedded store's commit has begun, its SQLite transaction still open), `commit` (everything is written
in that transaction, not yet committed) and `derive` (access derivation has written the named principals, not yet the
derived edges).
"""

from __future__ import annotations

import os
import signal
import sys

PAUSE_ENV = "GRAPHGOV_TEST_PAUSE_AT"
PAUSE_SECONDS = 60  # without a signal the process goes on after this


def pause_point(phase: str) -> None:
    """Announce `phase` and wait for SIGUSR1 (or death) when a test asked for it; else return at once."""
    if os.environ.get(PAUSE_ENV) != phase:
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})  # before announcing: an early signal waits
    try:
        sys.stderr.write(f"graphgov-pause-at {phase} pid {os.getpid()}\n")
        sys.stderr.flush()
        signal.sigtimedwait({signal.SIGUSR1}, PAUSE_SECONDS)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
