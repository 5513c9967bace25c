"""CPU time of every whole-estate question's embedded twin, and how far grouping shortens the long answers, printed
as figures (no pass/fail; not run by CI).

    python bench/bench_embedded_answers.py STORE [--repeat 3] [--only cross-account-exposure ...]

Opens the embedded store read-only once (its opening is not measured here), then calls each parameterless
question's twin as the store does, `implementation(graph, params)`, `--repeat` times: prints the median CPU
time (user+sys of this process, `time.process_time`), the rows, and for questions with a `// group:` header
the groups people are shown (graphgov.questions.grouping). Run it against two checkouts (PYTHONPATH=...)
on the same store to compare them side by side.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

from graphgov.questions.catalog import catalog, normalise_rows
from graphgov.questions.embedded.core import IMPLEMENTATIONS
from graphgov.stores.embedded import EmbeddedStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="question ids (default: every parameterless one)")
    args = parser.parse_args()
    started = time.process_time()
    store = EmbeddedStore(args.store, read_only=True)
    graph = store.graph
    print(f"store {args.store}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges "
          f"(opened in {time.process_time() - started:.1f} s CPU, not counted below)")
    print(f"{'question':40} {'median CPU s':>12} {'rows':>9} {'groups':>7}")
    for qid, question in sorted(catalog().items()):
        if any(spec.required for spec in question.params.values()) or (args.only and qid not in args.only):
            continue
        params = {name: spec.default for name, spec in question.params.items()}
        times, rows = [], []
        for _ in range(args.repeat):
            start = time.process_time()
            rows = IMPLEMENTATIONS[qid](graph, params)
            times.append(time.process_time() - start)
        groups = ""
        if getattr(question, "group", None) is not None:
            from graphgov.questions.grouping import group_rows  # absent from checkouts before grouping

            groups = str(len(group_rows(question.group, normalise_rows(rows))))
        print(f"{qid:40} {statistics.median(times):12.3f} {len(rows):9d} {groups:>7}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
