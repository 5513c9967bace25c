"""The one place a question's embedded twin is registered: `@answers("<question id>")` on its function.

The store finds a twin by question id here, never by the function's name; the family of a twin is the
module it is defined in (`graphgov.questions.embedded.<family>`), so no header or table repeats it.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx

from graphgov.stores.embedded_graph import GraphReads

Rows = list[dict[str, Any]]
Answer = Callable[[nx.MultiDiGraph, Mapping[str, Any]], Rows]

_TWINS: dict[str, Answer] = {}
_READS: dict[str, GraphReads] = {}


class RegistryError(Exception):
    """A question id registered twice: the store could not tell which twin answers it."""


def answers(question_id: str, reads: GraphReads) -> Callable[[Answer], Answer]:
    """Register the decorated function as the embedded twin of `cypher/<question_id>.cypher`. `reads`: what
    of the graph it walks (graphgov.stores.embedded_graph): the store builds the twin a graph of that alone,
    so a twin that walks an edge type or scans a label it does not declare misses it (the twin's answers on
    its graph and on the whole graph are held equal by tests/test_embedded_reads.py)."""

    def register(answer: Answer) -> Answer:
        if question_id in _TWINS:
            raise RegistryError(f"{question_id!r} is answered twice: by {_where(_TWINS[question_id])} "
                                f"and by {_where(answer)}")
        _TWINS[question_id] = _without_cyclic_gc(answer)
        _READS[question_id] = reads
        return answer

    return register


def _without_cyclic_gc(answer: Answer) -> Answer:
    """The twin with Python's cyclic garbage collector paused while it runs.

    The graph is millions of long-lived containers (300k nodes and 1M edges at a million records: ~8M objects),
    and a full collection walks them all: 0.3 s at 100k records, seconds at 1M, triggered by the very rows an
    answer allocates. Those rows hold no reference cycles (reference counting frees them), so nothing is
    left to collect that could not wait until the answer is back."""

    @functools.wraps(answer)
    def run(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
        if not gc.isenabled():
            return answer(graph, params)
        gc.disable()
        try:
            return answer(graph, params)
        finally:
            gc.enable()

    return run


def registered() -> Mapping[str, Answer]:
    """Every twin registered so far, by question id (import the family modules first: core does)."""
    return dict(_TWINS)


def reads_of() -> Mapping[str, GraphReads]:
    """What each registered twin reads of the graph, by question id."""
    return dict(_READS)


def family(answer: Answer) -> str:
    """The family of a twin: the name of the module it is defined in (`access`, `lineage`, ...)."""
    return answer.__module__.rpartition(".")[2]


def _where(answer: Answer) -> str:
    return f"{answer.__module__}.{answer.__qualname__}"
