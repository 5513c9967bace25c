"""S3 event notifications as a consumer receives them: raw event messages, SQS receive batches, and
SNS notifications delivered through SQS (`s3-notifications/<wrapper>/<n>.json`)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from graphgov.generate.constants import DATA, EU
from graphgov.generate.encoding import dumps, iso_ms
from graphgov.generate.output.writer import Batch, FileWriter

SQS_WRAPPERS = ("sqs", "sns-sqs")


class S3NotificationFiles:
    """One file per raw message; SQS messages batch (1-10 per receive) until full or 20 s old."""

    def __init__(self, writer: FileWriter) -> None:
        self.writer, self.rng = writer, writer.rng
        self.seq = {"raw": 0, "sqs": 0, "sns-sqs": 0}
        self.sqs: dict[str, Batch | None] = {"sqs": None, "sns-sqs": None}

    def record(self, wrapper: str, record: dict[str, Any], t: int, ms: int) -> None:
        """One S3 event record: a raw message file, or an SQS message (an SNS one inside for `sns-sqs`)."""
        message = dumps({"Records": [record]})
        self.writer.count("s3_notification")
        if wrapper == "raw":
            self.seq["raw"] += 1
            self.writer.write(f"s3-notifications/raw/{self.seq['raw']:06d}.json", message.encode() + b"\n")
            return
        rng = self.rng
        sent = t * 1000 + ms + rng.randint(5, 900)
        if wrapper == "sns-sqs":
            topic = f"arn:aws:sns:{EU}:{DATA}:dataset-object-events"
            message = dumps({
                "Type": "Notification", "MessageId": self.writer.uuid(), "TopicArn": topic,
                "Subject": "Amazon S3 Notification", "Message": message,
                "Timestamp": iso_ms(sent // 1000, sent % 1000), "SignatureVersion": "1",
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
            "messageId": self.writer.uuid(),
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
            batch = self.sqs[wrapper] = Batch(t, rng.randint(1, 10), t)
        batch.items.append(dumps(sqs_message))
        if len(batch.items) >= batch.target:
            self._flush(wrapper)

    def _flush(self, wrapper: str) -> None:
        """Write the batch as one SQS receive (`{"Records": [...]}`)."""
        batch = self.sqs[wrapper]
        if batch is None or not batch.items:
            return
        self.seq[wrapper] += 1
        body = '{"Records":[' + ",".join(batch.items) + "]}\n"
        self.writer.write(f"s3-notifications/{wrapper}/{self.seq[wrapper]:06d}.json", body.encode())
        self.sqs[wrapper] = None

    def sweep(self, now: int) -> None:
        """Flush the batches older than 20 s."""
        for wrapper in SQS_WRAPPERS:
            batch = self.sqs[wrapper]
            if batch is not None and now >= batch.start + 20:
                self._flush(wrapper)

    def close(self) -> None:
        """Flush what is left."""
        for wrapper in SQS_WRAPPERS:
            self._flush(wrapper)
