"""Bedrock model-invocation log records -> what was sent to which model: tokens, latency, guardrails, PII.

One `ModelInvocationLog` record (S3 delivery or CloudWatch Logs, the same JSON) becomes the caller's
INVOKED edge to the model, on the same nodes CloudTrail's InvokeModel/Converse events use (the model id
is normalised by loaders.bedrock.model_node, the session mapped to its role by loaders.identity).

Counting: CloudTrail and the invocation log are two witnesses of one call (the log's `requestId` is the
CloudTrail record's `requestID`). CloudTrail's record adds to the edge's `count`; this record states
`count: 0` and adds `logged_count` instead, so loading both never counts a call twice, and the two
numbers stay comparable (`count` > `logged_count` means calls went unlogged). The evidence keys
(`bedrock-log:<requestId>`) differ from CloudTrail's (`ct:<eventID>`), so neither copy displaces the other.

Never stored: prompt or response text, request metadata, any PII value. The bodies are read only to
count PII types (graphgov.core.pii), the guardrail outcome and the latency. Bodies over 100 KB are delivered
to S3 apart from the record (`inputBodyS3Path` / `outputBodyS3Path`): counted in `bodies_in_s3`, not fetched.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from graphgov.core import ids, pii
from graphgov.core.delta import EdgeRow, GraphDelta, Malformed, Skip
from graphgov.core.times import to_utc_iso
from loaders import fields
from loaders.bedrock import model_rows
from loaders.identity import Principal, from_user_identity

SOURCE = "bedrock_invocation_log"
GUARDRAIL_ACTIONS = {"INTERVENED": "guardrail_intervened", "NONE": "guardrail_none"}
_ARN_IDENTITY_TYPES = (  # what CloudTrail would call the caller, read off the ARN the log gives
    (":assumed-role/", "AssumedRole"), (":user/", "IAMUser"), (":role/", "Role"), (":federated-user/", "FederatedUser"),
)


def parse(record: Mapping[str, Any]) -> GraphDelta:
    """One ModelInvocationLog record -> GraphDelta (or Skip / Malformed)."""
    if not isinstance(record, Mapping):
        raise Malformed("record is not a JSON object")
    reason = unmodelled(record)
    if reason is not None:
        raise Skip(reason)
    operation = record["operation"]
    request_id = record.get("requestId")
    if not isinstance(request_id, str) or not request_id:
        raise Malformed(f"{operation}: no requestId")
    try:
        time = to_utc_iso(record.get("timestamp"))
    except ValueError as exc:
        raise Malformed(f"{operation}: {exc}") from exc
    region, account = record.get("region"), record.get("accountId")
    if not isinstance(region, str) or not region or not isinstance(account, str) or not account:
        raise Malformed(f"{operation}: no region or accountId")
    partition = ids.partition_of_region(region)
    principal = _principal(fields.dig(record, "identity", "arn"), account, partition)
    nodes: list = []
    edges: list = []
    model = model_rows(record.get("modelId"), region, account, partition, nodes, edges)
    # the record proves logging was on in this hour: its calls are judged logged (logged_hours)
    usage = {**_usage(record), "logged_hours": [time[:13]]}
    edge = EdgeRow("INVOKED", principal.node_type, principal.key, "BedrockModel", model, usage, operation)
    return GraphDelta(source=SOURCE, event_id=request_id, event_key=f"bedrock-log:{request_id}",
                      action_key=f"bedrock-log:{request_id}", time=time,
                      nodes=(*principal.nodes, *nodes), edges=(*principal.edges, *edges, edge))


def unmodelled(record: Mapping[str, Any]) -> str | None:
    """The skip reason of a log record of an operation the graph does not model (None: modelled)."""
    operation = record.get("operation")
    if not isinstance(operation, str) or not operation.startswith(("Invoke", "Converse")):
        return "unsupported_operation"  # the log covers InvokeModel, Converse and their streams
    return None


def _principal(arn: Any, account: str, partition: str) -> Principal:
    if not ids.is_arn(arn):
        raise Malformed("no identity.arn")
    kind = next((name for marker, name in _ARN_IDENTITY_TYPES if marker in arn), None)
    if kind is None and arn.endswith(":root"):
        kind = "Root"
    if kind is None:
        raise Skip("unattributable_principal")
    return from_user_identity({"type": kind, "arn": arn, "accountId": account}, partition)


def _usage(record: Mapping[str, Any]) -> dict[str, Any]:
    """The edge properties of one record: all counters (additive), the PII types and inference Region."""
    request = fields.section(record, "input")
    response = fields.section(record, "output")
    props: dict[str, Any] = {"count": 0, "logged_count": 1}
    if record.get("errorCode"):
        props["logged_errors"] = 1
    for name, block, field in (("input_tokens", request, "inputTokenCount"),
                               ("output_tokens", response, "outputTokenCount")):
        value = block.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            props[name] = value
    in_s3 = sum(1 for block, field in ((request, "inputBodyS3Path"), (response, "outputBodyS3Path"))
                if block.get(field))
    if in_s3:
        props["bodies_in_s3"] = in_s3
    body = response.get("outputBodyJson")
    latency = _latency(body)
    if latency is not None:
        props["latency_ms_total"], props["latency_count"] = latency, 1
    props[_guardrail(body)] = 1
    found = pii.scan((request.get("inputBodyJson"), body))
    props["pii_types"] = sorted(found)
    props.update({f"pii_{name}": number for name, number in sorted(found.items())})
    region = record.get("inferenceRegion")
    if isinstance(region, str) and region:
        props["inference_regions"] = [region]
    return props


def _parts(body: Any) -> list[Mapping[str, Any]]:
    """The body's top-level objects: the body itself, or each event of a streamed response."""
    if isinstance(body, Mapping):
        return [body]
    if isinstance(body, list):
        return [item for item in body if isinstance(item, Mapping)]
    return []


def _latency(body: Any) -> int | None:
    """Converse's `metrics.latencyMs` (ConverseStream: in the `metadata` event), or the streamed
    InvokeModel's `amazon-bedrock-invocationMetrics.invocationLatency`; None when the body reports none."""
    for part in _parts(body):
        for path in (("metrics", "latencyMs"), ("metadata", "metrics", "latencyMs"),
                     ("amazon-bedrock-invocationMetrics", "invocationLatency")):
            value = fields.dig(part, *path)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < math.inf:
                return int(value)  # NaN and infinity are no latency
    return None


def _guardrail(body: Any) -> str:
    """The guardrail outcome property: InvokeModel's `amazon-bedrock-guardrailAction`, Converse's
    `stopReason: guardrail_intervened` (or a guardrail trace that did not intervene); else unknown."""
    traced = False
    for part in _parts(body):
        action = part.get("amazon-bedrock-guardrailAction")
        if isinstance(action, str) and action.upper() in GUARDRAIL_ACTIONS:
            return GUARDRAIL_ACTIONS[action.upper()]
        stop = part.get("stopReason") or fields.dig(part, "messageStop", "stopReason")
        if stop == "guardrail_intervened":
            return "guardrail_intervened"
        traced = traced or isinstance(fields.dig(part, "trace", "guardrail"), Mapping)
    return "guardrail_none" if traced else "guardrail_unknown"
