"""`graphgov export`: the graph in other tools' formats (today: OpenLineage run events)."""

from __future__ import annotations

from pathlib import Path

import click

from graphgov.cli.common import STORE_HELP, friendly_errors, store_from
from graphgov.export.emit import json_lines, lineage_url, post
from graphgov.export.events import ExportError, openlineage_events, summary


@click.group("export")
def group() -> None:
    """Export the graph for other tools."""


@group.command("openlineage")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the events to this file, one JSON event per line (JSON Lines).")
@click.option("--url", default=None, metavar="URL",
              help="POST each event to an OpenLineage endpoint: URL/api/v1/lineage (Marquez, DataHub).")
@click.option("--store", "store_spec", default=None, help=STORE_HELP)
@friendly_errors
def openlineage(out_path: Path | None, url: str | None, store_spec: str | None) -> None:
    """The AI lineage (datasets -> jobs -> models -> endpoints) as OpenLineage run events.

    A START and a COMPLETE event per job run (training, tuning, processing, transform, Bedrock
    customization, ...; and the deploy steps from artifact to model to endpoint), with stable run ids so
    a re-export updates rather than duplicates. Without --out or --url the events go to stdout. Needs
    the optional client: pip install 'graphgov[openlineage]'.
    """
    if out_path is not None and url is not None:
        raise click.UsageError("give --out or --url, not both")
    try:
        with store_from(store_spec, read_only=True) as store:
            events = openlineage_events(store)
        if url is not None:
            accepted = post(events, url)
            click.echo(f"openlineage: {lineage_url(url)} accepted {accepted} of {len(events)} events "
                       f"({summary(events)})", err=True)
        elif out_path is not None:
            out_path.write_text("".join(line + "\n" for line in json_lines(events)), encoding="utf-8")
            click.echo(f"openlineage: wrote {len(events)} events to {out_path} ({summary(events)})", err=True)
        else:
            for line in json_lines(events):
                click.echo(line)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
