"""The one interface both stores implement, so everything above them is store-agnostic."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from graphgov.core.delta import GraphDelta
from graphgov.core.merge_rules import EDGE_RULES, NODE_RULES, fold
from graphgov.core.schema import DERIVED_EDGE_TYPES
from graphgov.ingest.aggregate import Aggregate, EdgeId, NodeId

# The checkpoint the access derivation keeps its marker in (graphgov.access.marker): stored with the pullers'
# checkpoints so it commits with the graph, but not one of them.
DERIVATION_MARKER = "access-derivation"


class StoreError(Exception):
    """The store cannot be reached, opened or written; the message is meant for the user."""


class SeenConflict(Exception):
    """Another writer recorded some of the keys a write claimed as new since `unseen` was asked:
    nothing was written, the caller decides again with a fresh `unseen` answer."""

    def __init__(self, keys: Set[str]) -> None:
        super().__init__(f"{len(keys)} evidence keys were written by another load meanwhile")
        self.keys = frozenset(keys)


@dataclass(frozen=True)
class DerivedEdge:
    """An edge computed from the graph (graphgov.access.derivation), replaced whole on every derivation."""

    type: str
    src: NodeId
    dst: NodeId
    props: Mapping[str, Any]


class Store(ABC):
    """A graph store: de-duplicating, aggregating writes; read-only saved questions."""

    description: str
    checkpoint_seconds: float = 30.0  # how often a long load makes its progress durable

    @abstractmethod
    def unseen(self, keys: Iterable[str]) -> set[str]:
        """The subset of evidence keys not loaded before."""

    @abstractmethod
    def write(self, aggregate: Aggregate, seen: Mapping[str, str],
              checkpoints: Mapping[str, str] | None = None) -> None:
        """Fold the aggregate in and record `seen` (key -> day) and the pullers' `checkpoints`
        (name -> value) together, all or nothing."""

    def write_claimed(self, aggregate: Aggregate, seen: Mapping[str, str], claims: Set[str],
                      checkpoints: Mapping[str, str] | None = None,
                      pending: Sequence[GraphDelta] | None = None) -> None:
        """`write`, on condition that no key of `claims` (a subset of `seen`) was seen before: a store
        that other processes write at the same time checks and claims them in the write's own
        transaction and raises SeenConflict (writing nothing), so one event never counts twice.
        A store only one load writes at a time (the embedded store, under its lock) needs no check.

        The load's evidence writes go through here, so here the pending layer (graphgov.ingest.pending) is
        reverted first, in the same atomic write; `pending` (the load's last write: its poorer copies
        no richer copy claimed, maybe none) settles the layer again in that write. This fallback, for
        a store without a pending layer, loads them as evidence."""
        self.write(aggregate, seen, checkpoints)
        if pending:
            self.write(Aggregate().extend(pending), {})

    @abstractmethod
    def prune_seen(self, before_day: str) -> int:
        """Delete the evidence keys recorded under days before `before_day` (YYYY-MM-DD), keeping the
        completion markers (graphgov.stores.seen_prune), and return how many went: the seen set stays
        bounded once days older than the relist window can no longer arrive again."""

    @abstractmethod
    def checkpoint(self, name: str) -> str | None:
        """A puller's position as last written with the graph (None before the first)."""

    @abstractmethod
    def commit(self) -> None:
        """Make everything written so far durable."""

    @abstractmethod
    def totals(self) -> tuple[int, int]:
        """(nodes, edges) of the graph, bookkeeping excluded."""

    @abstractmethod
    def find_nodes(self, merge_label: str, key: str, name: str) -> list[str]:
        """Keys of `merge_label` nodes whose key is `key` or whose `name` property is `name`."""

    @abstractmethod
    def scan_nodes(self, merge_label: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(key, attributes incl. `labels`) of every node with the merge label."""

    @abstractmethod
    def scan_edges(self, edge_type: str) -> Iterator[tuple[NodeId, NodeId, dict[str, Any]]]:
        """(source, target, attributes) of every edge of the type; node ids are (merge label, key)."""

    def nodes_at(self, ids: Iterable[NodeId]) -> dict[NodeId, dict[str, Any]]:
        """The stored attributes (`labels` included, as `scan_nodes` gives them) of those of `ids` the graph
        holds. This default scans each label; a store that seeks by key overrides it."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for label, key in ids:
            wanted[label].add(key)
        return {(label, key): attrs for label, keys in wanted.items() for key, attrs in self.scan_nodes(label)
                if key in keys}

    def edges_at(self, ids: Iterable[EdgeId]) -> dict[EdgeId, dict[str, Any]]:
        """The stored attributes of those of `ids` (type, source, target) the graph holds. This default scans
        each type; a store that seeks by key overrides it."""
        wanted: dict[str, set[tuple[NodeId, NodeId]]] = defaultdict(set)
        for edge_type, src, dst in ids:
            wanted[edge_type].add((src, dst))
        return {(edge_type, src, dst): attrs for edge_type, ends in wanted.items()
                for src, dst, attrs in self.scan_edges(edge_type) if (src, dst) in ends}

    def edges_to(self, edge_type: str, targets: Iterable[NodeId]) -> list[tuple[NodeId, NodeId, dict[str, Any]]]:
        """`scan_edges` of the type, only the edges into `targets`. This default scans; a store that seeks by
        key overrides it."""
        wanted = set(targets)
        return [(src, dst, attrs) for src, dst, attrs in self.scan_edges(edge_type) if dst in wanted]

    def edges_from(self, edge_type: str, sources: Iterable[NodeId]) -> list[tuple[NodeId, NodeId, dict[str, Any]]]:
        """`scan_edges` of the type, only the edges out of `sources` (as `edges_to`)."""
        wanted = set(sources)
        return [(src, dst, attrs) for src, dst, attrs in self.scan_edges(edge_type) if src in wanted]

    @abstractmethod
    def provenance(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Where the graph's knowledge of each resource comes from, for evidence rows that name it.

        {key: {"labels", "sources", "first_seen", "last_seen", "event_ids"}} over every node with that key
        (an S3 URI can be an object and a model artifact at once); `event_ids` are the smallest few ids
        on the node's recorded edges. Keys no node has are left out.
        """

    def derivation(self) -> AbstractContextManager[None]:
        """Held around a whole access derivation (read the graph, then replace the derived edges). A store
        several loads write at once (Neo4j) serializes derivations with it, so the last one to finish also
        started last and read every load's committed evidence; the embedded store has one writer already."""
        return nullcontext()

    @abstractmethod
    def replace_derived(self, edges: list[DerivedEdge], node_updates: list[tuple[NodeId, Mapping[str, Any]]]) -> None:
        """Swap every derived edge for `edges` and set the derived node properties, all or nothing."""

    def replace_derived_for(self, removed: Set[tuple[str, NodeId, NodeId]] | None, edges: list[DerivedEdge],
                            node_updates: list[tuple[NodeId, Mapping[str, Any]]],
                            checkpoints: Mapping[str, str] | None = None,
                            whole: list[DerivedEdge] | None = None) -> None:
        """Drop the derived edges `removed` names (type, source, target; None: every derived edge), add `edges`
        (each replacing the one of its key), set the derived node properties and write `checkpoints` (the
        derivation marker, graphgov.access.marker), all or nothing: an incremental derivation's write. `whole`,
        when the caller has it: every derived edge in force afterwards.

        This default writes the checkpoints first, then replaces the derived edges whole: with `whole`, or with
        the derived edges read back, less `removed`, plus `edges`. (A write under the embedded store's pending
        layer re-creates the layer's nodes without their derived edges: replacing them whole puts them back.)
        A store whose writes commit one by one (Neo4j) does it in one transaction (graphgov.stores.neo4j_derived)."""
        if removed is None or whole is not None:
            if checkpoints:
                self.write(Aggregate(), {}, checkpoints)
            self.replace_derived(list(whole if whole is not None else edges), node_updates)
            return
        replaced = set(removed) | {(e.type, e.src, e.dst) for e in edges}
        kept = [DerivedEdge(edge_type, src, dst, dict(attrs)) for edge_type in DERIVED_EDGE_TYPES
                for src, dst, attrs in self.scan_edges(edge_type) if (edge_type, src, dst) not in replaced]
        if checkpoints:
            self.write(Aggregate(), {}, checkpoints)
        self.replace_derived(kept + list(edges), node_updates)

    @abstractmethod
    def ask(self, question_id: str, cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run one saved question read-only and return its raw rows."""

    def ask_stream(self, question_id: str, cypher: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """`ask`'s rows one at a time, for answers too large to hold (graphgov.questions.streaming). A store whose
        answers are built in memory anyway (the embedded store's twins) yields from `ask`."""
        yield from self.ask(question_id, cypher, params)

    def scale_note(self) -> str | None:
        """One line for the user when the store has grown past what it serves comfortably (None: it has not)."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def merge_provenance(found: dict[str, dict[str, Any]], key: str, labels: Iterable[str], attrs: Mapping[str, Any],
                     event_ids: Iterable[str]) -> None:
    """Fold one node's provenance into `found[key]` by the merge rules (labels and sources as on nodes,
    event_ids as on edges); both stores use it so their answers agree."""
    entry = found.setdefault(key, {"labels": [], "sources": [], "first_seen": None, "last_seen": None,
                                   "event_ids": []})
    incoming = {"labels": list(labels), "sources": attrs.get("sources"), "first_seen": attrs.get("first_seen") or None,
                "last_seen": attrs.get("last_seen") or None}
    for name, value in incoming.items():
        entry[name] = fold(NODE_RULES[name], entry[name], value)
    entry["event_ids"] = fold(EDGE_RULES["event_ids"], entry["event_ids"], list(event_ids))
