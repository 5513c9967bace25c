"""`graphgov demo`: a first run that needs no AWS account and no Neo4j.

Generates a small multi-account AI platform's logs (seed 0, in AWS's own formats and layouts), loads them
into a fresh embedded store and prints the load's accounting, then the findings of the saved questions.

The real public AWS samples bundled in the wheel (documentation examples: account 123456789012, 2014) are
parsed too, to show real logs load, but into a store of their own beside the demo's: in the same graph their
accounts and roles would be reported as findings of the platform (and the trailscraper sample shares the
platform's account 111111111111, so no label by account could tell them apart afterwards).
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from graphgov.generate import generate
from graphgov.ingest.pipeline import LoadSummary, load_paths
from graphgov.questions.catalog import ask, catalog, get_question
from graphgov.questions.grouping import grouped_for
from graphgov.report.rows import render_answer
from graphgov.stores import Store, StoreError, open_store
from graphgov.stores.embedded import SIDE_FILES
from graphgov.stores.lock import StoreLock

DEMO_STORE = Path(".graphgov") / "demo" / "graph.db"
DEMO_RECORDS = 2000
SHOWN_ROWS = 8
# questions that take a parameter, asked about things the generated platform is known to contain
PARAMETER_QUESTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    ("endpoint-lineage", {"endpoint": "fraud-endpoint"}),
    ("principal-activity", {"principal": "hackathon-dev"}),
    ("access-at-training-time", {"job": "fraud-xgb-20260105-002"}),
)

Echo = Callable[[str], None]
KEEP = "\u00a0"  # a space the demo's prose is never wrapped at (textwrap breaks at ASCII whitespace only)


def samples_store_of(target: Path) -> Path:
    """Where the demo parses the bundled samples: beside its store, never the same file."""
    name = target.name.removesuffix(".gz").removesuffix(".json").removesuffix(".db")
    return target.with_name(f"{name}-samples.db")


def quarantine_of(store: Path) -> Path:
    return store.with_suffix(".quarantine.jsonl")


def run_demo(store_spec: str | None, echo: Echo, width: int | None = None) -> None:
    """Build the demo graph (replacing an earlier demo) and print its findings, fitted to `width` (None: no limit)."""
    target = Path(store_spec) if store_spec else DEMO_STORE
    if "://" in str(target):
        raise StoreError("the demo builds an embedded store; give --store a file path")
    samples_target = samples_store_of(target)
    logs = target.parent / "generated-logs"
    target.parent.mkdir(parents=True, exist_ok=True)
    locks = [StoreLock(target)]  # before deleting: never delete a store being written
    say = _Say(echo, width)
    try:
        locks.append(StoreLock(samples_target))
        for stale in (target, quarantine_of(target), samples_target, quarantine_of(samples_target)):
            for file in (stale, *(stale.with_name(stale.name + side) for side in SIDE_FILES)):
                file.unlink(missing_ok=True)
        shutil.rmtree(logs, ignore_errors=True)
        counts = generate(logs, seed=0, records=DEMO_RECORDS)
        samples = Path(str(resources.files("graphgov.samples")))  # the wheel installs it as a plain folder
        with open_store(str(samples_target)) as store:
            samples_summary = load_paths([samples], store, quarantine_of(samples_target))
        with open_store(str(target)) as store:
            summary = load_paths([logs], store, quarantine_of(target))
            say(f"graphgov demo: the logs of a three-account AI platform (generated, seed 0), loaded into "
                f"{target}, and what the saved questions find in them.")
            kinds = ", ".join(f"{k}{KEEP}{v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if k != "files")
            say(f"  generated    {DEMO_RECORDS} records in {counts['files']} files under {logs}: {kinds}", indent=15)
            _accounting(summary, say)
            echo("")
            _samples(samples_summary, samples_target, say)
            for question_id, params in demo_questions():
                _ask(store, target, question_id, params, say)
    finally:
        for lock in locks:
            lock.release()
    _next_steps(target, say)


class _Say:
    """Prints prose wrapped to the width (continuation lines indented by `indent`; KEEP joins words never split,
    printed as a space); commands (`$ ...`, or `indent=-1`) as they are, whole, so that they can be copied."""

    def __init__(self, echo: Echo, width: int | None) -> None:
        self.echo = echo
        self.width = width

    def __call__(self, text: str, indent: int = 0) -> None:
        if self.width is None or not text or text.lstrip().startswith("$ ") or indent < 0:
            self.echo(text.replace(KEEP, " "))
            return
        for line in textwrap.wrap(text, self.width, subsequent_indent=" " * indent, break_on_hyphens=False,
                                  break_long_words=False):
            self.echo(line.replace(KEEP, " "))


def _accounting(summary: LoadSummary, say: _Say) -> None:
    """Every record read, as loaded, skipped (per reason) or quarantined (and where to)."""
    say(f"  read         {summary.records} records: {summary.loaded} loaded, {sum(summary.skipped.values())} "
        f"skipped, {summary.quarantined} quarantined", indent=15)
    for reason, count in sorted(summary.skipped.items()):
        say(f"  skipped      {count:<5} {reason}")
    if summary.quarantined:
        say(f"  quarantined  {summary.quarantined:<5} in {summary.quarantine_file}", indent=21)
    say(f"  graph        {summary.nodes} nodes, {summary.edges} edges")


def _samples(summary: LoadSummary, store: Path, say: _Say) -> None:
    """The bundled samples' accounting, labelled, in their own block: none of the findings below is theirs."""
    say("Real AWS log samples (documentation examples) parsed:")
    say(f"  read         {summary.records} records from {summary.files} files: {summary.loaded} loaded, "
        f"{sum(summary.skipped.values())} skipped, {summary.quarantined} quarantined", indent=15)
    if summary.quarantined:
        say(f"  quarantined  {summary.quarantined:<5} in {summary.quarantine_file}", indent=21)
    say(f"  kept apart   in {store}, so none of the findings below is theirs; to ask them:", indent=15)
    say(f"$ graphgov query cross-account-assumptions --store {store}")


def demo_questions() -> list[tuple[str, dict[str, str]]]:
    """Every saved question that needs no parameter, then those that do, asked with the platform's names."""
    plain = [(q.id, {}) for q in catalog().values() if not any(p.required for p in q.params.values())]
    return plain + [(question_id, dict(params)) for question_id, params in PARAMETER_QUESTIONS]


def _ask(store: Store, target: Path, question_id: str, params: dict[str, str], say: _Say) -> None:
    question = get_question(question_id)
    rows = ask(store, question_id, params)
    shown = "".join(f" --param {k}={v}" for k, v in params.items())
    say("")
    say(f"$ graphgov query {question_id}{shown} --store {target}")
    say(f"# {question.title} [{question.severity}]", indent=2)
    say.echo(render_answer(rows, "table", grouped_for(question, "table"), width=say.width, limit=SHOWN_ROWS,
                           all_rows_hint="the command above shows all").rstrip("\n"))


def _next_steps(target: Path, say: _Say) -> None:
    say("")
    say("Next steps:")
    say("  Every control's verdict, on one page that opens offline:")
    say(f"    graphgov report --framework all --format html --out report.html --store {target}", indent=-1)
    say("  The lineage of the fraud endpoint, as a picture:")
    say(f"    graphgov lineage fraud-endpoint --html lineage.html --store {target}", indent=-1)
    say("  Your own CloudTrail logs, then the saved questions about them:")
    for command in ("graphgov load <your CloudTrail folder>", "graphgov questions", "graphgov query <id>"):
        say(f"    {command}", indent=-1)
    hint = path_hint(Path(sys.argv[0]), shutil.which("graphgov"))
    if hint:
        say(hint)


def path_hint(running: Path, on_path: str | None) -> str | None:
    """How to run the commands above when the `graphgov` being run is not the one the shell would find (a
    virtual environment not activated, as after the README's first command)."""
    if running.name != "graphgov" or (on_path and Path(on_path).resolve() == running.resolve()):
        return None
    activate = running.parent / "activate"
    how = f"source {activate}" if activate.exists() else f'export PATH="{running.parent}:$PATH"'
    return f"(graphgov is not on your PATH: run `{how}` first, or type {running} in full.)"
