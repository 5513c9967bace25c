"""scripts/system-deps: what scripts/test and .ci/run need from the system, installed as root, else asked for.

Before, scripts/test ran until a Chromium test failed (CI installed Chromium, the test command did not say
how). The script is run here on a PATH of stand-ins: a bin directory where each program the check looks
for exists or not, `id` says root or not, and `apt-get` records what it was asked to do.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "system-deps"
TOOLS = ("bash", "basename", "dirname", "sed", "head", "cat")  # what the script itself runs


def _bin(tmp_path: Path, uid: int, programs: dict[str, str]) -> Path:
    """A bin directory with the basic tools, `id -u` printing uid, and the given programs (name -> script)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    if "python3" not in programs:
        (bin_dir / "python3").symlink_to(sys.executable)  # a Python that can make a venv
    stubs = {"id": f"echo {uid}", **programs}
    for name, body in stubs.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir


def _run(tmp_path: Path, bin_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": str(bin_dir), "HOME": str(tmp_path), "GRAPHGOV_CHROMIUM": str(tmp_path / "no-chromium"),
            "GRAPHGOV_NEO4J_HOME": str(tmp_path / "neo4j"), "GRAPHGOV_SYSTEM_DEPS_CALLER": "scripts/test"}
    return subprocess.run([str(SCRIPT)], capture_output=True, text=True, env={**base, **env}, timeout=60)


JAVA_17 = 'echo \'openjdk version "17.0.15" 2025-04-15\' >&2'
JAVA_11 = 'echo \'openjdk version "11.0.2" 2019-01-15\' >&2'
ALL = {"java": JAVA_17, "mvn": "true", "node": "true", "npm": "true"}


def test_nothing_missing_passes_silently(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/bash\n")
    chromium.chmod(0o755)
    result = _run(tmp_path, _bin(tmp_path, 1000, ALL), GRAPHGOV_CHROMIUM=str(chromium))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_user_is_told_the_exact_install_command_and_nothing_runs(tmp_path: Path) -> None:
    bin_dir = _bin(tmp_path, 1000, {"java": JAVA_11, "apt-get": f"echo \"$@\" >> {tmp_path}/apt.log"})
    result = _run(tmp_path, bin_dir)
    assert result.returncode == 1
    assert result.stderr == (
        "scripts/test: missing what the tests need; nothing was run:\n"
        f"  - no Chromium at {tmp_path}/no-chromium for the HTML tests (or set GRAPHGOV_CHROMIUM)\n"
        "  - no Java 17+ for scripts/neo4j-local's Neo4j (or set NEO4J_URI)\n"
        "  - no mvn to fetch Neo4j's jars for scripts/neo4j-local (or set NEO4J_URI)\n"
        "  - no node for the policy oracle (tests/oracle)\n"
        "  - no npm to install the policy oracle (tests/oracle)\n"
        "Install it with:\n"
        "  sudo apt-get install -y chromium openjdk-17-jre-headless maven nodejs npm\n")
    assert not (tmp_path / "apt.log").exists()  # a user's system is never changed


def test_with_a_server_named_java_and_maven_are_not_needed(tmp_path: Path) -> None:
    bin_dir = _bin(tmp_path, 1000, {"node": "true", "npm": "true", "apt-get": "true"})
    result = _run(tmp_path, bin_dir, NEO4J_URI="bolt://db.example:7687")
    assert result.returncode == 1
    assert result.stderr.splitlines()[1:] == [
        f"  - no Chromium at {tmp_path}/no-chromium for the HTML tests (or set GRAPHGOV_CHROMIUM)",
        "Install it with:", "  sudo apt-get install -y chromium"]


def test_root_with_apt_get_installs_what_is_missing(tmp_path: Path) -> None:
    log = tmp_path / "apt.log"
    present = {name: body for name, body in ALL.items() if name != "node"}
    bin_dir = _bin(tmp_path, 0, {**present, "apt-get": f"echo \"${{DEBIAN_FRONTEND:-}} $@\" >> {log}"})
    result = _run(tmp_path, bin_dir)
    assert (result.returncode, result.stderr) == (0, "scripts/test: installing chromium nodejs with apt-get\n")
    assert log.read_text().splitlines() == [" update -qq", "noninteractive install -y -qq chromium nodejs"]



def test_a_python_that_cannot_make_a_venv_asks_for_python3_venv(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/bash\n")
    chromium.chmod(0o755)
    bin_dir = _bin(tmp_path, 1000, {**ALL, "apt-get": "true", "python3": "exit 1"})  # no ensurepip
    result = _run(tmp_path, bin_dir, GRAPHGOV_CHROMIUM=str(chromium))
    assert result.returncode == 1
    assert result.stderr.splitlines()[1:] == [
        "  - python3 cannot create a virtual environment (python3 -m venv)",
        "Install it with:", "  sudo apt-get install -y python3-venv"]
