"""A first Neo4j load by bulk import, measured step by step (issue 15: >= 200k rows/s offline; not run by CI).

    python bench/bulk_import.py --store /work/scratch/s1m.db --scratch /work/scratch/bulk-1m [--keep]

From an embedded store already loaded (`graphgov load INPUT --store S`): `graphgov store export-neo4j`, then
neo4j-admin's offline import into a Neo4j home of the bench's own under --scratch (scripts/neo4j-local import,
fresh ports), a start, and `graphgov store finish-import`. Each step is one child process measured by
bench/measure.py (CPU of it and its children, wall, peak RSS); the import's rows per second count nodes,
seen keys, checkpoints and relationships over its wall time, as neo4j-admin reports them. `--keep` leaves the
server running and prints its URI (for bench/bench_questions.py --neo4j on the imported graph). The figures go
to bench/results/<date>-bulk-import-<relationships>.json with the machine description.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Run, machine, run  # noqa: E402

SCRIPT = ROOT / "scripts" / "neo4j-local"


def _figure(name: str, measured: Run, rows: int | None = None) -> dict[str, object]:
    figure: dict[str, object] = {"step": name, "cpu_s": round(measured.cpu_s, 2), "wall_s": round(measured.wall_s, 2),
                                 "rss_mb": round(measured.rss_mb)}
    if rows:
        figure["rows"] = rows
        figure["rows_per_s_wall"] = round(rows / measured.wall_s)
        figure["rows_per_cpu_s"] = round(rows / measured.cpu_s) if measured.cpu_s else None
    return figure


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, type=Path, help="an embedded store already loaded")
    parser.add_argument("--scratch", required=True, type=Path, help="a folder the bench may empty and fill")
    parser.add_argument("--keep", action="store_true", help="leave the imported server running")
    args = parser.parse_args()
    if args.scratch.exists():
        shutil.rmtree(args.scratch)
    out, home = args.scratch / "export", args.scratch / "neo4j-home"
    home.mkdir(parents=True)
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRAPHGOV_NEO4J_HOME": str(home),
           "GRAPHGOV_NEO4J_LIB": str(ROOT / ".cache" / "neo4j" / "lib"), "GRAPHGOV_NEO4J_BOLT_PORT": "0",
           "GRAPHGOV_NEO4J_HTTP_PORT": "0", "GRAPHGOV_BROWSER_ASSETS_PORT": "0"}
    env.pop("NEO4J_URI", None)
    figures = []
    exported = run([python, "-m", "graphgov.cli", "store", "export-neo4j", str(out), "--store", str(args.store)],
                   ROOT, env)
    manifest = json.loads((out / "export.json").read_text())
    node_rows, edge_rows = manifest["nodes"] + manifest["bookkeeping"], manifest["relationships"]
    figures.append(_figure("export (graphgov store export-neo4j)", exported, node_rows + edge_rows))
    imported = run([str(SCRIPT), "import", str(out)], ROOT, env)
    figures.append(_figure("neo4j-admin database import full", imported, node_rows + edge_rows))
    started = run([str(SCRIPT), "start"], ROOT, env)
    uri = next(line.split("=", 1)[1] for line in started.stdout.splitlines() if line.startswith("NEO4J_URI="))
    figures.append(_figure("server start", started))
    try:
        finished = run([python, "-m", "graphgov.cli", "store", "finish-import", str(out), "--store", uri], ROOT, env)
        figures.append(_figure("finish-import (client; the server's CPU is not counted)", finished,
                               manifest["fixup_nodes"] + manifest["fixup_relationships"]))
    finally:
        if not args.keep:
            run([str(SCRIPT), "stop"], ROOT, env, check=False)
    export_bytes = sum(p.stat().st_size for p in out.iterdir())
    print(f"bulk import of {args.store}: {node_rows:,} node rows ({manifest['bookkeeping']:,} bookkeeping), "
          f"{edge_rows:,} relationships, {manifest['fixup_nodes'] + manifest['fixup_relationships']:,} through Bolt, "
          f"{manifest['node_files'] + manifest['relationship_files']} CSV files, {export_bytes / 1e6:,.0f} MB")
    print(f"{'step':<58} {'CPU s':>8} {'wall s':>8} {'peak MB':>8} {'rows/s wall':>12} {'rows/CPU-s':>11}")
    for figure in figures:
        print(f"{figure['step']:<58} {figure['cpu_s']:>8} {figure['wall_s']:>8} {figure['rss_mb']:>8} "
              f"{figure.get('rows_per_s_wall', ''):>12} {figure.get('rows_per_cpu_s', '') or '':>11}")
    total_wall = exported.wall_s + imported.wall_s + finished.wall_s
    print(f"export + import + finish: {total_wall:.1f} s wall, {(node_rows + edge_rows) / total_wall:,.0f} rows/s "
          "(issue 15's target for the offline import: >= 200,000 rows/s)")
    if args.keep:
        print(f"server kept running: NEO4J_URI={uri} (stop: GRAPHGOV_NEO4J_HOME={home} {SCRIPT} stop)")
    bolt_rows = manifest["fixup_nodes"] + manifest["fixup_relationships"]
    result = {"store": str(args.store), "rows": {"nodes": node_rows, "relationships": edge_rows,
                                                 "bookkeeping": manifest["bookkeeping"], "through_bolt": bolt_rows},
              "export_mb": round(export_bytes / 1e6), "figures": figures, "machine": machine(ROOT)}
    target = ROOT / "bench" / "results" / f"{time.strftime('%Y-%m-%d')}-bulk-import-{edge_rows}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"figures written to {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
