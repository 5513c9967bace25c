"""A tiny LookupEvents server: moto does not implement CloudTrail LookupEvents, so tests talk to this.

It speaks the API's JSON protocol (`X-Amz-Target: ...CloudTrail_20131101.LookupEvents`, JSON 1.1) on a
loopback port, serves the events it holds filtered by the one lookup attribute (EventSource) and the
StartTime/EndTime window, newest first, in pages of `MaxResults`, and answers ThrottlingException on
the calls numbered in `throttle_calls`. Every request is recorded with the time of an injectable clock,
so a test can check the client's spacing without really waiting.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graphgov.core.times import to_utc_iso

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"


def epoch(iso: str) -> float:
    return datetime.fromisoformat(to_utc_iso(iso).replace("Z", "+00:00")).timestamp()


def lookup_item(record: Mapping[str, Any]) -> dict[str, Any]:
    """A LookupEvents `Events[]` item made from a CloudTrail record, as the API renders it."""
    identity = record.get("userIdentity") or {}
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": str(record.get("readOnly", "false")).lower(),
        "EventTime": epoch(record["eventTime"]),
        "EventSource": record["eventSource"],
        "Username": identity.get("userName") or str(identity.get("arn", "")).rsplit("/", 1)[-1],
        "Resources": [{"ResourceType": r.get("type"), "ResourceName": r.get("ARN")}
                      for r in record.get("resources") or ()],
        "CloudTrailEvent": json.dumps(record),
    }


@dataclass
class Request:
    time: float
    body: dict[str, Any]
    throttled: bool


@dataclass
class FakeCloudTrail:
    """The server's state: events (LookupEvents items), which calls to throttle, what was asked."""

    events: list[dict[str, Any]]
    clock: Callable[[], float]
    throttle_calls: set[int] = field(default_factory=set)  # 1-based numbers of the calls to refuse
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        number = len(self.requests) + 1
        throttled = number in self.throttle_calls
        self.requests.append(Request(self.clock(), body, throttled))
        if throttled:
            return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        attributes = body.get("LookupAttributes") or []
        if len(attributes) > 1:
            return 400, {"__type": "InvalidLookupAttributesException", "message": "one lookup attribute only"}
        chosen = [e for e in self.events if all(e[a["AttributeKey"]] == a["AttributeValue"] for a in attributes)
                  and body.get("StartTime", 0) <= e["EventTime"] <= body.get("EndTime", float("inf"))]
        chosen.sort(key=lambda e: (-e["EventTime"], e["EventId"]))
        offset = int(body.get("NextToken") or 0)
        size = int(body.get("MaxResults") or 50)
        page: dict[str, Any] = {"Events": chosen[offset:offset + size]}
        if offset + size < len(chosen):
            page["NextToken"] = str(offset + size)
        return 200, page

    def pages_asked(self) -> Iterator[Request]:
        return (r for r in self.requests if not r.throttled)


def _handler(state: FakeCloudTrail) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.headers.get("X-Amz-Target") != TARGET:
                status, answer = 400, {"__type": "UnknownOperationException", "message": "LookupEvents only"}
            else:
                status, answer = state.answer(body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", f"fake-{len(state.requests)}")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:  # keep the test output clean
            pass

    return Handler


@contextmanager
def fake_cloudtrail(records: Iterable[Mapping[str, Any]], clock: Callable[[], float],
                    throttle_calls: Iterable[int] = ()) -> Iterator[FakeCloudTrail]:
    """Serve `records` (CloudTrail records) on a free loopback port until the block ends."""
    state = FakeCloudTrail([lookup_item(r) for r in records], clock, set(throttle_calls))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
