"""The push path's AWS Lambda handler: EventBridge events, SQS batches and CloudWatch Logs subscriptions.

`handler(event, context)` loads what it is given into the store the environment names
(`GRAPHGOV_STORE`: a bolt/neo4j URI with NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE, or a file
path) with the same LoadRun as every load, and returns the load summary with the kind of event.

SQS batches (an event source mapping with ReportBatchItemFailures) answer with a partial batch
response: a message is reported in `batchItemFailures` unless every record of it is written, so SQS
redelivers exactly those. Each message's records are written on their own (one store write per
message); after the first write that fails, that message and all later ones are reported, and so are
messages whose held-back records (see graphgov.ingest.pipeline) could not be written at the end. When no
message of the batch was written the handler raises instead, so the batch is retried even by a
mapping without ReportBatchItemFailures (which would take any answer for success). A message that
cannot be parsed is quarantined, not failed: redelivering it could not help. Other events
(EventBridge, CloudWatch Logs, S3 or SNS invoking directly) raise when the write fails, so Lambda's
own retry applies.

A failed write loads nothing: `loaded` counts only records whose write committed, and the records
counted but not written are skipped `write_failed` (the event source delivers them again), so
`records == loaded + skipped + quarantined` still holds. Whenever it raises, the handler first logs
that summary (one JSON line) with the error, since a raising invocation returns nothing.

Quarantined records go to GRAPHGOV_QUARANTINE (default: a file under /tmp, the only writable place)
and, because that file dies with the execution environment, each is also logged as one JSON line:
the quarantine's own line, so redacted (graphgov.ingest.redaction), and only once per execution environment
(an entry the file already holds is not written, so not logged, again). Error messages are redacted too.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from graphgov.aws.pullers.sqs import message_records
from graphgov.ingest.pipeline import CHUNK_RECORDS, LoadRun
from graphgov.ingest.readers import RawRecord, unwrap
from graphgov.ingest.redaction import redact_text
from graphgov.stores import StoreError, open_store

LOG = logging.getLogger("graphgov.aws_lambda")  # the handler's public name (graphgov.aws_lambda.handler)
WRITE_FAILED = "write_failed"  # the skip reason of records counted but not written (the source redelivers them)


def event_kind(event: Any) -> str:
    """`sqs`, `eventbridge`, `cloudwatch_logs` or `other` (anything else the readers unwrap)."""
    if isinstance(event, Mapping):
        records = event.get("Records")
        if isinstance(records, list) and records and all(
                isinstance(r, Mapping) and r.get("eventSource") == "aws:sqs" for r in records):
            return "sqs"
        if isinstance(event.get("awslogs"), Mapping):
            return "cloudwatch_logs"
        if "detail-type" in event and "detail" in event:
            return "eventbridge"
    return "other"


def _quarantine_path() -> Path:
    configured = os.environ.get("GRAPHGOV_QUARANTINE")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "graphgov-quarantine.jsonl"


def _log_quarantined(path: Path, start: int) -> None:
    """Log the quarantine lines this invocation appended (the file itself does not outlive the sandbox)."""
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        handle.seek(start)
        for line in handle:
            if line.strip():  # the newline that ends a killed run's torn line is no entry
                LOG.warning("graphgov quarantined %s", line.rstrip("\n"))


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Load one invocation's event; for SQS batches, report the messages not written in `batchItemFailures`."""
    if not os.environ.get("GRAPHGOV_STORE"):  # the default store path would be lost with the sandbox
        raise StoreError("set GRAPHGOV_STORE to the graph store (a bolt:// or neo4j:// URI, NEO4J_* credentials)")
    kind = event_kind(event)
    request = getattr(context, "aws_request_id", None) or "local"
    quarantine = _quarantine_path()
    start = quarantine.stat().st_size if quarantine.exists() else 0
    store = open_store(os.environ["GRAPHGOV_STORE"])
    run = LoadRun(store, quarantine, CHUNK_RECORDS)
    written = _Written(run)
    try:
        if kind == "sqs":
            extra = _load_sqs(run, event["Records"], written)
        else:
            try:
                for raw in unwrap(event, f"lambda:{request}"):
                    run.add_raw(raw)
                run.finish()
            except Exception as exc:  # the write failed: say what was loaded (nothing), then let Lambda retry
                run.close()
                _log_quarantined(quarantine, start)
                _log_failure({"event": kind, **written.unwritten(), "error": _error(exc)})
                raise
            extra = {}
        run.close()
        _log_quarantined(quarantine, start)
        if "error" in extra:
            result = {"event": kind, **written.unwritten(), **extra}
            if len(extra["batchItemFailures"]) == len(event["Records"]):  # nothing written: retry the batch
                _log_failure(result)
                raise StoreError(f"no message of the batch was written: {extra['error']}")
            return result
        summary = run.result().as_dict()
    finally:
        run.close()
        store.close()
    return {"event": kind, **summary, **extra}


class _Written:
    """How many records each committed store write left loaded: what a failed write reports as loaded."""

    def __init__(self, run: LoadRun) -> None:
        self.run = run
        self.loaded = 0

    def committed(self) -> None:
        self.loaded = self.run.summary.loaded

    def unwritten(self) -> dict[str, Any]:
        """The summary after a failed write: loaded as committed, the rest counted `write_failed`."""
        summary = self.run.summary
        summary.loaded = self.loaded
        missing = summary.records - summary.loaded - sum(summary.skipped.values()) - summary.quarantined
        if missing > 0:
            summary.skipped[WRITE_FAILED] += missing
        if summary.quarantined == 0:
            summary.quarantine_file = None
        result = summary.as_dict()
        for total in ("nodes", "edges", "access"):  # not read back from a store that just failed
            result.pop(total, None)
        return result


def _error(exc: BaseException) -> str:
    """The failure as one line, redacted: a driver or store error may quote what it was given."""
    return redact_text(f"{type(exc).__name__}: {exc}")


def _log_failure(result: Mapping[str, Any]) -> None:
    LOG.error("graphgov write failed, nothing after the last commit was loaded: %s", json.dumps(result, default=str))


def _sqs_records(message: Mapping[str, Any]) -> Iterator[RawRecord]:
    location = message.get("eventSourceARN") or "sqs"
    return message_records(message.get("body"), f"{location}#{message.get('messageId')}")


def _load_sqs(run: LoadRun, messages: list[Mapping[str, Any]], commits: _Written) -> dict[str, Any]:
    written: list[str] = []  # message ids whose records are all in the store
    held: list[str] = []  # written, but for records held back until the run's end
    failed: list[str] = []
    error: str | None = None
    for index, message in enumerate(messages):
        message_id = str(message.get("messageId"))
        try:
            for raw in _sqs_records(message):
                run.add_raw(raw)
            run.flush()
            commits.committed()
        except Exception as exc:  # noqa: BLE001 - the store failed: this message and the rest go back to SQS
            error = _error(exc)
            failed = [str(m.get("messageId")) for m in messages[index:]]
            LOG.error("graphgov: write failed, %d messages returned to the queue: %s", len(failed), error)
            break
        (held if run.deferred.pending else written).append(message_id)
    if error is None:
        try:
            run.finish()
        except Exception as exc:  # noqa: BLE001 - held-back records unwritten: their messages go back
            error = _error(exc)
            failed = held
            LOG.error("graphgov: final write failed, %d messages returned to the queue: %s", len(failed), error)
    else:
        failed = held + failed
    result: dict[str, Any] = {"messages": len(messages), "batchItemFailures": [{"itemIdentifier": m} for m in failed]}
    if error:
        result["error"] = error
    return result
