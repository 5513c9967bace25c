"""The progress line of long loads and pulls (issue 14): reported through graphgov.ingest.progress, drawn on a
terminal's stderr with rate and ETA, ending at 100%, and absent (not one byte) when stderr is a pipe."""

from __future__ import annotations

import fcntl
import gzip
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import boto3
import pytest
from helpers import read_terminal_until_closed

from graphgov.aws.pullers.s3_objects import pull_s3
from graphgov.aws.session import aws_session
from graphgov.generate import generate
from graphgov.ingest.pipeline import load_paths
from graphgov.ingest.progress import reporting
from graphgov.ingest.readers import iter_paths
from graphgov.stores.embedded import EmbeddedStore

pytest_plugins = ("moto_server",)

ROOT = Path(__file__).resolve().parent.parent
RECORDS = 3016  # what `graphgov generate` seed 3 with 3,000 records writes (plus digests, duplicates, noise)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Recorder:
    """A Progress that keeps every report."""

    def __init__(self) -> None:
        self.totals: list[int] = []
        self.updates: list[tuple[int, int | None, int | None]] = []
        self.listed: list[int] = []
        self.phases: list[str] = []

    def total(self, total_bytes: int) -> None:
        self.totals.append(total_bytes)

    def update(self, records: int, bytes_done: int | None = None, units: int | None = None,
               listed: int | None = None) -> None:
        self.updates.append((records, bytes_done, units))
        if listed is not None:
            self.listed.append(listed)

    def phase(self, name: str) -> None:
        self.phases.append(name)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    generate(out, seed=3, records=3000)
    return out


def _monotone(values: list[int]) -> bool:
    return all(a <= b for a, b in zip(values, values[1:], strict=False))


def test_a_load_reports_monotone_byte_counts_ending_at_the_input_total(corpus, tmp_path):
    files = list(iter_paths([corpus]))
    total = sum(path.stat().st_size for path in files)
    recorder = Recorder()

    summary = load_paths([corpus], EmbeddedStore(tmp_path / "g.json.gz"), tmp_path / "q.jsonl", progress=recorder)

    assert recorder.totals == [total]
    done = [bytes_done for _, bytes_done, _ in recorder.updates if bytes_done is not None]
    assert _monotone(done) and done[-1] == total
    assert any(0 < value < total for value in done)  # counted as the files are read, not only at the end
    assert _monotone([records for records, _, _ in recorder.updates])
    assert recorder.updates[-1] == (summary.records, total, summary.files) == (RECORDS, total, len(files))
    assert recorder.phases == ["deriving access"]
    gz = sum(path.stat().st_size for path in files if path.name.endswith(".gz"))
    unpacked = sum(len(gzip.decompress(path.read_bytes())) for path in files if path.name.endswith(".gz"))
    assert gz < unpacked  # the total is of compressed bytes: the bytes actually read from disk


def _on_terminal(args: list[str], env: dict[str, str] | None = None, columns: int = 150) -> tuple[int, str]:
    """Run graphgov with stdin, stdout and stderr on a pseudo-terminal; what the terminal showed."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    # The terminal is the one made here: its size is set above (a COLUMNS or LINES of the caller's shell would
    # override it) and it is an xterm (under the caller's TERM=dumb, rich takes 80 columns whatever the size).
    inherited = {k: v for k, v in (env or os.environ).items() if k not in ("COLUMNS", "LINES")}
    full_env = {**inherited, "TERM": "xterm-256color",
                "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen([sys.executable, "-m", "graphgov.cli", *args], stdin=secondary, stdout=secondary,
                               stderr=secondary, env=full_env, close_fds=True)
    os.close(secondary)
    shown = read_terminal_until_closed(primary)
    return process.wait(timeout=300), shown.decode()


def _frames(shown: str) -> list[str]:
    """Each redraw of the progress line, escape sequences removed."""
    return [frame.strip() for frame in (ANSI.sub("", part) for part in re.split(r"\r|\n", shown)) if frame.strip()]


def test_on_a_terminal_the_bar_shows_rate_and_eta_and_ends_at_100_percent(corpus, tmp_path):
    code, shown = _on_terminal(["load", str(corpus), "--store", str(tmp_path / "g.json.gz"),
                                "--quarantine", str(tmp_path / "q.jsonl")])

    assert code == 0
    frames = _frames(shown)
    bars = [frame for frame in frames if "━" in frame]
    total_mb = sum(path.stat().st_size for path in iter_paths([corpus])) / 1e6
    assert re.fullmatch(rf"loaded ━+ 100% {total_mb:.1f}/{total_mb:.1f} MB [0-9.]+ [kM]?B/s {RECORDS:,} records  "
                        r"[0-9,]+ records/s ETA 0:00:00", bars[-1]), bars[-1]
    assert bars[0].startswith("loading ")
    assert "ETA" in bars[0] and "?" not in bars[0]  # never shown before the total is known
    assert frames[frames.index(bars[-1]) + 1].startswith(f"{RECORDS} records from ")  # then the summary


def test_on_an_80_column_terminal_the_line_keeps_the_numbers_on_one_line(corpus, tmp_path):
    code, shown = _on_terminal(["load", str(corpus), "--store", str(tmp_path / "g.json.gz"),
                                "--quarantine", str(tmp_path / "q.jsonl")], columns=80)

    assert code == 0
    progress = shown[:shown.index(f"{RECORDS} records from ")]
    assert "\n" not in ANSI.sub("", progress).rstrip()  # never wrapped onto a second line
    bars = [frame for frame in _frames(progress) if "━" in frame]
    assert all(len(frame) <= 80 for frame in bars)
    total_mb = sum(path.stat().st_size for path in iter_paths([corpus])) / 1e6
    assert re.fullmatch(rf"loaded ━+ 100% {total_mb:.1f}/{total_mb:.1f} MB [0-9.]+ [kM]?B/s [0-9,]+ records/s "
                        r"ETA 0:00:00", bars[-1]), bars[-1]


def test_when_stderr_is_a_pipe_it_holds_no_progress_output(corpus, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-m", "graphgov.cli", "load", str(corpus), "--store",
                           str(tmp_path / "g.json.gz"), "--quarantine", str(tmp_path / "q.jsonl")],
                          capture_output=True, text=True, env=env, timeout=300)

    assert done.returncode == 0
    assert done.stderr == ""
    assert done.stdout.startswith(f"{RECORDS} records from ")


def test_no_progress_turns_it_off_on_a_terminal(corpus, tmp_path):
    code, shown = _on_terminal(["load", str(corpus), "--store", str(tmp_path / "g.json.gz"),
                                "--quarantine", str(tmp_path / "q.jsonl"), "--no-progress"])

    assert code == 0
    assert _frames(shown)[0].startswith(f"{RECORDS} records from ")
    assert "loading" not in shown and "\x1b[" not in shown


BUCKET = "acme-logs"


@pytest.fixture
def bedrock_objects(moto: str, corpus: Path) -> list[str]:
    """The corpus's Bedrock invocation log objects, uploaded in their own layout."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    keys = []
    for path in sorted((corpus / "bedrock-invocation-logs").rglob("*.json.gz")):
        key = "bedrock/" + path.relative_to(corpus / "bedrock-invocation-logs").as_posix()
        s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
        keys.append(key)
    assert len(keys) >= 3
    return keys


def test_a_pull_reports_objects_and_records_read_so_far(bedrock_objects, tmp_path):
    recorder = Recorder()

    with reporting(recorder):
        summary = pull_s3(aws_session(), EmbeddedStore(tmp_path / "g.json.gz"), tmp_path / "q.jsonl", BUCKET,
                          "bedrock/", "bedrock-invocation")

    units = [units for _, _, units in recorder.updates if units is not None]
    assert units == list(range(1, len(bedrock_objects) + 1))  # one report per object read
    assert _monotone(recorder.listed) and recorder.listed[-1] == len(bedrock_objects)  # listed as the walk goes
    assert _monotone([records for records, _, _ in recorder.updates])
    assert recorder.updates[-1][0] == summary.records > 0
    assert recorder.totals == [] and recorder.phases == ["deriving access"]
    again = Recorder()  # a second pull: every object was read, none is listed to read
    with reporting(again):
        pull_s3(aws_session(), EmbeddedStore(tmp_path / "g.json.gz"), tmp_path / "q.jsonl", BUCKET, "bedrock/",
                "bedrock-invocation")
    assert again.listed == [] and [u for _, _, u in again.updates if u is not None] == []


def test_a_pull_on_a_terminal_counts_s3_objects(bedrock_objects, tmp_path):
    code, shown = _on_terminal(["pull", "s3", "--bucket", BUCKET, "--prefix", "bedrock/", "--layout",
                                "bedrock-invocation", "--store", str(tmp_path / "g.json.gz"),
                                "--quarantine", str(tmp_path / "q.jsonl")], env=dict(os.environ))

    assert code == 0, shown
    bars = [frame for frame in _frames(shown) if "━" in frame]
    count = len(bedrock_objects)
    assert re.fullmatch(rf"pulled ━+ {count} of {count} S3 objects listed so far [0-9,]+ records( +[0-9,]+ records/s)? "
                        r"[0-9]:[0-9]{2}:[0-9]{2}", bars[-1]), bars[-1]
