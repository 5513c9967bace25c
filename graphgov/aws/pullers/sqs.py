"""`graphgov pull sqs`: S3 notifications and EventBridge events delivered to an SQS queue.

The queue is the push path's buffer: S3 event notifications (raw or inside SNS), and EventBridge events
(S3 "Object Created"/"Object Deleted", SageMaker and Bedrock state changes, "AWS API Call via
CloudTrail"). Messages are received in batches with long polling; every body goes through
`readers.unwrap` into one LoadRun, so each record is loaded, skipped with a named reason (an
`s3:TestEvent` is `s3_test_event`) or quarantined.

Delivery is at least once, and so is acknowledgement: a batch's messages are deleted only after its
records are written and committed (`LoadRun.flush`). A crash between the write and the delete leaves
the messages in the queue; they come back after the visibility timeout and load as duplicates, so the
graph does not change. A record held back for the run's end (the poorer copy of a cross-account call,
see graphgov.ingest.pipeline) is not written by `flush`: its message, and every message received after it,
is deleted only once the run has finished.

A message whose body cannot be parsed is quarantined (the quarantine file keeps its body, with its
location `<queue url>#<message id>`) and deleted. It is not left for a dead-letter queue: the failure
is in the bytes and never goes away, so redelivering it would only quarantine it again on every run,
and a queue without a redrive policy would keep it until its retention ends. A write that fails (the
store is down) is different: the error stops the pull before the delete, and the messages come back.
A ReceiveMessage the caller may not make (or a queue key it may not use) is a gap
(graphgov.aws.pullers._gaps): what was received before it is written and deleted, the pull ends partial.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from graphgov.aws.clients import pull_client
from graphgov.aws.pullers._gaps import PullRun
from graphgov.aws.session import ACCESS_DENIED_CODES, PullError, PullSummary, error_code, error_message
from graphgov.ingest.pipeline import CHUNK_RECORDS
from graphgov.ingest.readers import RawRecord, unwrap
from graphgov.stores.base import Store

AWS_CALLS: frozenset[tuple[str, str]] = frozenset({
    ("sqs", "ReceiveMessage"),
    ("sqs", "DeleteMessageBatch"),
})

BATCH_MAX = 10  # ReceiveMessage and DeleteMessageBatch take at most 10 messages
WAIT_MAX = 20  # the longest long poll SQS allows
_QUEUE_HOST = re.compile(r"^(?:sqs\.([a-z0-9-]+)\.|([a-z0-9-]+)\.queue\.)amazonaws\.com(?:\.cn)?$")


def message_records(body: Any, location: str) -> Iterator[RawRecord]:
    """The records of one message body; a body that is not JSON is one record to quarantine."""
    try:
        value = json.loads(body)
    except (TypeError, json.JSONDecodeError) as exc:
        yield RawRecord(None, body, location, error=f"invalid JSON message body: {exc}")
        return
    yield from unwrap(value, location)


def queue_region(queue_url: str) -> str | None:
    """The Region an SQS queue URL names (`sqs.<region>.amazonaws.com` or the legacy `<region>.queue...`)."""
    match = _QUEUE_HOST.match(urlsplit(queue_url).hostname or "")
    return (match.group(1) or match.group(2)) if match else None


def sqs_client(session: boto3.Session, queue_url: str) -> BaseClient:
    """An SQS client in the queue's Region (from its URL, else the session's)."""
    region = queue_region(queue_url) or session.region_name
    if not region:
        raise PullError("no AWS region: use a queue URL that names one, or set AWS_REGION (or --profile)")
    return pull_client(session, "sqs", region)


class ReceiveDenied(PullError):
    """The caller may not receive from the queue (or decrypt it): a gap, not a failure of the pull."""


def receive_batch(sqs: BaseClient, queue_url: str, count: int, wait_seconds: int) -> list[dict[str, Any]]:
    """Up to `count` (at most 10) messages, waiting up to `wait_seconds` for the first (long polling)."""
    try:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=count, WaitTimeSeconds=wait_seconds)
    except ClientError as exc:
        code = error_code(exc)
        if code in ACCESS_DENIED_CODES or code.startswith("KMS.AccessDenied"):
            raise ReceiveDenied(f"cannot receive from {queue_url}: {code}: {error_message(exc)}") from None
        raise PullError(f"cannot receive from {queue_url}: {error_code(exc) or 'error'}: "
                        f"{error_message(exc)}") from None
    except BotoCoreError as exc:
        raise PullError(f"cannot reach SQS: {exc}") from None
    return list(response.get("Messages") or ())


def delete_batch(sqs: BaseClient, queue_url: str, messages: Sequence[Mapping[str, Any]]) -> int:
    """Acknowledge messages whose records are written; returns how many SQS failed to delete.

    A message that could not be deleted (its receipt handle expired) comes back and loads as a
    duplicate: nothing is lost, so that is counted, not raised.
    """
    failed = 0
    for start in range(0, len(messages), BATCH_MAX):
        chunk = messages[start:start + BATCH_MAX]
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
        try:
            response = sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        except (ClientError, BotoCoreError) as exc:
            raise PullError(f"cannot delete messages from {queue_url}: {exc}") from None
        failed += len(response.get("Failed") or ())
    return failed


def pull_sqs(session: boto3.Session, store: Store, quarantine_path: Path, queue_url: str,
             max_messages: int | None = None, wait_seconds: int = WAIT_MAX,
             chunk_records: int = CHUNK_RECORDS) -> PullSummary:
    """Drain the queue into `store`: until a long poll of `wait_seconds` finds nothing, or
    `max_messages` were received. The summary's objects count messages received, deleted and not deleted."""
    if not 0 <= wait_seconds <= WAIT_MAX:
        raise PullError(f"--wait-seconds must be between 0 and {WAIT_MAX}, got {wait_seconds}")
    if max_messages is not None and max_messages < 1:
        raise PullError(f"--max-messages must be at least 1, got {max_messages}")
    sqs = sqs_client(session, queue_url)
    run = PullRun(store, quarantine_path, chunk_records)
    objects: Counter = Counter()
    held: list[dict[str, Any]] = []  # messages whose records wait for the run's end
    try:
        received = 0
        while max_messages is None or received < max_messages:
            count = BATCH_MAX if max_messages is None else min(BATCH_MAX, max_messages - received)
            try:
                messages = receive_batch(sqs, queue_url, count, wait_seconds)
            except ReceiveDenied:  # a gap: what was received is written and deleted, the rest stays queued
                run.add_raw(RawRecord(None, None, queue_url, skip="access_denied:sqs:ReceiveMessage"))
                break
            if not messages:
                break
            received += len(messages)
            objects["messages"] += len(messages)
            for message in messages:
                for raw in message_records(message.get("Body"), f"{queue_url}#{message.get('MessageId')}"):
                    run.add_raw(raw)
            run.flush()  # written and committed: only now may the messages go
            if run.deferred.pending:
                held.extend(messages)
            else:
                _acknowledge(sqs, queue_url, messages, objects)
        run.finish()
        _acknowledge(sqs, queue_url, held, objects)
    finally:
        run.close()
    return PullSummary(**vars(run.result()), objects=objects, gaps=run.gaps.as_list())


def _acknowledge(sqs: BaseClient, queue_url: str, messages: Sequence[Mapping[str, Any]],
                 objects: Counter) -> None:
    if not messages:
        return
    failed = delete_batch(sqs, queue_url, messages)
    objects["deleted"] += len(messages) - failed
    if failed:
        objects["not_deleted"] += failed
