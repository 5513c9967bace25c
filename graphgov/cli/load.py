"""`graphgov load`, `questions`, `query` and `schema`: logs into the graph, saved questions out of it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from graphgov.cli.common import STORE_HELP, friendly_errors, print_counts, progress_for, progress_option, store_from
from graphgov.core.schema import schema_table_markdown
from graphgov.core.times import TimeWindow
from graphgov.ingest.file_loads import default_workers
from graphgov.ingest.pipeline import LoadSummary, load_paths
from graphgov.ingest.readers import check_paths
from graphgov.questions.catalog import catalog, check_param_names, get_question
from graphgov.questions.grouping import grouped_for, take_summary
from graphgov.questions.streaming import ask_stream
from graphgov.report.rows import counted, output_width, write_answer


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quarantine", "quarantine_path", type=click.Path(path_type=Path),
              default=Path(".graphgov") / "quarantine.jsonl", show_default=True,
              help="Where records that cannot be loaded are appended, with their error.")
@click.option("--reference-time", "reference_time", default=None, metavar="ISO-8601",
              help="The load's reference time [default: now]: event times after it + 1 day (or before 2013) "
                   "are skipped as implausible_time. Give a summary's reference_time to reproduce its load.")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes parsing files [default: the CPU count]; 1 parses in the load's own process.")
@click.option("--reload", is_flag=True, help="Read files loaded before again (their records count as duplicates).")
@progress_option
@friendly_errors
def load(paths: tuple[Path, ...], store_spec: str | None, output_format: str, quarantine_path: Path,
         reference_time: str | None, workers: int | None, reload: bool) -> None:
    """Load log files or directories (CloudTrail and its wrappers; format detected per file)."""
    if reference_time is not None:
        try:
            reference_time = TimeWindow.at(reference_time).reference
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--reference-time") from None
    check_paths(paths)  # fail on a bad path before touching the store
    with store_from(store_spec) as store, progress_for("loading", "files", by_bytes=True) as progress:
        summary = load_paths(paths, store, quarantine_path, reference_time=reference_time, progress=progress,
                             workers=workers or default_workers(), skip_loaded=not reload)
        note = store.scale_note()
    _print_summary(summary, output_format, store.description)
    if note:
        click.echo(f"note: {note}", err=True)


def _print_summary(summary: LoadSummary, output_format: str, where: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2))
        return
    click.echo(f"{counted(summary.records, 'record')} from {counted(summary.files, 'file')} into {where}"
               f" (reference time {summary.reference_time})")
    if summary.files_skipped:
        click.echo(f"  {counted(summary.files_skipped, 'file')} already loaded, not read again (--reload reads them)")
    print_counts(summary)


@click.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@friendly_errors
def questions(output_format: str) -> None:
    """List the saved questions with their metadata."""
    items = [q.summary() for q in catalog().values()]
    if output_format == "json":
        click.echo(json.dumps(items, indent=2))
        return
    for item in items:
        params = ", ".join(f"{k}{'' if v['required'] else '?'}" for k, v in item["params"].items())
        click.echo(f"{item['id']}  [{item['severity']}]  {item['title']}" + (f"  (params: {params})" if params else ""))
        click.echo(f"    controls: {', '.join(item['controls'])}")
        gate = "evidence only, not gated" if item["pass"] == "evidence" else f"passes with {item['pass']}"
        click.echo(f"    needs: {', '.join(item['evidence'])}; {gate}")


@click.command()
@click.argument("question_id")
@click.option("--param", "params", multiple=True, metavar="K=V", help="A question parameter (repeatable).")
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@friendly_errors
def query(question_id: str, params: tuple[str, ...], store_spec: str | None, output_format: str) -> None:
    """Run a saved question (see `graphgov questions`).

    The table is fitted to the terminal ($COLUMNS when set), cutting cells (…) and, when too narrow, the last
    columns, and says so under it; piped or redirected without $COLUMNS it is not cut. json and csv are never cut.
    Questions whose rows are one per principal (cross-account-exposure, training-data-readers) show a table of
    groups; json and csv keep every row unless --param summary=true, and --param summary=false lists every row.
    """
    question = get_question(question_id)  # unknown ids fail before connecting
    given = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected K=V, got {item!r}", param_hint="--param")
        given[key.strip()] = value
    given, summary = take_summary(question, given)
    check_param_names(question, given)
    grouping = grouped_for(question, output_format, summary)
    with store_from(store_spec, read_only=True) as store:
        rows = ask_stream(store, question_id, given)
        write_answer(rows, output_format, grouping, lambda text: click.echo(text, nl=False), width=output_width())


@click.command()
def schema() -> None:
    """Print the graph schema as Markdown tables (the README's schema section)."""
    click.echo(schema_table_markdown())
