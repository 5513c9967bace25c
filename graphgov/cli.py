"""The `graphgov` command line: thin Click commands over the library.

Every command that touches the graph takes `--store` (default: $GRAPHGOV_STORE, else the embedded
store at .graphgov/graph.json.gz). Errors are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from graphgov import (
    __version__,
    cli_pull_cloudtrail_s3,
    cli_pull_config,
    cli_pull_describe,
    cli_pull_logs,
    cli_pull_lookup_events,
    cli_pull_s3,
    cli_pull_sqs,
)
from graphgov.cli_accounts import puller_options, sessions
from graphgov.cli_browser import command as browser_command
from graphgov.cli_classify import command as classify_command
from graphgov.cli_common import STORE_HELP, friendly_errors, print_counts, print_pull, store_from
from graphgov.cli_lineage import command as lineage_command
from graphgov.cli_report import command as report_command
from graphgov.cli_setup import command as setup_command
from graphgov.pipeline import LoadSummary, load_paths
from graphgov.questions import ask, catalog, check_param_names, get_question
from graphgov.readers import check_paths
from graphgov.schema import schema_table_markdown
from graphgov.times import TimeWindow


@click.group()
@click.version_option(__version__, prog_name="graphgov")
def main() -> None:
    """graphgov: where each AI model's data came from, who can and who did read it, on AWS."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quarantine", "quarantine_path", type=click.Path(path_type=Path),
              default=Path(".graphgov") / "quarantine.jsonl", show_default=True,
              help="Where records that cannot be loaded are appended, with their error.")
@click.option("--reference-time", "reference_time", default=None, metavar="ISO-8601",
              help="The load's reference time [default: now]: event times after it + 1 day (or before 2013) "
                   "are skipped as implausible_time. Give a summary's reference_time to reproduce its load.")
@friendly_errors
def load(paths: tuple[Path, ...], store_spec: str | None, output_format: str, quarantine_path: Path,
         reference_time: str | None) -> None:
    """Load log files or directories (CloudTrail and its wrappers; format detected per file)."""
    if reference_time is not None:
        try:
            reference_time = TimeWindow.at(reference_time).reference
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--reference-time") from None
    check_paths(paths)  # fail on a bad path before touching the store
    with store_from(store_spec) as store:
        progress = _progress(output_format == "text" and sys.stderr.isatty())
        summary = load_paths(paths, store, quarantine_path, on_file=progress, reference_time=reference_time)
        if output_format == "text" and sys.stderr.isatty():
            click.echo("", err=True)
    _print_summary(summary, output_format, store.description)


def _progress(on_terminal: bool) -> Callable[[Path], None] | None:
    """A one-line file counter on a terminal (the tree is walked lazily, so no total is known)."""
    if not on_terminal:
        return None
    count = 0

    def tick(path: Path) -> None:
        nonlocal count
        count += 1
        click.echo(f"\rloading: {count} files ({path.name[:60]})".ljust(100), nl=False, err=True)

    return tick


def _print_summary(summary: LoadSummary, output_format: str, where: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2))
        return
    click.echo(f"{summary.records} records from {summary.files} files into {where}"
               f" (reference time {summary.reference_time})")
    print_counts(summary)


@main.group()
def pull() -> None:
    """Read the current state of an AWS account into the graph (a snapshot; pull again to see changes)."""


@pull.command("iam")
@puller_options
@friendly_errors
def pull_iam_command(store_spec: str | None, output_format: str, quarantine_path: Path, allow_partial: bool,
                     profile: str | None,
                     regions: tuple[str, ...], role_arn: str | None, assume_role_name: str | None,
                     external_id: str | None, accounts: str | None) -> None:
    """Pull the IAM users, groups, roles and managed policies, bucket, access point and key policies in force now.

    Credentials, Region and endpoint come from the standard AWS configuration (profile, environment
    including AWS_ENDPOINT_URL); the caller needs read access such as the SecurityAudit policy. With
    --role-arn or --assume-role-name each account reached is pulled in turn (`--region`: where KMS
    keys and S3 access points are read). The organisation's tree and its SCPs/RCPs are read where the
    caller may read them (once, as the caller, with --assume-role-name); elsewhere that is one skipped
    record.

    It fills the gap logs leave: access that a bucket, access point, key or trust policy no record shows
    would decide is `unknown` (`via` names it, e.g. unknown:key-policy:<key arn>) until this pull reads
    that policy.
    """
    from graphgov.aws import PullError, aws_session
    from graphgov.pull_iam import pull_iam_accounts

    try:
        with store_from(store_spec) as store:
            accounts_read = (session for _account, session in sessions(profile, role_arn, assume_role_name,
                                                                         external_id, accounts))
            summary = pull_iam_accounts(accounts_read, store, quarantine_path, regions,
                                        organization_session=aws_session(profile) if assume_role_name else None)
    except PullError as exc:
        raise click.ClickException(str(exc)) from None
    print_pull(summary, output_format, f"account {summary.account} at {summary.time}", store.description,
               allow_partial)


@main.command()
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


@main.command()
@click.argument("question_id")
@click.option("--param", "params", multiple=True, metavar="K=V", help="A question parameter (repeatable).")
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@friendly_errors
def query(question_id: str, params: tuple[str, ...], store_spec: str | None, output_format: str) -> None:
    """Run a saved question (see `graphgov questions`)."""
    get_question(question_id)  # unknown ids fail before connecting
    given = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected K=V, got {item!r}", param_hint="--param")
        given[key.strip()] = value
    check_param_names(get_question(question_id), given)
    with store_from(store_spec, read_only=True) as store:
        rows = ask(store, question_id, given)
    click.echo(render_rows(rows, output_format), nl=False)


def render_rows(rows: list[dict[str, Any]], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return "" if output_format == "csv" else "(no rows)\n"
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(cells)
        return buffer.getvalue()
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines) + f"\n({len(rows)} rows)\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


@main.command()
def schema() -> None:
    """Print the graph schema as Markdown tables (the README's schema section)."""
    click.echo(schema_table_markdown())


@main.command()
@click.option("--store", "store_spec", default=None,
              help="Where to build the demo graph [default: a fresh .graphgov/demo.json.gz].")
@friendly_errors
def demo(store_spec: str | None) -> None:
    """Load the bundled sample AWS logs into an embedded store and answer a few questions."""
    from graphgov.demo import run_demo

    run_demo(store_spec, echo=click.echo)


@main.command("generate")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--size", default="small", show_default=True,
              help="small (2,000 records), medium (100,000), large (1,000,000) or a number of records.")
@friendly_errors
def generate_logs(outdir: Path, seed: int, size: str) -> None:
    """Write the logs of a synthetic multi-account AI platform into OUTDIR (an empty or new directory)."""
    from graphgov.generate import GenerateError, generate, parse_size

    try:
        counts = generate(outdir, seed=seed, records=parse_size(size))
    except GenerateError as exc:
        raise click.ClickException(str(exc)) from None
    for kind, count in counts.items():
        click.echo(f"{kind}: {count}")


# Every other `graphgov pull <source>` and `graphgov setup` lives in its own module.
for _command in (cli_pull_sqs.command, cli_pull_cloudtrail_s3.command, cli_pull_s3.command,
                 cli_pull_lookup_events.command, cli_pull_logs.command, cli_pull_describe.command,
                 cli_pull_config.command):
    pull.add_command(_command)
main.add_command(setup_command)
main.add_command(report_command)
main.add_command(classify_command)
main.add_command(lineage_command)
main.add_command(browser_command)


if __name__ == "__main__":  # pragma: no cover
    main()
