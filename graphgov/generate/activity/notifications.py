"""S3 event notifications of recent writes, in the wrapper each bucket's consumers use (raw, SQS,
SNS through SQS, EventBridge)."""

from __future__ import annotations

from graphgov.generate.activity.s3 import ObjectWrite
from graphgov.generate.encoding import form_encode_key, iso, iso_ms
from graphgov.generate.part import Part


class NotificationActivity(Part):
    """Announces the writes S3 made, oldest first."""

    def unit(self, remaining: int) -> None:
        """Announce the oldest recent write in its bucket's wrapper (a landing write instead if there is none)."""
        if not self.s3.recent_writes:
            self.s3.landing_write()  # nothing to announce yet: the write comes first
            return
        write = self.s3.recent_writes.popleft()
        if write.key.startswith("landing/"):
            wrapper = "raw"
        elif write.bucket.name == "acme-data-1":
            wrapper = "sqs"
        elif write.bucket.name == "acme-data-2":
            wrapper = "sns-sqs"
        else:
            wrapper = "eventbridge"
        self.notify(write, wrapper)

    def notify(self, write: ObjectWrite, wrapper: str, truncate: bool = False, now: int | None = None) -> None:
        """One S3 event for a write: an EventBridge Object Created event, or an event record in the raw,
        SQS or SNS-in-SQS wrapper."""
        bucket, key, size, etag, version, request_id, t, ms, actor, event, reason, id2 = write
        sequencer = f"{(t * 1000 + ms) * 4096 + (int(etag[:3], 16) if etag else 0):018X}"
        if wrapper == "eventbridge":
            self.out.eventbridge({
                "version": "0", "id": self.out.uuid(), "detail-type": "Object Created", "source": "aws.s3",
                "account": bucket.account, "time": iso(t), "region": bucket.region,
                "resources": [f"arn:aws:s3:::{bucket.name}"],
                "detail": {"version": "0", "bucket": {"name": bucket.name},
                           "object": {"key": key, "size": size, "etag": etag, "version-id": version,
                                      "sequencer": sequencer},
                           "request-id": request_id, "requester": actor.account, "source-ip-address": actor.ip,
                           "reason": reason}}, now or self.now, truncate=truncate)
            return
        record = {
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": bucket.region, "eventTime": iso_ms(t, ms),
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
