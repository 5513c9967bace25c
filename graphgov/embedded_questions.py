"""The saved questions answered on the embedded (networkx) store.

Each function mirrors its `cypher/<id>.cypher` file row for row; the parity tests run both over the
same fixtures and require identical answers, so a change to one must be made to the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx

from graphgov.ids import s3_object_arn

Rows = list[dict[str, Any]]
ACTIVITY_EDGES = ("ASSUMED_ROLE", "READ", "WROTE", "DELETED", "LISTED", "USED_KEY")


def _has_label(attrs: Mapping[str, Any], label: str) -> bool:
    return label in attrs.get("labels", ())


def cross_account_assumptions(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    rows = []
    for src, dst, edge_type, r in graph.edges(keys=True, data=True):
        p, role = graph.nodes[src], graph.nodes[dst]
        if edge_type != "ASSUMED_ROLE" or r.get("cross_account") is not True or not _has_label(role, "AWSRole"):
            continue
        rows.append({
            "principal": p.get("arn"), "principal_type": p.get("principal_type"),
            "principal_account": p.get("account_id"), "role": role.get("arn"),
            "role_account": role.get("account_id"), "count": r.get("count"), "first_seen": r.get("first_seen"),
            "last_seen": r.get("last_seen"), "operations": r.get("operations"), "event_ids": r.get("event_ids"),
        })
    return rows


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
            "principal": p.get("arn"), "action": edge_type, "target": graph.nodes[dst].get("arn"),
            "count": r.get("count"), "bytes": r.get("bytes"), "cross_account": r.get("cross_account"),
            "first_seen": r.get("first_seen"), "last_seen": r.get("last_seen"), "operations": r.get("operations"),
        })
    return rows


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


def _out(graph: nx.MultiDiGraph, node: tuple, edge_type: str) -> list[tuple[tuple, dict]]:
    return [(dst, attrs) for _, dst, key, attrs in graph.out_edges(node, keys=True, data=True) if key == edge_type]


def _in(graph: nx.MultiDiGraph, node: tuple, edge_type: str) -> list[tuple[tuple, dict]]:
    return [(src, attrs) for src, _, key, attrs in graph.in_edges(node, keys=True, data=True) if key == edge_type]


def _dataset_writers(graph: nx.MultiDiGraph, dataset: tuple, attrs: Mapping[str, Any]) -> list[str]:
    """Principals seen writing into the dataset: objects under a prefix, or the manifest object itself."""
    if attrs.get("data_type") == "S3Prefix":
        objects = [obj for obj, _ in _in(graph, dataset, "IN_DATASET")]
    else:
        objects = [("S3Object", s3_object_arn(attrs.get("bucket", ""), attrs.get("prefix", "")))]
    writers = {graph.nodes[src].get("arn") for obj in objects if obj in graph
               for src, _ in _in(graph, obj, "WROTE") if src[0] == "AWSPrincipal"}
    return sorted(writers)


def _model_lineage_rows(graph: nx.MultiDiGraph, model: tuple) -> Rows:
    """(training_job, channel, dataset, dataset_writers) rows of one model; one empty row without lineage."""
    rows = []
    jobs = [job for artifact, _ in _out(graph, model, "FROM_ARTIFACT") for job, _ in _in(graph, artifact, "WRITES")]
    for job in jobs:
        reads = _out(graph, job, "READS")
        for dataset, r in reads:
            d = graph.nodes[dataset]
            for channel in r.get("channels") or [None]:
                rows.append({"training_job": graph.nodes[job].get("arn"), "channel": channel,
                             "dataset": d.get("uri"), "dataset_writers": _dataset_writers(graph, dataset, d)})
        if not reads:
            rows.append({"training_job": graph.nodes[job].get("arn"), "channel": None, "dataset": None,
                         "dataset_writers": []})
    return rows or [{"training_job": None, "channel": None, "dataset": None, "dataset_writers": []}]


def endpoint_lineage(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    endpoint = ("Endpoint", params["endpoint"])
    configs = _out(graph, endpoint, "USES_CONFIG") if endpoint in graph else []
    if not configs:
        return []
    # the configuration set last is current; ties go to the smallest ARN, as in the Cypher
    current = max(sorted(configs, key=lambda c: c[0][1]), key=lambda c: c[1].get("last_seen") or "")[0]
    rows = []
    for model, _ in _out(graph, current, "SERVES"):
        for row in _model_lineage_rows(graph, model):
            rows.append({"endpoint": params["endpoint"], "model": graph.nodes[model].get("arn"), **row})
    return rows


def model_lineage(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    model = ("Model", params["model"])
    if model not in graph:
        return []
    return [{"model": params["model"], **row} for row in _model_lineage_rows(graph, model)]


IMPLEMENTATIONS: dict[str, Callable[[nx.MultiDiGraph, Mapping[str, Any]], Rows]] = {
    "cross-account-assumptions": cross_account_assumptions,
    "principal-activity": principal_activity,
    "object-readers": object_readers,
    "endpoint-lineage": endpoint_lineage,
    "model-lineage": model_lineage,
}
