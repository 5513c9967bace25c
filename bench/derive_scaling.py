"""Access derivation at two sizes: CPU of a full derivation, of one after a small change, and of none.

    python bench/derive_scaling.py STORE_SMALL.json.gz STORE_LARGE.json.gz [--code DIR ...]

Each store (an embedded store file, e.g. /work/bench-data/store-100k.json.gz and store-1m.json.gz) is copied to
a temporary directory and opened there (the original is never written). For each `--code` checkout (default:
this one), in a child process, one after the other so the figures come from one run side by side: the full
derivation's CPU seconds and decisions (`refresh_access`), then `derive_after_load` after it with nothing
changed (the incremental floor: reading the facts and comparing digests), then the load-path check that
skips the derivation when nothing was written. Prints per size and the large/small ratio: linear
derivation means a ratio near the ratio of the graphs' sizes. CPU is the child's user+sys time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from graphgov.stores.embedded import EmbeddedStore
from graphgov.access.derivation import refresh_access

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

store = EmbeddedStore(Path(sys.argv[1]))  # a temporary copy: derived edges are written, never committed
out = {}
start = cpu()
summary = refresh_access(store, commit=False)
out["full_cpu"], out["decisions"], out["edges"] = cpu() - start, summary.decisions, sum(summary.edges.values())
try:
    from graphgov.access.incremental import derive_after_load, nothing_new
except ImportError:  # a checkout before incremental derivation
    pass
else:
    start = cpu()
    again = derive_after_load(store)
    out["incremental_cpu"], out["incremental_decisions"] = cpu() - start, again.decisions
    start = cpu()
    out["skipped"] = nothing_new(store, False) is not None
    out["skip_check_cpu"] = cpu() - start
out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps(out))
"""


def measure(code: Path, store: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(store)], env=env, capture_output=True, text=True,
                          check=True, cwd=store.parent)  # not the caller's directory: it may hold a checkout
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("small", type=Path)
    parser.add_argument("large", type=Path)
    parser.add_argument("--code", type=Path, action="append", help="checkouts to compare (default: this one)")
    args = parser.parse_args()
    codes = args.code or [Path(__file__).resolve().parent.parent]
    with tempfile.TemporaryDirectory(prefix="derive-bench-") as scratch:
        copies = []
        for index, source in enumerate((args.small, args.large)):
            copy = Path(scratch) / f"{index}-{source.name}"
            shutil.copyfile(source, copy)
            copies.append(copy)
        for code in codes:
            small, large = (measure(code, copy) for copy in copies)
            print(f"{code}")
            for name, figures in (("small", small), ("large", large)):
                extra = ""
                if "incremental_cpu" in figures:
                    extra = (f"; nothing changed: incremental {figures['incremental_cpu']:.2f} s "
                             f"({figures['incremental_decisions']} decisions), skip check "
                             f"{figures['skip_check_cpu']:.2f} s (skipped: {figures['skipped']})")
                print(f"  {name:5}  full {figures['full_cpu']:7.2f} s CPU, {figures['decisions']:>7} decisions, "
                      f"{figures['edges']} edges, peak {figures['maxrss_mb']} MB{extra}")
            print(f"  large/small full-derivation CPU: {large['full_cpu'] / small['full_cpu']:.1f}x "
                  f"(decisions {large['decisions'] / max(1, small['decisions']):.1f}x)")
    print(f"bench's own peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


if __name__ == "__main__":
    main()
