"""`graphgov generate`: the logs of a synthetic multi-account AI platform (graphgov.generate)."""

from __future__ import annotations

from pathlib import Path

import click

from graphgov.cli.common import friendly_errors


@click.command("generate")
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
