"""`graphgov demo`: a first run that needs no AWS account and no Neo4j (graphgov.demo builds it)."""

from __future__ import annotations

import click

from graphgov.cli.common import friendly_errors


@click.command()
@click.option("--store", "store_spec", default=None,
              help="Where to build the demo graph [default: a fresh .graphgov/demo.json.gz].")
@friendly_errors
def demo(store_spec: str | None) -> None:
    """Load the bundled sample AWS logs into an embedded store and answer a few questions."""
    from graphgov.demo import run_demo

    run_demo(store_spec, echo=click.echo)
