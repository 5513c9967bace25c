"""The lineage subgraph of an endpoint or a model, the same on both stores.

endpoint -> its current configuration -> the models it serves -> (model-registry package) -> the artifact
a model loads -> the training or tuning job that wrote it (or the Bedrock customization job that produced
the model) -> each input dataset with its channels -> who wrote objects into the dataset and who can read
(or did read) it -> the processing jobs whose outputs FEED it (by S3 containment) and their own inputs,
up to five steps. A provisioned throughput or custom model deployment (what applications invoke)
PROVISIONS the model whose lineage it shows; a Comprehend model copied by ImportModel is IMPORTED_FROM it.

Jobs, channels, datasets and writers come from the saved questions `endpoint-lineage` / `model-lineage`
and the readers from `training-data-readers`, run through `graphgov.questions.catalog.ask`; the store's typed
edge scans only place the configuration, packages and artifacts between the model and its jobs. All
reads; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphgov.core import ids
from graphgov.core.s3_containment import WRITER_JOBS
from graphgov.questions.catalog import RESOLVED_TYPES, QuestionError, ask, resolve_node
from graphgov.stores.base import Store

QUESTION_ID = "lineage"
JOB_LABELS = ("TrainingJob", "TuningJob", "CustomizationJob")
KINDS = {  # merge label -> the word the text tree uses
    "Endpoint": "endpoint", "EndpointConfig": "config", "Model": "model", "ModelPackage": "package",
    "ModelArtifact": "artifact", "TrainingJob": "training job", "TuningJob": "tuning job",
    "CustomizationJob": "customization job", "Dataset": "dataset", "AWSPrincipal": "principal",
    "ProcessingJob": "processing job", "TransformJob": "transform job", "BatchInferenceJob": "batch inference job",
}

Node = tuple[str, str]  # (merge label, key)


def kind_word(node: Node) -> str:
    """The word the text tree uses for the node: its merge label's, but a Comprehend training or flywheel (a
    CustomizationJob keyed by a comprehend ARN) says what it is."""
    label, key = node
    if label == "CustomizationJob" and ids.arn_service(key) == "comprehend":
        return "Comprehend flywheel" if ids.parse_arn(key).resource.startswith("flywheel/") else "Comprehend training"
    return KINDS.get(label, label)


@dataclass
class Lineage:
    """Nodes and edges of one lineage subgraph; `root` is the endpoint or model asked about."""

    root: Node
    nodes: set[Node] = field(default_factory=set)
    edges: dict[tuple[str, Node, Node], dict[str, Any]] = field(default_factory=dict)

    def add(self, edge_type: str, src: Node, dst: Node, **props: Any) -> None:
        self.nodes.update((src, dst))
        self.edges.setdefault((edge_type, src, dst), {}).update(props)

    def out(self, node: Node, *types: str) -> list[tuple[str, Node, dict[str, Any]]]:
        return sorted(((t, d, p) for (t, s, d), p in self.edges.items() if s == node and t in types),
                      key=lambda e: (e[1], e[0]))

    def into(self, node: Node, *types: str) -> list[tuple[str, Node, dict[str, Any]]]:
        return sorted(((t, s, p) for (t, s, d), p in self.edges.items() if d == node and t in types),
                      key=lambda e: (e[1], e[0]))


def resolve_target(store: Store, value: str) -> Node:
    """An endpoint first, then a model, by ARN or name; ambiguity fails as the questions do."""
    for param_type, label in (("endpoint", "Endpoint"), ("model", "Model")):
        if _matches(store, param_type, value):
            return label, resolve_node(QUESTION_ID, "target", param_type, value, store)
    raise QuestionError(f"{QUESTION_ID}: no endpoint or model in the graph matches {value!r}")


def _matches(store: Store, param_type: str, value: str) -> bool:
    labels, to_key, to_name = RESOLVED_TYPES[param_type]
    try:
        key = to_key(value)
    except ids.IdentityError:
        return False
    return any(store.find_nodes(label, key, name) for label in labels for name in to_name(value))


def build_lineage(store: Store, value: str) -> Lineage:
    """The lineage subgraph of the endpoint or model that `value` names."""
    root = resolve_target(store, value)
    lineage = Lineage(root)
    lineage.nodes.add(root)
    if root[0] == "Endpoint":
        rows = ask(store, "endpoint-lineage", {"endpoint": root[1]})
        config = _current_config(store, root[1])
        if config is not None:
            lineage.add("USES_CONFIG", root, ("EndpointConfig", config))
            for model in sorted({r["model"] for r in rows}):
                lineage.add("SERVES", ("EndpointConfig", config), ("Model", model))
    else:
        rows = [{"endpoint": None, **r} for r in ask(store, "model-lineage", {"model": root[1]})]
    models = {r["model"] for r in rows}
    for edge_type in ("PROVISIONS", "IMPORTED_FROM"):  # what is served or copied: its lineage is the model's
        for src, dst in _edges(store, edge_type):
            if src[1] in models:
                lineage.add(edge_type, src, dst)
                models.add(dst[1])
    jobs = {r["training_job"] for r in rows if r["training_job"]}
    job_nodes = _place_jobs(store, lineage, models, jobs)
    datasets: set[str] = set()
    for row in rows:
        model, job, dataset = row["model"], row["training_job"], row["dataset"]
        lineage.nodes.add(("Model", model))
        if job is None:
            continue
        job_node = job_nodes[job]
        if dataset is None:
            lineage.nodes.add(job_node)
            continue
        datasets.add(dataset)
        for writer in row["dataset_writers"]:
            lineage.add("WROTE", ("AWSPrincipal", writer), ("Dataset", dataset))
        if row.get("via"):
            continue  # upstream of a processing job: placed by _place_chains
        reads = lineage.edges.get(("READS", job_node, ("Dataset", dataset)), {})
        channels = sorted({*reads.get("channels", []), *([row["channel"]] if row["channel"] else [])})
        lineage.add("READS", job_node, ("Dataset", dataset), channels=channels)
    _place_chains(store, lineage, rows)
    for dataset in sorted(datasets):
        for reader in ask(store, "training-data-readers", {"dataset": dataset}):
            edge_type = "READ" if reader["access"] == "observed" else "CAN_READ"
            lineage.add(edge_type, ("AWSPrincipal", reader["principal"]), ("Dataset", dataset),
                        access=reader["access"], via=reader["via"])
    return lineage


def _place_chains(store: Store, lineage: Lineage, rows: list[dict[str, Any]]) -> None:
    """Processing job -FEEDS-> the dataset its output contains, and its own READS, for the rows whose
    `via` (`a -> b`, nearest the training job first) names the processing jobs in between."""
    chained = [r for r in rows if r.get("via") and r["dataset"]]
    if not chained:
        return
    feeds = set(_edges(store, "FEEDS"))
    manifests = {key for key, attrs in store.scan_nodes("Dataset")
                 if (attrs.get("data_type") or "S3Prefix") != "S3Prefix"}
    read_channels = {(src, dst): props.get("channels") or [] for src, dst, props in store.scan_edges("READS")
                     if src[0] in WRITER_JOBS}
    labels = {job[1]: job[0] for job, _ in feeds}
    # datasets each chain prefix reaches: () is the training job's own inputs
    reached: dict[tuple[str, str, tuple[str, ...]], set[str]] = {}
    for row in rows:
        if row["training_job"] and row["dataset"]:
            via = tuple(row["via"].split(" -> ")) if row.get("via") else ()
            reached.setdefault((row["model"], row["training_job"], via), set()).add(row["dataset"])
    for row in sorted(chained, key=lambda r: len(r["via"])):
        via = tuple(row["via"].split(" -> "))
        producer = (labels.get(via[-1], "ProcessingJob"), via[-1])
        for fed in sorted(reached.get((row["model"], row["training_job"], via[:-1]), ())):
            if (producer, ("Dataset", fed)) in feeds:
                lineage.add("FEEDS", producer, ("Dataset", fed), link="unknown" if fed in manifests else "prefix")
        dataset = ("Dataset", row["dataset"])
        lineage.add("READS", producer, dataset, channels=sorted(read_channels.get((producer, dataset), [])))


def _current_config(store: Store, endpoint: str) -> str | None:
    """The configuration set last (ties: smallest ARN), as `endpoint-lineage` chooses it."""
    configs = sorted((dst[1], str(props.get("last_seen") or "")) for src, dst, props in store.scan_edges("USES_CONFIG")
                     if src == ("Endpoint", endpoint))
    return max(configs, key=lambda c: c[1])[0] if configs else None


def _place_jobs(store: Store, lineage: Lineage, models: set[str], jobs: set[str]) -> dict[str, Node]:
    """Add model -> (package) -> artifact <- job and customization job -> model; job ARN -> its node."""
    packages = _edges(store, "FROM_PACKAGE")
    artifacts = _edges(store, "FROM_ARTIFACT")
    writers: dict[Node, list[Node]] = {}
    for src, dst in _edges(store, "WRITES"):
        if src[0] in JOB_LABELS and src[1] in jobs:
            writers.setdefault(dst, []).append(src)
    placed: dict[str, Node] = {}
    for model in sorted(models):
        m = ("Model", model)
        for holder in [m, *(pkg for src, pkg in packages if src == m)]:
            for src, artifact in artifacts:
                if src != holder or artifact not in writers:
                    continue
                if holder != m:
                    lineage.add("FROM_PACKAGE", m, holder)
                lineage.add("FROM_ARTIFACT", holder, artifact)
                for job in writers[artifact]:
                    lineage.add("WRITES", job, artifact)
                    placed[job[1]] = job
    for src, dst in _edges(store, "PRODUCED"):
        if src[0] == "CustomizationJob" and src[1] in jobs and dst[0] == "Model" and dst[1] in models:
            lineage.add("PRODUCED", src, dst)
            placed[src[1]] = src
    for job in jobs - set(placed):  # not expected: the questions and the scans walk the same edges
        placed[job] = ("TrainingJob", job)
    return placed


def _edges(store: Store, edge_type: str) -> list[tuple[Node, Node]]:
    return sorted({(tuple(src), tuple(dst)) for src, dst, _ in store.scan_edges(edge_type)})  # type: ignore[misc]


def display_name(node: Node) -> str:
    """A short name for a node: the resource name of an ARN, the key itself otherwise (S3 URIs)."""
    label, key = node
    if label != "AWSPrincipal" and ids.is_arn(key):
        resource = ids.parse_arn(key).resource
        return resource.split("/", 1)[1] if "/" in resource else resource
    return key


def as_json(lineage: Lineage) -> dict[str, Any]:
    """{"root", "nodes", "edges"}: node ids are `Label:key`; edges carry their type and properties."""

    def node_id(node: Node) -> str:
        return f"{node[0]}:{node[1]}"

    nodes = [{"id": node_id(n), "label": n[0], "key": n[1], "name": display_name(n)} for n in sorted(lineage.nodes)]
    edges = [{"type": t, "source": node_id(s), "target": node_id(d), **dict(sorted(p.items()))}
             for (t, s, d), p in sorted(lineage.edges.items(), key=lambda e: (e[0][1], e[0][2], e[0][0]))]
    return {"root": node_id(lineage.root), "nodes": nodes, "edges": edges}


def as_text(lineage: Lineage) -> str:
    """An indented tree from the root down to the datasets, then who wrote and who can read each."""
    lines: list[str] = []

    def line(depth: int, text: str) -> None:
        lines.append("  " * depth + text)

    def node_line(depth: int, node: Node, suffix: str = "") -> None:
        line(depth, f"{kind_word(node)} {node[1]}{suffix}")

    def job(depth: int, node: Node, prefix: str = "", path: tuple[Node, ...] = ()) -> None:
        line(depth, f"{prefix}{kind_word(node)} {node[1]}")
        reads = lineage.out(node, "READS")
        if not reads:
            line(depth + 1, "(no input dataset known)")
        for _, dataset, props in reads:
            channels = props.get("channels") or []
            suffix = f" (channel{'s' if len(channels) > 1 else ''} {', '.join(channels)})" if channels else ""
            node_line(depth + 1, dataset, suffix)
            for _, writer, _ in lineage.into(dataset, "WROTE"):
                line(depth + 2, f"written by {writer[1]}")
            for _, reader, p in lineage.into(dataset, "CAN_READ"):
                line(depth + 2, f"readable by {reader[1]} ({p['access']})")
            for _, reader, _ in lineage.into(dataset, "READ"):
                line(depth + 2, f"read by {reader[1]} (observed)")
            for _, producer, feed in lineage.into(dataset, "FEEDS"):
                if producer not in path:  # a chain that comes back is drawn once
                    prefix = "possibly prepared (a manifest: its keys were not read) by " \
                        if feed.get("link") == "unknown" else "prepared by "
                    job(depth + 2, producer, prefix, (*path, node))

    def artifact_holder(depth: int, holder: Node) -> bool:
        found = False
        for _, artifact, _ in lineage.out(holder, "FROM_ARTIFACT"):
            found = True
            node_line(depth, artifact)
            for _, writer, _ in lineage.into(artifact, "WRITES"):
                job(depth + 1, writer)
        return found

    def model(depth: int, node: Node) -> None:
        node_line(depth, node)
        for _, served, _ in lineage.out(node, "PROVISIONS"):
            line(depth + 1, f"serves model {served[1]}")
            model_body(depth + 2, served)
        for _, source, _ in lineage.out(node, "IMPORTED_FROM"):
            line(depth + 1, f"imported from model {source[1]}")
            model_body(depth + 2, source)
        if not lineage.out(node, "PROVISIONS", "IMPORTED_FROM"):
            model_body(depth + 1, node)

    def model_body(depth: int, node: Node) -> None:
        found = artifact_holder(depth, node)
        for _, package, _ in lineage.out(node, "FROM_PACKAGE"):
            node_line(depth, package)
            found = artifact_holder(depth + 1, package) or found
        for _, producer, _ in lineage.into(node, "PRODUCED"):
            found = True
            job(depth, producer)
        if not found:
            line(depth, "(no training job known: lineage not evidenced)")

    root = lineage.root
    if root[0] == "Endpoint":
        node_line(0, root)
        configs = lineage.out(root, "USES_CONFIG")
        if not configs:
            line(1, "(no endpoint configuration known)")
        for _, config, _ in configs:
            node_line(1, config)
            for _, served, _ in lineage.out(config, "SERVES"):
                model(2, served)
    else:
        model(0, root)
    return "\n".join(lines) + "\n"

