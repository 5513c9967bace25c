"""The Click CLI: thin commands, JSON that adds up, one-line errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from helpers import FIXTURES

from graphgov.cli.app import main

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
                           "skipped_events": {}, "nodes": 8, "edges": 7, "quarantine_file": None,
                           "quarantine_known": 0, "reference_time": "2026-01-02T02:04:05Z",
                           "access": {"policy_states": 0, "principals": 4, "targets": 0, "decisions": 0, "edges": {}}}
        import os

        assert os.path.exists(".graphgov/graph.json.gz")  # the documented default
        again = json.loads(runner.invoke(main, ["load", STS, "--format", "json"]).output)
        assert (again["loaded"], again["skipped"], again["nodes"]) == (0, {"duplicate": 3}, 8)


def test_store_precedence_flag_then_environment(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHGOV_STORE", str(tmp_path / "env.json.gz"))
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["load", STS]).exit_code == 0
        assert (tmp_path / "env.json.gz").exists()
        assert runner.invoke(main, ["load", STS, "--store", str(tmp_path / "flag.json.gz")]).exit_code == 0
        assert (tmp_path / "flag.json.gz").exists()
        import os

        assert not os.path.exists(".graphgov/graph.json.gz")


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
        result = runner.invoke(main, ["demo"])
        assert result.exit_code == 0, result.output
        out = result.output
        # (figures since issue 11's generator plants: the management account's trail, more invocation logs)
        assert "  2117 records from 184 files: 1785 loaded, 323 skipped, 9 quarantined" in out
        assert "# AI data and model artifacts open to anyone [critical]: 1 rows" in out
        assert "# Who could read a job's training data when it ran [high]: 42 rows" in out
        assert "# Models in use with no known training data [high]: 1 rows" in out
        assert "arn:aws:sagemaker:eu-west-1:333333333333:model/fraud-manual-model-002" in out
        assert "# Which data trained the model behind an endpoint [high]: 4 rows" in out
        assert "arn:aws:iam::777788889999:user/JohnDoe" in out  # from the bundled real samples
        again = runner.invoke(main, ["demo"])  # a second run replaces the first: same answers
        assert again.exit_code == 0 and again.output == out
