"""`graphgov load`'s summary names the events behind each skip reason (top 10, count then name).

The records follow the CloudTrail record contents reference
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
cloned from the CloudTrail User Guide's StartInstances example with the event source and name of each
API the model does not cover, and from the IAM User Guide's AssumeRole example for the modelled call.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import CLOUDTRAIL, iam_guide_sts_records

from graphgov.cli.app import main
from graphgov.ingest.pipeline import LoadSummary

# (event source, event name, records): 12 names the model does not cover, 30 records
UNSUPPORTED = [
    ("ec2.amazonaws.com", "StartInstances", 5), ("ec2.amazonaws.com", "StopInstances", 5),
    ("rds.amazonaws.com", "CreateDBSnapshot", 4), ("signin.amazonaws.com", "ConsoleLogin", 3),
    ("ec2.amazonaws.com", "DescribeInstances", 3), ("sns.amazonaws.com", "Publish", 2),
    ("ecr.amazonaws.com", "PutImage", 2), ("logs.amazonaws.com", "CreateLogGroup", 2),
    ("sqs.amazonaws.com", "SendMessage", 1), ("s3.amazonaws.com", "ListBuckets", 1),
    ("iam.amazonaws.com", "ListUsers", 1), ("ec2.amazonaws.com", "RunInstances", 1),
]
TOP_UNSUPPORTED = [  # count descending, then name: the last two names of count 1 fall outside the ten
    ("ec2.amazonaws.com:StartInstances", 5), ("ec2.amazonaws.com:StopInstances", 5),
    ("rds.amazonaws.com:CreateDBSnapshot", 4), ("ec2.amazonaws.com:DescribeInstances", 3),
    ("signin.amazonaws.com:ConsoleLogin", 3), ("ecr.amazonaws.com:PutImage", 2),
    ("logs.amazonaws.com:CreateLogGroup", 2), ("sns.amazonaws.com:Publish", 2),
    ("ec2.amazonaws.com:RunInstances", 1), ("iam.amazonaws.com:ListUsers", 1),
]


def start_instances() -> dict[str, Any]:
    for line in (CLOUDTRAIL / "cloudtrail-user-guide.jsonl").read_text().splitlines():
        for record in json.loads(line).get("Records", []):
            if record.get("eventName") == "StartInstances":
                return record
    raise KeyError("StartInstances")


def records() -> list[dict[str, Any]]:
    base, (requester, _owner, _chaining, *_rest) = start_instances(), iam_guide_sts_records()
    out = []
    for source, name, count in UNSUPPORTED:
        for index in range(count):
            out.append(dict(copy.deepcopy(base), eventSource=source, eventName=name, eventID=f"{name}-{index}"))
    for index in range(2):  # refused calls: the action did not happen
        out.append(dict(requester, eventID=f"denied-{index}", errorCode="AccessDenied", sharedEventID=None))
    out.append(dict(requester, sharedEventID=None))  # loaded ...
    out.append(dict(requester, sharedEventID=None))  # ... and delivered twice: a duplicate (no name: not a loader skip)
    return out


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    path = tmp_path / "trail.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records()))
    return path


def run(tmp_path: Path, logs: Path, *options: str) -> str:
    result = CliRunner().invoke(main, ["load", str(logs), "--store", str(tmp_path / "g.json.gz"),
                                       "--quarantine", str(tmp_path / "q.jsonl"), *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_json_summary_lists_the_top_ten_event_names_per_reason(tmp_path, logs):
    summary = json.loads(run(tmp_path, logs, "--format", "json"))
    assert {k: summary[k] for k in ("records", "loaded", "skipped", "quarantined")} == {
        "records": 34, "loaded": 1, "skipped": {"duplicate": 1, "failed_call": 2, "unsupported_event": 30},
        "quarantined": 0}
    assert summary["records"] == summary["loaded"] + sum(summary["skipped"].values()) + summary["quarantined"]
    assert summary["skipped_events"] == {
        "failed_call": [{"event": "sts.amazonaws.com:AssumeRole", "count": 2}],
        "unsupported_event": [{"event": name, "count": count} for name, count in TOP_UNSUPPORTED],
    }
    assert "duplicate" not in summary["skipped_events"]  # de-duplication names no event


def test_text_summary_lists_them_under_their_reason(tmp_path, logs):
    lines = run(tmp_path, logs).splitlines()
    start = lines.index("  skipped      30     unsupported_event")
    assert lines[start - 3:start + 13] == [
        "  skipped      1      duplicate",
        "  skipped      2      failed_call",
        "                 2      sts.amazonaws.com:AssumeRole",
        "  skipped      30     unsupported_event",
        *[f"                 {count:<6} {name}" for name, count in TOP_UNSUPPORTED],
        "                 ...    and 2 other event names",
        "  quarantined  0",
    ]


def test_ties_are_ordered_by_name_whatever_the_input_order():
    forward, backward = LoadSummary(), LoadSummary()
    names = [f"svc.amazonaws.com:Op{i:02d}" for i in range(15)]
    for name in names:
        forward.skip("unsupported_event", name)
    for name in reversed(names):
        backward.skip("unsupported_event", name)
    forward.skip("unsupported_event")  # a record without a name: counted, not listed
    assert forward.top_skipped_events() == backward.top_skipped_events() == {
        "unsupported_event": [{"event": name, "count": 1} for name in names[:10]]}
    assert (forward.skipped["unsupported_event"], backward.skipped["unsupported_event"]) == (16, 15)


def test_summary_names_the_reference_time_and_the_quarantine_entries_already_there(tmp_path, logs):
    with logs.open("a") as handle:
        handle.write('{"eventName": "cut short\n')
    options = ("--format", "json", "--reference-time", "2026-03-04T05:06:07Z", "--reload")
    first, second = (json.loads(run(tmp_path, logs, *options)) for _ in range(2))
    assert [(s["reference_time"], s["records"], s["quarantined"], s["quarantine_known"]) for s in (first, second)] == [
        ("2026-03-04T05:06:07Z", 35, 1, 0), ("2026-03-04T05:06:07Z", 35, 1, 1)]
    text = run(tmp_path, logs, "--reference-time", "2026-03-04T05:06:07Z", "--reload").splitlines()
    assert text[0] == (f"35 records from 1 file into embedded store {tmp_path / 'g.json.gz'}"
                       " (reference time 2026-03-04T05:06:07Z)")
    assert text[-2] == f"  quarantined  1  (see {tmp_path / 'q.jsonl'}; 1 of them already there)"


def test_a_rerun_says_how_many_files_were_loaded_before_and_reads_none_of_them(tmp_path, logs):
    options = ("--reference-time", "2026-03-04T05:06:07Z")
    first = run(tmp_path, logs, *options).splitlines()
    again = run(tmp_path, logs, *options).splitlines()
    assert first[0].startswith("34 records from 1 file into") and "already loaded" not in "\n".join(first)
    assert again[:3] == [f"0 records from 0 files into embedded store {tmp_path / 'g.json.gz'} (reference time "
                         "2026-03-04T05:06:07Z)", "  1 file already loaded, not read again (--reload reads them)",
                         "  loaded       0"]
    assert json.loads(run(tmp_path, logs, *options, "--format", "json"))["files_skipped"] == 1
