"""graphgov.ingest.quarantine: each entry written once, whatever file or wrapper the record came through."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from click.testing import CliRunner
from helpers import iam_guide_sts_records, write_json

from graphgov.cli.app import main
from graphgov.ingest.pipeline import load_paths
from graphgov.ingest.quarantine import Quarantine, entry_hash


def _entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_entry_is_keyed_by_record_and_error_not_location(tmp_path):
    path = tmp_path / "q.jsonl"
    quarantine = Quarantine(path)
    quarantine.add("a.json:1", "no eventID", {"eventName": "X", "password": "p"})
    quarantine.add("b.json:7", "no eventID", {"eventName": "X", "password": "p"})  # the same record elsewhere
    quarantine.add("a.json:2", "no eventTime", {"eventName": "X", "password": "p"})  # another error
    quarantine.close()
    entries = _entries(path)
    assert [(e["location"], e["error"]) for e in entries] == [("a.json:1", "no eventID"), ("a.json:2", "no eventTime")]
    assert entries[0]["hash"] == entry_hash("no eventID", entries[0]["record"])
    assert quarantine.known == 1


def test_a_rerun_adds_nothing_and_says_so(embedded_store, tmp_path):
    broken = copy.deepcopy(iam_guide_sts_records()[2])
    del broken["eventID"]
    inputs = tmp_path / "in"
    write_json(inputs / "records.json", {"Records": [broken]})
    # JSON Lines by the readers' majority rule (half the lines parse), so each bad line is one entry
    (inputs / "lines.jsonl").write_text(json.dumps(iam_guide_sts_records()[0]) + "\n" +
                                        json.dumps(iam_guide_sts_records()[1]) + "\nnot json\n{\"cut\": \n")
    quarantine = tmp_path / "q.jsonl"
    first = load_paths([inputs], embedded_store, quarantine)
    size = quarantine.stat().st_size
    second = load_paths([inputs], embedded_store, quarantine)
    assert quarantine.stat().st_size == size
    assert len(_entries(quarantine)) == 3
    assert (first.records, first.quarantined, first.quarantine_known) == (5, 3, 0)
    assert (second.records, second.quarantined, second.quarantine_known) == (5, 3, 3)  # counts add up per run
    assert second.balanced
    result = CliRunner().invoke(main, ["load", str(inputs), "--store", str(tmp_path / "cli.json.gz"),
                                       "--quarantine", str(quarantine)])
    assert result.exit_code == 0, result.output
    assert f"  quarantined  3  (see {quarantine}; 3 of them already there)" in result.stdout.splitlines()


def test_entries_written_before_hashes_existed_and_a_torn_line_are_handled(tmp_path):
    path = tmp_path / "q.jsonl"
    legacy = {"location": "old.json:1", "error": "no eventID", "record": {"eventName": "X"}}
    path.write_text(json.dumps(legacy) + "\n" + '{"location": "killed mid-wri')
    quarantine = Quarantine(path)
    quarantine.add("new.json:3", "no eventID", {"eventName": "X"})  # the legacy entry: known
    quarantine.add("new.json:4", "no eventID", {"eventName": "Y"})
    quarantine.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and lines[1] == '{"location": "killed mid-wri'
    assert json.loads(lines[2])["record"] == {"eventName": "Y"}  # on a line of its own
    assert quarantine.known == 1


def test_the_location_and_error_are_redacted_too(tmp_path):
    path = tmp_path / "q.jsonl"
    quarantine = Quarantine(path)
    quarantine.add("s3://b/k?X-Amz-Security-Token=abc", "bad value 'password=hunter2'", "x")
    quarantine.close()
    (entry,) = _entries(path)
    assert "abc" not in entry["location"] and "hunter2" not in entry["error"]
    assert entry["error"] == "bad value 'password=<redacted secret by graphgov: sha256 f52fbd32, 7 chars>'"


def test_an_entry_without_a_record_is_identified_by_its_location(tmp_path):
    path = tmp_path / "q.jsonl"
    quarantine = Quarantine(path)
    for location in ("data-bkt", "trail-bkt", "data-bkt"):  # a pull that failed on two buckets, then again
        quarantine.add(location, "s3:GetBucketLifecycleConfiguration failed: InternalError", None)
    quarantine.close()
    assert [e["location"] for e in _entries(path)] == ["data-bkt", "trail-bkt"]
    assert quarantine.known == 1
