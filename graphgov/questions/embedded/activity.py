"""The activity questions answered on the embedded (networkx) store: what CloudTrail saw principals do.

Each function mirrors its `cypher/<id>.cypher` file row for row (the parity tests hold them to each
other): cross-account-assumptions, principal-activity and object-readers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from graphgov.questions.embedded.registry import Rows, answers
from graphgov.questions.embedded.walk import has_label, typed_edges
from graphgov.stores.embedded_graph import GraphReads, Hop

ACTIVITY_EDGES = ("ASSUMED_ROLE", "READ", "WROTE", "DELETED", "LISTED", "USED_KEY", "CREATED", "INVOKED",
                  "ENABLED_LOGGING", "DISABLED_LOGGING", "STARTED_INGESTION")


@answers("cross-account-assumptions", GraphReads(edges=("ASSUMED_ROLE",)))
def cross_account_assumptions(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    rows = []
    for src, dst, _, r in typed_edges(graph, "ASSUMED_ROLE"):
        p, role = graph.nodes[src], graph.nodes[dst]
        if r.get("cross_account") is not True or not has_label(role, "AWSRole"):
            continue
        rows.append({
            "principal": p.get("arn"), "principal_type": p.get("principal_type"),
            "principal_account": p.get("account_id"), "role": role.get("arn"),
            "role_account": role.get("account_id"), "count": r.get("count"), "first_seen": r.get("first_seen"),
            "last_seen": r.get("last_seen"), "operations": r.get("operations"), "event_ids": r.get("event_ids"),
        })
    return rows


@answers("principal-activity", GraphReads(seed=(("AWSPrincipal",), "principal"), hops=(Hop(ACTIVITY_EDGES),)))
def principal_activity(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    node = ("AWSPrincipal", params["principal"])
    if node not in graph:
        return []
    p = graph.nodes[node]
    rows = []
    for _, dst, edge_type, r in graph.out_edges(node, keys=True, data=True):
        if edge_type not in ACTIVITY_EDGES:
            continue
        rows.append({
            "principal": p.get("arn"), "action": edge_type,
            "target": graph.nodes[dst].get("arn") or graph.nodes[dst].get("id"),
            "count": r.get("count"), "bytes": r.get("bytes"), "cross_account": r.get("cross_account"),
            "first_seen": r.get("first_seen"), "last_seen": r.get("last_seen"), "operations": r.get("operations"),
        })
    return rows


@answers("object-readers", GraphReads(seed=(("S3Bucket",), "bucket"),
                                      hops=(Hop(("CONTAINS",)), Hop(("READ",), out=False))))
def object_readers(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    bucket = ("S3Bucket", params["bucket"])
    if bucket not in graph:
        return []
    prefix = params.get("prefix") or ""
    rows = []
    for _, obj, edge_type in graph.out_edges(bucket, keys=True):
        o = graph.nodes[obj]
        if edge_type != "CONTAINS" or not str(o.get("key", "")).startswith(prefix):
            continue
        for src, _, read_type, r in graph.in_edges(obj, keys=True, data=True):
            p = graph.nodes[src]
            if read_type != "READ" or src[0] != "AWSPrincipal":
                continue
            rows.append({
                "bucket": params["bucket"], "key": o.get("key"), "principal": p.get("arn"),
                "principal_account": p.get("account_id"), "count": r.get("count"), "bytes": r.get("bytes"),
                "cross_account": r.get("cross_account"), "first_seen": r.get("first_seen"),
                "last_seen": r.get("last_seen"),
            })
    return rows

