"""The whole graph's AI lineage as job runs: what each job read and wrote, when, and who started it.

One run per SageMaker, Bedrock or Comprehend job node (training, tuning, processing, transform, customization
or Comprehend training, batch inference, model import, knowledge-base ingestion), with its inputs (READS,
RUNS_MODEL, BASED_ON, IMPORTS, USES_MODEL) and outputs (WRITES, FEEDS, PRODUCED). The steps AWS names no job
for are runs too, so a lineage tool can draw dataset -> job -> artifact -> model -> endpoint:
`deploy/model/<m>` (artifact or registry package -> model), `register/model-package/<p>` (artifact ->
package), `deploy/endpoint/<e>` (the models its current configuration serves -> endpoint),
`provision/provisioned-model/<p>` (model -> provisioned throughput) and `import/<model>` (a Comprehend source
version -> its ImportModel copy). Dataset writers come from the `model-lineage` question, as `graphgov
lineage` shows them. Reads only: the stores' scans and saved questions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from graphgov.core import ids
from graphgov.export.naming import node_name, step_name
from graphgov.questions.catalog import QuestionError, ask
from graphgov.stores.base import Store

Node = tuple[str, str]  # (merge label, key)

JOB_TYPES = {  # job label -> (OpenLineage jobType, what it is)
    "TrainingJob": ("TRAINING", "SageMaker training job"),
    "TuningJob": ("TUNING", "SageMaker hyperparameter tuning job"),
    "ProcessingJob": ("PROCESSING", "SageMaker processing job (data preparation)"),
    "TransformJob": ("TRANSFORM", "SageMaker batch transform job"),
    "CustomizationJob": ("CUSTOMIZATION", "Bedrock model customization job"),
    "BatchInferenceJob": ("BATCH_INFERENCE", "Bedrock batch inference job"),
    "ModelImportJob": ("MODEL_IMPORT", "Bedrock custom model import job"),
    "KnowledgeBase": ("KNOWLEDGE_BASE_INGESTION", "Bedrock knowledge base ingestion"),
}
# the AWS service in a job's ARN -> the OpenLineage jobType integration; SageMaker's otherwise
INTEGRATIONS = {"bedrock": "BEDROCK", "comprehend": "COMPREHEND"}
# job label -> what a Comprehend job of that label is (its JOB_TYPES entry names the SageMaker or Bedrock one)
COMPREHEND_JOBS = {
    "CustomizationJob": "Amazon Comprehend custom model training (CreateDocumentClassifier / CreateEntityRecognizer)",
    "BatchInferenceJob": "Amazon Comprehend asynchronous analysis job (Start*Job)",
}
COMPREHEND_FLYWHEEL = "Amazon Comprehend flywheel (its iterations train new versions from its datasets)"
INPUT_EDGES = ("READS", "RUNS_MODEL", "BASED_ON", "IMPORTS", "USES_MODEL")
OUTPUT_EDGES = ("WRITES", "FEEDS", "PRODUCED")
DATASET_LABELS = ("Dataset", "ModelArtifact", "Model", "ModelPackage", "Endpoint", "KnowledgeBase")


@dataclass
class Run:
    """One job run: the job it belongs to, its times (from the graph's evidence) and its datasets."""

    key: str  # the ARN the run stands for: the job's, or the resource a step deploys
    job: tuple[str, str]  # OpenLineage (namespace, name)
    job_type: str
    integration: str  # SAGEMAKER, BEDROCK or COMPREHEND
    description: str
    started: str
    ended: str
    inputs: list[Node] = field(default_factory=list)
    outputs: list[Node] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)  # principals that created the job or resource
    roles: list[str] = field(default_factory=list)  # roles the job ran as


@dataclass
class LineageRuns:
    """Every run, sorted by start, and what is known about each dataset they name."""

    runs: list[Run]
    datasets: dict[Node, dict[str, Any]]  # node -> its graph properties
    writers: dict[Node, list[str]]  # dataset -> principals seen writing into it


def lineage_runs(store: Store) -> LineageRuns:
    """Read the graph into runs; nothing is written."""
    graph = _Graph(store)
    runs: list[Run] = []
    for label, (job_type, description) in JOB_TYPES.items():
        for key, _ in graph.nodes(label):
            inputs = graph.targets(INPUT_EDGES, (label, key))
            outputs = graph.targets(OUTPUT_EDGES, (label, key))
            job = node_name(key)
            if label == "KnowledgeBase":  # the ingestion is the job, the knowledge base its output
                outputs, job = [(label, key)], step_name("ingest", key)
            what = description
            if ids.arn_service(key) == "comprehend":
                flywheel = ids.parse_arn(key).resource.startswith("flywheel/")
                what = COMPREHEND_FLYWHEEL if flywheel else COMPREHEND_JOBS.get(label, description)
            runs.append(graph.run((label, key), job, job_type, what, inputs, outputs))
    runs.extend(graph.steps())
    runs.sort(key=lambda r: (r.started, r.job))
    named = {node for run in runs for node in (*run.inputs, *run.outputs)}
    return LineageRuns(runs, {n: graph.attrs(n) for n in sorted(named)}, graph.writers(named))


class _Graph:
    """The scans the runs need, each read once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._nodes: dict[str, dict[str, dict[str, Any]]] = {}
        self._edges: dict[str, list[tuple[Node, Node, dict[str, Any]]]] = {}

    def nodes(self, label: str) -> list[tuple[str, dict[str, Any]]]:
        if label not in self._nodes:
            self._nodes[label] = dict(self.store.scan_nodes(label))
        return sorted(self._nodes[label].items())

    def attrs(self, node: Node) -> dict[str, Any]:
        self.nodes(node[0])
        return self._nodes[node[0]].get(node[1], {})

    def edges(self, edge_type: str) -> list[tuple[Node, Node, dict[str, Any]]]:
        if edge_type not in self._edges:
            self._edges[edge_type] = sorted(((tuple(s), tuple(d), p) for s, d, p in self.store.scan_edges(edge_type)),
                                            key=lambda e: (e[0], e[1]))  # type: ignore[arg-type, return-value]
        return self._edges[edge_type]

    def targets(self, edge_types: tuple[str, ...], src: Node) -> list[Node]:
        return sorted({d for t in edge_types for s, d, _ in self.edges(t) if s == src and d[0] in DATASET_LABELS})

    def principals(self, edge_type: str, node: Node, forward: bool) -> list[str]:
        if forward:
            return sorted({d[1] for s, d, _ in self.edges(edge_type) if s == node})
        return sorted({s[1] for s, d, _ in self.edges(edge_type) if d == node})

    def run(self, node: Node, job: tuple[str, str], job_type: str, description: str, inputs: list[Node],
            outputs: list[Node], started: str | None = None) -> Run:
        """A run timed by `started` (a step), else by its node: first seen to last seen (every node has
        both, core.schema)."""
        attrs = self.attrs(node)
        start = started or attrs["first_seen"]
        end = start if started else str(attrs["last_seen"])
        return Run(node[1], job, job_type, INTEGRATIONS.get(ids.arn_service(node[1]) or "", "SAGEMAKER"), description,
                   str(start), max(str(end), str(start)), inputs, outputs,
                   self.principals("CREATED", node, forward=False), self.principals("EXECUTES_AS", node, forward=True))

    def steps(self) -> list[Run]:
        """deploy/model, register/model-package, deploy/endpoint and provision/provisioned-model runs."""
        steps: list[Run] = []
        loads: dict[Node, set[Node]] = defaultdict(set)
        for edge_type in ("FROM_ARTIFACT", "FROM_PACKAGE"):
            for src, dst, _ in self.edges(edge_type):
                loads[src].add(dst)
        for node, sources in sorted(loads.items()):
            if node[0] == "ModelPackage":
                steps.append(self._step(node, "register", "REGISTER_MODEL",
                                        "Register the SageMaker model package from its artifact", sorted(sources)))
            else:
                steps.append(self._step(node, "deploy", "DEPLOY_MODEL",
                                        "Create the SageMaker model from its artifact or package", sorted(sources)))
        for endpoint, served, since in self._endpoint_models():
            what = ("Deploy the Comprehend endpoint with the model version it was created or last updated with"
                    if ids.arn_service(endpoint[1]) == "comprehend"
                    else "Deploy the SageMaker endpoint with the models its current configuration serves")
            steps.append(self._step(endpoint, "deploy", "DEPLOY_ENDPOINT", what, served, started=since))
        for throughput, model, _ in self.edges("PROVISIONS"):
            steps.append(self._step(throughput, "provision", "PROVISION_THROUGHPUT",
                                    "Provision Bedrock throughput for the model", [model]))
        for copy, source, _ in self.edges("IMPORTED_FROM"):
            steps.append(self._step(copy, "import", "IMPORT_MODEL",
                                    "Import the Comprehend model version from its source (ImportModel)", [source]))
        return steps

    def _step(self, node: Node, verb: str, job_type: str, description: str, inputs: list[Node],
              started: str | None = None) -> Run:
        """A step is instant: at `started`, else when its resource was first seen (its last sighting is
        later use, such as an endpoint configuration naming the model, not the step)."""
        started = started or self.attrs(node)["first_seen"]
        return self.run(node, step_name(verb, node[1]), job_type, description, inputs, [node], started)

    def _endpoint_models(self) -> list[tuple[Node, list[Node], str | None]]:
        """Each endpoint, the models its current configuration serves (the one marked current, else the
        one set last) and when it was set."""
        configs: dict[Node, list[tuple[bool, str, Node, dict[str, Any]]]] = defaultdict(list)
        for endpoint, config, props in self.edges("USES_CONFIG"):
            configs[endpoint].append((bool(props.get("current")), str(props.get("last_seen") or ""), config, props))
        serves: dict[Node, list[Node]] = defaultdict(list)
        for config, model, _ in self.edges("SERVES"):
            serves[config].append(model)
        found = []
        for endpoint, options in sorted(configs.items()):
            _, _, config, props = max(options, key=lambda o: (o[0], o[1], o[2]))
            models = sorted(set(serves.get(config, [])))
            if models:
                found.append((endpoint, models, props.get("since") or props.get("first_seen")))
        # a Comprehend endpoint serves the model it was created or last updated with (its own SERVES edge)
        own: dict[Node, list[tuple[str, Node, dict[str, Any]]]] = defaultdict(list)
        for endpoint, model, props in self.edges("SERVES"):
            if endpoint[0] == "Endpoint":
                own[endpoint].append((str(props.get("last_seen") or ""), model, props))
        for endpoint, options in sorted(own.items()):
            latest = max(o[0] for o in options)
            _, model, props = min(o for o in options if o[0] == latest)
            found.append((endpoint, [model], props.get("last_seen")))
        return sorted(found)

    def writers(self, datasets: set[Node]) -> dict[Node, list[str]]:
        """Principals seen writing into each dataset, from `model-lineage` over every model that has one."""
        found: dict[Node, set[str]] = defaultdict(set)
        for key, _ in self.nodes("Model"):
            try:
                rows = ask(self.store, "model-lineage", {"model": key})
            except QuestionError:  # a name two models share: the ARN is exact, so not expected
                continue
            for row in rows:
                if row["dataset"] and ("Dataset", row["dataset"]) in datasets:
                    found[("Dataset", row["dataset"])].update(row["dataset_writers"])
        return {node: sorted(writers) for node, writers in sorted(found.items())}

