"""Loading local files: a file loaded before is not opened again, and the others are parsed on every core.

Files already loaded. Each file read whole is marked in the store with its identity, `file:<resolved path>:<size>:
<mtime_ns>` (a seen key filed under the day of its mtime, like a puller's S3 object marker), written with the
chunk that holds its last records (graphgov.ingest.pipeline `LoadRun`: never before them, so a crash mid-file reads
it again). A later load skips a marked file before opening it and counts it in `files_skipped`, not in `records`.
A file that changed (size or mtime) is another file. A file is not marked when reading it failed (it may read
next time) or when a record was skipped as `implausible_time` (that depends on the load's reference time, not on
the file). Marked files are skipped with `skip_loaded` (the CLI's default; `graphgov load --reload` reads every
file again, its records then counting as duplicates); files read are marked either way.

Parallel parse. With `workers` > 1, files are parsed by that many processes (a forkserver's, so the parent's
threads do not matter), a few files per task, while the parent alone counts, de-duplicates and writes (the one
writer): results are taken in file order, so the run is the same as a one-process run, record for record, and
at most `AHEAD` tasks per worker are in flight (memory stays flat). A file over `LOCAL_BYTES` is read by the parent
itself, streamed, in its turn. Workers ship each record's decided outcome (graphgov.ingest.decide): the delta, or
a skip or quarantine entry; measured at 100k records, pickling them costs a few percent of the parse it saves.
A reader error inside a worker becomes a quarantined record naming the file; a worker that dies (killed, out
of memory) stops the load with a ReadError, and the store keeps what earlier chunks wrote. Workers ignore
Ctrl-C: the parent stops them after their current task.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import select
import signal
import stat
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from graphgov.core.times import IMPLAUSIBLE_TIME, TimeWindow
from graphgov.ingest.decide import Outcome, Quarantined, Skipped, decide
from graphgov.ingest.progress import RECORDS_PER_UPDATE, Progress, input_bytes
from graphgov.ingest.readers import RawRecord, ReadError, iter_paths, read_stream
from graphgov.pause import pause_point

if TYPE_CHECKING:
    from graphgov.ingest.pipeline import LoadRun

MARKER_PREFIX = "file:"
STAT_BATCH = 512  # files whose markers are looked up in one store call
LOCAL_BYTES = 32 << 20  # a file this big is streamed by the parent: a worker would hold all its records at once
TASK_BYTES = 1 << 20  # a worker task: files up to this many bytes in all ...
TASK_FILES = 32  # ... or this many files
AHEAD = 3  # tasks in flight per worker
GC_THRESHOLD = 10_000  # allocations between two young-generation collections in a load (default 700; 50,000
# saved no more CPU at 100k and kept ~95 MB more alive: cyclic garbage waits longer in the older generations)
IO_ERRORS = ("cannot open:", "cannot read:")  # the readers' errors about the file itself, not its content


@dataclass(frozen=True)
class InputFile:
    """A file to read: its size when planned, and its marker (None when it could not be stat'ed)."""

    path: Path
    size: int = 0
    marker: str | None = None
    day: str = ""


def default_workers() -> int:
    """The CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def input_file(path: Path, folders: dict[str, str]) -> InputFile:
    """The file with its identity as a marker: resolved path, size and mtime (ns). `folders` caches the
    resolved folders of one walk: a file that is no symlink resolves to its resolved folder and its name,
    one lstat instead of one per component of its path (a re-load of 81,000 files spent 7 of its 12 s
    resolving)."""
    try:
        found = os.lstat(path)
        if stat.S_ISLNK(found.st_mode):
            found = os.stat(path)
            resolved = str(path.resolve())
        else:
            parent, name = os.path.split(os.fspath(path))  # not normalised: `link/..` is the link target's parent
            folder = folders.get(parent)
            if folder is None:
                if len(folders) >= 4096:
                    folders.clear()
                folder = folders[parent] = os.path.realpath(parent or ".")
            resolved = os.path.join(folder, name)
    except OSError:
        return InputFile(path)  # read anyway: the reader quarantines the reason
    day = datetime.fromtimestamp(found.st_mtime_ns / 1e9, UTC).strftime("%Y-%m-%d")
    return InputFile(path, found.st_size, f"{MARKER_PREFIX}{resolved}:{found.st_size}:{found.st_mtime_ns}", day)


def _batches(paths: Iterable[str | os.PathLike], size: int) -> Iterator[list[Path]]:
    batch: list[Path] = []
    for path in iter_paths(paths):
        batch.append(path)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def files_to_read(run: LoadRun, paths: Iterable[str | os.PathLike], skip_loaded: bool,
                  report: _Reporter | None = None) -> Iterator[InputFile]:
    """The files under `paths` in reading order, without those loaded before (counted in `files_skipped`)."""
    folders: dict[str, str] = {}  # resolved folders, for this walk only (a symlink may change between loads)
    for batch in _batches(paths, STAT_BATCH):
        files = [input_file(path, folders) for path in batch]
        markers = [f.marker for f in files if f.marker]
        unseen = run.store.unseen(markers) if skip_loaded and markers else set(markers)
        for file in files:
            if file.marker is None or file.marker in unseen:
                yield file
            else:
                run.summary.files_skipped += 1
                if report is not None:
                    report.file_done(run, file.size)


class _Reporter:
    """The bytes consumed, reported to a Progress: the files' total first (one walk), then the position in the
    file being read every RECORDS_PER_UPDATE records (gzip: compressed bytes), and each file's end (a file skipped
    as loaded before counts whole). The count never goes back or past the total, and ends at it."""

    def __init__(self, progress: Progress, paths: list[str | os.PathLike]) -> None:
        self.progress = progress
        self.total = input_bytes(paths)
        progress.total(self.total)
        self.before = self.shown = 0  # the bytes of the files done; the last count reported

    def reading_at(self, run: LoadRun, position: int) -> None:
        self.shown = max(self.shown, min(self.total, self.before + position))
        self.progress.update(run.summary.records, self.shown, run.summary.files - 1)

    def file_done(self, run: LoadRun, size: int) -> None:
        self.before += size
        self.shown = max(self.shown, min(self.total, self.before))
        self.progress.update(run.summary.records, self.shown, run.summary.files)

    def end(self, run: LoadRun) -> None:
        self.progress.update(run.summary.records, self.total, run.summary.files)


class FileRecords:
    """The decided records of one file, streamed; `markable` says, once read, whether it may be marked loaded."""

    def __init__(self, path: Path, memberships: dict[str, str], window: TimeWindow) -> None:
        self.path, self.memberships, self.window = path, memberships, window
        self.markable = True
        self.handle = None

    def position(self) -> int:
        """Bytes of the file consumed so far (compressed bytes for gzip)."""
        try:
            return self.handle.tell() if self.handle is not None else 0
        except (OSError, ValueError):
            return 0

    def __iter__(self) -> Iterator[Outcome]:
        name = str(self.path)
        try:
            self.handle = open(self.path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            self.markable = False
            yield decide(RawRecord(None, None, name, error=f"cannot open: {exc}"))
            return
        try:
            for raw in read_stream(self.handle, name):
                outcome = decide(raw, self.memberships, self.window)
                if _unmarkable(outcome):
                    self.markable = False
                yield outcome
        except Exception as exc:  # noqa: BLE001 - a reader bug costs the rest of this file, not the load
            self.markable = False
            yield Quarantined(name, f"reader error {type(exc).__name__}: {exc}", None)
        finally:
            self.handle.close()


def _unmarkable(outcome: Outcome) -> bool:
    """A record that keeps its file from being marked loaded: its fate may differ on a later read."""
    if type(outcome) is Skipped:
        return outcome.reason == IMPLAUSIBLE_TIME
    return type(outcome) is Quarantined and outcome.error.startswith(IO_ERRORS)


def parse_task(paths: list[str], reference: str) -> list[tuple[list[Outcome], bool]]:
    """A worker's task: each file's decided records and whether it may be marked, in order."""
    pause_point("parse-worker")  # the kill trials' hook: a worker killed mid-task
    window, memberships = TimeWindow.at(reference), {}
    done = []
    for path in paths:
        records = FileRecords(Path(path), memberships, window)
        outcomes = list(records)
        done.append((outcomes, records.markable))
    return done


@contextmanager
def collecting_less() -> Iterator[None]:
    """The cyclic garbage collector tuned for a load: a load allocates millions of short-lived containers
    (decoded records, rows, deltas), and with the default thresholds the collector runs every 700 of them and
    walks what is alive, the store's graph included (measured: about a fifth of a load's CPU). Objects alive
    when the load starts are frozen out of its walks, and it runs less often; reference counting still frees
    everything acyclic at once, so memory stays flat."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _start_worker(load_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    gc.freeze()  # the loaders' tables, imported once
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    threading.Thread(target=_exit_with, args=(load_pid,), name="graphgov-load-watch", daemon=True).start()


def _exit_with(load_pid: int) -> None:
    """End this worker when the load that started it ends. A killed load (SIGKILL, SIGTERM) tells its workers
    nothing: each would wait on its task queue for ever, and keep the forkserver alive with it."""
    try:
        handle = os.pidfd_open(load_pid)  # Linux 5.3+: readable once the process has exited
    except (AttributeError, OSError):
        handle = None
    if handle is not None:
        select.select([handle], [], [])
    else:
        while _alive(load_pid):
            time.sleep(1.0)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pool(workers: int) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload([__name__])  # type: ignore[attr-defined] - the loaders, imported once
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),))


@dataclass
class _Task:
    files: list[InputFile]
    local: bool = False
    future: Future | None = None


def _tasks(files: Iterable[InputFile], workers: int) -> Iterator[_Task]:
    """The files in tasks, in order: the first task's worth of files (and any file over LOCAL_BYTES) read by the
    load itself, so a small load never starts worker processes; the rest a few files per worker task."""
    task, size = _Task([]), 0
    here = here_bytes = 0  # files (and bytes) read by the load itself before any worker task
    for file in files:
        starting = here < TASK_FILES and here_bytes < TASK_BYTES
        if workers <= 1 or file.size > LOCAL_BYTES or starting:
            if task.files:
                yield task
                task, size = _Task([]), 0
            here, here_bytes = here + 1, here_bytes + file.size
            yield _Task([file], local=True)
            continue
        task.files.append(file)
        size += file.size
        if size >= TASK_BYTES or len(task.files) >= TASK_FILES:
            yield task
            task, size = _Task([]), 0
    if task.files:
        yield task


def load_files(run: LoadRun, paths: Iterable[str | os.PathLike], workers: int = 1,
               skip_loaded: bool = False) -> None:
    """Read every file under `paths` into `run`, in order, skipping files loaded before (see the module doc)."""
    paths = list(paths)  # walked twice when reporting: the total first
    report = _Reporter(run.progress, paths) if run.progress is not None else None
    tasks = _tasks(files_to_read(run, paths, skip_loaded, report), workers)
    pool: ProcessPoolExecutor | None = None
    queue: deque[_Task] = deque()
    try:
        while True:
            while len(queue) < max(1, workers) * AHEAD:
                task = next(tasks, None)
                if task is None:
                    break
                if not task.local:
                    pool = pool or _pool(workers)
                    task.future = _submit(pool, task, run.window.reference)
                queue.append(task)
            if not queue:
                break
            task = queue.popleft()
            if task.local:
                _read_here(run, task.files[0], report)
            else:
                _take(run, task, report)
    except BaseException:  # Ctrl-C, a dead worker, a store error: the workers' results are not wanted
        if pool is not None:
            _stop_workers(pool)
        raise
    finally:
        for task in queue:
            if task.future is not None:
                task.future.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if report is not None:
        report.end(run)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers. The executor stops a broken pool's workers itself, but one it started for a task
    submitted as another died escapes that, and joining it would hang the load (CPython 3.11)."""
    processes = getattr(pool, "_processes", None) or {}  # pid -> process: private, read defensively
    for process in list(processes.values()):
        with suppress(OSError, ValueError, AttributeError):
            process.kill()


WORKER_DIED = ("a parse worker stopped unexpectedly (killed, or out of memory): the load stopped; what its earlier "
               "chunks wrote is kept, load again to read the rest")


def _submit(pool: ProcessPoolExecutor, task: _Task, reference: str) -> Future:
    """The task queued on the pool. A pool a dead worker broke refuses it (BrokenProcessPool), or, while the
    executor is still tearing its pipes down, fails writing to them ("handle is closed"): the same death."""
    try:
        return pool.submit(parse_task, [str(f.path) for f in task.files], reference)
    except (BrokenProcessPool, OSError):
        raise ReadError(WORKER_DIED) from None


def _take(run: LoadRun, task: _Task, report: _Reporter | None) -> None:
    """A worker's results, applied in order."""
    try:
        results = task.future.result()  # type: ignore[union-attr] - a worker task has one
    except BrokenProcessPool:
        raise ReadError(WORKER_DIED) from None
    for file, (outcomes, markable) in zip(task.files, results, strict=True):
        run.summary.files += 1
        for outcome in outcomes:
            run.add_outcome(outcome)
        _file_done(run, file, markable, report)


def _read_here(run: LoadRun, file: InputFile, report: _Reporter | None) -> None:
    """One file read by the load itself, streamed, reporting its position as it goes."""
    run.summary.files += 1
    records = FileRecords(file.path, run.memberships, run.window)
    for outcome in records:
        run.add_outcome(outcome)
        if report is not None and run.summary.records % RECORDS_PER_UPDATE == 0:
            report.reading_at(run, records.position())
    _file_done(run, file, records.markable, report)


def _file_done(run: LoadRun, file: InputFile, markable: bool, report: _Reporter | None) -> None:
    if markable and file.marker is not None:
        run.mark_read(file.marker, file.day)  # written with (never before) the chunk holding its last records
    if report is not None:
        report.file_done(run, file.size)


