import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from graph_dump import dump
from helpers import iam_guide_sts_records, write_json

from graphgov.aws.session import iso_time
from graphgov.cli.app import main
from graphgov.core.delta import GraphDelta
from graphgov.core.times import TimeWindow, format_utc, to_utc_iso
from graphgov.ingest.pipeline import load_deltas, load_paths
from loaders.resource_policies import response_time


@pytest.mark.parametrize(("raw", "iso"), [
    ("2014-07-18T15:07:39Z", "2014-07-18T15:07:39Z"),
    ("2025-01-21 17:49:47.000000000", "2025-01-21T17:49:47Z"),  # vendor export
    ("2022-02-08 09:23:37+11:00", "2022-02-07T22:23:37Z"),  # LookupEvents local time
    ("2020-11-05 21:21:46Z", "2020-11-05T21:21:46Z"),
    (1583425836114, "2020-03-05T16:30:36Z"),  # epoch ms
    ("1737735732", "2025-01-24T16:22:12Z"),  # epoch s as string
])
def test_times_normalise_to_fixed_width_utc(raw, iso):
    assert to_utc_iso(raw) == iso


@pytest.mark.parametrize("bad", [None, "", "Jul 18, 2023, 4:07:39 PM", "yesterday", True])
def test_unreadable_times_raise(bad):
    with pytest.raises(ValueError):
        to_utc_iso(bad)


# --- issue 12: zero-padded years, the plausible window, the load's reference time -------------------------

REFERENCE = "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(("raw", "iso"), [
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),  # was 1-01-01T00:00:00Z
    ("0999-12-31 23:59:59", "0999-12-31T23:59:59Z"),
    ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
])
def test_years_are_always_four_digits(raw, iso):
    assert to_utc_iso(raw) == iso


def test_every_formatter_pads_the_year():
    assert format_utc(datetime(1, 2, 3, 4, 5, 6)) == "0001-02-03T04:05:06Z"
    assert iso_time(datetime(12, 1, 1, tzinfo=timezone.utc)) == "0012-01-01T00:00:00Z"
    assert response_time("Jan 1, 0001, 12:00:00 AM") == "0001-01-01T00:00:00Z"  # responseElements dates


def test_a_time_out_of_range_is_an_error_that_does_not_quote_the_whole_value():
    with pytest.raises(ValueError, match=r"^timestamp out of range: '0001-01-01T00:00:00\+05:00'$"):
        to_utc_iso("0001-01-01T00:00:00+05:00")
    with pytest.raises(ValueError) as error:
        to_utc_iso("x" * 500)
    assert str(error.value) == "unreadable timestamp: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (502 chars)"


@pytest.mark.parametrize(("time", "plausible"), [
    ("2012-12-31T23:59:59Z", False),
    ("2013-01-01T00:00:00Z", True),
    ("2026-01-02T00:00:00Z", True),  # the reference time + 1 day
    ("2026-01-02T00:00:01Z", False),
    ("0001-01-01T00:00:00Z", False),
    ("9999-12-31T23:59:59Z", False),
    ("2020-01-01 00:00:00+01:00", True),  # any form to_utc_iso reads
    ("garbage", False),
])
def test_the_plausible_window(time, plausible):
    window = TimeWindow.at(REFERENCE)
    assert (window.reference, window.latest) == (REFERENCE, "2026-01-02T00:00:00Z")
    assert window.plausible(time) is plausible


def test_the_reference_time_defaults_to_now_and_reads_any_form():
    before = format_utc(datetime.now(timezone.utc))
    assert before <= TimeWindow.at().reference <= format_utc(datetime.now(timezone.utc))
    assert TimeWindow.at("2026-01-01 01:00:00+01:00").reference == REFERENCE
    assert TimeWindow.at(datetime(2026, 1, 1, tzinfo=timezone.utc)).reference == REFERENCE
    assert TimeWindow.at("9999-12-31T23:59:59Z").latest == "9999-12-31T23:59:59Z"
    with pytest.raises(ValueError):
        TimeWindow.at("soon")


def _chaining_at(times: list[str]) -> dict:
    """The IAM guide's role-chaining AssumeRole, once per time, each with its own eventID."""
    chaining = iam_guide_sts_records()[2]
    records = []
    for index, time in enumerate(times):
        record = copy.deepcopy(chaining)
        record["eventID"] = f"71e00000-0000-4000-8000-{index:012d}"
        record["eventTime"] = time
        records.append(record)
    return {"Records": records}


TIMES = ["0001-01-01T00:00:00Z", "2012-12-31T23:59:59Z", "2013-01-01T00:00:00Z", "2026-01-02T00:00:00Z",
         "2026-01-02T00:00:01Z", "9999-12-31T23:59:59Z", "1-01-01T00:00:00Z"]


def test_implausible_times_are_skipped_with_a_named_reason(store, tmp_path):
    path = write_json(tmp_path / "times.json", _chaining_at(TIMES))
    summary = load_paths([path], store, tmp_path / "q.jsonl", reference_time=REFERENCE)
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (
        7, 2, {"implausible_time": 4}, 1)  # "1-01-01..." is no ISO time at all: quarantined with its error
    assert summary.top_skipped_events() == {"implausible_time": [{"event": "sts.amazonaws.com:AssumeRole",
                                                                  "count": 4}]}
    assert summary.reference_time == REFERENCE
    (entry,) = [json.loads(line) for line in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert entry["error"] == "sts.amazonaws.com AssumeRole: unreadable timestamp: '1-01-01T00:00:00Z'"
    edges = [json.loads(e) for e in dump(store)["edges"]]
    assert {(e["type"], e["first_seen"], e["last_seen"]) for e in edges} == {
        ("ASSUMED_ROLE", "2013-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
        ("RESOURCE", "2013-01-01T00:00:00Z", "2026-01-02T00:00:00Z")}
    assert [e["count"] for e in edges if e["type"] == "ASSUMED_ROLE"] == [2]


def test_deltas_a_puller_builds_are_held_to_the_same_window(embedded_store, tmp_path):
    deltas = [GraphDelta(source="test", event_id=str(i), event_key=f"t:{i}", action_key=f"t:{i}", time=time)
              for i, time in enumerate(["2010-06-01T00:00:00Z", "2020-06-01T00:00:00Z", "2027-01-01T00:00:00Z"])]
    summary = load_deltas(deltas, embedded_store, tmp_path / "q.jsonl", reference_time=REFERENCE)
    assert (summary.records, summary.loaded, dict(summary.skipped)) == (3, 1, {"implausible_time": 2})
    assert summary.skipped_events == {"implausible_time": {"test": 2}}


def test_cli_reference_time_reproduces_a_load(tmp_path: Path):
    path = write_json(tmp_path / "times.json", _chaining_at(TIMES))
    runner = CliRunner()
    summaries = []
    reference = "2026-01-01T01:00:00+01:00"  # the second load is given the first one's summary value
    for name in ("a", "b"):
        result = runner.invoke(main, ["load", str(path), "--store", str(tmp_path / f"{name}.json.gz"),
                                      "--quarantine", str(tmp_path / f"{name}.jsonl"), "--format", "json",
                                      "--reference-time", reference])
        assert result.exit_code == 0, result.output
        summaries.append(json.loads(result.stdout))
        reference = summaries[0]["reference_time"]
    first, second = summaries
    assert first["reference_time"] == REFERENCE
    assert {k: v for k, v in first.items() if k != "quarantine_file"} == {
        k: v for k, v in second.items() if k != "quarantine_file"}
    assert first["skipped"] == {"implausible_time": 4}
    text = runner.invoke(main, ["load", str(path), "--store", str(tmp_path / "c.json.gz"),
                                "--quarantine", str(tmp_path / "c.jsonl"), "--reference-time", REFERENCE])
    assert text.stdout.splitlines()[0] == (f"7 records from 1 file into embedded store {tmp_path / 'c.json.gz'}"
                                           f" (reference time {REFERENCE})")
    bad = runner.invoke(main, ["load", str(path), "--reference-time", "tomorrow"])
    assert bad.exit_code == 2
    assert bad.output.endswith("Error: Invalid value for --reference-time: unreadable timestamp: 'tomorrow'\n")
