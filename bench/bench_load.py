"""Throughput of the load path, printed as figures (no pass/fail; not run by CI).

    python bench/bench_load.py [--records 200000] [--neo4j bolt://127.0.0.1:7687]

Workload: by default the output of `graphgov generate` (a multi-account AI platform's logs in AWS's
formats and delivery layouts: CloudTrail, EventBridge, S3 notifications, Bedrock invocation logs);
`--workload synthetic` uses the simpler CloudTrail-only generator below.

1. parse+aggregate: records/s through readers -> loaders -> Aggregate, no store.
2. embedded load: records/s of a full `load` into a fresh embedded store.
3. Neo4j write (with --neo4j): rows/s written (node, edge and seen-set rows) and records/s overall.
Also the peak Python heap while reading+parsing (without aggregation) for N/4 and N records, to show
that streaming memory does not grow with the input.

Records are generated from the shapes of real CloudTrail records (S3 data events, STS AssumeRole,
KMS Decrypt, and unmodelled management events), over a fixed population of principals, buckets and
objects, so repeated events aggregate as they do in a real trail.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from probes import CountingStore  # noqa: E402 - bench/probes.py: counts write and write_claimed rows

from graphgov.core.delta import Malformed, Skip  # noqa: E402
from graphgov.ingest.aggregate import Aggregate  # noqa: E402
from graphgov.ingest.pipeline import load_paths, parse_record  # noqa: E402
from graphgov.ingest.readers import iter_paths, read_path  # noqa: E402


def _identity(rng: random.Random, account: str) -> dict:
    if rng.random() < 0.7:
        role = f"role-{rng.randrange(300)}"
        return {"type": "AssumedRole", "principalId": f"AROAEXAMPLE:{role}-s",
                "arn": f"arn:aws:sts::{account}:assumed-role/{role}/session-{rng.randrange(50)}",
                "accountId": account,
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{account}:role/{role}",
                                                     "accountId": account, "userName": role}}}
    user = f"user-{rng.randrange(700)}"
    return {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account, "userName": user}


def generate(path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    accounts = [f"{111111111111 + i * 1111111:012d}" for i in range(5)]
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for i in range(count):
            account = rng.choice(accounts)
            base = {
                "eventVersion": "1.08", "userIdentity": _identity(rng, account),
                "eventTime": f"2026-0{1 + i % 9}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z",
                "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "userAgent": "aws-sdk-java",
                "eventID": f"{i:08x}-0000-4000-8000-{seed:012x}", "requestID": f"R{i}",
                "eventType": "AwsApiCall", "recipientAccountId": account,
            }
            roll = rng.random()
            bucket = f"training-data-{rng.randrange(50)}"
            key = f"datasets/{rng.randrange(200)}/part-{rng.randrange(100):05d}.parquet"
            if roll < 0.5:
                base.update(eventSource="s3.amazonaws.com", eventName="GetObject", eventCategory="Data",
                            requestParameters={"bucketName": bucket, "key": key},
                            additionalEventData={"bytesTransferredOut": rng.randrange(1, 10**7)},
                            resources=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
                                       {"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}",
                                        "accountId": accounts[0]}])
            elif roll < 0.65:
                base.update(eventSource="s3.amazonaws.com", eventName="PutObject", eventCategory="Data",
                            requestParameters={"bucketName": bucket, "key": key},
                            additionalEventData={"bytesTransferredIn": rng.randrange(1, 10**7)})
            elif roll < 0.75:
                target = rng.choice(accounts)
                base.update(eventSource="sts.amazonaws.com", eventName="AssumeRole",
                            requestParameters={"roleArn": f"arn:aws:iam::{target}:role/ml-{rng.randrange(40)}",
                                               "roleSessionName": "s"},
                            responseElements={"assumedRoleUser": {"arn": f"arn:aws:sts::{target}:assumed-role/"
                                                                         f"ml-{rng.randrange(40)}/s"}})
            elif roll < 0.9:
                key_arn = f"arn:aws:kms:us-east-1:{accounts[0]}:key/{rng.randrange(20):08d}-1111-2222-3333-444455556666"
                base.update(eventSource="kms.amazonaws.com", eventName="Decrypt",
                            requestParameters={"encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{bucket}/{key}"},
                                               "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
                            resources=[{"type": "AWS::KMS::Key", "ARN": key_arn, "accountId": accounts[0]}])
            else:
                base.update(eventSource="ec2.amazonaws.com", eventName="DescribeInstances")
            out.write(json.dumps(base) + "\n")


def _raw_records(path: Path):  # noqa: ANN202 - generator of RawRecord
    for file in iter_paths([path]):
        yield from read_path(file)


def parse_aggregate(path: Path) -> tuple[int, float, int]:
    start, records = time.perf_counter(), 0
    aggregate = Aggregate()
    for raw in _raw_records(path):
        records += 1
        with contextlib.suppress(Skip, Malformed):
            aggregate.add(parse_record(raw))
    return records, time.perf_counter() - start, len(aggregate)


def streaming_peak(path: Path) -> int:
    """Peak traced heap while reading and parsing every record (nothing kept)."""
    tracemalloc.start()
    for raw in _raw_records(path):
        with contextlib.suppress(Skip, Malformed):
            parse_record(raw)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _derivation(store) -> str:  # noqa: ANN001 - any Store
    """Run the access derivation once more on the loaded graph and describe its cost."""
    from graphgov.access.derivation import refresh_access

    tracemalloc.start()
    start = time.perf_counter()
    result = refresh_access(store)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    edges = sum((result.edges or {}).values())
    return (f"{seconds:.1f} s, {result.decisions:,} decisions ({result.decisions / seconds:,.0f}/s), "
            f"{result.policy_states} policy states, {result.principals} principals, {result.targets} targets, "
            f"{edges} derived edges, peak heap {peak / 1e6:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--neo4j", default=None, help="bolt:// URI of an empty or scratch Neo4j database")
    parser.add_argument("--workload", choices=["generator", "synthetic"], default="generator")
    parser.add_argument("--skip-load", action="store_true", help="only parse+aggregate and memory figures")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if args.workload == "generator":
            from graphgov.generate import generate as generate_platform

            small, big = tmp_path / "small", tmp_path / "big"
            start = time.perf_counter()
            generate_platform(big, seed=0, records=args.records)
            took = time.perf_counter() - start
            generate_platform(small, seed=0, records=args.records // 4)
            size = sum(f.stat().st_size for f in big.rglob("*") if f.is_file())
            print(f"generated {args.records} records with graphgov generate in {took:.1f} s ({size / 1e6:.1f} MB)")
        else:
            small, big = tmp_path / "small.jsonl.gz", tmp_path / "big.jsonl.gz"
            generate(big, args.records)
            generate(small, args.records // 4, seed=8)
            print(f"generated {args.records} CloudTrail records ({big.stat().st_size / 1e6:.1f} MB gzip)")

        records, seconds, rows = parse_aggregate(big)
        print(f"parse+aggregate: {records / seconds:,.0f} records/s ({records} records, {seconds:.1f} s, "
              f"{rows} aggregated rows)")
        print(f"streaming read+parse peak heap: {streaming_peak(small) / 1e6:.1f} MB for {args.records // 4} "
              f"records, {streaming_peak(big) / 1e6:.1f} MB for {args.records} records")
        if args.skip_load:
            return

        from graphgov.stores import open_store

        os.chdir(tmp_path)  # the default embedded store, whatever its file format
        store = CountingStore(open_store(None))
        start = time.perf_counter()
        summary = load_paths([big], store, tmp_path / "q.jsonl")
        seconds = time.perf_counter() - start
        print(f"embedded load: {summary.records / seconds:,.0f} records/s ({summary.loaded} loaded, "
              f"{summary.nodes} nodes, {summary.edges} edges, {seconds:.1f} s, access derivation included)")
        print(f"access derivation (embedded): {_derivation(store.inner)}")

        if args.neo4j:
            from graphgov.stores import open_store

            neo = open_store(args.neo4j)
            with neo.driver.session() as session:
                session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
                session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
            from neo4j_rates import describe, rates

            neo.write_rates.clear()
            start = time.perf_counter()
            summary = load_paths([big], neo, tmp_path / "q.jsonl")
            seconds = time.perf_counter() - start
            print(f"neo4j write, per kind (bench/neo4j_rates.py):\n{describe(rates(neo))}")
            print(f"neo4j load: {summary.records / seconds:,.0f} records/s overall ({seconds:.1f} s, "
                  f"{summary.nodes} nodes, {summary.edges} edges)")
            print(f"access derivation (neo4j): {_derivation(neo)}")
            neo.close()


if __name__ == "__main__":
    main()
