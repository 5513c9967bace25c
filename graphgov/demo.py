"""`graphgov demo`: a first run that needs no AWS account and no Neo4j.

Loads the sample logs bundled in the wheel (graphgov/samples, real public AWS samples) into a fresh
embedded store and shows what came out and a few saved questions answered on it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from graphgov.pipeline import load_paths
from graphgov.questions import ask, get_question
from graphgov.stores import StoreError, open_store

DEMO_STORE = Path(".graphgov") / "demo.json.gz"
DEMO_QUESTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    ("cross-account-assumptions", {}),
    ("principal-activity", {"principal": "Alice"}),
    ("object-readers", {"bucket": "s3://ransomware-test-victim-1764604156"}),
)


def run_demo(store_spec: str | None, echo: Callable[[str], None]) -> None:
    """Build the demo graph (replacing an earlier demo store) and print answers."""
    from graphgov.cli import render_rows  # rendering is the CLI's job; the demo borrows it

    target = Path(store_spec) if store_spec else DEMO_STORE
    if "://" in str(target):
        raise StoreError("the demo builds an embedded store; give --store a file path")
    if target.exists():
        target.unlink()
    folder = Path(str(resources.files("graphgov.samples")))  # the wheel installs it as a plain folder
    with open_store(str(target)) as store:
        summary = load_paths([folder], store, target.with_suffix(".quarantine.jsonl"))
        echo(f"graphgov demo: loaded the bundled sample AWS logs into {target}")
        echo(f"  {summary.records} records from {summary.files} files: {summary.loaded} loaded, "
             f"{sum(summary.skipped.values())} skipped, {summary.quarantined} quarantined")
        for reason, count in sorted(summary.skipped.items()):
            echo(f"    skipped {count:>4}  {reason}")
        echo(f"  graph: {summary.nodes} nodes, {summary.edges} edges")
        for question_id, params in DEMO_QUESTIONS:
            question = get_question(question_id)
            shown = " ".join(f"--param {k}={v}" for k, v in params.items())
            echo("")
            echo(f"$ graphgov query {question_id} {shown}".rstrip() + f" --store {target}")
            echo(f"# {question.title}")
            echo(render_rows(ask(store, question_id, params), "table").rstrip("\n"))
    echo("")
    echo("Next: `graphgov load <your CloudTrail folder>` and `graphgov questions`.")
