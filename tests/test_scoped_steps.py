"""The replica and access-point steps after a load derive only what the load wrote, and give the graph the
whole-graph steps give (graphgov.ingest.replication, graphgov.ingest.access_points, issue 15), on both stores.

Corpus: the generator's seeded 1,000-record platform (replication of its fraud datasets to a partner) and the
S3 movement fixtures (a replication rule governing objects written before and after it, tags, access points),
loaded in many runs with the replication configuration changed in between; the same runs with the steps forced
to read the whole graph give the same graph after every run.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from graph_dump import dump
from helpers import FIXTURES, wipe_neo4j, write_json

from graphgov.access import marker
from graphgov.generate import generate
from graphgov.ingest import replication
from graphgov.ingest.pipeline import load_paths
from graphgov.ingest.readers import expand_paths
from graphgov.stores.embedded import EmbeddedStore

MOVES = FIXTURES / "s3-movement"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("corpus")
    generate(root, seed=0, records=1000)
    return expand_paths([root])


def _records(name: str) -> list[dict]:
    return json.loads((MOVES / name).read_text())["Records"]


def _runs(corpus: list[Path], tmp_path: Path) -> list[list[Path]]:
    """Loads in order: half the platform, objects before the rule, the rule, tags and more objects, the other
    half, the rule changed (existing objects replicate too), an object written after it, access points, the
    training jobs (nothing replicated)."""
    records = _records("replication.json")
    by_key = {(r["eventName"], (r["requestParameters"] or {}).get("key")): r for r in records}
    rule = by_key[("PutBucketReplication", None)]
    changed = copy.deepcopy(rule)
    changed.update(eventID="4e900000-0000-4000-8000-0000000000a1", eventTime="2024-08-04T09:00:00Z")
    for item in changed["requestParameters"]["ReplicationConfiguration"]["Rule"]:
        item["ExistingObjectReplication"] = {"Status": "Enabled"}
    later = copy.deepcopy(by_key[("PutObject", "customers/c1.csv")])
    later.update(eventID="4e900000-0000-4000-8000-0000000000a2", eventTime="2024-08-04T10:00:00Z")
    later["requestParameters"]["key"] = "customers/c2.csv"
    later["resources"] = [dict(r, ARN=r["ARN"].replace("c1.csv", "c2.csv")) for r in later.get("resources") or []]
    half = len(corpus) // 2

    def file(name: str, items: list[dict]) -> list[Path]:
        return [write_json(tmp_path / f"{name}.json", {"Records": items})]

    return [
        corpus[:half],
        file("before", [by_key[("PutObject", "customers/before.csv")], by_key[("PutObject", "customers/c1.csv")]]),
        file("rule", [rule]),
        file("tags", [by_key[("PutObjectTagging", "customers/c1.csv")], by_key[("PutObject", "other/o1.csv")],
                      by_key[("PutObject", "exports/e1.csv")], by_key[("PutObjectTagging", "exports/e1.csv")],
                      by_key[("PutObject", "exports/e2.csv")], by_key[("PutObjectTagging", "exports/e2.csv")]]),
        corpus[half:],
        file("changed", [changed]),
        file("later", [later]),
        [MOVES / "access-point-created.json", MOVES / "access-point-use.json"],
        file("jobs", [r for r in records if r["eventName"] == "CreateTrainingJob"]),
    ]


def _load_each(store, runs: list[list[Path]], tmp_path: Path, name: str) -> tuple[list[dict], list]:  # noqa: ANN001
    """Load each run in turn (a fresh handle per run on the embedded store); the graph dump after each and how the
    replica step derived (True: scoped to the load, False: whole graph)."""
    dumps, modes = [], []
    if not isinstance(store, EmbeddedStore):
        wipe_neo4j(store)
    for index, run in enumerate(runs):
        handle = EmbeddedStore(tmp_path / f"{name}.db") if isinstance(store, EmbeddedStore) else store
        summary = load_paths(run, handle, tmp_path / f"{name}-q.jsonl")
        assert "failed" not in summary.access, (index, summary.access)
        steps = marker.read(handle).steps
        modes.append(steps["replicas"]["scoped"] if steps else None)
        dumps.append(dump(handle))
        if handle is not store:
            handle.close()
    return dumps, modes


def test_scoped_steps_give_the_whole_graph_steps_graph_after_every_load(store, corpus, tmp_path, monkeypatch):
    runs = _runs(corpus, tmp_path)
    scoped, modes = _load_each(store, runs, tmp_path, "scoped")
    registered = marker.register
    monkeypatch.setattr(marker, "register", lambda s, run: registered(s, run) and None)  # no base: whole graph
    whole, whole_modes = _load_each(store, runs, tmp_path, "whole")
    assert whole_modes == [False] * len(runs)
    # the first load has no record to scope by; the rule and its change are read whole
    assert modes == [False, True, False, True, True, False, True, True, True]
    for index, (got, expected) in enumerate(zip(scoped, whole, strict=True)):
        assert got == expected, index
    replicas = sorted(json.loads(e)["dst"] for e in scoped[-1]["edges"] if json.loads(e)["type"] == "REPLICA_OF")
    assert [r for r in replicas if "acme-src" in r] == [
        "arn:aws:s3:::acme-src/customers/before.csv", "arn:aws:s3:::acme-src/customers/c1.csv",
        "arn:aws:s3:::acme-src/customers/c2.csv", "arn:aws:s3:::acme-src/exports/e1.csv"]


def test_the_whole_graph_replica_step_in_batches_gives_the_graph_of_one_batch(store, corpus, tmp_path, monkeypatch):
    """Whole-graph derivations read the replicated buckets' objects WHOLE_BATCH at a time (memory flat at 10M
    records); any batch size gives the graph of one batch after every load, replica windows and all."""
    runs = _runs(corpus, tmp_path)
    registered = marker.register
    monkeypatch.setattr(marker, "register", lambda s, run: registered(s, run) and None)  # no base: whole graph
    monkeypatch.setattr(replication, "WHOLE_BATCH", 10**9)
    one, _ = _load_each(store, runs, tmp_path, "one")
    batched: list[int] = []
    whole_batches = replication._whole_batches

    def counted(*args):  # noqa: ANN002, ANN202 - wraps _whole_batches
        for inputs in whole_batches(*args):
            batched.append(len(inputs.objects))
            yield inputs

    monkeypatch.setattr(replication, "_whole_batches", counted)
    monkeypatch.setattr(replication, "WHOLE_BATCH", 7)
    seven, _ = _load_each(store, runs, tmp_path, "seven")
    for index, (got, expected) in enumerate(zip(seven, one, strict=True)):
        assert got == expected, index
    assert max(batched) == 7 and len(batched) > len(runs)  # loads of the replicated bucket's objects were split


def test_a_load_of_unrelated_records_writes_no_replica(store, corpus, tmp_path):
    load_paths(corpus, store, tmp_path / "q.jsonl")
    before = sorted(dst for _, dst, _ in store.scan_edges("REPLICA_OF"))
    assert len(before) == 96
    written: list[int] = []
    write = store.write

    def counting(aggregate, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202 - wraps Store.write
        written.append(sum(1 for edge in aggregate.edges if edge[0] == "REPLICA_OF"))
        return write(aggregate, *args, **kwargs)

    store.write = counting
    jobs = write_json(tmp_path / "jobs.json", {"Records": [r for r in _records("replication.json")
                                                           if r["eventName"] == "CreateTrainingJob"]})
    summary = load_paths([jobs], store, tmp_path / "q.jsonl")
    assert summary.loaded == 2
    assert sum(written) == 0 and written  # the load wrote, no replica among its writes
    assert marker.read(store).steps["replicas"]["scoped"] is True
    assert sorted(dst for _, dst, _ in store.scan_edges("REPLICA_OF")) == before
