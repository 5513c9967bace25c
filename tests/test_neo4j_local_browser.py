"""The Browser URL scripts/neo4j-local prints reaches its own server on non-default ports, without auth (issue 14).

Before, a server on other ports still told Browser to connect to bolt://127.0.0.1:7687 (no advertised
address was set), and Browser's connect form preselected "Username / Password" though the server has auth
disabled. Now the server advertises the ports it listens on, and `start` prints NEO4J_BROWSER_URL with
`dbms` and `preselectAuthMethod=NO_AUTH` (the URL parameters Browser 5.24 reads). This test opens that URL
in headless Chromium, as a user would, and checks the form and that Browser connects and runs Cypher.

It uses the session's server when scripts/neo4j-local runs it on non-default ports (tests/conftest.py
starts it on free ports); otherwise it starts one of its own on free ports in a temporary home.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from browser import screenshot

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "neo4j-local"
DEFAULT_PORTS = {7687, 7474}


def _printed(env: dict[str, str]) -> dict[str, str]:
    result = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, env=env, timeout=900)
    if result.returncode != 0:
        pytest.fail(f"scripts/neo4j-local start failed:\n{result.stderr[-3000:]}")
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def _session_server(neo4j_uri: str) -> dict[str, str] | None:
    """What `start` prints for the session's server, when scripts/neo4j-local runs it off the default ports."""
    env = {k: v for k, v in os.environ.items() if k != "GRAPHGOV_NEO4J_HOME"}
    status = subprocess.run([str(SCRIPT), "status"], capture_output=True, text=True, env=env, timeout=60)
    if status.stdout.strip() != f"running ({neo4j_uri})":
        return None
    printed = _printed(env)  # a running server is only reported, not started again
    ports = {urlparse(printed["NEO4J_URI"]).port, urlparse(printed["NEO4J_HTTP_URL"]).port}
    return printed if not ports & DEFAULT_PORTS else None


@pytest.fixture(scope="module")
def local_server(neo4j_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The lines `scripts/neo4j-local start` printed for a server on non-default ports."""
    printed = _session_server(neo4j_uri)
    if printed:
        yield printed
        return
    home = tmp_path_factory.mktemp("neo4j-home")
    jars = ROOT / ".cache" / "neo4j" / "lib"
    if (jars / ".complete").exists():
        (home / "lib").symlink_to(jars)  # the jars are fetched once per checkout
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHGOV_")}
    env.update(GRAPHGOV_NEO4J_HOME=str(home), GRAPHGOV_NEO4J_BOLT_PORT="0", GRAPHGOV_NEO4J_HTTP_PORT="0",
               GRAPHGOV_BROWSER_ASSETS_PORT="0")
    try:
        yield _printed(env)
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, check=False, timeout=120)


def test_the_server_advertises_the_ports_it_listens_on(local_server):
    bolt, http = local_server["NEO4J_URI"], local_server["NEO4J_HTTP_URL"]
    with urllib.request.urlopen(f"{http}/", timeout=10) as response:  # Browser's discovery endpoint
        discovery = json.load(response)
    port = urlparse(bolt).port
    assert (discovery["bolt_direct"], discovery["bolt_routing"]) == (bolt, f"neo4j://127.0.0.1:{port}")
    assert local_server["NEO4J_BROWSER_URL"] == f"{http}/browser/?dbms={bolt}&preselectAuthMethod=NO_AUTH"


# Browser connects on its own once the form has "No authentication", which can be before a test could look
# at the form: a script in the page records the form as it is first drawn.
RECORD_FIRST_FORM = """
new MutationObserver((_, observer) => {
  const method = document.querySelector('[data-testid=authenticationMethod]');
  const address = document.querySelector('[data-testid=boltaddress]');
  const scheme = document.querySelector('[data-testid=bolt-scheme-select]');
  if (!method || !address || !scheme || !address.value) return;
  window.firstConnectForm = {scheme: scheme.value, address: address.value, method: method.value,
                             shown: method.options[method.selectedIndex].text};
  observer.disconnect();
}).observe(document, {childList: true, subtree: true, attributes: true});
"""


def test_the_printed_browser_url_connects_without_auth(chromium, local_server):
    url, bolt = local_server["NEO4J_BROWSER_URL"], local_server["NEO4J_URI"]
    assert parse_qs(urlparse(url).query) == {"dbms": [bolt], "preselectAuthMethod": ["NO_AUTH"]}
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        context.add_init_script(RECORD_FIRST_FORM)
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("() => window.firstConnectForm", timeout=60_000)
        screenshot(page, "neo4j-local-browser-connect-form")
        assert page.evaluate("() => window.firstConnectForm") == {
            "scheme": "bolt://", "address": bolt.removeprefix("bolt://"), "method": "NO_AUTH",
            "shown": "No authentication"}
        # connected: Browser closes the form by itself, and runs Cypher on this server
        page.locator("[data-testid=boltaddress]").wait_for(state="detached", timeout=90_000)
        page.click("[data-testid=activeEditor]")
        page.keyboard.insert_text("SHOW SETTINGS YIELD name, value WHERE name = 'server.bolt.listen_address' "
                                  "RETURN value")
        page.click("[data-testid=editor-Run]")
        cell = page.locator("td[role=cell]", has_text="127.0.0.1:")
        cell.wait_for(timeout=60_000)
        assert json.loads(cell.first.inner_text()) == bolt.removeprefix("bolt://")
        screenshot(page, "neo4j-local-browser-connected")
    finally:
        context.close()
