"""The embedded store's integrity (issue 12): one writer at a time, a file of the wrong shape refused in
one line and never overwritten, an unwritable path refused before any input is read, and the temp
files of killed commits cleared."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from graph_dump import dump
from helpers import FIXTURES

from graphgov.cli.app import main
from graphgov.generate import generate
from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.pipeline import load_paths
from graphgov.stores import StoreError
from graphgov.stores.embedded import FORMAT, EmbeddedStore
from graphgov.stores.embedded_file import FORMAT as V1
from graphgov.stores.lock import lock_path

ROOT = Path(__file__).resolve().parent.parent
STS = FIXTURES / "cloudtrail" / "iam-user-guide-sts.json"


def _gz(value: object) -> bytes:
    return gzip.compress(json.dumps(value).encode())


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GRAPHGOV_TEST_PAUSE_AT", "GRAPHGOV_STORE_LOCK_WAIT")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return {**env, **extra}


def _graphgov(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "graphgov.cli", *args], capture_output=True, text=True,
                          env=_env(**env), timeout=300)


def _paused_load(corpus: Path, store: Path, quarantine: Path, phase: str = "commit") -> subprocess.Popen[str]:
    """A `graphgov load` stopped at `phase` (it holds the store's lock there), once it says so."""
    process = subprocess.Popen([sys.executable, "-m", "graphgov.cli", "load", str(corpus), "--store", str(store),
                                "--quarantine", str(quarantine)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=_env(GRAPHGOV_TEST_PAUSE_AT=phase))
    line = process.stderr.readline()
    assert line == f"graphgov-pause-at {phase} pid {process.pid}\n", line + process.stderr.read()
    return process


def _sequential_dump(tmp_path: Path, *corpora: Path) -> dict[str, list[str]]:
    store = EmbeddedStore(tmp_path / "sequential" / "graph.json.gz")
    for corpus in corpora:
        load_paths([corpus], store, tmp_path / "sequential" / "q.jsonl")
        store.commit()
    store.close()
    return dump(EmbeddedStore(tmp_path / "sequential" / "graph.json.gz", read_only=True))


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("corpora")
    generate(root / "a", seed=1, records=1000)
    generate(root / "b", seed=2, records=1000)
    return root / "a", root / "b"


# --- one writer at a time -------------------------------------------------------------------------------


def test_a_second_load_is_refused_naming_the_holder_and_the_first_loads_completely(tmp_path, corpora):
    first, second = corpora
    store = tmp_path / "graph.json.gz"
    holder = _paused_load(first, store, tmp_path / "q1.jsonl")
    try:
        info = json.loads(lock_path(store).read_text())
        assert info == {"pid": holder.pid, "host": socket.gethostname(), "command": "graphgov load",
                        "since": info["since"]}
        refused = _graphgov("load", str(second), "--store", str(store), "--quarantine", str(tmp_path / "q2.jsonl"))
        assert refused.returncode == 1
        assert refused.stdout == ""
        assert refused.stderr == (
            f"Error: embedded store {store} is being written by pid {holder.pid} on {socket.gethostname()} "
            f"(graphgov load) since {info['since']}; try again when it has finished, or set "
            f"GRAPHGOV_STORE_LOCK_WAIT=<seconds> to wait (lock file {store}.lock)\n")
        # readers take no lock: not blocked, they read the last commit, and before the first one they say so
        # (an empty answer would read as "nothing found")
        reader = _graphgov("query", "cross-account-assumptions", "--store", str(store))
        assert (reader.returncode, reader.stdout, reader.stderr) == (
            1, "", f"Error: no embedded store at {store} (nothing committed there yet): load into it first "
                   f"(graphgov load --store {store}), or give the store with --store or GRAPHGOV_STORE\n")
    finally:
        holder.send_signal(signal.SIGUSR1)
        holder.communicate(timeout=120)
    assert holder.returncode == 0
    assert lock_path(store).read_text() == ""  # a released lock names nobody
    assert dump(EmbeddedStore(store, read_only=True)) == _sequential_dump(tmp_path, first)  # the first is whole
    again = _graphgov("load", str(second), "--store", str(store), "--quarantine", str(tmp_path / "q2.jsonl"))
    assert again.returncode == 0, again.stderr
    assert dump(EmbeddedStore(store, read_only=True)) == _sequential_dump(tmp_path, first, second)


def test_a_waiting_load_goes_on_when_the_holder_finishes(tmp_path, corpora):
    first, second = corpora
    store = tmp_path / "graph.json.gz"
    holder = _paused_load(first, store, tmp_path / "q1.jsonl")
    waiter = subprocess.Popen([sys.executable, "-m", "graphgov.cli", "load", str(second), "--store", str(store),
                               "--quarantine", str(tmp_path / "q2.jsonl")], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env(GRAPHGOV_STORE_LOCK_WAIT="120"))
    time.sleep(1.0)
    assert waiter.poll() is None  # still waiting for the lock
    holder.send_signal(signal.SIGUSR1)
    assert holder.wait(timeout=120) == 0
    _out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, err
    assert dump(EmbeddedStore(store, read_only=True)) == _sequential_dump(tmp_path, first, second)


def test_a_killed_writer_leaves_no_lock_behind(tmp_path, corpora):
    store = tmp_path / "graph.json.gz"
    holder = _paused_load(corpora[0], store, tmp_path / "q.jsonl")
    with pytest.raises(StoreError, match=f"is being written by pid {holder.pid} "):
        EmbeddedStore(store)
    holder.kill()
    holder.wait(timeout=30)
    reopened = EmbeddedStore(store)  # the kernel dropped the flock with the process
    assert reopened.totals() == (0, 0)
    reopened.close()


def test_every_writer_is_refused_while_a_load_holds_the_store(tmp_path, corpora, monkeypatch):
    store = tmp_path / "graph.json.gz"
    holder = _paused_load(corpora[0], store, tmp_path / "q.jsonl")
    try:
        busy = f"embedded store {store} is being written by pid {holder.pid} on {socket.gethostname()} (graphgov load)"
        classified = CliRunner().invoke(main, ["classify", "--store", str(store)])
        assert classified.exit_code == 1 and classified.output.startswith(f"Error: {busy} since ")
        store.with_suffix(".quarantine.jsonl").write_text("")  # the demo deletes its old files...
        demo = CliRunner().invoke(main, ["demo", "--store", str(store)])
        assert demo.exit_code == 1 and demo.output.startswith(f"Error: {busy} since ")
        assert store.with_suffix(".quarantine.jsonl").exists()  # ...but not those of a store in use
        monkeypatch.setenv("GRAPHGOV_STORE", str(store))
        monkeypatch.setenv("GRAPHGOV_QUARANTINE", str(tmp_path / "lambda-q.jsonl"))
        from graphgov.aws.push_handler import handler

        with pytest.raises(StoreError, match=f"^{re.escape(busy)} since "):  # the invocation fails and is retried
            handler({"Records": []})
    finally:
        holder.send_signal(signal.SIGUSR1)
        holder.communicate(timeout=120)
    assert holder.returncode == 0
    assert dump(EmbeddedStore(store, read_only=True)) == _sequential_dump(tmp_path, corpora[0])


def test_lock_wait_must_be_a_number(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHGOV_STORE_LOCK_WAIT", "soon")
    with pytest.raises(StoreError) as caught:
        EmbeddedStore(tmp_path / "graph.json.gz")
    assert str(caught.value) == "GRAPHGOV_STORE_LOCK_WAIT='soon' is not a number of seconds (0 or more)"


def test_a_reader_cannot_commit_and_takes_no_lock(tmp_path):
    path = tmp_path / "graph.json.gz"
    reader = EmbeddedStore(path, read_only=True)
    assert not lock_path(path).exists()
    reader.write(Aggregate(), {"k": "2024-01-01"})
    with pytest.raises(StoreError) as caught:
        reader.commit()
    assert str(caught.value) == f"embedded store {path} was opened read-only (or closed): nothing was written"
    assert not path.exists()


def test_stores_one_process_opens_on_a_path_share_its_lock(tmp_path):
    path = tmp_path / "graph.json.gz"
    first, second = EmbeddedStore(path), EmbeddedStore(path)
    first.close()
    assert json.loads(lock_path(path).read_text())["pid"] == os.getpid()  # the second still holds it
    second.close()
    assert lock_path(path).read_text() == ""


# --- a file that is not a store ---------------------------------------------------------------------------

def _sqlite(sql: str) -> bytes:
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        conn = sqlite3.connect(Path(scratch) / "db")
        conn.executescript(sql)
        conn.close()
        return (Path(scratch) / "db").read_bytes()


F = V1
BAD_STORES = [
    ("empty", b"", "the file is empty (0 bytes)"),
    ("json-not-gzip", json.dumps({"format": F, "nodes": [], "edges": [], "seen": {}}).encode(),
     f"neither an SQLite database ({FORMAT}) nor gzip JSON ({F})"),
    ("other-sqlite", _sqlite("CREATE TABLE t (x)"),
     "an SQLite database but not a graphgov store (no such table: meta)"),
    ("other-sqlite-format", _sqlite("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);"
                                    "INSERT INTO meta VALUES ('format', 'graphgov-embedded/9')"),
     f"format 'graphgov-embedded/9', but this graphgov reads '{FORMAT}'"),
    ("truncated-gzip", _gz({"format": F, "nodes": [], "edges": [], "seen": {}})[:20],
     "damaged gzip (Compressed file ended before the end-of-stream marker was reached)"),
    ("not-utf8", gzip.compress(b'{"format": "\xff"}'), "not UTF-8 text (invalid start byte)"),
    ("not-json", gzip.compress(b"format: yaml"), "not JSON (Expecting value: line 1 column 1 (char 0))"),
    ("list", _gz([]), f'expected a JSON object with "format": "{F}", found a list'),
    ("no-format", _gz({"nodes": [], "edges": [], "seen": {}}), f'no "format" key: not a graphgov embedded store ({F})'),
    ("other-version", _gz({"format": "graphgov-embedded/9"}),
     "format 'graphgov-embedded/9', but this graphgov reads 'graphgov-embedded/1'"),
    ("nodes-object", _gz({"format": F, "nodes": {}, "edges": [], "seen": {}}), '"nodes" is an object, expected a list'),
    ("no-seen", _gz({"format": F, "nodes": [], "edges": []}), '"seen" is missing, expected an object'),
    ("node-key-number", _gz({"format": F, "nodes": [["AWSAccount", 5, {}]], "edges": [], "seen": {}}),
     "nodes[0] is not [label, key, {attributes}]"),
    ("edge-short", _gz({"format": F, "nodes": [], "edges": [["ASSUMED", ["a", "b"]]], "seen": {}}),
     "edges[0] is not [type, [label, key], [label, key], {attributes}]"),
    ("edge-dangling", _gz({"format": F, "nodes": [["AWSAccount", "1", {}]],
                           "edges": [["IN_ACCOUNT", ["AWSAccount", "1"], ["AWSAccount", "2"], {}]], "seen": {}}),
     "edges[0] joins a node the file does not hold"),
    ("seen-numbers", _gz({"format": F, "nodes": [], "edges": [], "seen": {"2024-01-01": [1, 2]}}),
     "seen['2024-01-01'] is not a list of evidence keys"),
    ("checkpoints-numbers", _gz({"format": F, "nodes": [], "edges": [], "seen": {}, "checkpoints": {"x": 1}}),
     '"checkpoints" is not an object of names to strings'),
    ("object-without-bucket", _gz({"format": F, "nodes": [["S3Object", "arn:aws:s3:::b/k", {"key": "k"}]],
                                   "edges": [], "seen": {}}),
     "a node lacks a property its kind needs or has one of the wrong type (KeyError: 'bucket')"),
]


@pytest.mark.parametrize(("content", "problem"), [(c, p) for _, c, p in BAD_STORES], ids=[i for i, _, _ in BAD_STORES])
def test_a_file_that_is_not_a_store_is_one_line_and_never_overwritten(tmp_path, content, problem):
    path = tmp_path / "graph.json.gz"
    path.write_bytes(content)
    runner = CliRunner()
    expected = f"Error: cannot read embedded store {path}: {problem}\n"
    loaded = runner.invoke(main, ["load", str(STS), "--store", str(path), "--quarantine", str(tmp_path / "q.jsonl")])
    assert (loaded.exit_code, loaded.output) == (1, expected)
    queried = runner.invoke(main, ["query", "cross-account-assumptions", "--store", str(path)])
    assert (queried.exit_code, queried.output) == (1, expected)
    assert path.read_bytes() == content
    assert not (tmp_path / "q.jsonl").exists()  # refused before reading the input


def test_a_good_store_passes_the_shape_check(tmp_path):
    path = tmp_path / "graph.json.gz"
    store = EmbeddedStore(path)
    load_paths([STS], store, tmp_path / "q.jsonl")
    store.close()
    assert EmbeddedStore(path, read_only=True).totals() == store.totals() != (0, 0)


# --- an unwritable store is refused before the input is read ----------------------------------------------


def _load_must_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the input was read before the store was checked")

    monkeypatch.setattr("graphgov.cli.load.load_paths", refuse)


def test_a_store_under_a_file_is_refused_before_reading(tmp_path, monkeypatch):
    _load_must_not_read(monkeypatch)
    (tmp_path / "plain").write_text("x")
    path = tmp_path / "plain" / "graph.json.gz"
    started = time.monotonic()
    result = CliRunner().invoke(main, ["load", str(STS), "--store", str(path), "--quarantine", str(tmp_path / "q")])
    assert time.monotonic() - started < 1.0
    assert (result.exit_code, result.output) == (
        1, f"Error: embedded store {path} is not writable: cannot create directory {tmp_path / 'plain'} "
           "(File exists)\n")


def test_a_store_that_is_a_directory_is_refused(tmp_path, monkeypatch):
    _load_must_not_read(monkeypatch)
    result = CliRunner().invoke(main, ["load", str(STS), "--store", str(tmp_path), "--quarantine", str(tmp_path / "q")])
    assert (result.exit_code, result.output) == (
        1, f"Error: embedded store {tmp_path} is a directory; give the path of a file in it\n")


def test_an_unwritable_directory_is_refused_before_reading(tmp_path, monkeypatch):
    _load_must_not_read(monkeypatch)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    if os.geteuid() == 0:  # root writes through permission bits (CI runs as root): the check sees what a user would
        real_access = os.access
        monkeypatch.setattr("graphgov.stores.embedded.os.access",
                            lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    path = locked / "graph.json.gz"
    result = CliRunner().invoke(main, ["load", str(STS), "--store", str(path), "--quarantine", str(tmp_path / "q")])
    assert (result.exit_code, result.output) == (
        1, f"Error: embedded store {path} is not writable: directory {locked} is not writable\n")


def test_a_read_only_store_file_is_refused_before_reading(tmp_path, monkeypatch):
    _load_must_not_read(monkeypatch)
    path = tmp_path / "graph.json.gz"
    path.write_bytes(_gz({"format": F, "nodes": [], "edges": [], "seen": {}}))
    real_access = os.access
    # as root the permission bits do not stop a write; the check is what is tested, so it sees the file read-only
    monkeypatch.setattr("graphgov.stores.embedded.os.access",
                        lambda p, mode: False if Path(p) == path else real_access(p, mode))
    result = CliRunner().invoke(main, ["load", str(STS), "--store", str(path), "--quarantine", str(tmp_path / "q")])
    assert (result.exit_code, result.output) == (
        1, f"Error: embedded store {path} is not writable: the file is read-only\n")
    monkeypatch.undo()
    assert lock_path(path).read_text() == ""  # the refused writer let go of the lock


# --- temp files of killed commits -------------------------------------------------------------------------


def test_a_writer_clears_only_its_stores_stale_temp_files(tmp_path):
    path = tmp_path / "graph.json.gz"
    stale = [tmp_path / "graph.json.gzab_12xyz.tmp", tmp_path / "graph.json.gz00000000.tmp"]
    kept = [tmp_path / "other.tmp", tmp_path / "graph.json.gzabc.tmp", tmp_path / "graph.json.gzABCDEFGH.tmp",
            tmp_path / "graph2.json.gzabcdefgh.tmp", tmp_path / "graph.json.gzabcdefgh.tmp.keep"]
    stale[0].write_bytes(b"")
    stale[1].write_bytes(b"\x1f\x8b partial")
    for other in kept:
        other.write_bytes(b"")
    EmbeddedStore(path, read_only=True).close()
    assert all(p.exists() for p in stale)  # a reader holds no lock, so it must not touch them
    EmbeddedStore(path).close()
    assert [p.exists() for p in stale] == [False, False]
    assert [p.exists() for p in kept] == [True] * len(kept)


def test_temp_files_stay_while_another_writer_holds_the_lock(tmp_path, corpora):
    path = tmp_path / "graph.json.gz"
    holder = _paused_load(corpora[0], path, tmp_path / "q.jsonl")
    try:
        own = tmp_path / "graph.json.gzabcd1234.tmp"  # as a migration the holder were running would have made
        own.write_bytes(b"")
        with pytest.raises(StoreError):
            EmbeddedStore(path)
        assert own.exists()
    finally:
        holder.send_signal(signal.SIGUSR1)
        holder.communicate(timeout=120)
    assert holder.returncode == 0
    EmbeddedStore(path).close()  # the next writer clears it
    assert list(tmp_path.glob("graph.json.gz*.tmp")) == []


def test_a_file_system_without_locks_is_a_clear_error(tmp_path, monkeypatch):
    def no_locks(_fd: int, _operation: int) -> None:
        raise OSError(37, "No locks available")

    monkeypatch.setattr("graphgov.stores.lock.fcntl.flock", no_locks)
    path = tmp_path / "graph.json.gz"
    with pytest.raises(StoreError) as caught:
        EmbeddedStore(path)
    assert str(caught.value) == (f"embedded store {path} cannot be locked for writing: No locks available "
                                 f"(lock file {path}.lock)")
    assert EmbeddedStore(path, read_only=True).totals() == (0, 0)  # reading needs no lock
