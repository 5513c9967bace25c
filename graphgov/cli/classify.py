"""`graphgov classify`: mark each dataset with the personal-data categories it holds (ingest.classify)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from graphgov.cli.common import STORE_HELP, friendly_errors, store_from
from graphgov.ingest.classify import classify
from graphgov.questions.classification import ClassificationError, load_mapping
from graphgov.report.rows import counted


@click.command("classify")
@click.option("--mapping", "mapping_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Classification rules by bucket and prefix or by tag (JSON; YAML when PyYAML is installed).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@friendly_errors
def command(mapping_path: Path | None, output_format: str, store_spec: str | None) -> None:
    """Classify every dataset from bucket and object tags and the mapping; writes Dataset.classification.

    Built-in tag rules read keys such as classification, data-classification, pii and phi (see
    graphgov.questions.classification); run again after each load to classify what the load added.
    """
    try:
        mapping = load_mapping(mapping_path) if mapping_path is not None else None
    except ClassificationError as exc:
        raise click.ClickException(str(exc)) from None
    with store_from(store_spec) as store:
        rows = classify(store, mapping)
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for row in rows:
        click.echo(f"{row['dataset']}  {', '.join(row['classification']) or '(cleared)'}")
        for reason in row["why"]:
            click.echo(f"    {reason}")
    classified = sum(1 for row in rows if row["classification"])
    click.echo(f"({counted(classified, 'dataset')} classified)")
