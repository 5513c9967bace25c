"""Framework mapping and `graphgov report`: control catalogue, evidence sources, verdicts, the three formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from browser import open_offline, screenshot
from click.testing import CliRunner
from helpers import FIXTURES

from graphgov.cli.app import main
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import Question, QuestionError, ask, catalog, parse_question
from graphgov.questions.controls import (
    FRAMEWORKS,
    build_report,
    catalogue_problems,
    controls_table_markdown,
    evidence_labels,
    exit_failures,
    judge_control,
    judge_question,
    loaded_sources,
)
from graphgov.report.html import render_html
from graphgov.report.render import fingerprint, render, report_dict, resources_of, sarif_log
from graphgov.stores.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = Path(__file__).parent / "sarif" / "sarif-schema-2.1.0.json"
PREP = FIXTURES / "lineage" / "sagemaker-prep.json"
# access: policies, S3 data events, public and cross-account data (critical and high findings);
# sagemaker-prep alone: SageMaker jobs only, whose one finding is medium (outputs without a customer key).
HIGH_SET = [*sorted((FIXTURES / "access").glob("*.json")), PREP]
MEDIUM_SET = [PREP]


def load(store, tmp_path: Path, paths: list[Path]) -> None:
    load_paths(paths, store, tmp_path / "quarantine.jsonl")


def embedded_file(tmp_path: Path, paths: list[Path]) -> Path:
    """An embedded store file holding `paths`, for the command line."""
    path = tmp_path / "graph.json.gz"
    store = EmbeddedStore(path)
    load(store, tmp_path, paths)
    store.close()
    return path


def question(**changes) -> Question:
    base = {"id": "bad-one", "title": "t", "description": "d", "severity": "high",
            "controls": ("eu-ai-act:Art.15",), "evidence": ("ai-resources",), "cypher": "MATCH (n) RETURN n",
            "remediation": {"text": "Fix it.", "links": ("https://docs.aws.amazon.com/IAM/latest/UserGuide/",)}}
    return Question(**(base | changes))


# ---- catalogue -------------------------------------------------------------------------------------

def test_every_question_names_known_controls_and_evidence_sources():
    assert catalogue_problems(catalog().values()) == []


def test_required_controls_are_catalogued():
    required = {
        "eu-ai-act": ["Art.10(2)(b)", "Art.10(5)(c)", "Art.10(5)(d)", "Art.10(5)(e)", "Art.12(1)", "Art.12(2)(a)",
                      "Art.12(2)(b)", "Art.12(2)(c)", "Art.13(3)(b)(vi)", "Art.15", "Art.19"],
        "nist-ai-rmf": ["GOVERN 1.6", "MAP 2.3", "MAP 4.1", "MEASURE 2.4", "MEASURE 2.7", "MEASURE 2.8",
                        "MEASURE 2.10", "MANAGE 3.2", "GOVERN 6.1"],
        "iso-42001": ["A.6.2.8", "A.7.2", "A.7.3", "A.7.5", "A.10.3"],
        "soc2": ["CC6.1", "CC6.3", "CC6.6", "CC6.7", "CC7.2", "CC8.1"],
        "gdpr": ["Art.30(1)(b)", "Art.30(1)(d)", "Art.30(1)(e)"],
    }
    assert list(FRAMEWORKS) == list(required)
    for framework, ids in required.items():
        assert set(ids) <= set(FRAMEWORKS[framework].controls), framework
    assert FRAMEWORKS["iso-42001"].controls["A.7.5"] == "Data provenance"
    assert FRAMEWORKS["iso-42001"].controls["A.6.2.8"] == "AI system recording of event logs"


def test_unknown_control_and_evidence_fail_validation(tmp_path):
    bad = question(controls=("eu-ai-act:Art.99", "iso-42001:A.7.5", "sox:404"), evidence=("ai-resources", "nope"))
    assert catalogue_problems([bad]) == [
        "bad-one: unknown control 'eu-ai-act:Art.99'",
        "bad-one: unknown control 'sox:404'",
        "bad-one: unknown evidence source 'nope'",
    ]
    assert catalogue_problems([question(evidence=())]) == [
        "bad-one: no evidence sources declared (// evidence: [...])"]
    with pytest.raises(QuestionError, match=r"saved questions: bad-one: unknown control 'eu-ai-act:Art.99'"):
        build_report(EmbeddedStore(tmp_path / "g.json.gz"), "all", {"bad-one": bad})


FIX = '// remediation: {"text": "Fix it.", "links": ["https://docs.aws.amazon.com/IAM/latest/UserGuide/"]}\n'


def test_header_parses_evidence_and_pass_rule():
    parsed = parse_question('// id: q\n// title: t\n// description: d\n// severity: low\n'
                            '// controls: ["soc2:CC6.1"]\n// evidence: ["iam-policies", "s3-data-events"]\n'
                            '// pass: any rows\n' + FIX + 'MATCH (n) RETURN n', "cypher/q.cypher")
    assert (parsed.evidence, parsed.pass_rule, parsed.informational) == (
        ("iam-policies", "s3-data-events"), "any rows", False)
    assert parse_question('// id: q\n// title: t\n// description: d\n// severity: low\n// controls: ["soc2:CC6.1"]\n'
                          + FIX + 'MATCH (n) RETURN n', "cypher/q.cypher").pass_rule == "no rows"
    with pytest.raises(QuestionError, match="cypher/q.cypher: invalid question metadata"):
        parse_question('// id: q\n// title: t\n// description: d\n// severity: low\n// controls: []\n'
                       '// pass: sometimes\n' + FIX + 'MATCH (n) RETURN n', "cypher/q.cypher")
    with pytest.raises(QuestionError, match="header 'evidence' is not JSON"):
        parse_question("// id: q\n// evidence: iam-policies\nMATCH (n) RETURN n", "cypher/q.cypher")


# ---- verdict logic ---------------------------------------------------------------------------------

def test_question_verdicts():
    loaded = {"ai-resources": True, "s3-data-events": False}
    assert judge_question(question(), [], loaded).verdict == "pass"
    assert judge_question(question(), [{"a": 1}], loaded).verdict == "fail"
    missing = judge_question(question(evidence=("ai-resources", "s3-data-events")), [], loaded)
    assert (missing.verdict, missing.missing) == ("not-evidenced", ("s3-data-events",))
    assert judge_question(question(pass_rule="any rows"), [], loaded).verdict == "fail"
    assert judge_question(question(pass_rule="any rows"), [{"a": 1}], loaded).verdict == "pass"
    info = judge_question(question(severity="info"), [{"a": 1}], loaded)
    assert (info.verdict, info.gated, info.failing_rows) == ("pass", False, ())
    listing = judge_question(question(pass_rule="evidence"), [{"a": 1}], loaded)
    assert (listing.verdict, listing.gated, listing.rows) == ("pass", False, ({"a": 1},))
    needs_param = question(params={"x": {"type": "string", "description": "x"}})
    assert judge_question(needs_param, None, loaded).verdict == "pass"
    assert judge_question(needs_param, None, loaded).ran is False


def test_control_verdicts_combine_questions():
    loaded = {"ai-resources": True, "s3-data-events": False}
    medium_fail = judge_question(question(id="m", severity="medium"), [{"a": 1}], loaded)
    high_fail = judge_question(question(id="h", severity="high"), [{"a": 1}], loaded)
    passing = judge_question(question(id="p"), [], loaded)
    unevidenced = judge_question(question(id="u", evidence=("s3-data-events",)), [], loaded)
    combined = judge_control("eu-ai-act:Art.15", [medium_fail, unevidenced, high_fail, passing])
    assert (combined.verdict, combined.severity, combined.questions) == ("fail", "high", ("h", "m", "p", "u"))
    assert combined.title == "Accuracy, robustness and cybersecurity"
    assert judge_control("eu-ai-act:Art.15", [passing, unevidenced]).verdict == "not-evidenced"
    assert judge_control("eu-ai-act:Art.15", [passing]).verdict == "pass"


# ---- on fixture graphs (both stores) ---------------------------------------------------------------

def test_evidence_sources_loaded(store, tmp_path):
    assert set(loaded_sources(store).values()) == {False}
    load(store, tmp_path, MEDIUM_SET)
    assert loaded_sources(store) == {
        "ai-resources": True, "bedrock-events": False, "bedrock-invocation-logs": False,
        "cloudtrail-management": True, "config-snapshot": False, "iam-policies": False, "s3-data-events": False,
        "sagemaker-events": True}
    load(store, tmp_path, HIGH_SET)
    assert {k for k, v in loaded_sources(store).items() if v} == {
        "ai-resources", "cloudtrail-management", "iam-policies", "s3-data-events", "sagemaker-events"}


def _verdicts(report, controls):
    by_id = {c.control: c for c in report.controls}
    return {c: (by_id[c].verdict, by_id[c].severity, by_id[c].questions) for c in controls}


def test_exact_verdicts_high_set(store, tmp_path):
    load(store, tmp_path, HIGH_SET)
    report = build_report(store, "all")
    assert _verdicts(report, ["eu-ai-act:Art.10(5)(d)", "eu-ai-act:Art.10(5)(c)", "soc2:CC6.1",
                              "gdpr:Art.30(1)(e)"]) == {
        "eu-ai-act:Art.10(5)(d)": ("fail", "critical",
                                   ("cross-account-assumptions", "cross-account-exposure", "public-ai-data")),
        "eu-ai-act:Art.10(5)(c)": ("pass", None,
                                   ("access-at-training-time", "object-readers", "personal-data-in-training",
                                    "training-data-readers")),
        "soc2:CC6.1": ("fail", "medium", ("access-at-training-time", "object-readers", "training-data-readers",
                                          "unencrypted-ai-artifacts")),
        "gdpr:Art.30(1)(e)": ("fail", "high", ("cross-account-exposure",)),
    }
    unencrypted = report.questions["unencrypted-ai-artifacts"]
    assert [r["resource"] for r in unencrypted.rows] == [
        "arn:aws:sagemaker:eu-west-1:111111111111:training-job/fraud-train",
        "arn:aws:sagemaker:eu-west-1:111122223333:training-job/churn-train",  # access/kms-*.json (issue 11)
        "arn:aws:sagemaker:eu-west-1:111122223333:training-job/churn-train-2",
        "arn:aws:sagemaker:eu-west-1:222222222222:hyper-parameter-tuning-job/fraud-hpo-01",
        "arn:aws:sagemaker:eu-west-1:222222222222:transform-job/fraud-batch-score",
        "arn:aws:sagemaker:eu-west-1:333333333333:training-job/churn-train",
    ]
    # 10: an anonymous caller has no aws:PrincipalOrgID, so `*` under an org-limited grant is no exposure (issue 11)
    assert (len(report.questions["public-ai-data"].rows), len(report.questions["cross-account-exposure"].rows)) == (
        4, 10)
    assert report.questions["training-data-readers"].verdict == "pass"  # a listing: evidence, not a finding
    assert len(report.questions["training-data-readers"].rows) == 31  # the same anonymous row


def test_exact_verdicts_medium_set(store, tmp_path):
    load(store, tmp_path, MEDIUM_SET)
    report = build_report(store, "eu-ai-act")
    assert report.frameworks == ("eu-ai-act",)
    assert {c.control.partition(":")[0] for c in report.controls} == {"eu-ai-act"}
    assert _verdicts(report, ["eu-ai-act:Art.10(5)(d)", "eu-ai-act:Art.15", "eu-ai-act:Art.10(2)(b)"]) == {
        "eu-ai-act:Art.10(5)(d)": ("not-evidenced", None,
                                   ("cross-account-assumptions", "cross-account-exposure", "public-ai-data")),
        "eu-ai-act:Art.15": ("fail", "medium", ("public-ai-data", "unencrypted-ai-artifacts")),
        "eu-ai-act:Art.10(2)(b)": ("pass", None, ("dataset-consumers", "endpoint-lineage", "model-lineage",
                                                  "models-without-lineage")),
    }
    assert report.questions["public-ai-data"].missing == ("iam-policies",)
    assert [c.control for c in exit_failures(report, "high", strict=False)] == []
    assert [c.control for c in exit_failures(report, "medium", strict=False)] == ["eu-ai-act:Art.15"]


# ---- what a question's rows mean: ran, not run, not evidenced ---------------------------------------

def test_question_status_says_why_rows_are_not_the_answer():
    loaded = {"ai-resources": True, "s3-data-events": False, "config-snapshot": False}
    needs = question(params={"endpoint": {"type": "endpoint", "description": "e"},
                             "since": {"type": "string", "required": False, "description": "s"}})
    not_run = judge_question(needs, None, loaded)
    assert (not_run.status, not_run.reason, not_run.summary, not_run.shown) == (
        "not-run", "needs `endpoint`", "not run: needs `endpoint`", "not run")
    unevidenced = question(evidence=("ai-resources", "s3-data-events", "config-snapshot"))
    empty = judge_question(unevidenced, [], loaded)
    assert (empty.status, empty.verdict, empty.summary) == ("not-evidenced", "not-evidenced", "not evidenced: needs "
                                                            "CloudTrail S3 data events and a logging configuration "
                                                            "snapshot from `graphgov pull config`")
    partial = judge_question(unevidenced, [{"a": 1}], loaded)  # rows shown, not judged
    assert (partial.verdict, partial.rows, partial.failing_rows) == ("not-evidenced", ({"a": 1},), ())
    assert partial.summary.endswith("; 1 row from the sources loaded")
    assert [judge_question(question(), rows, loaded).summary for rows in ([], [{"a": 1}], [{"a": 1}, {"a": 2}])] == [
        "0 rows", "1 row", "2 rows"]
    assert judge_question(question(), [], loaded).status == "ran"
    assert evidence_labels(["cloudtrail-management", "iam-policies", "bedrock-invocation-logs"]) == (
        "CloudTrail management events, IAM, bucket and key policies and Bedrock model-invocation logs")


CLOUDTRAIL = FIXTURES / "cloudtrail"  # AWS documentation samples: no config snapshot, no invocation logs


def test_report_rows_are_the_query_rows_whenever_a_question_ran(store, tmp_path):
    """Issue 14: `ai-inventory` and `logging-coverage` showed 0 rows in the report but rows in `graphgov query`.
    The report ran no question with a source missing (and `ai-inventory` named Bedrock invocation logs and
    SageMaker resources as required for an inventory CloudTrail alone gives); now every question that needs
    no parameter runs and its rows are `ask`'s."""
    load(store, tmp_path, [CLOUDTRAIL])
    report = build_report(store, "all")
    for qid, result in report.questions.items():
        if any(spec.required for spec in result.question.params.values()):
            assert (result.ran, result.status, result.rows) == (False, "not-run", ()), qid
        else:
            assert result.ran and list(result.rows) == ask(store, qid), qid
    counted = {qid: (r.status, r.verdict, len(r.rows)) for qid, r in report.questions.items() if r.ran}
    assert counted == {
        "ai-inventory": ("ran", "pass", 3),
        "bedrock-invocations-without-logging": ("ran", "fail", 1),
        "cross-account-assumptions": ("ran", "pass", 1),
        "cross-account-exposure": ("ran", "pass", 0),
        "endpoints-without-data-capture": ("ran", "fail", 1),
        "iam-changes-on-ai-roles": ("ran", "pass", 0),
        "logging-coverage": ("not-evidenced", "not-evidenced", 6),
        "models-without-approved-package": ("ran", "pass", 0),
        "models-without-lineage": ("ran", "pass", 0),
        "personal-data-in-training": ("ran", "pass", 0),
        "public-ai-data": ("ran", "pass", 0),
        "shadow-ai": ("ran", "fail", 1),
        "short-log-retention": ("not-evidenced", "not-evidenced", 0),
        "training-data-readers": ("ran", "pass", 0),
        "unencrypted-ai-artifacts": ("ran", "pass", 0),
    }
    assert [(r["kind"], r["resource"]) for r in report.questions["ai-inventory"].rows] == [
        ("bedrock-foundation-model",
         "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ("sagemaker-endpoint", "arn:aws:sagemaker:us-west-2:123456789012:endpoint/exampleendpoint"),
        ("sagemaker-model", "arn:aws:sagemaker:us-west-2:123456789012:model/examplemodel")]
    coverage = report.questions["logging-coverage"]
    # mostly gaps read from the missing snapshot, so not judged; CloudTrail's own trail change is shown too
    assert [r["gap"] for r in coverage.rows].count("no-logging-trail") == 5
    assert [r["gap"] for r in coverage.rows].count("trail-changed:PutEventSelectors") == 1
    assert coverage.summary == ("not evidenced: needs a logging configuration snapshot from `graphgov pull config`; "
                                "6 rows from the sources loaded")
    assert [c.control for c in report.controls if c.verdict == "not-evidenced"] == ["eu-ai-act:Art.26(6)"]


def test_every_report_form_says_which_questions_did_not_run_and_why(tmp_path):
    graph = embedded_file(tmp_path, [CLOUDTRAIL])
    with EmbeddedStore(graph) as store:
        report = build_report(store, "all")
    markdown = render(report, "md")
    assert ("### `endpoint-lineage`: not run\n\nWhich data trained the model behind an endpoint (severity high, "
            "evidence only, pass: no rows; controls: ") in markdown
    assert "Not run: needs `endpoint` (`graphgov query endpoint-lineage --param endpoint=...`)." in markdown
    assert ("Not evidenced: needs a logging configuration snapshot from `graphgov pull config`; 6 rows from the "
            "sources loaded.") in markdown.splitlines()
    assert "Not evidenced: needs a logging configuration snapshot from `graphgov pull config`." in markdown.splitlines()
    assert "\n0 rows.\n" in markdown and "(0 rows)" not in markdown and "1 rows" not in markdown
    as_json = {q["id"]: q for q in report_dict(report)["questions"]}
    assert {k: as_json["endpoint-lineage"][k] for k in ("status", "reason", "needs_params", "ran", "rows")} == {
        "status": "not-run", "reason": "needs `endpoint`", "needs_params": ["endpoint"], "ran": False, "rows": []}
    assert {k: as_json["logging-coverage"][k] for k in ("status", "reason", "missing_evidence")} == {
        "status": "not-evidenced", "reason": "needs a logging configuration snapshot from `graphgov pull config`",
        "missing_evidence": ["config-snapshot"]}
    assert len(as_json["logging-coverage"]["rows"]) == 6
    assert (as_json["ai-inventory"]["status"], as_json["ai-inventory"]["reason"]) == ("ran", None)
    log = sarif_log(report)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    (run,) = log["runs"]
    statuses = {q["id"]: (q["status"], q["rows"]) for q in run["properties"]["questions"]}
    assert statuses["model-lineage"] == ("not-run", 0) and statuses["logging-coverage"] == ("not-evidenced", 6)
    assert statuses["ai-inventory"] == ("ran", 3)
    notes = {n["associatedRule"]["id"]: n["message"]["text"]
             for n in run["invocations"][0]["toolExecutionNotifications"]}
    assert sorted(notes) == ["access-at-training-time", "dataset-consumers", "endpoint-lineage", "logging-coverage",
                             "model-lineage", "object-readers", "principal-activity", "short-log-retention"]
    assert notes["object-readers"] == "object-readers: not run: needs `bucket`"


def test_html_report_says_not_run_and_not_evidenced_in_chromium(chromium, tmp_path):
    from browser import ARTIFACTS, open_offline

    from graphgov.report.html import render_html

    graph = embedded_file(tmp_path, [CLOUDTRAIL])
    with EmbeddedStore(graph) as store:
        report = build_report(store, "all")
    out = tmp_path / "report.html"
    out.write_text(render_html(report), encoding="utf-8")
    page, log = open_offline(chromium, out.as_uri())
    assert log.refused == [] and log.errors == []
    shown = page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('details.question')).map(d =>
        [d.dataset.question, [d.dataset.status, d.querySelector('summary .verdict').innerText,
                              d.querySelector('summary .status').innerText]]))""")
    assert shown["endpoint-lineage"] == ["not-run", "not run", "(not run: needs endpoint)"]
    assert shown["logging-coverage"] == ["not-evidenced", "not-evidenced", "(not evidenced: needs a logging "
                                         "configuration snapshot from graphgov pull config; 6 rows from the sources "
                                         "loaded)"]
    assert shown["ai-inventory"] == ["ran", "evidence", "(3 rows)"]
    assert shown["public-ai-data"] == ["ran", "pass", "(0 rows)"]
    assert shown["shadow-ai"] == ["ran", "fail", "(1 row)"]
    assert {q: v[0] for q, v in shown.items()} == {q: r.status for q, r in report.questions.items()}
    assert page.inner_text('details.question[data-question="object-readers"] summary .status code') == "bucket"
    page.click('tr[data-control="eu-ai-act:Art.10(2)(b)"] a')
    items = page.locator('details.control[data-control="eu-ai-act:Art.10(2)(b)"] li').all_inner_texts()
    assert items == [
        "not run dataset-consumers: Which jobs and models used a dataset, down to endpoints (info; not run: needs "
        "dataset)",
        "not run endpoint-lineage: Which data trained the model behind an endpoint (high; not run: needs endpoint)",
        "not run model-lineage: Which data trained a model (high; not run: needs model)",
        "pass models-without-lineage: Models in use with no known training data (high; passes with no rows, 0 found)"]
    page.evaluate("document.querySelectorAll('details.question').forEach(d => d.open = false)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # for people to look at: each question's status line
    page.locator("#questions").screenshot(path=str(ARTIFACTS / "report-question-status.png"))


# ---- command line and formats (embedded) -----------------------------------------------------------

def run_report(tmp_path: Path, graph: Path, *args: str):
    return CliRunner().invoke(main, ["report", "--store", str(graph), *args])


def test_fail_on_high_exits_only_for_high_or_critical_failures(tmp_path):
    high = embedded_file(tmp_path / "high", HIGH_SET)
    medium = embedded_file(tmp_path / "medium", MEDIUM_SET)
    result = run_report(tmp_path, high, "--fail-on", "high", "--format", "json")
    assert result.exit_code == 1, result.output
    assert "eu-ai-act:Art.10(5)(d) (critical)" in result.stderr
    result = run_report(tmp_path, medium, "--fail-on", "high", "--format", "json")
    assert result.exit_code == 0, result.output
    verdicts = {c["control"]: (c["verdict"], c["severity"]) for c in json.loads(result.stdout)["controls"]}
    assert verdicts["soc2:CC6.1"] == ("fail", "medium")
    assert not any(sev in ("high", "critical") for _, sev in verdicts.values())
    assert run_report(tmp_path, medium, "--fail-on", "medium").exit_code == 1


def test_strict_fails_on_not_evidenced(tmp_path):
    medium = embedded_file(tmp_path, MEDIUM_SET)
    assert run_report(tmp_path, medium, "--fail-on", "critical", "--framework", "soc2").exit_code == 0
    strict = run_report(tmp_path, medium, "--fail-on", "critical", "--framework", "soc2", "--strict")
    assert strict.exit_code == 1
    assert "soc2:CC6.6 (not-evidenced)" in strict.stderr


def test_json_and_markdown_agree(tmp_path):
    graph = embedded_file(tmp_path, HIGH_SET)
    out = tmp_path / "report.md"
    assert run_report(tmp_path, graph, "--format", "md", "--out", str(out), "--fail-on", "critical").exit_code == 1
    as_json = json.loads(run_report(tmp_path, graph, "--format", "json").stdout)
    markdown = out.read_text()
    from_md = dict(re.findall(r"^\| `([^`]+)` \| [^|]* \| (pass|fail|not-evidenced) \|", markdown, re.M))
    assert from_md == {c["control"]: c["verdict"] for c in as_json["controls"]}
    assert len(from_md) == len(as_json["controls"]) > 30
    assert "provenance in event_ids, first_seen, last_seen" in markdown  # cross-account-assumptions rows
    assert "### `public-ai-data`: fail" in markdown
    assert "### `training-data-readers`: evidence" in markdown  # evidence only: not shown as a passed check


def test_sarif_validates_against_the_official_schema(tmp_path):
    graph = embedded_file(tmp_path, HIGH_SET)
    result = run_report(tmp_path, graph, "--format", "sarif", "--fail-on", "critical")
    log = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text())
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    jsonschema.validate(log, schema, format_checker=jsonschema.FormatChecker())
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "graphgov"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == sorted(catalog())
    by_rule: dict[str, int] = {}
    for res in run["results"]:
        by_rule[res["ruleId"]] = by_rule.get(res["ruleId"], 0) + 1
        (location,) = res["locations"]
        assert location["physicalLocation"]["artifactLocation"] == {
            "uri": f"cypher/{res['ruleId']}.cypher", "uriBaseId": "PROJECTROOT"}
        assert res["properties"]["resources"] == resources_of(res["properties"]["row"])
    assert by_rule == {"cross-account-exposure": 10, "public-ai-data": 4, "unencrypted-ai-artifacts": 6}
    # one alert per finding for code scanning: every result its own fingerprint, the same on the next run
    prints = [r["partialFingerprints"]["graphgovFinding/v1"] for r in run["results"]]
    assert len(set(prints)) == len(prints) == 20
    again = json.loads(run_report(tmp_path, graph, "--format", "sarif", "--fail-on", "critical").stdout)
    assert [r["partialFingerprints"] for r in again["runs"][0]["results"]] == [r["partialFingerprints"]
                                                                               for r in run["results"]]
    public = [r for r in run["results"] if r["ruleId"] == "public-ai-data"]
    assert {r["level"] for r in public} == {"error"}
    assert all(r["properties"]["resources"] for r in public)


UNENCRYPTED_FIX = (
    "Name a customer managed KMS key in each defining call: `OutputDataConfig.KmsKeyId` and "
    "`ResourceConfig.VolumeKmsKeyId` for training and tuning jobs, `ProcessingOutputConfig.KmsKeyId` for processing, "
    "`TransformOutput.KmsKeyId` for batch transform, `KmsKeyId` on the endpoint configuration and on its "
    "`DataCaptureConfig`, `customModelKmsKeyId` for Bedrock customization jobs; `ModelKmsKeyId`, `VolumeKmsKeyId` "
    "and `OutputDataConfig.KmsKeyId` for Comprehend models and jobs; or give the output bucket default "
    "encryption (SSE-KMS) with that key. Outputs already written keep their encryption until rewritten.")
UNENCRYPTED_LINKS = ["https://docs.aws.amazon.com/sagemaker/latest/dg/encryption-at-rest.html",
                     "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_OutputDataConfig.html",
                     "https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-custom-job.html",
                     "https://docs.aws.amazon.com/comprehend/latest/APIReference/API_DataSecurityConfig.html"]


def test_every_report_form_says_how_to_remediate(chromium, tmp_path):
    """Issue 14: each question's remediation, with its AWS documentation links, in md, JSON, SARIF and HTML."""
    with EmbeddedStore(embedded_file(tmp_path, MEDIUM_SET)) as store:
        report = build_report(store, "all")
    assert report.questions["unencrypted-ai-artifacts"].verdict == "fail"

    as_json = report_dict(report)
    assert {q["id"]: q["remediation"] for q in as_json["questions"]}["unencrypted-ai-artifacts"] == {
        "text": UNENCRYPTED_FIX, "links": UNENCRYPTED_LINKS}
    assert all(q["remediation"] == catalog()[q["id"]].remediation.as_dict() for q in as_json["questions"])

    markdown = render(report, "md")
    block = re.split(r"\n##+ ", markdown.split("### `unencrypted-ai-artifacts`: fail\n", 1)[1], maxsplit=1)[0]
    assert block.rstrip().endswith(
        f"**Remediation:** {UNENCRYPTED_FIX} AWS documentation: " + ", ".join(f"<{link}>" for link in UNENCRYPTED_LINKS)
        + ".")
    assert markdown.count("**Remediation:** ") == len(catalog())  # under every question, failing or not

    log = sarif_log(report)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()), format_checker=jsonschema.FormatChecker())
    rule = next(r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "unencrypted-ai-artifacts")
    assert rule["helpUri"] == UNENCRYPTED_LINKS[0]
    assert rule["help"] == {
        "text": f"{UNENCRYPTED_FIX} AWS documentation: {', '.join(UNENCRYPTED_LINKS)}",
        "markdown": f"**Remediation:** {UNENCRYPTED_FIX} AWS documentation: "
                    + ", ".join(f"<{link}>" for link in UNENCRYPTED_LINKS) + "."}

    out = tmp_path / "report.html"
    out.write_text(render_html(report), encoding="utf-8")
    page, log_ = open_offline(chromium, out.as_uri() + "#q-unencrypted-ai-artifacts")
    drill = page.locator('details.question[data-question="unencrypted-ai-artifacts"]')
    assert drill.get_attribute("open") == ""  # the link opened the question's drill-down
    fix = drill.locator(".remediation")
    assert fix.is_visible()
    assert fix.locator("p").first.inner_text() == f"Remediation: {UNENCRYPTED_FIX.replace('`', '')}"
    assert fix.locator("code").all_inner_texts()[:3] == ["OutputDataConfig.KmsKeyId", "ResourceConfig.VolumeKmsKeyId",
                                                         "ProcessingOutputConfig.KmsKeyId"]
    links = fix.locator("a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == UNENCRYPTED_LINKS
    assert links.all_inner_texts() == UNENCRYPTED_LINKS
    assert all(links.nth(i).is_visible() and links.nth(i).get_attribute("target") == "_blank"
               for i in range(links.count()))  # clickable, opening AWS's page beside the report
    assert page.locator(".remediation").count() == len(catalog())
    fix.scroll_into_view_if_needed()
    screenshot(page, "report-remediation")
    assert log_.refused == [] and log_.errors == []  # nothing was fetched: the links are only followed on a click


def test_sarif_of_an_empty_graph_validates(tmp_path):
    report = build_report(EmbeddedStore(tmp_path / "g.json.gz"), "gdpr")
    log = sarif_log(report)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    assert log["runs"][0]["results"] == []
    assert {c["verdict"] for c in report_dict(report)["controls"]} == {"not-evidenced"}
    assert render(report, "md").count("| not-evidenced |") == len(report.controls)


def test_a_fingerprint_names_the_finding_not_its_explanation():
    row = {"resource": "s3://b/train/", "principal": "arn:aws:iam::999999999999:root", "access": "potential",
           "via": ["arn:aws:s3:::b#bucket-policy#Vendor"], "count": 3, "last_seen": "2026-01-01T00:00:00Z"}
    later = {**row, "via": ["arn:aws:s3:::b#bucket-policy#Vendor2"], "count": 9, "last_seen": "2026-02-01T00:00:00Z"}
    assert fingerprint("cross-account-exposure", row) == fingerprint("cross-account-exposure", later)
    assert fingerprint("cross-account-exposure", row) != fingerprint("public-ai-data", row)
    assert fingerprint("x", row) != fingerprint("x", {**row, "principal": "arn:aws:iam::888888888888:root"})
    gap = {"account": "111111111111", "region": "eu-west-1", "gap": "no-trail", "trails": []}  # no ARN at all
    assert fingerprint("logging-coverage", gap) != fingerprint("logging-coverage", {**gap, "region": "us-east-1"})


def test_resources_of_a_row():
    row = {"resource": "arn:aws:s3:::b", "via": ["s3://b/x", "policy"], "count": 3, "who": None}
    assert resources_of(row) == ["arn:aws:s3:::b", "s3://b/x"]


# ---- docs (the README tables are checked by tests/test_readme.py) ---------------------------------------

def test_controls_table_lists_every_question_control():
    table = controls_table_markdown()
    for q in catalog().values():
        for control in q.controls:
            row = next(line for line in table.splitlines() if f"| `{control}` |" in line)
            assert f"`{q.id}`" in row


CHAIN = FIXTURES / "lineage" / "cross-account-chain.json"
EP = "arn:aws:sagemaker:eu-west-1:333333333333:endpoint/fraud-endpoint"
ENGINEER = "arn:aws:iam::111111111111:role/DataEngineer"
ARTIFACT = "s3://acme-models-b/output/Fraud-XGB-2024/output/model.tar.gz"


def _ids(*numbers: int) -> list[str]:
    return [f"7c1a0000-0000-4000-8000-{n:012d}" for n in numbers]


def test_provenance_of_named_resources_is_the_same_on_both_stores(store, tmp_path):
    load(store, tmp_path, [CHAIN])
    assert store.provenance([EP, ENGINEER, ARTIFACT, "s3://acme-data-a/fraud/train", "arn:aws:s3:::no-such",
                             EP]) == {
        ENGINEER: {"labels": ["AWSPrincipal", "AWSRole"], "sources": ["cloudtrail"],
                   "first_seen": "2024-05-01T09:00:00Z", "last_seen": "2024-05-01T09:05:00Z", "event_ids": _ids(1, 3)},
        EP: {"labels": ["Endpoint"], "sources": ["cloudtrail"], "first_seen": "2024-05-03T11:10:00Z",
             "last_seen": "2024-06-01T08:10:00Z", "event_ids": _ids(8, 11)},
        "s3://acme-data-a/fraud/train": {"labels": ["Dataset"], "sources": ["cloudtrail"],
                                         "first_seen": "2024-05-02T10:00:00Z", "last_seen": "2024-05-02T10:00:00Z",
                                         "event_ids": _ids(5)},
        ARTIFACT: {"labels": ["ModelArtifact"], "sources": ["cloudtrail"], "first_seen": "2024-05-02T10:00:00Z",
                   "last_seen": "2024-05-03T11:00:00Z", "event_ids": _ids(5, 6)},
    }
    assert store.provenance([]) == {}


def test_every_report_form_carries_the_provenance_of_what_the_rows_name(tmp_path):
    graph = embedded_file(tmp_path, [CHAIN])
    with EmbeddedStore(graph) as store:
        report = build_report(store, "eu-ai-act")
    named = {arn for r in report.questions.values() for row in r.rows for arn in resources_of(row)}
    assert set(report.provenance) == named and EP in named
    as_json = json.loads(render(report, "json"))
    assert as_json["provenance"][EP]["event_ids"] == _ids(8, 11)
    markdown = render(report, "md")
    assert (f"| {EP} | cloudtrail | 2024-05-03T11:10:00Z | 2024-06-01T08:10:00Z | "
            f"{'; '.join(_ids(8, 11))} |") in markdown.splitlines()
    for result in sarif_log(report)["runs"][0]["results"]:
        props = result["properties"]
        assert set(props["provenance"]) == {r for r in props["resources"] if r in report.provenance}
