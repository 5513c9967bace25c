"""Neo4j's incremental write of derived access: the edges a derivation re-derived, in one transaction.

`Store.replace_derived_for`'s default reads every derived edge and replaces them all, in two steps; on Neo4j,
where each write commits on its own, this deletes only the edges named (or all of them), creates the new
ones, sets the node properties and writes the derivation marker (graphgov.access.marker) in one transaction
under the derivation lock, so no crash leaves a marker that does not describe the edges stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Set
from typing import TYPE_CHECKING, Any

from graphgov.core.schema import DERIVED_EDGE_TYPES, MERGE_KEYS
from graphgov.ingest.aggregate import NodeId
from graphgov.stores.base import DerivedEdge
from graphgov.stores.neo4j_fold import Timed
from graphgov.stores.schema_cypher import checkpoint_write_statement

if TYPE_CHECKING:
    from graphgov.stores.neo4j import Neo4jStore

Plan = list[tuple[str, list[dict[str, Any]]]]


def _endpoints(edge_type: str, src_label: str, dst_label: str) -> str:
    return (f"UNWIND $rows AS row\nMATCH (a:{src_label} {{{MERGE_KEYS[src_label]}: row.src}})"
            f"-[r:{edge_type}]->(b:{dst_label} {{{MERGE_KEYS[dst_label]}: row.dst}})\n")


def plan(removed: Set[tuple[str, NodeId, NodeId]] | None, edges: list[DerivedEdge],
         node_updates: list[tuple[NodeId, Mapping[str, Any]]], checkpoints: Mapping[str, str] | None) -> Plan:
    """The statements and their rows, in order: delete, create, set node properties, write the marker."""
    out: Plan = []
    replaced = {(e.type, e.src, e.dst) for e in edges}
    if removed is None:
        out.append((f"MATCH ()-[r:{'|'.join(DERIVED_EDGE_TYPES)}]->() DELETE r", [{}]))
    else:
        doomed: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for edge_type, src, dst in sorted(set(removed) | replaced):
            doomed[(edge_type, src[0], dst[0])].append({"src": src[1], "dst": dst[1]})
        for (edge_type, src_label, dst_label), rows in sorted(doomed.items()):
            out.append((_endpoints(edge_type, src_label, dst_label) + "DELETE r", rows))
    created: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for edge in edges:
        if edge.type not in DERIVED_EDGE_TYPES:
            raise ValueError(f"{edge.type} is not a derived edge type")
        created[(edge.type, edge.src[0], edge.dst[0])].append(
            {"src": edge.src[1], "dst": edge.dst[1], "props": dict(edge.props)})
    for (edge_type, src_label, dst_label), rows in sorted(created.items()):
        out.append((f"UNWIND $rows AS row\nMATCH (a:{src_label} {{{MERGE_KEYS[src_label]}: row.src}})\n"
                    f"MATCH (b:{dst_label} {{{MERGE_KEYS[dst_label]}: row.dst}})\n"
                    f"CREATE (a)-[r:{edge_type}]->(b) SET r = row.props", rows))
    updates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (label, key), props in node_updates:
        updates[label].append({"key": key, "props": dict(props)})
    for label, rows in sorted(updates.items()):
        out.append((f"UNWIND $rows AS row MATCH (n:{label} {{{MERGE_KEYS[label]}: row.key}}) SET n += row.props",
                    rows))
    if checkpoints:
        out.append((checkpoint_write_statement(), [{"name": k, "value": v} for k, v in sorted(checkpoints.items())]))
    return out


def replace_derived_for(store: Neo4jStore, lock: Callable[[Any], None],
                        removed: Set[tuple[str, NodeId, NodeId]] | None, edges: list[DerivedEdge],
                        node_updates: list[tuple[NodeId, Mapping[str, Any]]],
                        checkpoints: Mapping[str, str] | None = None, whole: list[DerivedEdge] | None = None) -> None:
    """Store.replace_derived_for in one transaction (`lock`: the store's derivation lock, taken first); `whole` is
    not needed: only the edges named change."""
    statements = plan(removed, edges, node_updates, checkpoints)

    def work(tx: Any) -> None:
        lock(tx)
        runner = Timed(tx, store.write_rates)
        for statement, rows in statements:
            runner.run("derived", statement, rows)

    with store._session() as session:
        session.execute_write(work)
