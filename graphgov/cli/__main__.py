"""`python -m graphgov.cli`: the same command line as the `graphgov` script."""

from graphgov.cli import main

main()
