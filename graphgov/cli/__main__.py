"""`python -m graphgov.cli`: the same command line as the `graphgov` script."""

from graphgov.cli import main

if __name__ == "__main__":
    main()
