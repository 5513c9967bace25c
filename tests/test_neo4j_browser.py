"""Neo4j Browser, served by the real Neo4j server, in a real headless Chromium: graphgov's style and favourites.

The server (scripts/neo4j-local, or docker-compose.yml) tells Browser to run `:style <assets url>/graphgov.grass`
after connecting (browser.post_connect_cmd), and the assets server (`python3 -m graphgov.report.browser_assets`,
started by scripts/neo4j-local) answers it. These tests connect without auth (the local server has none),
load a small lineage graph and check what a user sees: the style applied to a drawn graph, and the
favourites zip imported and run. Screenshots are kept under test-artifacts/.

Browser 5.24 has no import button in its Favorites drawer: files are imported by dropping them on the
window (its FileDrop handler), so the test drops the zip there, as a user would.
"""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.request
from urllib.parse import urlparse

import pytest
from browser import open_offline, screenshot
from helpers import FIXTURES

from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import catalog
from graphgov.report.browser_assets import favourites_files, favourites_zip_bytes, grass_rules, label_colours

LOCAL_HOSTS = ("127.0.0.1", "localhost")
CHAIN = FIXTURES / "lineage/cross-account-chain.json"
SM = "arn:aws:sagemaker:eu-west-1:333333333333:"
ENDPOINT = SM + "endpoint/fraud-endpoint"
WRITER = "arn:aws:iam::111111111111:role/DataEngineer"


def _http_url(bolt_uri: str) -> str:
    return os.environ.get("NEO4J_HTTP_URL") or f"http://{urlparse(bolt_uri).hostname}:7474"


def _client_config(store) -> dict[str, str]:
    with store.driver.session() as session:
        return {r["name"]: r["value"] for r in session.run("CALL dbms.clientConfig()")}


@pytest.fixture
def browser_setup(neo4j_store, neo4j_uri, tmp_path):
    """The lineage graph loaded, the server's Browser settings read, the assets server checked; (store, url)."""
    summary = load_paths([CHAIN], neo4j_store, tmp_path / "q.jsonl")
    assert (summary.loaded, summary.quarantined) == (11, 0)
    config = _client_config(neo4j_store)
    command = config.get("browser.post_connect_cmd", "")
    match = re.fullmatch(r"style (http://[^/\s]+/graphgov\.grass)", command)
    if not match:
        pytest.fail(f"the Neo4j server at {neo4j_uri} does not apply graphgov's style on connect: "
                    f"browser.post_connect_cmd is {command!r}; configure it as scripts/neo4j-local or "
                    "docker-compose.yml do")
    assets_url = match.group(1)
    try:
        with urllib.request.urlopen(assets_url, timeout=5) as response:
            assert response.headers["Access-Control-Allow-Origin"] == "*"
    except OSError as exc:
        pytest.fail(f"graphgov's Browser assets server does not answer at {assets_url} ({exc}); start it with "
                    "`graphgov browser serve --port <port>` (scripts/neo4j-local start does)")
    assert urlparse(assets_url).hostname in config["browser.remote_content_hostname_whitelist"].split(",")
    assert config["client.allow_telemetry"] == "false"  # Browser sends no usage data about this graph
    url = f"{_http_url(neo4j_uri)}/browser/?dbms={neo4j_uri}&preselectAuthMethod=NO_AUTH"
    return neo4j_store, url


def _connect(chromium, url: str):
    """Browser opened with the connect URL; connects without auth and runs the post-connect `:style`."""
    page, log = open_offline(chromium, url, allow_hosts=LOCAL_HOSTS)
    page.wait_for_function("() => (localStorage.getItem('neo4j.grass') || '').includes('node.AWSRole')",
                           timeout=60_000)
    return page, log


def _run(page, statement: str) -> None:
    page.click("[data-testid=activeEditor]")
    page.keyboard.insert_text(statement)
    page.click("[data-testid=editor-Run]")


def _table_rows(frame) -> list[list]:
    rows = []
    for row in frame.locator("tr.relatable__table-body-row").all():
        rows.append([json.loads(cell.inner_text()) for cell in row.locator("td[role=cell]").all()])
    return rows


def test_style_applies_on_connect_and_colours_the_graph(chromium, browser_setup):
    store, url = browser_setup
    page, _log = _connect(chromium, url)
    assert json.loads(page.evaluate("() => localStorage.getItem('neo4j.grass')")) == grass_rules()
    style_frame = page.locator("[data-testid=frame]", has=page.locator(
        "[data-testid=frameCommand]", has_text=":style http://"))
    assert style_frame.locator("[data-testid=exportGraSSButton]").count() == 1  # a style frame, not an error

    with store.driver.session() as session:
        ids = session.run(
            "MATCH (e:Endpoint {arn: $endpoint})-[:USES_CONFIG]->(c:EndpointConfig), (r:AWSRole {arn: $writer}) "
            "RETURN id(e) AS e, collect(id(c)) AS c, id(r) AS r", endpoint=ENDPOINT, writer=WRITER).single()
    _run(page, "MATCH (e:Endpoint)-[u:USES_CONFIG]->(c:EndpointConfig) MATCH (r:AWSRole {arn: '" + WRITER
         + "'}) RETURN e, u, c, r")
    page.wait_for_selector(f"svg g.node[aria-label='graph-node{ids['r']}'] circle.b-outline", timeout=30_000)
    page.wait_for_timeout(1500)  # let the force layout settle for the screenshot

    def drawn(node_id: int) -> tuple[str, str, str]:
        node = page.locator(f"svg g.node[aria-label='graph-node{node_id}']")
        circle = node.locator("circle.b-outline")
        return circle.get_attribute("fill"), circle.get_attribute("stroke"), node.locator("text.caption").text_content()

    expected = {"Endpoint": label_colours("Endpoint"), "EndpointConfig": label_colours("EndpointConfig"),
                "AWSRole": label_colours("AWSRole")}
    fill, stroke, caption = drawn(ids["e"])
    assert (fill, stroke) == (expected["Endpoint"]["color"], expected["Endpoint"]["border-color"])
    assert "fraud-endpoint".startswith(caption.strip().rstrip("…")) and len(caption.strip()) >= 5  # {name}
    for config_id in ids["c"]:
        assert drawn(config_id)[:2] == (expected["EndpointConfig"]["color"], expected["EndpointConfig"]["border-color"])
    fill, stroke, caption = drawn(ids["r"])
    # AWSPrincipal:AWSRole takes the subtype's style (its rule comes later), captioned by name, not ARN.
    assert (fill, stroke) == (expected["AWSRole"]["color"], expected["AWSRole"]["border-color"])
    assert fill != label_colours("AWSPrincipal")["color"]
    assert "DataEngineer".startswith(caption.strip().rstrip("…")) and len(caption.strip()) >= 5
    captions = [t.text_content() for t in page.locator("svg g.relationship text").all()]
    assert captions and set(captions) == {"USES_CONFIG"}
    screenshot(page, "neo4j-browser-graphgov-style")


def test_favourites_zip_imports_and_saved_questions_run(chromium, browser_setup):
    _store, url = browser_setup
    page, _log = _connect(chromium, url)
    data = base64.b64encode(favourites_zip_bytes()).decode()
    transfer = page.evaluate_handle(
        """(b64) => { const bin = atob(b64); const bytes = new Uint8Array(bin.length);
             for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
             const dt = new DataTransfer();
             dt.items.add(new File([bytes], 'graphgov-favourites.zip', {type: 'application/zip'}));
             return dt; }""", data)
    page.dispatch_event(".filedrop", "drop", {"dataTransfer": transfer})
    page.wait_for_function("() => (localStorage.getItem('neo4j.documents') || '').includes('// id: ai-inventory')",
                           timeout=30_000)

    documents = [d for d in json.loads(page.evaluate("() => localStorage.getItem('neo4j.documents')"))
                 if not d.get("isStatic")]
    folders = {f["id"]: f["name"] for f in json.loads(page.evaluate("() => localStorage.getItem('neo4j.folders')"))}
    assert sorted(d["content"] for d in documents) == sorted(favourites_files().values())
    assert {folders[d["folder"]] for d in documents} == {"graphgov", "graphgov-parameters"}
    assert len({d["folder"] for d in documents}) == 2

    page.click("[data-testid=navigationFavorites]")
    folder = page.locator("[data-testid='savedScriptsFolder-graphgov']")
    assert folder.count() == 1
    folder.locator("[data-testid='expandFolder-graphgov']").click()
    titles = folder.locator("[data-testid^='scriptTitle-']").all_inner_texts()
    assert sorted(titles) == sorted(q.title for q in catalog().values())
    parameters = page.locator("[data-testid='savedScriptsFolder-graphgov-parameters']")
    parameters.locator("[data-testid='expandFolder-graphgov-parameters']").click()
    assert sorted(parameters.locator("[data-testid^='scriptTitle-']").all_inner_texts()) == sorted(
        f"Parameters: {q.title}" for q in catalog().values() if q.params)

    # A question without parameters, run from the drawer.
    _run_favourite(page, folder, catalog()["ai-inventory"].title)
    frame = _frame(page, "id: ai-inventory")
    frame.locator("tr.relatable__table-body-row").first.wait_for(timeout=30_000)
    assert _table_rows(frame) == [
        # the last column, foundation_model, names the model behind an inference profile (issue 11)
        [ENDPOINT, "sagemaker-endpoint", "333333333333", "eu-west-1", "2024-05-03T11:10:00Z", "2024-06-01T08:10:00Z",
         None],
        [SM + "model/fraudmodel", "sagemaker-model", "333333333333", "eu-west-1", "2024-05-03T11:00:00Z",
         "2024-06-01T08:05:00Z", None],
        [SM + "model/fraudmodel-v2", "sagemaker-model", "333333333333", "eu-west-1", "2024-06-01T08:00:00Z",
         "2024-06-01T08:05:00Z", None],
    ]
    screenshot(page, "neo4j-browser-graphgov-favourites")

    # A question with a required parameter: its parameters favourite sets the placeholder until edited ...
    lineage_title = catalog()["endpoint-lineage"].title
    _run_favourite(page, parameters, f"Parameters: {lineage_title}")
    # (one :param is one command, which Browser shows without the favourite's comment lines)
    placeholder = _frame(page, ":param endpoint => 'EDIT ME: endpoint'")
    placeholder.get_by_text("Successfully set your parameters.").wait_for(timeout=30_000)
    assert '"endpoint": "EDIT ME: endpoint"' in placeholder.inner_text()
    # ... which the user replaces with the endpoint's ARN (the favourite edited, or a :param of their own) ...
    page.click("[data-testid=activeEditor]")
    page.keyboard.insert_text(f":param endpoint => '{ENDPOINT}'")
    page.click("[data-testid=editor-Run]")
    _frame(page, f":param endpoint => '{ENDPOINT}'").wait_for(timeout=30_000)
    # ... then the question's own favourite, one statement, shows its rows.
    _run_favourite(page, folder, lineage_title)
    result = _frame(page, "id: endpoint-lineage (graphgov query")
    result.locator("tr.relatable__table-body-row").first.wait_for(timeout=30_000)
    rows = sorted([[*row[:5], sorted(row[5])] for row in _table_rows(result)], key=json.dumps)
    job = "arn:aws:sagemaker:eu-west-1:222222222222:training-job/fraud-xgb-2024"
    assert rows == sorted([
        [ENDPOINT, SM + "model/fraudmodel", job, "train", "s3://acme-data-a/fraud/train",
         [WRITER, "arn:aws:iam::111111111111:role/LegacyLoader"]],
        [ENDPOINT, SM + "model/fraudmodel", job, "validation", "s3://acme-data-a/fraud/validation/", [WRITER]],
        [ENDPOINT, SM + "model/fraudmodel-v2", None, None, None, []],
    ], key=json.dumps)
    screenshot(page, "neo4j-browser-graphgov-favourite-with-param")

    # Two parameters make a multi-statement favourite; each :param succeeds.
    _run_favourite(page, parameters, f"Parameters: {catalog()['object-readers'].title}")
    assert _statement_results(page, ":param prefix") == [(":param bucket => 'EDIT ME: bucket'", "Status: success"),
                                                         (":param prefix => ''", "Status: success")]


def _frame(page, marker: str):
    """The newest result frame whose command contains `marker`."""
    return page.locator("[data-testid=frame]", has=page.locator("[data-testid=frameCommand]", has_text=marker)).first


def _run_favourite(page, folder, title: str) -> None:
    """Run a favourite from its folder in the drawer, as a user does: hover it, press its Run button."""
    item = folder.locator("[data-testid=savedScriptListItem]", has=page.locator(f"[data-testid='scriptTitle-{title}']"))
    item.hover()
    item.locator("[data-testid=savedScriptsButton-Run]").click()


def _statement_results(page, marker: str) -> list[tuple[str, str]]:
    """(first 35 characters of each statement, its status) once every statement has finished."""
    frame = _frame(page, marker)
    icons = frame.locator("[data-testid=multi-statement-list-icon]")
    icons.first.wait_for(timeout=30_000)
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-testid=multi-statement-list-icon][title=\"Status: pending\"], "
        "[data-testid=multi-statement-list-icon][title=\"Status: waiting\"]').length === 0", arg=None,
        timeout=30_000)
    titles = frame.locator("[data-testid=multi-statement-list-title] label").all_inner_texts()
    return [(title[:35] if title.startswith("MATCH") else title, icon.get_attribute("title"))
            for title, icon in zip(titles, icons.all(), strict=True)]
