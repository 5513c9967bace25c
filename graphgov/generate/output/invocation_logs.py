"""Bedrock model-invocation logs where Bedrock delivers them: gzip JSON Lines objects in S3
(`bedrock-invocation-logs/AWSLogs/...`), or CloudWatch Logs subscription payloads (`cloudwatch-logs/<n>.json`:
base64 of gzip of a DATA_MESSAGE), batched per account and Region."""

from __future__ import annotations

import base64

from graphgov.generate.constants import CT_WINDOW
from graphgov.generate.encoding import dumps, fmt, gz
from graphgov.generate.output.writer import Batch, FileWriter


class InvocationLogFiles:
    """S3 objects hold up to 200 records or 300 s; subscription payloads up to 25 events or 60 s."""

    def __init__(self, writer: FileWriter) -> None:
        self.writer, self.rng = writer, writer.rng
        self.cwl_seq = 0
        self.inv_s3: dict[tuple[str, str], Batch] = {}
        self.inv_cwl: dict[tuple[str, str], Batch] = {}

    def record(self, destination: str, account: str, region: str, text: str, t: int, now: int,
               keep: bool = False) -> None:
        """One ModelInvocationLog record to S3 (JSON Lines in gzip) or CloudWatch Logs (subscription)."""
        batches = self.inv_s3 if destination == "s3" else self.inv_cwl
        limit, window = (200, CT_WINDOW) if destination == "s3" else (25, 60)
        batch = batches.get((account, region))
        if batch is not None and not keep and (now >= batch.start + window or len(batch.items) >= limit):
            self._flush(destination, account, region)
            batch = None
        if batch is None:
            batch = batches[(account, region)] = Batch(now, limit, t)
        batch.items.append(text if destination == "s3" else f"{t}\t{text}")
        self.writer.count("bedrock_invocation_log")

    def _flush(self, destination: str, account: str, region: str) -> None:
        """Write one batch: a gzip JSON Lines object, or a subscription payload with event ids."""
        batches = self.inv_s3 if destination == "s3" else self.inv_cwl
        batch = batches.pop((account, region), None)
        if batch is None or not batch.items:
            return
        rng = self.rng
        if destination == "s3":
            t = batch.first_t
            name = f"{fmt(t, '%Y%m%dT%H%M%S')}{rng.randrange(1000):03d}Z_{self.writer.hex(8)}.json.gz"
            key = (f"bedrock-invocation-logs/AWSLogs/{account}/BedrockModelInvocationLogs/{region}/"
                   f"{fmt(t, '%Y/%m/%d/%H')}/{name}")
            self.writer.write(key, gz(("\n".join(batch.items) + "\n").encode()))
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
        data = base64.b64encode(gz(dumps(payload).encode())).decode()
        self.cwl_seq += 1
        body = dumps({"awslogs": {"data": data}}) + "\n"
        self.writer.write(f"cloudwatch-logs/{self.cwl_seq:06d}.json", body.encode())

    def sweep(self, now: int) -> None:
        """Flush the batches whose window ended by `now`."""
        for destination, batches, window in (("s3", self.inv_s3, CT_WINDOW), ("cwl", self.inv_cwl, 60)):
            for account, region in [k for k, b in batches.items() if now >= b.start + window]:
                self._flush(destination, account, region)

    def close(self) -> None:
        """Flush every batch, by account and Region."""
        for destination, batches in (("s3", self.inv_s3), ("cwl", self.inv_cwl)):
            for account, region in sorted(batches):
                self._flush(destination, account, region)
