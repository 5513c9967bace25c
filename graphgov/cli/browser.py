"""`graphgov browser`: the Neo4j Browser style sheet and saved-question favourites, and a server for both."""

from __future__ import annotations

from pathlib import Path

import click

from graphgov.report import browser_assets


@click.group("browser")
def command() -> None:
    """Explore the graph in Neo4j Browser: graphgov's style and saved questions."""


@command.command("style")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the style sheet here instead of to stdout.")
def style(out: Path | None) -> None:
    """The GraSS style sheet: a colour per label (related labels alike) and a caption per label.

    Apply it in Browser with `:style <url>` (see `graphgov browser serve`) or by dropping the file on
    the Browser window.
    """
    text = browser_assets.grass_stylesheet()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"browser: wrote {out}", err=True)


@command.command("favourites")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .zip file to write.")
def favourites(out: Path) -> None:
    """The saved questions as a favourites zip: drop it on the Browser window to import the `graphgov` folder."""
    browser_assets.favourites_zip(out)
    click.echo(f"browser: wrote {out} ({len(browser_assets.favourites_files())} favourites)", err=True)


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=browser_assets.DEFAULT_PORT, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the style sheet and the favourites zip (with CORS) for Browser's `:style <url>`."""
    click.echo(f"browser: serving http://{host}:{port}{browser_assets.GRASS_PATH} and "
               f"http://{host}:{port}{browser_assets.FAVOURITES_PATH}", err=True)
    browser_assets.serve(host, port)
