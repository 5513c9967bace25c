"""What every command module shares: the store option, one-line errors, the load summary's lines.

Kept apart from graphgov.cli.app so command modules (pullers, setup) import it without importing the
command line that registers them.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from graphgov.access.incremental import access_mode
from graphgov.ingest.pipeline import LoadSummary
from graphgov.ingest.readers import ReadError
from graphgov.ingest.redaction import redact_text
from graphgov.questions.catalog import QuestionError
from graphgov.report.progress import progress_display
from graphgov.report.rows import counted
from graphgov.stores import Store, StoreError, open_store

if TYPE_CHECKING:
    from graphgov.report.progress_line import TerminalProgress

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes of every command (README "Exit codes"): 2 is click's for a usage error.
EXIT_OK = 0
EXIT_FAILED = 1  # an error stopped the command, or `report` found a control failing at --fail-on
EXIT_USAGE = 2
EXIT_PARTIAL = 3  # a pull completed with gaps: some of what it was asked to read was denied or throttled out

ALLOW_PARTIAL_HELP = ("Exit 0 when the pull completed with gaps (reads denied or throttled out); the gap lines "
                      "still print. [default: exit 3]")

STORE_HELP = (
    "Graph store: a file path (embedded) or a bolt://, neo4j://, neo4j+s:// URI. "
    "[default: $GRAPHGOV_STORE, else .graphgov/graph.db]"
)


PROGRESS_KEY = "graphgov.progress"  # where --progress/--no-progress leaves its choice (click's context meta)


def progress_option(func: F) -> F:
    """--progress/--no-progress, read by `progress_for` (not passed to the command: no signature changes)."""
    return click.option("--progress/--no-progress", default=None, expose_value=False, is_eager=True,
                        callback=lambda ctx, param, value: ctx.meta.__setitem__(PROGRESS_KEY, value),
                        help="A progress line with rate and ETA on stderr. [default: when stderr is a terminal]")(func)


@contextmanager
def progress_for(action: str, unit: str | None = None, by_bytes: bool = False) -> Iterator[TerminalProgress | None]:
    """The progress line the command's --progress/--no-progress asks for (None: none, and nothing counts)."""
    context = click.get_current_context(silent=True)
    enabled = context.meta.get(PROGRESS_KEY) if context is not None else None
    with progress_display(enabled, action, unit, by_bytes) as display:
        yield display


def friendly_errors(func: F) -> F:
    """Turn the library's expected failures into one clear line and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:  # `graphgov demo | head`: the reader has all it wanted, which needs no message
            # stdout to /dev/null, so the interpreter's last flush does not fail again (Python's SIGPIPE recipe);
            # a test's captured stdout has no file descriptor
            with suppress(OSError, ValueError, io.UnsupportedOperation):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_FAILED)
        except (StoreError, QuestionError, ReadError, OSError) as exc:  # redacted: a message may quote input
            raise click.ClickException(redact_text(str(exc))) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def store_from(spec: str | None, read_only: bool = False) -> Iterator[Store]:
    """The store to work on, closed (and an embedded writer's lock released) on the way out."""
    store = open_store(spec, read_only=read_only)
    try:
        yield store
    finally:
        store.close()


def print_counts(summary: LoadSummary) -> None:
    click.echo(f"  loaded       {summary.loaded}")
    top = summary.top_skipped_events()
    for reason, count in sorted(summary.skipped.items()):
        click.echo(f"  skipped      {count:<6} {reason}")
        for entry in top.get(reason, ()):  # the events behind the reason, most frequent first
            click.echo(f"                 {entry['count']:<6} {entry['event']}")
        others = len(summary.skipped_events.get(reason, ())) - len(top.get(reason, ()))
        if others > 0:
            click.echo(f"                 ...    and {others} other event name{'s' if others > 1 else ''}")
    known = f"; {summary.quarantine_known} of them already there" if summary.quarantine_known else ""
    click.echo(f"  quarantined  {summary.quarantined}" +
               (f"  (see {summary.quarantine_file}{known})" if summary.quarantined else ""))
    access = summary.access or {}
    if access.get("policy_states"):
        derived = ", ".join(f"{k} {v}" for k, v in access.get("edges", {}).items()) or "none"
        click.echo(f"  access       {access['policy_states']} policy states; derived edges: {derived}"
                   + access_mode(access))
    if access.get("quarantined"):
        click.echo(f"  access       {access['quarantined']} policy states not evaluated, quarantined (see "
                   f"{summary.quarantine_file}): the answers resting on them are unknown")
    if access.get("errors"):
        click.echo(f"  access       {access['errors']} derivation errors, each contained to its item (answers "
                   "unknown):")
        for item in access.get("error_items", ()):
            click.echo(f"                 {item}")
    for failure in access.get("failed", ()):
        click.echo(f"  access       derivation step failed, earlier derived answers kept: {failure}")
    click.echo(f"graph now holds {summary.nodes} nodes and {summary.edges} edges")




def output_options(func: F) -> F:
    """--store, --format, --quarantine, --allow-partial and --progress: where a pull writes and how it reports."""
    options = [
        click.option("--store", "store_spec", default=None, help=STORE_HELP),
        click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
                     show_default=True),
        click.option("--quarantine", "quarantine_path", type=click.Path(path_type=Path),
                     default=Path(".graphgov") / "quarantine.jsonl", show_default=True,
                     help="Where records that cannot be loaded are appended, with their error."),
        click.option("--allow-partial", is_flag=True, default=False, help=ALLOW_PARTIAL_HELP),
        progress_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def print_pull(summary: LoadSummary, output_format: str, what: str, where: str, allow_partial: bool = False) -> None:
    """A pull's summary: the load's lines plus what was read, per kind (`summary.objects`); then its gaps,
    one line each on stderr, and exit 3 when there are any (unless `allow_partial`)."""
    if output_format == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(f"{counted(summary.records, 'record')} from {what} into {where}")
        for note in getattr(summary, "notes", ()):  # what a pull found where it expected its layout
            click.echo(f"  note         {note}")
        for kind, count in sorted(getattr(summary, "objects", {}).items()):
            click.echo(f"  read         {count:<6} {kind}")
        print_counts(summary)
    exit_for_gaps(getattr(summary, "gaps", ()), allow_partial)


def exit_for_gaps(gaps: Iterable[dict[str, Any]], allow_partial: bool) -> None:
    """Name each gap on stderr; a pull with gaps is partial, and says so by its exit code (3)."""
    from graphgov.aws.pullers._gaps import gap_line

    gaps = list(gaps)
    for gap in gaps:
        click.echo(gap_line(gap), err=True)
    if gaps and not allow_partial:
        click.echo(f"partial pull: {len(gaps)} gap{'s' if len(gaps) > 1 else ''} (exit {EXIT_PARTIAL}; "
                   "--allow-partial exits 0)", err=True)
        click.get_current_context().exit(EXIT_PARTIAL)
