"""`graphgov lineage`: the lineage subgraph of an endpoint or a model, as a tree or as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from graphgov.cli.common import STORE_HELP, friendly_errors, store_from
from graphgov.questions.lineage import as_json, as_text, build_lineage
from graphgov.report.lineage_html import lineage_page


@click.command("lineage")
@click.argument("target", metavar="ARN_OR_NAME")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write an interactive view to this file (one self-contained page; works offline).")
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@friendly_errors
def command(target: str, output_format: str, html_path: Path | None, store_spec: str | None) -> None:
    """Where an endpoint's or a model's training data came from, who wrote it and who can read it.

    ARN_OR_NAME names an endpoint, else a model (by ARN or name). The tree runs endpoint -> current
    configuration -> models -> (packages) -> artifacts -> training, tuning or customization jobs ->
    datasets per channel, with the principals that wrote each dataset and those that can read it.
    """
    with store_from(store_spec, read_only=True) as store:
        lineage = build_lineage(store, target)
    if html_path is not None:
        html_path.write_text(lineage_page(lineage), encoding="utf-8")
        click.echo(f"lineage: wrote {html_path} ({len(lineage.nodes)} nodes, {len(lineage.edges)} edges)", err=True)
    if output_format == "json":
        click.echo(json.dumps(as_json(lineage), indent=2))
    else:
        click.echo(as_text(lineage), nl=False)
