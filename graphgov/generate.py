"""A deterministic, streaming generator of the logs a multi-account AI platform on AWS writes.

`generate(outdir, seed, records)` writes `records` log records in the formats and delivery layouts AWS
uses, for one synthetic estate:

- a data account 111111111111 (dataset buckets, data engineers, an SSO analyst, a cross-account
  data-access role), a training account 222222222222 (SageMaker training jobs, the model bucket,
  Bedrock customization), a serving account 333333333333 (models, endpoint configurations, endpoints,
  Bedrock-backed applications) and a "shadow" account 444444444444 that nobody governs but that invokes
  Bedrock; Regions eu-west-1 and us-east-1.
- CloudTrail organization-trail delivery files and hourly digest files, EventBridge events as JSON Lines,
  S3 event notifications (raw, SQS, SNS-in-SQS, EventBridge), Bedrock model-invocation logs in S3 and in
  CloudWatch Logs subscription payloads.

The story runs at every size: datasets written and read, training jobs (with and without a KMS key for
their output), models (one with no training job behind it), endpoint configurations (with and without
data capture), endpoints created then updated, a cross-account AssumeRole seen from both accounts,
Bedrock invocation logging switched on in some account/Regions but not in one where models are invoked,
prompts with e-mail addresses and phone numbers, duplicate deliveries and a few malformed records.
Larger sizes add projects (datasets, jobs, models, endpoint versions), objects and invocations.

Memory does not grow with `records`: records are written as they are produced; only bounded buffers (one
CloudTrail file per account and Region, one digest hour, small batches) and the state of the current
projects are held. Output depends only on `seed` and `records` (one `random.Random(seed)`, gzip with
mtime 0, no clock).

Record accounting (the returned counts): every log record written counts once, under the kind a reader
gives it. "cloudtrail": each element of a CloudTrail file's `Records` (duplicate deliveries and the
record without an eventID included); "eventbridge": each line of `eventbridge/*.jsonl` (state changes,
S3 "Object Created" events, the truncated line); "s3_notification": each S3 event record under
`s3-notifications/`; "bedrock_invocation_log": each ModelInvocationLog record, in S3 files or CloudWatch
Logs payloads (the truncated line included). These four add up to `records` exactly. "files" counts the
files written, digest files included (digests hold no log records).
"""

from __future__ import annotations

import base64
import calendar
import gzip
import hashlib
import heapq
import json
import os
import time as _time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import quote, quote_plus

START = calendar.timegm((2026, 1, 5, 0, 0, 0))  # 2026-01-05T00:00:00Z; record i happens at START + i s
SIZES = {"small": 2_000, "medium": 100_000, "large": 1_000_000}
MIN_RECORDS = 1_000
KINDS = ("cloudtrail", "eventbridge", "s3_notification", "bedrock_invocation_log")
MALFORMED = {"cloudtrail_without_event_id": 1, "truncated_eventbridge_line": 1, "truncated_invocation_log_line": 1}

ORG = "o-exampleorg1"
DATA, TRAIN, SERVE, SHADOW = "111111111111", "222222222222", "333333333333", "444444444444"
EU, US = "eu-west-1", "us-east-1"
TRAIL, TRAIL_BUCKET = "org-trail", "acme-org-cloudtrail"
CT_FILE_MAX, CT_WINDOW = 500, 300  # records per CloudTrail file; seconds a file collects records
MIX = (("s3", 0.55), ("bedrock", 0.15), ("noise", 0.10), ("notif", 0.10), ("sts", 0.05), ("control", 0.05))

_dumps = json.JSONEncoder(separators=(",", ":")).encode
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

UA_BOTO = ("Boto3/1.35.99 md/Botocore#1.35.99 ua/2.0 os/linux#6.1.119-129.201.amzn2023.x86_64 md/arch#x86_64 "
           "lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#standard Botocore/1.35.99")
UA_CLI = ("aws-cli/2.22.26 md/awscrt#0.23.4 ua/2.0 os/macos#24.2.0 md/arch#arm64 lang/python#3.12.6 "
          "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off")
UA_JAVA = ("aws-sdk-java/2.29.43 Linux/5.10.230-223.885.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.13+11-LTS "
           "Java/17.0.13 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard")
UA_SM_SDK = UA_BOTO + " sagemaker-python-sdk/2.237.1"
UA_CONSOLE = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/18.2 Safari/605.1.15")
TLS = ("TLSv1.3", "TLS_AES_128_GCM_SHA256")


class GenerateError(ValueError):
    """Bad arguments: too few records, an unknown size, an output directory that is not empty."""


def parse_size(text: str | int) -> int:
    """`small`, `medium`, `large` or a number of records (underscores and commas allowed)."""
    if isinstance(text, int):
        return text
    value = str(text).strip().lower()
    if value in SIZES:
        return SIZES[value]
    digits = value.replace("_", "").replace(",", "")
    if not digits.isdigit():
        raise GenerateError(f"size must be small, medium, large or a number of records, not {text!r}")
    return int(digits)


def generate(outdir: Path, seed: int = 0, records: int = 2000) -> dict[str, int]:
    """Write `records` log records into `outdir` (which must be empty or absent); counts per output kind."""
    if not isinstance(records, int) or records < MIN_RECORDS:
        raise GenerateError(f"records must be an integer >= {MIN_RECORDS} (the platform story needs them)")
    outdir = Path(outdir)
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise GenerateError(f"output directory is not empty: {outdir}")
    outdir.mkdir(parents=True, exist_ok=True)
    platform = _Platform(outdir, seed, records)
    platform.run()
    counts = {kind: platform.out.counts[kind] for kind in KINDS}
    if sum(counts.values()) != records:  # pragma: no cover - an internal invariant
        raise RuntimeError(f"generated {sum(counts.values())} records, expected {records}")
    counts["files"] = platform.out.files
    return counts


# --- small helpers ------------------------------------------------------------------------------------


def _iso(t: int) -> str:
    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(t))


def _iso_ms(t: int, ms: int) -> str:
    return _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(t)) + f".{ms:03d}Z"


def _fmt(t: int, pattern: str) -> str:
    return _time.strftime(pattern, _time.gmtime(t))


def _human(t: int) -> str:
    """The `Jan 5, 2026, 1:00:00 AM` form STS uses for credential expirations."""
    g = _time.gmtime(t)
    hour = g.tm_hour % 12 or 12
    return f"{_MONTHS[g.tm_mon - 1]} {g.tm_mday}, {g.tm_year}, {hour}:{g.tm_min:02d}:{g.tm_sec:02d} " + (
        "AM" if g.tm_hour < 12 else "PM")


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def _stable_id(text: str, length: int = 17) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:length]


def form_encode_key(key: str) -> str:
    """S3 event notifications form-encode object keys: space -> `+`, `/` kept, the rest percent-encoded."""
    return quote_plus(key, safe="/")


class Role:
    __slots__ = ("account", "name", "path", "arn", "id")

    def __init__(self, account: str, name: str, path: str = "/"):
        self.account, self.name, self.path = account, name, path
        self.arn = f"arn:aws:iam::{account}:role{path}{name}"
        self.id = "AROA" + _stable_id(f"role:{account}:{name}")

    def session_arn(self, session: str) -> str:
        return f"arn:aws:sts::{self.account}:assumed-role/{self.name}/{session}"


class User:
    __slots__ = ("account", "name", "arn", "id")

    def __init__(self, account: str, name: str):
        self.account, self.name = account, name
        self.arn = f"arn:aws:iam::{account}:user/{name}"
        self.id = "AIDA" + _stable_id(f"user:{account}:{name}")


class Actor:
    """Who makes a call: an assumed-role session or an IAM user, with where they call from."""

    __slots__ = ("role", "user", "session", "ip", "ua", "account", "arn", "principal_id")

    def __init__(self, who: Role | User, session: str | None, ip: str, ua: str):
        self.role = who if isinstance(who, Role) else None
        self.user = who if isinstance(who, User) else None
        self.session, self.ip, self.ua = session, ip, ua
        self.account = who.account
        if self.role is not None:
            self.arn = self.role.session_arn(session or "session")
            self.principal_id = f"{self.role.id}:{session}"
        else:
            self.arn = who.arn
            self.principal_id = who.id


class Bucket:
    __slots__ = ("name", "account", "region", "kms_key", "bucket_key")

    def __init__(self, name: str, account: str, region: str, kms_key: str | None, bucket_key: bool = False):
        self.name, self.account, self.region, self.kms_key, self.bucket_key = (
            name, account, region, kms_key, bucket_key)


def _kms_arn(account: str, region: str, label: str) -> str:
    h = hashlib.sha256(f"kms:{account}:{region}:{label}".encode()).hexdigest()
    return f"arn:aws:kms:{region}:{account}:key/{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


# --- output: files in AWS delivery layouts ----------------------------------------------------------


class _CTStream:
    __slots__ = ("account", "region", "buf", "lo", "hi", "win", "last_delivery", "offset", "dig_end",
                 "entries", "prev", "redeliver")

    def __init__(self, account: str, region: str, offset: int):
        self.account, self.region, self.offset = account, region, offset
        self.buf: list[str] = []
        self.lo = self.hi = 0
        self.win = 0
        self.last_delivery = 0
        self.dig_end: int | None = None
        self.entries: list[dict[str, Any]] = []
        self.prev: tuple[str, str, str] | None = None
        self.redeliver: list[tuple[str, int]] = []


class _Batch:
    __slots__ = ("items", "start", "target", "first_t")

    def __init__(self, start: int, target: int, first_t: int):
        self.items: list[str] = []
        self.start, self.target, self.first_t = start, target, first_t


class _Output:
    """Every file the generator writes, in the layouts AWS delivers, with counts per record kind."""

    def __init__(self, outdir: Path, rng: Random):
        self.root, self.rng = str(outdir), rng
        self.counts = dict.fromkeys(KINDS, 0)
        self.n = 0  # records written so far, all kinds
        self.files = 0
        self._dirs: set[str] = set()
        self.ct: dict[tuple[str, str], _CTStream] = {}
        self.fingerprints: dict[str, str] = {}
        self.eb_date: str | None = None
        self.eb_handle: Any = None
        self.eb_lines = 0
        self.seq = {"raw": 0, "sqs": 0, "sns-sqs": 0, "cwl": 0}
        self.sqs: dict[str, _Batch | None] = {"sqs": None, "sns-sqs": None}
        self.inv_s3: dict[tuple[str, str], _Batch] = {}
        self.inv_cwl: dict[tuple[str, str], _Batch] = {}

    def _count(self, kind: str, k: int = 1) -> None:
        self.counts[kind] += k
        self.n += k

    def _write(self, relative: str, data: bytes) -> None:
        path = os.path.join(self.root, relative)  # plain strings: no pathlib work per file
        parent = os.path.dirname(path)
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            if len(self._dirs) > 256:  # a cache only: bounded whatever the run length
                self._dirs.clear()
            self._dirs.add(parent)
        with open(path, "wb") as handle:
            handle.write(data)
        self.files += 1

    def hex(self, nbytes: int) -> str:
        return self.rng.randbytes(nbytes).hex()

    # CloudTrail -------------------------------------------------------------------------------------

    def _stream(self, account: str, region: str) -> _CTStream:
        stream = self.ct.get((account, region))
        if stream is None:
            stream = self.ct[(account, region)] = _CTStream(account, region, self.rng.randrange(60, 3540))
            if region not in self.fingerprints:
                self.fingerprints[region] = self.hex(16)
        return stream

    def cloudtrail(self, account: str, region: str, text: str, t: int, now: int, duplicate: bool = False) -> None:
        """One record into the account/Region's open delivery file; `duplicate` also redelivers it later."""
        stream = self._stream(account, region)
        if stream.buf and (now >= stream.win + CT_WINDOW or len(stream.buf) >= CT_FILE_MAX):
            self._deliver(stream, now)
        if not stream.buf:
            stream.win, stream.lo, stream.hi = now, t, t
        stream.buf.append(text)
        stream.lo, stream.hi = min(stream.lo, t), max(stream.hi, t)
        self._count("cloudtrail")
        if duplicate:  # CloudTrail delivers some events twice: same eventID, a later file
            stream.redeliver.append((text, t))
            self._count("cloudtrail")

    def _deliver(self, stream: _CTStream, now: int) -> None:
        delivery = max(stream.last_delivery, now) + self.rng.randint(20, 180)
        stream.last_delivery = delivery
        self._close_digests(stream, delivery)
        self.rng.shuffle(stream.buf)  # records in a delivery file are not ordered
        body = ('{"Records":[' + ",".join(stream.buf) + "]}").encode()
        suffix = "".join(self.rng.choices(_ALNUM, k=16))
        name = f"{stream.account}_CloudTrail_{stream.region}_{_fmt(delivery, '%Y%m%dT%H%MZ')}_{suffix}.json.gz"
        key = f"AWSLogs/{ORG}/{stream.account}/CloudTrail/{stream.region}/{_fmt(delivery, '%Y/%m/%d')}/{name}"
        self._write("cloudtrail/" + key, _gz(body))
        stream.entries.append({"s3Bucket": TRAIL_BUCKET, "s3Object": key,
                               "hashValue": hashlib.sha256(body).hexdigest(), "hashAlgorithm": "SHA-256",
                               "newestEventTime": _iso(stream.hi), "oldestEventTime": _iso(stream.lo)})
        stream.buf = [text for text, _ in stream.redeliver]
        if stream.redeliver:
            stream.win = now
            stream.lo = min(t for _, t in stream.redeliver)
            stream.hi = max(t for _, t in stream.redeliver)
        stream.redeliver = []

    def _close_digests(self, stream: _CTStream, upto: int) -> None:
        """Write every hourly digest whose period ended by `upto` (empty hours get a digest too)."""
        if stream.dig_end is None:
            stream.dig_end = upto - (upto - stream.offset) % 3600 + 3600
        while stream.dig_end <= upto:
            self._digest(stream)
            stream.dig_end += 3600

    def _digest(self, stream: _CTStream) -> None:
        end = stream.dig_end or 0
        name = (f"{stream.account}_CloudTrail-Digest_{stream.region}_{TRAIL}_{stream.region}_"
                f"{_fmt(end, '%Y%m%dT%H%M%SZ')}.json.gz")
        key = f"AWSLogs/{ORG}/{stream.account}/CloudTrail-Digest/{stream.region}/{_fmt(end, '%Y/%m/%d')}/{name}"
        doc: dict[str, Any] = {
            "awsAccountId": stream.account, "digestStartTime": _iso(end - 3600), "digestEndTime": _iso(end),
            "digestS3Bucket": TRAIL_BUCKET, "digestS3Object": key,
            "digestPublicKeyFingerprint": self.fingerprints[stream.region],
            "digestSignatureAlgorithm": "SHA256withRSA",
        }
        if stream.entries:
            doc["newestEventTime"] = max(e["newestEventTime"] for e in stream.entries)
            doc["oldestEventTime"] = min(e["oldestEventTime"] for e in stream.entries)
        prev = stream.prev
        doc.update({"previousDigestS3Bucket": TRAIL_BUCKET if prev else None,
                    "previousDigestS3Object": prev[0] if prev else None,
                    "previousDigestHashValue": prev[1] if prev else None,
                    "previousDigestHashAlgorithm": "SHA-256" if prev else None,
                    "previousDigestSignature": prev[2] if prev else None,
                    "logFiles": stream.entries})
        body = _dumps(doc).encode()
        self._write("cloudtrail/" + key, _gz(body))
        stream.prev = (key, hashlib.sha256(body).hexdigest(), self.hex(256))
        stream.entries = []

    # EventBridge ------------------------------------------------------------------------------------

    def eventbridge(self, event: dict[str, Any], now: int, truncate: bool = False) -> None:
        """One event line in the file of the day it arrived; `truncate` cuts the line (a malformed record)."""
        date = _fmt(now, "%Y-%m-%d")
        if date != self.eb_date:
            if self.eb_handle is not None:
                self.eb_handle.close()
            path = os.path.join(self.root, "eventbridge", f"{date}.jsonl")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.eb_handle = open(path, "wb")  # noqa: SIM115 - kept open across calls, closed in close()
            self.eb_date, self.eb_lines = date, 0
            self.files += 1
        line = _dumps(event)
        if truncate:
            if not self.eb_lines:
                raise RuntimeError("a truncated line must not open a file")  # pragma: no cover
            line = line[: len(line) * 3 // 5]
        self.eb_handle.write(line.encode() + b"\n")
        self.eb_lines += 1
        self._count("eventbridge")

    # S3 event notifications -------------------------------------------------------------------------

    def notification(self, wrapper: str, record: dict[str, Any], t: int, ms: int) -> None:
        message = _dumps({"Records": [record]})
        self._count("s3_notification")
        if wrapper == "raw":
            self.seq["raw"] += 1
            self._write(f"s3-notifications/raw/{self.seq['raw']:06d}.json", message.encode() + b"\n")
            return
        rng = self.rng
        sent = t * 1000 + ms + rng.randint(5, 900)
        if wrapper == "sns-sqs":
            topic = f"arn:aws:sns:{EU}:{DATA}:dataset-object-events"
            message = _dumps({
                "Type": "Notification", "MessageId": self.uuid(), "TopicArn": topic,
                "Subject": "Amazon S3 Notification", "Message": message,
                "Timestamp": _iso_ms(sent // 1000, sent % 1000), "SignatureVersion": "1",
                "Signature": base64.b64encode(rng.randbytes(256)).decode(),
                "SigningCertURL": f"https://sns.{EU}.amazonaws.com/SimpleNotificationService-"
                                  "9c6465fa7f48f5cacd23014631ec1136.pem",
                "UnsubscribeURL": f"https://sns.{EU}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
                                  f"{topic}:4f3e2d1c-0b9a-4877-8665-5a4b3c2d1e0f",
            })
            queue = f"arn:aws:sqs:{EU}:{DATA}:dataset-object-events-fanout"
        else:
            queue = f"arn:aws:sqs:{EU}:{DATA}:dataset-ingest-events"
        sqs_message = {
            "messageId": self.uuid(),
            "receiptHandle": "AQEB" + base64.b64encode(rng.randbytes(120)).decode(),
            "body": message,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(sent),
                           "SenderId": "AIDAJHIPRHEMV73VRJEBU" if wrapper == "sqs" else "AIDAIT2UOQQY3AUEKVGXU",
                           "ApproximateFirstReceiveTimestamp": str(sent + rng.randint(3, 400))},
            "messageAttributes": {}, "md5OfBody": hashlib.md5(message.encode()).hexdigest(),
            "eventSource": "aws:sqs", "eventSourceARN": queue, "awsRegion": EU,
        }
        batch = self.sqs[wrapper]
        if batch is None:
            batch = self.sqs[wrapper] = _Batch(t, rng.randint(1, 10), t)
        batch.items.append(_dumps(sqs_message))
        if len(batch.items) >= batch.target:
            self._flush_sqs(wrapper)

    def _flush_sqs(self, wrapper: str) -> None:
        batch = self.sqs[wrapper]
        if batch is None or not batch.items:
            return
        self.seq[wrapper] += 1
        body = '{"Records":[' + ",".join(batch.items) + "]}\n"
        self._write(f"s3-notifications/{wrapper}/{self.seq[wrapper]:06d}.json", body.encode())
        self.sqs[wrapper] = None

    # Bedrock model-invocation logs ------------------------------------------------------------------

    def invocation_log(self, destination: str, account: str, region: str, text: str, t: int, now: int,
                       keep: bool = False) -> None:
        """One ModelInvocationLog record to S3 (JSON Lines in gzip) or CloudWatch Logs (subscription)."""
        batches = self.inv_s3 if destination == "s3" else self.inv_cwl
        limit, window = (200, CT_WINDOW) if destination == "s3" else (25, 60)
        batch = batches.get((account, region))
        if batch is not None and not keep and (now >= batch.start + window or len(batch.items) >= limit):
            self._flush_invocations(destination, account, region)
            batch = None
        if batch is None:
            batch = batches[(account, region)] = _Batch(now, limit, t)
        batch.items.append(text if destination == "s3" else f"{t}\t{text}")
        self._count("bedrock_invocation_log")

    def _flush_invocations(self, destination: str, account: str, region: str) -> None:
        batches = self.inv_s3 if destination == "s3" else self.inv_cwl
        batch = batches.pop((account, region), None)
        if batch is None or not batch.items:
            return
        rng = self.rng
        if destination == "s3":
            t = batch.first_t
            name = f"{_fmt(t, '%Y%m%dT%H%M%S')}{rng.randrange(1000):03d}Z_{self.hex(8)}.json.gz"
            key = (f"bedrock-invocation-logs/AWSLogs/{account}/BedrockModelInvocationLogs/{region}/"
                   f"{_fmt(t, '%Y/%m/%d/%H')}/{name}")
            self._write(key, _gz(("\n".join(batch.items) + "\n").encode()))
            return
        events = []
        for item in batch.items:
            t_text, message = item.split("\t", 1)
            stamp = int(t_text) * 1000 + rng.randrange(1000)
            events.append({"id": f"{stamp:d}{rng.getrandbits(150) % 10**43:043d}", "timestamp": stamp,
                           "message": message})
        payload = {"messageType": "DATA_MESSAGE", "owner": account, "logGroup": "/aws/bedrock/modelinvocations",
                   "logStream": "aws/bedrock/modelinvocations", "subscriptionFilters": ["bedrock-invocations-to-siem"],
                   "logEvents": events}
        data = base64.b64encode(_gz(_dumps(payload).encode())).decode()
        self.seq["cwl"] += 1
        body = _dumps({"awslogs": {"data": data}}) + "\n"
        self._write(f"cloudwatch-logs/{self.seq['cwl']:06d}.json", body.encode())

    # periodic and final flushes ---------------------------------------------------------------------

    def sweep(self, now: int) -> None:
        """Deliver what AWS would have delivered by `now` (time-based flushes), in a fixed order."""
        for stream in self.ct.values():
            if stream.buf and now >= stream.win + CT_WINDOW:
                self._deliver(stream, now)
            if stream.dig_end is not None:
                self._close_digests(stream, now)
        for wrapper in ("sqs", "sns-sqs"):
            batch = self.sqs[wrapper]
            if batch is not None and now >= batch.start + 20:
                self._flush_sqs(wrapper)
        for destination, batches, window in (("s3", self.inv_s3, CT_WINDOW), ("cwl", self.inv_cwl, 60)):
            for account, region in [k for k, b in batches.items() if now >= b.start + window]:
                self._flush_invocations(destination, account, region)

    def close(self, now: int) -> None:
        for key in sorted(self.ct):
            stream = self.ct[key]
            while stream.buf or stream.redeliver:
                if not stream.buf:
                    stream.buf, stream.redeliver = [text for text, _ in stream.redeliver], []
                self._deliver(stream, now)
            if stream.dig_end is not None:
                self._close_digests(stream, stream.last_delivery)
                self._digest(stream)  # the hour holding the last deliveries
        for wrapper in ("sqs", "sns-sqs"):
            self._flush_sqs(wrapper)
        for destination, batches in (("s3", self.inv_s3), ("cwl", self.inv_cwl)):
            for account, region in sorted(batches):
                self._flush_invocations(destination, account, region)
        if self.eb_handle is not None:
            self.eb_handle.close()
            self.eb_handle = None

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


# --- the platform -------------------------------------------------------------------------------------

TEAMS = ("fraud", "credit", "fraud", "support", "risk", "credit")
DATASETS = {"fraud": "card-transactions", "credit": "loan-applications", "support": "ticket-intents",
            "risk": "aml-alerts"}
ALGOS = {"fraud": "XGB", "credit": "XGB", "risk": "XGB", "support": "BERT"}
IMAGES = {
    "XGB": ("141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"),
    "BERT": ("763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-training:2.1.0-transformers4.36.0-"
             "gpu-py310-cu121-ubuntu20.04",
             "763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-inference:2.1.0-transformers4.37.0-"
             "gpu-py310-cu118-ubuntu20.04"),
}
SECONDARY = ("Downloading", "Training", "Uploading")


class _Project:
    """One ML project: a dataset (train/validation/test), a training job, model(s), a config, an endpoint."""

    def __init__(self, p: int, team: str, version: int, start: int, length: int, serving_account: str):
        self.p, self.team, self.start, self.length = p, team, start, length
        self.title = team.capitalize()
        self.algo = ALGOS[team]
        self.bucket = "acme-data-1" if p % 2 == 0 else "acme-data-2"
        self.dataset = f"{DATASETS[team]}-v{version}"
        self.prefix = f"{team}/{self.dataset}/"
        self.date = _fmt(START + start, "%Y-%m-%d")
        self.has_test = p % 4 != 3
        self.manifest = self.has_test and p % 3 == 2
        self.https_validation = p % 2 == 0
        self.splits = ("train", "validation", "test") if self.has_test else ("train", "validation")
        self.written = dict.fromkeys(self.splits, 0)
        self.job_name = f"{self.title}-{self.algo}-{self.date.replace('-', '')}-{p:03d}"
        self.kms = p % 3 != 1  # mistake to find: a job whose model artifacts have no KMS key
        self.eventbridge = p % 4 != 1  # some jobs have no state-change events (artifact only inferred)
        self.account = serving_account  # where the model, configuration and endpoint live
        self.capture = p % 2 == 0  # mistake to find: endpoint configurations without data capture
        self.capture_kms = p % 4 == 0
        self.config_kms = p % 3 == 0
        self.manual = p % 5 == 2 and serving_account == SERVE  # a model with no training job behind it
        self.model_name = f"{self.title}-{self.algo}-Model-{p:03d}"
        self.manual_model = f"{self.title}-Manual-Model-{p:03d}"
        self.manual_key = f"manual-upload/{team}/{p:03d}/model.tar.gz"
        self.job_created = False
        self.created_t = START + start  # set to the CreateTrainingJob time when it is called
        self.custom_created_t = START + start
        self.config_name = ""
        self.secondary = 0  # next SECONDARY status to announce while the job runs
        self.done = False

    def key(self, split: str, k: int) -> str:
        if self.team == "support":
            return f"{self.prefix}{split}/batch {k:04d}.jsonl"
        if self.team == "credit":
            return f"{self.prefix}{split}/part-{k:05d}.csv"
        return f"{self.prefix}{split}/dt={self.date}/part-{k:05d}.parquet"

    def size_range(self) -> tuple[int, int]:
        return {"support": (200_000, 12_000_000), "credit": (500_000, 40_000_000)}.get(
            self.team, (8_000_000, 96_000_000))


class _Platform:
    """The estate, its projects and the record mix; writes through `_Output` as it goes.

    The main loop emits, at each step, either a story step that has come due (scheduled per project at
    fractions of the project's share of the run) or one unit of the category furthest behind its share
    of MIX. Every step and unit writes at least one record and never more than remain.
    """

    def __init__(self, outdir: Path, seed: int, records: int):
        self.rng = Random(seed)
        self.N = records
        self.out = _Output(outdir, self.rng)
        self.hkey = hashlib.sha256(f"graphgov-generate:{seed}".encode()).digest()
        self.P = max(3, records // 4000)
        self._roles()
        self.done = dict.fromkeys((c for c, _ in MIX), 0)
        self.heap: list[tuple[int, int, str, Callable[..., None], tuple]] = []
        self.seq = 0
        self.projects: dict[int, _Project] = {}
        self.next_project = 0
        self.team_versions: dict[str, int] = {}
        self.families: dict[tuple[str, str], dict[str, Any]] = {}
        self.training: _Project | None = None  # the project whose job last started (its data is being read)
        self.recent_writes: deque[tuple] = deque(maxlen=32)
        self.last_read: tuple | None = None
        self.landing: deque[str] = deque(maxlen=16)
        self.landing_count = 0
        self.customizations = 0
        self.provisioned: str | None = None
        self.logging: dict[tuple[str, str], str] = {}

    # the estate -------------------------------------------------------------------------------------

    def _roles(self) -> None:
        sso_path = f"/aws-reserved/sso.amazonaws.com/{EU}/"
        self.data_engineer = Role(DATA, "DataEngineer")
        self.pipeline = Role(DATA, "DataPipeline", "/pipelines/")
        self.analyst = Role(DATA, "AWSReservedSSO_DataAnalyst_5e2b7c1d9a8f4e36", sso_path)
        self.data_access = Role(DATA, "TrainingDataAccess", "/cross-account/")
        self.ml_engineer = Role(TRAIN, "MLEngineer")
        self.exec_role = Role(TRAIN, "AmazonSageMaker-ExecutionRole-20260105T000000", "/service-role/")
        self.bedrock_role = Role(TRAIN, "BedrockCustomizationRole", "/service-role/")
        self.cw_role = Role(TRAIN, "BedrockInvocationLoggingRole", "/service-role/")
        self.mlops = Role(SERVE, "MLOps")
        self.serving_role = Role(SERVE, "AmazonSageMaker-ServingRole", "/service-role/")
        self.staging_role = Role(TRAIN, "AmazonSageMaker-StagingServingRole", "/service-role/")
        self.app = Role(SERVE, "AppBackend")
        self.support_bot = Role(SERVE, "SupportBot")
        self.deploy = Role(SERVE, "GitHubDeploy", "/ci/")
        self.etl_bot = User(DATA, "etl-bot")
        self.alice = User(DATA, "alice.admin")
        self.bob = User(TRAIN, "bob.ml")
        self.carol = User(SERVE, "carol.ops")
        self.contractor = User(SERVE, "contractor-upload")
        self.hackathon = User(SHADOW, "hackathon-dev")
        self.buckets = {b.name: b for b in (
            Bucket("acme-data-1", DATA, EU, _kms_arn(DATA, EU, "data")),
            Bucket("acme-data-2", DATA, EU, _kms_arn(DATA, EU, "data"), bucket_key=True),
            Bucket("acme-data-3", DATA, US, _kms_arn(DATA, US, "data")),
            Bucket("acme-models-training", TRAIN, EU, None),
            Bucket("acme-models-serving", SERVE, EU, None),
        )}
        self.keys = {
            TRAIN: _kms_arn(TRAIN, EU, "models"), SERVE: _kms_arn(SERVE, EU, "endpoints"),
            "capture-" + TRAIN: _kms_arn(TRAIN, EU, "capture"), "capture-" + SERVE: _kms_arn(SERVE, EU, "capture"),
            "bedrock": _kms_arn(TRAIN, US, "custom-models"),
        }

    def _corp_ip(self) -> str:
        return f"203.0.113.{self.rng.randrange(10, 60)}"

    def _actor(self, which: str) -> Actor:
        rng = self.rng
        choice = rng.choice
        if which == "engineer":
            return Actor(self.data_engineer, choice(("maria.garcia", "tom.nguyen", "priya.shah")),
                         self._corp_ip(), choice((UA_BOTO, UA_CLI)))
        if which == "pipeline":
            return Actor(self.pipeline, choice(("airflow-worker-1", "airflow-worker-2", "glue-job-ingest")),
                         f"10.20.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_BOTO)
        if which == "analyst":
            return Actor(self.analyst, choice(("jdoe", "asmith")), self._corp_ip(), UA_CONSOLE)
        if which == "ml":
            return Actor(self.ml_engineer, choice(("bob.ml", "li.wei", "sagemaker-studio-ada")), self._corp_ip(),
                         UA_SM_SDK)
        if which == "mlops":
            return Actor(self.mlops, choice(("carol.ops", "deploy-pipeline")), self._corp_ip(), UA_SM_SDK)
        if which == "exec":
            return Actor(self.exec_role, "SageMaker", f"10.30.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}",
                         UA_JAVA)
        raise KeyError(which)  # pragma: no cover

    # CloudTrail record shapes -----------------------------------------------------------------------

    def _access_key(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choices(_UPPER, k=16))

    def _identity(self, actor: Actor, t: int) -> dict[str, Any]:
        if actor.user is not None:
            user = actor.user
            return {"type": "IAMUser", "principalId": user.id, "arn": user.arn, "accountId": user.account,
                    "accessKeyId": self._access_key("AKIA"), "userName": user.name}
        role = actor.role
        assert role is not None
        return {"type": "AssumedRole", "principalId": actor.principal_id, "arn": actor.arn, "accountId": role.account,
                "accessKeyId": self._access_key("ASIA"),
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": role.id, "arn": role.arn,
                                                     "accountId": role.account, "userName": role.name},
                                   "attributes": {"creationDate": _iso(t - t % 3600), "mfaAuthenticated": "false"}}}

    def _record(self, *, identity: dict[str, Any], t: int, source: str, name: str, region: str, ip: str, ua: str,
                params: Any, response: Any, recipient: str, read_only: bool, host: str | None = None,
                resources: list | None = None, extra: dict | None = None, request_id: str | None = None,
                shared: str | None = None, error: tuple[str, str] | None = None,
                data_event: bool = False) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "eventVersion": "1.10" if data_event else "1.11", "userIdentity": identity, "eventTime": _iso(t),
            "eventSource": source, "eventName": name, "awsRegion": region, "sourceIPAddress": ip, "userAgent": ua,
        }
        if error:
            rec["errorCode"], rec["errorMessage"] = error
        rec["requestParameters"] = params
        rec["responseElements"] = response
        if extra is not None:
            rec["additionalEventData"] = extra
        rec["requestID"] = request_id or self.out.uuid()
        rec["eventID"] = self.out.uuid()
        rec["readOnly"] = read_only
        if resources:
            rec["resources"] = resources
        rec["eventType"] = "AwsApiCall"
        rec["managementEvent"] = not data_event
        rec["recipientAccountId"] = recipient
        if shared:
            rec["sharedEventID"] = shared
        rec["eventCategory"] = "Data" if data_event else "Management"
        if host:
            rec["tlsDetails"] = {"tlsVersion": TLS[0], "cipherSuite": TLS[1], "clientProvidedHostHeader": host}
        return rec

    def _api(self, actor: Actor, t: int, service: str, name: str, region: str, params: Any, response: Any,
             read_only: bool = False, **kw: Any) -> dict[str, Any]:
        """A management call by `actor` in its own account."""
        host = kw.pop("host", None) or f"{service}.{region}.amazonaws.com"
        return self._record(identity=self._identity(actor, t), t=t, source=f"{service}.amazonaws.com", name=name,
                            region=region, ip=actor.ip, ua=actor.ua, params=params, response=response,
                            recipient=actor.account, read_only=read_only, host=host, **kw)

    def _emit(self, rec: dict[str, Any], duplicate: bool = False, t: int | None = None) -> None:
        now = START + self.out.n
        self.out.cloudtrail(rec["recipientAccountId"], rec["awsRegion"], _dumps(rec), t or now, now, duplicate)

    @property
    def now(self) -> int:
        return START + self.out.n

    # S3 ---------------------------------------------------------------------------------------------

    def _facts(self, bucket: str, key: str, lo: int, hi: int) -> tuple[int, str, str]:
        """Size, ETag and version id of an object, derived from its name (so reads agree with writes)."""
        d = hashlib.blake2b(f"{bucket}/{key}".encode(), digest_size=48, key=self.hkey).digest()
        size = lo + int.from_bytes(d[16:24], "big") % (hi - lo)
        version = base64.b64encode(d[24:48]).decode().replace("+", ".").replace("/", "_")
        return size, d[:16].hex(), version

    def _s3(self, actor: Actor, name: str, bucket: Bucket, key: str, t: int, *, size: int = 0, etag: str = "",
            version: str = "", params: dict | None = None, copy_source: tuple[str, str] | None = None,
            sse: str | None = None, duplicate: bool = False, extra_in: int | None = None,
            extra_out: int | None = None, response: dict | None = None) -> str:
        """One S3 data event in the bucket owner's trail; returns its request id."""
        rng = self.rng
        host = f"{bucket.name}.s3.{bucket.region}.amazonaws.com"
        request = {"bucketName": bucket.name, "Host": host, "key": key}
        if copy_source:
            request = {"bucketName": bucket.name, "Host": host,
                       "x-amz-copy-source": quote(f"{copy_source[0]}/{copy_source[1]}", safe="/"), "key": key}
        if params:
            request.update(params)
        key_arn = sse if sse is not None else bucket.kms_key
        writes = name in ("PutObject", "CopyObject", "CompleteMultipartUpload", "CreateMultipartUpload", "UploadPart")
        if response is None and writes:
            response = ({"x-amz-server-side-encryption": "aws:kms",
                         "x-amz-server-side-encryption-aws-kms-key-id": key_arn}
                        if key_arn else {"x-amz-server-side-encryption": "AES256"})
            if bucket.bucket_key and key_arn:
                response["x-amz-server-side-encryption-bucket-key-enabled"] = "true"
            if version and name != "UploadPart" and name != "CreateMultipartUpload":
                response["x-amz-version-id"] = version
        read = name in ("GetObject", "HeadObject")
        out_bytes = extra_out if extra_out is not None else (size if name == "GetObject" else 0)
        in_bytes = extra_in if extra_in is not None else (size if name in ("PutObject", "UploadPart") else 0)
        request_id = f"{rng.getrandbits(64):016X}"
        extra = {"SignatureVersion": "SigV4", "CipherSuite": TLS[1], "bytesTransferredIn": in_bytes,
                 "SSEApplied": "Default_SSE_KMS" if key_arn else "Default_SSE_S3", "AuthenticationMethod": "AuthHeader",
                 "x-amz-id-2": base64.b64encode(rng.randbytes(56)).decode(), "bytesTransferredOut": out_bytes}
        resources = [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket.name}/{key}"},
                     {"accountId": bucket.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket.name}"}]
        if copy_source:
            resources.append({"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{copy_source[0]}/{copy_source[1]}"})
        rec = self._record(identity=self._identity(actor, t), t=t, source="s3.amazonaws.com", name=name,
                           region=bucket.region, ip=actor.ip, ua=actor.ua, params=request,
                           response=response if not read else None, recipient=bucket.account, read_only=read,
                           host=host, resources=resources, extra=extra, request_id=request_id, data_event=True)
        self._emit(rec, duplicate)
        if name == "GetObject":
            self.last_read = (bucket, key, actor, t)
        if name in ("PutObject", "CopyObject", "CompleteMultipartUpload"):
            reason = {"PutObject": "PutObject", "CopyObject": "CopyObject"}.get(name, "CompleteMultipartUpload")
            event = {"PutObject": "ObjectCreated:Put", "CopyObject": "ObjectCreated:Copy"}.get(
                name, "ObjectCreated:CompleteMultipartUpload")
            self.recent_writes.append((bucket, key, size, etag, version, request_id, t, rng.randrange(1000),
                                       actor, event, reason, extra["x-amz-id-2"]))
        return request_id

    def _put_object(self, actor: Actor, bucket: Bucket, key: str, lo: int, hi: int, sse: str | None = None,
                    duplicate: bool = False) -> None:
        size, etag, version = self._facts(bucket.name, key, lo, hi)
        self._s3(actor, "PutObject", bucket, key, self.now, size=size, etag=etag, version=version, sse=sse,
                 duplicate=duplicate)

    def _write_dataset(self, project: _Project, split: str, actor: Actor | None = None) -> None:
        k = project.written[split]
        project.written[split] = k + 1
        lo, hi = project.size_range()
        self._put_object(actor or self._actor(self.rng.choice(("engineer", "pipeline"))),
                         self.buckets[project.bucket], project.key(split, k), lo, hi)

    def _read_dataset(self, project: _Project, actor: Actor, duplicate: bool = False) -> None:
        split = self.rng.choice([s for s in project.splits if project.written[s]])
        key = project.key(split, self.rng.randrange(project.written[split]))
        lo, hi = project.size_range()
        size, etag, version = self._facts(project.bucket, key, lo, hi)
        self._s3(actor, "GetObject", self.buckets[project.bucket], key, self.now, size=size, duplicate=duplicate)

    # the record mix ---------------------------------------------------------------------------------

    def run(self) -> None:
        self._schedule_globals()
        next_sweep = 60
        while self.out.n < self.N:
            n = self.out.n
            while self.next_project < self.P and n >= self._seg_start(self.next_project):
                self._open_project(self.next_project)
                self.next_project += 1
            if n >= next_sweep:
                self.out.sweep(self.now)
                next_sweep = n - n % 60 + 60
            remaining = self.N - n
            if self.heap and self.heap[0][0] <= n:
                _, _, category, step, args = heapq.heappop(self.heap)
            else:
                category = self._pick(n)
                step, args = getattr(self, f"_unit_{category}"), ()
            step(remaining, *args)
            self.done[category] += self.out.n - n
        self.out.close(START + self.N + 60)

    def _pick(self, n: int) -> str:
        rng = self.rng.random
        best, best_score = "s3", -1e18
        for category, share in MIX:
            score = share * (n + 1) - self.done[category] + 2 * rng()
            if score > best_score:
                best, best_score = category, score
        return best

    def _at(self, due: int, category: str, step: Callable[..., Any], *args: Any) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (due, self.seq, category, step, args))

    def _seg_start(self, p: int) -> int:
        return p * self.N // self.P

    def _schedule_globals(self) -> None:
        n = self.N
        self._at(0, "control", self._step_logging_config, SERVE, EU)
        self._at(0, "control", self._step_logging_config, TRAIN, US)
        self._at(n // 4, "noise", self._step_duplicate_noise)
        self._at(n // 3, "noise", self._step_missing_event_id)
        self._at(n // 2, "notif", self._step_truncated_eventbridge)
        self._at(n // 2 + 5, "bedrock", self._step_truncated_invocation_log)
        self._at(3 * n // 4, "s3", self._step_duplicate_read)

    def _project(self, p: int) -> _Project:
        project = self.projects.get(p)
        if project is None:
            team = TEAMS[p % len(TEAMS)]
            version = self.team_versions.get(team, 0) + 1
            self.team_versions[team] = version
            start = self._seg_start(p)
            length = self._seg_start(p + 1) - start
            project = _Project(p, team, version, start, length, TRAIN if p % 3 == 1 else SERVE)
            self.projects[p] = project
            for old in [q for q in self.projects if q < p - 2]:
                del self.projects[old]  # bounded: only the projects still being written, read or deployed
        return project

    def _open_project(self, p: int) -> None:
        project = self._project(p)
        at = lambda f: project.start + int(f * project.length)  # noqa: E731
        self._at(at(0.02), "s3", self._step_seed_write, project, "train")
        self._at(at(0.03), "s3", self._step_seed_write, project, "validation")
        if project.has_test:
            self._at(at(0.04), "s3", self._step_seed_write, project, "test")
        if project.manifest:
            self._at(at(0.05), "s3", self._step_manifest, project)
        if p % 5 in (0, 1):
            c = self.customizations
            self.customizations += 1
            self._at(at(0.10), "s3", self._step_transcripts, c, "train")
            self._at(at(0.11), "s3", self._step_transcripts, c, "validation")
            self._at(at(0.20), "control", self._step_customization_job, c, project)
            self._at(at(0.21), "sts", self._step_service_assume, "bedrock.amazonaws.com", self.bedrock_role,
                     "bedrock-customization", US)
            self._at(at(0.60), "control", self._step_customization_done, c, project)
            if c % 2 == 0:
                self._at(at(0.62), "control", self._step_provisioned_throughput, c)
        self._at(at(0.45), "control", self._step_training_job, project)
        self._at(at(0.46), "sts", self._step_service_assume, "sagemaker.amazonaws.com", self.exec_role,
                 "SageMaker", EU)
        self._at(at(0.47), "sts", self._step_cross_account, project.job_name.lower())
        if project.eventbridge:
            self._at(at(0.50), "control", self._step_training_state, project, "InProgress", "Starting")
        self._at(at(0.72), "s3", self._step_artifact, project)
        if project.eventbridge:
            self._at(at(0.73), "control", self._step_training_state, project, "Completed", "Completed")
        if project.manual:
            self._at(at(0.78), "s3", self._step_manual_artifact, project)
        self._at(at(0.80), "control", self._step_create_model, project, False)
        if project.manual:
            self._at(at(0.81), "control", self._step_create_model, project, True)
        self._at(at(0.85), "control", self._step_endpoint_config, project)
        self._at(at(0.90), "control", self._step_endpoint, project)

    def _write_project(self) -> _Project:
        """The project whose data is being written now: the current one, then (after its job) the next."""
        p = min(self.next_project - 1, self.P - 1)
        project = self._project(p)
        if self.out.n >= project.start + int(0.45 * project.length) and p + 1 < self.P:
            return self._project(p + 1)
        return project

    # units: each writes at least one and at most `remaining` records --------------------------------

    def _unit_s3(self, remaining: int) -> None:
        rng = self.rng
        roll = rng.random()
        training = self.training
        if roll < 0.50:
            if training is not None and rng.random() < 0.85:
                actor = Actor(self.data_access, training.job_name.lower(),
                              f"10.30.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_JAVA)
                self._read_dataset(training, actor, duplicate=remaining >= 2 and rng.random() < 1 / 1500)
            else:
                project = self._write_project()
                if not any(project.written.values()):
                    project = training or project
                if any(project.written.values()):
                    self._read_dataset(project, self._actor("analyst"))
                else:
                    self._write_dataset(project, "train")
        elif roll < 0.80:
            project = self._write_project()
            self._write_dataset(project, rng.choices(project.splits, (6, 2, 2)[: len(project.splits)])[0])
        elif roll < 0.88:
            self._landing_write()
        elif roll < 0.94 and self.landing:
            self._copy_landing()
        elif roll < 0.97 and remaining >= 4:
            self._multipart()
        else:
            self._transcript_write()

    def _landing_write(self) -> None:
        self.landing_count += 1
        team = self.rng.choice(("fraud", "credit", "risk"))
        key = f"landing/{team}/{_fmt(self.now, '%Y-%m-%d')}/export {self.landing_count:05d}.csv"
        self.landing.append(key)
        self._put_object(Actor(self.etl_bot, None, f"198.51.100.{self.rng.randrange(10, 40)}", UA_CLI),
                         self.buckets["acme-data-1"], key, 100_000, 5_000_000)

    def _copy_landing(self) -> None:
        source = self.rng.choice(list(self.landing))
        project = self._write_project()
        k = project.written["train"]
        project.written["train"] = k + 1
        key = project.key("train", k)
        bucket = self.buckets[project.bucket]
        size, etag, version = self._facts("acme-data-1", source, 100_000, 5_000_000)
        _, etag, version = self._facts(bucket.name, key, 1, 2)
        self._s3(self._actor("pipeline"), "CopyObject", bucket, key, self.now, size=size, etag=etag, version=version,
                 copy_source=("acme-data-1", source), extra_in=0, extra_out=self.rng.randrange(200, 260))

    def _multipart(self) -> None:
        """CreateMultipartUpload, two UploadPart calls and CompleteMultipartUpload: four records."""
        rng = self.rng
        project = self._write_project()
        k = project.written["train"]
        project.written["train"] = k + 1
        key = project.key("train", k)
        bucket = self.buckets[project.bucket]
        lo, hi = project.size_range()
        size, etag, version = self._facts(bucket.name, key, max(lo, 16_000_000), hi * 2)
        actor = self._actor("pipeline")
        upload = base64.urlsafe_b64encode(rng.randbytes(48)).decode()
        first = size // 2
        self._s3(actor, "CreateMultipartUpload", bucket, key, self.now, params={"uploads": ""}, extra_out=300)
        for number, part in ((1, first), (2, size - first)):
            self._s3(actor, "UploadPart", bucket, key, self.now, size=part,
                     params={"partNumber": str(number), "uploadId": upload})
        self._s3(actor, "CompleteMultipartUpload", bucket, key, self.now, size=size, etag=f"{etag}-2",
                 version=version, params={"uploadId": upload}, extra_in=rng.randrange(180, 240),
                 extra_out=rng.randrange(300, 400))

    def _transcript_write(self, c: int | None = None, split: str | None = None) -> None:
        bucket = self.buckets["acme-data-3"]
        if c is None:
            key = (f"support/chat-transcripts/raw exports/{_fmt(self.now, '%Y-%m-%d')} chat "
                   f"{self.rng.randrange(10000):04d}.jsonl")
        else:
            key = f"support/chat-transcripts/fine-tune-v{c + 1}/{split}.jsonl"
        self._put_object(self._actor("engineer"), bucket, key, 50_000, 20_000_000)

    def _unit_notif(self, remaining: int) -> None:
        if not self.recent_writes:
            self._landing_write()  # nothing to announce yet: the write comes first
            return
        write = self.recent_writes.popleft()
        bucket = write[0]
        key = write[1]
        if key.startswith("landing/"):
            wrapper = "raw"
        elif bucket.name == "acme-data-1":
            wrapper = "sqs"
        elif bucket.name == "acme-data-2":
            wrapper = "sns-sqs"
        else:
            wrapper = "eventbridge"
        self._notify(write, wrapper)

    def _notify(self, write: tuple, wrapper: str, truncate: bool = False, now: int | None = None) -> None:
        bucket, key, size, etag, version, request_id, t, ms, actor, event, reason, id2 = write
        sequencer = f"{(t * 1000 + ms) * 4096 + (int(etag[:3], 16) if etag else 0):018X}"
        if wrapper == "eventbridge":
            self.out.eventbridge({
                "version": "0", "id": self.out.uuid(), "detail-type": "Object Created", "source": "aws.s3",
                "account": bucket.account, "time": _iso(t), "region": bucket.region,
                "resources": [f"arn:aws:s3:::{bucket.name}"],
                "detail": {"version": "0", "bucket": {"name": bucket.name},
                           "object": {"key": key, "size": size, "etag": etag, "version-id": version,
                                      "sequencer": sequencer},
                           "request-id": request_id, "requester": actor.account, "source-ip-address": actor.ip,
                           "reason": reason}}, now or self.now, truncate=truncate)
            return
        record = {
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": bucket.region, "eventTime": _iso_ms(t, ms),
            "eventName": event, "userIdentity": {"principalId": f"AWS:{actor.principal_id}"},
            "requestParameters": {"sourceIPAddress": actor.ip},
            "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": id2},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": f"{wrapper}-dataset-objects",
                   "bucket": {"name": bucket.name, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                              "arn": f"arn:aws:s3:::{bucket.name}"},
                   "object": {"key": form_encode_key(key), "size": size, "eTag": etag, "versionId": version,
                              "sequencer": sequencer}},
        }
        self.out.notification(wrapper, record, t, ms)

    def _unit_sts(self, remaining: int) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.35 and remaining >= 2:
            training = self.training
            self._step_cross_account(remaining, training.job_name.lower() if training and rng.random() < 0.6
                                     else "ml-exploration")
        elif roll < 0.70:
            user, role, session = rng.choice((
                (self.alice, self.data_engineer, "alice.admin"), (self.alice, self.analyst, "alice.admin"),
                (self.bob, self.ml_engineer, "bob.ml"), (self.carol, self.mlops, "carol.ops")))
            self._assume(Actor(user, None, self._corp_ip(), UA_CLI), role, session)
        elif roll < 0.90:
            service, role, session, region = rng.choice((
                ("sagemaker.amazonaws.com", self.exec_role, "SageMaker", EU),
                ("ec2.amazonaws.com", self.app, rng.choice(("i-0a1b2c3d4e5f60718", "i-0f9e8d7c6b5a49382")), EU),
                ("lambda.amazonaws.com", self.support_bot, "support-bot-handler", US),
                ("glue.amazonaws.com", self.pipeline, "glue-job-ingest", EU)))
            self._step_service_assume(remaining, service, role, session, region)
        else:
            self._web_identity()

    def _assume_response(self, role: Role, session: str, t: int) -> dict[str, Any]:
        return {"credentials": {"accessKeyId": self._access_key("ASIA"),
                                "sessionToken": "IQoJb3JpZ2luX2VjE" + base64.b64encode(self.rng.randbytes(96)).decode(),
                                "expiration": _human(t + 3600)},
                "assumedRoleUser": {"assumedRoleId": f"{role.id}:{session}", "arn": role.session_arn(session)}}

    def _role_resource(self, role: Role) -> list[dict[str, str]]:
        return [{"accountId": role.account, "type": "AWS::IAM::Role", "ARN": role.arn}]

    def _assume(self, actor: Actor, role: Role, session: str, region: str = EU) -> None:
        t = self.now
        self._emit(self._api(actor, t, "sts", "AssumeRole", region,
                             {"roleArn": role.arn, "roleSessionName": session, "durationSeconds": 3600},
                             self._assume_response(role, session, t), read_only=True,
                             resources=self._role_resource(role)))

    def _web_identity(self) -> None:
        t = self.now
        role, session = self.deploy, f"GitHubActions-{self.rng.randrange(10**9, 10**10)}"
        subject = "repo:acme/ml-serving:ref:refs/heads/main"
        provider = f"arn:aws:iam::{SERVE}:oidc-provider/token.actions.githubusercontent.com"
        identity = {"type": "WebIdentityUser", "principalId": f"{provider}:sts.amazonaws.com:{subject}",
                    "userName": subject, "identityProvider": provider}
        response = self._assume_response(role, session, t)
        response.update({"subjectFromWebIdentityToken": subject, "provider": provider, "audience": "sts.amazonaws.com"})
        self._emit(self._record(
            identity=identity, t=t, source="sts.amazonaws.com", name="AssumeRoleWithWebIdentity", region=EU,
            ip=f"192.0.2.{self.rng.randrange(1, 250)}",
            ua="aws-sdk-js/3.716.0 ua/2.1 os/linux#6.8.0 lang/js md/nodejs#20.18.1",
            params={"roleArn": role.arn, "roleSessionName": session, "durationSeconds": 3600},
            response=response, recipient=SERVE, read_only=True, host=f"sts.{EU}.amazonaws.com",
            resources=self._role_resource(role),
            extra={"identityProviderConnectionVerificationMethod": "IAMTrustStore"}))

    def _unit_noise(self, remaining: int) -> None:
        rng = self.rng
        duplicate = remaining >= 2 and rng.random() < 1 / 1200
        roll = rng.random()
        if roll < 0.22 and self.last_read is not None:
            self._emit(self._kms_for_read(), duplicate)
        else:
            self._emit(self._noise_record(), duplicate)

    def _kms_for_read(self) -> dict[str, Any]:
        assert self.last_read is not None
        bucket, key, actor, _ = self.last_read
        t = self.now
        context = f"arn:aws:s3:::{bucket.name}" if bucket.bucket_key else f"arn:aws:s3:::{bucket.name}/{key}"
        identity = self._identity(actor, t)
        identity["invokedBy"] = "s3.amazonaws.com"
        key_arn = bucket.kms_key or self.keys[TRAIN]
        return self._record(identity=identity, t=t, source="kms.amazonaws.com", name="Decrypt", region=bucket.region,
                            ip="s3.amazonaws.com", ua="s3.amazonaws.com",
                            params={"encryptionContext": {"aws:s3:arn": context},
                                    "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
                            response=None, recipient=bucket.account, read_only=True,
                            resources=[{"accountId": bucket.account, "type": "AWS::KMS::Key", "ARN": key_arn}])

    def _noise_record(self, error_ok: bool = True) -> dict[str, Any]:
        rng = self.rng
        t = self.now
        account = rng.choices((DATA, TRAIN, SERVE, SHADOW), (3, 3, 3, 1))[0]
        who: Role | User
        if account == DATA:
            who, session = rng.choice(((self.data_engineer, "maria.garcia"), (self.alice, None),
                                       (self.pipeline, "airflow-worker-1")))
        elif account == TRAIN:
            who, session = rng.choice(((self.ml_engineer, "li.wei"), (self.bob, None)))
        elif account == SERVE:
            who, session = rng.choice(((self.mlops, "carol.ops"), (self.carol, None),
                                       (self.app, "i-0a1b2c3d4e5f60718")))
        else:
            who, session = self.hackathon, None
        actor = Actor(who, session, self._corp_ip(), rng.choice((UA_BOTO, UA_CLI, UA_CONSOLE)))
        region = EU if rng.random() < 0.75 else US
        kind = rng.randrange(8)
        if kind == 0:
            return self._api(actor, t, "ec2", "DescribeInstances", region,
                             {"instancesSet": {}, "filterSet": {}}, None, read_only=True,
                             error=("Client.UnauthorizedOperation", "You are not authorized to perform this operation.")
                             if error_ok and rng.random() < 0.1 else None)
        if kind == 1:
            name = rng.choice(("GetUser", "ListRoles", "GetRole", "ListAttachedRolePolicies"))
            params: dict[str, Any] | None = {
                "GetUser": {"userName": getattr(who, "name", "etl-bot")}, "ListRoles": None,
                "GetRole": {"roleName": rng.choice(("MLEngineer", "DataEngineer", "MLOps"))},
                "ListAttachedRolePolicies": {"roleName": "TrainingDataAccess"}}[name]
            return self._api(actor, t, "iam", name, US, params, None, read_only=True, host="iam.amazonaws.com")
        if kind == 2:
            return self._api(actor, t, "s3", "ListBuckets", region, {"Host": f"s3.{region}.amazonaws.com"}, None,
                             read_only=True, host=f"s3.{region}.amazonaws.com")
        if kind == 3:
            return self._api(actor, t, "sts", "GetCallerIdentity", region, None, None, read_only=True)
        if kind == 4:
            return self._api(actor, t, "monitoring", "GetMetricData", region,
                             {"startTime": _iso(t - 3600), "endTime": _iso(t),
                              "metricDataQueries": [{"id": "m1", "returnData": True}]}, None, read_only=True)
        if kind == 5:
            return self._api(actor, t, "logs", "DescribeLogGroups", region,
                             {"logGroupNamePrefix": rng.choice(("/aws/sagemaker/", "/aws/lambda/", "/aws/bedrock/"))},
                             None, read_only=True)
        if kind == 6:
            return self._api(actor, t, "ecr", "GetAuthorizationToken", region, None, None, read_only=True,
                             host=f"api.ecr.{region}.amazonaws.com")
        return self._api(actor, t, "ssm", "GetParameter", region,
                         {"name": rng.choice(("/ml/feature-store/endpoint", "/app/bedrock/model-id")),
                          "withDecryption": True}, None, read_only=True)

    def _unit_control(self, remaining: int) -> None:
        """SageMaker and Bedrock control-plane noise, or the running job's next state change."""
        rng = self.rng
        training = self.training
        if (training is not None and training.eventbridge and not training.done
                and training.secondary < len(SECONDARY) and rng.random() < 0.5):
            status = SECONDARY[training.secondary]
            training.secondary += 1
            self._step_training_state(remaining, training, "InProgress", status)
            return
        t = self.now
        if rng.random() < 0.6:
            actor = self._actor(rng.choice(("ml", "mlops")))
            region = EU
            project = training or self._write_project()
            name, params = rng.choice((
                ("DescribeTrainingJob", {"trainingJobName": project.job_name}),
                ("ListTrainingJobs", {"maxResults": 50, "sortBy": "CreationTime", "sortOrder": "Descending"}),
                ("DescribeEndpoint", {"endpointName": f"{project.title}-Endpoint"}),
                ("ListModels", {"maxResults": 50}),
                ("ListEndpoints", {"maxResults": 50}),
                ("DescribeModel", {"modelName": project.model_name})))
            self._emit(self._api(actor, t, "sagemaker", name, region, params, None, read_only=True,
                                 host=f"api.sagemaker.{region}.amazonaws.com"))
            return
        actor = rng.choice((self._actor("ml"), self._actor("mlops")))
        region = US if actor.account == TRAIN else EU
        name, params = rng.choice((
            ("GetModelInvocationLoggingConfiguration", None),
            ("ListFoundationModels", {"byOutputModality": "TEXT"}),
            ("GetFoundationModel", {"modelIdentifier": "anthropic.claude-3-haiku-20240307-v1:0"}),
            ("ListCustomModels", {"maxResults": 20})))
        self._emit(self._api(actor, t, "bedrock", name, region, params, None, read_only=True))

    # Bedrock ----------------------------------------------------------------------------------------

    def _unit_bedrock(self, remaining: int, forced: tuple | None = None, truncate: bool = False) -> None:
        rng = self.rng
        roll = rng.random()
        if forced is not None:
            actor, region = forced
        elif roll < 0.40:
            actor, region = Actor(self.app, rng.choice(("i-0a1b2c3d4e5f60718", "i-0f9e8d7c6b5a49382")),
                                  f"10.40.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_BOTO), EU
        elif roll < 0.55:
            actor, region = Actor(self.support_bot, "support-bot-handler",
                                  f"10.41.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_BOTO), US
        elif roll < 0.85:
            actor, region = self._actor("ml"), US
        else:
            actor, region = Actor(self.hackathon, None, f"192.0.2.{rng.randrange(1, 250)}",
                                  rng.choice((UA_BOTO, UA_CONSOLE))), rng.choice((EU, US))
        destination = self.logging.get((actor.account, region))
        if destination and remaining < 2:
            actor, region, destination = Actor(self.hackathon, None, "192.0.2.7", UA_BOTO), US, None
        model, profile_region = self._model_for(actor, region, embeddings=destination is None)
        embedding = model.startswith("amazon.titan-embed")
        operation = "InvokeModel" if embedding else rng.choices(("InvokeModel", "Converse", "ConverseStream"),
                                                                (45, 40, 15))[0]
        t = self.now
        request_id = self.out.uuid()
        extra = {"inferenceRegion": profile_region} if profile_region and profile_region != region else None
        rec = self._api(actor, t, "bedrock", operation, region, {"modelId": model}, None, read_only=True,
                        host=f"bedrock-runtime.{region}.amazonaws.com", request_id=request_id, extra=extra)
        self._emit(rec)
        if destination:
            text = _dumps(self._invocation_log(actor, region, request_id, operation, model, t, extra))
            if truncate:
                text = text[: len(text) * 3 // 5]
            self.out.invocation_log(destination, actor.account, region, text, t, self.now, keep=truncate)

    def _model_for(self, actor: Actor, region: str, embeddings: bool) -> tuple[str, str | None]:
        rng = self.rng
        if actor.account == TRAIN and self.provisioned and rng.random() < 0.3:
            return self.provisioned, None
        if region == EU:
            options = ["anthropic.claude-3-haiku-20240307-v1:0", "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
                       "mistral.mistral-large-2402-v1:0"]
        else:
            options = ["anthropic.claude-3-haiku-20240307-v1:0", "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
                       "meta.llama3-8b-instruct-v1:0"]
        if embeddings:
            options.append("amazon.titan-embed-text-v2:0")
        model = rng.choice(options)
        if model.startswith("eu."):
            return model, rng.choice(("eu-central-1", "eu-west-1", "eu-west-3"))
        if model.startswith("us."):
            return model, rng.choice(("us-east-1", "us-east-2", "us-west-2"))
        return model, None

    def _prompt(self) -> tuple[str, str]:
        rng = self.rng
        first = rng.choice(("Jane", "Omar", "Lena", "Tariq", "Sofia", "Kenji", "Amara", "Piotr"))
        last = rng.choice(("Doe", "Haddad", "Novak", "Okafor", "Rossi", "Tanaka", "Silva", "Kowalski"))
        email = f"{first.lower()}.{last.lower()}@example.{rng.choice(('com', 'org', 'net'))}"
        phone = rng.choice((f"+44 20 7946 0{rng.randrange(1000):03d}", f"+1-202-555-01{rng.randrange(100):02d}"))
        kind = rng.randrange(6)
        if kind == 0:
            return (f"Summarise this support ticket from {first} {last} ({email}, phone {phone}): my card was "
                    "charged twice for the same order and I need a refund.",
                    "The customer reports a duplicate card charge on one order and asks for a refund of the "
                    "second charge.")
        if kind == 1:
            return (f"Draft a reply to {email} confirming we will call back on {phone} about the loan application.",
                    "Thank you for your message. An advisor will call you back within one business day about "
                    "your loan application.")
        if kind == 2:
            return (f"Explain why transaction TX-{rng.randrange(10**6, 10**7)} for {rng.randrange(20, 5000)} EUR "
                    "was flagged by the fraud model.",
                    "The amount is far above the cardholder's usual spend and the merchant country differs from "
                    "the card's home country.")
        if kind == 3:
            return ("Classify the intent of: 'I cannot log in to the mobile app since the update'.",
                    "Intent: account_access. Sub-intent: login_failure_after_update.")
        if kind == 4:
            return ("Write a Python function that validates an IBAN checksum.",
                    "def valid_iban(iban):\n    s = iban[4:] + iban[:4]\n    return int(''.join(str(int(c, 36)) "
                    "for c in s)) % 97 == 1")
        return ("List three risks of using customer chat transcripts to fine-tune a model.",
                "1. Personal data in the transcripts. 2. Consent and purpose limits. 3. Memorisation of rare "
                "details.")

    def _invocation_log(self, actor: Actor, region: str, request_id: str, operation: str, model: str, t: int,
                        extra: dict | None) -> dict[str, Any]:
        rng = self.rng
        prompt, answer = self._prompt()
        tokens_in = len(prompt.split()) * 4 // 3 + 8
        tokens_out = len(answer.split()) * 4 // 3 + 2
        latency = rng.randrange(300, 4000)
        if operation == "InvokeModel" and "anthropic" in model:
            body_in: Any = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 512,
                            "messages": [{"role": "user", "content": prompt}]}
            body_out: Any = {"id": f"msg_bdrk_{self.out.hex(12)}", "type": "message", "role": "assistant",
                             "model": "claude-3-haiku-20240307", "content": [{"type": "text", "text": answer}],
                             "stop_reason": "end_turn", "stop_sequence": None,
                             "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out}}
        elif operation == "InvokeModel" and model.startswith("mistral"):
            body_in = {"prompt": f"<s>[INST] {prompt} [/INST]", "max_tokens": 400, "temperature": 0.5}
            body_out = {"outputs": [{"text": answer, "stop_reason": "stop"}]}
        elif operation == "InvokeModel" and "llama" in model:
            body_in = {"prompt": prompt, "max_gen_len": 512, "temperature": 0.5}
            body_out = {"generation": answer, "prompt_token_count": tokens_in, "generation_token_count": tokens_out,
                        "stop_reason": "stop"}
        elif operation == "InvokeModel":
            body_in = {"inputText": prompt, "textGenerationConfig": {"maxTokenCount": 512, "temperature": 0.5}}
            body_out = {"inputTextTokenCount": tokens_in,
                        "results": [{"tokenCount": tokens_out, "outputText": answer, "completionReason": "FINISH"}]}
        else:
            body_in = {"messages": [{"role": "user", "content": [{"text": prompt}]}],
                       "inferenceConfig": {"maxTokens": 512, "temperature": 0.5}}
            usage = {"inputTokens": tokens_in, "outputTokens": tokens_out, "totalTokens": tokens_in + tokens_out}
            if operation == "Converse":
                body_out = {"output": {"message": {"role": "assistant", "content": [{"text": answer}]}},
                            "stopReason": "end_turn", "metrics": {"latencyMs": latency}, "usage": usage}
            else:
                body_out = [{"messageStart": {"role": "assistant"}},
                            {"contentBlockDelta": {"delta": {"text": answer}, "contentBlockIndex": 0}},
                            {"contentBlockStop": {"contentBlockIndex": 0}}, {"messageStop": {"stopReason": "end_turn"}},
                            {"metadata": {"usage": usage, "metrics": {"latencyMs": latency}}}]
        record: dict[str, Any] = {
            "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": _iso(t),
            "accountId": actor.account, "region": region, "requestId": request_id, "operation": operation,
            "modelId": model, "identity": {"arn": actor.arn},
        }
        if operation != "InvokeModel" and rng.random() < 0.5:
            record["requestMetadata"] = {"team": "support" if actor.role is self.support_bot else "platform",
                                         "app": "helpdesk-assistant"}
        if extra:
            record["inferenceRegion"] = extra["inferenceRegion"]
        record["input"] = {"inputContentType": "application/json", "inputBodyJson": body_in,
                           "inputTokenCount": tokens_in}
        record["output"] = {"outputContentType": "application/json", "outputBodyJson": body_out,
                            "outputTokenCount": tokens_out}
        return record

    # story steps (scheduled): each takes `remaining` first, like the units -------------------------

    def _step_logging_config(self, remaining: int, account: str, region: str) -> None:
        t = self.now
        if account == SERVE:
            actor = self._actor("mlops")
            config: dict[str, Any] = {"s3Config": {"bucketName": f"acme-bedrock-invocation-logs-{SERVE}",
                                                   "keyPrefix": ""}}
            self.logging[(account, region)] = "s3"
        else:
            actor = self._actor("ml")
            config = {"cloudWatchConfig": {"logGroupName": "/aws/bedrock/modelinvocations", "roleArn": self.cw_role.arn,
                                           "largeDataDeliveryS3Config": {"bucketName": f"acme-bedrock-large-{TRAIN}",
                                                                         "keyPrefix": "large-data"}}}
            self.logging[(account, region)] = "cwl"
        config.update({"textDataDeliveryEnabled": True, "imageDataDeliveryEnabled": True,
                       "embeddingDataDeliveryEnabled": False, "videoDataDeliveryEnabled": False})
        self._emit(self._api(actor, t, "bedrock", "PutModelInvocationLoggingConfiguration", region,
                             {"loggingConfig": config}, None))

    def _step_seed_write(self, remaining: int, project: _Project, split: str) -> None:
        if project.written[split] == 0:
            self._write_dataset(project, split, self._actor("engineer"))
        else:
            self._read_dataset(project, self._actor("analyst"))

    def _step_manifest(self, remaining: int, project: _Project) -> None:
        bucket = self.buckets[project.bucket]
        self._put_object(self._actor("engineer"), bucket, f"{project.prefix}manifests/test.manifest", 300, 4000)

    def _step_transcripts(self, remaining: int, c: int, split: str) -> None:
        self._transcript_write(c, split)

    def _step_service_assume(self, remaining: int, service: str, role: Role, session: str, region: str) -> None:
        t = self.now
        self._emit(self._record(identity={"type": "AWSService", "invokedBy": service}, t=t,
                                source="sts.amazonaws.com", name="AssumeRole", region=region, ip=service, ua=service,
                                params={"roleArn": role.arn, "roleSessionName": session},
                                response=self._assume_response(role, session, t), recipient=role.account,
                                read_only=True, resources=self._role_resource(role), shared=self.out.uuid()))

    def _step_cross_account(self, remaining: int, session: str) -> None:
        """A training-account principal assumes the data account's role: both trail copies (2 records)."""
        if remaining < 2:
            self._assume(Actor(self.alice, None, self._corp_ip(), UA_CLI), self.data_engineer, "alice.admin")
            return
        t = self.now
        rng = self.rng
        caller = self._actor("exec") if session != "ml-exploration" else self._actor("ml")
        role = self.data_access
        params = {"roleArn": role.arn, "roleSessionName": session, "durationSeconds": 3600,
                  "externalId": "acme-training-2026"}
        response = self._assume_response(role, session, t)
        request_id, shared = self.out.uuid(), self.out.uuid()
        common = dict(t=t, source="sts.amazonaws.com", name="AssumeRole", region=EU, ip=caller.ip, ua=caller.ua,
                      params=params, response=response, read_only=True, host=f"sts.{EU}.amazonaws.com",
                      resources=self._role_resource(role), request_id=request_id, shared=shared)
        requester = self._record(identity=self._identity(caller, t), recipient=TRAIN, **common)
        owner_identity = {"type": "AWSAccount", "principalId": caller.principal_id, "accountId": TRAIN}
        owner = self._record(identity=owner_identity, recipient=DATA, **common)
        if rng.random() < 0.5:
            requester, owner = owner, requester
        self._emit(requester, t=t)
        self._emit(owner, t=t)

    def _training_request(self, project: _Project) -> dict[str, Any]:
        bucket = project.bucket
        channels = [("train", "S3Prefix", f"s3://{bucket}/{project.prefix}train/")]
        validation = (f"https://{bucket}.s3.{EU}.amazonaws.com/{project.prefix}validation/" if project.https_validation
                      else f"s3://{bucket}/{project.prefix}validation/")
        channels.append(("validation", "S3Prefix", validation))
        if project.has_test:
            channels.append(("test", "ManifestFile", f"s3://{bucket}/{project.prefix}manifests/test.manifest")
                            if project.manifest else ("test", "S3Prefix", f"s3://{bucket}/{project.prefix}test/"))
        content = {"support": "application/jsonlines", "credit": "text/csv"}.get(project.team,
                                                                                 "application/x-parquet")
        output: dict[str, Any] = {"s3OutputPath": f"s3://acme-models-training/{project.team}/"}
        resources: dict[str, Any] = {"instanceType": "ml.g5.2xlarge" if project.algo == "BERT" else "ml.m5.2xlarge",
                                     "instanceCount": 1, "volumeSizeInGB": 50}
        if project.kms:
            output["kmsKeyId"] = self.keys[TRAIN]
            resources["volumeKmsKeyId"] = self.keys[TRAIN]
        hyper = ({"epochs": "3", "learning_rate": "5e-05", "model_name": "bert-base-uncased"}
                 if project.algo == "BERT" else
                 {"max_depth": "6", "eta": "0.2", "objective": "binary:logistic", "num_round": "200"})
        return {
            "trainingJobName": project.job_name, "hyperParameters": hyper,
            "algorithmSpecification": {"trainingImage": IMAGES[project.algo][0], "trainingInputMode": "File",
                                       "enableSageMakerMetricsTimeSeries": False},
            "roleArn": self.exec_role.arn,
            "inputDataConfig": [{"channelName": name, "dataSource": {"s3DataSource": {
                "s3DataType": kind, "s3Uri": uri, "s3DataDistributionType": "FullyReplicated"}},
                "contentType": content, "compressionType": "None"} for name, kind, uri in channels],
            "outputDataConfig": output, "resourceConfig": resources,
            "stoppingCondition": {"maxRuntimeInSeconds": 86400}, "enableNetworkIsolation": False,
            "enableInterContainerTrafficEncryption": False, "enableManagedSpotTraining": False,
            "tags": [{"key": "team", "value": project.team}, {"key": "project", "value": project.dataset}],
        }

    def _sm_arn(self, account: str, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{EU}:{account}:{kind}/{name.lower()}"

    def _step_training_job(self, remaining: int, project: _Project) -> None:
        t = self.now
        project.job_created = True
        project.created_t = t
        previous = self.training
        if previous is not None:
            previous.done = True
        self.training = project
        self._emit(self._api(self._actor("ml"), t, "sagemaker", "CreateTrainingJob", EU,
                             self._training_request(project),
                             {"trainingJobArn": self._sm_arn(TRAIN, "training-job", project.job_name)},
                             host=f"api.sagemaker.{EU}.amazonaws.com"))

    def _artifact_uri(self, project: _Project) -> str:
        return f"s3://acme-models-training/{project.team}/{project.job_name}/output/model.tar.gz"

    def _step_training_state(self, remaining: int, project: _Project, status: str, secondary: str) -> None:
        t = self.now
        request = self._training_request(project)
        created = project.created_t * 1000
        detail: dict[str, Any] = {
            "TrainingJobName": project.job_name,
            "TrainingJobArn": self._sm_arn(TRAIN, "training-job", project.job_name),
            "TrainingJobStatus": status, "SecondaryStatus": secondary,
            "HyperParameters": request["hyperParameters"],
            "AlgorithmSpecification": {"TrainingImage": IMAGES[project.algo][0], "TrainingInputMode": "File"},
            "RoleArn": self.exec_role.arn,
            "InputDataConfig": [{"ChannelName": c["channelName"], "DataSource": {"S3DataSource": {
                "S3DataType": c["dataSource"]["s3DataSource"]["s3DataType"],
                "S3Uri": c["dataSource"]["s3DataSource"]["s3Uri"], "S3DataDistributionType": "FullyReplicated"}},
                "ContentType": c["contentType"], "CompressionType": "None", "RecordWrapperType": "None"}
                for c in request["inputDataConfig"]],
            "OutputDataConfig": {**({"KmsKeyId": self.keys[TRAIN]} if project.kms else {}),
                                 "S3OutputPath": request["outputDataConfig"]["s3OutputPath"]},
            "ResourceConfig": {"InstanceType": request["resourceConfig"]["instanceType"], "InstanceCount": 1,
                               "VolumeSizeInGB": 50, **({"VolumeKmsKeyId": self.keys[TRAIN]} if project.kms else {})},
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
            "CreationTime": str(created), "TrainingStartTime": str(created + 60_000),
        }
        if status == "Completed":
            project.done = True
            detail["TrainingEndTime"] = str(t * 1000)
            detail["ModelArtifacts"] = {"S3ModelArtifacts": self._artifact_uri(project)}
        detail["LastModifiedTime"] = str(t * 1000)
        detail["SecondaryStatusTransitions"] = [{"Status": secondary, "StartTime": str(t * 1000),
                                                 "StatusMessage": f"{secondary} the training job"}]
        detail["Tags"] = {"team": project.team, "project": project.dataset}
        self.out.eventbridge({"version": "0", "id": self.out.uuid(),
                              "detail-type": "SageMaker Training Job State Change",
                              "source": "aws.sagemaker", "account": TRAIN, "time": _iso(t), "region": EU,
                              "resources": [detail["TrainingJobArn"]], "detail": detail}, self.now)

    def _step_artifact(self, remaining: int, project: _Project) -> None:
        key = self._artifact_uri(project).split("/", 3)[3]
        self._put_object(self._actor("exec"), self.buckets["acme-models-training"], key, 20_000_000, 900_000_000,
                         sse=self.keys[TRAIN] if project.kms else "")

    def _step_manual_artifact(self, remaining: int, project: _Project) -> None:
        actor = Actor(self.contractor, None, f"198.51.100.{self.rng.randrange(100, 200)}", UA_CLI)
        self._put_object(actor, self.buckets["acme-models-serving"], project.manual_key, 20_000_000, 400_000_000)

    def _step_create_model(self, remaining: int, project: _Project, manual: bool) -> None:
        t = self.now
        account = project.account
        name = project.manual_model if manual else project.model_name
        url = f"s3://acme-models-serving/{project.manual_key}" if manual else self._artifact_uri(project)
        role = self.serving_role if account == SERVE else self.staging_role
        params = {"modelName": name, "primaryContainer": {
            "image": IMAGES[project.algo][1], "modelDataUrl": url,
            "environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_REGION": EU}},
            "executionRoleArn": role.arn, "enableNetworkIsolation": False}
        actor = self._actor("mlops") if account == SERVE else self._actor("ml")
        self._emit(self._api(actor, t, "sagemaker", "CreateModel", EU, params,
                             {"modelArn": self._sm_arn(account, "model", name)},
                             host=f"api.sagemaker.{EU}.amazonaws.com"))

    def _family(self, project: _Project) -> dict[str, Any]:
        key = (project.team, project.account)
        family = self.families.get(key)
        if family is None:
            name = f"{project.title}-Endpoint" if project.account == SERVE else f"{project.title}-Staging-Endpoint"
            family = self.families[key] = {"endpoint": name, "version": 0, "created": False, "model": None}
        return family

    def _step_endpoint_config(self, remaining: int, project: _Project) -> None:
        t = self.now
        family = self._family(project)
        family["version"] += 1
        config = f"{project.title}Config-v{family['version']}"
        if project.account == TRAIN:
            config = f"{project.title}StagingConfig-v{family['version']}"
        project.config_name = config
        instance = "ml.g5.xlarge" if project.algo == "BERT" else "ml.m5.large"
        previous = family["model"]
        if previous and project.p % 2 == 1:
            variants = [{"variantName": "Blue", "modelName": previous, "initialInstanceCount": 1,
                         "instanceType": instance, "initialVariantWeight": 0.8},
                        {"variantName": "Green", "modelName": project.model_name, "initialInstanceCount": 1,
                         "instanceType": instance, "initialVariantWeight": 0.2}]
        else:
            variants = [{"variantName": "AllTraffic", "modelName": project.model_name, "initialInstanceCount": 1,
                         "instanceType": instance, "initialVariantWeight": 1.0}]
        params: dict[str, Any] = {"endpointConfigName": config, "productionVariants": variants}
        if project.manual:
            family["manual"] = project.manual_model
        if family.get("manual"):  # once shadowed, the untrained challenger stays in every later config
            params["shadowProductionVariants"] = [{"variantName": "Challenger", "modelName": family["manual"],
                                                   "initialInstanceCount": 1, "instanceType": instance,
                                                   "initialVariantWeight": 1.0}]
        if project.capture:
            capture: dict[str, Any] = {
                "enableCapture": True, "initialSamplingPercentage": 20,
                "destinationS3Uri": f"s3://acme-capture-{'serving' if project.account == SERVE else 'training'}/"
                                    f"{project.team}/",
                "captureOptions": [{"captureMode": "Input"}, {"captureMode": "Output"}]}
            if project.capture_kms:
                capture["kmsKeyId"] = self.keys["capture-" + project.account]
            params["dataCaptureConfig"] = capture
        if project.config_kms:
            params["kmsKeyId"] = self.keys[project.account]
        family["model"] = project.model_name
        actor = self._actor("mlops") if project.account == SERVE else self._actor("ml")
        self._emit(self._api(actor, t, "sagemaker", "CreateEndpointConfig", EU, params,
                             {"endpointConfigArn": self._sm_arn(project.account, "endpoint-config", config)},
                             host=f"api.sagemaker.{EU}.amazonaws.com"))

    def _step_endpoint(self, remaining: int, project: _Project) -> None:
        t = self.now
        family = self._family(project)
        endpoint = family["endpoint"]
        config = project.config_name
        actor = self._actor("mlops") if project.account == SERVE else self._actor("ml")
        if family["created"]:
            name, params = "UpdateEndpoint", {"endpointName": endpoint.lower(), "endpointConfigName": config,
                                              "retainAllVariantProperties": False}
        else:
            family["created"] = True
            name, params = "CreateEndpoint", {"endpointName": endpoint, "endpointConfigName": config}
        self._emit(self._api(actor, t, "sagemaker", name, EU, params,
                             {"endpointArn": self._sm_arn(project.account, "endpoint", endpoint)},
                             host=f"api.sagemaker.{EU}.amazonaws.com"))

    def _bedrock_id(self, label: str) -> str:
        """A 12-character Bedrock resource id, fixed per seed and label (create and state change agree)."""
        digest = hashlib.blake2b(label.encode(), digest_size=12, key=self.hkey).digest()
        return "".join(_LOWER[b % len(_LOWER)] for b in digest)

    def _customization(self, c: int) -> dict[str, Any]:
        base = "amazon.titan-text-express-v1:0:8k" if c % 2 == 0 else "amazon.titan-text-lite-v1:0:4k"
        job_id, model_id = self._bedrock_id(f"job:{c}"), self._bedrock_id(f"model:{c}")
        return {
            "jobName": f"Support-Intent-FineTune-{c + 1:03d}", "customModelName": f"support-intent-titan-v{c + 1}",
            "base": base, "baseArn": f"arn:aws:bedrock:{US}::foundation-model/{base}",
            "jobArn": f"arn:aws:bedrock:{US}:{TRAIN}:model-customization-job/{base}/{job_id}",
            "modelArn": f"arn:aws:bedrock:{US}:{TRAIN}:custom-model/{base}/{model_id}",
            "train": f"s3://acme-data-3/support/chat-transcripts/fine-tune-v{c + 1}/train.jsonl",
            "validation": f"s3://acme-data-3/support/chat-transcripts/fine-tune-v{c + 1}/validation.jsonl",
            "output": f"s3://acme-models-training-use1/bedrock-customization/v{c + 1}/",
            "hyper": {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001", "learningRateWarmupSteps": "0"},
        }

    def _step_customization_job(self, remaining: int, c: int, project: _Project) -> None:
        t = self.now
        project.custom_created_t = t
        job = self._customization(c)
        params: dict[str, Any] = {
            "jobName": job["jobName"], "customModelName": job["customModelName"], "roleArn": self.bedrock_role.arn,
            "baseModelIdentifier": job["baseArn"] if c % 2 == 0 else job["base"], "customizationType": "FINE_TUNING",
            "hyperParameters": job["hyper"], "trainingDataConfig": {"s3Uri": job["train"]},
            "validationDataConfig": {"validators": [{"s3Uri": job["validation"]}]},
            "outputDataConfig": {"s3Uri": job["output"]},
        }
        if c % 2 == 1:
            params["customModelKmsKeyId"] = self.keys["bedrock"]
        self._emit(self._api(self._actor("ml"), t, "bedrock", "CreateModelCustomizationJob", US, params,
                             {"jobArn": job["jobArn"]}))

    def _step_customization_done(self, remaining: int, c: int, project: _Project) -> None:
        t = self.now
        job = self._customization(c)
        started = project.custom_created_t
        self.out.eventbridge({
            "version": "0", "id": self.out.uuid(), "detail-type": "Model Customization Job State Change",
            "source": "aws.bedrock", "account": TRAIN, "time": _iso(t), "region": US, "resources": [job["jobArn"]],
            "detail": {"version": "0.0", "jobName": job["jobName"], "jobArn": job["jobArn"],
                       "outputModelName": job["customModelName"], "outputModelArn": job["modelArn"],
                       "roleArn": self.bedrock_role.arn, "jobStatus": "Completed", "creationTime": _iso(started),
                       "lastModifiedTime": _iso(t), "endTime": _iso(t), "baseModelArn": job["baseArn"],
                       "hyperParameters": job["hyper"], "trainingDataConfig": {"s3Uri": job["train"]},
                       "validationDataConfig": {"s3Uri": job["validation"]},
                       "outputDataConfig": {"s3Uri": job["output"]}}}, self.now)

    def _step_provisioned_throughput(self, remaining: int, c: int) -> None:
        t = self.now
        job = self._customization(c)
        arn = f"arn:aws:bedrock:{US}:{TRAIN}:provisioned-model/{self._bedrock_id(f'provisioned:{c}')}"
        self._emit(self._api(self._actor("ml"), t, "bedrock", "CreateProvisionedModelThroughput", US,
                             {"provisionedModelName": f"support-intent-pt-v{c + 1}", "modelId": job["modelArn"],
                              "modelUnits": 1, "commitmentDuration": "OneMonth"},
                             {"provisionedModelArn": arn}))
        self.provisioned = arn

    # deliberate faults ------------------------------------------------------------------------------

    def _step_missing_event_id(self, remaining: int) -> None:
        """A modelled event (an AssumeRole) without its eventID: the loader must quarantine it."""
        t = self.now
        role = self.analyst
        rec = self._api(Actor(self.alice, None, self._corp_ip(), UA_CLI), t, "sts", "AssumeRole", EU,
                        {"roleArn": role.arn, "roleSessionName": "alice.admin", "durationSeconds": 3600},
                        self._assume_response(role, "alice.admin", t), read_only=True,
                        resources=self._role_resource(role))
        del rec["eventID"]
        self._emit(rec)

    def _step_duplicate_noise(self, remaining: int) -> None:
        """A modelled management event (KMS Decrypt, else an AssumeRole) delivered twice."""
        if self.last_read is not None:
            self._emit(self._kms_for_read(), duplicate=remaining >= 2)
            return
        role = self.data_engineer
        t = self.now
        self._emit(self._api(Actor(self.alice, None, self._corp_ip(), UA_CLI), t, "sts", "AssumeRole", EU,
                             {"roleArn": role.arn, "roleSessionName": "alice.admin", "durationSeconds": 3600},
                             self._assume_response(role, "alice.admin", t), read_only=True,
                             resources=self._role_resource(role)), duplicate=remaining >= 2)

    def _step_duplicate_read(self, remaining: int) -> None:
        project = self.training or self._write_project()
        if any(project.written.values()):
            self._read_dataset(project, self._actor("analyst"), duplicate=remaining >= 2)
        else:
            self._landing_write()

    def _step_truncated_eventbridge(self, remaining: int) -> None:
        """Two S3 Object Created events on one day's file, the second cut short (2 records)."""
        now = self.now  # one arrival day for both: the cut line must not open a file
        for truncate in (False, True):
            if not self.recent_writes:
                self._landing_write()
            self._notify(self.recent_writes.pop(), "eventbridge", truncate=truncate, now=now)

    def _step_truncated_invocation_log(self, remaining: int) -> None:
        """Two logged invocations in one S3 log file, the second record cut short (4 records)."""
        actor = Actor(self.app, "i-0a1b2c3d4e5f60718", "10.40.1.17", UA_BOTO)
        self._unit_bedrock(remaining, forced=(actor, EU))
        self._unit_bedrock(remaining - 2, forced=(actor, EU), truncate=True)
