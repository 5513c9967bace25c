"""Long answers grouped for people (graphgov.questions.grouping): the pure function, `--param summary`, the table,
Markdown, HTML and SARIF forms, and the same groups from both stores."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import FIXTURES

from graphgov.cli.app import main
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import Grouping, QuestionError, ask, get_question
from graphgov.questions.controls import build_report
from graphgov.questions.grouping import group_rows, grouped_for, take_summary
from graphgov.report.html import render_html
from graphgov.report.render import cap_results, render_markdown, sarif_log
from graphgov.stores.embedded import EmbeddedStore

HIGH_SET = [*sorted((FIXTURES / "access").glob("*.json")), FIXTURES / "lineage" / "sagemaker-prep.json"]
EXPOSURE = Grouping(by=("resource", "principal_account", "access"), member="principal", merge=("via",))


def _row(resource: str, principal: str, account: str | None, access: str, via: list[str]) -> dict:
    return {"resource": resource, "resource_account": "111111111111", "principal": principal,
            "principal_account": account, "access": access, "via": via}


ROWS = [
    _row("s3://d/train/", "arn:aws:iam::222222222222:role/D", "222222222222", "potential", ["bucket-policy:d#A"]),
    _row("s3://d/train/", "arn:aws:iam::222222222222:role/A", "222222222222", "potential", ["bucket-policy:d#A"]),
    _row("s3://d/train/", "arn:aws:iam::222222222222:role/C", "222222222222", "potential", ["assume:x", "trust:x#T"]),
    _row("s3://d/train/", "arn:aws:iam::222222222222:role/B", "222222222222", "potential", ["bucket-policy:d#A"]),
    _row("s3://d/train/", "arn:aws:iam::222222222222:role/E", "222222222222", "unknown", ["unknown:bucket-policy:d"]),
    _row("s3://d/train/", "arn:aws:iam::222222222222:role/F", "222222222222", "conditional", ["bucket-policy:d#C"]),
    _row("s3://d/train/", "*", None, "potential", ["bucket-policy:d#Public"]),
]


def test_groups_count_members_name_a_sorted_sample_and_unite_the_merged_lists():
    assert group_rows(EXPOSURE, ROWS) == [
        {"resource": "s3://d/train/", "principal_account": None, "access": "potential", "principals": 1,
         "sample": ["*"], "resource_account": "111111111111", "via": ["bucket-policy:d#Public"]},
        {"resource": "s3://d/train/", "principal_account": "222222222222", "access": "conditional", "principals": 1,
         "sample": ["arn:aws:iam::222222222222:role/F"], "resource_account": "111111111111",
         "via": ["bucket-policy:d#C"]},
        {"resource": "s3://d/train/", "principal_account": "222222222222", "access": "potential", "principals": 4,
         "sample": ["arn:aws:iam::222222222222:role/A", "arn:aws:iam::222222222222:role/B",
                    "arn:aws:iam::222222222222:role/C"],
         "resource_account": "111111111111", "via": ["assume:x", "bucket-policy:d#A", "trust:x#T"]},
        {"resource": "s3://d/train/", "principal_account": "222222222222", "access": "unknown", "principals": 1,
         "sample": ["arn:aws:iam::222222222222:role/E"], "resource_account": "111111111111",
         "via": ["unknown:bucket-policy:d"]},
    ]


def test_groups_do_not_depend_on_the_order_of_the_rows():
    shuffled = list(ROWS)
    random.Random(7).shuffle(shuffled)
    assert group_rows(EXPOSURE, shuffled) == group_rows(EXPOSURE, ROWS)


def test_a_carried_column_that_varies_splits_the_group_instead_of_hiding_a_value():
    rows = [ROWS[0], {**ROWS[1], "resource_account": "999999999999"}]
    assert [(g["resource_account"], g["principals"]) for g in group_rows(EXPOSURE, rows)] == [
        ("999999999999", 1), ("111111111111", 1)]  # ordered by sample (role/A before role/D)


def test_grouping_by_a_missing_column_is_refused():
    with pytest.raises(QuestionError, match="missing column"):
        group_rows(Grouping(by=("bucket",), member="principal"), ROWS)


def test_the_two_long_answers_declare_their_groups_in_their_headers():
    assert get_question("cross-account-exposure").group == EXPOSURE
    assert get_question("training-data-readers").group == Grouping(
        by=("dataset", "account", "access"), member="principal", merge=("via",))
    assert get_question("object-readers").group is None


def test_summary_parameter_is_taken_out_checked_and_refused_where_nothing_groups():
    exposure = get_question("cross-account-exposure")
    assert take_summary(exposure, {"summary": "TRUE"}) == ({}, True)
    assert take_summary(exposure, {"summary": "false"}) == ({}, False)
    assert take_summary(exposure, {}) == ({}, None)
    with pytest.raises(QuestionError, match="must be true or false, got 'maybe'"):
        take_summary(exposure, {"summary": "maybe"})
    with pytest.raises(QuestionError, match="object-readers: parameter 'summary' groups rows"):
        take_summary(get_question("object-readers"), {"bucket": "b", "summary": "true"})
    assert [grouped_for(exposure, f) is not None for f in ("table", "md", "html", "sarif", "json", "csv")] == [
        True, True, True, True, False, False]
    assert (grouped_for(exposure, "json", True), grouped_for(exposure, "table", False)) == (EXPOSURE, None)


@pytest.fixture(scope="module")
def high_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("high")
    store = EmbeddedStore(tmp / "graph.json.gz")
    load_paths(HIGH_SET, store, tmp / "quarantine.jsonl")
    store.close()
    return tmp / "graph.json.gz"


def _query(high_file: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["query", *args, "--store", str(high_file)], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def test_query_table_shows_groups_and_says_how_to_list_every_principal(high_file):
    lines = _query(high_file, "training-data-readers").splitlines()
    assert lines[0].split() == ["dataset", "account", "access", "principals", "sample"]
    # cut to fit, a sample shows its first member and how many more, not two ARNs cut into one
    assert lines[4].split() == ["s3://acme-data-a/fraud/train", "111122223333", "unknown", "3",
                                "arn:aws:iam::1…le/Analyst", "(+2)"]
    assert lines[11].split() == ["s3://acme-datasets-pub/churn/", "potential", "2", "*", "(+1)"]
    whole = CliRunner().invoke(main, ["query", "training-data-readers", "--store", str(high_file)]).output
    assert "*;sagemaker.amazonaws.com" in whole.splitlines()[11]  # piped, nothing is cut: the whole sample
    assert lines[-3:] == [
        "28 groups of 31 rows (one per principal, grouped by dataset, account, access); --param summary=false",
        "lists every principal",
        "cells cut (…) and column via left out to fit 100 characters; --format json or csv shows all"]
    every = _query(high_file, "training-data-readers", "--param", "summary=false").splitlines()
    assert every[0].split()[:3] == ["dataset", "principal", "account"]
    assert every[-2] == "31 rows"


def test_query_json_and_csv_keep_one_row_per_principal_unless_asked_for_the_summary(high_file):
    rows = json.loads(_query(high_file, "cross-account-exposure", "--format", "json"))
    assert len(rows) == 10 and {"principal", "via"} <= set(rows[0])
    groups = json.loads(_query(high_file, "cross-account-exposure", "--format", "json", "--param", "summary=true"))
    assert len(groups) == 10  # each principal of the fixture is alone in its group
    assert groups[5] == {"resource": "s3://acme-training-data/fraud/", "principal_account": "999999999999",
                         "access": "conditional", "principals": 1, "sample": ["arn:aws:iam::999999999999:root"],
                         "resource_account": "222222222222",
                         "via": ["arn:aws:iam::222222222222:role/DataAccess#inline:ReadTrainingData#ReadFraudAndShared",
                                 "assume:arn:aws:iam::222222222222:role/DataAccess",
                                 "trust:arn:aws:iam::222222222222:role/DataAccess#Vendor"]}
    csv_lines = _query(high_file, "training-data-readers", "--format", "csv", "--param", "summary=true").splitlines()
    assert csv_lines[0] == "dataset,account,access,principals,sample,via"
    assert csv_lines[10] == ("s3://acme-datasets-pub/churn/,,potential,2,*;sagemaker.amazonaws.com,"
                             "assume:arn:aws:iam::333333333333:role/ChurnTraining;bucket-policy:acme-datasets-pub#"
                             "PublicChurn;trust:arn:aws:iam::333333333333:role/ChurnTraining#0")
    assert len(_query(high_file, "training-data-readers", "--format", "csv").splitlines()) == 1 + 31


def test_query_refuses_summary_for_a_question_that_does_not_group(high_file):
    result = CliRunner().invoke(main, ["query", "cross-account-assumptions", "--param", "summary=true",
                                       "--store", str(high_file)])
    assert result.exit_code != 0
    assert "cross-account-assumptions: parameter 'summary' groups rows" in result.output


@pytest.fixture(scope="module")
def high_report(high_file: Path):
    with EmbeddedStore(high_file, read_only=True) as store:
        return build_report(store, "all")


def test_markdown_and_html_reports_show_groups_with_every_row_still_in_the_json(high_report):
    markdown = render_markdown(high_report)
    section = markdown.split("### `training-data-readers`")[1].split("### `")[0]
    assert ("Shown as 28 groups of 31 rows (one per principal, grouped by dataset, account, access), naming the "
            "first 3 of each group; `graphgov query training-data-readers --format json` and the JSON report "
            "list every principal.") in section
    assert "| dataset | account | access | principals | sample | via |" in section
    assert "| s3://acme-datasets-pub/churn/ |  | potential | 2 | *; sagemaker.amazonaws.com |" in section
    assert "11 rows have access `unknown`" in section  # counted per principal (9 groups), as the rows are
    page = render_html(high_report)
    assert page.count('<p class="muted grouped">Shown as 28 groups of 31 rows') == 1
    assert len(high_report.questions["training-data-readers"].rows) == 31


def test_sarif_gives_one_result_per_group_with_a_fingerprint_of_the_group(high_report):
    results = sarif_log(high_report)["runs"][0]["results"]
    exposure = [r for r in results if r["ruleId"] == "cross-account-exposure"]
    assert len(exposure) == 10
    assert exposure[5]["message"]["text"] == (
        "AI assets exposed to other accounts: resource s3://acme-training-data/fraud/, principal_account "
        "999999999999, access conditional: 1 principal (e.g. arn:aws:iam::999999999999:root)")
    assert len({r["partialFingerprints"]["graphgovFinding/v1"] for r in exposure}) == 10


def test_sarif_past_its_limit_keeps_the_most_severe_and_says_what_it_left_out(high_report):
    full = sarif_log(high_report)["runs"][0]["results"]
    capped = sarif_log(high_report, limit=5)["runs"][0]
    assert len(full) > 5 and len(capped["results"]) == 5
    note = capped["results"][-1]
    assert note["ruleId"] == "graphgov-results-left-out" and note["level"] == "warning"
    assert capped["tool"]["driver"]["rules"][note["ruleIndex"]]["id"] == "graphgov-results-left-out"
    kept = [r["level"] for r in capped["results"][:-1]]
    assert kept == ["error"] * 4
    assert sum(note["properties"]["left_out"].values()) == len(full) - 4
    assert note["message"]["text"].startswith(f"{len(full) - 4} of {len(full)} results left out to stay within 5 (")


def test_cap_results_leaves_a_short_list_alone():
    results = [{"ruleId": "q", "level": "note"}] * 3
    assert cap_results(results, 0, limit=3) == results


def test_both_stores_give_the_same_groups(store, tmp_path):
    load_paths(HIGH_SET, store, tmp_path / "quarantine.jsonl")
    exposure = group_rows(EXPOSURE, ask(store, "cross-account-exposure"))
    assert exposure[0] == {
        "resource": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "principal_account": "444455556666", "access": "potential", "principals": 1,
        "sample": ["arn:aws:iam::444455556666:role/PartnerAnalyst"], "resource_account": "111122223333",
        "via": ["assume:arn:aws:iam::111122223333:role/Trainer", "context:observed-call-only",
                "identity-not-known:444455556666#assumed",
                "observed:cloudtrail:Decrypt@2026-04-03T08:10:00Z#kms00000-0000-4000-8000-000000000014",
                "trust:arn:aws:iam::111122223333:role/Trainer#Partner"]}
    assert [(g["resource"], g["principal_account"], g["access"], g["principals"]) for g in exposure[1:]] == [
        ("s3://acme-datasets-pub/churn/", None, "potential", 1),
        ("s3://acme-datasets-pub/internal/", None, "potential", 1),
        ("s3://acme-training-data/fraud/", "111111111111", "observed", 1),
        ("s3://acme-training-data/fraud/", "111111111111", "potential", 1),
        ("s3://acme-training-data/fraud/", "999999999999", "conditional", 1),
        ("s3://acme-training-data/shared/", "111111111111", "potential", 1),
        ("s3://acme-training-data/shared/", "999999999999", "conditional", 1),
        ("s3://acme-training-data/shared/", "999999999999", "potential", 1),
        ("s3://kms-data/train/", "444455556666", "potential", 1)]
    readers = group_rows(get_question("training-data-readers").group, ask(store, "training-data-readers"))
    assert [(g["dataset"], g["account"], g["access"], g["principals"], g["sample"]) for g in readers[:3]] == [
        ("s3://acme-data-a/fraud/train", None, "unknown", 1, ["sagemaker.amazonaws.com"]),
        ("s3://acme-data-a/fraud/train", "111111111111", "unknown", 1, ["arn:aws:iam::111111111111:role/TrainingRole"]),
        ("s3://acme-data-a/fraud/train", "111122223333", "unknown", 3,
         ["arn:aws:iam::111122223333:role/Analyst", "arn:aws:iam::111122223333:role/Auditor",
          "arn:aws:iam::111122223333:role/Trainer"])]
    assert len(readers) == 28
