"""Access derivation on one loaded store, phase by phase: reading the facts, the edges in force, the job edges.

    python bench/derive_phases.py STORE.db [--jobs N]

Opens an embedded store read-only (nothing is written: the phases are computed, not settled) and prints each
phase's CPU seconds, its decisions and edges, and the process's peak RSS: where a derivation's time goes at a
size `derive_scaling.py` (which copies the store) makes awkward, e.g. the 10M-record store of 6 GB. `--jobs N`
stops after the first N training and customization jobs (the role-chain walks), for a quick look.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    from graphgov.access import derivation
    from graphgov.stores.embedded import EmbeddedStore

    store = EmbeddedStore(args.store, read_only=True)
    started = time.process_time()
    facts = derivation._read_facts(store)
    print(f"read facts      {time.process_time() - started:8.1f} s CPU  policy states {len(facts.states):,}, "
          f"principals {len(facts.principals):,}, datasets {len(facts.datasets):,}, jobs {len(facts.job_inputs):,}, "
          f"observations {sum(len(v) for v in facts.observed.values()):,}", flush=True)
    deriver = derivation._Deriver(facts)
    started = time.process_time()
    edges = deriver.current_edges(deriver.timeline.as_of or "")
    print(f"edges in force  {time.process_time() - started:8.1f} s CPU  {len(edges):,} edges, "
          f"{deriver.decisions:,} decisions, {deriver.target_count:,} targets", flush=True)
    jobs = sorted(facts.job_inputs)[:args.jobs]
    before, started = deriver.decisions, time.process_time()
    job_edges = derivation.job_edges(deriver, jobs)
    print(f"job edges       {time.process_time() - started:8.1f} s CPU  {len(job_edges):,} edges for {len(jobs):,} "
          f"jobs, {deriver.decisions - before:,} decisions", flush=True)
    print(f"errors {len(deriver.errors)}; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024:,} MB")


if __name__ == "__main__":
    main()
