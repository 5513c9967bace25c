"""EventBridge events as JSON Lines, one file per arrival day (`eventbridge/<date>.jsonl`), kept open
while the day lasts so a long run writes each day's file once."""

from __future__ import annotations

import os
from typing import Any

from graphgov.generate.encoding import dumps, fmt
from graphgov.generate.output.writer import FileWriter


class EventBridgeFiles:
    """The day's open file; `close` ends the last one."""

    def __init__(self, writer: FileWriter) -> None:
        self.writer = writer
        self.date: str | None = None
        self.handle: Any = None
        self.lines = 0

    def event(self, event: dict[str, Any], now: int, truncate: bool = False) -> None:
        """One event line in the file of the day it arrived; `truncate` cuts the line (a malformed record)."""
        date = fmt(now, "%Y-%m-%d")
        if date != self.date:
            if self.handle is not None:
                self.handle.close()
            path = os.path.join(self.writer.root, "eventbridge", f"{date}.jsonl")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.handle = open(path, "wb")  # noqa: SIM115 - kept open across calls, closed in close()
            self.date, self.lines = date, 0
            self.writer.files += 1
        line = dumps(event)
        if truncate:
            if not self.lines:
                raise RuntimeError("a truncated line must not open a file")  # pragma: no cover
            line = line[: len(line) * 3 // 5]
        self.handle.write(line.encode() + b"\n")
        self.lines += 1
        self.writer.count("eventbridge")

    def close(self) -> None:
        """Close the last day's file."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None
