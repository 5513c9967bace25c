"""The quarantine file: one JSON line per record a load could not use, redacted, each written once.

An entry is `{"location", "error", "record", "hash"}`. `hash` is the SHA-256 of the redacted record and
error (not the location: the same bad record reached through another file or wrapper is the same
entry), so re-running a load over the same input does not grow the file. The hashes already in the
file are read when the first entry of a run is added (a set of 32-byte digests: memory grows with the
file's entries, never with their size). The run still counts every record it quarantined; `known`
says how many of them were in the file already.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import IO, Any

from graphgov.redaction import redact_secrets, redact_text


def entry_hash(error: str, record: Any) -> str:
    """The identity of a quarantine entry: its redacted record and error, wherever it was read."""
    text = json.dumps({"error": error, "record": record}, default=str, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Quarantine:
    """Appends each unloadable record, redacted, with its location, error and hash, as one JSON line."""

    def __init__(self, path: Path):
        self.path = path
        self.known = 0  # records of this run whose entry the file already held
        self._handle: IO[str] | None = None
        self._hashes: set[bytes] | None = None

    def add(self, location: str, error: str, record: Any) -> None:
        """Write the entry unless the file already holds it (same record and error)."""
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._hashes = _read_hashes(self.path)
            self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open across records
            if _torn(self.path):  # a killed run's half line: the next entry starts on a line of its own
                self._handle.write("\n")
        assert self._hashes is not None
        redacted_error, redacted_record = redact_text(str(error)), redact_secrets(record)
        digest = entry_hash(redacted_error, redacted_record)
        key = bytes.fromhex(digest)
        if key in self._hashes:
            self.known += 1
            return
        self._hashes.add(key)
        entry = {"location": redact_text(str(location)), "error": redacted_error, "record": redacted_record,
                 "hash": digest}
        self._handle.write(json.dumps(entry, default=str, sort_keys=True) + "\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _torn(path: Path) -> bool:
    """Whether the file ends inside a line."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            return False
        handle.seek(-1, 2)
        return handle.read(1) != b"\n"


def _read_hashes(path: Path) -> set[bytes]:
    """The hashes of the entries in an existing quarantine file (older entries without one: computed)."""
    hashes: set[bytes] = set()
    if not path.exists():
        return hashes
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line (a killed run): not an entry
            if not isinstance(entry, dict):
                continue
            digest = entry.get("hash")
            if not (isinstance(digest, str) and len(digest) == 64):
                digest = entry_hash(str(entry.get("error")), entry.get("record"))
            try:
                hashes.add(bytes.fromhex(digest))
            except ValueError:
                continue
    return hashes
