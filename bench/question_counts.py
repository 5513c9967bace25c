"""Row counts of every saved question on a generated platform, to see what a change does to the answers.

    python bench/question_counts.py [--records 100000] [--store PATH_OR_URI] [--out after.json]
                                    [--compare before.json] [--logs DIR]

Generates `graphgov generate` logs (seed 0; 100,000 records is the `medium` platform), loads them into
a fresh embedded store (or the given one), classifies its datasets as `graphgov classify` does with no
mapping (the built-in tag rules), then runs every saved question: once when it needs no
parameter, and once per endpoint, model, job or bucket of the graph when it needs one (the counts are
summed). Rows are also counted per `access` value where the question has one. `--out` keeps the figures
as JSON; `--compare` prints them beside an earlier run's, so a closing note can say which answers a
rule changed (not run by CI; no pass/fail).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphgov.generate import generate  # noqa: E402
from graphgov.ingest.classify import classify  # noqa: E402
from graphgov.ingest.pipeline import load_paths  # noqa: E402
from graphgov.questions.catalog import QuestionError, ask, catalog  # noqa: E402
from graphgov.stores import open_store  # noqa: E402
from graphgov.stores.base import Store  # noqa: E402

# A parameter type -> the merge labels whose keys are tried as its values.
_VALUES_OF = {"endpoint": ("Endpoint",), "model": ("Model",), "job": ("TrainingJob", "CustomizationJob"),
              "bucket": ("S3Bucket",), "dataset": ("Dataset",)}


def _values(store: Store, param_type: str) -> list[str]:
    return sorted({key for label in _VALUES_OF.get(param_type, ()) for key, _ in store.scan_nodes(label)})


def count_answers(store: Store) -> dict[str, dict[str, Any]]:
    """{question id: {"rows", "runs", "access": {value: rows}, "seconds"}} for every saved question."""
    figures: dict[str, dict[str, Any]] = {}
    for question in sorted(catalog().values(), key=lambda q: q.id):
        required = [(name, spec) for name, spec in question.params.items() if spec.required]
        if len(required) > 1 or (required and required[0][1].type not in _VALUES_OF):
            figures[question.id] = {"rows": None, "runs": 0, "access": {}, "seconds": 0.0,
                                    "note": "needs a parameter this bench does not enumerate"}
            continue
        runs = [{}] if not required else [{required[0][0]: value} for value in _values(store, required[0][1].type)]
        started = time.perf_counter()
        rows: list[dict[str, Any]] = []
        for given in runs:
            try:
                rows += ask(store, question.id, given)
            except QuestionError:
                continue  # e.g. a name that matches several nodes: the bench counts what answers
        access = Counter(str(row["access"]) for row in rows if "access" in row)
        figures[question.id] = {"rows": len(rows), "runs": len(runs), "access": dict(sorted(access.items())),
                                "seconds": round(time.perf_counter() - started, 2)}
    return figures


def _show(figures: dict[str, dict[str, Any]], before: dict[str, dict[str, Any]] | None) -> None:
    print(f"{'question':40} {'runs':>6} {'before':>8} {'rows':>8}  access")
    for qid, now in figures.items():
        old = (before or {}).get(qid, {})
        was = "" if before is None else str(old.get("rows", "-"))
        access = ", ".join(f"{k} {v}" for k, v in now["access"].items())
        if before is not None and old.get("access") != now["access"] and old.get("access"):
            access += "  (was " + ", ".join(f"{k} {v}" for k, v in old["access"].items()) + ")"
        print(f"{qid:40} {now['runs']:>6} {was:>8} {str(now['rows']):>8}  {access}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--store", default=None, help="default: a fresh embedded store in a temporary folder")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    parser.add_argument("--compare", type=Path, default=None, help="an earlier --out file to print beside")
    parser.add_argument("--logs", type=Path, default=None,
                        help="load these logs instead of generating them (to compare two checkouts on the same logs)")
    args = parser.parse_args()
    before = json.loads(args.compare.read_text()) if args.compare else None
    with tempfile.TemporaryDirectory() as tmp:
        logs = args.logs or Path(tmp) / "logs"
        if args.logs is None:
            generate(logs, seed=0, records=args.records)
        with open_store(args.store or str(Path(tmp) / "graph.json.gz")) as store:
            started = time.perf_counter()
            summary = load_paths([logs], store, Path(tmp) / "q.jsonl")
            print(f"load: {summary.records} records, {summary.nodes} nodes, {summary.edges} edges in "
                  f"{time.perf_counter() - started:.1f} s")
            classify(store)  # as `graphgov classify` with no mapping: the built-in tag rules (pii=true...)
            figures = count_answers(store)
    _show(figures, before)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
