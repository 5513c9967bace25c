"""The embedded store at scale, printed as figures (no pass/fail; not run by CI).

    python bench/bench_embedded_store.py STORE.db [--old STORE.json.gz] [--chunk DIR]

Each figure is measured in a fresh process (CPU = user+sys of that process, RSS = its peak), so one does not
warm the next:

1. open: a reader and a writer opening the store and counting it (`totals`), which is all a load needs
   before its first chunk.
2. chunk: a writer folding DIR's records (default: a few generated files) into a copy of the store and
   committing: the commit writes the rows the chunk touched, so its cost follows the chunk, not the store.
3. graph: the networkx graph the saved questions' twins run on, built from the whole store, and one
   whole-estate question (cross-account-exposure) asked on it.
4. with --old: the same graph read from the old gzip JSON file (graphgov-embedded/1), which is also the
   least an append-only JSON log would pay at every open (it has to replay every row into memory).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _usage() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": own.ru_utime + own.ru_stime, "rss_mb": own.ru_maxrss / 1024}


def _chunk(path: Path) -> tuple[object, dict[str, str]]:
    """The records under `path` parsed and aggregated as a load's chunk, with their seen keys."""
    from graphgov.core.delta import Malformed, Skip
    from graphgov.ingest.aggregate import Aggregate
    from graphgov.ingest.pipeline import parse_record
    from graphgov.ingest.readers import iter_paths, read_path

    aggregate, seen = Aggregate(), {}
    for file in iter_paths([path]):
        for raw in read_path(file):
            try:
                delta = parse_record(raw)
            except (Skip, Malformed):
                continue
            aggregate.add(delta)
            seen[delta.event_key] = delta.time[:10]
    return aggregate, seen


def _measure(kind: str, store: str, extra: str) -> dict[str, object]:
    """One measurement, run inside the child process."""
    from graphgov.stores.embedded import EmbeddedStore

    started = _usage()["cpu"]
    out: dict[str, object] = {}
    if kind in ("open-reader", "open-writer"):
        with EmbeddedStore(Path(store), read_only=kind == "open-reader") as opened:
            out["totals"] = opened.totals()
    elif kind == "chunk":
        aggregate, seen = _chunk(Path(extra))
        opened = EmbeddedStore(Path(store))
        begun = _usage()["cpu"]
        opened.write(aggregate, seen)
        written = _usage()["cpu"]
        opened.commit()
        wal = Path(store + "-wal")
        out.update(records=len(seen), rows=len(aggregate), write_cpu=written - begun,
                   commit_cpu=_usage()["cpu"] - written, wal_mb=wal.stat().st_size / 2**20 if wal.exists() else 0.0)
        opened.close()
    elif kind == "graph":
        opened = EmbeddedStore(Path(store), read_only=True)
        graph = opened.graph()
        out["graph_cpu"] = _usage()["cpu"] - started
        out["graph_rss_mb"] = _usage()["rss_mb"]
        begun = _usage()["cpu"]
        out["rows"] = len(opened.ask("cross-account-exposure", "", {}))
        out["question_cpu"] = _usage()["cpu"] - begun
        out["graph"] = (graph.number_of_nodes(), graph.number_of_edges())
    elif kind == "old":
        import networkx as nx

        from graphgov.stores.embedded_file import read_store_file

        data = read_store_file(Path(store))
        graph = nx.MultiDiGraph()
        for label, key, attrs in data["nodes"]:
            graph.add_node((label, key), **attrs)
        for edge_type, src, dst, attrs in data["edges"]:
            graph.add_edge(tuple(src), tuple(dst), key=edge_type, **attrs)
        out["graph"] = (graph.number_of_nodes(), graph.number_of_edges())
    out["cpu"] = _usage()["cpu"] - started
    out["rss_mb"] = _usage()["rss_mb"]
    return out


def _child(kind: str, store: Path, extra: str = "") -> dict[str, object]:
    result = subprocess.run([sys.executable, __file__, "--measure", kind, str(store), "--chunk", extra],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--old", type=Path, default=None, help="the same graph as an old gzip JSON store file")
    parser.add_argument("--chunk", default="", help="a directory of logs to fold into a copy of the store")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, str(args.store), args.chunk)))
        return
    size = args.store.stat().st_size / 2**20
    print(f"embedded store {args.store}: {size:,.0f} MB")
    for kind in ("open-reader", "open-writer"):
        found = _child(kind, args.store)
        nodes, edges = found["totals"]
        print(f"  {kind:12} {found['cpu']:6.2f} s CPU  {found['rss_mb']:6.0f} MB peak   "
              f"({nodes:,} nodes, {edges:,} edges)")
    chunk = args.chunk
    with tempfile.TemporaryDirectory(dir=args.store.parent) as scratch:
        if not chunk:
            from graphgov.generate import generate

            generate(Path(scratch) / "chunk", seed=99, records=2000)
            chunk = str(Path(scratch) / "chunk")
        for name, source in (("empty store", None), ("this store", args.store)):
            copy = Path(scratch) / "copy.db"
            for leftover in Path(scratch).glob("copy.db*"):
                leftover.unlink()
            if source is not None:
                started = time.monotonic()
                shutil.copyfile(source, copy)
                copied = time.monotonic() - started
            found = _child("chunk", copy, chunk)
            print(f"  chunk into {name:11} {found['records']:,} records ({found['rows']:,} rows): write "
                  f"{found['write_cpu']:5.2f} s, commit {found['commit_cpu']:5.2f} s CPU, {found['rss_mb']:6.0f} MB "
                  f"peak, log {found['wal_mb']:.1f} MB"
                  + (f" (copy of the store took {copied:.1f} s)" if source is not None else ""))
    found = _child("graph", args.store)
    print(f"  question graph {found['graph_cpu']:6.2f} s CPU  {found['graph_rss_mb']:6.0f} MB peak "
          f"({found['graph'][0]:,} nodes, {found['graph'][1]:,} edges); cross-account-exposure "
          f"{found['question_cpu']:.2f} s, {found['rows']:,} rows")
    if args.old is not None:
        found = _child("old", args.old)
        print(f"  old gzip JSON  {found['cpu']:6.2f} s CPU  {found['rss_mb']:6.0f} MB peak  (graphgov-embedded/1: "
              "the whole graph read at every open, as an append-only JSON log would replay it)")


if __name__ == "__main__":
    main()
