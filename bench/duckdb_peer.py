"""The DuckDB peer of issue 15: the same CloudTrail files, read and asked by a columnar SQL engine.

    python bench/duckdb_peer.py DIR_OR_FILE... [--format text|json]

Reads every CloudTrail delivery file of the input (`<account>_CloudTrail_<region>_<time>_<id>.json.gz`,
records under `Records`; digest files are not records) with `read_json_auto`, declaring the record
fields the questions need (the auto-detected struct of every CloudTrail field fails on real records:
`requestParameters` holds the same name in two cases) and keeping the free-form sections as JSON.
Then answers, in SQL, what three saved questions answer (the `.cypher` files under `cypher/`):

- object-readers, for every bucket at once: one row per (bucket, key, reader) of GetObject /
  SelectObjectContent / GetObjectTorrent and of the source of CopyObject / UploadPartCopy, with count,
  bytes, cross-account flag and time window;
- cross-account-assumptions: one row per (principal, role) of AssumeRole* calls whose caller's account
  is not the role's, the two trail copies of one call (same sharedEventID) counted once;
- principal-activity, for every principal at once: one row per (principal, action, target) of role
  assumptions, S3 reads, writes, deletes and listings, KMS data-key use and Bedrock invocations.

As in graphgov, an assumed-role session acts as its role, role and user ARNs lose their IAM path, the two
trail copies of a cross-account call (same sharedEventID) count once as the caller's copy (the owner's
names only the caller's account root), AWS services are not principals, and a failed call (errorCode)
did nothing. graphgov's
model goes further (access points, Bedrock model names resolved, AI resources created, federated users,
logging changes), so its row counts may differ a little: `bench/speed.py` prints both side by side.
CPU is user+sys of this process over all its threads, from the read to the last answer (the import of
duckdb left out, as the interpreter start is left out of graphgov's figures).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb

CLOUDTRAIL_FILE = re.compile(r"^\d{12}_CloudTrail_[a-z0-9-]+_\d{8}T\d{4}Z_[A-Za-z0-9]+\.json(\.gz)?$")

RECORD = """STRUCT(
  eventID VARCHAR, eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, sharedEventID VARCHAR, errorCode VARCHAR,
  userIdentity STRUCT("type" VARCHAR, arn VARCHAR, accountId VARCHAR,
                      sessionContext STRUCT(sessionIssuer STRUCT("type" VARCHAR, arn VARCHAR))),
  requestParameters JSON, responseElements JSON, additionalEventData JSON, resources JSON)[]"""

# A role or user ARN without its IAM path (role/service-role/X -> role/X): the key graphgov gives the principal.
CANONICAL = r"""
CREATE OR REPLACE TEMP MACRO canonical(arn) AS
  regexp_replace(arn, '^(arn:[^:]*:iam::[0-9]*:(role|user))/(.*/)?([^/]+)$', '\1/\4')
"""

# One row per distinct call: who (as graphgov names principals), what, where.
EVENTS = r"""
CREATE TEMP TABLE events AS
WITH records AS (SELECT unnest(Records) AS r FROM read_json_auto($files, columns = {'Records': $record},
                                                                 maximum_object_size = 67108864)),
first_copy AS (  -- one copy per call: the caller's account's copy names the caller, the owner's only its account
  SELECT r, count(*) OVER () AS records_read FROM records
  QUALIFY coalesce(r.sharedEventID, r.eventID) IS NULL OR row_number() OVER (
    PARTITION BY coalesce(r.sharedEventID, r.eventID)
    ORDER BY r.userIdentity."type" = 'AWSAccount', r.eventTime, r.eventID) = 1)
SELECT records_read, r.eventID AS event_id, coalesce(r.sharedEventID, r.eventID) AS call_id, r.eventTime AS event_time,
       r.eventSource AS source, r.eventName AS name,
       canonical(CASE r.userIdentity."type"
         WHEN 'AssumedRole' THEN coalesce(r.userIdentity.sessionContext.sessionIssuer.arn, r.userIdentity.arn)
         WHEN 'AWSAccount' THEN 'arn:aws:iam::' || r.userIdentity.accountId || ':root'
         WHEN 'IAMUser' THEN r.userIdentity.arn
         WHEN 'Root' THEN r.userIdentity.arn
       END) AS principal,
       r.userIdentity.accountId AS principal_account,
       r.requestParameters AS params, r.responseElements AS response,
       r.additionalEventData AS extra, r.resources AS resources
FROM first_copy
WHERE r.errorCode IS NULL  -- a failed call did nothing (graphgov skips it as failed_call)
"""

S3_OBJECTS = r"""
CREATE TEMP TABLE s3_objects AS
WITH s3 AS (
  SELECT *, params->>'bucketName' AS bucket, params->>'key' AS key,
         (SELECT min(x->>'accountId') FROM unnest(CAST(resources AS JSON[])) AS t(x)
          WHERE x->>'type' = 'AWS::S3::Bucket') AS owner
  FROM events WHERE source = 's3.amazonaws.com' AND principal IS NOT NULL)
SELECT principal, principal_account, 'READ' AS action, bucket, key, owner,
       TRY_CAST(extra->>'bytesTransferredOut' AS BIGINT) AS bytes, event_time, name
FROM s3 WHERE name IN ('GetObject', 'SelectObjectContent', 'GetObjectTorrent')
UNION ALL
SELECT principal, principal_account, 'WROTE', bucket, key, owner,
       TRY_CAST(extra->>'bytesTransferredIn' AS BIGINT), event_time, name
FROM s3 WHERE name IN ('PutObject', 'PostObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload',
                       'CopyObject', 'UploadPartCopy')
UNION ALL
SELECT principal, principal_account, 'DELETED', bucket, key, owner, NULL, event_time, name
FROM s3 WHERE name = 'DeleteObject'
UNION ALL  -- a copy reads its source (x-amz-copy-source: bucket/key, maybe URL-encoded, maybe ?versionId=)
SELECT principal, principal_account, 'READ', split_part(src, '/', 1), url_decode(substr(src, strpos(src, '/') + 1)),
       NULL, NULL, event_time, name
FROM (SELECT *, split_part(ltrim(params->>'x-amz-copy-source', '/'), '?versionId=', 1) AS src FROM s3
      WHERE name IN ('CopyObject', 'UploadPartCopy') AND params->>'x-amz-copy-source' IS NOT NULL)
"""

OBJECT_READERS = r"""
SELECT bucket, key, principal, any_value(principal_account) AS principal_account, count(*) AS count,
       sum(bytes) AS bytes, bool_or(owner IS NOT NULL AND owner <> principal_account) AS cross_account,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM s3_objects WHERE action = 'READ' GROUP BY ALL ORDER BY bucket, key, principal
"""

CROSS_ACCOUNT_ASSUMPTIONS = r"""
SELECT principal, principal_account, role, split_part(role, ':', 5) AS role_account, count(DISTINCT call_id) AS count,
       min(event_time) AS first_seen, max(event_time) AS last_seen, list(DISTINCT name ORDER BY name) AS operations
FROM (SELECT *, canonical(params->>'roleArn') AS role FROM events
      WHERE source = 'sts.amazonaws.com' AND name IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity'))
WHERE principal IS NOT NULL AND role IS NOT NULL AND principal_account <> split_part(role, ':', 5)
GROUP BY ALL ORDER BY principal, role
"""

PRINCIPAL_ACTIVITY = r"""
WITH acts AS (
  SELECT principal, 'ASSUMED_ROLE' AS action, canonical(params->>'roleArn') AS target, NULL::BIGINT AS bytes, event_time
  FROM events
  WHERE source = 'sts.amazonaws.com' AND name IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity')
  UNION ALL
  SELECT principal, action, 'arn:aws:s3:::' || bucket || '/' || key, bytes, event_time FROM s3_objects
  UNION ALL
  SELECT principal, 'LISTED', 'arn:aws:s3:::' || (params->>'bucketName'), NULL, event_time FROM events
  WHERE source = 's3.amazonaws.com' AND name IN ('ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListBucket')
  UNION ALL
  SELECT principal, 'USED_KEY', (SELECT min(x->>'ARN') FROM unnest(CAST(resources AS JSON[])) AS t(x)
                                 WHERE x->>'type' = 'AWS::KMS::Key'), NULL, event_time FROM events
  WHERE source = 'kms.amazonaws.com' AND name IN ('Decrypt', 'Encrypt', 'GenerateDataKey',
        'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'ReEncrypt',
        'ReEncryptFrom', 'ReEncryptTo')
  UNION ALL
  SELECT principal, 'INVOKED', params->>'modelId', NULL, event_time FROM events
  WHERE source = 'bedrock.amazonaws.com' AND name IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse',
                                                       'ConverseStream'))
SELECT principal, action, target, count(*) AS count, sum(bytes) AS bytes, min(event_time) AS first_seen,
       max(event_time) AS last_seen
FROM acts WHERE principal IS NOT NULL AND target IS NOT NULL GROUP BY ALL ORDER BY principal, action, target
"""

QUESTIONS = {"object-readers": OBJECT_READERS, "cross-account-assumptions": CROSS_ACCOUNT_ASSUMPTIONS,
             "principal-activity": PRINCIPAL_ACTIVITY}


def cloudtrail_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The CloudTrail delivery files under the paths, by AWS's object name (digests excluded), sorted."""
    for path in map(Path, paths):
        if path.is_file():
            yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if CLOUDTRAIL_FILE.match(name):
                    yield Path(folder) / name


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # the process: every thread DuckDB runs
    return usage.ru_utime + usage.ru_stime


def run(paths: Iterable[str | os.PathLike[str]]) -> dict[str, Any]:
    """{"files", "records", "events", "rows": {question: rows}, "cpu_s", "wall_s", "peak_rss_mb", "duckdb"}."""
    files = [str(path) for path in cloudtrail_files(paths)]
    if not files:
        raise SystemExit("duckdb_peer: no CloudTrail delivery files (<account>_CloudTrail_<region>_...json.gz) found")
    cpu0, wall0 = _cpu(), time.perf_counter()
    con = duckdb.connect()
    con.execute(CANONICAL)
    con.execute(EVENTS, {"files": files, "record": RECORD})
    con.execute(S3_OBJECTS)
    rows = {qid: len(con.execute(sql).fetchall()) for qid, sql in QUESTIONS.items()}
    cpu, wall = _cpu() - cpu0, time.perf_counter() - wall0
    events, records = con.execute("SELECT count(*), max(records_read) FROM events").fetchone()
    return {"files": len(files), "records": int(records or 0), "events": int(events), "rows": rows,
            "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "duckdb": duckdb.__version__,
            "threads": int(con.execute("SELECT current_setting('threads')").fetchone()[0])}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="input files or directories (the CloudTrail files are taken)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    result = run(args.paths)
    if args.format == "json":
        print(json.dumps(result))
        return
    print(f"duckdb {result['duckdb']} ({result['threads']} threads): {result['records']:,} records in "
          f"{result['files']:,} CloudTrail files, {result['events']:,} distinct events: {result['cpu_s']:.2f} s CPU, "
          f"{result['wall_s']:.2f} s wall, peak RSS {result['peak_rss_mb']:.0f} MB")
    for qid, count in result["rows"].items():
        print(f"  {qid:28} {count:>8,} rows")


if __name__ == "__main__":
    sys.exit(main())
