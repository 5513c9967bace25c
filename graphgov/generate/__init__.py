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

The access history is in the same trails (IAM in us-east-1, S3 and KMS in the resource's Region, each
in the account it changes). Before anything uses them, each account's administrator (alice.admin,
bob.ml, carol.ops, with Terraform) creates every long-lived role with its trust policy (the services,
users, roles or identity providers the AssumeRole calls show) and a least-privilege inline policy
(and AWS managed policies where usual); IAM Identity Center provisions the analysts' SSO role (trust:
the SAML provider; analysts sign in with AssumeRoleWithSAML) with the customer managed policy
DatasetReadOnly; users etl-bot and contractor-upload get a group with a group policy and an access
key; the KMS keys are created with policies delegating to the account and naming the roles that use
them; the dataset and model buckets get default encryption (SSE-KMS with the account's key for
datasets), Block Public Access (all but acme-models-training-use1), BucketOwnerEnforced and a policy
denying non-TLS access (plus the cross-account grants: Bedrock customization reads the transcripts,
the serving account reads model artifacts). Each project gets its own SageMaker execution role
(CreateRole, PutRolePolicy, AttachRolePolicy of SageMakerTrainingBase) when it opens, and the data
account's TrainingDataAccess trust policy is updated to the execution roles of the jobs that may
still run; halfway through, DatasetReadOnly gets a v2 (CreatePolicyVersion, setAsDefault). So the
number of roles and IAM changes grows with the platform.

Planted access mistakes, each found by a saved question (tests/test_generate.py asserts them):
1. At N/6 alice.admin (console) adds to acme-data-1's bucket policy a grant of `fraud/*` (training
   datasets) to the shadow account 444444444444, and adds that account to the data key's policy
   (PutKeyPolicy) so the reads would work: cross-account-exposure, training-data-readers.
2. In project 2, after the contractor uploads a model by hand, carol.ops (console) deletes
   acme-models-serving's Block Public Access (DeleteBucketPublicAccessBlock) and puts a bucket policy
   letting Principal "*" read `manual-upload/*` with no condition: public-ai-data.
3. In project 0, after its training job started, bob.ml (console) adds an inline policy DebugS3Access
   (`s3:*` on every acme-* bucket) to that project's execution role: iam-changes-on-ai-roles.
4. At N/4 alice.admin creates LabelingVendorAccess, whose trust lets the vendor account 555555555555
   assume it on an sts:ExternalId condition, with read on acme-data-2 `credit/*`; the vendor assumes
   it once. Conditional access to training data: training-data-readers, cross-account-exposure.

Situations issue 11's rules judge (category PLANT, story steps outside MIX like the access history):
- project 1 prepares its data: a baseline training job on `s3://acme-data-prepared/<prefix>prepared/train/`
  before any processing ran (not a consumer), CreateProcessingJob (input: the raw train split; output:
  `.../prepared/`), the job's writes, the training job on `.../prepared/{train,validation}/` (the
  consumer), its model and a staging endpoint. acme-data-prepared and its KMS key predate the logs (no
  CreateKey, key policy or bucket setup): readers are `unknown`, except TrainingDataAccess, whose GetObject
  and S3's kms:Decrypt on its behalf succeed (`observed`);
- the serving account's us-east-1 gets text-only invocation logging at the start (the support bot's calls
  are logged), an image model is invoked at N/3 (not delivered), and logging is deleted at N/2;
- the management account 999999999999 records CreateAccountResult (SUCCEEDED) for the four members, and at
  3N/5 its security admin creates an SCP denying the analysts' SSO role the credit data and attaches it to
  the data account (jobs that started before keep the analysts in access-at-training-time);
- at N/5 acme-data-1's `fraud/` prefix is replicated to an analytics partner's bucket (account 666666666666);
- at 2N/5 an S3 notification announces a training object written by a role no CloudTrail record shows;
- at 3N/5 a landing export is tagged `pii=true` (PutObjectTagging) and copied into a training prefix.

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
from functools import partial
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
VENDOR = "555555555555"  # a labelling vendor outside the organization
PARTNER = "666666666666"  # an analytics partner outside the organization (receives a replica: an issue 11 plant)
VENDOR_EXTERNAL_ID = "acme-labeling-7f3a9c2e"
SSO_PROVIDER = f"arn:aws:iam::{DATA}:saml-provider/AWSSSO_5e2b7c1d9a8f4e36_DO_NOT_DELETE"
GITHUB_OIDC = "token.actions.githubusercontent.com"
EU, US = "eu-west-1", "us-east-1"
TRAIL, TRAIL_BUCKET = "org-trail", "acme-org-cloudtrail"
CT_FILE_MAX, CT_WINDOW = 500, 300  # records per CloudTrail file; seconds a file collects records
MIX = (("s3", 0.55), ("bedrock", 0.15), ("noise", 0.10), ("notif", 0.10), ("sts", 0.05), ("control", 0.05))
ACCESS = "iam"  # the access history (IAM, bucket and key policies): story steps only, outside MIX
PLANT = "plant"  # the situations issue 11's rules judge (see _Platform docstring): story steps only, outside MIX
MGMT = "999999999999"  # the organization's management account (Organizations events only)
SCP_ID = "p-7k2m9q4x"  # the service control policy attached mid-window (an issue 11 plant)

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
UA_TERRAFORM = ("APN/1.0 HashiCorp/1.0 Terraform/1.10.3 (+https://www.terraform.io) terraform-provider-aws/5.82.2 "
                "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.7 ua/2.1 os/linux "
                "lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64")
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


def _iam_date(t: int) -> str:
    """The `Jan 5, 2026 1:00:00 AM` form IAM uses for createDate in responseElements."""
    g = _time.gmtime(t)
    hour = g.tm_hour % 12 or 12
    return f"{_MONTHS[g.tm_mon - 1]} {g.tm_mday}, {g.tm_year} {hour}:{g.tm_min:02d}:{g.tm_sec:02d} " + (
        "AM" if g.tm_hour < 12 else "PM")


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(sid: str, actions: str | list[str], resources: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def _trust(sid: str, principal: dict[str, Any], action: str | list[str] = "sts:AssumeRole",
           condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return statement


def _deny_insecure_transport(bucket: str) -> dict[str, Any]:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


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
    __slots__ = ("account", "name", "arn", "id", "access_key")

    def __init__(self, account: str, name: str):
        self.account, self.name = account, name
        self.arn = f"arn:aws:iam::{account}:user/{name}"
        self.id = "AIDA" + _stable_id(f"user:{account}:{name}")
        self.access_key = "AKIA" + _stable_id(f"access-key:{self.arn}", 16)  # the key the user signs with


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
S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
TRANSCRIPTS = "arn:aws:s3:::acme-data-3/support/chat-transcripts/*"
DATASET_READ_ONLY = f"arn:aws:iam::{DATA}:policy/DatasetReadOnly"  # analysts' managed policy (v1, later v2)
TRAINING_BASE = f"arn:aws:iam::{TRAIN}:policy/ml-platform/SageMakerTrainingBase"  # on every execution role
TRAINING_BASE_DOCUMENT = _policy(
    _allow("TrainingLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                            "logs:DescribeLogStreams"], f"arn:aws:logs:{EU}:{TRAIN}:log-group:/aws/sagemaker/*"),
    _allow("PullTrainingImages", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
           [f"arn:aws:ecr:{EU}:141502667606:repository/sagemaker-xgboost",
            f"arn:aws:ecr:{EU}:763104351884:repository/huggingface-pytorch-training"]),
    _allow("EcrAuthorization", "ecr:GetAuthorizationToken", "*"),
    _allow("TrainingMetrics", "cloudwatch:PutMetricData", "*",
           Condition={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}}),
)


def _dataset_bucket(p: int) -> str:
    return "acme-data-1" if p % 2 == 0 else "acme-data-2"


class _Project:
    """One ML project: a dataset (train/validation/test), a training job, model(s), a config, an endpoint."""

    def __init__(self, p: int, team: str, version: int, start: int, length: int, serving_account: str,
                 exec_role: Role):
        self.p, self.team, self.start, self.length = p, team, start, length
        self.exec_role = exec_role  # its own SageMaker execution role, created when the project opens
        self.title = team.capitalize()
        self.algo = ALGOS[team]
        self.bucket = _dataset_bucket(p)
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
    of MIX. Every step and unit writes at least one record and never more than remain. The access
    history (category ACCESS) is story steps only and counts toward no share of MIX, so the categories of
    MIX keep their proportions to each other at every size.
    """

    def __init__(self, outdir: Path, seed: int, records: int):
        self.rng = Random(seed)
        self.N = records
        self.out = _Output(outdir, self.rng)
        self.hkey = hashlib.sha256(f"graphgov-generate:{seed}".encode()).digest()
        self.P = max(3, records // 4000)
        self._roles()
        self.done = dict.fromkeys((*(c for c, _ in MIX), ACCESS, PLANT), 0)
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
        self.text_only_logging: set[tuple[str, str]] = set()  # configurations that deliver text only

    # the estate -------------------------------------------------------------------------------------

    def _roles(self) -> None:
        sso_path = f"/aws-reserved/sso.amazonaws.com/{EU}/"
        self.data_engineer = Role(DATA, "DataEngineer")
        self.pipeline = Role(DATA, "DataPipeline", "/pipelines/")
        self.analyst = Role(DATA, "AWSReservedSSO_DataAnalyst_5e2b7c1d9a8f4e36", sso_path)
        self.data_access = Role(DATA, "TrainingDataAccess", "/cross-account/")
        self.ml_engineer = Role(TRAIN, "MLEngineer")
        self.bedrock_role = Role(TRAIN, "BedrockCustomizationRole", "/service-role/")
        self.cw_role = Role(TRAIN, "BedrockInvocationLoggingRole", "/service-role/")
        self.mlops = Role(SERVE, "MLOps")
        self.serving_role = Role(SERVE, "AmazonSageMaker-ServingRole", "/service-role/")
        self.staging_role = Role(TRAIN, "AmazonSageMaker-StagingServingRole", "/service-role/")
        self.app = Role(SERVE, "AppBackend")
        self.support_bot = Role(SERVE, "SupportBot")
        self.deploy = Role(SERVE, "GitHubDeploy", "/ci/")
        self.vendor_role = Role(DATA, "LabelingVendorAccess", "/cross-account/")
        self.sso_service = Role(DATA, "AWSServiceRoleForSSO", "/aws-service-role/sso.amazonaws.com/")
        self.etl_bot = User(DATA, "etl-bot")
        self.alice = User(DATA, "alice.admin")
        self.bob = User(TRAIN, "bob.ml")
        self.carol = User(SERVE, "carol.ops")
        self.contractor = User(SERVE, "contractor-upload")
        self.hackathon = User(SHADOW, "hackathon-dev")
        self.security_admin = User(MGMT, "security.admin")
        self.buckets = {b.name: b for b in (
            Bucket("acme-data-1", DATA, EU, _kms_arn(DATA, EU, "data")),
            Bucket("acme-data-2", DATA, EU, _kms_arn(DATA, EU, "data"), bucket_key=True),
            Bucket("acme-data-3", DATA, US, _kms_arn(DATA, US, "data")),
            Bucket("acme-models-training", TRAIN, EU, None),
            Bucket("acme-models-serving", SERVE, EU, None),
            Bucket("acme-models-training-use1", TRAIN, US, None),
            # made before the log window with a key also made then: no CreateKey, key policy or bucket setup
            Bucket("acme-data-prepared", DATA, EU, _kms_arn(DATA, EU, "legacy-prepared")),
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
        raise KeyError(which)  # pragma: no cover

    def _exec_role(self, p: int) -> Role:
        """Project p's SageMaker execution role, named (as the console names them) for when it was made."""
        stamp = _fmt(START + self._seg_start(p), "%Y%m%dT%H%M%S")
        return Role(TRAIN, f"AmazonSageMaker-ExecutionRole-{stamp}", "/service-role/")

    def _exec_actor(self, project: _Project) -> Actor:
        rng = self.rng
        return Actor(project.exec_role, "SageMaker", f"10.30.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}",
                     UA_JAVA)

    def _current_project(self) -> _Project:
        """The project whose job runs now, else the newest one opened."""
        return self.training or self._project(min(self.next_project - 1, self.P - 1))

    # CloudTrail record shapes -----------------------------------------------------------------------

    def _access_key(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choices(_UPPER, k=16))

    def _identity(self, actor: Actor, t: int) -> dict[str, Any]:
        if actor.user is not None:
            user = actor.user
            return {"type": "IAMUser", "principalId": user.id, "arn": user.arn, "accountId": user.account,
                    "accessKeyId": user.access_key, "userName": user.name}
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
        n -= self.done[ACCESS] + self.done[PLANT]  # the shares are of the records MIX accounts for
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
        for make in self._estate_setup():  # first of all: the estate every later call relies on
            self._at(0, ACCESS, self._step_call, make)
        self._at(0, "control", self._step_logging_config, SERVE, EU)
        self._at(0, "control", self._step_logging_config, TRAIN, US)
        self._at(n // 4, "noise", self._step_duplicate_noise)
        self._at(n // 3, "noise", self._step_missing_event_id)
        self._at(n // 2, "notif", self._step_truncated_eventbridge)
        self._at(n // 2 + 5, "bedrock", self._step_truncated_invocation_log)
        self._at(3 * n // 4, "s3", self._step_duplicate_read)
        self._at(n // 6, ACCESS, self._step_shadow_share)
        self._at(n // 4, ACCESS, self._step_vendor_role)
        self._at(n // 4 + 40, "sts", self._step_vendor_assume)
        self._at(n // 2, ACCESS, self._step_call, self._dataset_policy_v2)
        self._schedule_plants()

    def _project(self, p: int) -> _Project:
        project = self.projects.get(p)
        if project is None:
            team = TEAMS[p % len(TEAMS)]
            version = self.team_versions.get(team, 0) + 1
            self.team_versions[team] = version
            start = self._seg_start(p)
            length = self._seg_start(p + 1) - start
            project = _Project(p, team, version, start, length, TRAIN if p % 3 == 1 else SERVE, self._exec_role(p))
            self.projects[p] = project
            for old in [q for q in self.projects if q < p - 2]:
                del self.projects[old]  # bounded: only the projects still being written, read or deployed
        return project

    def _open_project(self, p: int) -> None:
        project = self._project(p)
        at = lambda f: project.start + int(f * project.length)  # noqa: E731
        for make in (self._create_exec_role, self._exec_role_policy, self._exec_role_attach,
                     self._data_access_trust):
            self._at(at(0.0), ACCESS, self._step_call, make, project)
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
        self._at(at(0.46), "sts", self._step_service_assume, "sagemaker.amazonaws.com", project.exec_role,
                 "SageMaker", EU)
        self._at(at(0.47), "sts", self._step_cross_account, project.job_name.lower(), project)
        if project.eventbridge:
            self._at(at(0.50), "control", self._step_training_state, project, "InProgress", "Starting")
        self._at(at(0.72), "s3", self._step_artifact, project)
        if project.eventbridge:
            self._at(at(0.73), "control", self._step_training_state, project, "Completed", "Completed")
        if project.manual:
            self._at(at(0.78), "s3", self._step_manual_artifact, project)
        if p == 0:
            self._at(at(0.60), ACCESS, self._step_call, self._debug_policy, project)
        if p == 2:
            self._at(at(0.79), ACCESS, self._step_public_share)
        if p == 1:
            self._schedule_preparation(project, at)
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

    def _copy_landing(self, source: str | None = None) -> None:
        source = source or self.rng.choice(list(self.landing))
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
            if training and rng.random() < 0.6:
                self._step_cross_account(remaining, training.job_name.lower(), training)
            else:
                self._step_cross_account(remaining, "ml-exploration")
        elif roll < 0.70:
            user, role, session = rng.choice((
                (self.alice, self.data_engineer, "alice.admin"), (self.alice, self.analyst, "alice.admin"),
                (self.bob, self.ml_engineer, "bob.ml"), (self.carol, self.mlops, "carol.ops")))
            if role is self.analyst:  # an SSO role: only IAM Identity Center's SAML sign-in may assume it
                self._saml_assume()
            else:
                self._assume(Actor(user, None, self._corp_ip(), UA_CLI), role, session)
        elif roll < 0.90:
            service, role, session, region = rng.choice((
                ("sagemaker.amazonaws.com", self._current_project().exec_role, "SageMaker", EU),
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

    def _logging_config(self, account: str, region: str) -> None:
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

    def _step_cross_account(self, remaining: int, session: str, project: _Project | None = None) -> None:
        """A training-account principal assumes the data account's role: both trail copies (2 records)."""
        if remaining < 2:
            self._assume(Actor(self.alice, None, self._corp_ip(), UA_CLI), self.data_engineer, "alice.admin")
            return
        t = self.now
        rng = self.rng
        caller = self._exec_actor(project) if project is not None else self._actor("ml")
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
            "roleArn": project.exec_role.arn,
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
            "RoleArn": project.exec_role.arn,
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
        self._put_object(self._exec_actor(project), self.buckets["acme-models-training"], key, 20_000_000, 900_000_000,
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

    # plants for issue 11's rules (category PLANT) --------------------------------------------------

    def _schedule_plants(self) -> None:
        """The situations issue 11's rules judge, at fixed fractions of the run (project 1 adds the data
        preparation, see `_schedule_preparation`)."""
        n = self.N
        for account in (DATA, TRAIN, SERVE, SHADOW):  # the members' creation, in the management trail
            self._at(0, PLANT, self._step_call, self._create_account_result, account)
        self._at(0, PLANT, self._step_logging_config, SERVE, US, True)
        self._at(n // 5, PLANT, self._step_call, self._replicate_to_partner)
        self._at(n // 3, PLANT, self._step_image_invocation)
        self._at(2 * n // 5, PLANT, self._step_unresolved_writer)
        self._at(n // 2 + 10, PLANT, self._step_call, self._delete_logging_config, SERVE, US)
        self._at(3 * n // 5, PLANT, self._step_pii_copy)
        self._at(3 * n // 5 + 20, PLANT, self._step_call, self._create_scp)
        self._at(3 * n // 5 + 21, PLANT, self._step_call, self._attach_scp)

    def _org_call(self, name: str, params: dict[str, Any], response: Any) -> None:
        """An Organizations call by the management account's security administrator (console, us-east-1)."""
        actor = Actor(self.security_admin, None, self._corp_ip(), UA_CONSOLE)
        self._emit(self._api(actor, self.now, "organizations", name, US, params, response,
                             host=f"organizations.{US}.amazonaws.com"))

    def _create_scp(self) -> None:
        """CreatePolicy: an SCP stopping the analysts' SSO role from reading the credit datasets
        (Organizations API reference, CreatePolicy; SCP syntax: conditions on aws:PrincipalArn)."""
        content = _dumps(_policy({
            "Sid": "NoAnalystReadsOfCreditData", "Effect": "Deny", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-data-2/credit/*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*AWSReservedSSO_DataAnalyst_*"}}}))
        summary = {"id": SCP_ID, "arn": f"arn:aws:organizations::{MGMT}:policy/{ORG}/service_control_policy/{SCP_ID}",
                   "name": "DenyAnalystCreditReads", "description": "Analysts use the anonymised credit extracts",
                   "type": "SERVICE_CONTROL_POLICY", "awsManaged": False}
        self._org_call("CreatePolicy", {"content": content, "description": summary["description"],
                                        "name": summary["name"], "type": "SERVICE_CONTROL_POLICY"},
                       {"policy": {"policySummary": summary, "content": content}})

    def _attach_scp(self) -> None:
        """AttachPolicy of that SCP to the data account, after earlier credit jobs started: their
        access-at-training-time keeps the analysts; jobs that start later do not."""
        self._org_call("AttachPolicy", {"policyId": SCP_ID, "targetId": DATA}, None)

    def _create_account_result(self, account: str) -> None:
        """CreateAccountResult (AwsServiceEvent, management account trail, us-east-1): the member was vended
        by the organization (Organizations user guide, "Logging ... with AWS CloudTrail")."""
        t = self.now
        rec: dict[str, Any] = {
            "eventVersion": "1.11", "userIdentity": {"accountId": MGMT, "invokedBy": "AWS Internal"},
            "eventTime": _iso(t), "eventSource": "organizations.amazonaws.com", "eventName": "CreateAccountResult",
            "awsRegion": US, "sourceIPAddress": "AWS Internal", "userAgent": "AWS Internal",
            "requestParameters": None, "responseElements": None, "eventID": self.out.uuid(), "readOnly": False,
            "eventType": "AwsServiceEvent", "managementEvent": True, "recipientAccountId": MGMT,
            "serviceEventDetails": {"createAccountStatus": {
                "id": "car-" + _stable_id(f"car:{account}", 20).lower(), "state": "SUCCEEDED", "accountName": "****",
                "accountId": account, "requestedTimestamp": _human(t - 60), "completedTimestamp": _human(t)}},
            "eventCategory": "Management"}
        self._emit(rec)

    def _step_logging_config(self, remaining: int, account: str, region: str, text_only: bool = False) -> None:
        t = self.now
        if text_only:  # the support bot's Region: text delivery only, to the serving account's log bucket
            actor = self._actor("mlops")
            config: dict[str, Any] = {"s3Config": {"bucketName": f"acme-bedrock-invocation-logs-{SERVE}-use1",
                                                   "keyPrefix": ""}, "textDataDeliveryEnabled": True,
                                      "imageDataDeliveryEnabled": False, "embeddingDataDeliveryEnabled": False,
                                      "videoDataDeliveryEnabled": False}
            self.logging[(account, region)] = "s3"
            self.text_only_logging.add((account, region))
            self._emit(self._api(actor, t, "bedrock", "PutModelInvocationLoggingConfiguration", region,
                                 {"loggingConfig": config}, None))
            return
        self._logging_config(account, region)

    def _delete_logging_config(self, account: str, region: str) -> None:
        """Logging switched off mid-window (DeleteModelInvocationLoggingConfiguration takes no parameters)."""
        self.logging.pop((account, region), None)
        self.text_only_logging.discard((account, region))
        self._emit(self._api(self._actor("mlops"), self.now, "bedrock", "DeleteModelInvocationLoggingConfiguration",
                             region, None, None))

    def _step_image_invocation(self, remaining: int) -> None:
        """The support bot renders an image while its Region's logging delivers text only: not logged."""
        rng = self.rng
        actor = Actor(self.support_bot, "support-bot-handler", f"10.41.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}",
                      UA_BOTO)
        self._emit(self._api(actor, self.now, "bedrock", "InvokeModel", US,
                             {"modelId": "amazon.titan-image-generator-v2:0"}, None, read_only=True,
                             host=f"bedrock-runtime.{US}.amazonaws.com"))

    def _replicate_to_partner(self) -> None:
        """PutBucketReplication: the fraud prefix of acme-data-1 replicated to an analytics partner's bucket in
        its own account, the partner owning the replicas (S3 API reference, PutBucketReplication;
        ReplicationConfiguration as CloudTrail records it)."""
        bucket = self.buckets["acme-data-1"]
        self._bucket_call(self._admin(DATA, console=True), bucket, "PutBucketReplication", {
            "replication": "", "ReplicationConfiguration": {
                "xmlns": S3_XMLNS, "Role": f"arn:aws:iam::{DATA}:role/service-role/s3crr_role_for_acme-data-1",
                "Rule": [{"ID": "partner-fraud-feed", "Priority": 1, "Status": "Enabled",
                          "Filter": {"Prefix": "fraud/"},
                          "DeleteMarkerReplication": {"Status": "Disabled"},
                          "Destination": {"Bucket": "arn:aws:s3:::acme-partner-fraud-landing", "Account": PARTNER,
                                          "AccessControlTranslation": {"Owner": "Destination"}}}]}})

    def _step_unresolved_writer(self, remaining: int) -> None:
        """An S3 notification for a training object written by a role no CloudTrail record reveals (a
        legacy exporter whose trail is elsewhere): the writer is known only by its principal id."""
        project = self._write_project()
        k = project.written["train"]
        project.written["train"] = k + 1
        bucket = self.buckets[project.bucket]
        key = project.key("train", k)
        lo, hi = project.size_range()
        size, etag, version = self._facts(bucket.name, key, lo, hi)
        rng = self.rng
        actor = Actor(Role(DATA, "LegacyExporter", "/legacy/"), "nightly-export", "10.99.0.17", UA_JAVA)
        write = (bucket, key, size, etag, version, f"{rng.getrandbits(64):016X}", self.now, rng.randrange(1000),
                 actor, "ObjectCreated:Put", "PutObject", base64.b64encode(rng.randbytes(56)).decode())
        self._notify(write, "sns-sqs" if bucket.name == "acme-data-2" else "sqs")

    def _step_pii_copy(self, remaining: int) -> None:
        """A landing export is tagged as personal data (PutObjectTagging pii=true), then copied into the
        current training prefix (CopyObject; the default tagging directive COPY carries the tag): 2 records."""
        if not self.landing:
            self._landing_write()  # nothing landed yet: the export comes first (1 record)
            return
        source = self.landing[-1]
        landing = self.buckets["acme-data-1"]
        tagger = self._actor("engineer")
        self._s3(tagger, "PutObjectTagging", landing, source, self.now, params={
            "tagging": "", "Tagging": {"xmlns": S3_XMLNS, "TagSet": {"Tag": [{"Key": "pii", "Value": "true"}]}}})
        if remaining >= 2:
            self._copy_landing(source)

    def _schedule_preparation(self, project: _Project, at: Callable[[float], int]) -> None:
        """Project 1's data preparation: a baseline job on the prepared prefix before the processing job
        ran (not its consumer), the processing job (input: the raw train split; output: `.../prepared/` in a
        bucket whose key and policy predate the logs), its writes, the job training on `.../prepared/train/`
        (its consumer), an observed kms:Decrypt of that key, the artifact and a model from it."""
        self._at(at(0.15), PLANT, self._step_prepared_job, project, "Baseline")
        self._at(at(0.25), PLANT, self._step_processing_job, project)
        self._at(at(0.30), PLANT, self._step_prepared_write, project, "train")
        self._at(at(0.31), PLANT, self._step_prepared_write, project, "validation")
        self._at(at(0.40), PLANT, self._step_prepared_job, project, "Prepared")
        self._at(at(0.41), PLANT, self._step_prepared_read, project)
        self._at(at(0.43), PLANT, self._step_prepared_artifact, project)
        self._at(at(0.44), PLANT, self._step_prepared_model, project)
        self._at(at(0.445), PLANT, self._step_prepared_endpoint, project, "CreateEndpointConfig")
        self._at(at(0.447), PLANT, self._step_prepared_endpoint, project, "CreateEndpoint")

    def _prepared_uri(self, project: _Project) -> str:
        return f"s3://acme-data-prepared/{project.prefix}prepared/"

    def _prepared_job_name(self, project: _Project, kind: str) -> str:
        return f"{project.title}-{project.algo}-{kind}-{project.date.replace('-', '')}-{project.p:03d}"

    def _step_processing_job(self, remaining: int, project: _Project) -> None:
        """CreateProcessingJob (SageMaker API reference: ProcessingInputs S3Input, ProcessingOutputConfig)."""
        name = f"{project.title}-Prep-{project.date.replace('-', '')}-{project.p:03d}"
        params = {
            "processingJobName": name,
            "processingInputs": [{"inputName": "raw", "s3Input": {
                "s3Uri": f"s3://{project.bucket}/{project.prefix}train/", "localPath": "/opt/ml/processing/input/raw",
                "s3DataType": "S3Prefix", "s3InputMode": "File", "s3DataDistributionType": "FullyReplicated"}}],
            "processingOutputConfig": {"outputs": [{"outputName": "prepared", "s3Output": {
                "s3Uri": self._prepared_uri(project), "localPath": "/opt/ml/processing/prepared",
                "s3UploadMode": "EndOfJob"}}]},
            "processingResources": {"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.xlarge",
                                                      "volumeSizeInGB": 30}},
            "stoppingCondition": {"maxRuntimeInSeconds": 3600},
            "appSpecification": {"imageUri": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/"
                                             "sagemaker-scikit-learn:1.2-1-cpu-py3",
                                 "containerEntrypoint": ["python3", "/opt/ml/processing/code/prepare.py"]},
            "roleArn": project.exec_role.arn,
        }
        self._emit(self._api(self._actor("ml"), self.now, "sagemaker", "CreateProcessingJob", EU, params,
                             {"processingJobArn": self._sm_arn(TRAIN, "processing-job", name)},
                             host=f"api.sagemaker.{EU}.amazonaws.com"))

    def _step_prepared_write(self, remaining: int, project: _Project, split: str) -> None:
        key = f"{self._prepared_uri(project).split('/', 3)[3]}{split}/part-00000.csv"
        self._put_object(self._exec_actor(project), self.buckets["acme-data-prepared"], key, 500_000, 40_000_000)

    def _step_prepared_job(self, remaining: int, project: _Project, kind: str) -> None:
        """A training job on the prepared prefix (`Baseline` before the processing job, `Prepared` after)."""
        name = self._prepared_job_name(project, kind)
        request = self._training_request(project)
        request["trainingJobName"] = name
        prepared = self._prepared_uri(project)
        request["inputDataConfig"] = [
            {"channelName": split, "dataSource": {"s3DataSource": {
                "s3DataType": "S3Prefix", "s3Uri": f"{prepared}{split}/", "s3DataDistributionType": "FullyReplicated"}},
             "contentType": "text/csv", "compressionType": "None"} for split in ("train", "validation")]
        self._emit(self._api(self._actor("ml"), self.now, "sagemaker", "CreateTrainingJob", EU, request,
                             {"trainingJobArn": self._sm_arn(TRAIN, "training-job", name)},
                             host=f"api.sagemaker.{EU}.amazonaws.com"))

    def _step_prepared_read(self, remaining: int, project: _Project) -> None:
        """The job's data-access session reads the prepared train split, and S3 decrypts it with the key
        whose policy the logs never show (a successful kms:Decrypt: observed evidence): 2 records."""
        rng = self.rng
        bucket = self.buckets["acme-data-prepared"]
        key = f"{self._prepared_uri(project).split('/', 3)[3]}train/part-00000.csv"
        size, _, _ = self._facts(bucket.name, key, 500_000, 40_000_000)
        actor = Actor(self.data_access, self._prepared_job_name(project, "Prepared").lower(),
                      f"10.30.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_JAVA)
        self._s3(actor, "GetObject", bucket, key, self.now, size=size)
        if remaining >= 2:
            self._emit(self._kms_for_read())

    def _step_prepared_artifact(self, remaining: int, project: _Project) -> None:
        name = self._prepared_job_name(project, "Prepared")
        key = f"{project.team}/{name}/output/model.tar.gz"
        self._put_object(self._exec_actor(project), self.buckets["acme-models-training"], key, 20_000_000,
                         900_000_000, sse=self.keys[TRAIN] if project.kms else "")

    def _step_prepared_endpoint(self, remaining: int, project: _Project, name: str) -> None:
        """A staging endpoint (and its configuration) serving the prepared-data model."""
        config, endpoint = f"{project.title}PreparedStagingConfig-v1", f"{project.title}-Prepared-Staging-Endpoint"
        if name == "CreateEndpointConfig":
            model = f"{project.title}-{project.algo}-Prepared-Model-{project.p:03d}"
            params: dict[str, Any] = {"endpointConfigName": config, "productionVariants": [{
                "variantName": "AllTraffic", "modelName": model, "initialInstanceCount": 1,
                "instanceType": "ml.m5.large", "initialVariantWeight": 1.0}]}
            response = {"endpointConfigArn": self._sm_arn(TRAIN, "endpoint-config", config)}
        else:
            params, response = ({"endpointName": endpoint, "endpointConfigName": config},
                                {"endpointArn": self._sm_arn(TRAIN, "endpoint", endpoint)})
        self._emit(self._api(self._actor("ml"), self.now, "sagemaker", name, EU, params, response,
                             host=f"api.sagemaker.{EU}.amazonaws.com"))

    def _step_prepared_model(self, remaining: int, project: _Project) -> None:
        """A staging model from the prepared job's artifact: its lineage runs through the processing job."""
        name = f"{project.title}-{project.algo}-Prepared-Model-{project.p:03d}"
        job = self._prepared_job_name(project, "Prepared")
        params = {"modelName": name, "primaryContainer": {
            "image": IMAGES[project.algo][1],
            "modelDataUrl": f"s3://acme-models-training/{project.team}/{job}/output/model.tar.gz",
            "environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_REGION": EU}},
            "executionRoleArn": self.staging_role.arn, "enableNetworkIsolation": False}
        self._emit(self._api(self._actor("ml"), self.now, "sagemaker", "CreateModel", EU, params,
                             {"modelArn": self._sm_arn(TRAIN, "model", name)},
                             host=f"api.sagemaker.{EU}.amazonaws.com"))

    # IAM, bucket and key policies: the estate's access history ------------------------------------

    def _step_call(self, remaining: int, make: Callable[..., None], *args: Any) -> None:
        """A story step that is one call (one record)."""
        make(*args)

    def _admin(self, account: str, console: bool = False) -> Actor:
        """The account's administrator (an IAM user): Terraform from a laptop, or the console."""
        user = {DATA: self.alice, TRAIN: self.bob, SERVE: self.carol}[account]
        return Actor(user, None, self._corp_ip(), UA_CONSOLE if console else UA_TERRAFORM)

    def _iam(self, actor: Actor, name: str, params: dict[str, Any], response: Any = None,
             invoked_by: str | None = None) -> None:
        """One IAM call: a global service, logged in us-east-1 of the account it changes."""
        rec = self._api(actor, self.now, "iam", name, US, params, response, host="iam.amazonaws.com")
        if invoked_by:
            rec["userIdentity"]["invokedBy"] = invoked_by
        self._emit(rec)

    def _create_role(self, actor: Actor, role: Role, trust: dict[str, Any], description: str,
                     invoked_by: str | None = None, max_session: int = 3600) -> None:
        document = _dumps(trust)
        response = {"role": {"path": role.path, "roleName": role.name, "roleId": role.id, "arn": role.arn,
                             "createDate": _iam_date(self.now), "assumeRolePolicyDocument": quote(document, safe="")}}
        self._iam(actor, "CreateRole", {"roleName": role.name, "path": role.path, "assumeRolePolicyDocument": document,
                                        "description": description, "maxSessionDuration": max_session},
                  response, invoked_by)

    def _put_role_policy(self, actor: Actor, role: Role, name: str, document: dict[str, Any],
                         invoked_by: str | None = None) -> None:
        self._iam(actor, "PutRolePolicy", {"roleName": role.name, "policyName": name,
                                           "policyDocument": _dumps(document)}, None, invoked_by)

    def _attach_role_policy(self, actor: Actor, role: Role, policy_arn: str, invoked_by: str | None = None) -> None:
        self._iam(actor, "AttachRolePolicy", {"roleName": role.name, "policyArn": policy_arn}, None, invoked_by)

    def _create_policy(self, actor: Actor, arn: str, description: str, document: dict[str, Any]) -> None:
        t = self.now
        folder, _, name = arn.split(":policy/", 1)[1].rpartition("/")
        path = f"/{folder}/" if folder else "/"
        self._iam(actor, "CreatePolicy", {"policyName": name, "path": path, "policyDocument": _dumps(document),
                                          "description": description},
                  {"policy": {"policyName": name, "policyId": "ANPA" + _stable_id(f"policy:{arn}"), "arn": arn,
                              "path": path, "defaultVersionId": "v1", "attachmentCount": 0,
                              "permissionsBoundaryUsageCount": 0, "isAttachable": True, "createDate": _iam_date(t),
                              "updateDate": _iam_date(t)}})

    def _user_with_group(self, account: str, user: User, group: str, policy_name: str,
                         document: dict[str, Any]) -> list[Callable[[], None]]:
        """CreateGroup, PutGroupPolicy, CreateUser, AddUserToGroup and CreateAccessKey (one call each)."""
        def create_group() -> None:
            arn = f"arn:aws:iam::{account}:group/{group}"
            self._iam(self._admin(account), "CreateGroup", {"groupName": group, "path": "/"},
                      {"group": {"path": "/", "groupName": group, "groupId": "AGPA" + _stable_id(f"group:{arn}"),
                                 "arn": arn, "createDate": _iam_date(self.now)}})

        def create_user() -> None:
            self._iam(self._admin(account), "CreateUser", {"userName": user.name, "path": "/"},
                      {"user": {"path": "/", "userName": user.name, "userId": user.id, "arn": user.arn,
                                "createDate": _iam_date(self.now)}})

        def access_key() -> None:
            self._iam(self._admin(account), "CreateAccessKey", {"userName": user.name},
                      {"accessKey": {"userName": user.name, "accessKeyId": user.access_key, "status": "Active",
                                     "createDate": _iam_date(self.now)}})

        return [create_group,
                lambda: self._iam(self._admin(account), "PutGroupPolicy", {
                    "groupName": group, "policyName": policy_name, "policyDocument": _dumps(document)}),
                create_user,
                lambda: self._iam(self._admin(account), "AddUserToGroup", {"groupName": group, "userName": user.name}),
                access_key]

    def _key_policy(self, account: str, users: list[str], *extra: dict[str, Any]) -> dict[str, Any]:
        """The usual key policy: the account (its IAM policies) administers and may use the key, and
        the roles that encrypt and decrypt with it are named."""
        statements = [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                       "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}]
        if users:
            statements.append({"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": users},
                               "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                          "kms:DescribeKey"], "Resource": "*"})
        return _policy(*statements, *extra)

    def _kms(self, actor: Actor, key_arn: str, name: str, params: dict[str, Any], response: Any) -> None:
        _, _, _, region, account, _ = key_arn.split(":", 5)
        self._emit(self._api(actor, self.now, "kms", name, region, params, response,
                             resources=[{"accountId": account, "type": "AWS::KMS::Key", "ARN": key_arn}]))

    def _create_key(self, key_arn: str, description: str, policy: dict[str, Any]) -> None:
        account, key_id = key_arn.split(":")[4], key_arn.rsplit("/", 1)[1]
        self._kms(self._admin(account), key_arn, "CreateKey", {
            "policy": _dumps(policy), "description": description, "keyUsage": "ENCRYPT_DECRYPT",
            "keySpec": "SYMMETRIC_DEFAULT", "origin": "AWS_KMS", "bypassPolicyLockoutSafetyCheck": False, "tags": []},
            {"keyMetadata": {"aWSAccountId": account, "keyId": key_id, "arn": key_arn, "creationDate": _human(self.now),
                             "enabled": True, "description": description, "keyUsage": "ENCRYPT_DECRYPT",
                             "keyState": "Enabled", "origin": "AWS_KMS", "keyManager": "CUSTOMER",
                             "customerMasterKeySpec": "SYMMETRIC_DEFAULT", "keySpec": "SYMMETRIC_DEFAULT",
                             "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "multiRegion": False}})

    def _bucket_call(self, actor: Actor, bucket: Bucket, name: str, params: dict[str, Any]) -> None:
        """A bucket-level S3 call: a management event, delivered to the bucket owner."""
        rng = self.rng
        t = self.now
        host = f"{bucket.name}.s3.{bucket.region}.amazonaws.com"
        request = {"bucketName": bucket.name, "Host": host, **params}
        extra = {"SignatureVersion": "SigV4", "CipherSuite": TLS[1], "bytesTransferredIn": len(_dumps(params)),
                 "AuthenticationMethod": "AuthHeader", "x-amz-id-2": base64.b64encode(rng.randbytes(56)).decode(),
                 "bytesTransferredOut": 0}
        self._emit(self._record(
            identity=self._identity(actor, t), t=t, source="s3.amazonaws.com", name=name, region=bucket.region,
            ip=actor.ip, ua=actor.ua, params=request, response=None, recipient=bucket.account, read_only=False,
            host=host, resources=[{"accountId": bucket.account, "type": "AWS::S3::Bucket",
                                   "ARN": f"arn:aws:s3:::{bucket.name}"}],
            extra=extra, request_id=f"{rng.getrandbits(64):016X}"))

    def _bucket_setup(self, name: str, statements: list[dict[str, Any]],
                      block_public: bool = True) -> list[Callable[[], None]]:
        """Default encryption, Block Public Access (all four), ACLs disabled, then the bucket policy."""
        bucket = self.buckets[name]
        if bucket.kms_key:
            default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": bucket.kms_key}
        else:
            default = {"SSEAlgorithm": "AES256"}
        calls = [lambda: self._bucket_call(self._admin(bucket.account), bucket, "PutBucketEncryption", {
            "encryption": [""], "ServerSideEncryptionConfiguration": {"xmlns": S3_XMLNS, "Rule": {
                "ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bucket.bucket_key}}})]
        if block_public:
            calls.append(lambda: self._bucket_call(self._admin(bucket.account), bucket, "PutBucketPublicAccessBlock", {
                "publicAccessBlock": [""], "PublicAccessBlockConfiguration": {
                    "xmlns": S3_XMLNS, "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True}}))
        calls.append(lambda: self._bucket_call(self._admin(bucket.account), bucket, "PutBucketOwnershipControls", {
            "ownershipControls": [""], "OwnershipControls": {"xmlns": S3_XMLNS,
                                                              "Rule": {"ObjectOwnership": "BucketOwnerEnforced"}}}))
        calls.append(lambda: self._put_bucket_policy(self._admin(bucket.account), name, statements))
        return calls

    def _put_bucket_policy(self, actor: Actor, name: str, statements: list[dict[str, Any]]) -> None:
        self._bucket_call(actor, self.buckets[name], "PutBucketPolicy", {
            "bucketPolicy": _policy(_deny_insecure_transport(name), *statements), "policy": [""]})

    def _dataset_objects(self, *buckets: str) -> list[str]:
        """The team prefixes the projects write to, per dataset bucket (`fraud/*`, `risk/*`...)."""
        return [f"arn:aws:s3:::{bucket}/{team}/*" for bucket in buckets
                for team in sorted({TEAMS[p] for p in range(len(TEAMS)) if _dataset_bucket(p) == bucket})]

    def _dataset_read_only(self, version: int) -> dict[str, Any]:
        """The analysts' managed policy; v2 adds the support chat transcripts Bedrock is fine-tuned on."""
        objects = self._dataset_objects("acme-data-1", "acme-data-2")
        buckets = ["arn:aws:s3:::acme-data-1", "arn:aws:s3:::acme-data-2"]
        keys = [self.buckets["acme-data-1"].kms_key]
        if version > 1:
            objects.append(TRANSCRIPTS)
            buckets.append("arn:aws:s3:::acme-data-3")
            keys.append(self.buckets["acme-data-3"].kms_key)
        return _policy(_allow("ReadDatasets", "s3:GetObject", objects),
                       _allow("ListDatasetBuckets", "s3:ListBucket", buckets),
                       _allow("DecryptDatasets", "kms:Decrypt", keys))

    def _role_specs(self) -> dict[str, list[tuple[Role, dict[str, Any], str, dict[str, Any], list[str], str]]]:
        """Per account, (role, trust, inline policy name, its document, attached managed policies,
        description) of each long-lived role, in an order they can be created in (a trust policy may
        only name principals that exist)."""
        data_eu, data_us = self.buckets["acme-data-1"].kms_key, self.buckets["acme-data-3"].kms_key
        keys = self.keys
        sagemaker = _policy(_trust("SageMaker", {"Service": "sagemaker.amazonaws.com"}))

        def bedrock(source: str) -> dict[str, Any]:
            return _policy(_trust("Bedrock", {"Service": "bedrock.amazonaws.com"}, condition={
                "StringEquals": {"aws:SourceAccount": TRAIN}, "ArnLike": {"aws:SourceArn": source}}))

        sagemaker_deploy = ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint",
                            "sagemaker:UpdateEndpoint", "sagemaker:AddTags", "sagemaker:Describe*", "sagemaker:List*"]
        dataset_buckets = ["arn:aws:s3:::acme-data-1", "arn:aws:s3:::acme-data-2"]
        invocable = ["arn:aws:bedrock:*::foundation-model/*", f"arn:aws:bedrock:*:{SERVE}:inference-profile/*"]
        return {SERVE: [
            (self.serving_role, sagemaker, "ServeModels", _policy(
                _allow("ReadModelArtifacts", "s3:GetObject",
                       ["arn:aws:s3:::acme-models-training/*", "arn:aws:s3:::acme-models-serving/*"]),
                _allow("DecryptModelArtifacts", "kms:Decrypt", keys[TRAIN]),
                _allow("WriteDataCapture", "s3:PutObject", "arn:aws:s3:::acme-capture-serving/*"),
                _allow("UseEndpointKeys", ["kms:Decrypt", "kms:GenerateDataKey"],
                       [keys[SERVE], keys["capture-" + SERVE]])), [], "SageMaker models and endpoints in serving"),
            (self.deploy, _policy(_trust("GitHubActions", {"Federated": f"arn:aws:iam::{SERVE}:oidc-provider/"
                                                                        f"{GITHUB_OIDC}"},
                                         "sts:AssumeRoleWithWebIdentity", {
                                             "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
                                             "StringLike": {f"{GITHUB_OIDC}:sub": "repo:acme/ml-serving:*"}})),
             "DeployServing", _policy(
                _allow("DeployEndpoints", sagemaker_deploy, "*"),
                _allow("PassServingRole", "iam:PassRole", self.serving_role.arn),
                _allow("AssumeMLOps", "sts:AssumeRole", self.mlops.arn)), [], "GitHub Actions deployments"),
            (self.mlops, _policy(_trust("Operators", {"AWS": [self.carol.arn, self.deploy.arn]})),
             "ModelDeployment", _policy(
                _allow("DeployEndpoints", sagemaker_deploy, "*"),
                _allow("PassServingRole", "iam:PassRole", self.serving_role.arn),
                _allow("InvocationLogging", ["bedrock:PutModelInvocationLoggingConfiguration",
                                             "bedrock:GetModelInvocationLoggingConfiguration", "bedrock:Get*",
                                             "bedrock:List*"], "*"),
                _allow("ReadServingArtifacts", "s3:GetObject", "arn:aws:s3:::acme-models-serving/*")), [],
             "Model operations"),
            (self.app, _policy(_trust("EC2", {"Service": "ec2.amazonaws.com"})), "InvokeModels", _policy(
                _allow("InvokeBedrock", ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], invocable),
                _allow("InvokeEndpoints", "sagemaker:InvokeEndpoint", f"arn:aws:sagemaker:{EU}:{SERVE}:endpoint/*")),
             [], "Application backend on EC2"),
            (self.support_bot, _policy(_trust("Lambda", {"Service": "lambda.amazonaws.com"})), "SupportAssistant",
             _policy(_allow("InvokeBedrock", ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                            invocable),
                     _allow("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                            f"arn:aws:logs:{US}:{SERVE}:log-group:/aws/lambda/support-bot*")),
             ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"], "Support bot Lambda function"),
        ], TRAIN: [
            (self.ml_engineer, _policy(_trust("MLPlatformUser", {"AWS": self.bob.arn})), "MLEngineering", _policy(
                _allow("SageMaker", ["sagemaker:CreateTrainingJob", *sagemaker_deploy], "*"),
                _allow("Bedrock", ["bedrock:CreateModelCustomizationJob", "bedrock:CreateProvisionedModelThroughput",
                                   "bedrock:PutModelInvocationLoggingConfiguration", "bedrock:InvokeModel",
                                   "bedrock:InvokeModelWithResponseStream", "bedrock:Get*", "bedrock:List*"], "*"),
                _allow("PassPlatformRoles", "iam:PassRole", [
                    f"arn:aws:iam::{TRAIN}:role/service-role/AmazonSageMaker-ExecutionRole-*", self.bedrock_role.arn,
                    self.cw_role.arn, self.staging_role.arn]),
                _allow("AssumeTrainingDataAccess", "sts:AssumeRole", self.data_access.arn),
                _allow("ReadModelArtifacts", ["s3:GetObject", "s3:ListBucket"],
                       ["arn:aws:s3:::acme-models-training", "arn:aws:s3:::acme-models-training/*"])), [],
             "ML engineers"),
            (self.bedrock_role, bedrock(f"arn:aws:bedrock:{US}:{TRAIN}:model-customization-job/*"),
             "CustomizationData", _policy(
                _allow("ReadFineTuneData", "s3:GetObject", TRANSCRIPTS),
                _allow("ListFineTuneData", "s3:ListBucket", "arn:aws:s3:::acme-data-3"),
                _allow("WriteCustomizationOutput", "s3:PutObject",
                       "arn:aws:s3:::acme-models-training-use1/bedrock-customization/*"),
                _allow("DecryptFineTuneData", "kms:Decrypt", data_us),
                _allow("UseCustomModelKey", ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant",
                                             "kms:DescribeKey"], keys["bedrock"])), [], "Bedrock model customization"),
            (self.cw_role, bedrock(f"arn:aws:bedrock:{US}:{TRAIN}:*"), "InvocationLogDelivery", _policy(
                _allow("WriteInvocationLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                       f"arn:aws:logs:{US}:{TRAIN}:log-group:/aws/bedrock/modelinvocations:*"),
                _allow("WriteLargeData", "s3:PutObject", f"arn:aws:s3:::acme-bedrock-large-{TRAIN}/large-data/*")),
             [], "Bedrock model invocation logging"),
            (self.staging_role, sagemaker, "StagingEndpoints", _policy(
                _allow("ReadModelArtifacts", "s3:GetObject", "arn:aws:s3:::acme-models-training/*"),
                _allow("DecryptModelArtifacts", "kms:Decrypt", keys[TRAIN]),
                _allow("WriteDataCapture", "s3:PutObject", "arn:aws:s3:::acme-capture-training/*"),
                _allow("UseCaptureKey", "kms:GenerateDataKey", keys["capture-" + TRAIN])), [],
             "SageMaker staging endpoints"),
        ], DATA: [
            (self.data_engineer, _policy(_trust("DataPlatformAdmin", {"AWS": self.alice.arn})), "DatasetAuthoring",
             _policy(_allow("ReadWriteDatasets", ["s3:GetObject", "s3:PutObject"],
                            [*self._dataset_objects("acme-data-1", "acme-data-2"), TRANSCRIPTS]),
                     _allow("ListDatasetBuckets", "s3:ListBucket", [*dataset_buckets, "arn:aws:s3:::acme-data-3"]),
                     _allow("ClassifyLandingExports", "s3:PutObjectTagging", "arn:aws:s3:::acme-data-1/landing/*"),
                     _allow("UseDatasetKeys", ["kms:Decrypt", "kms:GenerateDataKey"], [data_eu, data_us])), [],
             "Data engineers"),
            (self.pipeline, _policy(_trust("GlueAndAirflow", {"Service": ["glue.amazonaws.com", "ec2.amazonaws.com"]})),
             "DatasetPipeline", _policy(
                _allow("ReadLanding", "s3:GetObject", "arn:aws:s3:::acme-data-1/landing/*"),
                _allow("WriteDatasets", ["s3:PutObject", "s3:AbortMultipartUpload"],
                       self._dataset_objects("acme-data-1", "acme-data-2")),
                _allow("ListDatasetBuckets", "s3:ListBucket", dataset_buckets),
                _allow("UseDatasetKey", ["kms:Decrypt", "kms:GenerateDataKey"], data_eu)),
             ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"], "Ingestion pipelines"),
            (self.data_access, _policy(_trust("TrainingAccount", {"AWS": [self.ml_engineer.arn]})),
             "ReadTrainingDatasets", _policy(
                _allow("ReadTrainingDatasets", "s3:GetObject",
                       [*self._dataset_objects("acme-data-1", "acme-data-2"), "arn:aws:s3:::acme-data-prepared/*"]),
                _allow("ListDatasetBuckets", "s3:ListBucket", dataset_buckets),
                _allow("DecryptDatasets", "kms:Decrypt", [data_eu, self.buckets["acme-data-prepared"].kms_key])), [],
             "Training jobs in 222222222222 read datasets"),
        ]}

    def _role_calls(self, role: Role, trust: dict[str, Any], policy_name: str, document: dict[str, Any],
                    attached: list[str], description: str) -> list[Callable[[], None]]:
        """CreateRole, PutRolePolicy and AttachRolePolicy calls by the account's administrator."""
        admin = partial(self._admin, role.account)
        return [lambda: self._create_role(admin(), role, trust, description),
                lambda: self._put_role_policy(admin(), role, policy_name, document),
                *(partial(lambda arn: self._attach_role_policy(admin(), role, arn), arn) for arn in attached)]

    def _estate_setup(self) -> list[Callable[[], None]]:
        """Every call that builds the estate, one record each, before anything uses it: roles (trust and
        least-privilege permissions), managed policies, users and groups, KMS keys, then each bucket's
        encryption, Block Public Access, Object Ownership and policy."""
        calls: list[Callable[[], None]] = []
        specs = self._role_specs()
        for spec in specs[SERVE]:  # serving first: the other accounts' policies name its roles
            calls += self._role_calls(*spec)
        calls += self._user_with_group(SERVE, self.contractor, "ModelUploaders", "ManualModelUpload", _policy(
            _allow("UploadManualModels", "s3:PutObject", "arn:aws:s3:::acme-models-serving/manual-upload/*")))
        for spec in specs[TRAIN]:
            calls += self._role_calls(*spec)
        calls.append(lambda: self._create_policy(self._admin(TRAIN), TRAINING_BASE,
                                                 "Logs, images and metrics for SageMaker training jobs",
                                                 TRAINING_BASE_DOCUMENT))
        calls.append(lambda: self._create_policy(self._admin(DATA), DATASET_READ_ONLY, "Read the training datasets",
                                                 self._dataset_read_only(1)))
        calls += self._sso_role()
        for spec in specs[DATA]:
            calls += self._role_calls(*spec)
        calls += self._user_with_group(DATA, self.etl_bot, "DataIngest", "LandingZoneWrite", _policy(
            _allow("WriteLanding", "s3:PutObject", "arn:aws:s3:::acme-data-1/landing/*"),
            _allow("EncryptLanding", "kms:GenerateDataKey", self.buckets["acme-data-1"].kms_key)))
        no_extra: tuple[dict[str, Any], ...] = ()
        for key_arn, description, users, extra in (
                (self.buckets["acme-data-1"].kms_key, "Datasets (eu-west-1)",
                 [self.data_engineer.arn, self.pipeline.arn, self.data_access.arn], no_extra),
                (self.buckets["acme-data-3"].kms_key, "Datasets (us-east-1)", [self.data_engineer.arn], (
                    {"Sid": "AllowBedrockCustomizationDecrypt", "Effect": "Allow",
                     "Principal": {"AWS": self.bedrock_role.arn}, "Action": ["kms:Decrypt", "kms:DescribeKey"],
                     "Resource": "*"},)),
                (self.keys[TRAIN], "Model artifacts", [self.staging_role.arn], (
                    {"Sid": "AllowServingAccountDecrypt", "Effect": "Allow",
                     "Principal": {"AWS": self.serving_role.arn}, "Action": ["kms:Decrypt", "kms:DescribeKey"],
                     "Resource": "*"},)),
                (self.keys["capture-" + TRAIN], "Staging endpoint data capture", [self.staging_role.arn], no_extra),
                (self.keys["bedrock"], "Bedrock custom models", [self.bedrock_role.arn], no_extra),
                (self.keys[SERVE], "Endpoints", [self.serving_role.arn], no_extra),
                (self.keys["capture-" + SERVE], "Endpoint data capture", [self.serving_role.arn], no_extra)):
            account = key_arn.split(":")[4]
            calls.append(partial(self._create_key, key_arn, description, self._key_policy(account, users, *extra)))
        models_read = {"Sid": "AllowServingAccountRead", "Effect": "Allow", "Principal": {"AWS": self.serving_role.arn},
                       "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-models-training/*"}
        calls += self._bucket_setup("acme-data-1", [])
        calls += self._bucket_setup("acme-data-2", [])
        calls += self._bucket_setup("acme-data-3", [
            {"Sid": "AllowBedrockCustomizationRead", "Effect": "Allow", "Principal": {"AWS": self.bedrock_role.arn},
             "Action": "s3:GetObject", "Resource": TRANSCRIPTS},
            {"Sid": "AllowBedrockCustomizationList", "Effect": "Allow", "Principal": {"AWS": self.bedrock_role.arn},
             "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme-data-3",
             "Condition": {"StringLike": {"s3:prefix": "support/chat-transcripts/*"}}}])
        calls += self._bucket_setup("acme-models-training", [models_read])
        calls += self._bucket_setup("acme-models-training-use1", [], block_public=False)
        calls += self._bucket_setup("acme-models-serving", [])
        return calls

    def _sso_role(self) -> list[Callable[[], None]]:
        """IAM Identity Center provisions the analysts' permission set: the role, its inline policy and
        the customer managed policy it references."""
        role = self.analyst

        def actor() -> Actor:
            return Actor(self.sso_service, "AWS-SSO", "sso.amazonaws.com", "sso.amazonaws.com")

        trust = _policy({"Effect": "Allow", "Principal": {"Federated": SSO_PROVIDER},
                         "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                         "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}})
        inline = _policy(_allow("BrowseDatasetBuckets", ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "*"))
        sso = "sso.amazonaws.com"
        return [lambda: self._create_role(actor(), role, trust, "Analysts (IAM Identity Center permission set)",
                                          sso, 43200),
                lambda: self._put_role_policy(actor(), role, "AwsSSOInlinePolicy", inline, sso),
                lambda: self._attach_role_policy(actor(), role, DATASET_READ_ONLY, sso)]

    # per project: its execution role, and the data account's trust follows the running jobs

    def _create_exec_role(self, project: _Project) -> None:
        self._create_role(self._admin(TRAIN), project.exec_role,
                          _policy(_trust("SageMaker", {"Service": "sagemaker.amazonaws.com"})),
                          f"SageMaker execution role for the {project.dataset} training job")

    def _exec_role_policy(self, project: _Project) -> None:
        """Least privilege for one job: assume the data-access role, write its own output, use the key."""
        statements = [
            _allow("AssumeTrainingDataAccess", "sts:AssumeRole", self.data_access.arn),
            _allow("WriteModelArtifacts", "s3:PutObject",
                   [f"arn:aws:s3:::acme-models-training/{project.team}/{job}/*" for job in (
                       project.job_name, *([self._prepared_job_name(project, "Prepared")] if project.p == 1 else []))]),
            _allow("ListModelBucket", "s3:ListBucket", "arn:aws:s3:::acme-models-training",
                   Condition={"StringLike": {"s3:prefix": f"{project.team}/*"}}),
            _allow("WritePreparedData", "s3:PutObject", f"arn:aws:s3:::acme-data-prepared/{project.team}/*"),
            _allow("UsePreparedDataKey", "kms:GenerateDataKey", self.buckets["acme-data-prepared"].kms_key),
        ]
        if project.kms:
            statements.append(_allow("UseModelKey", ["kms:GenerateDataKey", "kms:Decrypt", "kms:CreateGrant",
                                                     "kms:DescribeKey"], self.keys[TRAIN]))
        self._put_role_policy(self._admin(TRAIN), project.exec_role, "SageMakerTrainingJobAccess",
                              _policy(*statements))

    def _exec_role_attach(self, project: _Project) -> None:
        self._attach_role_policy(self._admin(TRAIN), project.exec_role, TRAINING_BASE)

    def _data_access_trust(self, project: _Project) -> None:
        """The data-access role trusts the previous project's role (its job may still run) and this one's."""
        trusted = [self._exec_role(project.p - 1).arn] if project.p else []
        trusted += [project.exec_role.arn, self.ml_engineer.arn]
        self._iam(self._admin(DATA), "UpdateAssumeRolePolicy", {
            "roleName": self.data_access.name,
            "policyDocument": _dumps(_policy(_trust("TrainingAccount", {"AWS": trusted})))})

    # later changes, the planted mistakes among them

    def _dataset_policy_v2(self) -> None:
        self._iam(self._admin(DATA), "CreatePolicyVersion", {
            "policyArn": DATASET_READ_ONLY, "policyDocument": _dumps(self._dataset_read_only(2)), "setAsDefault": True},
            {"policyVersion": {"versionId": "v2", "isDefaultVersion": True, "createDate": _iam_date(self.now)}})

    def _step_shadow_share(self, remaining: int) -> None:
        """Mistake: the fraud datasets' prefix is shared with the ungoverned hackathon account, in the bucket
        policy and (so that the reads would work) in the key policy (2 records)."""
        actor = self._admin(DATA, console=True)
        shadow = f"arn:aws:iam::{SHADOW}:root"
        self._put_bucket_policy(actor, "acme-data-1", [
            {"Sid": "HackathonFraudSampleRead", "Effect": "Allow", "Principal": {"AWS": shadow},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-data-1/fraud/*"},
            {"Sid": "HackathonFraudSampleList", "Effect": "Allow", "Principal": {"AWS": shadow},
             "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme-data-1",
             "Condition": {"StringLike": {"s3:prefix": "fraud/*"}}}])
        if remaining < 2:
            return
        key = self.buckets["acme-data-1"].kms_key
        policy = self._key_policy(DATA, [self.data_engineer.arn, self.pipeline.arn, self.data_access.arn], {
            "Sid": "AllowHackathonDecrypt", "Effect": "Allow", "Principal": {"AWS": shadow},
            "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"})
        self._kms(actor, key, "PutKeyPolicy", {"keyId": key.rsplit("/", 1)[1], "policyName": "default",
                                               "policy": _dumps(policy), "bypassPolicyLockoutSafetyCheck": False},
                  None)

    def _step_vendor_role(self, remaining: int) -> None:
        """Mistake (conditional access): a labelling vendor's account may assume a role that reads the credit
        datasets, on an external id alone (2 records)."""
        actor = self._admin(DATA)
        role = self.vendor_role
        self._create_role(actor, role, _policy(_trust(
            "LabelingVendor", {"AWS": f"arn:aws:iam::{VENDOR}:root"},
            condition={"StringEquals": {"sts:ExternalId": VENDOR_EXTERNAL_ID}})), "Labelling vendor access")
        if remaining < 2:
            return
        self._put_role_policy(actor, role, "VendorLabelingRead", _policy(
            _allow("ReadCreditDatasets", "s3:GetObject", "arn:aws:s3:::acme-data-2/credit/*"),
            _allow("ListCreditDatasets", "s3:ListBucket", "arn:aws:s3:::acme-data-2",
                   Condition={"StringLike": {"s3:prefix": "credit/*"}}),
            _allow("DecryptDatasets", "kms:Decrypt", self.buckets["acme-data-2"].kms_key)))

    def _step_vendor_assume(self, remaining: int) -> None:
        """The vendor assumes the role: only the data account's copy is in the organization trail."""
        t = self.now
        role, session = self.vendor_role, "labeling-batch-0001"
        identity = {"type": "AWSAccount", "principalId": "AIDA" + _stable_id(f"user:{VENDOR}:labeling-sync"),
                    "accountId": VENDOR}
        self._emit(self._record(
            identity=identity, t=t, source="sts.amazonaws.com", name="AssumeRole", region=EU, ip="203.0.113.201",
            ua=UA_BOTO, params={"roleArn": role.arn, "roleSessionName": session, "durationSeconds": 3600,
                                "externalId": VENDOR_EXTERNAL_ID},
            response=self._assume_response(role, session, t), recipient=DATA, read_only=True,
            host=f"sts.{EU}.amazonaws.com", resources=self._role_resource(role), shared=self.out.uuid()))

    def _debug_policy(self, project: _Project) -> None:
        """Mistake: an engineer, by hand, broadens a training role's S3 access after its job started."""
        self._put_role_policy(self._admin(TRAIN, console=True), project.exec_role, "DebugS3Access", _policy(
            _allow("DebugReadWriteAnyBucket", "s3:*", ["arn:aws:s3:::acme-*", "arn:aws:s3:::acme-*/*"])))

    def _step_public_share(self, remaining: int) -> None:
        """Mistake: the serving account's model bucket loses Block Public Access and gets a policy letting
        anyone download the manually uploaded models (2 records)."""
        actor = self._admin(SERVE, console=True)
        self._bucket_call(actor, self.buckets["acme-models-serving"], "DeleteBucketPublicAccessBlock",
                          {"publicAccessBlock": [""]})
        if remaining >= 2:
            self._put_bucket_policy(actor, "acme-models-serving", [
                {"Sid": "PublicReadManualModels", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::acme-models-serving/manual-upload/*"}])

    def _saml_assume(self) -> None:
        """An analyst signs in through IAM Identity Center: AssumeRoleWithSAML into the SSO role."""
        t = self.now
        role = self.analyst
        user = self.rng.choice(("jdoe", "asmith"))
        qualifier = base64.b64encode(hashlib.sha256(SSO_PROVIDER.encode()).digest()[:20]).decode()
        subject = f"{user}@acme.example"
        response = self._assume_response(role, user, t)
        response.update({"subject": subject, "subjectType": "persistent",
                         "issuer": "https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/NWUyYjdjMWQ5YThm",
                         "audience": "https://signin.aws.amazon.com/saml", "nameQualifier": qualifier})
        self._emit(self._record(
            identity={"type": "SAMLUser", "principalId": f"{qualifier}:{subject}", "userName": subject,
                      "identityProvider": qualifier},
            t=t, source="sts.amazonaws.com", name="AssumeRoleWithSAML", region=EU, ip=self._corp_ip(), ua=UA_CONSOLE,
            params={"sAMLAssertionID": "_" + self.out.hex(16), "roleSessionName": user, "durationSeconds": 3600,
                    "roleArn": role.arn, "principalArn": SSO_PROVIDER},
            response=response, recipient=DATA, read_only=True,
            resources=[*self._role_resource(role), {"accountId": DATA, "type": "AWS::IAM::SAMLProvider",
                                                    "ARN": SSO_PROVIDER}]))

    # deliberate faults ------------------------------------------------------------------------------

    def _step_missing_event_id(self, remaining: int) -> None:
        """A modelled event (an AssumeRole) without its eventID: the loader must quarantine it."""
        t = self.now
        role = self.data_engineer
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
