"""Bedrock in CloudTrail (and its EventBridge state changes) -> model usage, customization lineage, logging.

- InvokeModel / InvokeModelWithResponseStream / Converse / ConverseStream: principal -INVOKED-> model,
  counted. CloudTrail never carries prompts or responses (only `modelId`), and nothing of them is stored.
- Put/DeleteModelInvocationLoggingConfiguration: who switched invocation logging on or off, per account
  and Region (a configuration is per account and Region).
- CreateModelCustomizationJob: the job, its training and validation datasets, base model, role and key.
  The custom model's ARN is not in the create call; the Model Customization Job State Change event (or
  GetModelCustomizationJob) links the job to the model it PRODUCED.
- CreateProvisionedModelThroughput / CreateCustomModelDeployment: the ARN applications invoke and the
  model it PROVISIONS (a base or custom model; a deployment serves a custom model on demand).
- CreateKnowledgeBase / CreateDataSource / StartIngestionJob: what a knowledge base reads, from whose
  bucket, and who started ingestions.
- CreateModelImportJob and CreateModelInvocationJob (batch inference): imported weights, batch input,
  output and model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, Malformed, NodeRow, Skip
from graphgov.core.times import to_utc_iso
from loaders import fields
from loaders.identity import Principal, executes_as
from loaders.sagemaker import artifact_rows, dataset_rows

INVOKE_EVENTS = frozenset({"InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream"})
_MODEL_KINDS = ("foundation-model", "custom-model", "provisioned-model", "imported-model", "inference-profile",
                "application-inference-profile", "prompt", "custom-model-deployment")
# System (cross-Region) inference profile ids are `<geography>.<provider>.<model id>`. Geographies seen in
# AWS's documents; others exist (UNCONFIRMED), so a first segment that is no model provider, followed by
# one that is, is read as a geography too.
_GEOGRAPHIES = ("us", "eu", "apac", "us-gov", "global", "jp", "au", "ca")
_PROVIDERS = ("amazon", "anthropic", "ai21", "cohere", "meta", "mistral", "stability", "deepseek", "writer", "luma",
              "openai", "qwen", "twelvelabs", "google", "nvidia", "minimax", "moonshot", "moonshotai")


def profile_model_id(profile_id: str) -> str | None:
    """The foundation model id a system inference profile id names (`us.anthropic.x` -> `anthropic.x`)."""
    geo, _, model_id = profile_id.partition(".")
    if not model_id or geo in _PROVIDERS:
        return None
    return model_id if geo in _GEOGRAPHIES or model_id.partition(".")[0] in _PROVIDERS else None


# The invocation-logging delivery flag that governs a foundation model's bodies, read off its id
# (PutModelInvocationLoggingConfiguration: text, image, embedding, video and audio data delivery).
_MODALITY_MARKERS = (("embedding", ("embed",)), ("image", ("stability.", "amazon.titan-image", "amazon.nova-canvas")),
                     ("video", ("amazon.nova-reel", "luma.")), ("audio", ("amazon.nova-sonic",)))
MODALITIES = ("text", "image", "embedding", "video", "audio")


def modality_of(model_id: str) -> str:
    """`embedding`, `image`, `video`, `audio` or (every other foundation model: chat and text) `text`."""
    lowered = model_id.lower()
    return next((name for name, markers in _MODALITY_MARKERS if any(m in lowered for m in markers)), "text")


def hour_of(time: Any) -> str:
    """The UTC hour (`YYYY-MM-DDTHH`) of an event: the grain at which invocations are judged against the
    logging configuration in force (graphgov README, bedrock-invocations-without-logging)."""
    return to_utc_iso(time)[:13]


def model_node(model_id: Any, region: str, account: str, partition: str = "aws") -> NodeRow:
    """A Bedrock model (foundation, custom, provisioned, imported, inference profile) from an id or ARN."""
    if not isinstance(model_id, str) or not model_id:
        raise Malformed("no modelId")
    if ids.is_arn(model_id):
        arn = ids.parse_arn(model_id)
        kind = arn.resource.split("/", 1)[0]
        key, region, account = model_id, arn.region or region, arn.account
        name = arn.resource.split("/", 1)[-1]
    elif profile_model_id(model_id):
        kind, name = "inference-profile", model_id
        key = f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}"
    else:
        kind, name, account = "foundation-model", model_id, ""
        key = f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"
    props = {"arn": key, "model_id": name, "kind": kind if kind in _MODEL_KINDS else "other", "region": region}
    if not ids.is_arn(model_id):  # an id is a foundation model's or system profile's name; an ARN's id is not:
        props["name"] = name  # its name comes from the event that states it, whatever order they load in
    if kind == "foundation-model":
        props["modality"] = modality_of(name)
    if account:
        props["account_id"] = account
    return NodeRow("BedrockModel", key, props)


def model_rows(model_id: Any, region: str, account: str, partition: str, nodes: list, edges: list) -> str:
    """The model node, and for a system inference profile the foundation model it invokes (ROUTES_TO), so
    questions that judge models judge the foundation model behind the profile. Returns the model's key."""
    model = model_node(model_id, region, account, partition)
    nodes.append(model)
    if model.props["kind"] == "inference-profile":
        target_id = profile_model_id(model.props["model_id"])
        if target_id:
            target = model_node(target_id, model.props["region"], "", ids.parse_arn(model.key).partition)
            nodes.append(target)
            edges.append(EdgeRow("ROUTES_TO", "BedrockModel", model.key, "BedrockModel", target.key))
    return model.key


def invoke(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    partition, region, account = fields.event_place(record)
    model = model_rows(fields.get_ci(fields.params(record), "modelId"), region, account, partition, nodes, edges)
    extra = fields.section(record, "additionalEventData")
    props: dict[str, Any] = {"invoked_hours": [hour_of(record.get("eventTime"))]}
    if isinstance(extra.get("inferenceRegion"), str):
        props["inference_regions"] = [extra["inferenceRegion"]]
    edges.append(EdgeRow("INVOKED", principal.node_type, principal.key, "BedrockModel", model, props,
                         str(record.get("eventName"))))


def inference_profile(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateInferenceProfile: an application inference profile and the model or system profile it copies
    (`modelSource.copyFrom`), which is what its invocations run."""
    partition, region, account = fields.event_place(record)
    arn = fields.get_ci(fields.section(record, "responseElements"), "inferenceProfileArn")
    if not ids.is_arn(arn):
        raise Malformed("CreateInferenceProfile: no responseElements.inferenceProfileArn")
    request = fields.params(record)
    profile = model_node(arn, region, account, partition)
    name = fields.get_ci(request, "inferenceProfileName")
    nodes.append(NodeRow("BedrockModel", arn, {**profile.props, **({"name": name} if name else {})}))
    source = fields.dig(request, "modelSource", "copyFrom")
    if source:
        target = model_rows(source, region, account, partition, nodes, edges)
        edges.append(EdgeRow("ROUTES_TO", "BedrockModel", arn, "BedrockModel", target))
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "BedrockModel", arn, {},
                         "CreateInferenceProfile"))


def logging_config(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    _, region, account = fields.event_place(record)
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
    time = to_utc_iso(record.get("eventTime"))
    if name.startswith("Delete"):
        edges.append(EdgeRow("DISABLED_LOGGING", principal.node_type, principal.key, "BedrockLoggingConfig", key,
                             {"deleted_at": [time]}, name))
        return
    # Every change is kept with its time, so an invocation is judged by the configuration in force then;
    # a delivery flag not set is taken as off (the API's booleans; UNCONFIRMED default, README).
    change: dict[str, Any] = {"put_at": [time]}
    for modality in MODALITIES:
        if isinstance(config, Mapping) and fields.get_ci(config, f"{modality}DataDeliveryEnabled") in (True, "true"):
            change[f"{modality}_at"] = [time]
    edges.append(EdgeRow("ENABLED_LOGGING", principal.node_type, principal.key, "BedrockLoggingConfig", key,
                         change, name))


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
    validation = fields.dig(request, "validationDataConfig")
    validators = fields.get_ci(validation, "validators") if isinstance(validation, Mapping) else None
    if validators is None and isinstance(validation, Mapping) and fields.get_ci(validation, "s3Uri"):
        validators = [validation]  # the guide's state-change sample writes {"s3Uri": ...} without validators
    for index, validator in enumerate(fields.dig_list({"validators": validators}, "validators")):
        uri = fields.get_ci(validator, "s3Uri") if isinstance(validator, Mapping) else None
        if uri:
            dataset = dataset_rows(uri, "S3Prefix", partition, nodes, edges)
            edges.append(EdgeRow("READS", "CustomizationJob", job_arn, "Dataset", dataset,
                                 {"channels": [f"validation-{index}"]}))
    base = fields.get_ci(request, "baseModelIdentifier") or fields.get_ci(request, "baseModelArn")
    if base:
        model = model_rows(base, arn.region, arn.account, partition, nodes, edges)
        edges.append(EdgeRow("BASED_ON", "CustomizationJob", job_arn, "BedrockModel", model))
    executes_as(fields.get_ci(request, "roleArn"), "CustomizationJob", job_arn, nodes, edges)


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
    _serving_rows(record, principal, nodes, edges, "CreateProvisionedModelThroughput", "ProvisionedThroughput",
                  "provisionedModelArn", "provisionedModelName", "modelId")


def custom_model_deployment(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateCustomModelDeployment: the deployment ARN applications invoke PROVISIONS the custom model
    (`modelArn`; Bedrock API reference, CreateCustomModelDeployment)."""
    _serving_rows(record, principal, nodes, edges, "CreateCustomModelDeployment", "BedrockModel",
                  "customModelDeploymentArn", "modelDeploymentName", "modelArn")


def _serving_rows(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list, event: str, label: str,
                  arn_field: str, name_field: str, model_field: str) -> None:
    """What applications invoke (a provisioned throughput, a custom model deployment): its node, PROVISIONS the
    model it serves (so lineage walks on to that model), and who created it."""
    partition, region, account = fields.event_place(record)
    arn = fields.get_ci(fields.section(record, "responseElements"), arn_field)
    if not ids.is_arn(arn):
        raise Malformed(f"{event}: no responseElements.{arn_field}")
    request = fields.params(record)
    serving = model_node(arn, region, account, partition)
    nodes.append(NodeRow(label, arn, {**serving.props, "name": fields.get_ci(request, name_field)}))
    target = model_rows(fields.get_ci(request, model_field), region, account, partition, nodes, edges)
    edges.append(EdgeRow("PROVISIONS", label, arn, "BedrockModel", target))
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, label, arn, {}, event))


def _kb_arn(kb_id: Any, partition: str, region: str, account: str) -> str:
    if not isinstance(kb_id, str) or not kb_id:
        raise Malformed("no knowledgeBaseId")
    return f"arn:{partition}:bedrock:{region}:{account}:knowledge-base/{kb_id}"


def knowledge_base(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateKnowledgeBase: the knowledge base, its role and its embedding model."""
    partition, region, account = fields.event_place(record)
    kb = fields.dig(fields.section(record, "responseElements"), "knowledgeBase") or {}
    arn = fields.get_ci(kb, "knowledgeBaseArn") if isinstance(kb, Mapping) else None
    if not ids.is_arn(arn):
        raise Malformed("CreateKnowledgeBase: no responseElements.knowledgeBase.knowledgeBaseArn")
    nodes.append(NodeRow("KnowledgeBase", arn, {"arn": arn, "id": fields.get_ci(kb, "knowledgeBaseId"),
                                                "name": fields.get_ci(kb, "name"), "account_id": account,
                                                "region": region, "defined": True}))
    embedding = fields.dig(kb, "knowledgeBaseConfiguration", "vectorKnowledgeBaseConfiguration", "embeddingModelArn")
    if embedding:
        model = model_rows(embedding, region, account, partition, nodes, edges)
        edges.append(EdgeRow("USES_MODEL", "KnowledgeBase", arn, "BedrockModel", model))
    executes_as(fields.get_ci(kb, "roleArn"), "KnowledgeBase", arn, nodes, edges)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "KnowledgeBase", arn, {},
                         "CreateKnowledgeBase"))


def data_source(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateDataSource: the S3 prefixes a knowledge base reads, and who owns that bucket
    (`bucketOwnerAccountId` is the cross-account signal)."""
    partition, region, account = fields.event_place(record)
    source = fields.dig(fields.section(record, "responseElements"), "dataSource")
    request = fields.params(record)
    source = source if isinstance(source, Mapping) else request
    kb = _kb_arn(fields.get_ci(source, "knowledgeBaseId") or fields.get_ci(request, "knowledgeBaseId"),
                 partition, region, account)
    s3 = fields.dig(source, "dataSourceConfiguration", "s3Configuration") or fields.dig(
        request, "dataSourceConfiguration", "s3Configuration")
    if not isinstance(s3, Mapping) or not ids.is_arn(fields.get_ci(s3, "bucketArn")):
        raise Skip("unsupported_data_source")  # web, Confluence, SharePoint... sources hold no S3 lineage
    bucket = ids.parse_s3_uri(fields.get_ci(s3, "bucketArn")).bucket
    owner = fields.get_ci(s3, "bucketOwnerAccountId")
    nodes.append(NodeRow("KnowledgeBase", kb, {"arn": kb, "id": kb.rsplit("/", 1)[-1], "account_id": account,
                                               "region": region}))
    label = str(fields.get_ci(source, "dataSourceId") or fields.get_ci(source, "name") or "data-source")
    for prefix in fields.list_ci(s3, "inclusionPrefixes") or [""]:
        dataset = dataset_rows(f"s3://{bucket}/{prefix}", "S3Prefix", partition, nodes, edges)
        edges.append(EdgeRow("READS", "KnowledgeBase", kb, "Dataset", dataset, {"channels": [label]}))
    if isinstance(owner, str) and owner:
        nodes.append(NodeRow("AWSAccount", owner, {"id": owner}))
        nodes.append(NodeRow("S3Bucket", bucket, {"id": bucket, "account_id": owner}))
        edges.append(EdgeRow("RESOURCE", "AWSAccount", owner, "S3Bucket", bucket))
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "KnowledgeBase", kb, {}, "CreateDataSource"))


def ingestion(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    partition, region, account = fields.event_place(record)
    kb = _kb_arn(fields.get_ci(fields.params(record), "knowledgeBaseId"), partition, region, account)
    nodes.append(NodeRow("KnowledgeBase", kb, {"arn": kb, "id": kb.rsplit("/", 1)[-1], "account_id": account,
                                               "region": region}))
    edges.append(EdgeRow("STARTED_INGESTION", principal.node_type, principal.key, "KnowledgeBase", kb, {},
                         "StartIngestionJob"))


def _job(record: Mapping[str, Any], node_type: str, nodes: list, **props: Any) -> tuple[str, ids.Arn, Mapping]:
    """The job node of a Create*Job call, keyed by the responseElements.jobArn it returned."""
    job = fields.get_ci(fields.section(record, "responseElements"), "jobArn")
    if not ids.is_arn(job):
        raise Malformed(f"{record.get('eventName')}: no responseElements.jobArn")
    request = fields.params(record)
    arn = ids.parse_arn(job)
    nodes.append(NodeRow(node_type, job, {
        "arn": job, "name": fields.get_ci(request, "jobName"), "account_id": arn.account, "region": arn.region,
        "defined": True, **props}))
    return job, arn, request


def model_import_job(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateModelImportJob: the job and the S3 model weights it imports."""
    request = fields.params(record)
    job, arn, _ = _job(record, "ModelImportJob", nodes,
                       imported_model_name=fields.get_ci(request, "importedModelName"),
                       kms_key_ref=fields.get_ci(request, "importedModelKmsKeyId"))
    uri = fields.dig(request, "modelDataSource", "s3DataSource", "s3Uri")
    if uri:
        artifact = artifact_rows(uri, arn.partition, nodes, edges)
        edges.append(EdgeRow("IMPORTS", "ModelImportJob", job, "ModelArtifact", artifact))
    executes_as(fields.get_ci(request, "roleArn"), "ModelImportJob", job, nodes, edges)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "ModelImportJob", job, {},
                         "CreateModelImportJob"))


def batch_inference_job(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateModelInvocationJob (batch inference): the model it runs over an input and an output prefix."""
    job, arn, request = _job(record, "BatchInferenceJob", nodes)
    source = fields.dig(request, "inputDataConfig", "s3InputDataConfig", "s3Uri")
    if source:
        dataset = dataset_rows(source, "S3Prefix", arn.partition, nodes, edges)
        edges.append(EdgeRow("READS", "BatchInferenceJob", job, "Dataset", dataset, {"channels": ["input"]}))
    target = fields.dig(request, "outputDataConfig", "s3OutputDataConfig", "s3Uri")
    if target:
        dataset = dataset_rows(target, "S3Prefix", arn.partition, nodes, edges)
        edges.append(EdgeRow("WRITES", "BatchInferenceJob", job, "Dataset", dataset,
                             {"evidence": ["request"], "channels": ["output"]}))
    model_id = fields.get_ci(request, "modelId")
    if model_id:
        model = model_rows(model_id, arn.region, arn.account, arn.partition, nodes, edges)
        edges.append(EdgeRow("RUNS_MODEL", "BatchInferenceJob", job, "BedrockModel", model))
    executes_as(fields.get_ci(request, "roleArn"), "BatchInferenceJob", job, nodes, edges)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "BatchInferenceJob", job, {},
                         "CreateModelInvocationJob"))


HANDLERS = {
    **dict.fromkeys(INVOKE_EVENTS, invoke),
    "PutModelInvocationLoggingConfiguration": logging_config,
    "DeleteModelInvocationLoggingConfiguration": logging_config,
    "CreateInferenceProfile": inference_profile,
    "CreateModelCustomizationJob": customization_job,
    "CreateProvisionedModelThroughput": provisioned_throughput,
    "CreateCustomModelDeployment": custom_model_deployment,
    "CreateKnowledgeBase": knowledge_base,
    "CreateDataSource": data_source,
    "StartIngestionJob": ingestion,
    "CreateModelImportJob": model_import_job,
    "CreateModelInvocationJob": batch_inference_job,
}
