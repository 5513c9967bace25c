"""Load: read -> parse -> de-duplicate -> aggregate -> write, in chunks, with an account of every record.

Every record read ends in exactly one bucket: loaded, skipped (with a named reason) or quarantined
(written, redacted and once, to the quarantine file: graphgov.ingest.quarantine, graphgov.ingest.redaction).
`records == loaded + sum(skipped) + quarantined`. A record whose event time lies outside the load's
window (graphgov.core.times.TimeWindow: 2013 to the reference time + 1 day) is skipped as `implausible_time`.
Skips a loader or reader decides also count the record's event name per reason (`skipped_events`), so
the summary can say which events the model does not cover.

De-duplication works at two levels. A record whose `eventID` was loaded before (CloudTrail delivers
some twice; a file may be loaded again) is skipped as `duplicate`. The two copies of one cross-account
call (different `eventID`s, same `sharedEventID`) are one action: the richer copy (the one naming the
caller by ARN) is loaded, the other is skipped as `shared_event_copy`, whatever order the files come in
within one run (the poorer copies wait on disk until the run's end). Across runs too: a poorer copy
no richer copy claimed by the run's end is loaded as pending (graphgov.ingest.pending), which a later run's
richer copy replaces exactly; a richer copy loaded in an earlier run stands. A chunk's keys are
claimed when it is written (`Store.write_claimed`): when another load wrote some of them since
`unseen` answered, the chunk is decided again, so each event counts once.
"""

from __future__ import annotations

import pickle
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from graphgov.access import marker as markers
from graphgov.access.derivation import AccessSummary
from graphgov.access.incremental import derive_after_load, nothing_new, unchanged
from graphgov.access.marker import LoadWrites
from graphgov.core.delta import GraphDelta
from graphgov.core.times import IMPLAUSIBLE_TIME, TimeWindow
from graphgov.ingest.access_points import resolve_access_points
from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.decide import Outcome, Quarantined, Skipped, decide
from graphgov.ingest.decide import event_name as event_name  # re-exported: callers import it from here
from graphgov.ingest.decide import parse_record as parse_record  # re-exported
from graphgov.ingest.file_loads import collecting_less, load_files
from graphgov.ingest.pending import is_pending
from graphgov.ingest.progress import Progress, current
from graphgov.ingest.quarantine import Quarantine
from graphgov.ingest.readers import RawRecord
from graphgov.ingest.redaction import redact_secrets as redact_secrets  # re-exported: callers import it from here
from graphgov.ingest.replication import derive_replicas
from graphgov.ingest.touched import StepScope
from graphgov.stores.base import SeenConflict, Store, StoreError

CHUNK_RECORDS = 5000
CLAIM_ATTEMPTS = 50  # a chunk decided again after another load claimed some of its events first
TOP_SKIPPED_EVENTS = 10  # event names listed per skip reason


@dataclass
class LoadSummary:
    records: int = 0
    loaded: int = 0
    skipped: Counter = field(default_factory=Counter)
    quarantined: int = 0
    files: int = 0
    files_skipped: int = 0  # files loaded before, not read again (graphgov.ingest.file_loads)
    nodes: int = 0
    edges: int = 0
    quarantine_file: str | None = None
    quarantine_known: int = 0  # of the records quarantined, those whose entry the file held already
    reference_time: str | None = None  # the load's start: times after it + 1 day are implausible
    access: dict[str, Any] | None = None  # what the access derivation that follows every load found
    skipped_events: dict[str, Counter] = field(default_factory=dict)  # reason -> event name -> records

    def skip(self, reason: str, event: str | None = None) -> None:
        """Count one skipped record under `reason`, and its event name when it has one."""
        self.skipped[reason] += 1
        if event:
            self.skipped_events.setdefault(reason, Counter())[event] += 1

    def top_skipped_events(self, limit: int = TOP_SKIPPED_EVENTS) -> dict[str, list[dict[str, Any]]]:
        """Per skip reason, its most frequent event names: count descending, then name (deterministic)."""
        return {reason: [{"event": name, "count": count}
                         for name, count in sorted(names.items(), key=lambda item: (-item[1], item[0]))[:limit]]
                for reason, names in sorted(self.skipped_events.items()) if names}

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "loaded": self.loaded,
            "skipped": dict(sorted(self.skipped.items())),
            "skipped_events": self.top_skipped_events(),
            "quarantined": self.quarantined,
            "files": self.files,
            "files_skipped": self.files_skipped,
            "nodes": self.nodes,
            "edges": self.edges,
            "quarantine_file": self.quarantine_file,
            "quarantine_known": self.quarantine_known,
            "reference_time": self.reference_time,
            "access": self.access,
        }

    @property
    def balanced(self) -> bool:
        return self.records == self.loaded + sum(self.skipped.values()) + self.quarantined


class _Deferred:
    """Poorer copies of shared actions, spilled to a temporary file until the run's end.

    The role owner's copy of a cross-account call names only the caller's account; the caller's copy
    names the caller. Loading whichever comes first would make attribution depend on file order, so
    poorer copies wait (on disk: memory stays flat) and load at the end, as pending copies
    (graphgov.ingest.pending), only if no richer copy of their action arrived during the run.
    """

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None

    @property
    def pending(self) -> bool:
        return self._file is not None

    def add(self, delta: GraphDelta) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives until the load ends
        pickle.dump(delta, self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def drain(self) -> Iterator[GraphDelta]:
        if self._file is None:
            return
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)  # noqa: S301 - our own spill file
            except EOFError:
                break
        self._file.close()
        self._file = None


class _Chunk:
    """Parsed deltas waiting to be de-duplicated and written together."""

    def __init__(self, deferred: _Deferred | None = None, settle: bool = False,
                 writes: LoadWrites | None = None) -> None:
        self.deltas: list[GraphDelta] = []
        self.deferred = deferred
        self.settle = settle  # the run's last chunk: poorer copies no richer copy claimed become pending
        self.writes = writes  # told what each write holds, before it (graphgov.access.marker)

    def flush(self, store: Store, summary: LoadSummary, markers: Mapping[str, str] | None = None,
              checkpoints: Mapping[str, str] | None = None) -> None:
        """Write the chunk, with the completion markers and checkpoints that must commit together with it."""
        if not self.deltas and not self.settle:
            if markers or checkpoints:
                store.write(Aggregate(), dict(markers or {}), checkpoints)
            return
        chosen: dict[str, GraphDelta] = {}
        for delta in self.deltas:  # per action, keep the richest copy (then the smallest event id)
            best = chosen.get(delta.action_key)
            if best is None or (delta.rank, delta.event_key) < (best.rank, best.event_key):
                chosen[delta.action_key] = delta
        keys = {k for d in self.deltas for k in (d.event_key, d.action_key)}
        for _attempt in range(CLAIM_ATTEMPTS):
            outcome = self._decide(chosen, store.unseen(keys))
            claims = set(outcome.seen)  # every key decided on here was unseen: claim them all
            if self.writes is not None:
                self.writes.note(outcome.aggregate, outcome.pending)
            try:
                if self.settle:  # the pending layer is settled again in this write (graphgov.ingest.pending)
                    store.write_claimed(outcome.aggregate, {**outcome.seen, **(markers or {})}, claims, checkpoints,
                                        pending=outcome.pending)
                else:
                    store.write_claimed(outcome.aggregate, {**outcome.seen, **(markers or {})}, claims, checkpoints)
            except SeenConflict:
                continue  # another load wrote some of these events meanwhile: decide again
            break
        else:
            raise StoreError(f"another load kept writing the same events: {CLAIM_ATTEMPTS} attempts failed")
        for reason, count in outcome.skipped.items():
            summary.skipped[reason] += count
        summary.loaded += outcome.loaded
        for delta in outcome.deferred:
            self.deferred.add(delta)  # type: ignore[union-attr] - only decided when there is one
        self.deltas = []

    def _decide(self, chosen: Mapping[str, GraphDelta], unseen: set[str]) -> _Outcome:
        outcome = _Outcome()
        loaded_events: set[str] = set()
        for delta in self.deltas:
            winner = chosen[delta.action_key]
            if delta.event_key not in unseen or delta.event_key in loaded_events:
                outcome.skipped["duplicate"] += 1
            elif delta is not winner or delta.action_key not in unseen:
                outcome.skipped["shared_event_copy"] += 1
                outcome.seen[delta.event_key] = delta.day
            elif self.deferred is not None and is_pending(delta):
                outcome.deferred.append(delta)  # a richer copy may still come later in this run
            elif self.settle and is_pending(delta):  # ... or in a later run: loaded as pending
                outcome.pending.append(delta)
                loaded_events.add(delta.event_key)
                outcome.seen[delta.event_key] = delta.day  # its action stays unclaimed for the richer copy
                outcome.loaded += 1
            else:
                outcome.aggregate.add(delta)
                loaded_events.add(delta.event_key)
                outcome.seen[delta.event_key] = delta.day
                outcome.seen[delta.action_key] = delta.day
                outcome.loaded += 1
        return outcome


@dataclass
class _Outcome:
    """What one chunk would write, decided against one `unseen` answer (nothing applied yet)."""

    aggregate: Aggregate = field(default_factory=Aggregate)
    seen: dict[str, str] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    deferred: list[GraphDelta] = field(default_factory=list)
    pending: list[GraphDelta] = field(default_factory=list)
    loaded: int = 0


class LoadRun:
    """One load: the chunk being filled, the poorer copies held back, the quarantine and the account.

    Pullers drive it directly: `add_raw` / `add_delta` per record, `mark_done` per unit read (an S3
    object, a log page), `set_checkpoint` for their position, `flush` before acknowledging a source
    (an SQS delete), `finish` once, `close` always, then `result()`. Markers and checkpoints are
    written in the same store write as (or after) the records added before them, never before.
    """

    def __init__(self, store: Store, quarantine_path: Path, chunk_records: int,
                 reference_time: datetime | str | None = None, progress: Progress | None = None) -> None:
        self.store = store
        self.progress = progress if progress is not None else current()  # a pull's: graphgov.ingest.progress
        self.units = self.listed = 0  # units marked done and listed to be read, for the progress display
        self.chunk_records = chunk_records
        self.window = TimeWindow.at(reference_time)  # raises ValueError on an unreadable reference time
        self.summary = LoadSummary(quarantine_file=str(quarantine_path), reference_time=self.window.reference)
        self.quarantine = Quarantine(quarantine_path)
        self.deferred = _Deferred()
        self.writes = LoadWrites(store)  # whether the derivation has anything new to derive
        self.chunk = _Chunk(self.deferred, writes=self.writes)
        self.last_checkpoint = time.monotonic()
        self.markers: dict[str, str] = {}
        self.checkpoints: dict[str, str] = {}
        self.memberships: dict[str, str] = {}
        self.records_known: int | None = None  # quarantine entries of records already there, before derivation's

    def add_raw(self, raw: RawRecord) -> None:
        _account(raw, self.chunk, self.summary, self.quarantine, self.memberships, self.window)
        self._maybe_flush()

    def add_outcome(self, outcome: Outcome) -> None:
        """A record decided where it was read (graphgov.ingest.decide: maybe in a parse worker)."""
        _apply(outcome, self.chunk, self.summary, self.quarantine)
        self._maybe_flush()

    def add(self, item: GraphDelta | RawRecord) -> None:
        """A delta a puller built, or a RawRecord for what it could not turn into one (skip or error)."""
        if isinstance(item, GraphDelta):
            self.add_delta(item)
        else:
            self.add_raw(item)

    def add_delta(self, delta: GraphDelta) -> None:
        self.summary.records += 1
        if not self.window.plausible(delta.time):
            self.summary.skip(IMPLAUSIBLE_TIME, delta.source)
            return
        self.chunk.deltas.append(delta)
        self._maybe_flush()

    def mark_done(self, key: str, day: str) -> None:
        """Record a unit of input (an S3 object, a page) as loaded once everything added so far is written."""
        self.markers[key] = day
        if self.progress is not None:
            self.units += 1
            self.progress.update(self.summary.records, units=self.units)

    def mark_read(self, key: str, day: str) -> None:
        """`mark_done` without a progress report: a local file read whole (graphgov.ingest.file_loads)."""
        self.markers[key] = day

    def list_units(self, count: int) -> None:
        """A puller found `count` more units to read (S3 objects in a listing): the progress display's "of N"."""
        if self.progress is not None and count:
            self.listed += count
            self.progress.update(self.summary.records, listed=self.listed)

    def set_checkpoint(self, name: str, value: str) -> None:
        """Move a puller's position, written with (never before) the records added so far."""
        self.checkpoints[name] = value

    def _take_markers(self) -> tuple[dict[str, str], dict[str, str]]:
        # Poorer copies held back for the run's end may belong to a unit already read: its marker
        # then waits for them, so a crash can never leave a unit marked loaded with records unwritten.
        if self.deferred.pending:
            return {}, {}
        taken = (self.markers, self.checkpoints)
        self.markers, self.checkpoints = {}, {}
        return taken

    def _maybe_flush(self) -> None:
        if len(self.chunk.deltas) >= self.chunk_records:
            self.chunk.flush(self.store, self.summary, *self._take_markers())
            if self.progress is not None:
                self.progress.update(self.summary.records)
            if time.monotonic() - self.last_checkpoint > self.store.checkpoint_seconds:
                self.store.commit()
                self.last_checkpoint = time.monotonic()

    def flush(self) -> None:
        """Write what was added so far (a puller calls it before an acknowledgement, e.g. an SQS delete)."""
        self.chunk.flush(self.store, self.summary, *self._take_markers())
        self.store.commit()

    def finish(self) -> None:
        if self.progress is not None:
            self.progress.phase("deriving access")
        self.chunk.flush(self.store, self.summary, *self._take_markers())
        final = _Chunk(settle=True, writes=self.writes)  # poorer copies no richer copy claimed: pending
        for delta in self.deferred.drain():
            final.deltas.append(delta)
            if len(final.deltas) >= self.chunk_records:
                final.flush(self.store, self.summary)
        final.flush(self.store, self.summary, *self._take_markers())  # always: settles the pending layer
        # the evidence, with the files' and objects' markers, is durable before the derivation starts: a load
        # killed while deriving (a 10M-record one spends minutes there) keeps what it read, and the next load
        # derives the whole graph (this run's registration is still pending: graphgov.access.marker)
        self.store.commit()
        try:  # derived access depends on the whole graph: recomputed once the evidence is in
            self.summary.access = self._derive()
        finally:
            self.store.commit()

    def _derive(self) -> dict[str, Any]:
        """Every derivation step, each contained: a failure is named in the summary's `access` section (the
        evidence stays loaded, and the next load derives again from the whole graph), so no record, policy
        or bug in a derivation can make a store refuse later loads. Policy states that cannot be evaluated
        are written to the quarantine with their evidence (subject, slot, the event that set them, error)."""
        last = nothing_new(self.store, bool(self.writes.rows))
        if last is not None:  # nothing written since the last derivation: its answers stand
            return unchanged(last)
        failed: list[str] = []
        # the steps derive only what this load wrote when the last derivation left them a record of the graph as
        # it was, and no other load has written since (graphgov.access.marker.register); else the whole graph
        base = self.writes.base if set(markers.read(self.store).pending) == {self.writes.run} else None
        scope = StepScope(base, self.writes.touched)
        for name, step in (("access points", resolve_access_points),  # data named by access point -> its bucket
                           ("replicas", derive_replicas)):  # objects the replication rules in force copied
            try:
                step(self.store, scope)
            except Exception as exc:  # noqa: BLE001 - contained: the load and the other steps go on
                failed.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
        if not failed and self.writes.registered:
            markers.record_steps(self.store, self.writes.run, scope.record)
        try:
            with self.store.derivation():  # concurrent Neo4j loads: whole derivations take turns
                derived = derive_after_load(self.store, self.writes.run if self.writes.registered else None)
        except Exception as exc:  # noqa: BLE001 - contained: earlier derived edges stay until a derivation succeeds
            failed.append(f"access: {type(exc).__name__}: {exc}"[:300])
            derived = AccessSummary()
        self.records_known = self.quarantine.known  # `quarantine_known` counts records, not policy states
        for entry in derived.quarantined:
            self.quarantine.add(f"policy-state:{entry['state']}", f"policy state not evaluated: {entry['error']}",
                                entry)
        access = derived.as_dict()
        if failed:
            access["failed"] = failed
        return access

    def close(self) -> None:
        self.quarantine.close()

    def result(self) -> LoadSummary:
        self.summary.quarantine_known = self.quarantine.known if self.records_known is None else self.records_known
        if self.summary.quarantined == 0 and not (self.summary.access or {}).get("quarantined"):
            self.summary.quarantine_file = None
        self.summary.nodes, self.summary.edges = self.store.totals()
        return self.summary


def load_paths(
    paths: Iterable[str | Path],
    store: Store,
    quarantine_path: Path,
    chunk_records: int = CHUNK_RECORDS,
    reference_time: datetime | str | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    skip_loaded: bool = False,
) -> LoadSummary:
    """Load every record under `paths` into `store`; returns the summary (store totals included).
    `reference_time` (default: now) bounds plausible event times; a rerun given the summary's
    `reference_time` judges every time as the first run did. `progress` is told the input's bytes
    up front and how far the load got as it reads (graphgov.ingest.progress). `skip_loaded` (the CLI's
    default): files loaded before are not read again; `workers` processes parse (graphgov.ingest.file_loads)."""
    run = LoadRun(store, quarantine_path, chunk_records, reference_time, progress)
    try:
        with collecting_less():
            load_files(run, paths, workers, skip_loaded)
            run.finish()
    finally:
        run.quarantine.close()
    return run.result()


def load_deltas(
    items: Iterable[GraphDelta | RawRecord],
    store: Store,
    quarantine_path: Path,
    chunk_records: int = CHUNK_RECORDS,
    reference_time: datetime | str | None = None,
) -> LoadSummary:
    """Load deltas made by something other than a file reader (`graphgov pull`), with the same
    de-duplication, time window and account as `load_paths`.

    Each item is one record: a GraphDelta is loaded (or skipped as a duplicate); a RawRecord is
    accounted as `load_paths` accounts it, so a producer reports what it could not turn into a delta
    as a RawRecord with a `skip` reason or an `error` (quarantined) and the counts still add up.
    """
    run = LoadRun(store, quarantine_path, chunk_records, reference_time)
    try:
        for item in items:
            run.add(item)
        run.finish()
    finally:
        run.quarantine.close()
    return run.result()


def _apply(outcome: Outcome, chunk: _Chunk, summary: LoadSummary, quarantine: Quarantine) -> None:
    """Put one decided record in exactly one bucket: a delta in the chunk, a named skip, or the quarantine."""
    summary.records += 1
    if type(outcome) is Skipped:
        summary.skip(outcome.reason, outcome.event)
    elif type(outcome) is Quarantined:
        summary.quarantined += 1
        quarantine.add(outcome.location, outcome.error, outcome.record)
    else:
        chunk.deltas.append(outcome)  # type: ignore[arg-type] - the third kind


def _account(raw: RawRecord, chunk: _Chunk, summary: LoadSummary, quarantine: Quarantine,
             memberships: dict[str, str] | None = None, window: TimeWindow | None = None) -> None:
    """Put one read record in exactly one bucket: a delta in the chunk, a named skip, or the quarantine."""
    _apply(decide(raw, memberships, window), chunk, summary, quarantine)
