"""scripts/neo4j-local never takes another process's server for its own (issue 12, test isolation).

Before, `start` printed the default URI when its own server was already running on other ports, and
reported success when another process held the port (its own server died with "Address already in
use"): the tests then wiped a server they did not start. These tests run the script against a
temporary home, with no Java started.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "neo4j-local"


def _run(home: Path, *args: str, **ports: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHGOV_")}
    env["GRAPHGOV_NEO4J_HOME"] = str(home)
    env.update(ports)
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another process (this test) listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.fixture
def live_pid() -> Iterator[int]:
    """A live process standing for a server the script started earlier."""
    process = subprocess.Popen(["sleep", "60"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def test_start_refuses_a_bolt_port_another_process_holds(tmp_path: Path, held_port: int) -> None:
    result = _run(tmp_path, "start", GRAPHGOV_NEO4J_BOLT_PORT=str(held_port),
                  GRAPHGOV_NEO4J_HTTP_PORT=str(_free_port()))
    assert result.returncode == 1
    assert "NEO4J_URI=" not in result.stdout
    assert f"port {held_port} on 127.0.0.1 is already in use by another process; not starting" in result.stderr
    assert not (tmp_path / "run" / "neo4j.pid").exists()  # nothing was started


def test_start_refuses_an_http_port_another_process_holds(tmp_path: Path, held_port: int) -> None:
    result = _run(tmp_path, "start", GRAPHGOV_NEO4J_BOLT_PORT="0", GRAPHGOV_NEO4J_HTTP_PORT=str(held_port))
    assert result.returncode == 1
    assert f"port {held_port} on 127.0.0.1 is already in use" in result.stderr


def test_a_running_server_is_reported_on_the_ports_it_was_started_on(tmp_path: Path, live_pid: int) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "neo4j.pid").write_text(f"{live_pid}\n")
    (run / "browser-assets.pid").write_text(f"{live_pid}\n")  # its style server runs too: nothing to start
    (run / "neo4j.ports").write_text("17999 17998 17997\n")
    # whatever the variables say now (the default 7687 here), the server that runs is on 17999
    assert _run(tmp_path, "start").stdout == (
        "NEO4J_URI=bolt://127.0.0.1:17999\n"
        "NEO4J_HTTP_URL=http://127.0.0.1:17998\n"
        "NEO4J_BROWSER_URL=http://127.0.0.1:17998/browser/?dbms=bolt://127.0.0.1:17999&preselectAuthMethod=NO_AUTH\n")
    assert _run(tmp_path, "status", GRAPHGOV_NEO4J_BOLT_PORT="7700").stdout == "running (bolt://127.0.0.1:17999)\n"


def test_status_of_a_home_without_a_server(tmp_path: Path) -> None:
    result = _run(tmp_path, "status")
    assert (result.returncode, result.stdout) == (1, "stopped\n")
