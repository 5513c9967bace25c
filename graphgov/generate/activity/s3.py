"""S3 data events: dataset writes and reads, landing exports and their copies, multipart uploads,
chat transcripts, and the KMS Decrypt S3 makes on a reader's behalf."""

from __future__ import annotations

import base64
import hashlib
from collections import deque
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from graphgov.generate.constants import TLS, TRAIN, UA_CLI, UA_JAVA
from graphgov.generate.encoding import fmt
from graphgov.generate.estate import Actor, Bucket
from graphgov.generate.part import Part
from graphgov.generate.projects import Project

if TYPE_CHECKING:
    from graphgov.generate.platform import Platform


class ObjectWrite(NamedTuple):
    """What S3 tells its event notifications about a write (and CloudTrail's record of it agrees with)."""

    bucket: Bucket
    key: str
    size: int
    etag: str
    version: str
    request_id: str
    t: int
    ms: int  # the milliseconds of the event time
    actor: Actor
    event: str  # the notification's eventName (`ObjectCreated:Put`...)
    reason: str  # EventBridge's `reason` (the API call)
    id2: str  # x-amz-id-2


class S3Activity(Part):
    """Writes S3 data events and remembers recent writes (for notifications) and the last read."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.recent_writes: deque[ObjectWrite] = deque(maxlen=32)  # for the notifications to announce
        self.last_read: tuple[Bucket, str, Actor, int] | None = None  # bucket, key, reader, time
        self.landing: deque[str] = deque(maxlen=16)
        self.landing_count = 0

    def facts(self, bucket: str, key: str, lo: int, hi: int) -> tuple[int, str, str]:
        """Size, ETag and version id of an object, derived from its name (so reads agree with writes)."""
        d = hashlib.blake2b(f"{bucket}/{key}".encode(), digest_size=48, key=self.platform.hkey).digest()
        size = lo + int.from_bytes(d[16:24], "big") % (hi - lo)
        version = base64.b64encode(d[24:48]).decode().replace("+", ".").replace("/", "_")
        return size, d[:16].hex(), version

    def data_event(self, actor: Actor, name: str, bucket: Bucket, key: str, t: int, *, size: int = 0, etag: str = "",
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
        rec = self.trail.record(identity=self.trail.identity(actor, t), t=t, source="s3.amazonaws.com", name=name,
                                region=bucket.region, ip=actor.ip, ua=actor.ua, params=request,
                                response=response if not read else None, recipient=bucket.account, read_only=read,
                                host=host, resources=resources, extra=extra, request_id=request_id, data_event=True)
        self.trail.emit(rec, duplicate)
        if name == "GetObject":
            self.last_read = (bucket, key, actor, t)
        if name in ("PutObject", "CopyObject", "CompleteMultipartUpload"):
            reason = {"PutObject": "PutObject", "CopyObject": "CopyObject"}.get(name, "CompleteMultipartUpload")
            event = {"PutObject": "ObjectCreated:Put", "CopyObject": "ObjectCreated:Copy"}.get(
                name, "ObjectCreated:CompleteMultipartUpload")
            self.recent_writes.append(ObjectWrite(bucket, key, size, etag, version, request_id, t, rng.randrange(1000),
                                                  actor, event, reason, extra["x-amz-id-2"]))
        return request_id

    def put_object(self, actor: Actor, bucket: Bucket, key: str, lo: int, hi: int, sse: str | None = None,
                   duplicate: bool = False) -> None:
        """PutObject of an object whose size, ETag and version follow from its name."""
        size, etag, version = self.facts(bucket.name, key, lo, hi)
        self.data_event(actor, "PutObject", bucket, key, self.now, size=size, etag=etag, version=version, sse=sse,
                        duplicate=duplicate)

    def write_dataset(self, project: Project, split: str, actor: Actor | None = None) -> None:
        """The next object of a project's split."""
        k = project.written[split]
        project.written[split] = k + 1
        lo, hi = project.size_range()
        self.put_object(actor or self.cast.actor(self.rng.choice(("engineer", "pipeline"))),
                        self.estate.buckets[project.bucket], project.key(split, k), lo, hi)

    def read_dataset(self, project: Project, actor: Actor, duplicate: bool = False) -> None:
        """GetObject of an object already written to the project's dataset."""
        split = self.rng.choice([s for s in project.splits if project.written[s]])
        key = project.key(split, self.rng.randrange(project.written[split]))
        lo, hi = project.size_range()
        size, etag, version = self.facts(project.bucket, key, lo, hi)
        self.data_event(actor, "GetObject", self.estate.buckets[project.bucket], key, self.now, size=size,
                        duplicate=duplicate)

    def unit(self, remaining: int) -> None:
        """Mostly dataset reads (by the running job's data-access session) and writes; also landing exports,
        their copies, multipart uploads and chat transcripts."""
        rng = self.rng
        roll = rng.random()
        training = self.projects.training
        if roll < 0.50:
            if training is not None and rng.random() < 0.85:
                actor = Actor(self.estate.data_access, training.job_name.lower(),
                              f"10.30.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_JAVA)
                self.read_dataset(training, actor, duplicate=remaining >= 2 and rng.random() < 1 / 1500)
            else:
                project = self.projects.write_project()
                if not any(project.written.values()):
                    project = training or project
                if any(project.written.values()):
                    self.read_dataset(project, self.cast.actor("analyst"))
                else:
                    self.write_dataset(project, "train")
        elif roll < 0.80:
            project = self.projects.write_project()
            self.write_dataset(project, rng.choices(project.splits, (6, 2, 2)[: len(project.splits)])[0])
        elif roll < 0.88:
            self.landing_write()
        elif roll < 0.94 and self.landing:
            self.copy_landing()
        elif roll < 0.97 and remaining >= 4:
            self.multipart()
        else:
            self.transcript_write()

    def landing_write(self) -> None:
        """The ETL bot lands an export in acme-data-1's `landing/` prefix."""
        self.landing_count += 1
        team = self.rng.choice(("fraud", "credit", "risk"))
        key = f"landing/{team}/{fmt(self.now, '%Y-%m-%d')}/export {self.landing_count:05d}.csv"
        self.landing.append(key)
        self.put_object(Actor(self.estate.etl_bot, None, f"198.51.100.{self.rng.randrange(10, 40)}", UA_CLI),
                        self.estate.buckets["acme-data-1"], key, 100_000, 5_000_000)

    def copy_landing(self, source: str | None = None) -> None:
        """The pipeline copies a landing export into the current project's train split."""
        source = source or self.rng.choice(list(self.landing))
        project = self.projects.write_project()
        k = project.written["train"]
        project.written["train"] = k + 1
        key = project.key("train", k)
        bucket = self.estate.buckets[project.bucket]
        size, etag, version = self.facts("acme-data-1", source, 100_000, 5_000_000)
        _, etag, version = self.facts(bucket.name, key, 1, 2)
        self.data_event(self.cast.actor("pipeline"), "CopyObject", bucket, key, self.now, size=size, etag=etag,
                        version=version, copy_source=("acme-data-1", source), extra_in=0,
                        extra_out=self.rng.randrange(200, 260))

    def multipart(self) -> None:
        """CreateMultipartUpload, two UploadPart calls and CompleteMultipartUpload: four records."""
        rng = self.rng
        project = self.projects.write_project()
        k = project.written["train"]
        project.written["train"] = k + 1
        key = project.key("train", k)
        bucket = self.estate.buckets[project.bucket]
        lo, hi = project.size_range()
        size, etag, version = self.facts(bucket.name, key, max(lo, 16_000_000), hi * 2)
        actor = self.cast.actor("pipeline")
        upload = base64.urlsafe_b64encode(rng.randbytes(48)).decode()
        first = size // 2
        self.data_event(actor, "CreateMultipartUpload", bucket, key, self.now, params={"uploads": ""}, extra_out=300)
        for number, part in ((1, first), (2, size - first)):
            self.data_event(actor, "UploadPart", bucket, key, self.now, size=part,
                            params={"partNumber": str(number), "uploadId": upload})
        self.data_event(actor, "CompleteMultipartUpload", bucket, key, self.now, size=size, etag=f"{etag}-2",
                        version=version, params={"uploadId": upload}, extra_in=rng.randrange(180, 240),
                        extra_out=rng.randrange(300, 400))

    def transcript_write(self, c: int | None = None, split: str | None = None) -> None:
        """A support chat transcript export, or (with `c`) a split of fine-tuning data set c."""
        bucket = self.estate.buckets["acme-data-3"]
        if c is None:
            key = (f"support/chat-transcripts/raw exports/{fmt(self.now, '%Y-%m-%d')} chat "
                   f"{self.rng.randrange(10000):04d}.jsonl")
        else:
            key = f"support/chat-transcripts/fine-tune-v{c + 1}/{split}.jsonl"
        self.put_object(self.cast.actor("engineer"), bucket, key, 50_000, 20_000_000)

    def kms_for_read(self) -> dict[str, Any]:
        """The kms:Decrypt S3 makes on behalf of the last GetObject's caller (not yet emitted)."""
        assert self.last_read is not None
        bucket, key, actor, _ = self.last_read
        t = self.now
        context = f"arn:aws:s3:::{bucket.name}" if bucket.bucket_key else f"arn:aws:s3:::{bucket.name}/{key}"
        identity = self.trail.identity(actor, t)
        identity["invokedBy"] = "s3.amazonaws.com"
        key_arn = bucket.kms_key or self.estate.keys[TRAIN]
        return self.trail.record(identity=identity, t=t, source="kms.amazonaws.com", name="Decrypt",
                                 region=bucket.region, ip="s3.amazonaws.com", ua="s3.amazonaws.com",
                                 params={"encryptionContext": {"aws:s3:arn": context},
                                         "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
                                 response=None, recipient=bucket.account, read_only=True,
                                 resources=[{"accountId": bucket.account, "type": "AWS::KMS::Key", "ARN": key_arn}])

    def step_seed_write(self, remaining: int, project: Project, split: str) -> None:
        """The first object of a split (by an engineer), or an analyst's read once it exists."""
        if project.written[split] == 0:
            self.write_dataset(project, split, self.cast.actor("engineer"))
        else:
            self.read_dataset(project, self.cast.actor("analyst"))

    def step_manifest(self, remaining: int, project: Project) -> None:
        """The manifest file a project's test channel names."""
        bucket = self.estate.buckets[project.bucket]
        self.put_object(self.cast.actor("engineer"), bucket, f"{project.prefix}manifests/test.manifest", 300, 4000)

    def step_transcripts(self, remaining: int, c: int, split: str) -> None:
        """A split of the fine-tuning data of customization c."""
        self.transcript_write(c, split)
