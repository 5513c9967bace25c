"""Every saved question as a user runs it: one whole `graphgov query` process each, for two checkouts side by side.

    python bench/query_process.py --store S.db --code ../old-checkout [--code .] [--runs 3] [--out F.json]

This process stays small (a child's peak RSS starts from its parent's: Linux keeps it across exec): answers
go to a file a child counts. The store is opened by each checkout's own code (the same file: give a store
both can read). Parameters are picked once, in a child with this checkout's code, as bench/speed.py picks
them (the busiest of up to 40 candidates), so every checkout answers the same asks. Per question and
checkout: the median CPU (user+sys, minus a bare `graphgov questions`: interpreter start and imports) and
peak RSS of `--runs` processes, the answer's size (the same on every checkout, or the line says DIFFERENT),
and the ratio of the last checkout to the first.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # noqa: E402 - bench/ is not a package: its sibling modules are found by path
import probes  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _pick_all(store_path: str) -> dict[str, dict[str, str] | None]:
    from graphgov.questions.catalog import catalog
    from graphgov.stores.embedded import EmbeddedStore

    store = EmbeddedStore(Path(store_path), read_only=True)
    try:
        return {q.id: probes._pick(store, q) for q in sorted(catalog().values(), key=lambda q: q.id)}
    finally:
        store.close()


def _params(store_path: str) -> dict[str, dict[str, str] | None]:
    """The parameters, picked in a child: a process keeps its peak RSS across exec, so picking them here would
    make this process's size every measured child's floor."""
    picked = measure.run([sys.executable, __file__, "--pick", store_path], ROOT, dict(os.environ))
    return json.loads(picked.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--store", help="an embedded store file both checkouts can read", required=True)
    parser.add_argument("--code", action="append", type=Path, help="a checkout to measure (repeat; default: this)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", action="append", help="these questions only (repeat)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--pick", help=argparse.SUPPRESS)  # the child that picks the parameters
    if argv is None and len(sys.argv) == 3 and sys.argv[1] == "--pick":
        print(json.dumps(_pick_all(sys.argv[2])))
        return
    args = parser.parse_args(argv)
    codes = [c.resolve() for c in (args.code or [ROOT])]
    store = str(Path(args.store).resolve())
    picked = _params(store)
    where = Path(store).parent
    figures: dict[str, Any] = {"store": store, "machine": measure.machine(codes[-1]), "codes": [], "questions": {}}
    for code in codes:
        env = {**os.environ, "PYTHONPATH": str(code)}
        bare = measure.median_run([sys.executable, "-m", "graphgov.cli", "questions"], where, env, args.runs)
        figures["codes"].append({"code": str(code), "commit": measure.machine(code)["commit"],
                                 "bare_cpu_s": round(bare.cpu_s, 3)})
        for qid, given in picked.items():
            if given is None or (args.only and qid not in args.only):
                continue
            argv_q = ["query", qid, "--format", "json", "--store", store]
            for key, value in given.items():
                argv_q += ["--param", f"{key}={value}"]
            answer = where / f".query-process-{qid}.json"  # read by a child: this process stays small
            shell = f'exec "$0" -m graphgov.cli "$@" > {shlex.quote(str(answer))}'
            run = measure.median_run(["sh", "-c", shell, sys.executable, *argv_q], where, env, args.runs)
            counted = measure.run([sys.executable, "-c", "import json, sys; print(len(json.load(open(sys.argv[1]))))",
                                   str(answer)], where, env)
            rows = int(counted.stdout)
            answer.unlink()
            figures["questions"].setdefault(qid, {"params": given, "by_code": []})["by_code"].append(
                {"cpu_s": round(run.cpu_s - bare.cpu_s, 3), "wall_s": round(run.wall_s, 3),
                 "rss_mb": round(run.rss_mb), "rows": rows})
    names = " | ".join(f"{c['commit']} CPU s, peak MB" for c in figures["codes"])
    print(f"whole `graphgov query` per question on {store} (median of {args.runs}; CPU minus a bare process)")
    print(f"| question | rows | {names} | last/first CPU |")
    for qid, q in figures["questions"].items():
        runs = q["by_code"]
        rows = {r["rows"] for r in runs}
        cells = " | ".join(f"{r['cpu_s']:.2f} s, {r['rss_mb']} MB" for r in runs)
        ratio = runs[-1]["cpu_s"] / runs[0]["cpu_s"] if runs[0]["cpu_s"] > 0 else float("nan")
        shown = str(rows.pop()) if len(rows) == 1 else f"DIFFERENT {sorted(rows)}"
        print(f"| {qid} | {shown} | {cells} | {ratio:.2f}x |", flush=True)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
