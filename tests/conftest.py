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


def _start_local_neo4j() -> str | None:
    if not (shutil.which("java") and (shutil.which("mvn") or (ROOT / ".cache/neo4j/lib/.complete").exists())):
        return None
    result = subprocess.run([str(ROOT / "scripts" / "neo4j-local"), "start"], capture_output=True, text=True,
                            timeout=900)
    if result.returncode != 0:
        pytest.fail(f"scripts/neo4j-local start failed:\n{result.stderr[-3000:]}")
    for line in result.stdout.splitlines():
        if line.startswith("NEO4J_URI="):
            return line.split("=", 1)[1]
    pytest.fail(f"scripts/neo4j-local printed no NEO4J_URI:\n{result.stdout}")


@pytest.fixture(scope="session")
def neo4j_uri() -> Iterator[str]:
    uri = os.environ.get("NEO4J_URI")
    if uri:
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
