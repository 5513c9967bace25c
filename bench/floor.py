"""The decode floor of issue 15: the least any loader must do to see every record of an input.

    python bench/floor.py DIR_OR_FILE... [--format text|json]

Gunzip and orjson-decode every input file (one JSON document, else JSON Lines); peel the delivery
envelopes AWS wraps records in (`Records` lists, CloudWatch Logs `awslogs.data` base64 + gunzip with each
`logEvents` message decoded, the SQS `body` and SNS `Message` JSON text, EventBridge passed through as
one record); count the records; nothing else. Files are the ones `graphgov load` reads from a
directory (same suffixes, same walk). The CPU is this process's user+sys.

The count equals the `records` of `graphgov load`'s summary on the generator's platform (gen-100k:
100,257 both) because both count every leaf a delivery file holds, including the ones load then skips
(a CloudTrail digest file is one leaf, a CloudWatch Logs control message one leaf). It can differ on
inputs this floor does not model, none of which the generator writes: damaged files (load recovers
records from the good part, this floor counts a file it cannot decode as one record), log shippers'
export envelopes (Splunk, Elastic, Sentinel: one record each here), LookupEvents pages
(`CloudTrailEvent` text is not decoded here) and `Records` objects keyed by id.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import resource
import sys
import time
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

# As graphgov.ingest.readers.DIRECTORY_SUFFIXES (copied: this script must not import the code it measures).
SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".log", ".gz")


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files as `graphgov load` walks them: explicit files as given, directories depth-first, sorted,
    hidden names and other suffixes left out."""
    for path in map(Path, paths):
        if path.is_file():
            yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                    yield Path(folder) / name


def decode_file(data: bytes) -> list[Any]:
    """The JSON values of one file's bytes: gunzipped when gzip, one document, else one per line."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return [orjson.loads(data)]
    except orjson.JSONDecodeError:
        values = []
        for line in data.splitlines():
            if line.strip():
                try:
                    values.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    values.append(None)  # an undecodable line is still one record to account for
        return values


def count_records(value: Any) -> int:
    """Records inside one decoded value, its envelopes peeled."""
    if isinstance(value, list):
        return sum(count_records(item) for item in value)
    if not isinstance(value, dict):
        return 1
    records = value.get("Records")
    if isinstance(records, list) and "eventTime" not in value:
        return sum(count_records(item) for item in records)
    awslogs = value.get("awslogs")
    if isinstance(awslogs, dict) and isinstance(awslogs.get("data"), str):
        return count_records(orjson.loads(zlib.decompress(base64.b64decode(awslogs["data"]), zlib.MAX_WBITS | 32)))
    if isinstance(value.get("logEvents"), list) and "messageType" in value:
        return sum(_message_records(event) for event in value["logEvents"]) or int(
            value.get("messageType") == "CONTROL_MESSAGE")
    if value.get("eventSource") == "aws:sqs" and isinstance(value.get("body"), str):
        return _text_records(value["body"])
    sns = value.get("Sns")
    if isinstance(sns, dict) and isinstance(sns.get("Message"), str):
        return _text_records(sns["Message"])
    if value.get("Type") == "Notification" and isinstance(value.get("Message"), str):
        return _text_records(value["Message"])
    return 1


def _message_records(event: Any) -> int:
    message = event.get("message") if isinstance(event, dict) else None
    if not isinstance(message, str) or not message.lstrip().startswith("{"):
        return 1  # a plain log line: one record (load skips it as unrecognised_log_line)
    return _text_records(message)


def _text_records(text: str) -> int:
    try:
        return count_records(orjson.loads(text))
    except orjson.JSONDecodeError:
        return 1  # not JSON: one record all the same


def floor(paths: Iterable[str | os.PathLike[str]]) -> dict[str, Any]:
    """{"files", "records", "bytes", "cpu_s", "wall_s"} of decoding every input file."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    files = records = size = 0
    for path in iter_files(paths):
        data = path.read_bytes()
        files, size = files + 1, size + len(data)
        records += sum(count_records(value) for value in decode_file(data))
    return {"files": files, "records": records, "bytes": size,
            "cpu_s": round(time.process_time() - cpu0, 3), "wall_s": round(time.perf_counter() - wall0, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "orjson": orjson.__version__}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="input files or directories, as given to graphgov load")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    result = floor(args.paths)
    if args.format == "json":
        print(json.dumps(result))
    else:
        print(f"floor: {result['records']:,} records in {result['files']:,} files ({result['bytes'] / 1e6:.1f} MB): "
              f"{result['cpu_s']:.2f} s CPU, {result['wall_s']:.2f} s wall, peak RSS {result['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
