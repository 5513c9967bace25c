"""Neo4j write rates: rows per second for nodes, edges and seen keys, each on its own (issue 15).

    python bench/neo4j_rates.py --neo4j bolt://127.0.0.1:7687 --wipe DIR...

loads DIR (e.g. the output of `graphgov generate`) into that Neo4j and prints what the store measured
while writing (`Neo4jStore.write_rates`): per kind the rows written, the seconds spent in its statements
(the client's wall time, server time included) and their rate, the same over whole write transactions
(commit included), then the whole load's records/s and CPU.
`--wipe` empties the database first (graphgov's part, as `graphgov store wipe`): use a scratch server.
`bench/speed.py` and `bench/bench_load.py` call `rates` and `describe` on a store they loaded.
No pass/fail: the figures go in the issue notes.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ("nodes", "edges", "seen", "links", "seen lookups", "transactions")


def rates(store: Any) -> dict[str, dict[str, float]]:
    """{kind: {rows, seconds, rows_per_s}} of what `store` (a Neo4jStore) wrote since it was opened."""
    measured = getattr(store, "write_rates", {})
    out: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        rows, seconds = measured.get(kind, (0, 0.0))
        out[kind] = {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds if seconds else 0.0}
    return out


def describe(measured: dict[str, dict[str, float]]) -> str:
    """One line per kind; "transactions" is the issue's "MERGE writes" row: node, edge and seen rows over the
    whole write transactions (statements, links, pending layer and commit)."""
    notes = {"links": "(statements only: links derived from keys)", "seen lookups": "(reads: `unseen`)",
             "transactions": "(node+edge+seen rows over whole write transactions, commit included)"}
    return "\n".join(f"  {kind:<13} {m['rows']:>9,.0f} rows in {m['seconds']:7.1f} s  {m['rows_per_s']:>9,.0f} rows/s"
                     f" {notes.get(kind, '')}".rstrip()
                     for kind, m in measured.items() if m["rows"] or m["seconds"])


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--neo4j", required=True, help="bolt:// URI of a scratch Neo4j database")
    parser.add_argument("--wipe", action="store_true", help="empty graphgov's part of the database first")
    args = parser.parse_args()

    from graphgov.ingest.pipeline import load_paths
    from graphgov.stores import open_store

    with open_store(args.neo4j) as store, tempfile.TemporaryDirectory() as tmp:
        if args.wipe:
            store.wipe()
        store.write_rates.clear()
        start, cpu = time.perf_counter(), _cpu()
        summary = load_paths(args.paths, store, Path(tmp) / "quarantine.jsonl")
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        print(f"neo4j load: {summary.records:,} records, {summary.loaded:,} loaded, {summary.nodes:,} nodes, "
              f"{summary.edges:,} edges in {seconds:.1f} s ({summary.records / seconds:,.0f} records/s; "
              f"client CPU {cpu:.1f} s, access derivation included)")
        print(describe(rates(store)))


if __name__ == "__main__":
    main()
