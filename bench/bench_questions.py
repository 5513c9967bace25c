"""Every saved question timed on a loaded store, with Neo4j's PROFILE beside it (not run by CI).

    python bench/bench_questions.py --neo4j bolt://127.0.0.1:7687 [--repeats 5] [--json out.json]
    python bench/bench_questions.py --store graph.json.gz [--repeats 5] [--json out.json]
                                    [--param principal-activity:principal=arn:...]

Each question runs once to warm the caches, then `repeats` times through `questions.catalog.ask` (parameters
bound and rows normalised: what a caller waits for, minus the interpreter's start); the median and the
fastest run are printed. A question that takes parameters is asked with representative ones picked from the
graph itself (`pick_params`: the busiest principal and bucket, the endpoint, model, job and dataset with the
most lineage), unless `--param` names them. On Neo4j the question is also run once under PROFILE: its total
db hits, the operator with the most db hits, the operator its plan starts from, and the operators that
scan (label or all-node scans, Eager, Cartesian products) and read something. `measure(store, repeats)` is
the importable entry point (bench/speed.py calls it); the command prints a table and, with `--json`, writes
the figures for bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphgov.questions.catalog import Question, ask, catalog  # noqa: E402
from graphgov.stores import open_store  # noqa: E402
from graphgov.stores.base import Store, StoreError  # noqa: E402

# Plan operators that read more than the parameter leads to: what the issue asks to rewrite away.
SCANNING = ("AllNodesScan", "NodeByLabelScan", "UnionNodeByLabelsScan", "IntersectionNodeByLabelsScan",
            "Eager", "CartesianProduct", "DirectedAllRelationshipsScan", "UndirectedAllRelationshipsScan",
            "DirectedRelationshipTypeScan", "UndirectedRelationshipTypeScan")
SEEKS = ("NodeUniqueIndexSeek", "NodeIndexSeek", "NodeIndexSeekByRange", "MultiNodeIndexSeek",
         "NodeUniqueIndexSeekByRange", "AssertingMultiNodeIndexSeek")


def pick_params(store: Store, heaviest: bool = False) -> dict[str, dict[str, str]]:
    """Representative parameters for each parameterised question, read from the graph.

    Principals and buckets ranked by READ edges, endpoints by configurations that serve a model, models by
    the configurations serving them, training jobs by INPUT_READABLE_BY edges, datasets by the jobs that read
    them: the typical one (the median of the ranking) or, with `heaviest`, the top one (the worst case: the
    busiest principal's activity is ten thousand rows at 100k records). A question whose kind of node is
    absent from the graph is left out (it would only fail to bind).
    """
    readers: Counter[str] = Counter()
    buckets: Counter[str] = Counter()
    for (_, principal), (_, obj), _ in store.scan_edges("READ"):
        readers[principal] += 1
        buckets[obj.removeprefix("arn:aws:s3:::").split("/", 1)[0]] += 1
    serving: Counter[str] = Counter(dst for _, (_, dst), _ in store.scan_edges("SERVES"))
    served_by = {src: dst for (_, src), (_, dst), _ in store.scan_edges("SERVES")}
    endpoints: Counter[str] = Counter()
    for (_, endpoint), (_, config), _ in store.scan_edges("USES_CONFIG"):
        endpoints[endpoint] += 1 if config in served_by else 0
    jobs: Counter[str] = Counter(src for (_, src), _, _ in store.scan_edges("INPUT_READABLE_BY"))
    datasets: Counter[str] = Counter(dst for _, (_, dst), _ in store.scan_edges("READS"))
    ranked = {"principal": readers, "bucket": buckets, "endpoint": endpoints, "model": serving, "job": jobs,
              "dataset": datasets}
    chosen = {kind: _ranked(counts, heaviest) for kind, counts in ranked.items()}
    picked: dict[str, dict[str, str]] = {}
    for question in catalog().values():
        given = {name: chosen[spec.type] for name, spec in question.params.items()
                 if spec.type in chosen and (spec.required or question.id == "training-data-readers")}
        if not given or any(value is None for value in given.values()):
            continue
        picked[question.id] = given  # type: ignore[assignment]  # no None left
    return picked


def _ranked(counts: Counter[str], heaviest: bool) -> str | None:
    """The key ranked first, or the median key, by count (ties: the smallest key, so two runs pick the same)."""
    ranking = sorted((key for key, count in counts.items() if count), key=lambda key: (-counts[key], key))
    if not ranking:
        return None
    return ranking[0] if heaviest else ranking[len(ranking) // 2]


def measure(store: Store, repeats: int = 5, params: Mapping[str, Mapping[str, str]] | None = None,
            only: list[str] | None = None, heaviest: bool = False,
            skip: list[str] | None = None) -> list[dict[str, Any]]:
    """One dict per question asked: id, params, rows, median_ms and min_ms over `repeats` warm runs, and on
    Neo4j the PROFILE figures (db_hits, top_operator, entry_operator, scans)."""
    chosen = dict(pick_params(store, heaviest))
    chosen.update(params or {})
    results = []
    for question in catalog().values():
        if (only and question.id not in only) or question.id in (skip or ()):
            continue
        for given in _asks(question, chosen):
            try:
                results.append(_measure_one(store, question, given, repeats))
            except StoreError as exc:  # e.g. the question's time limit: say so and go on with the next
                results.append({"question": question.id, "params": dict(given), "error": str(exc)})
    return results


def _measure_one(store: Store, question: Question, given: Mapping[str, str], repeats: int) -> dict[str, Any]:
    rows = ask(store, question.id, given)  # the warm-up run
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        ask(store, question.id, given)
        times.append((time.perf_counter() - started) * 1000)
    result: dict[str, Any] = {"question": question.id, "params": dict(given), "rows": len(rows),
                              "median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1)}
    if hasattr(store, "driver"):
        result.update(profile(store, question, given))
    return result


def _asks(question: Question, chosen: Mapping[str, Mapping[str, str]]) -> list[dict[str, str]]:
    """The parameter sets a question is asked with: none, the chosen ones, or both when all are optional."""
    if not question.params:
        return [{}]
    if question.id not in chosen:
        return [] if any(spec.required for spec in question.params.values()) else [{}]
    given = dict(chosen[question.id])
    if any(spec.required for spec in question.params.values()):
        return [given]
    return [{}, given]  # the whole estate, then the one the parameter names


def profile(store: Any, question: Question, given: Mapping[str, str]) -> dict[str, Any]:
    """Neo4j's PROFILE of one question with its bound parameters, in a read transaction."""
    from graphgov.questions.catalog import bind_params

    bound = bind_params(question, given, store)
    kwargs = {"database": store.database} if store.database else {}
    with store.driver.session(default_access_mode="READ", **kwargs) as session:
        summary = session.execute_read(lambda tx: _consumed(tx.run("PROFILE " + question.cypher, bound)))
    plan = summary.profile
    operators = list(_walk(plan))
    top = max(operators, key=lambda op: op.get("dbHits", 0))
    return {
        "db_hits": sum(op.get("dbHits", 0) for op in operators),
        "top_operator": f"{_name(top)} ({top.get('dbHits', 0)} db hits)",
        "entry_operator": _name(entry_operator(plan)),
        # only the scans that ran: one behind a filter on a parameter (an optional one's branch) reads nothing
        "scans": sorted({_name(op) for op in operators
                         if _name(op) in SCANNING and (op.get("rows", 0) or op.get("dbHits", 0))}),
    }


def _consumed(result: Any) -> Any:
    """The summary after reading every row: PROFILE's figures exist only once the rows were pulled."""
    for _ in result:
        pass
    return result.consume()


def _walk(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield plan
    for child in plan.get("children", []):
        yield from _walk(child)


def entry_operator(plan: Mapping[str, Any]) -> Mapping[str, Any]:
    """The operator a plan starts from: follow the first (left-hand) child down to a leaf."""
    while plan.get("children"):
        plan = plan["children"][0]
    return plan


def _name(op: Mapping[str, Any]) -> str:
    return str(op.get("operatorType", "?")).split("@")[0]


def print_table(results: list[dict[str, Any]]) -> None:
    header = f"{'question':<38} {'rows':>7} {'median ms':>10} {'min ms':>8}"
    neo4j = any("db_hits" in r for r in results)
    if neo4j:
        header += f" {'db hits':>11}  {'entry':<22} {'top operator':<40} scans"
    print(header)
    for r in results:
        label = r["question"] + ("*" if r["params"] else "")
        if "error" in r:
            print(f"{label:<38} {'failed: ' + r['error']}")
            continue
        line = f"{label:<38} {r['rows']:>7} {r['median_ms']:>10.1f} {r['min_ms']:>8.1f}"
        if neo4j:
            line += (f" {r['db_hits']:>11,}  {r['entry_operator']:<22} {r['top_operator']:<40} "
                     f"{', '.join(r['scans']) or '-'}")
        print(line)
    print("* asked with parameters:")
    for r in results:
        if r["params"]:
            print(f"  {r['question']}: " + ", ".join(f"{k}={v}" for k, v in sorted(r["params"].items())))


def machine() -> str:
    """The machine the figures come from: CPU model and count, memory, Python."""
    model = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                  if line.startswith("model name")), platform.processor() or platform.machine())
    memory = next((line.split()[1] for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")), "0")
    return (f"{model}, {os.cpu_count()} cores, {int(memory) / 1024 / 1024:.0f} GB, "
            f"{platform.python_implementation()} {platform.python_version()}")


def server_version(store: Any) -> str:
    if not hasattr(store, "driver"):
        return "embedded"
    return str(store.driver.get_server_info().agent)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def _parse_param(text: str) -> tuple[str, str, str]:
    question, _, rest = text.partition(":")
    name, _, value = rest.partition("=")
    if not (question and name and value):
        raise argparse.ArgumentTypeError(f"--param {text!r}: expected QUESTION:NAME=VALUE")
    return question, name, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--neo4j", metavar="URI", help="a loaded Neo4j (bolt://...)")
    where.add_argument("--store", metavar="PATH", help="a loaded embedded store (opened read-only)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--param", action="append", type=_parse_param, default=[], metavar="QUESTION:NAME=VALUE")
    parser.add_argument("--heaviest", action="store_true",
                        help="ask about the busiest principal, bucket, ... (default: the median one)")
    parser.add_argument("--only", action="append", metavar="QUESTION", help="only these questions (repeatable)")
    parser.add_argument("--skip", action="append", metavar="QUESTION", help="leave these questions out (repeatable)")
    parser.add_argument("--json", type=Path, help="write the figures here (for bench/results/)")
    args = parser.parse_args()
    given: dict[str, dict[str, str]] = {}
    for question, name, value in args.param:
        given.setdefault(question, {})[name] = value
    spec = args.neo4j or args.store
    started = time.perf_counter()
    with open_store(spec, read_only=True) as store:
        print(f"opened {store.description} in {time.perf_counter() - started:.1f} s")
        results = measure(store, args.repeats, given, args.only, args.heaviest, args.skip)
        server = server_version(store)
    print_table(results)
    if args.json:
        figures = {"store": "neo4j" if args.neo4j else "embedded", "repeats": args.repeats,
                   "parameters": "heaviest" if args.heaviest else "median",
                   "machine": machine(), "server": server,
                   "questions": results}
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
