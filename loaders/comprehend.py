"""Amazon Comprehend custom models from CloudTrail: which data trained each classifier and recognizer version.

Comprehend has no training-job resource: CreateDocumentClassifier and CreateEntityRecognizer name the model
version and its training data together, and the service trains it with the data access role. graphgov records
that training as a CustomizationJob (labelled ComprehendTraining) keyed by the version's ARN, which READS each
input location per channel, EXECUTES_AS the data access role and PRODUCED the model, so every lineage, exposure
and encryption question that follows customization jobs follows Comprehend's too. ImportModel copies a version
(usually another account's, shared by its model policy) into the caller's account: IMPORTED_FROM. The model
policy (CreateDocumentClassifier's `modelPolicy`, PutResourcePolicy, DeleteResourcePolicy) is the version's
`model-policy` PolicyState, and its creation a `lifecycle` one, so the access derivation knows who may import it
(and that a version created with no policy started with none).

Request members are Comprehend's API members in CloudTrail's lowerCamelCase (Comprehend API reference,
CreateDocumentClassifier / CreateEntityRecognizer / ImportModel; "Logging Amazon Comprehend API calls with
AWS CloudTrail"), read case-insensitively. Documents and text are never in these records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, Malformed, NodeRow
from loaders import fields
from loaders.iam_changes import add_state
from loaders.identity import Principal, executes_as
from loaders.sagemaker import Place, dataset_rows, key_edge

SOURCE = "comprehend.amazonaws.com"
# model kind -> (ARN resource type, name member, response ARN member)
KINDS = {
    "document-classifier": ("document-classifier", "documentClassifierName", "documentClassifierArn"),
    "entity-recognizer": ("entity-recognizer", "recognizerName", "entityRecognizerArn"),
}
MANIFEST = "AugmentedManifestFile"  # Ground Truth output: which objects it lists is unknown until it is read
MODEL_POLICY = "model-policy"  # the PolicyState slot of a version's resource-based policy


def model_arn(partition: str, region: str, account: str, kind: str, name: str, version: Any = None) -> str:
    """`arn:<p>:comprehend:<region>:<account>:<kind>/<name>[/version/<version>]`; names keep their case."""
    arn = f"arn:{partition}:comprehend:{region}:{account}:{kind}/{name}"
    return f"{arn}/version/{version}" if isinstance(version, str) and version else arn


def _account(value: str | None) -> dict[str, str]:
    """`account_id` when the ARN's account is an account (an AWS-owned endpoint's ARN says `aws`)."""
    return {"account_id": value} if value and value.isdigit() else {}


def model_node(arn: str, **props: Any) -> NodeRow:
    """A Comprehend model (version) named by its ARN: kind, name and version read from the ARN itself."""
    parsed = ids.parse_arn(arn)
    parts = parsed.resource.split("/")
    if parsed.service != "comprehend" or len(parts) < 2 or parts[0] not in KINDS:
        raise Malformed(f"not a Comprehend classifier or recognizer ARN: {arn[:200]}")
    version = parts[3] if len(parts) >= 4 and parts[2] == "version" else None
    base = {"arn": arn, "kind": parts[0], "name": parts[1], "version": version, "region": parsed.region,
            **_account(parsed.account)}
    return NodeRow("ComprehendModel", arn, {**base, **props})


def _channels(kind: str, config: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """(channel, S3 URI, data type) of every training and test input the request's inputDataConfig names."""
    out: list[tuple[str, Any, str]] = []

    def add(channel: str, uri: Any, data_type: str = "S3Prefix") -> None:
        if isinstance(uri, str) and uri:
            out.append((channel, uri, data_type))

    if kind == "document-classifier":
        # "if the prefix is a single file, Amazon Comprehend uses that file as input. If more than one file begins
        # with the prefix, Amazon Comprehend uses all of them" (API reference, DocumentClassifierInputDataConfig):
        # an S3 key-name prefix, as a Dataset's
        add("train", fields.get_ci(config, "s3Uri"))
        add("test", fields.get_ci(config, "testS3Uri"))
    else:
        add("train-annotations", fields.dig(config, "annotations", "s3Uri"))
        add("test-annotations", fields.dig(config, "annotations", "testS3Uri"))
        add("entity-list", fields.dig(config, "entityList", "s3Uri"))
    add("train-documents", fields.dig(config, "documents", "s3Uri"))
    add("test-documents", fields.dig(config, "documents", "testS3Uri"))
    for manifest in fields.dig_list(config, "augmentedManifests"):
        if not isinstance(manifest, Mapping):
            continue
        split = str(fields.get_ci(manifest, "split") or "TRAIN").lower()  # TRAIN is the API's default
        add(split, fields.get_ci(manifest, "s3Uri"), MANIFEST)
        add(f"{split}-annotations", fields.get_ci(manifest, "annotationDataS3Uri"))
        add(f"{split}-documents", fields.get_ci(manifest, "sourceDocumentsS3Uri"))
    return out


def _key_ref(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def training_node(model: NodeRow, **props: Any) -> NodeRow:
    """The training of a version (keyed by its ARN): what the model node says of it, and `props`."""
    return NodeRow("ComprehendTraining", model.key, {
        "arn": model.key, "name": model.props["name"], "region": model.props["region"],
        "customization_type": f"comprehend-{model.props['kind']}", "account_id": model.props.get("account_id"),
        **props})


def create_model(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateDocumentClassifier / CreateEntityRecognizer: the version, its training, every input per channel."""
    event = str(record.get("eventName"))
    kind = "document-classifier" if event == "CreateDocumentClassifier" else "entity-recognizer"
    resource_type, name_member, arn_member = KINDS[kind]
    request = fields.params(record)
    if not request:
        raise Malformed(f"{event}: no requestParameters (CloudTrail omits them above 100 KB)")
    partition, region, account = fields.event_place(record)
    place = Place(partition, region, account)
    arn = fields.get_ci(fields.section(record, "responseElements"), arn_member)
    if not ids.is_arn(arn):  # the response names the version; else build it as Comprehend does
        name = fields.get_ci(request, name_member)
        if not isinstance(name, str) or not name:
            raise Malformed(f"{event}: no responseElements.{arn_member} and no {name_member}")
        arn = model_arn(partition, region, account, resource_type, name, fields.get_ci(request, "versionName"))
    model_key = _key_ref(fields.get_ci(request, "modelKmsKeyId"))
    volume_key = _key_ref(fields.get_ci(request, "volumeKmsKeyId"))
    output = fields.get_ci(request, "outputDataConfig")  # classifiers only
    output_path = fields.get_ci(output, "s3Uri") if isinstance(output, Mapping) else None
    output_key = _key_ref(fields.get_ci(output, "kmsKeyId")) if isinstance(output, Mapping) else None
    model = model_node(arn, model_kms_key_ref=model_key, language=fields.get_ci(request, "languageCode"),
                       mode=fields.get_ci(request, "mode"), defined=True)
    nodes.append(model)
    training = "ComprehendTraining"
    nodes.append(training_node(
        model,
        # the trained model's own encryption, as for a Bedrock custom model (unencrypted-ai-artifacts)
        kms_key_ref=model_key, volume_kms_key_ref=volume_key, output_kms_key_ref=output_key,
        output_path=output_path if isinstance(output_path, str) and output_path else None, defined=True))
    config = fields.get_ci(request, "inputDataConfig")
    for channel, uri, data_type in _channels(kind, config if isinstance(config, Mapping) else {}):
        dataset = dataset_rows(uri, data_type, partition, nodes, edges)
        edges.append(EdgeRow("READS", training, arn, "Dataset", dataset, {"channels": [channel]}))
    edges.append(EdgeRow("PRODUCED", training, arn, "ComprehendModel", arn))
    executes_as(fields.get_ci(request, "dataAccessRoleArn"), training, arn, nodes, edges)
    key_edge(model_key, place, "ComprehendModel", arn, "model", nodes, edges)
    key_edge(volume_key, place, training, arn, "volume", nodes, edges)
    key_edge(output_key, place, training, arn, "output", nodes, edges)
    # who created it: on the training, the version's one node with that ARN that has a history of calls (a second
    # CREATED on the version would list the same ARN twice in principal-activity)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, training, arn, {}, event))
    add_state(record, principal, nodes, edges, "ComprehendModel", arn, "lifecycle", "lifecycle")
    policy = fields.get_ci(request, "modelPolicy")  # a JSON string: who may import the version
    if isinstance(policy, str) and policy:
        add_state(record, principal, nodes, edges, "ComprehendModel", arn, MODEL_POLICY, "resource", document=policy)


def import_model(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """ImportModel: a copy of another version (often another account's) in the caller's account."""
    request = fields.params(record)
    source = fields.get_ci(request, "sourceModelArn")
    if not ids.is_arn(source):
        raise Malformed("ImportModel: no requestParameters.sourceModelArn")
    nodes.append(model_node(source))
    arn = fields.get_ci(fields.section(record, "responseElements"), "modelArn")
    if not ids.is_arn(arn):
        raise Malformed("ImportModel: no responseElements.modelArn")
    model_key = _key_ref(fields.get_ci(request, "modelKmsKeyId"))
    nodes.append(model_node(arn, model_kms_key_ref=model_key, imported=True, defined=True))
    edges.append(EdgeRow("IMPORTED_FROM", "ComprehendModel", arn, "ComprehendModel", source))
    executes_as(fields.get_ci(request, "dataAccessRoleArn"), "ComprehendModel", arn, nodes, edges)
    key_edge(model_key, Place(*fields.event_place(record)), "ComprehendModel", arn, "model", nodes, edges)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "ComprehendModel", arn, {}, "ImportModel"))
    add_state(record, principal, nodes, edges, "ComprehendModel", arn, "lifecycle", "lifecycle")  # no policy yet


def delete_model(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """DeleteDocumentClassifier / DeleteEntityRecognizer: who deleted which version (the ARN is the request's)."""
    event = str(record.get("eventName"))
    member = "documentClassifierArn" if event == "DeleteDocumentClassifier" else "entityRecognizerArn"
    arn = fields.get_ci(fields.params(record), member)
    if not ids.is_arn(arn):
        raise Malformed(f"{event}: no requestParameters.{member}")
    nodes.append(model_node(arn))
    edges.append(EdgeRow("DELETED", principal.node_type, principal.key, "ComprehendModel", arn, {}, event))
    add_state(record, principal, nodes, edges, "ComprehendModel", arn, "lifecycle", "lifecycle", deleted=True)


def model_policy(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """PutResourcePolicy / DeleteResourcePolicy: the model policy that lets other accounts import the version."""
    event = str(record.get("eventName"))
    request = fields.params(record)
    arn = fields.get_ci(request, "resourceArn")
    if not ids.is_arn(arn):
        raise Malformed(f"{event}: no requestParameters.resourceArn")
    deleted = event == "DeleteResourcePolicy"
    policy = None if deleted else fields.get_ci(request, "resourcePolicy")
    if not deleted and (not isinstance(policy, str) or not policy):
        raise Malformed("PutResourcePolicy: no resourcePolicy in requestParameters")
    nodes.append(model_node(arn))
    add_state(record, principal, nodes, edges, "ComprehendModel", arn, MODEL_POLICY, "resource", document=policy,
              deleted=deleted)


ENDPOINT_KINDS = ("document-classifier-endpoint", "entity-recognizer-endpoint")
ENDPOINT_RESOURCE_TYPES = ("AWS::Comprehend::DocumentClassifierEndpoint", "AWS::Comprehend::EntityRecognizerEndpoint")
# Synchronous analysis calls (management events; read-only ones are logged only by a trail that records read
# management events). The CloudTrail page lists some; the others are loaded when present: absence proves nothing.
RUNTIME_CALLS = frozenset({
    "ClassifyDocument", "DetectEntities", "DetectDominantLanguage", "DetectKeyPhrases", "DetectPiiEntities",
    "DetectSentiment", "DetectSyntax", "DetectTargetedSentiment", "DetectToxicContent", "ContainsPiiEntities",
    "BatchDetectDominantLanguage", "BatchDetectEntities", "BatchDetectKeyPhrases", "BatchDetectSentiment",
    "BatchDetectSyntax", "BatchDetectTargetedSentiment",
})


def endpoint_node(arn: str, **props: Any) -> NodeRow:
    """A Comprehend endpoint named by its ARN (`...:document-classifier-endpoint/<name>`)."""
    parsed = ids.parse_arn(arn)
    kind, _, name = parsed.resource.partition("/")
    if parsed.service != "comprehend" or kind not in ENDPOINT_KINDS or not name:
        raise Malformed(f"not a Comprehend endpoint ARN: {arn[:200]}")
    return NodeRow("ComprehendEndpoint", arn, {"arn": arn, "name": name, "kind": kind, "region": parsed.region,
                                               **_account(parsed.account), **props})


def _served_model(ref: Any, nodes: list) -> str | None:
    """The model an endpoint call names, when it is a classifier or recognizer ARN (a flywheel's is not)."""
    if not ids.is_arn(ref):
        return None
    nodes.append(model_node(ref))
    return ref


def endpoint(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateEndpoint / UpdateEndpoint: the endpoint SERVES the model set (UpdateEndpoint's `desiredModelArn`);
    the model set last is the one served. An endpoint of a flywheel serves its active model: named in the
    response when AWS states it, otherwise not known from the call."""
    event = str(record.get("eventName"))
    request, response = fields.params(record), fields.section(record, "responseElements")
    arn = fields.get_ci(response, "endpointArn") or fields.get_ci(request, "endpointArn")
    if not ids.is_arn(arn):
        raise Malformed(f"{event}: no endpointArn")
    update = event == "UpdateEndpoint"
    flywheel = fields.get_ci(request, "flywheelArn")
    nodes.append(endpoint_node(arn, flywheel=flywheel if isinstance(flywheel, str) and flywheel else None,
                               **({} if update else {"defined": True})))
    model = _served_model(fields.get_ci(response, "desiredModelArn" if update else "modelArn")
                          or fields.get_ci(request, "desiredModelArn" if update else "modelArn"), nodes)
    if model:
        edges.append(EdgeRow("SERVES", "ComprehendEndpoint", arn, "ComprehendModel", model))
    role = fields.get_ci(request, "desiredDataAccessRoleArn" if update else "dataAccessRoleArn")
    executes_as(role, "ComprehendEndpoint", arn, nodes, edges)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "ComprehendEndpoint", arn, {}, event))


def delete_endpoint(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    arn = fields.get_ci(fields.params(record), "endpointArn")
    if not ids.is_arn(arn):
        raise Malformed("DeleteEndpoint: no requestParameters.endpointArn")
    nodes.append(endpoint_node(arn))
    edges.append(EdgeRow("DELETED", principal.node_type, principal.key, "ComprehendEndpoint", arn, {},
                         "DeleteEndpoint"))


def built_in_model(partition: str, region: str, account: str) -> NodeRow:
    """The account's built-in Comprehend models in a Region, as one node: what calls without an endpoint use."""
    arn = f"arn:{partition}:comprehend:{region}:{account}:built-in-model"
    return NodeRow("ComprehendModel", arn, {"arn": arn, "kind": "built-in", "name": "built-in", "region": region,
                                            **_account(account)})


def runtime_call(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """A synchronous analysis call: INVOKED the custom endpoint it names (`resources[]` first: recent records
    carry `requestParameters: null`), else the built-in models of the account and Region."""
    event = str(record.get("eventName"))
    target = next((fields.get_ci(r, "ARN") for r in fields.resources(record)
                   if fields.get_ci(r, "type") in ENDPOINT_RESOURCE_TYPES), None)
    if not ids.is_arn(target):
        target = fields.get_ci(fields.params(record), "endpointArn")
    if ids.is_arn(target):
        nodes.append(endpoint_node(target))
        edges.append(EdgeRow("INVOKED", principal.node_type, principal.key, "ComprehendEndpoint", target, {}, event))
        return
    if event == "ClassifyDocument":
        raise Malformed("ClassifyDocument: no endpoint ARN in resources or requestParameters")
    partition, region, account = fields.event_place(record)
    model = built_in_model(partition, region, account)
    nodes.append(model)
    edges.append(EdgeRow("INVOKED", principal.node_type, principal.key, "ComprehendModel", model.key, {}, event))


def _flywheel(record: Mapping[str, Any], arn: Any, nodes: list, **props: Any) -> str:
    """The flywheel node: a standing customization that trains new versions from its datasets (iterations)."""
    if not ids.is_arn(arn):
        raise Malformed(f"{record.get('eventName')}: no flywheelArn")
    parsed = ids.parse_arn(arn)
    name = parsed.resource.split("/")[1] if parsed.resource.count("/") >= 1 else parsed.resource
    nodes.append(NodeRow("ComprehendFlywheel", arn, {
        "arn": arn, "name": name, "region": parsed.region, "customization_type": "comprehend-flywheel",
        **_account(parsed.account), **props}))
    return arn


def create_flywheel(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateFlywheel / UpdateFlywheel: its data lake (where it keeps the datasets it trains on), the active model
    its iterations start from (BASED_ON), its role and keys. The versions its iterations train are not in these
    calls (DescribeFlywheelIteration names them): until then they have no PRODUCED edge, so no known lineage."""
    event = str(record.get("eventName"))
    request, response = fields.params(record), fields.section(record, "responseElements")
    arn = fields.get_ci(response, "flywheelArn") or fields.get_ci(request, "flywheelArn")
    create = event == "CreateFlywheel"
    security = fields.get_ci(request, "dataSecurityConfig")
    security = security if isinstance(security, Mapping) else {}
    model_key = _key_ref(fields.get_ci(security, "modelKmsKeyId"))
    volume_key = _key_ref(fields.get_ci(security, "volumeKmsKeyId"))
    lake = fields.get_ci(request, "dataLakeS3Uri")
    keys = {"kms_key_ref": model_key, "volume_kms_key_ref": volume_key} if create or security else {}
    flywheel = _flywheel(record, arn, nodes, **keys, **({"defined": True} if create else {}),
                         data_lake=lake if isinstance(lake, str) and lake else None)
    kind = "ComprehendFlywheel"
    partition = fields.partition(record)
    if isinstance(lake, str) and lake:
        dataset = dataset_rows(lake, "S3Prefix", partition, nodes, edges)
        edges.append(EdgeRow("READS", kind, flywheel, "Dataset", dataset, {"channels": ["data-lake"]}))
    active = fields.get_ci(response, "activeModelArn") or fields.get_ci(request, "activeModelArn")
    if ids.is_arn(active):
        nodes.append(model_node(active))
        edges.append(EdgeRow("BASED_ON", kind, flywheel, "ComprehendModel", active))
    executes_as(fields.get_ci(request, "dataAccessRoleArn"), kind, flywheel, nodes, edges)
    place = Place(*fields.event_place(record))
    key_edge(model_key, place, kind, flywheel, "model", nodes, edges)
    key_edge(volume_key, place, kind, flywheel, "volume", nodes, edges)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, kind, flywheel, {}, event))


def flywheel_dataset(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateDataset: S3 data added to a flywheel for its iterations to train (TRAIN) or test (TEST) on."""
    request = fields.params(record)
    flywheel = _flywheel(record, fields.get_ci(request, "flywheelArn"), nodes)
    split = str(fields.get_ci(request, "datasetType") or "TRAIN").lower()
    config = fields.get_ci(request, "inputDataConfig")
    config = config if isinstance(config, Mapping) else {}
    inputs: list[tuple[str, Any, str]] = []
    classifier = fields.get_ci(config, "documentClassifierInputDataConfig")
    if isinstance(classifier, Mapping):
        inputs.append((split, fields.get_ci(classifier, "s3Uri"), "S3Prefix"))
    recognizer = fields.get_ci(config, "entityRecognizerInputDataConfig")
    if isinstance(recognizer, Mapping):
        inputs += [(f"{split}-documents", fields.dig(recognizer, "documents", "s3Uri"), "S3Prefix"),
                   (f"{split}-annotations", fields.dig(recognizer, "annotations", "s3Uri"), "S3Prefix"),
                   ("entity-list", fields.dig(recognizer, "entityList", "s3Uri"), "S3Prefix")]
    inputs += [(split, fields.get_ci(m, "s3Uri"), MANIFEST) for m in fields.dig_list(config, "augmentedManifests")
               if isinstance(m, Mapping)]
    partition = fields.partition(record)
    for channel, uri, data_type in inputs:
        if isinstance(uri, str) and uri:
            dataset = dataset_rows(uri, data_type, partition, nodes, edges)
            edges.append(EdgeRow("READS", "ComprehendFlywheel", flywheel, "Dataset", dataset, {"channels": [channel]}))
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "ComprehendFlywheel", flywheel, {},
                         "CreateDataset"))


def flywheel_iteration(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """StartFlywheelIteration: who started a training of the flywheel (the version it makes is not named)."""
    request, response = fields.params(record), fields.section(record, "responseElements")
    flywheel = _flywheel(record, fields.get_ci(response, "flywheelArn") or fields.get_ci(request, "flywheelArn"),
                         nodes)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "ComprehendFlywheel", flywheel, {},
                         "StartFlywheelIteration"))


# Asynchronous analysis jobs: a model (custom, a flywheel's active one, or built-in) run over S3 input into S3
ANALYSIS_JOBS = frozenset({
    "StartDocumentClassificationJob", "StartDominantLanguageDetectionJob", "StartEntitiesDetectionJob",
    "StartEventsDetectionJob", "StartKeyPhrasesDetectionJob", "StartPiiEntitiesDetectionJob",
    "StartSentimentDetectionJob", "StartTargetedSentimentDetectionJob", "StartTopicsDetectionJob",
})


def analysis_job(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """Start*Job: the job READS its input prefix, WRITES its output prefix (Comprehend writes under
    `<S3Uri>/<account>-<type>-<job id>/output/`), RUNS_MODEL the classifier or recognizer it names (else, with
    no flywheel named, the account's built-in models) as its data access role, with its keys."""
    event = str(record.get("eventName"))
    request, response = fields.params(record), fields.section(record, "responseElements")
    arn = fields.get_ci(response, "jobArn")
    if not ids.is_arn(arn):
        raise Malformed(f"{event}: no responseElements.jobArn")
    partition, region, account = fields.event_place(record)
    place = Place(partition, region, account)
    output = fields.get_ci(request, "outputDataConfig")
    output_path = fields.get_ci(output, "s3Uri") if isinstance(output, Mapping) else None
    output_key = _key_ref(fields.get_ci(output, "kmsKeyId")) if isinstance(output, Mapping) else None
    volume_key = _key_ref(fields.get_ci(request, "volumeKmsKeyId"))
    flywheel = fields.get_ci(request, "flywheelArn")
    parsed = ids.parse_arn(arn)
    nodes.append(NodeRow("ComprehendAnalysisJob", arn, {
        "arn": arn, "name": fields.get_ci(request, "jobName"), "account_id": parsed.account or account,
        "region": parsed.region or region, "job_type": event.removeprefix("Start").removesuffix("Job"),
        "output_path": output_path if isinstance(output_path, str) and output_path else None,
        "output_kms_key_ref": output_key, "volume_kms_key_ref": volume_key,
        "flywheel": flywheel if isinstance(flywheel, str) and flywheel else None, "defined": True,
    }))
    job = "ComprehendAnalysisJob"
    source = fields.dig(request, "inputDataConfig", "s3Uri")
    if isinstance(source, str) and source:
        dataset = dataset_rows(source, "S3Prefix", partition, nodes, edges)
        edges.append(EdgeRow("READS", job, arn, "Dataset", dataset, {"channels": ["input"]}))
    if isinstance(output_path, str) and output_path:
        dataset = dataset_rows(output_path, "S3Prefix", partition, nodes, edges)
        edges.append(EdgeRow("WRITES", job, arn, "Dataset", dataset, {"evidence": ["request"], "channels": ["output"]}))
    model = next((m for m in (fields.get_ci(request, "documentClassifierArn"),
                              fields.get_ci(request, "entityRecognizerArn"),
                              fields.get_ci(response, "documentClassifierArn"),
                              fields.get_ci(response, "entityRecognizerArn")) if ids.is_arn(m)), None)
    if model:
        nodes.append(model_node(model))
        edges.append(EdgeRow("RUNS_MODEL", job, arn, "ComprehendModel", model))
    elif not flywheel:  # a flywheel's active model is not in the call: not linked
        built_in = built_in_model(partition, region, account)
        nodes.append(built_in)
        edges.append(EdgeRow("RUNS_MODEL", job, arn, "ComprehendModel", built_in.key))
    executes_as(fields.get_ci(request, "dataAccessRoleArn"), job, arn, nodes, edges)
    key_edge(output_key, place, job, arn, "output", nodes, edges)
    key_edge(volume_key, place, job, arn, "volume", nodes, edges)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, job, arn, {}, event))


def stop_training(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """StopTrainingDocumentClassifier / StopTrainingEntityRecognizer: who stopped a training (the version may end
    STOPPED, or TRAINED if it finished first: which is not in the call). Recorded on the training."""
    event = str(record.get("eventName"))
    member = "documentClassifierArn" if event == "StopTrainingDocumentClassifier" else "entityRecognizerArn"
    arn = fields.get_ci(fields.params(record), member)
    if not ids.is_arn(arn):
        raise Malformed(f"{event}: no requestParameters.{member}")
    nodes.append(training_node(model_node(arn)))
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "ComprehendTraining", arn, {}, event))


STOP_JOBS = frozenset(f"Stop{name.removeprefix('Start')}" for name in ANALYSIS_JOBS
                      if name not in ("StartDocumentClassificationJob", "StartTopicsDetectionJob"))


def stop_job(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """Stop*Job: who stopped an analysis job; the request names its id only, so the job's ARN is built from it
    as Comprehend names job ARNs (`<type>-job/<id>`, the same as its Start call's response)."""
    event = str(record.get("eventName"))
    job_id = fields.get_ci(fields.params(record), "jobId")
    if not isinstance(job_id, str) or not job_id:
        raise Malformed(f"{event}: no requestParameters.jobId")
    partition, region, account = fields.event_place(record)
    kind = re.sub(r"(?<!^)(?=[A-Z])", "-", event.removeprefix("Stop").removesuffix("Job")).lower()
    arn = f"arn:{partition}:comprehend:{region}:{account}:{kind}-job/{job_id}"
    nodes.append(NodeRow("ComprehendAnalysisJob", arn, {"arn": arn, "account_id": account, "region": region}))
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "ComprehendAnalysisJob", arn, {}, event))


HANDLERS = {
    **dict.fromkeys(ANALYSIS_JOBS, analysis_job),
    **dict.fromkeys(STOP_JOBS, stop_job),
    "StopTrainingDocumentClassifier": stop_training,
    "StopTrainingEntityRecognizer": stop_training,
    "CreateFlywheel": create_flywheel,
    "UpdateFlywheel": create_flywheel,
    "CreateDataset": flywheel_dataset,
    "StartFlywheelIteration": flywheel_iteration,
    "CreateEndpoint": endpoint,
    "UpdateEndpoint": endpoint,
    "DeleteEndpoint": delete_endpoint,
    **dict.fromkeys(RUNTIME_CALLS, runtime_call),
    "CreateDocumentClassifier": create_model,
    "CreateEntityRecognizer": create_model,
    "ImportModel": import_model,
    "PutResourcePolicy": model_policy,
    "DeleteResourcePolicy": model_policy,
    "DeleteDocumentClassifier": delete_model,
    "DeleteEntityRecognizer": delete_model,
}
