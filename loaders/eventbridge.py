"""EventBridge service events (not CloudTrail copies) -> graph delta.

- SageMaker Training Job State Change: its DescribeTrainingJob-like detail names the job's channels and,
  when it carries them, the trained artifacts (`ModelArtifacts.S3ModelArtifacts`), which
  CreateTrainingJob never does.
- Bedrock Model Customization Job State Change: the custom model a completed job produced.
- SageMaker Processing / Transform Job, Endpoint and Model Package State Change: the same facts as
  the create calls (an endpoint's state change names its configuration).
- S3 Object Created / Object Deleted (see loaders.s3_notification).
Other detail-types are skipped as `unsupported_event`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, GraphDelta, Malformed, Skip
from graphgov.core.times import to_utc_iso
from loaders import bedrock, fields, s3_notification, sagemaker

SOURCE = "eventbridge"


def parse(event: Mapping[str, Any]) -> GraphDelta:
    handler = _handler(event)
    if handler is None:
        raise Skip("unsupported_event")
    return handler(event)


def unmodelled(event: Mapping[str, Any]) -> str | None:
    """The skip reason of an event no handler models, from its source and detail type alone (None: modelled)."""
    return "unsupported_event" if _handler(event) is None else None


def _handler(event: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], GraphDelta] | None:
    """The parse of the event's (source, detail type), None when the graph models neither."""
    source, detail_type = event.get("source"), event.get("detail-type")
    if isinstance(source, list) and len(source) == 1:
        source = source[0]  # the SageMaker guide's Model Package sample writes ["aws.sagemaker"]
    if source == "aws.s3" and detail_type in s3_notification.S3_DETAIL_TYPES:
        return s3_notification.parse_eventbridge
    if source == "aws.bedrock" and detail_type == "Model Customization Job State Change":
        return _customization_state
    if source == "aws.sagemaker" and detail_type in _SAGEMAKER:
        return lambda record: _sagemaker_state(record, *_SAGEMAKER[detail_type])
    return None


def _training(request: Mapping[str, Any], place: sagemaker.Place, nodes: list, edges: list) -> str:
    artifact = fields.dig(request, "ModelArtifacts", "S3ModelArtifacts")
    return sagemaker.training_job_rows(request, place, nodes, edges, artifact_uri=artifact or None,
                                       artifact_evidence="state-change")


def _package(request: Mapping[str, Any], place: sagemaker.Place, nodes: list, edges: list) -> str:
    return sagemaker.model_package_rows(request, place, nodes, edges, fields.get_ci(request, "ModelPackageArn"))


# detail-type -> (row builder, ARN field, name field) for SageMaker's DescribeX-like state-change details
_SAGEMAKER = {
    "SageMaker Training Job State Change": (_training, "TrainingJobArn", "TrainingJobName"),
    "SageMaker Processing Job State Change": (sagemaker.processing_job_rows, "ProcessingJobArn", "ProcessingJobName"),
    "SageMaker Transform Job State Change": (sagemaker.transform_job_rows, "TransformJobArn", "TransformJobName"),
    "SageMaker Endpoint State Change": (sagemaker.endpoint_rows, "EndpointArn", "EndpointName"),
    "SageMaker Model Package State Change": (_package, "ModelPackageArn", None),
}


def _identity(event: Mapping[str, Any]) -> tuple[str, str]:
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id or not isinstance(event.get("detail"), Mapping):
        raise Malformed("EventBridge event without id or detail")
    try:
        return event_id, to_utc_iso(event.get("time"))
    except ValueError as exc:
        raise Malformed(f"EventBridge {event.get('detail-type')}: {exc}") from exc


def _customization_state(event: Mapping[str, Any]) -> GraphDelta:
    """The state change names the custom model a completed customization job produced."""
    event_id, time = _identity(event)
    detail = event["detail"]
    job = fields.get_ci(detail, "jobArn")
    if not ids.is_arn(job):
        raise Malformed("Model Customization Job State Change without jobArn")
    nodes: list = []
    edges: list = []
    partition = ids.parse_arn(job).partition
    bedrock.customization_job_rows(detail, job, partition, nodes, edges)
    output = fields.get_ci(detail, "outputModelArn")
    if fields.get_ci(detail, "jobStatus") == "Completed" and ids.is_arn(output):
        model = bedrock.model_node(output, ids.parse_arn(job).region, ids.parse_arn(job).account, partition)
        nodes.append(model)
        edges.append(EdgeRow("PRODUCED", "CustomizationJob", job, "BedrockModel", model.key))
    return GraphDelta(source=SOURCE, event_id=event_id, event_key=f"eb:{event_id}", action_key=f"eb:{event_id}",
                      time=time, nodes=tuple(nodes), edges=tuple(edges))


def _sagemaker_state(event: Mapping[str, Any], builder: Any, arn_field: str, name_field: str | None) -> GraphDelta:
    event_id, time = _identity(event)
    detail = event["detail"]
    reported = fields.get_ci(detail, arn_field)
    if not ids.is_arn(reported):
        raise Malformed(f"{event.get('detail-type')} without {arn_field}")
    arn = ids.parse_arn(reported)
    place = sagemaker.Place(arn.partition, arn.region, arn.account)
    request = dict(detail)
    arn_name = arn.resource.split("/", 1)[1]
    if name_field and str(fields.get_ci(detail, name_field) or "").lower() != arn_name:
        request[name_field] = arn_name  # the ARN is the resource's identity
    nodes: list = []
    edges: list = []
    builder(request, place, nodes, edges)
    return GraphDelta(source=SOURCE, event_id=event_id, event_key=f"eb:{event_id}", action_key=f"eb:{event_id}",
                      time=time, nodes=tuple(nodes), edges=tuple(edges))
