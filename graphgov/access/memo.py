"""Answers kept for as long as the states they rest on hold.

Who could assume a role, whether a principal may read a dataset: the derivation asks these at the start time of
every training job, thousands of times, while the policy states they read change rarely. A state epoch (any
state anywhere changing) is far too fine a key at scale: at 10M records the timeline has 10,092 instants and the
jobs start in 2,500 different epochs. So each answer is kept with the interval of times over which every state
it read stays the same (graphgov.access.timeline.Timeline.held), and serves any later question at a time inside
that interval. A kept answer used inside another computation narrows that one's interval in turn.

`GRAPHGOV_CHECK_HELD=1` recomputes every kept answer it would serve and fails if the two differ: the tests run
derivations so, to catch a time-dependent read that does not go through the timeline.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from graphgov.access.timeline import Timeline

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class HeldAnswers(Generic[K, T]):
    """Per key, answers with the interval [start, end) each holds over, found by time."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self._starts: dict[K, list[str]] = {}
        self._kept: dict[K, list[tuple[str, T]]] = {}  # aligned with _starts: (end, answer)
        self.check = os.environ.get("GRAPHGOV_CHECK_HELD") == "1"

    def get(self, key: K, time: str, compute: Callable[[], T]) -> T:
        """The answer at `time`: a kept one whose interval holds `time`, else `compute()` (then kept)."""
        starts = self._starts.get(key)
        if starts is None:
            starts, kept = self._starts[key], self._kept[key] = [], []
        else:
            kept = self._kept[key]
            index = bisect.bisect_right(starts, time) - 1
            if index >= 0 and time < kept[index][0]:
                end, answer = kept[index]
                if self.check:
                    fresh = self.timeline.aside(compute)
                    if fresh != answer:
                        raise AssertionError(f"kept answer for {key!r} at {time} differs: {answer!r} != {fresh!r}")
                self.timeline.rests_on(starts[index], end)
                return answer
        answer, start, end = self.timeline.held(compute)
        index = bisect.bisect_right(starts, start)
        starts.insert(index, start)
        kept.insert(index, (end, answer))
        return answer
