"""Damaged JSON text read as far as it goes: every complete value, and each damaged stretch as one piece.

A text that is not one JSON document may be concatenated documents (Firehose writes `{...}{...}`), a
CloudTrail delivery file cut off mid-way, or a document with one corrupt record. `pieces` walks it once:

- top-level values are decoded one after another (`#0`, `#1`, ...);
- a value that does not decode and opens `{"Records": [` or `[` is read item by item, so the records
  before the damage still count (`#0#Records[3]`); a corrupt item whose brackets balance is one damaged
  piece and the items after it are read on; an item that never closes (the text was cut off), or
  within whose brackets a top-level value starts (a cut inside a string shifts the quotes), ends the
  document: the rest of it is one damaged piece, "truncated JSON after N records";
- after a damaged stretch reading resumes at the next top-level value: a `{` or `[` that is not a
  member or element of something (not after `:`, `,` or `[`), decodes, and is followed by the end of
  the text or by another value. A document cut off just after `:`, `,` or `[` therefore takes the
  next document with it into its damaged piece (kept in the quarantine, not lost).

Nesting deeper than the parser's recursion limit is damage like any other (named in the error).
Nothing here recurses: bracket depth is counted, never descended.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")
_CONTAINER_HEAD = re.compile(r'\{[ \t\n\r]*"Records"[ \t\n\r]*:[ \t\n\r]*\[|\[')
_OPENERS = re.compile(r"[{\[]")
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]', re.S)
_NESTED_AFTER = frozenset(":,[")


@dataclass(frozen=True)
class Piece:
    """One value (`error` None) or one damaged stretch (`text`, `error`), at `path` inside the text,
    spanning characters `start:end`."""

    path: str
    start: int
    end: int
    value: Any = None
    text: str | None = None
    error: str | None = None


def describe(exc: Exception) -> str:
    """What the decoder said, in words (a RecursionError names the nesting limit)."""
    if isinstance(exc, RecursionError):
        return "JSON nested deeper than the parser's recursion limit"
    return str(exc)


def decode(text: str, pos: int) -> tuple[Any, int] | str:
    """(value, end) of the JSON value at `pos`, or what is wrong with it."""
    try:
        return _DECODER.raw_decode(text, pos)
    except (json.JSONDecodeError, RecursionError) as exc:
        return describe(exc)


def _skip(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()  # type: ignore[union-attr] - `*` always matches


def _value_end(text: str, start: int) -> int | None:
    """Where the bracketed value opening at `start` closes, by bracket depth outside strings; None if never."""
    depth = 0
    for match in _TOKENS.finditer(text, start):
        token = match.group()
        if token in ("{", "["):
            depth += 1
        elif token in ("}", "]"):
            depth -= 1
            if depth == 0:
                return match.end()
    return None


def _restart(text: str, after: int, limit: int | None = None) -> int:
    """The next top-level value after `after` (see the module doc) and before `limit`, or the end."""
    pos, limit = after + 1, len(text) if limit is None else limit
    while (match := _OPENERS.search(text, pos, limit)) is not None:
        start = match.start()
        back = start - 1
        while back >= 0 and text[back] in " \t\n\r":
            back -= 1
        if back < 0 or text[back] not in _NESTED_AFTER:
            decoded = decode(text, start)
            if not isinstance(decoded, str):
                following = _skip(text, decoded[1])
                if following >= len(text) or text[following] in "{[":
                    return start
        pos = start + 1
    return len(text)


def pieces(text: str, suspect: Callable[[int, int], bool] | None = None) -> Iterator[Piece]:
    """Every top-level value of `text` and every damaged stretch, in order (see the module doc). A
    document that decodes but whose span `suspect` rejects (e.g. it holds undecodable bytes) is read
    item by item too, so the caller can reject just the item that holds the fault."""
    pos, index = _skip(text, 0), 0
    while pos < len(text):
        decoded = decode(text, pos)
        if not isinstance(decoded, str) and suspect is not None and suspect(pos, decoded[1]):
            decoded = "suspect"
        if not isinstance(decoded, str):
            value, end = decoded
            yield Piece(f"#{index}", pos, end, value=value)
            pos = end
        elif (head := _CONTAINER_HEAD.match(text, pos)) is not None:
            label = f"#{index}#Records" if head.group() != "[" else f"#{index}"
            pos = yield from _items(text, pos, head.end(), label)
        else:
            end = _restart(text, pos)
            yield Piece(f"#{index}", pos, end, text=text[pos:end], error=f"invalid JSON: {decoded}")
            pos = end
        pos, index = _skip(text, pos), index + 1


def _items(text: str, start: int, pos: int, label: str) -> Iterator[Piece]:
    """The items of the array opening before `pos` (a document starting at `start`); returns where
    reading goes on after the document."""
    count = 0
    while True:
        pos = _skip(text, pos)
        if count == 0 and text.startswith("]", pos):
            break
        item_start = pos
        decoded = decode(text, pos) if pos < len(text) else "the text ends"
        if isinstance(decoded, str):
            end = _value_end(text, pos) if text[pos:pos + 1] in ("{", "[") else None
            after = _skip(text, end) if end is not None else len(text)
            # A cut inside a string shifts the quotes, so the brackets may seem to close far away:
            # a top-level value starting inside the stretch means the item was cut off there.
            if end is None or text[after:after + 1] not in (",", "]") or _restart(text, pos, end) < end:
                tail = _tail(text, start, item_start, count, label, decoded)
                yield tail
                return tail.end
            yield Piece(f"{label}[{count}]", item_start, end, text=text[item_start:end],
                        error=f"invalid JSON in item {count}: {decoded}")
            pos = end
        else:
            value, pos = decoded
            yield Piece(f"{label}[{count}]", item_start, pos, value=value)
        count += 1
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos += 1
            continue
        if text.startswith("]", pos):
            break
        tail = _tail(text, start, pos, count, label, "no `,` or `]` after the item")
        yield tail
        return tail.end
    pos = _skip(text, pos + 1)  # past `]`
    if label.endswith("#Records"):  # `{"Records": [...]` closes with `}`
        if text.startswith("}", pos):
            return pos + 1
        end = _restart(text, pos - 1)  # the next document may start right here
        why = "unexpected text after the Records array" if end > pos else "no `}` closes the Records document"
        yield Piece(label, pos, end, text=text[pos:end], error=f"invalid JSON: {why}")
        return end
    return pos


def _tail(text: str, document: int, start: int, count: int, label: str, why: str) -> Piece:
    """The rest of a damaged document from `start` (from the `document` start when no item was read,
    then the piece is the document), as one piece; reading resumes at the next document."""
    path = f"{label}[{count}]"
    if count == 0:
        start, path = document, label.removesuffix("#Records")
    end = _restart(text, start)
    cut = "truncated" if end >= len(text) else "damaged"
    return Piece(path, start, end, text=text[start:end],
                 error=f"invalid JSON: {cut} JSON after {count} records ({why})")
