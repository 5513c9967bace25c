"""The access and exposure questions answered on the embedded (networkx) store.

Each function mirrors its `cypher/<id>.cypher` file row for row (the parity tests hold them to each
other): training-data-readers, cross-account-exposure, public-ai-data, iam-changes-on-ai-roles and
access-at-training-time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import networkx as nx

from graphgov.questions.embedded.registry import Rows, answers
from graphgov.questions.embedded.walk import edges_in as _in
from graphgov.questions.embedded.walk import edges_out as _out

Node = tuple[str, str]
TRAINING_READERS = ("TrainingJob", "TuningJob", "CustomizationJob")
CAPABILITIES = ("CAN_READ", "CAN_WRITE", "CAN_DECRYPT", "CAN_INVOKE")
INVOCABLE_KINDS = ("custom-model", "provisioned-model", "imported-model", "custom-model-deployment")
CHAIN_STEPS = 3


def _is_training_data(graph: nx.MultiDiGraph, dataset: Node) -> bool:
    return any(src[0] in TRAINING_READERS for src, _, _ in _in(graph, dataset, "READS"))


def _chains(graph: nx.MultiDiGraph, reader: Node) -> Iterator[tuple[Node, list[Node], list[dict]]]:
    """Simple CAN_ASSUME paths of 1-3 steps ending at `reader`: (start, roles after start, edges)."""
    def walk(node: Node, path: list[Node], edges: list[dict]) -> Iterator[tuple[Node, list[Node], list[dict]]]:
        if len(edges) >= CHAIN_STEPS:
            return
        for src, _, attrs in _in(graph, node, "CAN_ASSUME"):
            if src[0] != "AWSPrincipal" or src in path:
                continue
            yield src, path, [attrs, *edges]
            yield from walk(src, [src, *path], [attrs, *edges])
    yield from walk(reader, [reader], [])


def _capability_rows(graph: nx.MultiDiGraph, target: Node, types: tuple[str, ...]) -> Iterator[tuple[Node, str, list]]:
    """(principal, access, via) from derived edges into the target, directly and through role chains."""
    for principal, _, c in _in(graph, target, *types):
        if principal[0] == "AWSPrincipal":
            yield principal, c["access"], list(c.get("via", []))
            for start, roles, edges in _chains(graph, principal):
                assumes = [f"assume:{graph.nodes[r]['arn']}" for r in roles]
                trusts = [v for e in edges for v in e.get("via", [])]
                yield start, _chain_access([*edges, c]), assumes + list(c.get("via", [])) + trusts


def _chain_access(edges: list[dict]) -> str:
    """A chain is as strong as its weakest step; a step seen succeeding (`observed`) passes on `potential`."""
    accesses = {e["access"] for e in edges}
    if "unknown" in accesses:
        return "unknown"
    return "potential" if accesses <= {"potential", "observed"} else "conditional"


def _observed_dataset_rows(graph: nx.MultiDiGraph, dataset: Node, *types: str) -> Iterator[tuple]:
    for obj, _, _ in _in(graph, dataset, "IN_DATASET"):
        for principal, _, r in _in(graph, obj, *types):
            if principal[0] == "AWSPrincipal":
                for op in r.get("operations", []):
                    yield principal, "observed", [f"cloudtrail:{op}"]


def _rows(graph: nx.MultiDiGraph, groups: Mapping[tuple, set], columns: Any) -> Rows:
    return [columns(key, sorted(vias)) for key, vias in groups.items()]


@answers("training-data-readers")
def training_data_readers(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    wanted = params.get("dataset")
    groups: dict[tuple, set] = defaultdict(set)
    for node in graph.nodes:
        if node[0] != "Dataset" or (wanted is None and not _is_training_data(graph, node)) or \
                (wanted is not None and node[1] != wanted):
            continue
        found = [*_observed_dataset_rows(graph, node, "READ"), *_capability_rows(graph, node, ("CAN_READ",))]
        for principal, access, via in found:
            groups[(node, principal, access)].update(via)
    return _rows(graph, groups, lambda k, via: {
        "dataset": k[0][1], "principal": graph.nodes[k[1]].get("arn"),
        "account": graph.nodes[k[1]].get("account_id"), "access": k[2], "via": via})


def _exposed_resources(graph: nx.MultiDiGraph) -> Iterator[tuple[Node, str | None]]:
    for node, attrs in graph.nodes(data=True):
        label = node[0]
        if label in ("Dataset", "ModelArtifact"):
            if label == "Dataset" and not _is_training_data(graph, node):
                continue
            for bucket, _, _ in _out(graph, node, "IN_BUCKET"):
                yield node, graph.nodes[bucket].get("account_id")
        elif label in ("KMSKey", "Endpoint", "ModelPackageGroup") or (
                label == "Model" and attrs.get("kind") in INVOCABLE_KINDS):
            yield node, attrs.get("account_id")


def _artifact_objects(graph: nx.MultiDiGraph, artifact: Node) -> Iterator[Node]:
    attrs = graph.nodes[artifact]
    for node, o in graph.nodes(data=True):
        if node[0] == "S3Object" and o.get("bucket") == attrs.get("bucket") and o.get("key") == attrs.get("key"):
            yield node


def _replica_rows(graph: nx.MultiDiGraph, resource: Node) -> list[tuple[Node, str, list[str]]]:
    """Accounts that receive a copy of the resource's objects by S3 replication (graphgov.ingest.replication):
    `potential`, via `replication:<rule>:<destination bucket>`. Cypher: the REPLICA_OF branch."""
    if resource[0] == "Dataset" and graph.nodes[resource].get("data_type", "S3Prefix") != "S3Prefix":
        return _manifest_replica_rows(graph, resource)
    if resource[0] == "Dataset":
        objects = [obj for obj, _, _ in _in(graph, resource, "IN_DATASET")]
    elif resource[0] == "ModelArtifact":
        objects = list(_artifact_objects(graph, resource))
    else:
        return []
    found = []
    for obj in objects:
        for _, _, r in _in(graph, obj, "REPLICA_OF"):
            principal = ("AWSPrincipal", r.get("destination_principal"))
            if principal in graph:
                found += [(principal, "potential", [f"replication:{rule}:{r.get('destination_bucket')}"])
                          for rule in r.get("rules") or [""]]
    return found


def _manifest_replica_rows(graph: nx.MultiDiGraph, dataset: Node) -> list[tuple[Node, str, list[str]]]:
    """A manifest dataset's members are unknown until the manifest is read: objects of its bucket replicated
    to another account may be among them, so that account's access is `unknown`. Cypher: the manifest branch."""
    destinations = set()
    for bucket, _, _ in _out(graph, dataset, "IN_BUCKET"):
        for obj, _, _ in _out(graph, bucket, "CONTAINS"):
            for _, _, r in _in(graph, obj, "REPLICA_OF"):
                destinations.add((r.get("destination_principal"), r.get("destination_bucket"),
                                  tuple(r.get("rules") or [""])))
    uri = graph.nodes[dataset].get("uri")
    return [(("AWSPrincipal", principal), "unknown",
             [f"replication:{rule}:{bucket}", f"unknown:manifest-members:{uri}"])
            for principal, bucket, rules in sorted(destinations, key=str) if ("AWSPrincipal", principal) in graph
            for rule in rules]


@answers("cross-account-exposure")
def cross_account_exposure(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    groups: dict[tuple, set] = defaultdict(set)
    assumers: dict[Node, list[Node]] = {}  # role -> who assumed it: a busy role is read by every object

    def assumed_by(role: Node) -> list[Node]:
        if role not in assumers:
            assumers[role] = [principal for principal, _, _ in _in(graph, role, "ASSUMED_ROLE")]
        return assumers[role]
    for resource, account in _exposed_resources(graph):
        if account is None:
            continue
        found = list(_capability_rows(graph, resource, CAPABILITIES))
        found += _observed_dataset_rows(graph, resource, "READ", "WROTE")
        if resource[0] == "ModelArtifact":
            for obj in _artifact_objects(graph, resource):
                for principal, _, r in _in(graph, obj, "READ", "WROTE"):
                    found += [(principal, "observed", [f"cloudtrail:{op}"]) for op in r.get("operations", [])]
        for principal, _, r in _in(graph, resource, "USED_KEY", "INVOKED"):
            found += [(principal, "observed", [f"cloudtrail:{op}"]) for op in r.get("operations", [])]
        found += _replica_rows(graph, resource)
        role_operations: dict[Node, set[str]] = defaultdict(set)  # over all the dataset's objects, once
        for obj, _, _ in _in(graph, resource, "IN_DATASET"):
            for role, _, r in _in(graph, obj, "READ", "WROTE"):
                role_operations[role].update(r.get("operations", []))
        for role, operations in role_operations.items():
            for principal in assumed_by(role):
                found += [(principal, "observed", [f"assume:{graph.nodes[role].get('arn')}", f"cloudtrail:{op}"])
                          for op in sorted(operations)]
        for principal, access, via in found:
            p = graph.nodes[principal]
            if principal[0] != "AWSPrincipal" or "AWSServicePrincipal" in p.get("labels", ()):
                continue
            if p.get("arn") != "*" and (p.get("account_id") is None or p.get("account_id") == account):
                continue
            groups[(resource, account, principal, access)].update(via)
    return _rows(graph, groups, lambda k, via: {
        "resource": graph.nodes[k[0]].get("uri") or graph.nodes[k[0]].get("arn"), "resource_account": k[1],
        "principal": graph.nodes[k[2]].get("arn"), "principal_account": graph.nodes[k[2]].get("account_id"),
        "access": k[3], "via": via})


def _public_scope(graph: nx.MultiDiGraph, node: Node) -> bool:
    if node[0] == "Dataset":
        return any(True for _ in _in(graph, node, "READS"))
    if node[0] == "ModelArtifact":
        return True
    if node[0] == "S3Object":
        in_read_dataset = any(any(True for _ in _in(graph, d, "READS")) for d, _, _ in _out(graph, node, "IN_DATASET"))
        attrs = graph.nodes[node]
        is_artifact = any(n[0] == "ModelArtifact" and a.get("bucket") == attrs.get("bucket")
                          and a.get("key") == attrs.get("key") for n, a in graph.nodes(data=True))
        return in_read_dataset or is_artifact
    return False


@answers("public-ai-data")
def public_ai_data(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    anyone = ("AWSPrincipal", "*")
    if anyone not in graph:
        return []
    rows = []
    for target, edge_type, c in _out(graph, anyone, "CAN_READ", "CAN_WRITE"):
        if c.get("access") != "potential" or not _public_scope(graph, target):
            continue
        x = graph.nodes[target]
        rows.append({"resource": x.get("uri") or x.get("arn"), "resource_type": target[0], "bucket": x.get("bucket"),
                     "access": "read" if edge_type == "CAN_READ" else "write", "via": c.get("via")})
    return rows


def _ai_role_reasons(graph: nx.MultiDiGraph, role: Node) -> list[str]:
    reasons = set()
    for src, _, _ in _in(graph, role, "EXECUTES_AS"):
        reasons.add("serves-models" if src[0] == "Model" else "runs-jobs")
    for dataset, _, _ in _out(graph, role, "CAN_READ"):
        if dataset[0] == "Dataset" and _is_training_data(graph, dataset):
            reasons.add("can-read-training-data")
    for obj, _, _ in _out(graph, role, "READ"):
        for dataset, _, _ in _out(graph, obj, "IN_DATASET"):
            if _is_training_data(graph, dataset):
                reasons.add("read-training-data")
    return sorted(reasons)


@answers("iam-changes-on-ai-roles")
def iam_changes_on_ai_roles(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    rows = []
    for role, attrs in graph.nodes(data=True):
        if role[0] != "AWSPrincipal" or "AWSRole" not in attrs.get("labels", ()):
            continue
        reasons = _ai_role_reasons(graph, role)
        if not reasons:
            continue
        changes: set[tuple[Node, str]] = set()
        for state, _, _ in _out(graph, role, "HAS_POLICY"):
            s = graph.nodes[state]
            if s.get("evidence") == "event":
                changes.add((state, attrs["arn"]))
            if s.get("kind") in ("attachment", "boundary") and s.get("target") is not None:
                policy = ("AWSPolicy", s["target"])
                if policy in graph:
                    for change, _, _ in _out(graph, policy, "HAS_POLICY"):
                        if graph.nodes[change].get("evidence") == "event":
                            changes.add((change, s["target"]))
        for state, changed in changes:
            s = graph.nodes[state]
            rows.append({"role": attrs["arn"], "reasons": reasons, "changed": changed, "operation": s.get("operation"),
                         "slot": s.get("slot"), "actor": s.get("actor"), "time": s.get("valid_from"),
                         "event_id": s.get("event_id")})
    return rows


@answers("access-at-training-time")
def access_at_training_time(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    rows = []
    for label in ("TrainingJob", "CustomizationJob"):
        job = (label, params["job"])
        if job not in graph:
            continue
        for principal, _, e in _out(graph, job, "INPUT_READABLE_BY"):
            p = graph.nodes[principal]
            for dataset, access, via in zip(e["datasets"], e["accesses"], e["vias"], strict=True):
                rows.append({"job": params["job"], "as_of": e.get("as_of"), "dataset": dataset,
                             "principal": p.get("arn"), "account": p.get("account_id"), "access": access,
                             "via": via.split("\n")})
    return rows
