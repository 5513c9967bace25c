"""The load path's shortcuts change nothing but the cost: the cheap test before parsing agrees with the full
parse, files loaded before are not read again (and are read again once changed, or with `reload`), parse
workers load the same graph as one process, memoised principals are shared read-only, and a parse worker that
dies stops the load with a clean error and a usable store.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from graph_dump import dump

from graphgov.core.delta import Skip
from graphgov.generate import generate
from graphgov.ingest.file_loads import input_file
from graphgov.ingest.pipeline import load_paths, parse_record
from graphgov.ingest.readers import expand_paths, read_path
from graphgov.stores.embedded import EmbeddedStore
from loaders.identity import FrozenProps, from_user_identity
from loaders.registry import unmodelled

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
REFERENCE = "2026-12-07T00:00:00Z"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    generate(root, seed=0, records=1000)
    return root


def _summary(summary) -> dict:
    found = summary.as_dict()
    found.pop("quarantine_file")
    return found


def test_the_cheap_test_before_parsing_agrees_with_the_full_parse_on_every_fixture_record():
    decided = parsed = 0
    reasons: dict[str, int] = {}
    for path in expand_paths([FIXTURES]):
        for raw in read_path(path):
            if raw.error or raw.skip:
                continue
            early = unmodelled(raw.kind, raw.record)
            try:
                parse_record(raw, {})
                full = None
            except Skip as skip:
                full = skip.reason
            except Exception:  # noqa: BLE001 - quarantined by the full parse: the early test must not decide it
                full = "<quarantined>"
            parsed += 1
            if early is not None:
                decided += 1
                reasons[early] = reasons.get(early, 0) + 1
                assert full == early, f"{raw.location}: early {early}, full parse {full}"
            else:  # what the early test leaves to the parse is never a skip it could have decided
                assert full not in ("unsupported_event", "insight_event", "unsupported_operation"), raw.location
                assert not (full or "").startswith("unsupported_source:"), raw.location
    assert (parsed, decided) == (959, 474)  # every record of tests/fixtures a loader is asked about
    assert reasons == {"unsupported_event": 472, "unsupported_operation": 2}


def test_a_file_loaded_before_is_not_read_again_until_it_changes_or_reload_asks(store, corpus, tmp_path):
    files = expand_paths([corpus])
    first = load_paths([corpus], store, tmp_path / "q.jsonl", reference_time=REFERENCE, skip_loaded=True)
    graph = dump(store)

    again = load_paths([corpus], store, tmp_path / "q.jsonl", reference_time=REFERENCE, skip_loaded=True)
    assert (again.records, again.loaded, again.files, again.files_skipped) == (0, 0, 0, len(files))
    assert sum(again.skipped.values()) == 0 and again.quarantined == 0 and again.balanced
    assert dump(store) == graph

    changed = next(path for path in files if path.name.endswith(".json.gz") and "cloudtrail" in str(path))
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 1_000_000_000))
    records = len(list(read_path(changed)))
    third = load_paths([corpus], store, tmp_path / "q.jsonl", reference_time=REFERENCE, skip_loaded=True)
    assert (third.records, third.loaded, third.files, third.files_skipped) == (records, 0, 1, len(files) - 1)
    assert dump(store) == graph

    forced = load_paths([corpus], store, tmp_path / "q.jsonl", reference_time=REFERENCE)
    assert (forced.records, forced.loaded, forced.files, forced.files_skipped) == (first.records, 0, len(files), 0)
    assert forced.quarantined == first.quarantined and forced.balanced
    assert forced.skipped["duplicate"] + forced.skipped["shared_event_copy"] == first.loaded + first.skipped[
        "duplicate"] + first.skipped["shared_event_copy"]
    assert dump(store) == graph


def test_a_files_marker_names_its_real_path_however_it_is_reached(tmp_path, monkeypatch):
    """Folders are resolved once per walk; a file's marker is still the one Path.resolve gives: through a
    symlinked folder, a symlinked file, `..` after a symlink, and relative to the working directory."""
    (tmp_path / "real").mkdir()
    (tmp_path / "other" / "deep").mkdir(parents=True)
    (tmp_path / "real" / "a.json").write_text("{}")
    (tmp_path / "other" / "a.json").write_text("{}")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "sub").symlink_to(tmp_path / "other" / "deep")
    (tmp_path / "real" / "b.json").symlink_to(tmp_path / "real" / "a.json")
    monkeypatch.chdir(tmp_path)
    cases = [tmp_path / "link" / "a.json", tmp_path / "link" / "b.json", Path(f"{tmp_path}/real/sub/../a.json"),
             Path("link/a.json"), Path("real/a.json")]
    folders: dict[str, str] = {}
    real = [input_file(path, folders).marker.split(":")[1] for path in cases]
    a, other = str((tmp_path / "real" / "a.json").resolve()), str((tmp_path / "other" / "a.json").resolve())
    assert real == [a, a, other, a, a]
    assert real == [str(path.resolve()) for path in cases]


def test_a_file_with_a_record_of_implausible_time_is_read_again(tmp_path):
    log = tmp_path / "trail.json"
    record = {"eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
              "eventID": "e-1", "eventTime": "2030-01-01T00:00:00Z", "awsRegion": "us-east-1",
              "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice",
                               "accountId": "111122223333"},
              "requestParameters": {"roleArn": "arn:aws:iam::111122223333:role/r"}}
    log.write_text(json.dumps({"Records": [record]}))
    store = EmbeddedStore(tmp_path / "g.json.gz")
    first = load_paths([log], store, tmp_path / "q.jsonl", reference_time=REFERENCE, skip_loaded=True)
    later = load_paths([log], store, tmp_path / "q.jsonl", reference_time="2030-06-01T00:00:00Z", skip_loaded=True)
    assert (first.records, dict(first.skipped), first.loaded) == (1, {"implausible_time": 1}, 0)
    assert (later.records, later.loaded, later.files, later.files_skipped) == (1, 1, 1, 0)
    assert load_paths([log], store, tmp_path / "q.jsonl", reference_time="2030-06-01T00:00:00Z",
                      skip_loaded=True).files_skipped == 1


@pytest.mark.parametrize("source", ["corpus", "fixtures"])
def test_two_parse_workers_load_the_same_graph_and_account_as_one(source, corpus, tmp_path):
    root = corpus if source == "corpus" else FIXTURES
    results = {}
    for workers in (1, 2):
        store = EmbeddedStore(tmp_path / f"g{workers}.json.gz")
        quarantine = tmp_path / f"q{workers}.jsonl"
        summary = load_paths([root], store, quarantine, reference_time=REFERENCE, workers=workers)
        entries = quarantine.read_text().splitlines() if quarantine.exists() else []
        results[workers] = (_summary(summary), dump(store), entries)
    assert results[1] == results[2]
    summary = results[1][0]
    assert summary["files"] == len(expand_paths([root])) and summary["files_skipped"] == 0
    assert summary["records"] == summary["loaded"] + sum(summary["skipped"].values()) + summary["quarantined"]


def test_a_principal_is_resolved_once_and_its_shared_rows_are_read_only():
    identity = {"type": "AssumedRole", "principalId": "AROAEXAMPLE:s", "accountId": "111122223333",
                "arn": "arn:aws:sts::111122223333:assumed-role/Trainer/s",
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                                                     "arn": "arn:aws:iam::111122223333:role/Trainer"},
                                   "attributes": {"creationDate": "2026-01-01T00:00:00Z"}}}
    first = from_user_identity(identity)
    other_session_day = {**identity, "sessionContext": {**identity["sessionContext"], "attributes": {}}}
    assert from_user_identity(other_session_day) is first  # fields the resolution does not read do not matter
    assert [row.props for row in first.nodes if row.type == "AWSRole"] == [
        {"arn": "arn:aws:iam::111122223333:role/Trainer", "id": "arn:aws:iam::111122223333:role/Trainer",
         "name": "Trainer", "principal_type": "Role", "path": "/", "partition": "aws",
         "account_id": "111122223333", "principal_id": "AROAEXAMPLE"}]
    row = first.nodes[0]
    assert type(row.props) is FrozenProps
    with pytest.raises(TypeError):
        row.props["name"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        row.props.update(name="changed")  # type: ignore[attr-defined]
    copied = pickle.loads(pickle.dumps(row))  # parse workers ship rows to the load
    assert copied == row and type(copied.props) is FrozenProps


def _load_paused_in_a_worker(corpus: Path, store: Path, tmp_path: Path
                             ) -> tuple[subprocess.Popen, int, list[str], dict[str, str]]:
    """`graphgov load --workers 2` started with a parse worker paused (graphgov.pause): the process, the
    paused worker's pid, and the command and environment (without the pause, to run it again)."""
    args = [sys.executable, "-m", "graphgov.cli", "load", str(corpus), "--store", str(store), "--quarantine",
            str(tmp_path / "q.jsonl"), "--workers", "2", "--no-progress", "--reference-time", REFERENCE]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**env, "GRAPHGOV_TEST_PAUSE_AT": "parse-worker"})
    line = process.stderr.readline()
    found = re.match(r"graphgov-pause-at parse-worker pid (\d+)", line)
    assert found, line
    return process, int(found.group(1)), args, env


def _running(pid: int) -> bool:
    """The process exists and is no zombie (an exited child its parent has not reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry.name))
    return found


def test_parse_workers_end_when_their_load_is_killed(corpus, tmp_path):
    """A load killed outright (SIGKILL: no handler runs) leaves no parse worker, nor their forkserver, waiting
    for ever: before, both stayed, asleep, re-parented to init, after every killed load."""
    process, worker, _args, _env = _load_paused_in_a_worker(corpus, tmp_path / "g.db", tmp_path)
    forkserver = int(Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[1])
    workers = _children(forkserver)
    deadline = time.monotonic() + 30  # the pool starts its second worker as the next task is queued: wait for it
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        workers = _children(forkserver)
    assert worker in workers and len(workers) == 2
    process.kill()
    process.wait(timeout=60)  # not communicate(): a worker left behind holds the pipes open
    process.stdout.close()
    process.stderr.close()
    deadline = time.monotonic() + 30
    while any(map(_running, [*workers, forkserver])) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in [*workers, forkserver] if _running(pid)]
    for pid in left:  # the failure's leftovers, so they outlive no test run
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_a_parse_worker_killed_mid_load_stops_it_cleanly_and_the_store_stays_usable(corpus, tmp_path):
    process, worker, args, env = _load_paused_in_a_worker(corpus, tmp_path / "g.json.gz", tmp_path)
    os.kill(worker, signal.SIGKILL)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 1, (out, err)
    assert "Error: a parse worker stopped unexpectedly (killed, or out of memory)" in err and "Traceback" not in err

    done = subprocess.run([*args, "--format", "json"], capture_output=True, text=True, env=env, timeout=600,
                          check=True)
    summary = json.loads(done.stdout)
    assert summary["files"] == len(expand_paths([corpus])) and summary["loaded"] > 0
