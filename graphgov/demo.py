"""`graphgov demo`: a first run that needs no AWS account and no Neo4j.

Generates a small multi-account AI platform's logs (seed 0, in AWS's own formats and layouts), adds the
real public AWS samples bundled in the wheel, loads both into a fresh embedded store, and prints what it
found: the load's accounting, then the findings of the saved questions.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from graphgov.generate import generate
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask, catalog, get_question
from graphgov.stores import StoreError, open_store
from graphgov.stores.lock import StoreLock

DEMO_DIR = Path(".graphgov") / "demo"
DEMO_RECORDS = 2000
SHOWN_ROWS = 8
# questions that take a parameter, asked about things the generated platform is known to contain
PARAMETER_QUESTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    ("endpoint-lineage", {"endpoint": "fraud-endpoint"}),
    ("principal-activity", {"principal": "JohnDoe"}),
    ("access-at-training-time", {"job": "fraud-xgb-20260105-002"}),
)


def run_demo(store_spec: str | None, echo: Callable[[str], None]) -> None:
    """Build the demo graph (replacing an earlier demo) and print its findings."""
    from graphgov.report.rows import render_rows

    target = Path(store_spec) if store_spec else DEMO_DIR / "graph.json.gz"
    if "://" in str(target):
        raise StoreError("the demo builds an embedded store; give --store a file path")
    logs = target.parent / "generated-logs"
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = StoreLock(target)  # before deleting the old demo: never delete a store another writer holds
    for stale in (target, target.with_suffix(".quarantine.jsonl")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(logs, ignore_errors=True)
    counts = generate(logs, seed=0, records=DEMO_RECORDS)
    samples = Path(str(resources.files("graphgov.samples")))  # the wheel installs it as a plain folder
    with open_store(str(target)) as store:
        summary = load_paths([logs, samples], store, target.with_suffix(".quarantine.jsonl"))
        echo(f"graphgov demo: generated {DEMO_RECORDS} log records of a three-account AI platform (seed 0) in "
             f"{logs}, plus the bundled real AWS samples, into {target}")
        echo("  generated: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        echo(f"  {summary.records} records from {summary.files} files: {summary.loaded} loaded, "
             f"{sum(summary.skipped.values())} skipped, {summary.quarantined} quarantined")
        for reason, count in sorted(summary.skipped.items()):
            echo(f"    skipped {count:>5}  {reason}")
        echo(f"  graph: {summary.nodes} nodes, {summary.edges} edges")
        questions = [(q.id, {}) for q in catalog().values() if not any(p.required for p in q.params.values())]
        questions += list(PARAMETER_QUESTIONS)
        for question_id, params in questions:
            question = get_question(question_id)
            rows = ask(store, question_id, params)
            shown = " ".join(f"--param {k}={v}" for k, v in params.items())
            echo("")
            echo(f"$ graphgov query {question_id} {shown}".rstrip() + f" --store {target}")
            echo(f"# {question.title} [{question.severity}]: {len(rows)} rows")
            if rows:
                echo(render_rows(rows[:SHOWN_ROWS], "table").rstrip("\n"))
                if len(rows) > SHOWN_ROWS:
                    echo(f"... {len(rows) - SHOWN_ROWS} more rows")
    echo("")
    echo(f"Report: `graphgov report --framework all --format html --out report.html --store {target}` (one page "
         "that opens offline); a lineage picture: `graphgov lineage fraud-endpoint --html lineage.html "
         f"--store {target}`.")
    echo("Next: `graphgov load <your CloudTrail folder>`, `graphgov questions`, `graphgov query <id>`.")
    lock.release()
