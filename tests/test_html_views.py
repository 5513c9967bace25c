"""The HTML outputs in a real headless Chromium: `graphgov lineage --html` and `graphgov report --format html`.

Each page is opened from a file with the network cut off (tests/browser.py refuses and records every
request that is not file://), so "works offline" is what is asserted, not assumed. Screenshots are kept
under test-artifacts/ for people to look at.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest
from browser import open_offline, screenshot
from click.testing import CliRunner
from helpers import FIXTURES

from graphgov.cli.app import main
from graphgov.demo import run_demo
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.controls import build_report
from graphgov.questions.lineage import as_json, build_lineage
from graphgov.report.html import endpoints_mentioned, render_html
from graphgov.report.html_page import script_json
from graphgov.stores.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "graphgov" / "assets"
CHAIN = FIXTURES / "lineage/cross-account-chain.json"
SM_C = "arn:aws:sagemaker:eu-west-1:333333333333:"
CHAIN_ENDPOINT = SM_C + "endpoint/fraud-endpoint"


def _chain_store(tmp_path: Path) -> Path:
    path = tmp_path / "graph.json.gz"
    store = EmbeddedStore(path)
    load_paths([CHAIN], store, tmp_path / "q.jsonl")
    store.close()
    return path


def _views(page) -> list[dict]:
    """What each drawn Cytoscape view holds: its root, node ids and names, edge count, legend counts."""
    return page.evaluate("""() => (window.graphgovViews || []).map(v => ({
        root: v.root, nodes: v.cy.nodes().map(n => n.id()).sort(), edges: v.cy.edges().length,
        names: v.cy.nodes().map(n => n.data('name')).sort(), counts: v.counts,
        visible: v.cy.nodes().filter(n => n.renderedPosition().x > 0 && n.renderedPosition().y > 0).length}))""")


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

    page, log = open_offline(chromium, out.as_uri())
    page.wait_for_function("window.graphgovViews && window.graphgovViews.length === 1")
    screenshot(page, "lineage-fraud-endpoint")
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
    assert view["visible"] == 10  # every node is drawn inside the canvas
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
            assert view["visible"] == len(lineage["nodes"])
    assert [v["counts"] for v in views][2] == {"AWSPrincipal": 12, "Dataset": 3, "TrainingJob": 1,
                                               "ModelArtifact": 1, "Model": 2, "EndpointConfig": 1, "Endpoint": 1}
    assert [v["counts"] for v in views][0]["ProcessingJob"] == 1
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
