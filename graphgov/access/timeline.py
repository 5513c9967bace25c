"""Replaying policy states in time order: what each slot of each subject held at any moment.

Observations come from change events (one instant each: the change's time) and from snapshots (an
unchanged value seen by several pulls is one state observed at its first and last pull). The state
of a slot at time T is the one observed last at or before T. Before a slot's earliest observation
the slot is *absent* when the subject's creation was seen before T (a new role has no inline
policies), and otherwise *unknown*: the earliest known state is then used, flagged as extrapolated,
so a question can answer "unknown" rather than "granted".

A snapshot's `inventory` state lists the slots the subject had when it was taken; a slot missing from
it was absent at that observation.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

END_OF_TIME = "9999-12-31T23:59:59Z"
AFTER_ALL = "\U0010ffff"  # the open end of an interval: later than every time


@dataclass(frozen=True)
class State:
    """One PolicyState node, as the evaluator needs it."""

    id: str
    subject: str
    subject_type: str
    slot: str
    kind: str
    document: str | None
    target: str | None
    deleted: bool
    evidence: str
    observed: tuple[str, ...]  # the instants it was seen in force
    event_id: str | None = None  # the change event that set it (None for a snapshot)

    @classmethod
    def from_node(cls, attrs: Mapping[str, Any]) -> State:
        """The state of a PolicyState node; StateError names a node the timeline cannot place (a store
        written by another version or by hand may hold one): a missing key, a time that is not text."""
        try:
            if attrs.get("evidence") == "snapshot":
                observed = tuple(sorted({attrs["first_seen"], attrs["last_seen"]}))
            else:
                observed = (attrs.get("valid_from") or attrs["first_seen"],)
            state = cls(attrs["id"], attrs["subject"], attrs.get("subject_type") or "", attrs["slot"], attrs["kind"],
                        attrs.get("document"), attrs.get("target"), bool(attrs.get("deleted")),
                        attrs.get("evidence") or "event", observed, attrs.get("event_id"))
        except (KeyError, TypeError) as exc:
            raise StateError(f"policy state lacks {exc} or has an unorderable time") from exc
        for name in ("id", "subject", "subject_type", "slot", "kind", "evidence"):
            if not isinstance(getattr(state, name), str):
                raise StateError(f"policy state {name} is not text")
        for name in ("document", "target", "event_id"):
            if getattr(state, name) is not None and not isinstance(getattr(state, name), str):
                raise StateError(f"policy state {name} is not text")
        if not observed or not all(isinstance(t, str) and t for t in observed):
            raise StateError("policy state time is not an ISO-8601 text")
        return state

    def evidence_name(self) -> str:
        """How a report names what set this state: its event id, else the snapshot that saw it first."""
        return self.event_id or f"snapshot {self.observed[0]}"


class StateError(ValueError):
    """A PolicyState node the timeline cannot use (named, so derivation can quarantine it and go on)."""


@dataclass(frozen=True)
class Resolved:
    """A slot's state at some time: `state` None means absent; `extrapolated` means it was not known then."""

    state: State | None
    extrapolated: bool = False


_ABSENT = None


class Timeline:
    """Every slot of every subject, replayable at any time."""

    def __init__(self, states: Iterable[State]) -> None:
        self.states: dict[str, State] = {}
        obs: dict[tuple[str, str], list[tuple[str, int, str, State | None]]] = defaultdict(list)
        slots_of: dict[str, set[str]] = defaultdict(set)
        inventories: list[State] = []
        for state in states:
            self.states[state.id] = state
            if state.kind == "inventory":
                inventories.append(state)
                continue
            slots_of[state.subject].add(state.slot)
            value = None if state.deleted else state
            # at one instant an event (priority 1) outranks a snapshot (0): the change happened then
            priority = 1 if state.evidence == "event" else 0
            for instant in state.observed:
                obs[(state.subject, state.slot)].append((instant, priority, state.id, value))
        for inventory in inventories:
            present = set(_json_list(inventory.document))
            for slot in slots_of[inventory.subject] - present:
                for instant in inventory.observed:
                    obs[(inventory.subject, slot)].append((instant, 0, inventory.id, _ABSENT))
        self._obs = {key: sorted(values, key=lambda o: (o[0], o[1], o[2])) for key, values in obs.items()}
        self._times = {key: [o[0] for o in values] for key, values in self._obs.items()}
        self.slots_of = {subject: sorted(slots) for subject, slots in slots_of.items()}
        self.instants = sorted({o[0] for values in self._obs.values() for o in values})
        self.as_of = self.instants[-1] if self.instants else None
        self._frames: list[list[str]] = []  # the open `held` computations' intervals, innermost last

    # --- how long an answer holds ------------------------------------------------------------------

    def held(self, compute: Callable[[], T]) -> tuple[T, str, str]:
        """`compute()`, with the interval [start, end) of times over which every state it read stays the
        same: the same computation at any time in it gives the same answer, so it can be kept for all of
        them (graphgov.access.memo). Nested, the interval narrows the enclosing computation's too."""
        frame = ["", AFTER_ALL]
        self._frames.append(frame)
        try:
            value = compute()
        finally:
            self._frames.pop()
        self.rests_on(frame[0], frame[1])
        return value, frame[0], frame[1]

    def aside(self, compute: Callable[[], T]) -> T:
        """`compute()` at times of its own (not the time the enclosing computation asks about): what it reads
        does not narrow the enclosing interval."""
        self._frames.append(["", AFTER_ALL])
        try:
            return compute()
        finally:
            self._frames.pop()

    def rests_on(self, start: str, end: str) -> None:
        """The answer being computed holds only within [start, end) (a state read, or a kept answer used)."""
        if self._frames:
            frame = self._frames[-1]
            if start > frame[0]:
                frame[0] = start
            if end < frame[1]:
                frame[1] = end

    def _read_at(self, times: list[str], time: str) -> int:
        """bisect_right of `time` among a slot's observation times, narrowing the answer's interval to the
        stretch between the two observations around it."""
        index = bisect.bisect_right(times, time)
        if self._frames:
            self.rests_on(times[index - 1] if index else "", times[index] if index < len(times) else AFTER_ALL)
        return index

    def slot_at(self, subject: str, slot: str, time: str = END_OF_TIME) -> Resolved | None:
        """The slot's state at `time`; None when nothing at all is known of this slot."""
        values = self._obs.get((subject, slot))
        if not values:
            return None
        index = self._read_at(self._times[(subject, slot)], time)
        if index:
            return Resolved(values[index - 1][3])
        if slot != "lifecycle" and self.created_by(subject, time):
            return Resolved(_ABSENT)
        return Resolved(values[0][3], extrapolated=True)

    def created_by(self, subject: str, time: str) -> bool:
        """Whether the subject's creation was seen at or before `time` (so its slots started empty)."""
        values = self._obs.get((subject, "lifecycle"))
        if not values:
            return False
        self._read_at(self._times[(subject, "lifecycle")], time)
        return any(o[0] <= time and o[3] is not None and o[3].evidence == "event" for o in values)

    def before_window(self, time: str) -> bool:
        """Whether `time` is earlier than the first instant anything was observed at."""
        if not self.instants:
            return False
        self._read_at(self.instants[:1], time)
        return time < self.instants[0]

    def subject_at(self, subject: str, time: str = END_OF_TIME, prefix: str = "") -> dict[str, Resolved]:
        """Every slot of the subject (optionally those starting with `prefix`) at `time`."""
        out = {}
        for slot in self.slots_of.get(subject, ()):
            if slot.startswith(prefix):
                resolved = self.slot_at(subject, slot, time)
                if resolved is not None:
                    out[slot] = resolved
        return out

    def known(self, subject: str) -> bool:
        return subject in self.slots_of

    def histories(self) -> dict[tuple[str, str], list[tuple[str, str | None]]]:
        """Per (subject, slot): (instant, state id or None for absent) at each change of what `slot_at` answers,
        the earliest observation first (so equal histories give equal answers at every time)."""
        out: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        for key, values in self._obs.items():
            if key[1] == "lifecycle":  # `created_by` reads every observation
                out[key] = [(o[0], f"{o[1]}:{o[2]}") for o in values]
                continue
            # before the first instant the first observation in order is extrapolated
            history: list[tuple[str, str | None]] = [("", values[0][2] if values[0][3] is not None else None)]
            for index, (instant, _, state_id, value) in enumerate(values):
                if index + 1 < len(values) and values[index + 1][0] == instant:
                    continue  # at one instant the last observation in order is the one answered
                held = state_id if value is not None else None
                if len(history) == 1 or history[-1][1] != held:
                    history.append((instant, held))
            out[key] = history
        return out

    def validity(self) -> dict[str, dict[str, Any]]:
        """Per state id: `valid_to` (when the slot next changed) and `current` (in force at the end)."""
        out: dict[str, dict[str, Any]] = {}
        for values in self._obs.values():
            last_seen_of: dict[str, int] = {}
            for index, (_, _, state_id, _) in enumerate(values):
                last_seen_of[state_id] = index
            for state_id, index in last_seen_of.items():
                if state_id not in self.states or self.states[state_id].kind == "inventory":
                    continue
                following = next((o for o in values[index + 1:] if o[2] != state_id), None)
                out[state_id] = {"valid_to": following[0] if following else None,
                                 "current": following is None}
        return out


def _json_list(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except json.JSONDecodeError:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
