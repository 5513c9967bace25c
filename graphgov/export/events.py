"""OpenLineage run events for the runs of `graphgov.export.runs`, built with the `openlineage-python` client.

Each run gives a START event at its first evidence and a COMPLETE event at its last (the graph records no
job outcome, so no FAIL is claimed). Run ids are UUIDv7s the client derives from the run's start and its
ARN, so exporting the same graph again gives the same events and a consumer updates rather than
duplicates. Job facets: `jobType` (BATCH, SAGEMAKER, BEDROCK or COMPREHEND, TRAINING, ...), `documentation`,
`ownership` (who created it) and `graphgov_job` (its ARN, the roles it ran as); dataset facets:
`dataSource`, `documentation` and `graphgov_resource` (its ARN, kind, writers, classification), the two
`graphgov_*` facets described by `GraphgovFacets.json` beside this module.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from graphgov import __version__
from graphgov.core import ids
from graphgov.export.naming import node_name
from graphgov.export.runs import LineageRuns, Node, Run, lineage_runs
from graphgov.stores.base import Store

PRODUCER = f"urn:graphgov:{__version__}"  # names graphgov and its version, as OpenLineage asks of a producer
FACETS_SCHEMA = "urn:graphgov:spec:facets:1-0-0:GraphgovFacets.json"
INSTALL_HINT = "the OpenLineage export needs the openlineage-python client: pip install 'graphgov[openlineage]'"
DESCRIPTIONS = {  # merge label -> what a consumer should read the dataset as
    "Dataset": "S3 data read or written by an AI job",
    "ModelArtifact": "Model artifact in S3",
    "ModelPackage": "SageMaker model registry package",
    "Endpoint": "SageMaker endpoint",
    "KnowledgeBase": "Bedrock knowledge base",
}


class ExportError(Exception):
    """Why the export cannot run (one line for the user)."""


def run_events(lineage: LineageRuns) -> list[Any]:
    """START and COMPLETE `RunEvent`s for every run, in start order."""
    client = _client()
    facets = _Facets(client, lineage)
    events = []
    for run in lineage.runs:
        run_id = str(client.uuid.generate_static_uuid(_instant(run.started), run.key.encode()))
        job = client.event_v2.Job(namespace=run.job[0], name=run.job[1], facets=facets.job(run))
        inputs = [client.event_v2.InputDataset(*node_name(n[1]), facets=facets.dataset(n)) for n in run.inputs]
        outputs = [client.event_v2.OutputDataset(*node_name(n[1]), facets=facets.dataset(n)) for n in run.outputs]
        for state, when in ((client.event_v2.RunState.START, run.started),
                            (client.event_v2.RunState.COMPLETE, run.ended)):
            events.append(client.event_v2.RunEvent(
                eventType=state, eventTime=when, run=client.event_v2.Run(runId=run_id), job=job,
                inputs=inputs, outputs=outputs, producer=PRODUCER))
    return events


def _instant(when: str) -> datetime:
    return datetime.fromisoformat(when.replace("Z", "+00:00"))


class _Facets:
    """The facets of jobs and datasets, built once per dataset."""

    def __init__(self, client: Any, lineage: LineageRuns) -> None:
        self.client, self.lineage = client, lineage
        self.facet_v2 = client.facet_v2
        self._datasets: dict[Node, dict[str, Any]] = {}

    def job(self, run: Run) -> dict[str, Any]:
        f = self.facet_v2
        facets: dict[str, Any] = {
            "jobType": f.job_type_job.JobTypeJobFacet(processingType="BATCH", integration=run.integration,
                                                      jobType=run.job_type, producer=PRODUCER),
            "documentation": f.documentation_job.DocumentationJobFacet(description=f"{run.description}: {run.key}",
                                                                       producer=PRODUCER),
            "graphgov_job": _custom(f.JobFacet, "GraphgovJobFacet", arn=run.key, executionRoles=run.roles),
        }
        if run.owners:
            facets["ownership"] = f.ownership_job.OwnershipJobFacet(
                owners=[f.ownership_job.Owner(name=owner, type="CREATOR") for owner in run.owners], producer=PRODUCER)
        return facets

    def dataset(self, node: Node) -> dict[str, Any]:
        if node not in self._datasets:
            self._datasets[node] = self._dataset(node)
        return self._datasets[node]

    def _dataset(self, node: Node) -> dict[str, Any]:
        f = self.facet_v2
        label, key = node
        attrs = self.lineage.datasets.get(node, {})
        namespace, _ = node_name(key)
        resource: dict[str, Any] = {"kind": label}
        if ids.is_arn(key):
            resource["arn"] = key
        if self.lineage.writers.get(node):
            resource["writers"] = self.lineage.writers[node]
        if attrs.get("classification"):
            resource["classification"] = sorted(attrs["classification"])
        return {
            "dataSource": f.datasource_dataset.DatasourceDatasetFacet(name=namespace, uri=namespace, producer=PRODUCER),
            "documentation": f.documentation_dataset.DocumentationDatasetFacet(
                description=_describe(label, attrs), producer=PRODUCER),
            "graphgov_resource": _custom(f.DatasetFacet, "GraphgovResourceDatasetFacet", **resource),
        }


def _describe(label: str, attrs: dict[str, Any]) -> str:
    if label == "Model":
        kind = attrs.get("kind")
        return f"Bedrock {kind} model" if kind else "SageMaker model"
    if label == "Dataset" and (attrs.get("data_type") or "S3Prefix") != "S3Prefix":
        return "S3 manifest read by an AI job (it lists the objects read)"
    return DESCRIPTIONS.get(label, label)


def _custom(base: type, definition: str, **fields: Any) -> Any:
    """A graphgov facet: the client's base facet with our fields and our `_schemaURL`."""
    facet = base(producer=PRODUCER).with_additional_properties(**fields)
    facet._schemaURL = f"{FACETS_SCHEMA}#/$defs/{definition}"
    return facet


def _client() -> Any:
    """The openlineage-python modules the events are built with, or the one-line install hint."""
    try:
        import openlineage.client.event_v2 as event_v2
        import openlineage.client.facet_v2 as facet_v2
        import openlineage.client.uuid as ol_uuid
    except ImportError as exc:
        raise ExportError(INSTALL_HINT) from exc

    return SimpleNamespace(event_v2=event_v2, facet_v2=facet_v2, uuid=ol_uuid)


def openlineage_events(store: Store) -> list[Any]:
    """The whole graph's AI lineage as OpenLineage run events (read-only)."""
    return run_events(lineage_runs(store))


def summary(events: list[Any]) -> str:
    """`17 runs of 17 jobs over 35 datasets`, for the line a command prints."""
    runs = {e.run.runId for e in events}
    jobs = {(e.job.namespace, e.job.name) for e in events}
    datasets = {(d.namespace, d.name) for e in events for d in (*(e.inputs or []), *(e.outputs or []))}
    return f"{len(runs)} runs of {len(jobs)} jobs over {len(datasets)} datasets"
