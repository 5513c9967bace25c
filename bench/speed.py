"""Issue 15's table in one run: every speed ratio of graphgov beside its target (figures, no pass/fail).

    python bench/speed.py [--records 100000 | 1000000 | 10000000] [--input DIR] [--code DIR]
                          [--neo4j bolt://HOST:PORT --neo4j-scratch] [--cache DIR] [--out FILE] [--compare EARLIER.json]

Input: `graphgov generate --seed 1 --size N` in the cache folder (made once), or `--input` (e.g. the
shared /work/bench-data/gen-100k); the tenth-size input for the derivation's scaling and the 1,000-record
extra chunk are generated the same way (seeds 1 and 2), unless `--tenth-input` is given. 10,000,000
records is the manual run (hours, and tens of GB on disk), not one for CI.

Code: `--code DIR` (default: the checkout this file is in) is run as `python -m graphgov.cli` child
processes with `PYTHONPATH=DIR`, each in a scratch folder whose default store it uses, so the bench never
opens a store file itself and works whatever the embedded store's format. In-process figures
(open, derivation, question latencies, Neo4j rows) come from `bench/probes.py`, in a child too.

CPU is user+sys of a command's process and its children (bench/measure.py), minus the CPU of a bare
`graphgov questions` (interpreter start and imports), as the issue defines it; wall time and peak RSS
are printed beside. Printed: each figure as it is measured (the per-question medians after each store's
rows), then the whole table again; written after every step: the figures as JSON with the machine
description to `bench/results/<date>-<records>.json` (or `--out`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402
from duckdb_peer import cloudtrail_files  # noqa: E402

PEER_QUESTIONS = ("object-readers", "cross-account-assumptions", "principal-activity")
# Today's Neo4j write rate (bench/bench_load.py --neo4j at 100k, the table): the target is ten times it.
NEO4J_ROWS_TODAY = 5903
# The chunk of the input's own newest CloudTrail files, loaded into a store of the rest (at least this many records).
TAIL_RECORDS = 1000
DELIVERY_TIME = re.compile(r"_\d{8}T\d{4}Z_")
PARAMETERISED_TARGET_S, WHOLE_ESTATE_TARGET_S, EXPOSURE_TARGET_S = 0.1, 2.0, 1.0


class Bench:
    """One run of the harness: where the code, the inputs and the scratch folders are, and what it found."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.code = args.code.resolve()
        self.scratch = Path(tempfile.mkdtemp(prefix="graphgov-speed-", dir=args.scratch))
        self.env = {k: v for k, v in os.environ.items() if k not in ("GRAPHGOV_STORE", "PYTHONPATH")}
        self.env["PYTHONPATH"] = str(self.code)
        self.figures: dict[str, Any] = {}
        self.table: list[tuple[str, str, str]] = []
        self.baseline_cpu = 0.0

    # --- commands ---------------------------------------------------------------------------------------

    def graphgov(self, where: Path, *argv: str, check: bool = True) -> measure.Run:
        where.mkdir(parents=True, exist_ok=True)
        print(f"  ... graphgov {argv[0]} in {where.name}", file=sys.stderr, flush=True)
        return measure.run([sys.executable, "-m", "graphgov.cli", *argv], where, self.env, check)

    def probe(self, where: Path, *argv: str) -> tuple[dict[str, Any], measure.Run]:
        print(f"  ... probe {argv[0]} in {where.name}", file=sys.stderr, flush=True)
        done = measure.run([sys.executable, str(HERE / "probes.py"), *argv], where, self.env)
        return json.loads(done.stdout.strip().splitlines()[-1]), done

    def script(self, name: str, *argv: str) -> dict[str, Any]:
        done = measure.run([sys.executable, str(HERE / name), *argv, "--format", "json"], self.scratch, self.env)
        return {**json.loads(done.stdout), "process_cpu_s": done.cpu_s, "process_rss_mb": done.rss_mb}

    def load(self, where: Path, paths: list[Path], store: str | None = None) -> dict[str, Any]:
        """`graphgov load` of `paths` into `where`'s default store (or `store`): summary, CPU, wall, peak RSS."""
        argv = ["load", *map(str, paths), "--format", "json", "--no-progress", "--quarantine", "quarantine.jsonl"]
        done = self.graphgov(where, *argv, *(["--store", store] if store else []))
        summary = json.loads(done.stdout)
        return {"records": summary.get("records"), "loaded": summary.get("loaded"), "nodes": summary.get("nodes"),
                "edges": summary.get("edges"), "skipped": summary.get("skipped"),
                "cpu_s": round(done.cpu_s - self.baseline_cpu, 2), "process_cpu_s": round(done.cpu_s, 2),
                "wall_s": round(done.wall_s, 2), "peak_rss_mb": round(done.rss_mb)}

    def row(self, what: str, value: str, target: str) -> None:
        self.table.append((what, value, target))
        print(f"  {what:44} {value:>34}   ({target})", flush=True)

    # --- inputs -----------------------------------------------------------------------------------------

    def generated(self, records: int, seed: int) -> Path:
        """`graphgov generate --seed S --size N`, made once in the cache folder."""
        out = self.args.cache / f"gen-{records}-seed{seed}"
        if not (out / ".complete").exists():
            shutil.rmtree(out, ignore_errors=True)
            print(f"generating {records:,} records (seed {seed}) into {out} ...", flush=True)
            self.graphgov(self.scratch, "generate", "--seed", str(seed), "--size", str(records), str(out))
            (out / ".complete").touch()
        return out

    def tail_split(self, source: Path, records: int) -> tuple[Path, Path]:
        """The input as two trees of links: all but its newest CloudTrail delivery files, and those files.

        The newest files (by the delivery time in their names) are taken until they hold `records` records:
        the next hour's objects a scheduled `pull cloudtrail-s3` of the same estate would read."""
        head, tail = self.scratch / "head", self.scratch / "tail"
        newest = sorted(cloudtrail_files([source]), key=lambda f: (DELIVERY_TIME.search(f.name).group(0), f.name))
        taken: set[Path] = set()
        count = 0
        while newest and count < records:
            file = newest.pop()
            taken.add(file)
            with (gzip.open if file.suffix == ".gz" else open)(file, "rb") as raw:
                count += len(json.loads(raw.read()).get("Records") or [])
        for folder, _, files in os.walk(source):
            for name in files:
                file = Path(folder) / name
                link = (tail if file in taken else head) / file.relative_to(source)
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(file)
        return head, tail

    def cloudtrail_only(self, source: Path) -> Path:
        """A tree of links to the input's CloudTrail delivery files only (what the DuckDB peer reads)."""
        out = self.scratch / "cloudtrail-only"
        for file in cloudtrail_files([source]):
            link = out / file.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(file)
        return out

    # --- the measurements -------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        args = self.args
        source = args.input or self.generated(args.records, 1)
        tenth = args.tenth_input or self.generated(max(args.records // 10, 1000), 1)
        extra = args.extra_input or self.generated(1000, 2)
        self.figures["machine"] = measure.machine(self.code)
        self.figures["input"] = {"path": str(source), "tenth": str(tenth), "extra_chunk": str(extra),
                                 "records_flag": args.records}
        bare = measure.median_run([sys.executable, "-m", "graphgov.cli", "questions"], self.scratch, self.env, 3)
        self.baseline_cpu = bare.cpu_s
        self.figures["bare_questions"] = {"cpu_s": round(bare.cpu_s, 3), "wall_s": round(bare.wall_s, 3),
                                          "peak_rss_mb": round(bare.rss_mb)}
        print(f"code {self.figures['machine']['commit']} at {self.code}; input {source}; "
              f"a bare `graphgov questions` takes {bare.cpu_s:.2f} s CPU (subtracted from each command's CPU)\n",
              flush=True)
        steps = [lambda: self.ingest(source), lambda: self.derivation(tenth),
                 lambda: self.embedded(self.scratch / "first", extra), lambda: self.tail_chunk(source),
                 lambda: self.peer(source)]
        if args.neo4j:
            steps.append(lambda: self.neo4j(source))
        for step in steps:
            step()
            self.save()  # a run stopped halfway keeps what it measured
        return self.figures

    def save(self) -> None:
        self.figures["table"] = [{"what": w, "value": v, "target": t} for w, v, t in self.table]
        self.args.out.parent.mkdir(parents=True, exist_ok=True)
        self.args.out.write_text(json.dumps(self.figures, indent=1, default=str) + "\n")

    def ingest(self, source: Path) -> None:
        floor = self.script("floor.py", str(source))
        self.figures["floor"] = floor
        first = self.load(self.scratch / "first", [source])
        self.figures["load"] = first
        rerun = self.load(self.scratch / "first", [source])
        self.figures["rerun"] = rerun
        records = first["records"] or 0
        if floor["records"] != records:
            print(f"  note: the floor counted {floor['records']:,} records, graphgov load {records:,}", flush=True)
        print(f"load: {records:,} records -> {first['nodes']:,} nodes, {first['edges']:,} edges", flush=True)
        self.row("load CPU / floor CPU", f"{first['cpu_s'] / floor['cpu_s']:.1f}x ({first['cpu_s']:.1f} s / "
                 f"{floor['cpu_s']:.2f} s)", "target <= 2x")
        self.row("load wall, records/s", f"{first['wall_s']:.1f} s, {records / first['wall_s']:,.0f}/s "
                 f"(CPU {records / max(first['cpu_s'], 1e-9):,.0f}/s)", "wall lower than CPU with both cores")
        self.row("load peak RSS", f"{first['peak_rss_mb']:,} MB", "flat from 1M to 10M but for the graph")
        self.row("re-load of loaded files / first load CPU",
                 f"{rerun['cpu_s'] / first['cpu_s']:.1%} ({rerun['cpu_s']:.1f} s)",
                 "target <= 5% at 100k, <= 2% at 1M")

    def embedded(self, loaded: Path, extra: Path) -> None:
        opened, done = self.probe(loaded, "open")
        self.figures["open"] = {**opened, "process_cpu_s": done.cpu_s, "peak_rss_mb": round(done.rss_mb)}
        self.row("embedded open + totals CPU", f"{opened['cpu_s']:.2f} s (wall {opened['wall_s']:.1f} s)",
                 "target < 2 s at 1M")
        self.row("embedded open peak RSS", f"{done.rss_mb:,.0f} MB", "target < 1 GB at 1M")
        self.questions("embedded", loaded, None)
        chunk = self.load(loaded, [extra])
        self.figures["extra_chunk"] = chunk
        first = self.figures["load"]
        share = (chunk["records"] or 0) / max(first["records"] or 1, 1)
        self.row("1,000-record chunk into the loaded store", f"{chunk['cpu_s']:.1f} s CPU = "
                 f"{chunk['cpu_s'] / first['cpu_s']:.1%} of the first load", f"proportional: ~{share:.1%}")

    def tail_chunk(self, source: Path) -> None:
        """The input's own newest CloudTrail files loaded into a store of the rest: an hour of the same estate."""
        head, tail = self.tail_split(source, TAIL_RECORDS)
        before = self.load(self.scratch / "head", [head])
        chunk = self.load(self.scratch / "head", [tail])
        self.figures["tail_chunk"] = {"head": before, "chunk": chunk}
        first = self.figures["load"]
        share = (chunk["records"] or 0) / max(first["records"] or 1, 1)
        self.row(f"newest {chunk['records']:,} records of the input, loaded last",
                 f"{chunk['cpu_s']:.1f} s CPU = {chunk['cpu_s'] / first['cpu_s']:.1%} of the first load",
                 f"proportional: ~{share:.1%}")

    def questions(self, name: str, where: Path, store: str | None) -> None:
        spec = ["--store", store] if store else []
        found, _ = self.probe(where, "questions", "--runs", str(self.args.runs), *spec)
        timed = {qid: q for qid, q in found["questions"].items() if "median_s" in q}
        slowest = sorted(timed, key=lambda qid: timed[qid]["median_s"], reverse=True)[:3]
        if "cross-account-exposure" in timed and "cross-account-exposure" not in slowest:
            slowest.append("cross-account-exposure")  # the issue's own example of a whole-process figure
        for qid in slowest:
            argv = ["query", qid, "--format", "json", *spec]
            for key, value in timed[qid]["params"].items():
                argv += ["--param", f"{key}={value}"]
            whole = measure.median_run([sys.executable, "-m", "graphgov.cli", *argv], where, self.env,
                                       self.args.process_runs)
            timed[qid]["whole_process_wall_s"] = round(whole.wall_s, 3)
            timed[qid]["whole_process_cpu_s"] = round(whole.cpu_s - self.baseline_cpu, 3)
        self.figures[f"questions_{name}"] = found
        print(f"\n  questions on the {name} store (median wall of {self.args.runs} asks on one open store, and the "
              f"asking process's CPU; opened in {found['open']['wall_s']:.1f} s):", flush=True)
        for qid, q in sorted(found["questions"].items()):
            if "median_s" not in q:
                print(f"    {qid:38} {q.get('error') or q.get('skipped')}")
                continue
            target = (EXPOSURE_TARGET_S if qid == "cross-account-exposure"
                      else PARAMETERISED_TARGET_S if q["params"] else WHOLE_ESTATE_TARGET_S)
            whole = (f"; whole `graphgov query` {q['whole_process_wall_s']:.2f} s wall, "
                     f"{q['whole_process_cpu_s']:.2f} s CPU" if "whole_process_wall_s" in q else "")
            cpu = f" ({q['median_cpu_s'] * 1000:,.1f} ms CPU)" if "median_cpu_s" in q else ""
            print(f"    {qid:38} {q['median_s'] * 1000:9,.1f} ms{cpu:>20} {q['rows']:>8,} rows  (target < {target:g} s)"
                  f"{whole}", flush=True)
        print(flush=True)

    def derivation(self, tenth: Path) -> None:
        full, _ = self.probe(self.scratch / "first", "derive")
        small_load = self.load(self.scratch / "tenth", [tenth])
        small, _ = self.probe(self.scratch / "tenth", "derive")
        self.figures["derivation"] = {"full": full, "tenth": small, "tenth_load": small_load}
        ratio = full["cpu_s"] / max(small["cpu_s"], 1e-9)
        records = self.figures["load"]["records"] or 0
        self.row("access derivation CPU, tenth -> full size",
                 f"{small['cpu_s']:.2f} s -> {full['cpu_s']:.2f} s = {ratio:.0f}x "
                 f"({small_load['records']:,} -> {records:,} records)", "target: linear, ~10x")

    def peer(self, source: Path) -> None:
        only = self.cloudtrail_only(source)
        load = self.load(self.scratch / "cloudtrail", [only])
        peer = self.script("duckdb_peer.py", str(only))
        answers, _ = self.probe(self.scratch / "cloudtrail", "answers")
        self.figures["cloudtrail_only"] = {"load": load, "duckdb": peer, "graphgov_rows": answers["rows"]}
        self.row("load CPU / DuckDB CPU, CloudTrail files only",
                 f"{load['cpu_s'] / peer['cpu_s']:.2f}x ({load['cpu_s']:.1f} s / {peer['cpu_s']:.1f} s)",
                 "target <= 0.5x")
        print(f"    same questions, rows (graphgov | duckdb {peer['duckdb']}, {peer['records']:,} records of "
              f"{peer['files']:,} CloudTrail files):", flush=True)
        for qid in PEER_QUESTIONS:
            print(f"      {qid:30} {answers['rows'][qid]:>9,} | {peer['rows'][qid]:>9,}", flush=True)

    def neo4j(self, source: Path) -> None:
        uri, where = self.args.neo4j, self.scratch / "neo4j"
        version, _ = self.probe(self.scratch, "neo4j-version", "--store", uri)
        self.figures["machine"]["neo4j"] = version["neo4j"]
        self.graphgov(where, "store", "wipe", "--store", uri, "--yes")
        loaded, done = self.probe(where, "neo4j-load", "--store", uri, "--quarantine", "quarantine.jsonl",
                                  str(source))
        self.figures["neo4j_load"] = {**loaded, "process_cpu_s": done.cpu_s, "peak_rss_mb": round(done.rss_mb)}
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in loaded["rows"].items())
        self.row("Neo4j write rows/s (all kinds)",
                 f"{loaded['rows_per_s']:,.0f}/s ({loaded['write_s']:.0f} s of writes)",
                 f"target >= {NEO4J_ROWS_TODAY * 10:,}/s (10x today)")
        for kind, rate in loaded["per_kind_per_s"].items():
            self.row(f"  Neo4j {kind} rows per write-second", f"{rate:,.0f}/s", "one transaction: shared time")
        self.row("Neo4j load records/s overall", f"{loaded['records_per_s']:,.0f}/s ({loaded['wall_s']:.0f} s wall)",
                 f"today 1,823/s; rows: {kinds}")
        self.questions("neo4j", where, uri)


def _table(figures: dict[str, Any], table: list[tuple[str, str, str]], before: dict[str, Any] | None) -> None:
    """The table again, at the end, with an earlier run's values (`--compare`) under each figure."""
    machine = figures["machine"]
    print(f"\nissue 15 at {figures['load']['records']:,} records, code {machine['commit']}, {machine['cores']} cores, "
          f"{machine['ram_gb']} GB, {machine['cpu']}, Python {machine['python']}"
          + (f", {machine['neo4j']}" if "neo4j" in machine else ""))
    earlier = {row["what"]: row["value"] for row in (before or {}).get("table", [])}
    for what, value, target in table:
        print(f"  {what:44} {value:>34}   ({target})")
        if what in earlier:
            print(f"  {'  was (' + before['machine']['commit'] + ')':44} {earlier[what]:>34}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000,
                        help="size of the generated input; names the results file [100000]")
    parser.add_argument("--input", type=Path, default=None, help="logs to load instead of generating them")
    parser.add_argument("--tenth-input", type=Path, default=None, help="a tenth of the input, for the derivation")
    parser.add_argument("--extra-input", type=Path, default=None, help="the small extra chunk [1,000 records]")
    parser.add_argument("--code", type=Path, default=HERE.parent, help="the graphgov checkout to measure")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "graphgov-bench",
                        help="where generated inputs are kept between runs")
    parser.add_argument("--scratch", type=Path, default=None, help="parent of the scratch folder [$TMPDIR]")
    parser.add_argument("--neo4j", default=None, help="bolt:// URI of a scratch Neo4j database (wiped!)")
    parser.add_argument("--neo4j-scratch", action="store_true", help="consent to wiping the --neo4j database")
    parser.add_argument("--runs", type=int, default=5, help="asks per question for its median [5]")
    parser.add_argument("--process-runs", type=int, default=3, help="whole `graphgov query` runs, slowest three [3]")
    parser.add_argument("--out", type=Path, default=None, help="[bench/results/<date>-<records>.json]")
    parser.add_argument("--compare", type=Path, default=None, help="an earlier run's JSON, printed beside")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (stores, quarantines)")
    args = parser.parse_args(argv)
    if args.neo4j and not args.neo4j_scratch:
        parser.error("--neo4j wipes that database: add --neo4j-scratch to say it is a scratch one")
    if args.scratch:
        args.scratch.mkdir(parents=True, exist_ok=True)
    args.cache.mkdir(parents=True, exist_ok=True)
    try:  # an unreadable --compare file is said before the run, not after an hour of it
        before = json.loads(args.compare.read_text()) if args.compare else None
    except (OSError, ValueError) as exc:
        parser.error(f"--compare: {exc}")
    args.out = args.out or HERE / "results" / f"{dt.date.today().isoformat()}-{args.records}.json"
    bench = Bench(args)
    try:
        figures = bench.run()
    except measure.RunFailed as exc:
        raise SystemExit(f"speed: {exc}") from None
    finally:
        if not args.keep:
            shutil.rmtree(bench.scratch, ignore_errors=True)
    _table(figures, bench.table, before)
    print(f"\nfigures: {args.out}")


if __name__ == "__main__":
    sys.exit(main())
