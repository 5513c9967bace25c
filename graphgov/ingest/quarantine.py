"""The quarantine file: one JSON line per record a load could not use, redacted, each written once.

An entry is `{"location", "error", "record", "hash"}`. `hash` is the SHA-256 of the redacted record and
error (not the location: the same bad record reached through another file or wrapper is the same
entry; only an entry without a record, a read or pull that failed, is identified by its location),
so re-running a load over the same input does not grow the file. The hashes already in the
file are read when the first entry of a run is added (a set of 16-byte digest prefixes: memory grows
with the number of entries, never with their size). The run still counts every record it quarantined; `known`
says how many of them were in the file already.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import IO, Any

from graphgov.ingest.redaction import redact_credentials, redact_secrets

# Entries are written with sorted keys, so the top-level hash follows the error: `{"error": ..., "hash": ...`.
_OWN_LINE = re.compile(r'\{"error": "(?:[^"\\]|\\.)*", "hash": "([0-9a-f]{64})", "location": ')
_KEY_HEX = 32  # the first 128 bits of an entry's hash identify it in memory (collisions: negligible)


def entry_hash(error: str, record: Any, location: str | None = None) -> str:
    """The identity of a quarantine entry: its redacted record and error, wherever it was read. An entry
    without a record (a read or pull that failed: nothing was read) is about its location: it counts."""
    about = {"error": error, "record": record} if record is not None else {"error": error, "location": location}
    text = json.dumps(about, default=str, sort_keys=True)
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
        redacted_error, redacted_record = redact_credentials(str(error)), redact_secrets(record)
        redacted_location = redact_credentials(str(location))
        digest = entry_hash(redacted_error, redacted_record, redacted_location)
        key = bytes.fromhex(digest[:_KEY_HEX])
        if key in self._hashes:
            self.known += 1
            return
        self._hashes.add(key)
        entry = {"location": redacted_location, "error": redacted_error, "record": redacted_record,
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
            written = _OWN_LINE.match(line)  # our own lines: the hash without parsing the record
            if written:
                hashes.add(bytes.fromhex(written.group(1)[:_KEY_HEX]))
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line (a killed run): not an entry
            if not isinstance(entry, dict):
                continue
            digest = entry.get("hash")
            if not (isinstance(digest, str) and len(digest) == 64):
                digest = entry_hash(str(entry.get("error")), entry.get("record"), str(entry.get("location")))
            try:
                hashes.add(bytes.fromhex(digest[:_KEY_HEX]))
            except ValueError:
                continue
    return hashes
