"""Cost of `graphgov report` in each format on a generated platform, printed as figures (not run by CI).

    python bench/bench_report.py [--records 200000] [--store PATH_OR_URI]

Generates `graphgov generate` logs of N records, loads them into a fresh embedded store (or the given
store), then times: running and judging every saved question (build_report), the lineage of every
endpoint the rows name, and rendering md, json, sarif and html, with the size of each output and the
peak Python heap of the report step.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphgov.generate import generate  # noqa: E402
from graphgov.ingest.pipeline import load_paths  # noqa: E402
from graphgov.questions.controls import build_report  # noqa: E402
from graphgov.report.html import render_html, report_lineages  # noqa: E402
from graphgov.report.render import render  # noqa: E402
from graphgov.stores import open_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--store", default=None, help="default: a fresh embedded store in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp) / "logs"
        generate(logs, seed=0, records=args.records)
        spec = args.store or str(Path(tmp) / "graph.json.gz")
        with open_store(spec) as store:
            started = time.perf_counter()
            summary = load_paths([logs], store, Path(tmp) / "q.jsonl")
            print(f"load: {summary.records} records, {summary.nodes} nodes, {summary.edges} edges in "
                  f"{time.perf_counter() - started:.1f} s")
            tracemalloc.start()
            started = time.perf_counter()
            report = build_report(store, "all")
            judged = time.perf_counter() - started
            rows = sum(len(r.rows) for r in report.questions.values())
            print(f"build_report: {len(report.questions)} questions, {len(report.controls)} controls, "
                  f"{rows} rows in {judged:.2f} s")
            started = time.perf_counter()
            lineages, omitted = report_lineages(store, report)
            print(f"lineages: {len(lineages)} endpoints in {time.perf_counter() - started:.2f} s")
            for fmt in ("md", "json", "sarif", "html"):
                started = time.perf_counter()
                text = render_html(report, lineages, omitted) if fmt == "html" else render(report, fmt)
                print(f"render {fmt}: {len(text.encode()) / 1e6:.2f} MB in {time.perf_counter() - started:.2f} s")
            _, peak = tracemalloc.get_traced_memory()
            print(f"peak heap of the report step: {peak / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
