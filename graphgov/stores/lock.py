"""The embedded store's writer lock: one writer at a time, and the one refused is told who holds it.

Two loads that each read the store file, add their records and rewrite it would lose the first one's
half (the last rename wins). A writer therefore holds an exclusive `flock` on `<store>.lock` from the
moment it opens the store (before it reads the file) until it closes it. The kernel releases a flock
when its process dies, kill -9 included, so a crashed writer never leaves the store locked; the lock
file itself stays (removing it would race with the next writer) and only says who held it last.
Readers (`query`, `report`, `lineage`) take no lock: they read the last file a commit renamed into place.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
import weakref
from datetime import datetime, timezone
from pathlib import Path

from graphgov.stores.base import StoreError

WAIT_ENV = "GRAPHGOV_STORE_LOCK_WAIT"  # seconds a writer waits for the lock before it gives up (default 0)
_POLL_SECONDS = 0.1


def lock_path(store_path: Path) -> Path:
    """The lock file next to the store: `<store>.lock`."""
    return store_path.with_name(store_path.name + ".lock")


def _command() -> str:
    """What the holder runs, e.g. `graphgov load`: the command's name, never its arguments (a path or
    an option value could be private)."""
    import click  # the command line's own context, when a command line is running

    context = click.get_current_context(silent=True)
    if context is not None:
        names = []
        while context.parent is not None:  # the root's name is however Python was started
            names.insert(0, context.info_name or "")
            context = context.parent
        return " ".join(["graphgov", *names])
    return Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"


def _holder(path: Path) -> str:
    """The holder as its lock file names it, for the message of a writer that is refused."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
        return (f"pid {int(info['pid'])} on {info['host']} ({info['command']}) since {info['since']}")
    except (OSError, ValueError, TypeError, KeyError):
        return "a process that has not yet written its name into the lock file"


def wait_seconds() -> float:
    """How long to wait for a busy store: $GRAPHGOV_STORE_LOCK_WAIT seconds, 0 (refuse at once) by default."""
    raw = os.environ.get(WAIT_ENV, "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise StoreError(f"{WAIT_ENV}={raw!r} is not a number of seconds (0 or more)") from None
    if not value >= 0:
        raise StoreError(f"{WAIT_ENV}={raw!r} is not a number of seconds (0 or more)")
    return value


class _Flock:
    """One open, flock'ed lock file; shared by the stores one process opens on the same path."""

    def __init__(self, fd: int):
        self.fd = fd
        self.users = 0


_HELD: dict[str, _Flock] = {}  # realpath of the lock file -> this process's flock on it


def _drop(key: str) -> None:
    """One user fewer; the last one empties the file (it names only a current holder) and unlocks."""
    held = _HELD.get(key)
    if held is None:
        return
    held.users -= 1
    if held.users > 0:
        return
    del _HELD[key]
    try:
        os.ftruncate(held.fd, 0)
    finally:
        os.close(held.fd)  # closing the descriptor drops the flock


def _acquire(path: Path, store_path: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StoreError(f"embedded store {store_path} is not writable: cannot create its lock file "
                         f"{path} ({exc.strerror})") from None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _holder(path)
                os.close(fd)
                raise StoreError(f"embedded store {store_path} is being written by {holder}; "
                                 f"try again when it has finished, or set {WAIT_ENV}=<seconds> to wait "
                                 f"(lock file {path})") from None
            time.sleep(_POLL_SECONDS)
        except OSError as exc:  # e.g. a network file system without locks: no lock, no write
            os.close(fd)
            raise StoreError(f"embedded store {store_path} cannot be locked for writing: {exc.strerror} "
                             f"(lock file {path})") from None
    since = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    info = {"pid": os.getpid(), "host": socket.gethostname(), "command": _command(), "since": since}
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info, sort_keys=True) + "\n").encode("utf-8"), 0)
    except OSError as exc:  # a full disk, say: the store could not be written either
        os.close(fd)
        raise StoreError(f"embedded store {store_path} is not writable: cannot write its lock file {path} "
                         f"({exc.strerror})") from None
    _HELD[os.path.realpath(path)] = _Flock(fd)


class StoreLock:
    """The writer lock of the store at `store_path`, held until `release()` or the process's death.

    The lock is between processes (every writer is one: a load, a pull, classify, a Lambda invocation);
    stores one process opens on the same path share its lock, as one writer would.
    """

    def __init__(self, store_path: Path, wait: float | None = None):
        self.path = lock_path(store_path)
        key = os.path.realpath(self.path)
        if key not in _HELD:
            _acquire(self.path, store_path, wait_seconds() if wait is None else wait)
        _HELD[key].users += 1
        self._finalizer = weakref.finalize(self, _drop, key)  # a store never closed still frees its lock

    @property
    def held(self) -> bool:
        return self._finalizer.alive

    def release(self) -> None:
        """Give the store to the next writer (once the process's last store on it is released)."""
        self._finalizer()
