"""Bedrock in CloudTrail (and its EventBridge state changes) -> model usage, customization lineage, logging.

- InvokeModel / InvokeModelWithResponseStream / Converse / ConverseStream: principal -INVOKED-> model,
  counted. CloudTrail never carries prompts or responses (only `modelId`), and nothing of them is stored.
- Put/DeleteModelInvocationLoggingConfiguration: who switched invocation logging on or off, per account
  and Region (a configuration is per account and Region).
- CreateModelCustomizationJob: the job, its training and validation datasets, base model, role and key.
  The custom model's ARN is not in the create call; the Model Customization Job State Change event (or
  GetModelCustomizationJob) links the job to the model it PRODUCED.
- CreateProvisionedModelThroughput: the provisioned model and the model it PROVISIONS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgov import ids
from graphgov.delta import EdgeRow, Malformed, NodeRow
from loaders import fields
from loaders.identity import Principal, role_rows
from loaders.sagemaker import dataset_rows

INVOKE_EVENTS = frozenset({"InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream"})
_MODEL_KINDS = ("foundation-model", "custom-model", "provisioned-model", "imported-model", "inference-profile",
                "application-inference-profile", "prompt", "custom-model-deployment")
_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.", "ca.")


def model_node(model_id: Any, region: str, account: str, partition: str = "aws") -> NodeRow:
    """A Bedrock model (foundation, custom, provisioned, imported, inference profile) from an id or ARN."""
    if not isinstance(model_id, str) or not model_id:
        raise Malformed("no modelId")
    if ids.is_arn(model_id):
        arn = ids.parse_arn(model_id)
        kind = arn.resource.split("/", 1)[0]
        key, region, account = model_id, arn.region or region, arn.account
        name = arn.resource.split("/", 1)[-1]
    elif model_id.startswith(_PROFILE_PREFIXES):
        kind, name = "inference-profile", model_id
        key = f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}"
    else:
        kind, name, account = "foundation-model", model_id, ""
        key = f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"
    props = {"arn": key, "model_id": name, "kind": kind if kind in _MODEL_KINDS else "other", "region": region,
             "name": name}
    if account:
        props["account_id"] = account
    return NodeRow("BedrockModel", key, props)


def _place(record: Mapping[str, Any]) -> tuple[str, str, str]:
    region = str(record.get("awsRegion") or "")
    account = str(record.get("recipientAccountId") or fields.dig(record, "userIdentity", "accountId") or "")
    if not region or not account:
        raise Malformed(f"{record.get('eventName')}: no Region or account")
    return fields.partition(record), region, account


def invoke(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    partition, region, account = _place(record)
    model = model_node(fields.get_ci(fields.params(record), "modelId"), region, account, partition)
    nodes.append(model)
    extra = fields.section(record, "additionalEventData")
    props = {"inference_regions": [extra["inferenceRegion"]]} if isinstance(extra.get("inferenceRegion"), str) else {}
    edges.append(EdgeRow("INVOKED", principal.node_type, principal.key, "BedrockModel", model.key, props,
                         str(record.get("eventName"))))


def logging_config(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    _, region, account = _place(record)
    key = f"{account}/{region}"
    props: dict[str, Any] = {"id": key, "account_id": account, "region": region}
    config = fields.dig(fields.params(record), "loggingConfig")
    if isinstance(config, Mapping):
        props["cloudwatch_log_group"] = fields.dig(config, "cloudWatchConfig", "logGroupName")
        props["s3_bucket"] = fields.dig(config, "s3Config", "bucketName")
    nodes.append(NodeRow("BedrockLoggingConfig", key, {k: v for k, v in props.items() if v}))
    nodes.append(NodeRow("AWSAccount", account, {"id": account}))
    edges.append(EdgeRow("RESOURCE", "AWSAccount", account, "BedrockLoggingConfig", key))
    name = str(record.get("eventName"))
    edge_type = "DISABLED_LOGGING" if name.startswith("Delete") else "ENABLED_LOGGING"
    edges.append(EdgeRow(edge_type, principal.node_type, principal.key, "BedrockLoggingConfig", key, {}, name))


def customization_job_rows(request: Mapping[str, Any], job_arn: str, partition: str, nodes: list,
                           edges: list) -> None:
    """The job and its lineage inputs: training/validation datasets, base model, role, key."""
    arn = ids.parse_arn(job_arn)
    custom_key = fields.get_ci(request, "customModelKmsKeyId")
    nodes.append(NodeRow("CustomizationJob", job_arn, {
        "arn": job_arn, "name": fields.get_ci(request, "jobName"), "account_id": arn.account, "region": arn.region,
        "custom_model_name": fields.get_ci(request, "customModelName"),
        "customization_type": fields.get_ci(request, "customizationType"), "kms_key_ref": custom_key,
        "defined": True,
    }))
    training = fields.dig(request, "trainingDataConfig", "s3Uri")
    if training:
        dataset = dataset_rows(training, "S3Prefix", partition, nodes, edges)
        edges.append(EdgeRow("READS", "CustomizationJob", job_arn, "Dataset", dataset, {"channels": ["training"]}))
    for index, validator in enumerate(fields.dig(request, "validationDataConfig", "validators") or []):
        uri = fields.get_ci(validator, "s3Uri") if isinstance(validator, Mapping) else None
        if uri:
            dataset = dataset_rows(uri, "S3Prefix", partition, nodes, edges)
            edges.append(EdgeRow("READS", "CustomizationJob", job_arn, "Dataset", dataset,
                                 {"channels": [f"validation-{index}"]}))
    base = fields.get_ci(request, "baseModelIdentifier") or fields.get_ci(request, "baseModelArn")
    if base:
        model = model_node(base, arn.region, arn.account, partition)
        nodes.append(model)
        edges.append(EdgeRow("BASED_ON", "CustomizationJob", job_arn, "BedrockModel", model.key))
    role = fields.get_ci(request, "roleArn")
    if ids.is_arn(role) and ":role/" in role:
        principal = role_rows(role)
        nodes.extend(principal.nodes)
        edges.extend(principal.edges)
        edges.append(EdgeRow("EXECUTES_AS", "CustomizationJob", job_arn, "AWSRole", principal.key))


def customization_job(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    job_arn = fields.get_ci(fields.section(record, "responseElements"), "jobArn")
    if not ids.is_arn(job_arn):
        raise Malformed("CreateModelCustomizationJob: no responseElements.jobArn")
    request = fields.params(record)
    if not request:
        raise Malformed("CreateModelCustomizationJob: no requestParameters (CloudTrail omits them above 100 KB)")
    customization_job_rows(request, job_arn, fields.partition(record), nodes, edges)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "CustomizationJob", job_arn, {},
                         "CreateModelCustomizationJob"))


def provisioned_throughput(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    partition, region, account = _place(record)
    arn = fields.get_ci(fields.section(record, "responseElements"), "provisionedModelArn")
    if not ids.is_arn(arn):
        raise Malformed("CreateProvisionedModelThroughput: no responseElements.provisionedModelArn")
    request = fields.params(record)
    nodes.append(model_node(arn, region, account, partition))
    nodes.append(NodeRow("BedrockModel", arn, {"name": fields.get_ci(request, "provisionedModelName")}))
    target = model_node(fields.get_ci(request, "modelId"), region, account, partition)
    nodes.append(target)
    edges.append(EdgeRow("PROVISIONS", "BedrockModel", arn, "BedrockModel", target.key))
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "BedrockModel", arn, {},
                         "CreateProvisionedModelThroughput"))


HANDLERS = {
    **dict.fromkeys(INVOKE_EVENTS, invoke),
    "PutModelInvocationLoggingConfiguration": logging_config,
    "DeleteModelInvocationLoggingConfiguration": logging_config,
    "CreateModelCustomizationJob": customization_job,
    "CreateProvisionedModelThroughput": provisioned_throughput,
}
