"""The lineage questions answered on the embedded (networkx) store: which data made a model, and where it went.

Each function mirrors its `cypher/<id>.cypher` file row for row (the parity tests hold them to each
other): endpoint-lineage, model-lineage, models-without-lineage and dataset-consumers. Datasets are
followed through processing jobs by the shared chains (graphgov.questions.embedded.chains).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from graphgov.core.ids import s3_object_arn
from graphgov.questions.embedded.chains import downstream, link, upstream, via
from graphgov.questions.embedded.registry import Rows, answers
from graphgov.questions.embedded.walk import has_label, typed_edges
from graphgov.stores.embedded_graph import GraphReads

TRAINING_JOBS = ("TrainingJob", "TuningJob")  # a tuning job's artifacts are those of the jobs it started
# a model's lineage: its packages and artifacts, the jobs that wrote or produced them, what they read through
# processing chains, and who wrote the objects of what they read
LINEAGE_EDGES = ("FROM_PACKAGE", "FROM_ARTIFACT", "WRITES", "PRODUCED", "PROVISIONS", "IMPORTED_FROM", "READS", "FEEDS",
                 "IN_DATASET", "WROTE", "CONTAINS")
LINEAGE_BARE = ("FROM_PACKAGE", "FROM_ARTIFACT", "WRITES", "PRODUCED", "PROVISIONS", "IMPORTED_FROM", "FEEDS",
                "IN_DATASET", "WROTE")  # followed only: READS (its channels) and CONTAINS (its writer ids) are read


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
    by_id: dict[str, str] | None = None
    for obj in objects:
        if obj not in graph:
            continue
        ids = {wid for _, c in _in(graph, obj, "CONTAINS") for wid in c.get("writer_ids") or ()}
        if not ids:
            continue
        by_id = by_id if by_id is not None else _principals_by_id(graph)
        wrote_accounts = {graph.nodes[src].get("account_id") for src, _ in _in(graph, obj, "WROTE")}
        for wid in ids:
            resolved = by_id.get(wid.split(":", 1)[0])
            if resolved is None and wid.startswith("account:") and wid[len("account:"):] in wrote_accounts:
                continue  # the account-level requester is the CloudTrail writer already listed
            writers.add(resolved or f"unresolved:{wid}")
    return sorted(writers)


def _principals_by_id(graph: nx.MultiDiGraph) -> dict[str, str]:
    """unique principal id (`AROA…`) -> principal ARN, for the writers S3 notifications name by id."""
    return {attrs["principal_id"]: attrs.get("arn") for (label, _), attrs in graph.nodes(data=True)
            if label == "AWSPrincipal" and attrs.get("principal_id")}


def _artifacts_of(graph: nx.MultiDiGraph, model: tuple) -> set[tuple]:
    """Artifacts a model loads, directly or through its model-registry packages."""
    sources = [model, *(package for package, _ in _out(graph, model, "FROM_PACKAGE"))]
    return {artifact for source in sources for artifact, _ in _out(graph, source, "FROM_ARTIFACT")}


def _models_loading(graph: nx.MultiDiGraph, artifact: tuple) -> set[tuple]:
    """Models loading the artifact, directly or through a model-registry package."""
    models = set()
    for source, _ in _in(graph, artifact, "FROM_ARTIFACT"):
        if source[0] == "Model":
            models.add(source)
        models.update(m for m, _ in _in(graph, source, "FROM_PACKAGE"))
    return models


def _served(graph: nx.MultiDiGraph, model: tuple) -> list[tuple]:
    """The model and what it PROVISIONS (a provisioned throughput or custom model deployment serves a model) or
    was IMPORTED_FROM (a Comprehend ImportModel copy: the source version's training is its lineage)."""
    return [model, *(target for edge_type in ("PROVISIONS", "IMPORTED_FROM")
                     for target, _ in _out(graph, model, edge_type) if target[0] == "Model")]


def _model_lineage_rows(graph: nx.MultiDiGraph, model: tuple) -> Rows:
    """(training_job, channel, dataset, dataset_writers, via, link) rows of one model, followed upstream
    through processing chains; one empty row without lineage."""
    rows = []
    served = _served(graph, model)
    jobs = sorted({job for m in served for artifact in _artifacts_of(graph, m)
                   for job, _ in _in(graph, artifact, "WRITES") if job[0] in TRAINING_JOBS}
                  | {job for m in served for job, _ in _in(graph, m, "PRODUCED")})
    for job in jobs:
        seen = set()
        for chain in upstream(graph, job):
            d = graph.nodes[chain.dataset]
            key = (chain.dataset, chain.top_channels, via(graph, chain), link(graph, chain))
            if key in seen:
                continue
            seen.add(key)
            for channel in chain.top_channels or [None]:
                rows.append({"training_job": graph.nodes[job].get("arn"), "channel": channel, "dataset": d.get("uri"),
                             "dataset_writers": _dataset_writers(graph, chain.dataset, d),
                             "via": key[2], "link": key[3]})
        if not seen:
            rows.append({"training_job": graph.nodes[job].get("arn"), "channel": None, "dataset": None,
                         "dataset_writers": [], "via": None, "link": None})
    return rows or [{"training_job": None, "channel": None, "dataset": None, "dataset_writers": [], "via": None,
                     "link": None}]


def _current_config(graph: nx.MultiDiGraph, endpoint: tuple) -> tuple | None:
    """The configuration set last (ties: smallest ARN), as the Cypher orders them."""
    configs = sorted(_out(graph, endpoint, "USES_CONFIG"), key=lambda c: c[0][1])
    return max(configs, key=lambda c: c[1].get("last_seen") or "")[0] if configs else None


def _endpoint_models(graph: nx.MultiDiGraph, endpoint: tuple) -> set[tuple]:
    """What the endpoint serves now: the models of its current configuration (SageMaker), and the model it was
    created or last updated with (Comprehend: its own SERVES edge seen last; ties: smallest ARN)."""
    current = _current_config(graph, endpoint)
    models = {model for model, _ in _out(graph, current, "SERVES")} if current else set()
    own = sorted(_out(graph, endpoint, "SERVES"), key=lambda m: m[0][1])
    if own:  # max keeps the first of equals: the smallest ARN, as the Cypher orders them
        models.add(max(own, key=lambda m: m[1].get("last_seen") or "")[0])
    return models


def _serving_endpoints(graph: nx.MultiDiGraph) -> dict[tuple, set[str]]:
    """Model node -> ARNs of endpoints that serve it now."""
    serving: dict[tuple, set[str]] = {}
    for endpoint in [n for n in graph.nodes if n[0] == "Endpoint"]:
        for model in _endpoint_models(graph, endpoint):
            serving.setdefault(model, set()).add(graph.nodes[endpoint].get("arn"))
    return serving


# SERVES with its attributes: a Comprehend endpoint serves the model of its SERVES edge seen last
@answers("endpoint-lineage", GraphReads(edges=("USES_CONFIG", "SERVES", *LINEAGE_EDGES), bare=LINEAGE_BARE,
                                        labels=("Endpoint", "AWSPrincipal")))
def endpoint_lineage(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    endpoint = ("Endpoint", params["endpoint"])
    if endpoint not in graph:
        return []
    rows = []
    for model in _endpoint_models(graph, endpoint):
        for row in _model_lineage_rows(graph, model):
            rows.append({"endpoint": params["endpoint"], "model": graph.nodes[model].get("arn"), **row})
    return rows


@answers("model-lineage", GraphReads(edges=LINEAGE_EDGES, bare=LINEAGE_BARE, labels=("Model", "AWSPrincipal")))
def model_lineage(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    model = ("Model", params["model"])
    if model not in graph:
        return []
    return [{"model": params["model"], **row} for row in _model_lineage_rows(graph, model)]


UNTRAINED_KINDS = ("foundation-model", "inference-profile", "application-inference-profile", "provisioned-model",
                   "custom-model-deployment")
SERVING_KINDS = ("provisioned-model", "custom-model-deployment")  # judged by the model they PROVISION


def _has_lineage(graph: nx.MultiDiGraph, model: tuple) -> bool:
    for artifact in _artifacts_of(graph, model):
        if any(_out(graph, job, "READS") for job, _ in _in(graph, artifact, "WRITES") if job[0] in TRAINING_JOBS):
            return True
    sources = [model, *(source for source, _ in _out(graph, model, "IMPORTED_FROM"))]  # an ImportModel copy
    return any(_out(graph, job, "READS") for source in sources for job, _ in _in(graph, source, "PRODUCED"))


def _bedrock_invocations(graph: nx.MultiDiGraph):  # noqa: ANN202 - iterator of edges
    """INVOKED edges from principals to Bedrock models: (principal, model, edge attributes)."""
    for src, dst, _, attrs in typed_edges(graph, "INVOKED"):
        if src[0] == "AWSPrincipal" and has_label(graph.nodes[dst], "BedrockModel"):
            yield src, dst, attrs


@answers("models-without-lineage", GraphReads(edges=("USES_CONFIG", "SERVES", "INVOKED", *LINEAGE_EDGES),
                                              bare=("INVOKED", *LINEAGE_BARE), labels=("Endpoint",)))
def models_without_lineage(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    in_use = {model: set(endpoints) for model, endpoints in _serving_endpoints(graph).items()}
    for _, model, _ in _bedrock_invocations(graph):
        in_use.setdefault(model, set())
        if graph.nodes[model].get("kind") in SERVING_KINDS:
            for target, _ in _out(graph, model, "PROVISIONS"):
                in_use.setdefault(target, set())
    rows = []
    for model, endpoints in in_use.items():
        attrs = graph.nodes[model]
        if has_label(attrs, "BedrockModel") and attrs.get("kind") in UNTRAINED_KINDS:
            continue
        if not _has_lineage(graph, model):
            rows.append({"model": attrs.get("arn"), "endpoints": sorted(endpoints)})
    return rows


@answers("dataset-consumers", GraphReads(
    edges=("READS", "FEEDS", "WRITES", "FROM_ARTIFACT", "FROM_PACKAGE", "PRODUCED", "IMPORTED_FROM", "USES_CONFIG",
           "SERVES"),
    labels=("Dataset", "Endpoint")))
def dataset_consumers(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    start = ("Dataset", params["dataset"])
    if start not in graph:
        return []
    serving = _serving_endpoints(graph)
    rows, seen = [], set()
    for chain in downstream(graph, start):
        job, dataset = chain.job, chain.dataset
        key = (job, dataset, tuple(chain.read.get("channels") or ()), via(graph, chain), link(graph, chain))
        if key in seen:
            continue
        seen.add(key)
        models = {m for artifact, _ in _out(graph, job, "WRITES") if artifact[0] == "ModelArtifact"
                  for m in _models_loading(graph, artifact)}
        produced = {m for m, _ in _out(graph, job, "PRODUCED")}
        models |= produced | {copy for m in produced for copy, _ in _in(graph, m, "IMPORTED_FROM")}  # ImportModel
        for model in sorted(models) or [None]:
            for channel in key[2]:
                rows.append({
                    "dataset": params["dataset"], "read_dataset": dataset[1], "job": graph.nodes[job].get("arn"),
                    "job_type": job[0], "channel": channel,
                    "model": graph.nodes[model].get("arn") if model else None,
                    "endpoints": sorted(serving.get(model, ())) if model else [],
                    "via": key[3], "link": key[4],
                })
    return rows

