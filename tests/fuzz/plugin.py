"""The fuzz suite's options and its closing figures (printed once, at the end of the session).

A plugin registered by tests/conftest.py (not a conftest of its own folder), so `pytest --fuzz-scale=10` works
from the project root as well as `pytest tests/fuzz --fuzz-scale=10`.
"""

from __future__ import annotations

import os

import pytest

from fuzz.harness import FIGURES


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("graphgov fuzz")
    group.addoption("--fuzz-scale", default=None, help="multiply the fuzz budget (GRAPHGOV_FUZZ_SCALE)")
    group.addoption("--fuzz-random", action="store_true", help="random search instead of CI's fixed seed "
                    "(GRAPHGOV_FUZZ_RANDOM=1)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--fuzz-scale", default=None):
        os.environ["GRAPHGOV_FUZZ_SCALE"] = str(config.getoption("--fuzz-scale"))
    if config.getoption("--fuzz-random", default=False):
        os.environ["GRAPHGOV_FUZZ_RANDOM"] = "1"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if sum(FIGURES.values.values()):
        terminalreporter.write_line(FIGURES.line())
