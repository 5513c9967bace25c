"""The one place files are written: paths under the output root, the record and file counts, and the
random bytes and UUIDs the delivery formats need (drawn from the run's generator, in call order)."""

from __future__ import annotations

import os
from pathlib import Path
from random import Random

from graphgov.generate.constants import KINDS


class Batch:
    """Records held for one delivery file (an SQS receive, an invocation-log object or payload)."""

    __slots__ = ("items", "start", "target", "first_t")

    def __init__(self, start: int, target: int, first_t: int) -> None:
        self.items: list[str] = []
        self.start, self.target, self.first_t = start, target, first_t


class FileWriter:
    """Writes whole files and counts records per kind; memory stays bounded whatever the run length."""

    def __init__(self, outdir: Path, rng: Random) -> None:
        self.root, self.rng = str(outdir), rng
        self.counts = dict.fromkeys(KINDS, 0)
        self.n = 0  # records written so far, all kinds
        self.files = 0
        self._dirs: set[str] = set()

    def count(self, kind: str, k: int = 1) -> None:
        """Count `k` records of a kind (the run's clock advances with them)."""
        self.counts[kind] += k
        self.n += k

    def write(self, relative: str, data: bytes) -> None:
        """Write a whole file, creating its directory once."""
        path = os.path.join(self.root, relative)  # plain strings: no pathlib work per file
        parent = os.path.dirname(path)
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            if len(self._dirs) > 256:  # a cache only: bounded whatever the run length
                self._dirs.clear()
            self._dirs.add(parent)
        with open(path, "wb") as handle:
            handle.write(data)
        self.files += 1

    def hex(self, nbytes: int) -> str:
        """`nbytes` random bytes as hex (ids, signatures)."""
        return self.rng.randbytes(nbytes).hex()

    def uuid(self) -> str:
        """A UUID v4 drawn from the run's generator."""
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"
