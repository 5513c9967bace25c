"""CloudTrail organization-trail delivery files and their hourly digest files, per account and Region.

Records collect in one open file per account/Region; a file is delivered when its window ends or it is
full, in shuffled order, and every delivery is listed in the next hourly digest (empty hours too), each
digest naming the previous one as CloudTrail chains them."""

from __future__ import annotations

import hashlib
from typing import Any

from graphgov.generate.constants import CT_FILE_MAX, CT_WINDOW, ORG, TRAIL, TRAIL_BUCKET
from graphgov.generate.encoding import ALNUM, dumps, fmt, gz, iso
from graphgov.generate.output.writer import FileWriter


class CloudTrailStream:
    __slots__ = ("account", "region", "buf", "lo", "hi", "win", "last_delivery", "offset", "dig_end",
                 "entries", "prev", "redeliver")

    def __init__(self, account: str, region: str, offset: int) -> None:
        self.account, self.region, self.offset = account, region, offset
        self.buf: list[str] = []
        self.lo = self.hi = 0
        self.win = 0
        self.last_delivery = 0
        self.dig_end: int | None = None
        self.entries: list[dict[str, Any]] = []
        self.prev: tuple[str, str, str] | None = None
        self.redeliver: list[tuple[str, int]] = []


class CloudTrailFiles:
    """The trail's delivery and digest files; `record` takes one record, `sweep` and `close` deliver."""

    def __init__(self, writer: FileWriter) -> None:
        self.writer, self.rng = writer, writer.rng
        self.ct: dict[tuple[str, str], CloudTrailStream] = {}
        self.fingerprints: dict[str, str] = {}

    def _stream(self, account: str, region: str) -> CloudTrailStream:
        """The account/Region's stream, opened with a random digest offset (and the Region's key fingerprint)."""
        stream = self.ct.get((account, region))
        if stream is None:
            stream = self.ct[(account, region)] = CloudTrailStream(account, region, self.rng.randrange(60, 3540))
            if region not in self.fingerprints:
                self.fingerprints[region] = self.writer.hex(16)
        return stream

    def record(self, account: str, region: str, text: str, t: int, now: int, duplicate: bool = False) -> None:
        """One record into the account/Region's open delivery file; `duplicate` also redelivers it later."""
        stream = self._stream(account, region)
        if stream.buf and (now >= stream.win + CT_WINDOW or len(stream.buf) >= CT_FILE_MAX):
            self._deliver(stream, now)
        if not stream.buf:
            stream.win, stream.lo, stream.hi = now, t, t
        stream.buf.append(text)
        stream.lo, stream.hi = min(stream.lo, t), max(stream.hi, t)
        self.writer.count("cloudtrail")
        if duplicate:  # CloudTrail delivers some events twice: same eventID, a later file
            stream.redeliver.append((text, t))
            self.writer.count("cloudtrail")

    def _deliver(self, stream: CloudTrailStream, now: int) -> None:
        """Write the open file (records shuffled), list it for the digest, and carry redeliveries over."""
        delivery = max(stream.last_delivery, now) + self.rng.randint(20, 180)
        stream.last_delivery = delivery
        self._close_digests(stream, delivery)
        self.rng.shuffle(stream.buf)  # records in a delivery file are not ordered
        body = ('{"Records":[' + ",".join(stream.buf) + "]}").encode()
        suffix = "".join(self.rng.choices(ALNUM, k=16))
        name = f"{stream.account}_CloudTrail_{stream.region}_{fmt(delivery, '%Y%m%dT%H%MZ')}_{suffix}.json.gz"
        key = f"AWSLogs/{ORG}/{stream.account}/CloudTrail/{stream.region}/{fmt(delivery, '%Y/%m/%d')}/{name}"
        self.writer.write("cloudtrail/" + key, gz(body))
        stream.entries.append({"s3Bucket": TRAIL_BUCKET, "s3Object": key,
                               "hashValue": hashlib.sha256(body).hexdigest(), "hashAlgorithm": "SHA-256",
                               "newestEventTime": iso(stream.hi), "oldestEventTime": iso(stream.lo)})
        stream.buf = [text for text, _ in stream.redeliver]
        if stream.redeliver:
            stream.win = now
            stream.lo = min(t for _, t in stream.redeliver)
            stream.hi = max(t for _, t in stream.redeliver)
        stream.redeliver = []

    def _close_digests(self, stream: CloudTrailStream, upto: int) -> None:
        """Write every hourly digest whose period ended by `upto` (empty hours get a digest too)."""
        if stream.dig_end is None:
            stream.dig_end = upto - (upto - stream.offset) % 3600 + 3600
        while stream.dig_end <= upto:
            self._digest(stream)
            stream.dig_end += 3600

    def _digest(self, stream: CloudTrailStream) -> None:
        """Write the digest of the hour ending at `dig_end`, chained to the previous digest."""
        end = stream.dig_end or 0
        name = (f"{stream.account}_CloudTrail-Digest_{stream.region}_{TRAIL}_{stream.region}_"
                f"{fmt(end, '%Y%m%dT%H%M%SZ')}.json.gz")
        key = f"AWSLogs/{ORG}/{stream.account}/CloudTrail-Digest/{stream.region}/{fmt(end, '%Y/%m/%d')}/{name}"
        doc: dict[str, Any] = {
            "awsAccountId": stream.account, "digestStartTime": iso(end - 3600), "digestEndTime": iso(end),
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
        body = dumps(doc).encode()
        self.writer.write("cloudtrail/" + key, gz(body))
        stream.prev = (key, hashlib.sha256(body).hexdigest(), self.writer.hex(256))
        stream.entries = []

    def sweep(self, now: int) -> None:
        """Deliver the files whose window ended by `now`, and the digests whose hour ended."""
        for stream in self.ct.values():
            if stream.buf and now >= stream.win + CT_WINDOW:
                self._deliver(stream, now)
            if stream.dig_end is not None:
                self._close_digests(stream, now)

    def close(self, now: int) -> None:
        """Deliver everything held (redeliveries last), then the digests up to the last delivery."""
        for key in sorted(self.ct):
            stream = self.ct[key]
            while stream.buf or stream.redeliver:
                if not stream.buf:
                    stream.buf, stream.redeliver = [text for text, _ in stream.redeliver], []
                self._deliver(stream, now)
            if stream.dig_end is not None:
                self._close_digests(stream, stream.last_delivery)
                self._digest(stream)  # the hour holding the last deliveries
