"""`graphgov pull describe`: ask SageMaker and Bedrock what the logs leave out about jobs already in the graph.

CreateTrainingJob never names the trained artifact (only DescribeTrainingJob's
`ModelArtifacts.S3ModelArtifacts` does), and CreateModelCustomizationJob never names the custom model
(GetModelCustomizationJob's `outputModelArn`). For every TrainingJob without a WRITES edge of evidence
`describe`, and every CustomizationJob without a PRODUCED edge, this asks, and loads the answer through
the same row builders as CloudTrail and EventBridge (loaders.sagemaker, loaders.bedrock).

Each answer is one delta keyed `describe:<job ARN>:<status>` and timed at the job's creation (the facts
are the job's own, as old as it), so describing a running job again adds nothing until its status
changes; a job seen in a final state (Completed, Failed, Stopped) is not asked about again. Jobs of
accounts the pull cannot read are counted, not asked about. A job AWS no longer knows is skipped as
`gone:...`, a denied call as `access_denied:...`; other errors quarantine the job; refused credentials
stop the pull with one line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from graphgov.aws.clients import pull_client
from graphgov.aws.pullers.lookup_events import ACCOUNT_CALLS, pull_error
from graphgov.aws.session import (
    ACCESS_DENIED_CODES,
    CREDENTIAL_CODES,
    GONE_CODES,
    Clock,
    PullSummary,
    error_code,
    iso_time,
    pull_run,
    utc_now,
)
from graphgov.core import ids
from graphgov.core.delta import EdgeRow, GraphDelta
from graphgov.ingest.readers import RawRecord
from graphgov.stores.base import Store
from loaders import bedrock, fields, sagemaker

SOURCE = "pull:describe"
AWS_CALLS: frozenset[tuple[str, str]] = ACCOUNT_CALLS | {
    ("sagemaker", "DescribeTrainingJob"), ("bedrock", "GetModelCustomizationJob"),
}
FINAL_STATUSES = ("Completed", "Failed", "Stopped")
NOT_FOUND_CODES = GONE_CODES | {"ResourceNotFoundException", "ResourceNotFound"}


def describe_key(job_arn: str, status: Any) -> str:
    return f"describe:{job_arn}:{status or 'unknown'}"


def _time(response: Mapping[str, Any], *names: str) -> str:
    moment = next((fields.get_ci(response, n) for n in names if fields.get_ci(response, n)), None)
    if moment is None:
        raise ValueError(f"no {names[0]} in the answer")
    return iso_time(moment)


def training_job_delta(response: Mapping[str, Any]) -> GraphDelta:
    """A DescribeTrainingJob answer as a delta: channels, role, output key, and the artifact (evidence `describe`)."""
    job_arn = fields.get_ci(response, "TrainingJobArn")
    if not ids.is_arn(job_arn):
        raise ValueError("no TrainingJobArn in the answer")
    arn = ids.parse_arn(job_arn)
    place = sagemaker.Place(arn.partition, arn.region, arn.account)
    request = dict(response)
    request["TrainingJobName"] = arn.resource.split("/", 1)[1]  # the ARN is the job's identity
    artifact = fields.dig(response, "ModelArtifacts", "S3ModelArtifacts")
    nodes: list = []
    edges: list = []
    sagemaker.training_job_rows(request, place, nodes, edges, artifact_uri=artifact or None,
                                artifact_evidence="describe")
    key = describe_key(job_arn, fields.get_ci(response, "TrainingJobStatus"))
    return GraphDelta(SOURCE, key, key, key, _time(response, "CreationTime"), tuple(nodes), tuple(edges))


def customization_job_delta(response: Mapping[str, Any]) -> GraphDelta:
    """A GetModelCustomizationJob answer as a delta: the job's inputs and, once Completed, the model it PRODUCED."""
    job = fields.get_ci(response, "jobArn")
    if not ids.is_arn(job):
        raise ValueError("no jobArn in the answer")
    arn = ids.parse_arn(job)
    request = dict(response)  # the answer names the custom model and its key as the create call does not
    request.setdefault("customModelName", fields.get_ci(response, "outputModelName"))
    request.setdefault("customModelKmsKeyId", fields.get_ci(response, "outputModelKmsKeyArn"))
    nodes: list = []
    edges: list = []
    bedrock.customization_job_rows(request, job, arn.partition, nodes, edges)
    status = fields.get_ci(response, "status")
    output = fields.get_ci(response, "outputModelArn")
    if status == "Completed" and ids.is_arn(output):
        model = bedrock.model_node(output, arn.region, arn.account, arn.partition)
        nodes.append(model)
        edges.append(EdgeRow("PRODUCED", "CustomizationJob", job, "BedrockModel", model.key))
    key = describe_key(job, status)
    return GraphDelta(SOURCE, key, key, key, _time(response, "creationTime"), tuple(nodes), tuple(edges))


class _Describer:
    """The jobs to ask about, the clients per (account, service, Region), and each answer as an item."""

    def __init__(self, store: Store, accounts: Iterable[tuple[str, boto3.Session]]) -> None:
        self.store = store
        self.sessions = dict(accounts)
        self.clients: dict[tuple[str, str, str], BaseClient] = {}
        self.objects: Counter = Counter()

    def _pending(self, node_type: str, edge_type: str, done: Any) -> list[tuple[str, dict[str, Any]]]:
        answered = {src[1] for src, _dst, attrs in self.store.scan_edges(edge_type)
                    if src[0] == node_type and done(attrs)}
        jobs = [(key, attrs) for key, attrs in self.store.scan_nodes(node_type) if key not in answered]
        pending = []
        for key, attrs in jobs:
            finals = {describe_key(key, status) for status in FINAL_STATUSES}
            if len(self.store.unseen(finals)) < len(finals):
                self.objects[f"{node_type}-final"] += 1  # described in a final state before: nothing to learn
            else:
                pending.append((key, attrs))
        return pending

    def items(self) -> Iterator[GraphDelta | RawRecord]:
        training = self._pending("TrainingJob", "WRITES", lambda a: "describe" in (a.get("evidence") or ()))
        # Bedrock's jobs only: a Comprehend training or flywheel is a CustomizationJob that Bedrock cannot describe
        customization = [(key, attrs) for key, attrs in self._pending("CustomizationJob", "PRODUCED", lambda a: True)
                         if ids.arn_service(key) == "bedrock"]
        for key, attrs in training:
            name = attrs.get("name") or key.rsplit("/", 1)[-1]
            yield from self._ask("TrainingJob", key, "sagemaker", "describe_training_job", training_job_delta,
                                 TrainingJobName=name)
        for key, attrs in customization:
            yield from self._ask("CustomizationJob", key, "bedrock", "get_model_customization_job",
                                 customization_job_delta, jobIdentifier=attrs.get("name") or key)

    def _ask(self, kind: str, job_arn: str, service: str, operation: str, build: Any,
             **params: Any) -> Iterator[GraphDelta | RawRecord]:
        arn = ids.parse_arn(job_arn)
        session = self.sessions.get(arn.account)
        if session is None:
            self.objects[f"{kind}-other-account"] += 1
            return
        self.objects[kind] += 1
        client = self.clients.get((arn.account, service, arn.region))
        if client is None:
            client = self.clients[(arn.account, service, arn.region)] = pull_client(session, service, arn.region)
        try:
            response = getattr(client, operation)(**params)
        except ClientError as exc:
            yield failed_record(exc, job_arn, f"{service}:{exc.operation_name}")
            return
        except BotoCoreError as exc:
            raise pull_error(exc, f"{service} in {arn.region}") from None
        response.pop("ResponseMetadata", None)
        try:
            yield build(response)
        except Exception as exc:  # noqa: BLE001 - an answer we cannot map must not stop the pull
            yield RawRecord(kind, response, job_arn, error=f"describe error {type(exc).__name__}: {exc}")


def failed_record(exc: ClientError, location: str, name: str) -> RawRecord:
    """An object whose read failed, as a record the load accounts for: refused credentials stop the pull
    (PullError), denied and gone objects are skipped with a named reason, anything else is quarantined."""
    code = error_code(exc)
    message = str((exc.response.get("Error") or {}).get("Message") or "")
    if code in CREDENTIAL_CODES:
        raise pull_error(exc, name) from None
    if code in ACCESS_DENIED_CODES:
        return RawRecord(None, None, location, skip=f"access_denied:{name}")
    if code in NOT_FOUND_CODES or (code == "ValidationException" and "find" in message.lower()):
        return RawRecord(None, None, location, skip=f"gone:{name}")  # SageMaker says ValidationException
    return RawRecord(None, None, location, error=f"{name} failed: {code or 'error'}: {message}")


def pull_describe(accounts: Iterable[tuple[str, boto3.Session]], store: Store, quarantine_path: Path,
                  clock: Clock = utc_now) -> PullSummary:
    """Describe the jobs in `store` whose outputs the logs did not name, and load the answers."""
    describer = _Describer(store, accounts)
    with pull_run(store, quarantine_path) as run:
        for item in describer.items():
            run.add(item)
    return PullSummary(**vars(run.result()), objects=describer.objects, time=iso_time(clock()),
                       gaps=run.gaps.as_list())
