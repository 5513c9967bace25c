"""Bytes in, lines out: plain or gzip (several members back to back), read as far as the data goes.

A reader must count what a damaged file held, so nothing here raises on bad data: a gzip stream that
is cut off or corrupt yields every byte that decompressed before the damage, then `damage` says what
went wrong (None when the data ended well). Lines are bytes, split on `\\n` only, each with its byte
offset in the (decompressed) data; decoding is the caller's, line by line, so one bad byte costs one
line. Memory holds one chunk and one line at a time, whatever the file size.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Line:
    """One line without its `\\n`: `number` from 1, `offset` of its first byte, `ended` False for a
    last line the data stopped in (no newline)."""

    number: int
    offset: int
    data: bytes
    ended: bool


class ByteSource:
    """The data of one file or stream, decompressed when it is gzip; `damage` once it is read."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.damage: str | None = None
        self.size = 0  # bytes of data produced so far

    def chunks(self) -> Iterator[bytes]:
        """The data in chunks; a UTF-8 byte order mark at the very start is dropped."""
        first = self.raw.read(CHUNK)
        while 0 < len(first) < len(GZIP_MAGIC):  # a raw stream may return short reads
            more = self.raw.read(CHUNK)
            if not more:
                break
            first += more
        stream = self._gunzip(first) if first.startswith(GZIP_MAGIC) else self._plain(first)
        started = False
        for chunk in stream:
            if not started:
                started = True
                if chunk.startswith(UTF8_BOM):
                    chunk = chunk[len(UTF8_BOM):]
            self.size += len(chunk)
            if chunk:
                yield chunk

    def _plain(self, first: bytes) -> Iterator[bytes]:
        chunk = first
        while chunk:
            yield chunk
            chunk = self.raw.read(CHUNK)

    def _gunzip(self, first: bytes) -> Iterator[bytes]:
        member: zlib._Decompress | None = None  # the gzip member being read; None between members
        produced = 0
        data = first
        while data:
            if member is None:
                if not data.startswith(GZIP_MAGIC[: len(data)]):
                    if data.strip(b"\x00"):  # zero padding after the last member is tolerated, as gzip does
                        self.damage = (f"cannot read: corrupt gzip: {len(data)} bytes that are not gzip "
                                       f"after {produced} bytes of data")
                        return
                    data = self.raw.read(CHUNK)
                    continue
                member = zlib.decompressobj(zlib.MAX_WBITS | 16)
            while True:  # output is bounded per call (CHUNK), so a small bomb cannot fill memory at once
                try:
                    out = member.decompress(data, CHUNK)
                except zlib.error as exc:
                    self.damage = f"cannot read: corrupt gzip after {produced} bytes of data: {exc}"
                    return
                produced += len(out)
                if out:
                    yield out
                data = member.unconsumed_tail
                if member.eof or (len(out) < CHUNK and not data):
                    break
            if member.eof:
                data, member = member.unused_data, None
            if not data:
                data = self.raw.read(CHUNK)
        if member is not None:
            self.damage = f"truncated gzip: the data stops after {produced} bytes, before the end of its gzip stream"

    def lines(self) -> Iterator[Line]:
        """Every line of the data, blank ones too."""
        number, offset, parts = 0, 0, []
        for chunk in self.chunks():
            start = 0
            while (cut := chunk.find(b"\n", start)) >= 0:
                parts.append(chunk[start:cut])
                data, parts = b"".join(parts), []
                number += 1
                yield Line(number, offset, data, True)
                offset += len(data) + 1
                start = cut + 1
            if start < len(chunk):
                parts.append(chunk[start:])
        if parts:
            yield Line(number + 1, offset, b"".join(parts), False)
