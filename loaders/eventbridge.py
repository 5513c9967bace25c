"""EventBridge service events (not CloudTrail copies) -> graph delta.

Today: SageMaker Training Job State Change, whose DescribeTrainingJob-like detail names the job's
channels and, when it carries them, the trained artifacts (`ModelArtifacts.S3ModelArtifacts`), which
CreateTrainingJob never does. Other detail-types are skipped as `unsupported_event`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgov import ids
from graphgov.delta import GraphDelta, Malformed, Skip
from graphgov.times import to_utc_iso
from loaders import fields, sagemaker

SOURCE = "eventbridge"


def parse(event: Mapping[str, Any]) -> GraphDelta:
    detail = event.get("detail")
    if event.get("source") != "aws.sagemaker" or event.get("detail-type") != "SageMaker Training Job State Change":
        raise Skip("unsupported_event")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id or not isinstance(detail, Mapping):
        raise Malformed("EventBridge event without id or detail")
    try:
        time = to_utc_iso(event.get("time"))
    except ValueError as exc:
        raise Malformed(f"EventBridge {event.get('detail-type')}: {exc}") from exc
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
