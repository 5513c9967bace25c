"""How bench/speed.py measures: one fresh child process per figure, its CPU and peak memory from the kernel.

CPU is user+sys of the child and every descendant it waited for, and peak RSS the largest of them, both
from `os.wait4` (Linux adds a reaped grandchild's usage to its parent's, so a load that forks parsers is
counted whole). The machine description goes with the figures, since they mean nothing without it.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    """One child process: user+sys CPU seconds, wall seconds, peak RSS in MB, exit status, stdout, stderr."""

    cpu_s: float
    wall_s: float
    rss_mb: float
    returncode: int
    stdout: str
    stderr: str


class RunFailed(Exception):
    """A measured command exited non-zero: its figures would be wrong, so the bench stops and says why."""


def run(argv: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> Run:
    """Run `argv` to completion in `cwd` and measure it (output goes to files: no pipe can fill and stall it)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, proc.returncode,
                     out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))
    if check and result.returncode != 0:
        raise RunFailed(f"{' '.join(argv)} (in {cwd}) exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


def median_run(argv: list[str], cwd: Path, env: dict[str, str], runs: int) -> Run:
    """The run with the median CPU of `runs` runs (for small figures the machine's noise would swamp)."""
    done = sorted((run(argv, cwd, env) for _ in range(runs)), key=lambda r: r.cpu_s)
    return done[len(done) // 2]


def machine(code: Path) -> dict[str, object]:
    """Cores, RAM, CPU model, OS, Python, and the commit of the code measured."""
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
    commit = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(code), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return {"cores": os.cpu_count(), "ram_gb": round(ram_kb / 1024 / 1024, 1), "cpu": model,
            "os": platform.platform(), "python": sys.version.split()[0], "load_average": os.getloadavg(),
            "code": str(code), "commit": commit + ("+changes" if dirty else "")}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
