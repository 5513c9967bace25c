"""`graphgov report`: per control of a framework, pass, fail or not-evidenced, with the evidence rows."""

from __future__ import annotations

from pathlib import Path

import click

from graphgov.cli.common import STORE_HELP, friendly_errors, store_from
from graphgov.questions.controls import FRAMEWORKS, SEVERITY_RANK, build_report, exit_failures
from graphgov.report.html import render_html, report_lineages
from graphgov.report.render import render


@click.command("report")
@click.option("--framework", type=click.Choice([*FRAMEWORKS, "all"]), default="all", show_default=True)
@click.option("--format", "output_format", type=click.Choice(["md", "html", "json", "sarif"]), default="md",
              show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report here instead of standard output.")
@click.option("--fail-on", type=click.Choice([s for s in SEVERITY_RANK if s != "info"]), default="high",
              show_default=True, help="Exit 1 when a control fails at this severity or above.")
@click.option("--strict", is_flag=True, help="Exit 1 also when a control is not evidenced.")
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@friendly_errors
def command(framework: str, output_format: str, out_path: Path | None, fail_on: str, strict: bool,
            store_spec: str | None) -> None:
    """Judge each control of a framework from the saved questions; exit 1 on failures at --fail-on.

    The HTML form is one self-contained page (it opens offline) with a summary per framework, a
    drill-down per control and a lineage picture of each endpoint the rows name.

    A control fails when one of its gated questions finds rows; it is not evidenced when a question's
    evidence sources (CloudTrail data events, policies, ...) were never loaded, since an empty answer
    then proves nothing.
    """
    with store_from(store_spec, read_only=True) as store:
        report = build_report(store, framework)
        if output_format == "html":
            lineages, omitted = report_lineages(store, report)
            text = render_html(report, lineages, omitted=omitted)
        else:
            text = render(report, output_format)
    if out_path is None:
        click.echo(text, nl=False)
    else:
        out_path.write_text(text, encoding="utf-8")
    failures = exit_failures(report, fail_on, strict)
    if failures:
        listed = ", ".join(f"{c.control} ({c.verdict if c.verdict != 'fail' else c.severity})" for c in failures)
        click.echo(f"report: {len(failures)} control(s) at or above the gate: {listed}", err=True)
        raise SystemExit(1)
