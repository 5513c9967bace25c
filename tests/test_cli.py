"""The Click CLI: thin commands, JSON that adds up, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import wcwidth
from click.testing import CliRunner
from helpers import FIXTURES

from graphgov.cli.app import main
from graphgov.demo import demo_questions
from graphgov.questions.catalog import ask
from graphgov.stores import open_store

STS = str(FIXTURES / "cloudtrail/iam-user-guide-sts.json")


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("GRAPHGOV_STORE", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)  # tables are cut to $COLUMNS: the tests choose it
    return CliRunner()


def test_load_json_summary_and_default_store(runner):
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["load", STS, "--format", "json", "--reference-time", "2026-01-02T03:04:05+01:00"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary == {"records": 3, "loaded": 2, "skipped": {"duplicate": 1}, "quarantined": 0, "files": 1,
                           "files_skipped": 0,
                           "skipped_events": {}, "nodes": 8, "edges": 7, "quarantine_file": None,
                           "quarantine_known": 0, "reference_time": "2026-01-02T02:04:05Z",
                           "access": {"policy_states": 0, "principals": 4, "targets": 0, "decisions": 0, "edges": {}}}
        import os

        assert os.path.exists(".graphgov/graph.db")  # the documented default
        again = json.loads(runner.invoke(main, ["load", STS, "--format", "json"]).output)  # the file is not read again
        assert (again["records"], again["files_skipped"], again["loaded"], again["nodes"]) == (0, 1, 0, 8)
        reread = json.loads(runner.invoke(main, ["load", STS, "--format", "json", "--reload"]).output)
        assert (reread["loaded"], reread["skipped"], reread["files_skipped"], reread["nodes"]) == (
            0, {"duplicate": 3}, 0, 8)


def test_store_precedence_flag_then_environment(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHGOV_STORE", str(tmp_path / "env.json.gz"))
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["load", STS]).exit_code == 0
        assert (tmp_path / "env.json.gz").exists()
        assert runner.invoke(main, ["load", STS, "--store", str(tmp_path / "flag.json.gz")]).exit_code == 0
        assert (tmp_path / "flag.json.gz").exists()
        import os

        assert not os.path.exists(".graphgov/graph.db")


def test_query_formats(runner, tmp_path):
    store = str(tmp_path / "g.json.gz")
    runner.invoke(main, ["load", STS, "--store", store])
    rows = json.loads(runner.invoke(main, ["query", "cross-account-assumptions", "--store", store,
                                           "--format", "json"]).output)
    assert [r["principal"] for r in rows] == ["arn:aws:iam::777788889999:user/JohnDoe"]
    out = runner.invoke(main, ["query", "principal-activity", "--param", "principal=JohnDoe", "--store", store,
                               "--format", "csv"]).output
    table = list(csv.DictReader(io.StringIO(out)))
    assert [(r["action"], r["target"], r["count"], r["cross_account"]) for r in table] == [
        ("ASSUMED_ROLE", "arn:aws:iam::111122223333:role/EC2-dev", "1", "True")]
    text = runner.invoke(main, ["query", "cross-account-assumptions", "--store", store]).output
    assert text.splitlines()[0].split() == ["principal", "principal_type", "principal_account", "role",
                                           "role_account", "count", "first_seen", "last_seen", "operations",
                                           "event_ids"]
    assert text.endswith("\n1 row\n")
    fitted = runner.invoke(main, ["query", "cross-account-assumptions", "--store", store], env={"COLUMNS": "60"})
    assert fitted.output == (
        "principal                  principal_type  principal_account\n"
        "-------------------------  --------------  -----------------\n"
        "arn:aws:iam:…user/JohnDoe  IAMUser         777788889999\n"
        "1 row\n"
        "cells cut (…) and columns role, role_account, count,\n"
        "first_seen, last_seen, operations, event_ids left out to fit\n"
        "60 characters; --format json or csv shows all\n")


def test_questions_listing(runner):
    listing = json.loads(runner.invoke(main, ["questions", "--format", "json"]).output)
    assert [q["id"] for q in listing] == [
        "access-at-training-time", "ai-inventory", "bedrock-invocations-without-logging", "cross-account-assumptions",
        "cross-account-exposure", "dataset-consumers", "endpoint-lineage", "endpoints-without-data-capture",
        "iam-changes-on-ai-roles", "logging-coverage", "model-lineage", "models-without-approved-package",
        "models-without-lineage", "object-readers", "personal-data-in-training", "principal-activity",
        "public-ai-data", "shadow-ai", "short-log-retention", "training-data-readers", "unencrypted-ai-artifacts"]
    assert listing[13]["params"]["bucket"]["required"] is True


@pytest.mark.parametrize(("args", "message"), [
    (["load", "/no/such/path"], "Error: no such file or directory: /no/such/path"),
    (["query", "nope"], "Error: unknown question 'nope' (known: access-at-training-time, ai-inventory, "
                        "bedrock-invocations-without-logging, cross-account-assumptions, cross-account-exposure, "
                        "dataset-consumers, endpoint-lineage, endpoints-without-data-capture, "
                        "iam-changes-on-ai-roles, logging-coverage, model-lineage, models-without-approved-package, "
                        "models-without-lineage, object-readers, personal-data-in-training, principal-activity, "
                        "public-ai-data, shadow-ai, short-log-retention, training-data-readers, "
                        "unencrypted-ai-artifacts)"),
    (["query", "object-readers"], "Error: object-readers: missing required parameter 'bucket' "
                                  "(bucket name, arn:aws:s3:::name or s3://name)"),
    (["query", "object-readers", "--param", "bucket"], "Error: Invalid value for --param: expected K=V, got 'bucket'"),
    (["query", "cross-account-assumptions", "--store", "bolt://127.0.0.1:1"], "Error: cannot reach Neo4j at "
                                                                              "bolt://127.0.0.1:1"),
    (["query", "cross-account-assumptions", "--store", "http://x"], "Error: unsupported store 'http://x'"),
    # no host: the driver would silently connect to 127.0.0.1:7687, maybe another server (issue 12)
    (["query", "cross-account-assumptions", "--store", "bolt://"], "Error: store 'bolt://' names no host: give one, "
                                                                    "e.g. bolt://127.0.0.1:7687"),
    (["load", "--store", "neo4j://:7687", "."], "Error: store 'neo4j://:7687' names no host"),
])
def test_errors_are_one_line_without_traceback(runner, tmp_path, args, message):
    if args[0] == "query" and "--store" not in args:
        args = [*args, "--store", str(tmp_path / "g.json.gz")]
    result = runner.invoke(main, args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith(message)
    assert len([line for line in lines if line.startswith("Error")]) == 1


@pytest.mark.parametrize("command", [["query", "cross-account-assumptions"], ["report"], ["lineage", "fraud-endpoint"]])
def test_reading_a_store_that_does_not_exist_is_an_error_not_an_empty_answer(runner, tmp_path, command):
    """A typo in --store (or another working directory) must not read as "nothing found" (issue 12)."""
    missing = tmp_path / "typo.json.gz"
    result = runner.invoke(main, [*command, "--store", str(missing)])
    assert (result.exit_code, result.output) == (
        1, f"Error: no embedded store at {missing} (nothing committed there yet): load into it first "
           f"(graphgov load --store {missing}), or give the store with --store or GRAPHGOV_STORE\n")
    assert not missing.exists()


def test_corrupt_embedded_store_is_a_clear_error(runner, tmp_path):
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"not gzip")
    result = runner.invoke(main, ["query", "cross-account-assumptions", "--store", str(bad)])
    assert result.exit_code == 1 and result.output.startswith(f"Error: cannot read embedded store {bad}")


def test_demo_generates_loads_and_reports_findings(runner):
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["demo"], env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        out = result.output
        lines = out.splitlines()
        # (figures since issue 11's generator plants: the management account's trail, more invocation logs)
        assert lines[5:18] == [
            "  read         2014 records: 1762 loaded, 249 skipped, 3 quarantined",
            "  skipped      14    cloudtrail_digest",
            "  skipped      3     duplicate",
            "  skipped      22    shared_event_copy",
            "  skipped      210   unsupported_event",
            "  quarantined  3     in .graphgov/demo/graph.quarantine.jsonl",
            "  graph        1028 nodes, 2808 edges",
            "",
            "Real AWS log samples (documentation examples) parsed:",
            "  read         103 records from 5 files: 23 loaded, 74 skipped, 6 quarantined",
            "  quarantined  6     in .graphgov/demo/graph-samples.quarantine.jsonl",
            "  kept apart   in .graphgov/demo/graph-samples.db, so none of the findings below",
            "               is theirs; to ask them:"]
        assert len(Path(".graphgov/demo/graph.quarantine.jsonl").read_text().splitlines()) == 3
        public = lines.index("$ graphgov query public-ai-data --store .graphgov/demo/graph.db")
        assert lines[public + 1:public + 9] == [
            "# AI data and model artifacts open to anyone [critical]",
            "resource                              resource_type  bucket               access",
            "------------------------------------  -------------  -------------------  ------",
            "s3://acme-models-…d/002/model.tar.gz  ModelArtifact  acme-models-serving  read",
            "1 row",
            "cells cut (…) and column via left out to fit 80 characters; --format json or csv",
            "shows all",
            ""]
        assert "# Personal and special-category data read by training [high]\n0 rows\n" in out
        assert "showing 8 of 42 rows; the command above shows all" in lines  # access-at-training-time
        assert "arn:aws:sagemaker:e…ud-manual-model-002  arn:aws:sagemaker:e…oint/fraud-endpoint" in lines
        assert lines[-9:] == [
            "Next steps:",
            "  Every control's verdict, on one page that opens offline:",
            "    graphgov report --framework all --format html --out report.html --store .graphgov/demo/graph.db",
            "  The lineage of the fraud endpoint, as a picture:",
            "    graphgov lineage fraud-endpoint --html lineage.html --store .graphgov/demo/graph.db",
            "  Your own CloudTrail logs, then the saved questions about them:",
            "    graphgov load <your CloudTrail folder>",
            "    graphgov questions",
            "    graphgov query <id>"]
        prose = [line for line in lines if not line.lstrip().startswith(("$ ", "graphgov "))]
        assert max(wcwidth.width(line) for line in prose) == 80  # only whole commands are wider
        again = runner.invoke(main, ["demo"], env={"COLUMNS": "80"})  # a second run replaces the first
        assert again.exit_code == 0 and again.output == out


def test_demo_findings_are_the_platforms_alone(runner, tmp_path, monkeypatch):
    """The bundled documentation samples (123456789012, JohnDoe, 2014) go to their own store, not the findings:
    every account any answer names (shown or not) is the generated platform's (graphgov.generate.constants)."""
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(main, ["demo"]).output
    findings = out[out.index("$ graphgov query ai-inventory"):]
    assert ("123456789012" in findings, "JohnDoe" in findings, "2014-" in findings) == (False, False, False)
    answers = []
    with open_store(".graphgov/demo/graph.db", read_only=True) as store:
        for question_id, params in demo_questions():
            answers.append(json.dumps(ask(store, question_id, params)))
    assert len(answers) == 18  # every question without a required parameter, and three with one
    assert sorted(set(re.findall(r"\b\d{12}\b", "".join(answers)))) == [
        "111111111111", "222222222222", "333333333333", "444444444444", "555555555555", "666666666666"]
    assert not any(sample in "".join(answers) for sample in ("123456789012", "111122223333", "777788889999"))
    samples = runner.invoke(main, ["query", "cross-account-assumptions", "--store",
                                   ".graphgov/demo/graph-samples.db", "--format", "json"])
    assert [row["principal"] for row in json.loads(samples.output)] == ["arn:aws:iam::777788889999:user/JohnDoe"]


def test_demo_help_states_the_store_it_builds(runner, tmp_path, monkeypatch):
    help_text = " ".join(runner.invoke(main, ["demo", "--help"]).output.split())
    default = re.search(r"\[default: (\S+)\]", help_text).group(1)
    assert default == ".graphgov/demo/graph.db"
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["demo"]).exit_code == 0
    assert sorted(str(p) for p in Path(".graphgov/demo").glob("*.db")) == [
        ".graphgov/demo/graph-samples.db", default]


def test_a_reader_that_has_gone_gets_no_error_message(runner, tmp_path):
    """`graphgov query ... | head`: once the reader has gone, the command stops quietly (exit 1), no "Error:"."""
    store = str(tmp_path / "g.json.gz")
    loaded = runner.invoke(main, ["load", STS, "--store", store, "--quarantine", str(tmp_path / "q.jsonl")])
    assert loaded.exit_code == 0
    root = str(Path(__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    reader = subprocess.Popen([sys.executable, "-m", "graphgov.cli", "query", "cross-account-assumptions", "--store",
                               store], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    reader.stdout.close()  # gone before the first line
    _, errors = reader.communicate(timeout=120)
    assert (reader.returncode, errors) == (1, b"")


def test_demo_tells_how_to_put_an_unactivated_venv_on_path(tmp_path: Path) -> None:
    """After the README's first command (`.venv/bin/graphgov demo`), `graphgov ...` in the next steps would
    not be found: the demo says how to reach it; run from PATH (or as a module) it says nothing."""
    from graphgov.demo import path_hint

    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    running = bin_dir / "graphgov"
    running.write_text("#!/bin/sh\n")
    assert path_hint(running, None) == (f"(graphgov is not on your PATH: run `export PATH=\"{bin_dir}:$PATH\"` "
                                        f"first, or type {running} in full.)")
    (bin_dir / "activate").write_text("")
    assert path_hint(running, "/usr/local/bin/graphgov") == (
        f"(graphgov is not on your PATH: run `source {bin_dir / 'activate'}` first, or type {running} in full.)")
    assert path_hint(running, str(running)) is None
    assert path_hint(tmp_path / "__main__.py", None) is None
