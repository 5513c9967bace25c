"""The Neo4j store: batched, idempotent writes (folded by the merge rules: neo4j_fold); read-only saved questions.

Each `write` is one transaction holding the chunk's nodes, edges and seen-set keys, so a load that
stops half-way can simply be run again: committed chunks are recognised as seen, the rest is loaded.
Two loads may write at once: `write_claimed` claims the chunk's event keys first, in the same
transaction (CREATE of the uniquely constrained seen marker: a second writer waits on the first's
claim, then fails on the constraint), and writes nothing when another load got there first, so counters
stay exact.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from neo4j import READ_ACCESS, GraphDatabase, unit_of_work
from neo4j.exceptions import AuthError, ClientError, ConstraintError, Neo4jError, ServiceUnavailable

from graphgov.core.delta import GraphDelta
from graphgov.core.s3_containment import WRITER_JOBS
from graphgov.core.schema import (
    EDGE_TYPES,
    EVENT_ID_SAMPLE,
    MERGE_KEYS,
    SEEN_LABEL,
    node_labels,
)
from graphgov.ingest.aggregate import Aggregate, EdgeId, NodeId
from graphgov.stores.base import DerivedEdge, SeenConflict, Store, StoreError, merge_provenance
from graphgov.stores.neo4j_derived import replace_derived_for
from graphgov.stores.neo4j_fold import Rates, Timed, write_graph
from graphgov.stores.neo4j_pending import lock_and_revert, settle
from graphgov.stores.neo4j_wipe import Neo4jWipeCounts, count, wipe
from graphgov.stores.schema_cypher import (
    checkpoint_read_statement,
    checkpoint_write_statement,
    claim_statement,
    constraint_statements,
    dataset_link_statements,
    endpoint_history_statement,
    feeds_statements,
    seen_lookup_statement,
    seen_prune_statement,
    seen_write_statement,
    tuning_output_statements,
)
from graphgov.stores.seen_prune import MARKER_PATTERN, check_day

_TAKEN = re.compile(r"property `key` = '(.*)'\Z", re.DOTALL)  # a ConstraintError's message on a seen key
BATCH = 5000  # rows per statement
QUESTION_TIMEOUT_S = 300.0
# a streamed answer may be millions of rows (cross-account-exposure at 10M records: 15.7M, several minutes)
QUESTION_STREAM_TIMEOUT_S = 3600.0
DERIVATION_LOCK = "graphgov:derivation"  # a seen marker no event key can equal (event keys have a source prefix)
DERIVATION_TURN = "graphgov:derivation-turn"  # the marker whole derivations take turns on (derivation())


@dataclass(frozen=True)
class _Plan:
    """One write: the chunk's nodes and edges (an Aggregate builds them on each access: taken once), the link
    statements with their rows, the seen-key rows."""

    nodes: dict[NodeId, dict[str, Any]]
    edges: dict[tuple[str, NodeId, NodeId], dict[str, Any]]
    links: list[tuple[str, list[dict[str, Any]], str | None]]  # statement, rows, a label: only its new nodes' rows
    seen: list[dict[str, str]]


def _taken_key(error: ConstraintError, claims: Set[str]) -> set[str]:
    """The claimed key the server found taken (its message names one), else every claim."""
    found = _TAKEN.search(error.message or "")
    return {found.group(1)} if found and found.group(1) in claims else set(claims)


def _take_derivation_lock(tx: Any) -> None:
    tx.run(f"MERGE (s:{SEEN_LABEL} {{key: $key}}) SET s.derivations = coalesce(s.derivations, 0) + 1",
           key=DERIVATION_LOCK).consume()


class Neo4jStore(Store):
    def __init__(self, uri: str, username: str | None = None, password: str | None = None,
                 database: str | None = None):
        self.description = f"Neo4j at {uri}" + (f" (database {database})" if database else "")
        auth = (username or "neo4j", password) if password else None
        self.database = database
        try:
            # Notifications (unknown labels in an empty graph, deprecations) are not the user's business.
            self.driver = GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
            self.driver.verify_connectivity()
        except (ServiceUnavailable, AuthError, Neo4jError, ValueError, OSError) as exc:
            reason = " ".join(str(exc).split())  # the driver's message spans lines; errors here are one line
            raise StoreError(f"cannot reach Neo4j at {uri}: {reason}") from exc
        self._ensure_schema()
        self.write_rates: Rates = {}  # kind (nodes, edges, links, seen) -> [rows, seconds]: bench/neo4j_rates.py

    def _session(self, read_only: bool = False):  # noqa: ANN202 - neo4j Session
        kwargs: dict[str, Any] = {"database": self.database} if self.database else {}
        if read_only:
            kwargs["default_access_mode"] = READ_ACCESS
        return self.driver.session(**kwargs)

    def _ensure_schema(self) -> None:
        with self._session() as session:
            for statement in constraint_statements():
                try:
                    session.run(statement).consume()
                except ClientError as exc:
                    raise StoreError(f"cannot create the graphgov schema: {exc.message}") from exc

    def close(self) -> None:
        self.driver.close()

    # --- writes --------------------------------------------------------------------------------------

    def unseen(self, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        started = time.perf_counter()

        def work(tx: Any) -> set[str]:  # one read transaction, the keys in batches
            return {r["key"] for first in range(0, len(wanted), BATCH)
                    for r in tx.run(seen_lookup_statement(), keys=wanted[first:first + BATCH])}

        with self._session(read_only=True) as session:
            found = session.execute_read(work)
        entry = self.write_rates.setdefault("seen lookups", [0, 0.0])
        entry[0] += len(wanted)
        entry[1] += time.perf_counter() - started
        return set(wanted) - found

    def write(self, aggregate: Aggregate, seen: Mapping[str, str],
              checkpoints: Mapping[str, str] | None = None) -> None:
        plan = self._plan(aggregate, seen)

        def work(tx: Any) -> None:  # beneath the pending layer: it is reverted and materialized again around it
            reverted = lock_and_revert(tx)
            self._apply(tx, plan)
            self._checkpoint_rows(tx, checkpoints)
            if reverted:
                settle(tx, (), self._apply, self._plan)

        self._timed_write(work, len(plan.nodes) + len(plan.edges) + len(plan.seen))

    def _timed_write(self, work: Any, rows: int) -> None:
        """Run one write transaction (retried by the driver on transient errors: deadlocks between writers)
        and count its rows and seconds, commit included, as "transactions"."""
        started = time.perf_counter()
        with self._session() as session:
            session.execute_write(work)
        entry = self.write_rates.setdefault("transactions", [0, 0.0])
        entry[0] += rows
        entry[1] += time.perf_counter() - started

    def write_claimed(self, aggregate: Aggregate, seen: Mapping[str, str], claims: Set[str],
                      checkpoints: Mapping[str, str] | None = None,
                      pending: Sequence[GraphDelta] | None = None) -> None:
        """`write` with `claims` recorded first in the same transaction; SeenConflict (and nothing
        written) when another load recorded one of them since `unseen` answered. The pending layer is
        reverted (and with `pending`, settled again) in that transaction (graphgov.stores.neo4j_pending)."""
        claim_rows = [{"key": k, "day": seen[k]} for k in sorted(claims)]  # sorted: fewer deadlocks
        plan = self._plan(aggregate, {k: v for k, v in seen.items() if k not in claims})

        def work(tx: Any) -> None:
            start = time.perf_counter()
            try:
                for first in range(0, len(claim_rows), BATCH):
                    tx.run(claim_statement(), rows=claim_rows[first:first + BATCH]).consume()
            except ConstraintError as exc:  # the driver rolls the transaction back
                raise SeenConflict(_taken_key(exc, claims)) from exc
            Timed(tx, self.write_rates).count("seen", len(claim_rows), time.perf_counter() - start)
            lock_and_revert(tx)
            self._apply(tx, plan)
            self._checkpoint_rows(tx, checkpoints)
            if pending is not None:
                settle(tx, pending, self._apply, self._plan)

        self._timed_write(work, len(plan.nodes) + len(plan.edges) + len(plan.seen) + len(claim_rows))

    def _apply(self, tx: Any, plan: _Plan) -> None:
        created = write_graph(tx, plan.nodes, plan.edges, self.write_rates)
        runner = Timed(tx, self.write_rates)
        for statement, rows, new_only in plan.links:
            if new_only:
                key = MERGE_KEYS[new_only]
                rows = [row for row in rows if (new_only, row[key]) in created]
            runner.run("links", statement, rows)
        if plan.seen:
            runner.run("seen", seen_write_statement(), plan.seen)
            runner.count("seen", len(plan.seen))

    @staticmethod
    def _plan(aggregate: Aggregate, seen: Mapping[str, str]) -> _Plan:
        """The chunk's graph (folded in by graphgov.stores.neo4j_fold), then the links derived from keys, then
        the seen keys."""
        nodes, edges = aggregate.nodes, aggregate.edges  # each property builds its rows: take them once
        links: list[tuple[str, list[dict[str, Any]], str | None]] = []
        # links derived from keys alone (dataset membership, tuning outputs), in both directions; an object
        # already stored was linked when it was created or when its dataset came (as the embedded store does)
        by_dataset, by_object = dataset_link_statements()
        by_job, by_artifact = tuning_output_statements()
        for label, field, statement, new_only in (("Dataset", "uri", by_dataset, None),
                                                  ("S3Object", "arn", by_object, "S3Object"),
                                                  ("TuningJob", "arn", by_job, None),
                                                  ("ModelArtifact", "uri", by_artifact, None)):
            keys = sorted(key for node_label, key in nodes if node_label == label)
            if keys:
                links.append((statement, [{field: key} for key in keys], new_only))
        outputs = sorted({(src[1], dst[1]) for edge_type, src, dst in edges
                          if edge_type == "WRITES" and src[0] in WRITER_JOBS and dst[0] == "Dataset"})
        feeds_by_dataset, feeds_by_manifest, feeds_by_output = feeds_statements()
        datasets = sorted(key for node_label, key in nodes if node_label == "Dataset")
        if datasets:
            links.append((feeds_by_dataset, [{"uri": key} for key in datasets], None))
            links.append((feeds_by_manifest, [{"uri": key} for key in datasets], None))
        if outputs:
            links.append((feeds_by_output, [{"job": job, "uri": uri} for job, uri in outputs], None))
        endpoints = sorted({src[1] for edge_type, src, _ in edges if edge_type == "USES_CONFIG"})
        if endpoints:
            links.append((endpoint_history_statement(), [{"arn": e} for e in endpoints], None))
        return _Plan(nodes, edges, links, [{"key": k, "day": d} for k, d in sorted(seen.items())])

    def _checkpoint_rows(self, tx: Any, checkpoints: Mapping[str, str] | None) -> None:
        if checkpoints:
            rows = [{"name": k, "value": v} for k, v in sorted(checkpoints.items())]
            tx.run(checkpoint_write_statement(), rows=rows).consume()

    def prune_seen(self, before_day: str) -> int:
        """Delete the evidence keys of days before `before_day` (markers stay) in batches of their own
        transactions (an auto-commit query), seeking the day index; returns how many went."""
        statement = seen_prune_statement()
        with self._session() as session:
            record = session.run(statement, before=check_day(before_day), markers=MARKER_PATTERN).single()
        return int(record["removed"]) if record else 0

    def checkpoint(self, name: str) -> str | None:
        with self._session(read_only=True) as session:
            record = session.execute_read(lambda tx: tx.run(checkpoint_read_statement(), name=name).single())
        return record["value"] if record else None

    def commit(self) -> None:
        """Every write is already its own committed transaction."""

    def replace_derived(self, edges: list[DerivedEdge], node_updates: list[tuple[NodeId, Mapping[str, Any]]]) -> None:
        """Every derived edge deleted and `edges` created in one transaction. Two loads deriving at once would
        each delete the committed edges and create their own, leaving both sets: the derivation lock, taken
        first, makes the second wait for the first's commit, then replace it (graphgov.stores.neo4j_derived)."""
        replace_derived_for(self, _take_derivation_lock, None, edges, node_updates)

    def replace_derived_for(self, *args: Any, **kwargs: Any) -> None:
        """In one transaction (graphgov.stores.neo4j_derived)."""
        replace_derived_for(self, _take_derivation_lock, *args, **kwargs)

    @contextmanager
    def derivation(self) -> Iterator[None]:
        """Whole derivations take turns: a turn marker is locked before the graph is read and released once
        the derived edges committed, so a derivation that read the graph before another load's evidence
        committed can no longer commit after that load's own derivation. The open transaction holds only
        that one node's lock (MATCH ... SET, no MERGE on the constrained key): the derivation's own writes
        run in their transactions as before and never wait on it."""
        with self._session() as session:
            session.execute_write(lambda tx: tx.run(f"MERGE (s:{SEEN_LABEL} {{key: $key}})",
                                                    key=DERIVATION_TURN).consume())
            tx = session.begin_transaction()
            try:
                tx.run(f"MATCH (s:{SEEN_LABEL} {{key: $key}}) SET s.turns = coalesce(s.turns, 0) + 1",
                       key=DERIVATION_TURN).consume()
                yield
                tx.commit()
            finally:
                if not tx.closed():
                    tx.rollback()

    def wipe_counts(self) -> Neo4jWipeCounts:
        """What `wipe` would delete, and the shared nodes it keeps (graphgov.stores.neo4j_wipe)."""
        with self._session() as session:
            return count(session)

    def wipe(self) -> None:
        """Delete graphgov's graph and bookkeeping in batches, keeping the schema and what others wrote."""
        with self._session() as session:
            wipe(session)

    # --- reads ---------------------------------------------------------------------------------------

    def totals(self) -> tuple[int, int]:
        with self._session(read_only=True) as session:
            nodes = session.run(
                "MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels) RETURN count(n) AS c",
                labels=node_labels(),
            ).single()["c"]
            edges = session.run(
                "MATCH ()-[r]->() WHERE type(r) IN $types RETURN count(r) AS c", types=sorted(EDGE_TYPES),
            ).single()["c"]
        return nodes, edges

    def scan_nodes(self, merge_label: str) -> Iterator[tuple[str, dict[str, Any]]]:
        statement = f"MATCH (n:{merge_label}) RETURN n.{MERGE_KEYS[merge_label]} AS key, n {{.*}} AS props, " \
                    "labels(n) AS labels"
        with self._session(read_only=True) as session:
            records = session.execute_read(lambda tx: [r.data() for r in tx.run(statement)])
        for record in records:
            yield record["key"], {**record["props"], "labels": sorted(record["labels"])}

    def scan_edges(self, edge_type: str) -> Iterator[tuple[NodeId, NodeId, dict[str, Any]]]:
        statement = (
            f"MATCH (a)-[r:{edge_type}]->(b)\n"
            "WITH a, r, b, [l IN labels(a) WHERE l IN $labels][0] AS la, [l IN labels(b) WHERE l IN $labels][0] AS lb\n"
            "RETURN la, a[$keys[la]] AS ka, lb, b[$keys[lb]] AS kb, r {.*} AS props"
        )
        with self._session(read_only=True) as session:
            records = session.execute_read(lambda tx: [r.data() for r in tx.run(
                statement, labels=sorted(MERGE_KEYS), keys=MERGE_KEYS)])
        for record in records:
            yield (record["la"], record["ka"]), (record["lb"], record["kb"]), record["props"]

    def nodes_at(self, ids: Iterable[NodeId]) -> dict[NodeId, dict[str, Any]]:
        """Each wanted node by an index seek on its merge key, in one read transaction."""
        by_label: dict[str, list[str]] = {}
        for label, key in sorted(set(ids)):
            by_label.setdefault(label, []).append(key)

        def work(tx: Any) -> dict[NodeId, dict[str, Any]]:
            found: dict[NodeId, dict[str, Any]] = {}
            for label, keys in by_label.items():
                statement = (f"UNWIND $keys AS key MATCH (n:{label} {{{MERGE_KEYS[label]}: key}}) "
                             "RETURN key, n {.*} AS props, labels(n) AS labels")
                for first in range(0, len(keys), BATCH):
                    for r in tx.run(statement, keys=keys[first:first + BATCH]):
                        found[(label, r["key"])] = {**r["props"], "labels": sorted(r["labels"])}
            return found

        with self._session(read_only=True) as session:
            return session.execute_read(work)

    def edges_at(self, ids: Iterable[EdgeId]) -> dict[EdgeId, dict[str, Any]]:
        """Each wanted edge by index seeks on its ends' merge keys, in one read transaction."""
        by_kind: dict[tuple[str, str, str], list[dict[str, str]]] = {}
        for edge_type, src, dst in sorted(set(ids)):
            by_kind.setdefault((edge_type, src[0], dst[0]), []).append({"a": src[1], "b": dst[1]})

        def work(tx: Any) -> dict[EdgeId, dict[str, Any]]:
            found: dict[EdgeId, dict[str, Any]] = {}
            for (edge_type, src_label, dst_label), rows in by_kind.items():
                statement = (f"UNWIND $rows AS row MATCH (a:{src_label} {{{MERGE_KEYS[src_label]}: row.a}}) "
                             f"MATCH (b:{dst_label} {{{MERGE_KEYS[dst_label]}: row.b}}) "
                             f"CALL (a, b) {{ MATCH (a)-[r:{edge_type}]->(b) RETURN r }} "
                             "RETURN row.a AS a, row.b AS b, r {.*} AS props")
                for first in range(0, len(rows), BATCH):
                    for r in tx.run(statement, rows=rows[first:first + BATCH]):
                        found[(edge_type, (src_label, r["a"]), (dst_label, r["b"]))] = r["props"]
            return found

        with self._session(read_only=True) as session:
            return session.execute_read(work)

    def edges_to(self, edge_type: str, targets: Iterable[NodeId]) -> list[tuple[NodeId, NodeId, dict[str, Any]]]:
        return self._edges_at_end(edge_type, targets, "b")

    def edges_from(self, edge_type: str, sources: Iterable[NodeId]) -> list[tuple[NodeId, NodeId, dict[str, Any]]]:
        return self._edges_at_end(edge_type, sources, "a")

    def _edges_at_end(self, edge_type: str, nodes: Iterable[NodeId], end: str) -> list[tuple[NodeId, NodeId, dict]]:
        """The edges of the type with the `end` ("a": source, "b": target) one of `nodes`, seeking it by key."""
        by_label: dict[str, list[str]] = {}
        for label, key in sorted(set(nodes)):
            by_label.setdefault(label, []).append(key)

        def work(tx: Any) -> list[tuple[NodeId, NodeId, dict[str, Any]]]:
            found = []
            for label, keys in by_label.items():
                statement = (f"UNWIND $keys AS key MATCH ({end}:{label} {{{MERGE_KEYS[label]}: key}}) "
                             f"MATCH (a)-[r:{edge_type}]->(b)\n"
                             "WITH a, r, b, [l IN labels(a) WHERE l IN $labels][0] AS la, "
                             "[l IN labels(b) WHERE l IN $labels][0] AS lb\n"
                             "RETURN la, a[$merge[la]] AS ka, lb, b[$merge[lb]] AS kb, r {.*} AS props")
                for first in range(0, len(keys), BATCH):
                    for r in tx.run(statement, keys=keys[first:first + BATCH], labels=sorted(MERGE_KEYS),
                                    merge=MERGE_KEYS):
                        found.append(((r["la"], r["ka"]), (r["lb"], r["kb"]), r["props"]))
            return found

        with self._session(read_only=True) as session:
            return session.execute_read(work)

    def provenance(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(keys))
        found: dict[str, dict[str, Any]] = {}
        if not wanted:
            return found
        with self._session(read_only=True) as session:
            for label, key_prop in sorted(MERGE_KEYS.items()):  # label and property come from the schema
                statement = (
                    f"UNWIND $keys AS key MATCH (n:{label} {{{key_prop}: key}})\n"
                    "CALL (n) { MATCH (n)-[r]-() WHERE r.event_ids IS NOT NULL UNWIND r.event_ids AS e\n"
                    "  WITH DISTINCT e ORDER BY e LIMIT $sample RETURN collect(e) AS event_ids }\n"
                    "RETURN key, labels(n) AS labels, n.sources AS sources, n.first_seen AS first_seen,\n"
                    "       n.last_seen AS last_seen, event_ids"
                )
                records = session.execute_read(lambda tx, st=statement: [r.data() for r in tx.run(
                    st, keys=wanted, sample=EVENT_ID_SAMPLE)])
                for r in records:
                    labels = [x for x in r["labels"] if x in node_labels()]
                    merge_provenance(found, r["key"], labels, r, r["event_ids"])
        return found

    def find_nodes(self, merge_label: str, key: str, name: str) -> list[str]:
        key_prop = MERGE_KEYS[merge_label]  # label and property come from the schema, never from input
        statement = (f"MATCH (n:{merge_label}) WHERE n.{key_prop} = $key OR n.name = $name "
                     f"RETURN DISTINCT n.{key_prop} AS key")
        with self._session(read_only=True) as session:
            records = session.execute_read(lambda tx: list(tx.run(statement, key=key, name=name)))
        return sorted(r["key"] for r in records)

    def ask(self, question_id: str, cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        # The one audited boundary where text read from a .cypher file becomes a query: a read-only
        # session and transaction, parameters only, tagged and time-limited.
        @unit_of_work(timeout=QUESTION_TIMEOUT_S, metadata={"graphgov_question": question_id})
        def work(tx: Any) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(cypher, dict(params))]

        try:
            with self._session(read_only=True) as session:
                return session.execute_read(work)
        except Neo4jError as exc:
            raise StoreError(f"question {question_id} failed on Neo4j: {exc.message}") from exc

    def ask_stream(self, question_id: str, cypher: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """The rows as the server streams them, in one read-only transaction held open until the last row (or
        QUESTION_STREAM_TIMEOUT_S). Unlike `ask` it is not retried: rows already yielded cannot be taken back."""
        try:
            with self._session(read_only=True) as session, session.begin_transaction(
                    timeout=QUESTION_STREAM_TIMEOUT_S, metadata={"graphgov_question": question_id}) as tx:
                for record in tx.run(cypher, dict(params)):
                    yield record.data()
        except Neo4jError as exc:
            raise StoreError(f"question {question_id} failed on Neo4j: {exc.message}") from exc


__all__ = ["Neo4jStore", "SEEN_LABEL"]
