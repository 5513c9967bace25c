"""Measurements that run inside one fresh process against the checkout under test (`PYTHONPATH=<code>`).

    python bench/probes.py PROBE [--store SPEC] [...]   (prints one JSON object; bench/speed.py runs it)

Probes: `open` (open_store + totals), `derive` (refresh_access on the loaded store, not committed),
`questions` (every saved question asked N times on one open store: the median), `answers` (the row
counts of the three questions the DuckDB peer answers), `neo4j-load` (a load through a store wrapper
that counts the rows each write carries), `neo4j-version`. They touch the store only through
`graphgov.stores.open_store` and the `Store` interface, so they keep working when the embedded store's
file format changes; the store is the default one of the working directory unless `--store` names one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Parameter type -> the merge labels (graphgov.core.schema.MERGE_KEYS) whose keys can be its values.
VALUES_OF = {"endpoint": ("Endpoint",), "model": ("Model",), "job": ("TrainingJob", "CustomizationJob"),
             "bucket": ("S3Bucket",), "dataset": ("Dataset",), "principal": ("AWSPrincipal",)}


PICK_FROM = 40  # candidate values tried per parameterised question


def _cpu() -> float:
    return time.process_time()


def _open(spec: str | None, read_only: bool = True) -> Any:
    from graphgov.stores import open_store

    return open_store(spec, read_only=read_only) if read_only else open_store(spec)


def probe_open(args: argparse.Namespace) -> dict[str, Any]:
    """What a `graphgov questions`-like reader pays before its first answer: open and count."""
    cpu0, wall0 = _cpu(), time.perf_counter()
    store = _open(args.store)
    nodes, edges = store.totals()
    result = {"cpu_s": _cpu() - cpu0, "wall_s": time.perf_counter() - wall0, "nodes": nodes, "edges": edges}
    store.close()
    return result


def probe_derive(args: argparse.Namespace) -> dict[str, Any]:
    """A whole access derivation on the loaded graph (refresh_access, left uncommitted)."""
    from graphgov.access.derivation import refresh_access

    store = _open(args.store, read_only=False)
    try:
        cpu0, wall0 = _cpu(), time.perf_counter()
        summary = refresh_access(store, commit=False)
        cpu, wall = _cpu() - cpu0, time.perf_counter() - wall0
    finally:
        store.close()
    return {"cpu_s": cpu, "wall_s": wall, "decisions": getattr(summary, "decisions", None),
            "principals": getattr(summary, "principals", None), "targets": getattr(summary, "targets", None),
            "edges": sum((getattr(summary, "edges", None) or {}).values())}


def _values(store: Any, param_type: str) -> list[str]:
    keys: set[str] = set()
    for label in VALUES_OF.get(param_type, ()):
        keys.update(key for key, _ in store.scan_nodes(label))
    return sorted(keys)


def _pick(store: Any, question: Any) -> dict[str, str] | None:
    """Parameters for the timed runs: the candidate value (of up to `PICK_FROM`, spread over the graph's sorted
    keys) whose answer has the most rows, so the figure is a busy case, and the same for every checkout of
    the same input; None when the graph has no value for a required parameter. At most one required
    parameter is varied (every saved question has at most one)."""
    from graphgov.questions.catalog import QuestionError, ask

    required = [(name, spec) for name, spec in question.params.items() if spec.required]
    if not required:
        return {}
    name, spec = required[0]
    values = _values(store, spec.type)
    if not values:
        return None
    step = max(1, len(values) // PICK_FROM)
    best: tuple[int, str] | None = None
    for value in values[::step][:PICK_FROM]:
        try:
            rows = len(ask(store, question.id, {name: value}))
        except QuestionError:
            continue
        if best is None or rows > best[0]:
            best = (rows, value)
    return None if best is None else {name: best[1]}


def probe_questions(args: argparse.Namespace) -> dict[str, Any]:
    """Median latency of every saved question over `--runs` runs on one open store, and its rows."""
    from graphgov.questions.catalog import ask, catalog

    cpu0, wall0 = _cpu(), time.perf_counter()
    store = _open(args.store)
    store.totals()
    opened = {"cpu_s": _cpu() - cpu0, "wall_s": time.perf_counter() - wall0}
    results: dict[str, Any] = {}
    for question in sorted(catalog().values(), key=lambda q: q.id):
        given = _pick(store, question)
        if given is None:
            results[question.id] = {"skipped": "no value in the graph for a required parameter"}
            continue
        times, cpu, rows = [], [], None
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), _cpu()
            try:
                rows = len(ask(store, question.id, given))
            except Exception as exc:  # noqa: BLE001 - a failing question is a figure too, not the end of the run
                results[question.id] = {"params": given, "error": f"{type(exc).__name__}: {exc}"}
                break
            times.append(time.perf_counter() - start)
            cpu.append(_cpu() - start_cpu)
        else:  # wall is the latency a user sees; CPU (this process only: not Neo4j's) is steadier on a busy machine
            results[question.id] = {"params": given, "rows": rows, "median_s": statistics.median(times),
                                    "median_cpu_s": statistics.median(cpu), "runs": len(times)}
    store.close()
    return {"open": opened, "questions": results}


def probe_answers(args: argparse.Namespace) -> dict[str, Any]:
    """Row counts of the DuckDB peer's three questions, over every bucket and every principal."""
    from graphgov.questions.catalog import QuestionError, ask

    store = _open(args.store)
    rows = {"object-readers": 0, "cross-account-assumptions": 0, "principal-activity": 0}
    for bucket in _values(store, "bucket"):
        rows["object-readers"] += len(ask(store, "object-readers", {"bucket": bucket}))
    rows["cross-account-assumptions"] = len(ask(store, "cross-account-assumptions"))
    for arn in _values(store, "principal"):
        try:
            rows["principal-activity"] += len(ask(store, "principal-activity", {"principal": arn}))
        except QuestionError:
            continue
    store.close()
    return {"rows": rows}


class CountingStore:
    """A store wrapper that times each evidence write and counts its node, edge and seen-key rows (all written
    in one transaction, so the kinds share its time)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.seconds, self.writes = inner, 0.0, 0
        self.rows = {"nodes": 0, "edges": 0, "seen": 0}

    def _count(self, call: Callable[[], None], aggregate: Any, seen: Any) -> None:
        start = time.perf_counter()
        call()
        self.seconds += time.perf_counter() - start
        self.writes += 1
        self.rows["nodes"] += len(aggregate.nodes)
        self.rows["edges"] += len(aggregate.edges)
        self.rows["seen"] += len(seen)

    def write(self, aggregate: Any, seen: Any, *args: Any, **kwargs: Any) -> None:
        self._count(lambda: self.inner.write(aggregate, seen, *args, **kwargs), aggregate, seen)

    def write_claimed(self, aggregate: Any, seen: Any, *args: Any, **kwargs: Any) -> None:
        self._count(lambda: self.inner.write_claimed(aggregate, seen, *args, **kwargs), aggregate, seen)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def probe_neo4j_load(args: argparse.Namespace) -> dict[str, Any]:
    """A load into Neo4j through CountingStore: rows per second of write time, records per second overall."""
    from graphgov.ingest.pipeline import load_paths

    store = CountingStore(_open(args.store, read_only=False))
    cpu0, wall0 = _cpu(), time.perf_counter()
    summary = load_paths([Path(p) for p in args.paths], store, Path(args.quarantine))
    wall = time.perf_counter() - wall0
    store.inner.close()
    rows = sum(store.rows.values())
    return {"wall_s": wall, "cpu_s": _cpu() - cpu0, "records": summary.records, "nodes": summary.nodes,
            "edges": summary.edges, "rows": store.rows, "writes": store.writes, "write_s": store.seconds,
            "rows_per_s": rows / store.seconds if store.seconds else None,
            "per_kind_per_s": {k: v / store.seconds for k, v in store.rows.items()} if store.seconds else {},
            "records_per_s": summary.records / wall}


def probe_neo4j_version(args: argparse.Namespace) -> dict[str, Any]:
    store = _open(args.store)
    with store.driver.session() as session:
        record = session.run("CALL dbms.components() YIELD name, versions, edition "
                             "RETURN name, versions[0] AS version, edition").single()
    store.close()
    return {"neo4j": f"{record['name']} {record['version']} {record['edition']}"}


PROBES = {"open": probe_open, "derive": probe_derive, "questions": probe_questions, "answers": probe_answers,
          "neo4j-load": probe_neo4j_load, "neo4j-version": probe_neo4j_version}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("probe", choices=sorted(PROBES))
    parser.add_argument("--store", default=None, help="default: the working directory's default store")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quarantine", default="quarantine.jsonl")
    parser.add_argument("paths", nargs="*")
    args = parser.parse_intermixed_args(argv)
    print(json.dumps(PROBES[args.probe](args), default=str))


if __name__ == "__main__":
    sys.exit(main())
