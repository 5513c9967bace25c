"""`graphgov demo`: a first run that needs no AWS account and no Neo4j (graphgov.demo builds it)."""

from __future__ import annotations

import click

from graphgov.cli.common import friendly_errors
from graphgov.demo import DEMO_STORE


@click.command()
@click.option("--store", "store_spec", default=None,
              help=f"Where to build the demo graph, replacing an earlier demo there (the bundled AWS samples go "
                   f"beside it, in <name>-samples.json.gz) [default: {DEMO_STORE}].")
@friendly_errors
def demo(store_spec: str | None) -> None:
    """Generate a small AI platform's logs, load them into an embedded store and print what the saved questions find."""
    from graphgov.demo import run_demo
    from graphgov.report.rows import output_width

    run_demo(store_spec, echo=click.echo, width=output_width())
