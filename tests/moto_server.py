"""A real moto server (`python -m moto.server`) for tests that talk to AWS through boto3, as a pytest plugin.

Use it with `pytest_plugins = ("moto_server",)` in a test module. Server mode (a subprocess speaking
HTTP) rather than moto's in-process mocks, so the code under test builds its clients the ordinary way,
from the standard configuration and AWS_ENDPOINT_URL, exactly as it does against AWS.

`moto_endpoint` starts one server per test session; `moto` resets its state before each test and
points the environment at it with fake credentials (no real account can ever be reached). A server
that cannot be started fails the test loudly: it is never skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

# AWS managed policies loaded, so tests can attach them and see the puller keep only those in use.
SERVER_ENV = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
START_SECONDS = 60
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_moto_server(env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start a server on a free loopback port and wait until it answers; pytest.fail when it does not.

    Its log goes to a temporary file (a pipe nobody reads would fill and stall the server); the file
    is shown when the server fails to start, and `process.log_path` names it.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="moto-server-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **SERVER_ENV, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    process.log_path = log.name  # type: ignore[attr-defined]
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = Path(log.name).read_text(errors="replace")
            pytest.fail(f"moto server exited with {process.returncode} (is moto[server] installed? "
                        f"pip install -e '.[test]'):\n{output[-3000:]}")
        if _answers(url):
            return process, url
        time.sleep(0.1)
    stop_moto_server(process)
    pytest.fail(f"moto server did not answer at {url} within {START_SECONDS}s")


def stop_moto_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    log_path = getattr(process, "log_path", None)
    if log_path:
        Path(log_path).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto server shared by the session's tests."""
    process, url = start_moto_server()
    try:
        yield url
    finally:
        stop_moto_server(process)


@pytest.fixture
def moto(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:
    """A moto server emptied for this test, with the environment pointing boto3 at it; returns its URL."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask a metadata service for credentials
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return moto_endpoint


@pytest.fixture
def aws_calls() -> Iterator[set[tuple[str, str]]]:
    """Every AWS API operation the code under test calls, as (service, operation), e.g. ("s3", "ListObjectsV2").

    It records at botocore's one entry point for API calls and changes nothing about them, so a test
    can check that a puller calls only what its declared AWS_CALLS (and `graphgov setup policy`) allow.
    """
    from botocore.client import BaseClient

    calls: set[tuple[str, str]] = set()
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation_name: str, api_params: dict) -> object:
        calls.add((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = recording  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """botocore's backoff before each of its retries, as the attempt it follows, asked for and not waited:
    a test of the retries, not of their waits (botocore draws them at random, up to 20 s)."""
    from botocore.retries.standard import ExponentialBackoff

    asked: list[int] = []

    def delay(_self: ExponentialBackoff, context: object) -> float:
        asked.append(context.attempt_number)  # type: ignore[attr-defined]
        return 0.0

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", delay)
    return asked
