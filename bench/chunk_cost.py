"""The small chunk's cost alone: a loaded store copied, a chunk loaded into the copy, CPU of that load.

    python bench/chunk_cost.py --store LOADED.db --chunk DIR [--chunk DIR2 ...] [--code CHECKOUT] [--runs 3]

`speed.py` measures the same figure inside its three full loads; this measures only the chunk, on a store
loaded once (`graphgov load --store LOADED.db` of e.g. `graphgov generate --seed 1 --size 100000`), so two
checkouts compare in minutes. Each run copies the store (it stays as loaded), loads the chunk with
`python -m graphgov.cli load --workers 1` under `--code` (PYTHONPATH), and takes the child's user+sys CPU
(bench/measure.py); printed: the median of `--runs`, the runs, and a bare `graphgov questions` (interpreter
start and imports) to subtract. The store must have been loaded by the checkout measured: the load leaves
the derivation's marker, which the next load reads.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import run  # noqa: E402 - bench/ is not a package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="an embedded store loaded by --code")
    parser.add_argument("--chunk", type=Path, action="append", required=True, help="logs to load into a copy")
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.code.resolve())}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        bare = statistics.median(run([sys.executable, "-m", "graphgov.cli", "questions"], work, env).cpu_s
                                 for _ in range(3))
        print(f"bare `graphgov questions`: {bare:.2f} s CPU")
        for chunk in args.chunk:
            cpus, access = [], None
            for index in range(args.runs):
                store = work / f"run{index}.db"
                for side in ("", "-wal"):  # a store closed cleanly has no write-ahead log left; copy one if it has
                    if Path(f"{args.store}{side}").exists():
                        shutil.copyfile(f"{args.store}{side}", f"{store}{side}")
                done = run([sys.executable, "-m", "graphgov.cli", "load", str(chunk.resolve()), "--store", str(store),
                            "--quarantine", str(work / "q.jsonl"), "--workers", "1", "--format", "json"], work, env)
                cpus.append(done.cpu_s)
                access = json.loads(done.stdout).get("access")
                for leftover in work.glob(f"{store.name}*"):
                    leftover.unlink()
            print(f"{chunk}: median {statistics.median(cpus):.2f} s CPU, minus bare "
                  f"{statistics.median(cpus) - bare:.2f} s; runs {', '.join(f'{c:.2f}' for c in cpus)}; "
                  f"access derived: {(access or {}).get('derived', 'full')}")


if __name__ == "__main__":
    main()
