"""The derivation marker: what the last derivation read (digests) and found (summary), and which loads have
written evidence since, kept in the store as one checkpoint so it commits with the graph.

A load registers itself (`register`) before its first write of evidence; the derivation that ends it takes
it off (`recorded`, written with the derived edges). A load whose evidence is all duplicates writes nothing
and registers nothing: when no other load is registered either, everything the store holds was derived
already, and the load skips the derivation (graphgov.access.incremental). A load that crashed stays
registered, so the loads after it derive again; a registration older than STALE_SECONDS is dropped.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.touched import Touched
from graphgov.stores.base import DERIVATION_MARKER, DerivedEdge, Store

CHECKPOINT = DERIVATION_MARKER
STALE_SECONDS = 24 * 3600.0


@dataclass
class Marker:
    pending: dict[str, float] = field(default_factory=dict)  # load id -> when it registered (epoch seconds)
    summary: dict[str, Any] | None = None  # the last derivation's summary (AccessSummary.as_dict)
    digests: dict[str, str] | None = None  # what it read (graphgov.access.fingerprint)
    edges: str | None = None  # what it wrote: `pack`ed derived edges, to put back what a pending layer drops
    # what the steps before it (replicas, access points: graphgov.ingest.scoped) found, when they completed on the
    # graph as it was, no other load writing: the next load scopes them to what it writes (None: whole graph)
    steps: dict[str, Any] | None = None

    def as_text(self) -> str:
        return json.dumps({"pending": self.pending, "summary": self.summary, "digests": self.digests,
                           "edges": self.edges, "steps": self.steps}, sort_keys=True, separators=(",", ":"))


def pack(edges: Iterable[DerivedEdge]) -> str:
    """Derived edges as compressed text (a store keeps them as one checkpoint value)."""
    rows = sorted([e.type, list(e.src), list(e.dst), dict(e.props)] for e in edges)
    return base64.b64encode(zlib.compress(json.dumps(rows, sort_keys=True).encode(), 6)).decode()


def unpack(text: str) -> list[DerivedEdge]:
    rows = json.loads(zlib.decompress(base64.b64decode(text)))
    return [DerivedEdge(t, (src[0], src[1]), (dst[0], dst[1]), props) for t, src, dst, props in rows]


def read(store: Store) -> Marker:
    """The marker as committed; an empty one when there is none or it cannot be read (derive everything)."""
    text = store.checkpoint(CHECKPOINT)
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        value = {}
    if not isinstance(value, dict):
        value = {}
    pending = value.get("pending") if isinstance(value.get("pending"), dict) else {}
    summary = value.get("summary") if isinstance(value.get("summary"), dict) else None
    digests = value.get("digests") if isinstance(value.get("digests"), dict) else None
    edges = value.get("edges") if isinstance(value.get("edges"), str) else None
    steps = value.get("steps") if isinstance(value.get("steps"), dict) else None
    return Marker(dict(pending), summary, digests, edges, steps)


def _write(store: Store, marker: Marker) -> None:
    store.write(Aggregate(), {}, {CHECKPOINT: marker.as_text()})


def register(store: Store, run: str) -> dict[str, Any] | None:
    """Note that load `run` is about to write evidence (under the store's derivation turn: no lost update). Returns
    the steps' record (`Marker.steps`) when the graph is as they left it (no other load registered), else None;
    the record is taken off, so a load registering after this one finds none and derives the whole graph."""
    with store.derivation():
        marker = read(store)
        base = marker.steps if not marker.pending else None
        marker.pending[run] = time.time()
        marker.steps = None
        _write(store, marker)
    return base


def record_steps(store: Store, run: str, steps: dict[str, Any]) -> None:
    """Keep what the steps found after load `run`'s evidence, when no other load is registered (else nothing:
    the next load derives the whole graph)."""
    with store.derivation():
        marker = read(store)
        if set(marker.pending) == {run}:
            marker.steps = steps
            _write(store, marker)


def recorded(store: Store, digests: dict[str, str], summary: dict[str, Any], run: str | None = None,
             edges: Iterable[DerivedEdge] = ()) -> dict[str, str]:
    """The checkpoint a derivation writes with its edges: what it read and found; `run`, the load it ends, is
    no longer pending (nor is a registration older than STALE_SECONDS). While another load is still registered
    it was writing evidence as this derivation read the graph: the digests are left out, so the next derivation
    is a full one (two loads at once lost derived edges when the second derived incrementally from them)."""
    marker = read(store)
    now = time.time()
    pending = {k: v for k, v in marker.pending.items() if k != run and now - float(v) < STALE_SECONDS}
    return {CHECKPOINT: Marker(pending, summary, None if pending else digests, pack(edges),
                               marker.steps if not pending else None).as_text()}


class LoadWrites:
    """Whether a load wrote evidence; registered in the marker before its first write (see `register`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.run = uuid.uuid4().hex
        self.rows = 0
        self.registered = False
        self.base: dict[str, Any] | None = None  # the steps' record before this load wrote (register)
        self.touched = Touched()  # what this load wrote that the steps read, while `base` stands

    def note(self, aggregate: Aggregate, pending: Sequence[Any] | None = None) -> None:
        """Called before each evidence write with what it writes (the aggregate, the pending copies)."""
        rows = len(aggregate) + len(pending or ())
        if rows and not self.registered:
            self.base = register(self.store, self.run)
            self.registered = True
        self.rows += rows
        if self.base is not None:
            self.touched.add(aggregate)
            if pending:
                self.touched.add(Aggregate().extend(pending))
