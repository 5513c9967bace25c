"""Fitting a text table into a terminal's width: which columns show, how wide each is, how a cell is cut.

Widths are display cells (wcwidth: a CJK character or an emoji takes two, a combining accent none), so a
table of any script lines up. The width is shared fairly (max-min): columns narrower than their share keep
their whole width, and what they leave is shared again among the wider ones, which are cut. A column that
would get less than MIN_CUT_WIDTH cells shows too little to be read, so the rightmost columns are left out
instead until the rest fit. Cells are cut in the middle, because the values are mostly ARNs and S3 paths
whose head says which service and account and whose tail names the thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import wcwidth

ELLIPSIS = "…"
GAP = "  "  # between columns
MIN_CUT_WIDTH = 20


@dataclass(frozen=True)
class Fit:
    """How a table fits: the width of each column shown (the first `len(widths)` columns)."""

    widths: tuple[int, ...]
    natural: tuple[int, ...]  # the width each column would need, for every column

    @property
    def left_out(self) -> int:
        return len(self.natural) - len(self.widths)

    @property
    def cut(self) -> bool:
        return any(w < n for w, n in zip(self.widths, self.natural, strict=False))


def display_width(text: str) -> int:
    """Terminal cells `text` takes; ASCII (most ARNs, once control characters are spaces) and the ellipsis take
    one cell each, measured without wcwidth because a table may have 100,000 cells."""
    return len(text) if text.isascii() or text.replace(ELLIPSIS, "").isascii() else wcwidth.width(text)


def fit_columns(natural: list[int], width: int | None) -> Fit:
    """Share `width` cells among columns that would need `natural` cells each (None: no limit)."""
    if width is None:
        return Fit(tuple(natural), tuple(natural))
    for shown in range(len(natural), 0, -1):
        widths = _share(natural[:shown], width - len(GAP) * (shown - 1))
        readable = all(w >= min(n, MIN_CUT_WIDTH) for w, n in zip(widths, natural, strict=False))
        if readable or shown == 1:
            return Fit(tuple(widths), tuple(natural))
    return Fit((), tuple(natural))  # no column at all


def _share(natural: list[int], room: int) -> list[int]:
    """Max-min fair shares of `room`: the narrowest columns first take what they need up to an equal share."""
    widths = list(natural)
    left = max(room, len(natural))  # at least one cell each
    order = sorted(range(len(natural)), key=lambda i: natural[i])
    for done, i in enumerate(order):
        widths[i] = min(natural[i], left // (len(natural) - done))
        left -= widths[i]
    return widths


def cut_middle(text: str, width: int) -> str:
    """`text` in at most `width` cells: head … tail, the tail getting the odd cell."""
    if display_width(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    tail_room = (width - 1) - (width - 1) // 2
    if text.isascii():
        return text[:(width - 1) // 2] + ELLIPSIS + text[len(text) - tail_room:]
    head = _take(wcwidth.iter_graphemes(text), (width - 1) // 2)
    tail = _take(wcwidth.iter_graphemes_reverse(text), tail_room)
    return "".join(head) + ELLIPSIS + "".join(reversed(tail))


def cut_end(text: str, width: int) -> str:
    """`text` in at most `width` cells: head…, for column names."""
    if display_width(text) <= width:
        return text
    if width < 1:
        return ""
    head = text[:width - 1] if text.isascii() else "".join(_take(wcwidth.iter_graphemes(text), width - 1))
    return head + ELLIPSIS


def pad(text: str, width: int) -> str:
    """`text` followed by spaces up to `width` display cells."""
    return text + " " * max(0, width - display_width(text))


def _take(graphemes: Iterable[str], room: int) -> list[str]:
    taken: list[str] = []
    used = 0
    for grapheme in graphemes:
        cells = display_width(grapheme)
        if used + cells > room:
            break
        taken.append(grapheme)
        used += cells
    return taken
