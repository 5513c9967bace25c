"""The `graphgov` command line: the group, and each command group's module registered on it.

Every command that touches the graph takes `--store` (default: $GRAPHGOV_STORE, else the embedded
store at .graphgov/graph.db). Errors are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import click

from graphgov import __version__
from graphgov.cli import browser, classify, demo, export, generate, lineage, load, pull, report, setup, store


@click.group()
@click.version_option(__version__, prog_name="graphgov")
def main() -> None:
    """graphgov: where each AI model's data came from, who can and who did read it, on AWS."""


for _command in (load.load, load.questions, load.query, load.schema, pull.pull, setup.command, report.command,
                 classify.command, lineage.command, browser.command, demo.demo, generate.generate_logs, export.group,
                 store.command):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
