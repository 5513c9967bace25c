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

from graphgov.core.schema import ACCESS_MODEL_KINDS
from graphgov.questions.embedded.estate import TRAINING_READERS, Estate
from graphgov.questions.embedded.registry import Rows, answers
from graphgov.questions.embedded.walk import edges_in as _in
from graphgov.questions.embedded.walk import edges_out as _out
from graphgov.stores.embedded_graph import GraphReads

Node = tuple[str, str]
CAPABILITIES = ("CAN_READ", "CAN_WRITE", "CAN_DECRYPT", "CAN_INVOKE")
Found = tuple[Node, str, list[str]]  # (principal, access, via): rows of one key unite their via
# cross-account-exposure walks nearly everything: capabilities and role chains into each exposed resource,
# every operation on its objects (an artifact's found by bucket and key among all objects), replicas, uses
EXPOSURE_READS = GraphReads(
    edges=("IN_BUCKET", "READS", *CAPABILITIES, "CAN_ASSUME", "IN_DATASET", "READ", "WROTE", "REPLICA_OF", "USED_KEY",
           "INVOKED", "CONTAINS", "ASSUMED_ROLE", "IMPORTED_FROM", "CREATED"),
    bare=("IN_BUCKET", "READS", "IN_DATASET", "CONTAINS", "ASSUMED_ROLE", "IMPORTED_FROM"),  # followed only
    # the bulk of the graph, read for one or two attributes: at 1M records 413k READ/WROTE edges, 299k objects
    fields=(("READ", ("operations",)), ("WROTE", ("operations",)), ("S3Object", ("bucket", "key")),
            ("REPLICA_OF", ("destination_principal", "destination_bucket", "rules")), ("CREATED", ("operations",))),
    labels=("Dataset", "ModelArtifact", "KMSKey", "Endpoint", "ModelPackageGroup", "Model", "S3Object", "AWSPrincipal",
            *TRAINING_READERS))


def _capability_rows(estate: Estate, target: Node, types: tuple[str, ...]) -> Iterator[Found]:
    """(principal, access, via) from derived edges into the target, directly and through role chains."""
    graph = estate.graph
    edges = estate.edges_in(target)
    for edge_type in types:
        for principal, c in edges.get(edge_type, ()):
            if principal[0] != "AWSPrincipal":
                continue
            yield principal, c["access"], list(c.get("via", []))
            for start, roles, chain in estate.chains(principal):
                assumes = [f"assume:{graph.nodes[r]['arn']}" for r in roles]
                trusts = [v for e in chain for v in e.get("via", [])]
                yield start, _chain_access([*chain, c]), assumes + list(c.get("via", [])) + trusts


def _chain_access(edges: list[dict]) -> str:
    """A chain is as strong as its weakest step; a step seen succeeding (`observed`) passes on `potential`."""
    accesses = {e["access"] for e in edges}
    if "unknown" in accesses:
        return "unknown"
    return "potential" if accesses <= {"potential", "observed"} else "conditional"


def _operations(estate: Estate, objects: Iterator[Node] | list[Node], types: tuple[str, ...],
                replicas: list[dict] | None = None) -> dict[Node, set[str]]:
    """principal -> the operations it did (edges of `types`) on any of the objects, in one pass over each
    object's incoming edges; the REPLICA_OF edges met on the way go to `replicas` when it is given."""
    found: dict[Node, set[str]] = {}
    pred = estate.graph._pred  # networkx's adjacency, read directly: the hot loop of the access questions
    for obj in objects:
        for principal, by_type in pred[obj].items():
            for edge_type, r in by_type.items():
                if edge_type in types:
                    operations = r.get("operations")
                    if operations:  # an edge without operations yields no row
                        seen = found.get(principal)
                        if seen is None:
                            found[principal] = set(operations)
                        else:
                            seen.update(operations)
                elif edge_type == "REPLICA_OF" and replicas is not None:
                    replicas.append(r)
    return found


def _used(estate: Estate, resource: Node) -> dict[Node, set[str]]:
    """principal -> its operations on the key or model itself (USED_KEY, INVOKED), from the resource's edges
    read once (a dataset's incoming edges are mostly IN_DATASET, one per object)."""
    edges = estate.edges_in(resource)
    found: dict[Node, set[str]] = {}
    for principal, r in [*edges.get("USED_KEY", ()), *edges.get("INVOKED", ())]:
        if r.get("operations"):
            found.setdefault(principal, set()).update(r["operations"])
    return found


def _imported_rows(estate: Estate, model: Node) -> Iterator[Found]:
    """Who copied the model version into their account (Comprehend ImportModel): they created a copy of it."""
    for copy, _ in estate.edges_in(model).get("IMPORTED_FROM", ()):
        for principal, r in estate.edges_in(copy).get("CREATED", ()):
            if principal[0] == "AWSPrincipal" and "ImportModel" in (r.get("operations") or ()):
                yield principal, "observed", ["cloudtrail:ImportModel"]


def _dataset_objects(estate: Estate, dataset: Node) -> list[Node]:
    return [obj for obj, _ in estate.edges_in(dataset).get("IN_DATASET", ())]


def _seen(operations: Mapping[Node, set[str]], principals_only: bool = False) -> Iterator[Found]:
    """One observed row per principal with all its operations (`cloudtrail:<op>`), as one row per operation
    would be once united; none for a principal whose edges carry no operation."""
    for principal, ops in operations.items():
        if ops and (not principals_only or principal[0] == "AWSPrincipal"):
            yield principal, "observed", [f"cloudtrail:{op}" for op in ops]


def _rows(groups: Mapping[tuple, set], columns: Any) -> Rows:
    return [columns(key, sorted(vias)) for key, vias in groups.items()]


@answers("training-data-readers", GraphReads(edges=("READS", "IN_DATASET", "READ", "CAN_READ", "CAN_ASSUME"),
                                         bare=("READS", "IN_DATASET"), labels=("Dataset", *TRAINING_READERS)))
def training_data_readers(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    wanted = params.get("dataset")
    estate = Estate(graph)
    if wanted is None:
        datasets = sorted(estate.training_datasets())
    else:
        datasets = [("Dataset", wanted)] if ("Dataset", wanted) in graph else []
    groups: dict[tuple, set] = defaultdict(set)
    for node in datasets:
        reads = _operations(estate, _dataset_objects(estate, node), ("READ",))
        for principal, access, via in [*_seen(reads, True), *_capability_rows(estate, node, ("CAN_READ",))]:
            groups[(node, principal, access)].update(via)
    return _rows(groups, lambda k, via: {
        "dataset": k[0][1], "principal": graph.nodes[k[1]].get("arn"),
        "account": graph.nodes[k[1]].get("account_id"), "access": k[2], "via": via})


def _exposed_resources(estate: Estate) -> Iterator[tuple[Node, str | None]]:
    graph = estate.graph
    for node, attrs in graph.nodes(data=True):
        label = node[0]
        if label in ("Dataset", "ModelArtifact"):
            if label == "Dataset" and not estate.is_training_data(node):
                continue
            for bucket, _, _ in _out(graph, node, "IN_BUCKET"):
                yield node, graph.nodes[bucket].get("account_id")
        elif label in ("KMSKey", "Endpoint", "ModelPackageGroup") or (
                label == "Model" and attrs.get("kind") in ACCESS_MODEL_KINDS):
            yield node, attrs.get("account_id")


def _artifact_objects(estate: Estate, artifact: Node) -> list[Node]:
    attrs = estate.graph.nodes[artifact]
    return estate.objects_at(attrs.get("bucket"), attrs.get("key"))


def _replica_rows(estate: Estate, resource: Node, replicas: list[dict]) -> list[Found]:
    """Accounts that receive a copy of the resource's objects by S3 replication (graphgov.ingest.replication):
    `potential`, via `replication:<rule>:<destination bucket>`, from the REPLICA_OF edges into its objects.
    Cypher: the REPLICA_OF branch."""
    graph = estate.graph
    if resource[0] == "Dataset" and graph.nodes[resource].get("data_type", "S3Prefix") != "S3Prefix":
        return _manifest_replica_rows(estate, resource)
    if resource[0] not in ("Dataset", "ModelArtifact"):
        return []
    found = []
    for r in replicas:
        principal = ("AWSPrincipal", r.get("destination_principal"))
        if principal in graph:
            found += [(principal, "potential", [f"replication:{rule}:{r.get('destination_bucket')}"])
                      for rule in r.get("rules") or [""]]
    return found


def _bucket_replicas(estate: Estate, bucket: Node) -> set[tuple]:
    """(destination principal, destination bucket, rules) of every replication out of the bucket's objects,
    once per bucket (several manifest datasets share a bucket)."""
    def compute() -> set[tuple]:
        graph = estate.graph
        found = set()
        for obj, by_type in graph._succ[bucket].items():  # every object of the bucket: the hot loop here
            if "CONTAINS" in by_type:
                for edges in graph._pred[obj].values():
                    r = edges.get("REPLICA_OF")
                    if r is not None:
                        found.add((r.get("destination_principal"), r.get("destination_bucket"),
                                   tuple(r.get("rules") or [""])))
        return found
    return estate.memo(("bucket-replicas", bucket), compute)


def _manifest_replica_rows(estate: Estate, dataset: Node) -> list[Found]:
    """A manifest dataset's members are unknown until the manifest is read: objects of its bucket replicated
    to another account may be among them, so that account's access is `unknown`. Cypher: the manifest branch."""
    graph = estate.graph
    destinations = set()
    for bucket, _, _ in _out(graph, dataset, "IN_BUCKET"):
        destinations |= _bucket_replicas(estate, bucket)
    uri = graph.nodes[dataset].get("uri")
    return [(("AWSPrincipal", principal), "unknown",
             [f"replication:{rule}:{bucket}", f"unknown:manifest-members:{uri}"])
            for principal, bucket, rules in sorted(destinations, key=str) if ("AWSPrincipal", principal) in graph
            for rule in rules]


def _assumed_rows(estate: Estate, role_operations: Mapping[Node, set[str]]) -> Iterator[Found]:
    """Who assumed a role that read or wrote the objects: observed, via the role and the operation."""
    graph = estate.graph
    for role, operations in role_operations.items():
        if not operations:
            continue
        via = [f"assume:{graph.nodes[role].get('arn')}", *(f"cloudtrail:{op}" for op in operations)]
        for principal, _ in estate.edges_in(role).get("ASSUMED_ROLE", ()):
            yield principal, "observed", via


def _exposure_found(estate: Estate, resource: Node) -> Iterator[Found]:
    """Every (principal, access, via) reaching one exposed resource, before the other-account filter."""
    yield from _capability_rows(estate, resource, CAPABILITIES)
    replicas: list[dict] = []  # into the dataset's objects, or the artifact's
    dataset_ops = _operations(estate, _dataset_objects(estate, resource), ("READ", "WROTE"), replicas)
    yield from _seen(dataset_ops, True)
    if resource[0] == "ModelArtifact":
        replicas = []
        yield from _seen(_operations(estate, _artifact_objects(estate, resource), ("READ", "WROTE"), replicas))
    yield from _seen(_used(estate, resource))
    yield from _imported_rows(estate, resource)
    yield from _replica_rows(estate, resource, replicas)
    yield from _assumed_rows(estate, dataset_ops)


@answers("cross-account-exposure", EXPOSURE_READS)
def cross_account_exposure(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    estate = Estate(graph)
    groups: dict[tuple, set] = {}
    nodes = graph._node  # the attribute dicts, without a view per lookup: 160k rows at 1M records
    outsider: dict[tuple[Node, str], bool] = {}  # (principal, resource account) -> whether it is reported
    for resource, account in _exposed_resources(estate):
        if account is None:
            continue
        for principal, access, via in _exposure_found(estate, resource):
            reported = outsider.get((principal, account))
            if reported is None:
                p = nodes[principal]
                reported = outsider[(principal, account)] = (
                    principal[0] == "AWSPrincipal" and "AWSServicePrincipal" not in p.get("labels", ())
                    and (p.get("arn") == "*" or p.get("account_id") not in (None, account)))
            if reported:
                key = (resource, account, principal, access)
                vias = groups.get(key)
                if vias is None:
                    groups[key] = set(via)
                else:
                    vias.update(via)
    return _rows(groups, lambda k, via: {
        "resource": nodes[k[0]].get("uri") or nodes[k[0]].get("arn"), "resource_account": k[1],
        "principal": nodes[k[2]].get("arn"), "principal_account": nodes[k[2]].get("account_id"),
        "access": k[3], "via": via})


def _read_by_a_job(estate: Estate, dataset: Node) -> bool:
    return bool(estate.edges_in(dataset).get("READS"))


def _public_scope(estate: Estate, node: Node) -> bool:
    if node[0] == "Dataset":
        return _read_by_a_job(estate, node)
    if node[0] == "ModelArtifact":
        return True
    if node[0] == "S3Object":
        in_read_dataset = any(_read_by_a_job(estate, d) for d, _, _ in _out(estate.graph, node, "IN_DATASET"))
        attrs = estate.graph.nodes[node]
        return in_read_dataset or (attrs.get("bucket"), attrs.get("key")) in estate.artifact_locations()
    return False


@answers("public-ai-data", GraphReads(edges=("CAN_READ", "CAN_WRITE", "READS", "IN_DATASET"),
                                  bare=("READS", "IN_DATASET"), labels=("AWSPrincipal", "Dataset", "ModelArtifact")))
def public_ai_data(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    anyone = ("AWSPrincipal", "*")
    if anyone not in graph:
        return []
    estate = Estate(graph)
    rows = []
    for target, edge_type, c in _out(graph, anyone, "CAN_READ", "CAN_WRITE"):
        if c.get("access") != "potential" or not _public_scope(estate, target):
            continue
        x = graph.nodes[target]
        rows.append({"resource": x.get("uri") or x.get("arn"), "resource_type": target[0], "bucket": x.get("bucket"),
                     "access": "read" if edge_type == "CAN_READ" else "write", "via": c.get("via")})
    return rows


def _ai_role_reasons(estate: Estate, role: Node) -> list[str]:
    graph = estate.graph
    reasons = set()
    for src, _, _ in _in(graph, role, "EXECUTES_AS"):
        reasons.add("serves-models" if src[0] == "Model" else "runs-jobs")
    for dataset, _, _ in _out(graph, role, "CAN_READ"):
        if dataset[0] == "Dataset" and estate.is_training_data(dataset):
            reasons.add("can-read-training-data")
    for obj, _, _ in _out(graph, role, "READ"):
        if any(estate.is_training_data(dataset) for dataset, _, _ in _out(graph, obj, "IN_DATASET")):
            reasons.add("read-training-data")
            break  # one object is reason enough
    return sorted(reasons)


@answers("iam-changes-on-ai-roles", GraphReads(
    edges=("EXECUTES_AS", "CAN_READ", "READ", "IN_DATASET", "READS", "HAS_POLICY"),
    bare=("EXECUTES_AS", "CAN_READ", "READ", "IN_DATASET", "READS", "HAS_POLICY"),  # which roles, not how
    labels=("AWSPrincipal", "AWSPolicy", *TRAINING_READERS)))
def iam_changes_on_ai_roles(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    rows = []
    estate = Estate(graph)
    for role, attrs in graph.nodes(data=True):
        if role[0] != "AWSPrincipal" or "AWSRole" not in attrs.get("labels", ()):
            continue
        reasons = _ai_role_reasons(estate, role)
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


@answers("access-at-training-time", GraphReads(edges=("INPUT_READABLE_BY",),
                                                    labels=("TrainingJob", "CustomizationJob")))
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
