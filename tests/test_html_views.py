"""The HTML outputs in a real headless Chromium: `graphgov lineage --html` and `graphgov report --format html`.

Each page is opened from a file with the network cut off (tests/browser.py refuses and records every
request that is not file://), so "works offline" is what is asserted, not assumed. Screenshots are kept
under test-artifacts/ for people to look at; the README's three pictures (docs/img/) are taken here too,
at 1280x800, and rewritten with GRAPHGOV_UPDATE_SCREENSHOTS=1.

One zoom rule for every lineage picture: fit the view, never above MAX_ZOOM, never below the zoom where
captions drop under MIN_LABEL_PX on screen; a graph too big for that starts at its root and pans.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest
from browser import README_VIEWPORT, open_offline, readme_screenshot, screenshot
from click.testing import CliRunner
from helpers import FIXTURES

from graphgov.cli.app import main
from graphgov.demo import run_demo
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.controls import build_report
from graphgov.questions.lineage import Lineage, as_json, build_lineage
from graphgov.report.html import endpoints_mentioned, render_html
from graphgov.report.html_page import breakable, script_json
from graphgov.report.lineage_html import lineage_page
from graphgov.stores.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "graphgov" / "assets"
CHAIN = FIXTURES / "lineage/cross-account-chain.json"
SM_C = "arn:aws:sagemaker:eu-west-1:333333333333:"
CHAIN_ENDPOINT = SM_C + "endpoint/fraud-endpoint"
MIN_LABEL_PX, MAX_ZOOM = 11, 1.25  # lineage-view.js
MIN_ZOOM = MIN_LABEL_PX / 12  # its captions are 12 graph units


def _chain_store(tmp_path: Path) -> Path:
    path = tmp_path / "graph.json.gz"
    store = EmbeddedStore(path)
    load_paths([CHAIN], store, tmp_path / "q.jsonl")
    store.close()
    return path


def _geometry(page) -> list[dict]:
    """Where each view starts: its zoom, the smallest caption on screen, whether the whole graph (captions
    included) lies inside its canvas and the canvas inside the window, whether the root is in sight, and
    the x of each kind's nodes (the layers)."""
    return page.evaluate("""() => (window.graphgovViews || []).map(v => {
        const box = v.cy.elements().renderedBoundingBox({includeLabels: true});
        const canvas = v.cy.container().getBoundingClientRect();
        const root = v.cy.getElementById(v.root).renderedPosition();
        const xs = {};
        v.cy.nodes().forEach(n => { (xs[n.data('label')] = xs[n.data('label')] || []).push(
            Math.round(n.position('x'))); });
        return {zoom: v.cy.zoom(),
                smallest: Math.min(...v.cy.nodes().map(n => parseFloat(n.renderedStyle('font-size')))),
                inside: box.x1 >= 0 && box.y1 >= 0 && box.x2 <= v.cy.width() && box.y2 <= v.cy.height(),
                canvasInWindow: canvas.left >= 0 && canvas.top >= 0 && canvas.right <= window.innerWidth
                                && canvas.bottom <= window.innerHeight,
                rootInSight: root.x > 0 && root.y > 0 && root.x < v.cy.width() && root.y < v.cy.height(),
                pans: v.pans, note: (v.cy.container().parentElement.querySelector('.pan-note') || {}).innerText,
                xs: xs, edgeLegend: Array.from(v.cy.container().closest('.view').querySelectorAll(
                    '.legend-edge')).map(e => e.dataset.edge)};
    })""")


def _views(page) -> list[dict]:
    """What each drawn Cytoscape view holds: its root, node ids and names, edge count, legend counts."""
    return page.evaluate("""() => (window.graphgovViews || []).map(v => ({
        root: v.root, nodes: v.cy.nodes().map(n => n.id()).sort(), edges: v.cy.edges().length,
        names: v.cy.nodes().map(n => n.data('name')).sort(), counts: v.counts}))""")


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory) -> dict[str, Path]:
    """The demo's graph and its report in HTML and JSON, made by the command line as a user would."""
    work = tmp_path_factory.mktemp("demo")
    graph = work / "graph.json.gz"
    run_demo(str(graph), lambda _line: None)
    runner = CliRunner()
    made = {"graph": graph}
    for fmt in ("html", "json"):
        out = work / f"report.{fmt}"
        result = runner.invoke(main, ["report", "--framework", "all", "--format", fmt, "--out", str(out),
                                      "--store", str(graph)])
        assert result.exit_code == 1, result.output  # the demo plants high and critical findings
        made[fmt] = out
    return made


def test_vendored_cytoscape_is_the_recorded_release():
    recorded = re.search(r"sha256 of `cytoscape.min.js`: `([0-9a-f]{64})`", (ASSETS / "VENDORED.md").read_text())
    assert recorded is not None
    assert hashlib.sha256((ASSETS / "cytoscape.min.js").read_bytes()).hexdigest() == recorded.group(1)
    assert 'cf.version="3.35.0"' in (ASSETS / "cytoscape.min.js").read_text()


def test_script_json_cannot_end_its_script_element():
    text = script_json("x", {"key": "</script><script>alert(1)</script><!--"})
    assert text.count("</script>") == 1 and "<!--" not in text
    assert json.loads(text[text.index(">") + 1:-len("</script>")]) == {"key": "</script><script>alert(1)</script><!--"}


def test_lineage_html_draws_the_lineage_offline(chromium, tmp_path):
    graph = _chain_store(tmp_path)
    out = tmp_path / "lineage.html"
    result = CliRunner().invoke(main, ["lineage", "fraud-endpoint", "--html", str(out), "--store", str(graph)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"endpoint {CHAIN_ENDPOINT}\n")  # the tree still goes to the terminal
    with EmbeddedStore(graph) as store:
        expected = as_json(build_lineage(store, CHAIN_ENDPOINT))

    page, log = open_offline(chromium, out.as_uri(), viewport=README_VIEWPORT)
    page.wait_for_function("window.graphgovViews && window.graphgovViews.length === 1")
    screenshot(page, "lineage-fraud-endpoint")
    readme_screenshot(page, "lineage-page")  # the README's picture of a lineage page
    assert log.refused == [] and log.errors == []
    [view] = _views(page)
    assert view["root"] == f"Endpoint:{CHAIN_ENDPOINT}"
    assert view["nodes"] == sorted(n["id"] for n in expected["nodes"])
    assert view["edges"] == len(expected["edges"]) == 10
    assert view["names"] == sorted(["arn:aws:iam::111111111111:role/DataEngineer",
                                    "arn:aws:iam::111111111111:role/LegacyLoader", "s3://acme-data-a/fraud/train",
                                    "s3://acme-data-a/fraud/validation/", "fraud-endpoint", "fraudconfig-v2",
                                    "fraudmodel", "fraudmodel-v2",
                                    "s3://acme-models-b/output/Fraud-XGB-2024/output/model.tar.gz",
                                    "fraud-xgb-2024"])
    [geometry] = _geometry(page)
    assert geometry["inside"] and geometry["canvasInWindow"]  # the whole graph, captions too, in sight
    assert MIN_ZOOM <= geometry["zoom"] < MAX_ZOOM and geometry["smallest"] >= MIN_LABEL_PX
    legend = page.locator("#legend .legend-item")
    assert legend.all_inner_texts() == ["2 principals", "2 datasets", "1 training job", "1 artifact", "2 models",
                                        "1 endpoint configuration", "1 endpoint"]
    # clicking a node shows its key and edges
    page.evaluate("window.graphgovViews[0].cy.getElementById('Model:" + SM_C + "model/fraudmodel').emit('tap')")
    assert page.inner_text("#details h3") == "model: fraudmodel"
    assert page.locator("#details li").all_inner_texts() == ["SERVES \u2190 fraudconfig-v2",
                                                             "FROM_ARTIFACT \u2192 s3://acme-models-b/output/Fraud-"
                                                             "XGB-2024/output/model.tar.gz"]
    assert page.inner_text("pre").startswith(f"endpoint {CHAIN_ENDPOINT}\n  config ")


def test_demo_report_opens_offline_with_the_json_verdicts(chromium, demo_reports):
    """The must-show: the demo's HTML report opens offline and shows each control's verdict, as JSON does."""
    report_json = json.loads(demo_reports["json"].read_text())
    expected = {c["control"]: (c["verdict"], c["severity"] or "") for c in report_json["controls"]}

    page, log = open_offline(chromium, demo_reports["html"].as_uri())
    page.wait_for_function("window.graphgovViews && window.graphgovViews.length === 3")
    screenshot(page, "report-demo-all")
    assert log.refused == [] and log.errors == []
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('tr[data-control]')).map(tr => [
        tr.dataset.control, tr.dataset.verdict, tr.dataset.severity, tr.querySelector('.verdict').innerText])""")
    assert {control: (verdict, severity) for control, verdict, severity, _ in shown} == expected
    assert all(badge == verdict for _, verdict, _, badge in shown)  # the badge people see says the same
    assert len(shown) == len(expected) == 38

    counts = {v: sum(1 for verdict, _ in expected.values() if verdict == v) for v in ("fail", "not-evidenced", "pass")}
    assert counts == {"fail": 29, "not-evidenced": 1, "pass": 8}
    assert page.inner_text("#totals") == "29 failing, 1 not evidenced, 8 passing of 38 controls."
    assert expected["eu-ai-act:Art.10(5)(d)"] == ("fail", "critical")  # the planted shadow-account exposure
    assert expected["eu-ai-act:Art.26(6)"] == ("not-evidenced", "")  # no configuration snapshot in the demo
    summary = page.evaluate("""() => Array.from(document.querySelectorAll('#summary tr[data-framework]')).map(tr =>
        [tr.dataset.framework, Number(tr.dataset.fail), Number(tr.dataset.notEvidenced), Number(tr.dataset.pass)])""")
    assert summary == [["eu-ai-act", 9, 1, 2], ["nist-ai-rmf", 7, 0, 3], ["iso-42001", 7, 0, 0], ["soc2", 5, 0, 1],
                       ["gdpr", 1, 0, 2]]

    # the questions' verdicts and row counts are the JSON's too
    questions = page.evaluate("""() => Array.from(document.querySelectorAll('details.question')).map(d =>
        [d.dataset.question, d.dataset.verdict, Number(d.dataset.rows)])""")
    assert questions == [[q["id"], q["verdict"], len(q["rows"])] for q in report_json["questions"]]

    # drill-down: a control link opens its block, which names its questions and their verdicts
    page.click('tr[data-control="eu-ai-act:Art.10(2)(b)"] a')
    drill = page.locator('details.control[data-control="eu-ai-act:Art.10(2)(b)"]')
    assert drill.get_attribute("open") == ""
    items = drill.locator("li").all_inner_texts()
    assert items[-1].startswith("fail models-without-lineage: ")
    assert items[0].startswith("not run dataset-consumers: ")  # needs a dataset: never shown as a passed check

    # a lineage picture for each endpoint the rows name
    # (the first: the generator's prepared-data staging endpoint, an issue 11 plant served through a processing job)
    endpoints = ["arn:aws:sagemaker:eu-west-1:222222222222:endpoint/credit-prepared-staging-endpoint",
                 "arn:aws:sagemaker:eu-west-1:222222222222:endpoint/credit-staging-endpoint",
                 "arn:aws:sagemaker:eu-west-1:333333333333:endpoint/fraud-endpoint"]
    views = _views(page)
    assert [v["root"] for v in views] == [f"Endpoint:{arn}" for arn in endpoints]
    with EmbeddedStore(demo_reports["graph"]) as store:
        report = build_report(store, "all")
        assert endpoints_mentioned(report) == endpoints
        for view, arn in zip(views, endpoints, strict=True):
            lineage = as_json(build_lineage(store, arn))
            assert view["nodes"] == sorted(n["id"] for n in lineage["nodes"])
            assert view["edges"] == len(lineage["edges"])
    assert [v["counts"] for v in views][2] == {"AWSPrincipal": 12, "Dataset": 3, "TrainingJob": 1,
                                               "ModelArtifact": 1, "Model": 2, "EndpointConfig": 1, "Endpoint": 1}
    assert [v["counts"] for v in views][0]["ProcessingJob"] == 1
    # each is taller than a figure at the smallest readable zoom: it starts there, at its root, and pans
    for geometry in _geometry(page):
        assert geometry["zoom"] == MIN_ZOOM and geometry["smallest"] >= MIN_LABEL_PX
        assert geometry["rootInSight"] and not geometry["inside"] and geometry["pans"]
        assert geometry["note"] == ("Too big to show whole with readable captions: it opens at its root. Drag to "
                                    "pan, scroll to zoom out.")
    link = page.locator('#questions a[href="#lineage-2"]').first  # rows link an endpoint to its picture
    assert link.evaluate("a => a.previousElementSibling.textContent") == endpoints[2]
    link.evaluate("a => a.closest('details').open = true")
    link.click()
    assert page.evaluate("location.hash") == "#lineage-2"


def test_report_html_escapes_what_the_logs_say(chromium, tmp_path):
    """Object keys and names come from logs anyone can write into: they are shown, never run."""
    hostile = "s3://bucket/<img src=x onerror=window.pwned=1>.csv"
    with EmbeddedStore(tmp_path / "g.json.gz") as store:
        report = build_report(store, "eu-ai-act")
    first = next(iter(report.questions.values()))
    rows = ({"dataset": hostile, "note": "</script><script>window.pwned=2</script>"},)
    failing = dataclasses.replace(first, verdict="fail", gated=True, ran=True, missing=(), rows=rows)
    tampered = dataclasses.replace(report, questions={**report.questions, first.question.id: failing})
    out = tmp_path / "report.html"
    out.write_text(render_html(tampered), encoding="utf-8")
    page, log = open_offline(chromium, out.as_uri())
    assert page.evaluate("window.pwned === undefined")
    assert log.refused == []
    assert hostile in page.text_content(f'details.question[data-question="{first.question.id}"]')


SM_A = "arn:aws:sagemaker:eu-west-1:111111111111:"
PIPELINE = ("AWSPrincipal", "arn:aws:iam::111111111111:role/DataPipeline")
TRAIN = ("Dataset", "s3://acme-data-1/churn/customer-events-v4/train/")
VALIDATION = ("Dataset", "s3://acme-data-1/churn/customer-events-v4/validation/")
JOB = ("TrainingJob", SM_A + "training-job/churn-xgb-20260105-002")
ARTIFACT = ("ModelArtifact", "s3://acme-models-1/output/churn-xgb-20260105-002/output/model.tar.gz")
MODEL = ("Model", SM_A + "model/churn-xgb-model-002")
CONFIG = ("EndpointConfig", SM_A + "endpoint-config/churn-config-v3")
ENDPOINT = ("Endpoint", SM_A + "endpoint/churn-endpoint")


def _three_nodes() -> Lineage:
    """An endpoint serving a model nobody is known to have trained."""
    lineage = Lineage(ENDPOINT)
    lineage.add("USES_CONFIG", ENDPOINT, CONFIG)
    lineage.add("SERVES", CONFIG, MODEL)
    return lineage


def _eight_nodes() -> Lineage:
    """The whole chain, seven layers deep: writer, datasets, job, artifact, model, configuration, endpoint."""
    lineage = _three_nodes()
    lineage.add("FROM_ARTIFACT", MODEL, ARTIFACT)
    lineage.add("WRITES", JOB, ARTIFACT)
    lineage.add("READS", JOB, TRAIN, channels=["train"])
    lineage.add("READS", JOB, VALIDATION, channels=["validation"])
    lineage.add("WROTE", PIPELINE, TRAIN)
    lineage.add("WROTE", PIPELINE, VALIDATION)
    return lineage


@pytest.mark.parametrize(("build", "legend", "edges", "summary"), [
    (_three_nodes, ["1 model", "1 endpoint configuration", "1 endpoint"], ["SERVES", "USES_CONFIG"],
     "Root\nendpoint churn-endpoint\nNot known\nmodel churn-xgb-model-002: no training job known (lineage not "
     "evidenced)"),
    (_eight_nodes, ["1 principal", "2 datasets", "1 training job", "1 artifact", "1 model",
                    "1 endpoint configuration", "1 endpoint"],
     ["WROTE", "READS", "WRITES", "FROM_ARTIFACT", "SERVES", "USES_CONFIG"],
     "Root\nendpoint churn-endpoint\nTraining data per channel\ntrain: s3://acme-data-1/churn/customer-events-v4/"
     "train/\nvalidation: s3://acme-data-1/churn/customer-events-v4/validation/\nWrote the datasets (CloudTrail)\n"
     "role/DataPipeline (111111111111): 2 datasets\nNot known\nnothing: every link was found"),
], ids=["3 nodes", "8 nodes"])
def test_lineage_pictures_fit_with_readable_labels(chromium, tmp_path, build, legend, edges, summary):
    """The same zoom rule for a small and a long lineage: both fit the window at 1280x800 with captions
    of at least MIN_LABEL_PX; the small one stops at MAX_ZOOM instead of filling the screen."""
    lineage = build()
    out = tmp_path / "lineage.html"
    out.write_text(lineage_page(lineage), encoding="utf-8")
    page, log = open_offline(chromium, out.as_uri(), viewport=README_VIEWPORT)
    page.wait_for_function("window.graphgovViews && window.graphgovViews.length === 1")
    screenshot(page, f"lineage-{len(lineage.nodes)}-nodes")
    assert log.refused == [] and log.errors == []
    [geometry] = _geometry(page)
    assert geometry["inside"] and geometry["canvasInWindow"] and geometry["smallest"] >= MIN_LABEL_PX
    assert not geometry["pans"] and geometry["note"] is None
    if len(lineage.nodes) == 3:
        assert geometry["zoom"] == MAX_ZOOM
    else:
        assert MIN_ZOOM <= geometry["zoom"] < MAX_ZOOM
    # left to right: who wrote, datasets, jobs, artifacts, models, configurations, endpoints
    order = ["AWSPrincipal", "Dataset", "TrainingJob", "ModelArtifact", "Model", "EndpointConfig", "Endpoint"]
    columns = [geometry["xs"][label] for label in order if label in geometry["xs"]]
    assert all(len(set(xs)) == 1 for xs in columns)  # one layer per kind here
    assert [xs[0] for xs in columns] == sorted({xs[0] for xs in columns})
    assert page.locator("#legend .legend-item").all_inner_texts() == legend
    assert geometry["edgeLegend"] == edges  # only the edge kinds drawn
    assert page.inner_text(".summary") == summary  # before any click
    assert page.inner_text("#details") == "Click a node for its full key and edges."
    # a caption too long for its layer is cut; the details panel has the whole key
    node = f"{ARTIFACT[0]}:{ARTIFACT[1]}" if len(lineage.nodes) == 8 else f"{MODEL[0]}:{MODEL[1]}"
    page.evaluate(f"window.graphgovViews[0].cy.getElementById({json.dumps(node)}).emit('tap')")
    assert page.inner_text("#details code") == node.partition(":")[2]
    if len(lineage.nodes) == 8:
        caption = page.evaluate(f"window.graphgovViews[0].cy.getElementById({json.dumps(node)}).data('caption')")
        assert caption == "s3://acme-models-1/\n\u2026xgb-20260105-002/\noutput/model.tar.gz"


def test_breakable_marks_where_keys_may_wrap():
    assert breakable("arn:aws:iam::1:role/x") == "arn:<wbr>aws:<wbr>iam:<wbr>:<wbr>1:<wbr>role/<wbr>x"
    assert breakable("x:" + "ab12" * 10) == 'x:<wbr><span class="long-token">' + "ab12" * 10 + "</span>"
    event_id = "3b1c8a52-1f2e-4c6e-9a7d-0a1b2c3d4e5f"  # 36 characters with no / or :: long enough to split at -
    assert breakable(event_id) == "3b1c8a52-<wbr>1f2e-<wbr>4c6e-<wbr>9a7d-<wbr>0a1b2c3d4e5f"
    assert breakable("CloudTrail data events <b>") == "CloudTrail data events &lt;b&gt;"


BROKEN_WORDS = """() => {
    // Every place a cell's text wraps, measured by the layout: the character before the break must be one
    // a reader expects a break after (a space, / : - _ . , # @ =) or end a camelCase word; a break inside a
    // word is reported (a .long-token, a hash with no break point, may break anywhere). So is a table wider
    // than its section (a cell that could not wrap at all).
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    const broken = [];
    let wraps = 0;
    document.querySelectorAll('#provenance td, #questions td').forEach(td => {
        let top = null, before = '';
        const walk = document.createTreeWalker(td, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
        for (let node = walk.nextNode(); node; node = walk.nextNode()) {
            if (node.nodeType === 1) { if (node.tagName === 'BR') { top = null; } continue; }
            for (let i = 0; i < node.data.length; i++) {
                const range = document.createRange();
                range.setStart(node, i); range.setEnd(node, i + 1);
                const rects = range.getClientRects();
                if (!rects.length) { before = node.data[i]; continue; }  // a collapsed space still separates
                if (top !== null && rects[0].top > top + 2) {
                    wraps++;
                    if (!/[\\s\\/:\\-_.,#@=]/.test(before) && !/\\s/.test(node.data[i])
                            && !node.parentElement.classList.contains('long-token')  // a hash: no word to keep
                            && !(/[a-z]/.test(before) && /[A-Z]/.test(node.data[i]))) {
                        broken.push(node.data.slice(Math.max(0, i - 30), i) + '|' + node.data.slice(i, i + 10));
                    }
                }
                top = rects[0].top; before = node.data[i];
            }
        }
    });
    const wide = Array.from(document.querySelectorAll('#provenance table, #questions table')).filter(table =>
        table.getBoundingClientRect().right > table.parentElement.getBoundingClientRect().right + 1).length;
    return {broken: broken, wraps: wraps, wide: wide};
}"""


def test_report_cells_wrap_between_words_never_inside(chromium, demo_reports):
    """ARNs, keys and event ids in the provenance and row tables wrap after / : - _ . only; words stay whole
    (measured in Chromium at the README's 1280x800, where the long ARNs must wrap)."""
    page, log = open_offline(chromium, demo_reports["html"].as_uri(), viewport=README_VIEWPORT)
    page.wait_for_function("window.graphgovViews && window.graphgovViews.length === 3")
    found = page.evaluate(BROKEN_WORDS)
    assert found["broken"] == [] and found["wide"] == 0
    assert found["wraps"] > 100  # the long ARNs do wrap: the check measured real breaks


def test_readme_pictures_of_the_report(chromium, demo_reports):
    """The README's pictures of the demo's report at 1280x800: its summary as it opens, and a failing
    control's drill-down opened by its link; each asserts that what it is meant to show is in the window."""
    page, log = open_offline(chromium, demo_reports["html"].as_uri(), viewport=README_VIEWPORT)
    page.wait_for_function("window.graphgovViews && window.graphgovViews.length === 3")

    def in_window(selector: str) -> bool:
        box = page.locator(selector).first.bounding_box()
        return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= README_VIEWPORT[1]

    assert in_window("#totals") and in_window("#summary table")
    readme_screenshot(page, "report-summary")

    control = "eu-ai-act:Art.10(5)(d)"  # critical: the shadow account's access to the training data
    page.click(f'tr[data-control="{control}"] a')
    drill = f'details.control[data-control="{control}"]'
    assert page.locator(drill).get_attribute("open") == ""
    assert page.locator(drill).get_attribute("data-verdict") == "fail"
    page.evaluate("window.scrollBy(0, -120)")  # the control table's last rows above it, for context
    assert in_window(drill)
    readme_screenshot(page, "control-drill-down")
    assert log.refused == [] and log.errors == []
