"""Shared fixtures. Neo4j tests use a real server and fail loudly when none can be had.

Order: $NEO4J_URI (CI and users with a server), else the project's own server started through
scripts/neo4j-local (needs Java and Maven, as on dev machines), else testcontainers (needs Docker).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import wipe_neo4j

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["browser", "fuzz.plugin"]  # headless Chromium for the HTML outputs; the fuzz options and figures


def _local_neo4j_running() -> bool:
    return subprocess.run([str(ROOT / "scripts" / "neo4j-local"), "status"], capture_output=True).returncode == 0


def _http_url_from_local_neo4j(uri: str) -> None:
    """Set NEO4J_HTTP_URL from the running scripts/neo4j-local server when it is the one at `uri`."""
    result = subprocess.run([str(ROOT / "scripts" / "neo4j-local"), "start"], capture_output=True, text=True,
                            timeout=120)  # a running server is only reported
    printed = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    if printed.get("NEO4J_URI") == uri and "NEO4J_HTTP_URL" in printed:
        os.environ["NEO4J_HTTP_URL"] = printed["NEO4J_HTTP_URL"]


def _start_local_neo4j() -> str | None:
    """scripts/neo4j-local's server (a running one is reused); its Bolt URI, or None without Java and Maven.

    Ports not chosen through GRAPHGOV_NEO4J_* are free ones, so the tests never meet a server someone runs on
    the defaults (7687/7474/7480). The HTTP URL it prints becomes NEO4J_HTTP_URL for Browser's tests.
    """
    if not (shutil.which("java") and (shutil.which("mvn") or (ROOT / ".cache/neo4j/lib/.complete").exists())):
        return None
    env = dict(os.environ)
    for name in ("GRAPHGOV_NEO4J_BOLT_PORT", "GRAPHGOV_NEO4J_HTTP_PORT", "GRAPHGOV_BROWSER_ASSETS_PORT"):
        env.setdefault(name, "0")
    result = subprocess.run([str(ROOT / "scripts" / "neo4j-local"), "start"], capture_output=True, text=True,
                            timeout=900, env=env)
    if result.returncode != 0:
        pytest.fail(f"scripts/neo4j-local start failed:\n{result.stderr[-3000:]}")
    printed = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    if "NEO4J_URI" not in printed:
        pytest.fail(f"scripts/neo4j-local printed no NEO4J_URI:\n{result.stdout}")
    if "NEO4J_HTTP_URL" in printed:
        os.environ.setdefault("NEO4J_HTTP_URL", printed["NEO4J_HTTP_URL"])
    return printed["NEO4J_URI"]


@pytest.fixture(scope="session")
def neo4j_uri() -> Iterator[str]:
    uri = os.environ.get("NEO4J_URI")
    if uri:
        if "NEO4J_HTTP_URL" not in os.environ and _local_neo4j_running():
            _http_url_from_local_neo4j(uri)  # scripts/neo4j-local's server: its HTTP port, for Browser's tests
        yield uri
        return
    already_running = _local_neo4j_running()
    uri = _start_local_neo4j()
    if uri:
        try:
            yield uri
        finally:
            if not already_running:  # stop only a server this session started
                subprocess.run([str(ROOT / "scripts" / "neo4j-local"), "stop"], check=False, timeout=120)
        return
    try:
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5") as container:
            os.environ.setdefault("NEO4J_USERNAME", container.username)
            os.environ.setdefault("NEO4J_PASSWORD", container.password)
            yield container.get_connection_url()
            return
    except Exception as exc:  # noqa: BLE001 - any failure here means: no database, fail loudly
        pytest.fail(
            "No Neo4j for the database tests: NEO4J_URI is unset, scripts/neo4j-local could not run "
            f"(needs java and mvn) and testcontainers failed ({exc}). Start one with "
            "`scripts/neo4j-local start` or `docker compose up -d` and export NEO4J_URI."
        )


@pytest.fixture
def neo4j_store(neo4j_uri: str):
    """A Neo4jStore on an emptied database (function scope keeps tests independent)."""
    from graphgov.stores import open_store

    store = open_store(neo4j_uri)
    wipe_neo4j(store)
    yield store
    store.close()


@pytest.fixture(params=["embedded", "neo4j"])
def store(request):
    """Each store in turn: the tests that take `store` hold both to the same answers."""
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def embedded_store(tmp_path: Path):
    from graphgov.stores.embedded import EmbeddedStore

    return EmbeddedStore(tmp_path / "graph.json.gz")
