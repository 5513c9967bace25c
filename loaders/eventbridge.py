"""EventBridge service events (not CloudTrail copies) -> graph delta.

- SageMaker Training Job State Change: its DescribeTrainingJob-like detail names the job's channels and,
  when it carries them, the trained artifacts (`ModelArtifacts.S3ModelArtifacts`), which
  CreateTrainingJob never does.
- Bedrock Model Customization Job State Change: the custom model a completed job produced.
- S3 Object Created / Object Deleted (see loaders.s3_notification).
Other detail-types are skipped as `unsupported_event`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgov import ids
from graphgov.delta import EdgeRow, GraphDelta, Malformed, Skip
from graphgov.times import to_utc_iso
from loaders import bedrock, fields, s3_notification, sagemaker

SOURCE = "eventbridge"


def parse(event: Mapping[str, Any]) -> GraphDelta:
    source, detail_type = event.get("source"), event.get("detail-type")
    if source == "aws.s3" and detail_type in s3_notification.S3_DETAIL_TYPES:
        return s3_notification.parse_eventbridge(event)
    if source == "aws.bedrock" and detail_type == "Model Customization Job State Change":
        return _customization_state(event)
    if source != "aws.sagemaker" or detail_type != "SageMaker Training Job State Change":
        raise Skip("unsupported_event")
    return _training_state(event)


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


def _training_state(event: Mapping[str, Any]) -> GraphDelta:
    detail = event.get("detail")
    event_id, time = _identity(event)
    reported = fields.get_ci(detail, "TrainingJobArn")
    if not ids.is_arn(reported):
        raise Malformed("Training Job State Change without TrainingJobArn")
    place = sagemaker.Place(*(lambda a: (a.partition, a.region, a.account))(ids.parse_arn(reported)))
    request = dict(detail)
    arn_name = ids.parse_arn(reported).resource.split("/", 1)[1]
    if str(fields.get_ci(detail, "TrainingJobName") or "").lower() != arn_name:
        request["TrainingJobName"] = arn_name  # the ARN is the job's identity
    nodes: list = []
    edges: list = []
    artifact = fields.dig(detail, "ModelArtifacts", "S3ModelArtifacts")
    sagemaker.training_job_rows(request, place, nodes, edges, artifact_uri=artifact or None,
                                artifact_evidence="state-change")
    return GraphDelta(source=SOURCE, event_id=event_id, event_key=f"eb:{event_id}", action_key=f"eb:{event_id}",
                      time=time, nodes=tuple(nodes), edges=tuple(edges))
