"""The `graphgov` command line: thin Click commands, one module per command group (see graphgov.cli.app)."""

from graphgov.cli.app import main

__all__ = ["main"]
