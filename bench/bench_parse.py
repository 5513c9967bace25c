"""CPU of the load path's parse, of a whole `graphgov load` by worker count, and of a re-load, as figures.

    python bench/bench_parse.py INPUT [--root CHECKOUT ...] [--workers 1 2] [--scratch DIR]

For each checkout given (default: this one; give another to compare side by side in one run, e.g. the
commit before the speed work), prints:
- parse: CPU of reading and deciding every record of INPUT in one process, no store (the part workers split);
- load wN: user+sys CPU of `graphgov load INPUT --workers N` into a fresh embedded store, all processes
  counted (this process is a child subreaper, so the workers' forkserver is reaped and counted), wall time,
  peak RSS of the largest process;
- reload: the same command again on the loaded store (files loaded before are skipped) and its share of the
  first load's CPU. The store's open, derivation and commit are in it: they are not the parse's.
Not run by CI; prints figures, asserts nothing. Linux only (prctl).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = "2026-12-07T00:00:00Z"
PARSE = """
import sys, time
from graphgov.ingest.decide import decide
from graphgov.ingest.readers import iter_paths, read_path
start = time.process_time()
count = sum(1 for path in iter_paths([sys.argv[1]]) for raw in read_path(path) if decide(raw, {}) is not None)
print(f"{time.process_time() - start:.2f} {count}")
"""
PARSE_BEFORE = PARSE.replace("from graphgov.ingest.decide import decide", """
from graphgov.ingest.pipeline import parse_record
def decide(raw, memberships):  # what the load did per record before graphgov.ingest.decide
    if raw.error or raw.skip:
        return raw
    try:
        return parse_record(raw, memberships)
    except Exception as exc:
        return exc
""")


def _measured(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """CPU (user+sys of the command and every descendant), wall seconds and peak RSS (MB) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    while True:  # orphans re-parented here (the forkserver and its workers): reaped, so their CPU counts
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, after.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", type=Path)
    parser.add_argument("--root", type=Path, action="append", help="a checkout to measure (repeatable)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--scratch", type=Path, default=None)
    args = parser.parse_args()
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="bench-parse-"))
    for root in args.root or [ROOT]:
        env = {**os.environ, "PYTHONPATH": str(root)}
        new = (root / "graphgov" / "ingest" / "decide.py").exists()
        out = subprocess.run([sys.executable, "-c", PARSE if new else PARSE_BEFORE, str(args.input)], env=env,
                             check=True, capture_output=True, text=True).stdout.split()
        print(f"{root}: parse {out[0]} s CPU for {out[1]} records (one process, no store)")
        for workers in args.workers if new else [1]:
            store = scratch / f"{root.name}-w{workers}.json.gz"
            store.unlink(missing_ok=True)
            command = [sys.executable, "-m", "graphgov.cli", "load", str(args.input), "--store", str(store),
                       "--quarantine", str(scratch / "q.jsonl"), "--reference-time", REFERENCE, "--no-progress"]
            if new:
                command += ["--workers", str(workers)]
            cpu, wall, rss = _measured(command, env)
            print(f"  load w{workers}: {cpu:.2f} s CPU, {wall:.1f} s wall, peak RSS {rss} MB")
            again, wall, rss = _measured(command, env)
            print(f"  reload w{workers}: {again:.2f} s CPU ({again / cpu:.1%} of the first load), {wall:.1f} s wall")


if __name__ == "__main__":
    main()
