"""The Neo4j store: batched, idempotent writes generated from the schema; read-only saved questions.

Each `write` is one transaction holding the chunk's nodes, edges and seen-set keys, so a load that
stops half-way can simply be run again: committed chunks are recognised as seen, the rest is loaded.
Two loads may write at once: `write_claimed` claims the chunk's event keys first, in the same
transaction (MERGE on the uniquely constrained seen marker: a second writer waits on the first's
claim, then finds it), and writes nothing when another load got there first, so counters stay exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from contextlib import contextmanager
from typing import Any

from neo4j import READ_ACCESS, GraphDatabase, unit_of_work
from neo4j.exceptions import AuthError, ClientError, Neo4jError, ServiceUnavailable

from graphgov.core.delta import GraphDelta
from graphgov.core.s3_containment import WRITER_JOBS
from graphgov.core.schema import (
    DERIVED_EDGE_TYPES,
    EDGE_TYPES,
    EVENT_ID_SAMPLE,
    MERGE_KEYS,
    SEEN_LABEL,
    node_labels,
)
from graphgov.ingest.aggregate import Aggregate, NodeId
from graphgov.stores.base import DerivedEdge, SeenConflict, Store, StoreError, merge_provenance
from graphgov.stores.neo4j_derived import replace_derived_for
from graphgov.stores.neo4j_pending import lock_and_revert, settle
from graphgov.stores.neo4j_wipe import Neo4jWipeCounts, count, wipe
from graphgov.stores.schema_cypher import (
    checkpoint_read_statement,
    checkpoint_write_statement,
    claim_statement,
    constraint_statements,
    dataset_link_statements,
    edge_row,
    edge_write_statement,
    endpoint_history_statement,
    feeds_statements,
    node_row,
    node_write_statement,
    seen_lookup_statement,
    seen_write_statement,
    tuning_output_statements,
)

BATCH = 2000
QUESTION_TIMEOUT_S = 300.0
DERIVATION_LOCK = "graphgov:derivation"  # a seen marker no event key can equal (event keys have a source prefix)
DERIVATION_TURN = "graphgov:derivation-turn"  # the marker whole derivations take turns on (derivation())


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
        found: set[str] = set()
        with self._session(read_only=True) as session:
            for start in range(0, len(wanted), BATCH):
                batch = wanted[start:start + BATCH]
                result = session.execute_read(
                    lambda tx, b=batch: [r["key"] for r in tx.run(seen_lookup_statement(), keys=b)]
                )
                found.update(result)
        return set(wanted) - found

    def write(self, aggregate: Aggregate, seen: Mapping[str, str],
              checkpoints: Mapping[str, str] | None = None) -> None:
        plan = self._plan(aggregate, seen)
        if checkpoints:
            rows = [{"name": k, "value": v} for k, v in sorted(checkpoints.items())]
            plan.append((checkpoint_write_statement(), rows))

        def work(tx: Any) -> None:  # beneath the pending layer: it is reverted and materialized again around it
            reverted = lock_and_revert(tx)
            self._apply(tx, plan)
            if reverted:
                settle(tx, (), self._apply, self._plan)

        with self._session() as session:
            session.execute_write(work)

    def write_claimed(self, aggregate: Aggregate, seen: Mapping[str, str], claims: Set[str],
                      checkpoints: Mapping[str, str] | None = None,
                      pending: Sequence[GraphDelta] | None = None) -> None:
        """`write` with `claims` recorded first in the same transaction; SeenConflict (and nothing
        written) when another load recorded one of them since `unseen` answered. The pending layer is
        reverted (and with `pending`, settled again) in that transaction (graphgov.stores.neo4j_pending)."""
        claim_rows = [{"key": k, "day": seen[k]} for k in sorted(claims)]  # sorted: fewer deadlocks
        plan = self._plan(aggregate, {k: v for k, v in seen.items() if k not in claims})
        if checkpoints:
            rows = [{"name": k, "value": v} for k, v in sorted(checkpoints.items())]
            plan.append((checkpoint_write_statement(), rows))

        def work(tx: Any) -> None:
            taken: set[str] = set()
            for start in range(0, len(claim_rows), BATCH):
                taken.update(r["key"] for r in tx.run(claim_statement(), rows=claim_rows[start:start + BATCH]))
            if taken:
                raise SeenConflict(taken)  # the driver rolls the transaction back
            lock_and_revert(tx)
            self._apply(tx, plan)
            if pending is not None:
                settle(tx, pending, self._apply, self._plan)

        with self._session() as session:  # deadlocks between writers are transient: the driver retries
            session.execute_write(work)

    @staticmethod
    def _apply(tx: Any, plan: list[tuple[str, list[dict[str, Any]]]]) -> None:
        for statement, rows in plan:
            for start in range(0, len(rows), BATCH):
                tx.run(statement, rows=rows[start:start + BATCH]).consume()

    @staticmethod
    def _plan(aggregate: Aggregate, seen: Mapping[str, str]) -> list[tuple[str, list[dict[str, Any]]]]:
        """Statements in dependency order (nodes, then edges, then seen keys) with their rows."""
        nodes_by_type: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
        nodes, edges = aggregate.nodes, aggregate.edges  # each property builds its rows: take them once
        for (label, key), attrs in nodes.items():
            nodes_by_type[(label, tuple(attrs["labels"]))].append(node_row(key, attrs))
        plan: list[tuple[str, list[dict[str, Any]]]] = []
        for (label, labels), rows in sorted(nodes_by_type.items()):
            plan.append((node_write_statement(label, labels), rows))
        edges_by_shape: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for (edge_type, src, dst), attrs in edges.items():
            edges_by_shape[(edge_type, src[0], dst[0])].append(edge_row(EDGE_TYPES[edge_type], src[1], dst[1], attrs))
        for (edge_type, src_label, dst_label), rows in sorted(edges_by_shape.items()):
            plan.append((edge_write_statement(EDGE_TYPES[edge_type], src_label, dst_label), rows))
        # links derived from keys alone (dataset membership, tuning outputs), in both directions
        by_dataset, by_object = dataset_link_statements()
        by_job, by_artifact = tuning_output_statements()
        for label, field, statement in (("Dataset", "uri", by_dataset), ("S3Object", "arn", by_object),
                                        ("TuningJob", "arn", by_job), ("ModelArtifact", "uri", by_artifact)):
            keys = sorted(key for node_label, key in nodes if node_label == label)
            if keys:
                plan.append((statement, [{field: key} for key in keys]))
        outputs = sorted({(src[1], dst[1]) for edge_type, src, dst in edges
                          if edge_type == "WRITES" and src[0] in WRITER_JOBS and dst[0] == "Dataset"})
        feeds_by_dataset, feeds_by_manifest, feeds_by_output = feeds_statements()
        datasets = sorted(key for node_label, key in nodes if node_label == "Dataset")
        if datasets:
            plan.append((feeds_by_dataset, [{"uri": key} for key in datasets]))
            plan.append((feeds_by_manifest, [{"uri": key} for key in datasets]))
        if outputs:
            plan.append((feeds_by_output, [{"job": job, "uri": uri} for job, uri in outputs]))
        endpoints = sorted({src[1] for edge_type, src, _ in edges if edge_type == "USES_CONFIG"})
        if endpoints:
            plan.append((endpoint_history_statement(), [{"arn": e} for e in endpoints]))
        if seen:
            plan.append((seen_write_statement(), [{"key": k, "day": d} for k, d in sorted(seen.items())]))
        return plan

    def checkpoint(self, name: str) -> str | None:
        with self._session(read_only=True) as session:
            record = session.execute_read(lambda tx: tx.run(checkpoint_read_statement(), name=name).single())
        return record["value"] if record else None

    def commit(self) -> None:
        """Every write is already its own committed transaction."""

    def replace_derived(self, edges: list[DerivedEdge], node_updates: list[tuple[NodeId, Mapping[str, Any]]]) -> None:
        plan: list[tuple[str, list[dict[str, Any]]]] = []
        by_shape: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for edge in edges:
            by_shape[(edge.type, edge.src[0], edge.dst[0])].append(
                {"src": edge.src[1], "dst": edge.dst[1], "props": dict(edge.props)})
        for (edge_type, src_label, dst_label), rows in sorted(by_shape.items()):
            if edge_type not in DERIVED_EDGE_TYPES:
                raise ValueError(f"{edge_type} is not a derived edge type")
            plan.append((
                "UNWIND $rows AS row\n"
                f"MATCH (a:{src_label} {{{MERGE_KEYS[src_label]}: row.src}})\n"
                f"MATCH (b:{dst_label} {{{MERGE_KEYS[dst_label]}: row.dst}})\n"
                f"CREATE (a)-[r:{edge_type}]->(b) SET r = row.props", rows))
        updates: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for (label, key), props in node_updates:
            updates[label].append({"key": key, "props": dict(props)})
        for label, rows in sorted(updates.items()):
            plan.append((f"UNWIND $rows AS row MATCH (n:{label} {{{MERGE_KEYS[label]}: row.key}}) SET n += row.props",
                         rows))
        delete = f"MATCH ()-[r:{'|'.join(DERIVED_EDGE_TYPES)}]->() DELETE r"

        def work(tx: Any) -> None:
            # Two loads deriving at once would each delete the committed edges and create their own, leaving
            # both sets: writing one marker first makes the second wait for the first's commit, then replace it.
            _take_derivation_lock(tx)
            tx.run(delete).consume()
            self._apply(tx, plan)

        with self._session() as session:
            session.execute_write(work)

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


__all__ = ["Neo4jStore", "SEEN_LABEL"]
