"""Throughput and memory of `pull cloudtrail-s3`, printed as figures (no pass/fail; not run by CI).

    python bench/bench_pull.py [--records 50000]

Generates N records with `graphgov generate`, uploads its CloudTrail delivery files to a moto server
(started here, on a loopback port) in the organisation layout, then pulls them into a fresh embedded
store twice: the first pull reads every object, the second must read none. Prints objects and
records per second and the peak Python heap of the first pull (tracemalloc), which must not grow
with the number of objects beyond the per-object completion markers.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from graphgov.aws.pullers.cloudtrail_s3 import pull_cloudtrail_s3  # noqa: E402
from graphgov.aws.session import aws_session  # noqa: E402
from graphgov.generate import generate  # noqa: E402
from graphgov.stores.embedded import EmbeddedStore  # noqa: E402

BUCKET = "bench-org-trail"


def _moto() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("moto server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    args = parser.parse_args()
    process, url = _moto()
    os.environ.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            generate(tmp_path / "logs", seed=3, records=args.records)
            files = [p for p in (tmp_path / "logs").rglob("*.json.gz")
                     if "/CloudTrail/" in p.as_posix() and "CloudTrail-Digest" not in p.as_posix()]
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket=BUCKET)
            start = time.perf_counter()
            for path in files:
                key = path.as_posix().split("/logs/", 1)[1]
                key = key[key.index("AWSLogs/"):]
                s3.upload_file(str(path), BUCKET, key)
            print(f"uploaded {len(files)} CloudTrail files in {time.perf_counter() - start:.1f} s")
            store = EmbeddedStore(tmp_path / "graph.json.gz")
            tracemalloc.start()
            start = time.perf_counter()
            first = pull_cloudtrail_s3(aws_session(), store, tmp_path / "q.jsonl", BUCKET)
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            objects = first.objects.get("s3_object", 0)
            print(f"first pull: {objects} objects, {first.records} records in {seconds:.1f} s "
                  f"({objects / seconds:,.1f} objects/s, {first.records / seconds:,.0f} records/s), "
                  f"{first.loaded} loaded, peak heap {peak / 1e6:.0f} MB (graph and store included)")
            start = time.perf_counter()
            second = pull_cloudtrail_s3(aws_session(), EmbeddedStore(tmp_path / "graph.json.gz"),
                                        tmp_path / "q.jsonl", BUCKET)
            print(f"second pull: {second.objects.get('s3_object', 0)} objects read, "
                  f"{second.objects.get('list_page', 0)} listing pages, {time.perf_counter() - start:.1f} s")
    finally:
        process.kill()


if __name__ == "__main__":
    main()
