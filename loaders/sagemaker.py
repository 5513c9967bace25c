"""SageMaker lineage: training jobs, datasets per channel, artifacts, models, endpoint configs, endpoints.

Pure row builders shared by the CloudTrail handlers here and the EventBridge state-change loader.
Request keys are read case-insensitively, so the same code reads CloudTrail's lowerCamelCase
(`inputDataConfig[].dataSource.s3DataSource.s3Uri`) and EventBridge's PascalCase documents.
Resources referenced by name (a model in an endpoint config, a config in an endpoint) are SageMaker
names, unique per account and Region, and lower-cased as AWS does in ARNs, so mixed-case requests
join the ARNs other events report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, Malformed, NodeRow, Skip
from loaders import fields
from loaders.identity import Principal, executes_as


@dataclass(frozen=True)
class Place:
    """Where a SageMaker resource lives: its ARNs are built from these."""

    partition: str
    region: str
    account: str

    def arn(self, resource_type: str, name: str) -> str:
        return ids.sagemaker_arn(self.partition, self.region, self.account, resource_type, name)


def place_of(record: Mapping[str, Any], reported_arn: Any = None) -> Place:
    """Account and Region of the resource: from the ARN the service reported, else the event's."""
    if ids.is_arn(reported_arn):
        arn = ids.parse_arn(reported_arn)
        if arn.region and arn.account:
            return Place(arn.partition, arn.region, arn.account)
    return Place(*fields.event_place(record, "to name the SageMaker resource"))


def _required(mapping: Mapping[str, Any], *path: str) -> str:
    value = fields.dig(mapping, *path)
    if not isinstance(value, str) or not value:
        raise Malformed(f"no {'.'.join(path)} in the request")
    return value


def _location(uri: Any, what: str) -> ids.S3Location:
    try:
        return ids.parse_s3_uri(uri)
    except ids.IdentityError as exc:
        raise Malformed(f"{what}: {exc}") from exc


def _bucket(loc: ids.S3Location, partition: str, child_type: str, child_key: str,
            nodes: list, edges: list) -> None:
    if ids.is_access_point_name(loc.bucket):
        return  # an access point alias or ARN is never a bucket: graphgov.ingest.access_points links the bucket
    nodes.append(NodeRow("S3Bucket", loc.bucket, {"id": loc.bucket, "name": loc.bucket,
                                                  "arn": ids.s3_bucket_arn(loc.bucket, partition)}))
    edges.append(EdgeRow("IN_BUCKET", child_type, child_key, "S3Bucket", loc.bucket))


def dataset_rows(uri: Any, data_type: Any, partition: str, nodes: list, edges: list) -> str:
    """A Dataset node for an S3 prefix or manifest; returns its key (`s3://bucket/prefix`)."""
    loc = _location(uri, "dataset S3Uri")
    kind = data_type if isinstance(data_type, str) and data_type else "S3Prefix"
    key = loc.uri()
    props = {"uri": key, "bucket": loc.bucket, "prefix": loc.key, "data_type": kind,
             "membership": "prefix" if kind == "S3Prefix" else "unknown"}
    if ids.is_access_point_name(loc.bucket):
        props["access_point"] = loc.bucket
    nodes.append(NodeRow("Dataset", key, props))
    _bucket(loc, partition, "Dataset", key, nodes, edges)
    return key


def artifact_rows(uri: Any, partition: str, nodes: list, edges: list) -> str:
    loc = _location(uri, "model artifact")
    key = loc.uri()
    nodes.append(NodeRow("ModelArtifact", key, {"uri": key, "bucket": loc.bucket, "key": loc.key}))
    _bucket(loc, partition, "ModelArtifact", key, nodes, edges)
    return key


def key_edge(ref: Any, place: Place, src_type: str, src: str, purpose: str, nodes: list, edges: list) -> None:
    """ENCRYPTED_WITH when the key reference resolves to a key ARN (aliases cannot be resolved from logs)."""
    key_arn = ids.kms_key_arn(ref, place.partition, place.region, place.account) if isinstance(ref, str) else None
    if not key_arn:
        return
    arn = ids.parse_arn(key_arn)
    nodes.append(NodeRow("KMSKey", key_arn, {"arn": key_arn, "id": arn.resource.split("/", 1)[-1],
                                             "region": arn.region, "account_id": arn.account}))
    edges.append(EdgeRow("ENCRYPTED_WITH", src_type, src, "KMSKey", key_arn, {"purposes": [purpose]}))


def training_job_rows(request: Mapping[str, Any], place: Place, nodes: list, edges: list,
                      artifact_uri: Any = None, artifact_evidence: str = "inferred-path") -> str:
    """A training job, every S3 input channel as a READS edge, and its artifact (given or inferred)."""
    name = _required(request, "trainingJobName")
    job = place.arn("training-job", name)
    output_path = fields.dig(request, "outputDataConfig", "s3OutputPath")
    image = fields.dig(request, "algorithmSpecification", "trainingImage") or fields.dig(
        request, "algorithmSpecification", "algorithmName")
    nodes.append(NodeRow("TrainingJob", job, {
        "arn": job, "name": name.lower(), "account_id": place.account, "region": place.region,
        "image": image, "output_path": output_path,
        "output_kms_key_ref": fields.dig(request, "outputDataConfig", "kmsKeyId"),
        "defined": True,
    }))
    for channel in fields.dig_list(request, "inputDataConfig"):
        s3 = fields.dig(channel, "dataSource", "s3DataSource")
        if not isinstance(s3, Mapping):
            continue  # file-system and hub-dataset channels are not S3 lineage
        dataset = dataset_rows(fields.get_ci(s3, "s3Uri"), fields.get_ci(s3, "s3DataType"), place.partition,
                               nodes, edges)
        channel_name = fields.get_ci(channel, "channelName") or "unnamed"
        edges.append(EdgeRow("READS", "TrainingJob", job, "Dataset", dataset, {"channels": [channel_name]}))
    if artifact_uri is None and isinstance(output_path, str) and output_path:
        # Not in CreateTrainingJob: SageMaker's layout, the job name as given (S3 keys keep case).
        artifact_uri, artifact_evidence = f"{output_path.rstrip('/')}/{name}/output/model.tar.gz", "inferred-path"
    if artifact_uri:
        artifact = artifact_rows(artifact_uri, place.partition, nodes, edges)
        edges.append(EdgeRow("WRITES", "TrainingJob", job, "ModelArtifact", artifact,
                             {"evidence": [artifact_evidence]}))
    executes_as(fields.dig(request, "roleArn"), "TrainingJob", job, nodes, edges)
    key_edge(fields.dig(request, "outputDataConfig", "kmsKeyId"), place, "TrainingJob", job, "output", nodes,
             edges)
    key_edge(fields.dig(request, "resourceConfig", "volumeKmsKeyId"), place, "TrainingJob", job, "volume",
             nodes, edges)
    return job


def model_rows(request: Mapping[str, Any], place: Place, nodes: list, edges: list) -> str:
    name = _required(request, "modelName")
    model = place.arn("model", name)
    primary = fields.dig(request, "primaryContainer")
    containers = ([("primary", primary)] if isinstance(primary, Mapping) else []) + [
        (str(fields.get_ci(c, "containerHostname") or index), c)
        for index, c in enumerate(fields.dig_list(request, "containers")) if isinstance(c, Mapping)
    ]
    image = next((fields.get_ci(c, "image") for _, c in containers if fields.get_ci(c, "image")), None)
    package = next((fields.get_ci(c, "modelPackageName") for _, c in containers
                    if fields.get_ci(c, "modelPackageName")), None)
    nodes.append(NodeRow("SageMakerModel", model, {
        "arn": model, "name": name.lower(), "account_id": place.account, "region": place.region,
        "image": image, "model_package": package,
        "defined": True,
    }))
    for label, container in containers:
        package_ref = fields.get_ci(container, "modelPackageName")
        if isinstance(package_ref, str) and package_ref:
            package = package_ref if ids.is_arn(package_ref) else place.arn("model-package", package_ref)
            package_node_rows(package, nodes, edges)
            edges.append(EdgeRow("FROM_PACKAGE", "SageMakerModel", model, "ModelPackage", package,
                                 {"containers": [label]}))
        uri = fields.get_ci(container, "modelDataUrl") or fields.dig(container, "modelDataSource", "s3DataSource",
                                                                      "s3Uri")
        if uri:
            artifact = artifact_rows(uri, place.partition, nodes, edges)
            edges.append(EdgeRow("FROM_ARTIFACT", "SageMakerModel", model, "ModelArtifact", artifact,
                                 {"containers": [label]}))
    executes_as(fields.dig(request, "executionRoleArn"), "SageMakerModel", model, nodes, edges)
    return model


def endpoint_config_rows(request: Mapping[str, Any], place: Place, nodes: list, edges: list) -> str:
    name = _required(request, "endpointConfigName")
    config = place.arn("endpoint-config", name)
    capture = fields.dig(request, "dataCaptureConfig")
    capture_uri = fields.get_ci(capture, "destinationS3Uri") if isinstance(capture, Mapping) else None
    if isinstance(capture, Mapping) and str(fields.get_ci(capture, "enableCapture")).lower() == "false":
        capture_uri = None  # configured but switched off: nothing is captured
    nodes.append(NodeRow("EndpointConfig", config, {
        "arn": config, "name": name.lower(), "account_id": place.account, "region": place.region,
        "kms_key_ref": fields.dig(request, "kmsKeyId"), "data_capture_uri": capture_uri,
        "data_capture_kms_key_ref": fields.get_ci(capture, "kmsKeyId") if isinstance(capture, Mapping) else None,
        "defined": True,
    }))
    for group, prefix in (("productionVariants", ""), ("shadowProductionVariants", "shadow:")):
        for variant in fields.dig_list(request, group):
            model_name = fields.get_ci(variant, "modelName") if isinstance(variant, Mapping) else None
            if not model_name:
                continue  # inference-component variants name no model
            model = place.arn("model", model_name)
            nodes.append(NodeRow("SageMakerModel", model, {"arn": model, "name": model_name.lower(),
                                                           "account_id": place.account, "region": place.region}))
            label = prefix + str(fields.get_ci(variant, "variantName") or "unnamed")
            edges.append(EdgeRow("SERVES", "EndpointConfig", config, "SageMakerModel", model, {"variants": [label]}))
    key_edge(fields.dig(request, "kmsKeyId"), place, "EndpointConfig", config, "volume", nodes, edges)
    if isinstance(capture, Mapping):
        key_edge(fields.get_ci(capture, "kmsKeyId"), place, "EndpointConfig", config, "data-capture", nodes, edges)
    return config


def endpoint_rows(request: Mapping[str, Any], place: Place, nodes: list, edges: list) -> str:
    name = _required(request, "endpointName")
    config_name = _required(request, "endpointConfigName")
    endpoint = place.arn("endpoint", name)
    config = place.arn("endpoint-config", config_name)
    common = {"account_id": place.account, "region": place.region}
    nodes.append(NodeRow("Endpoint", endpoint, {"arn": endpoint, "name": name.lower(), **common}))
    nodes.append(NodeRow("EndpointConfig", config, {"arn": config, "name": config_name.lower(), **common}))
    edges.append(EdgeRow("USES_CONFIG", "Endpoint", endpoint, "EndpointConfig", config))
    return endpoint


def processing_job_rows(request: Mapping[str, Any], place: Place, nodes: list, edges: list) -> str:
    """A processing job: S3 inputs it READS and S3 outputs it WRITES (data preparation, Art. 10(2)(c))."""
    name = _required(request, "processingJobName")
    job = place.arn("processing-job", name)
    nodes.append(NodeRow("ProcessingJob", job, {
        "arn": job, "name": name.lower(), "account_id": place.account, "region": place.region,
        "image": fields.dig(request, "appSpecification", "imageUri"), "defined": True,
        "output_kms_key_ref": fields.dig(request, "processingOutputConfig", "kmsKeyId"),
    }))
    for item in fields.dig_list(request, "processingInputs"):
        s3 = fields.get_ci(item, "s3Input") if isinstance(item, Mapping) else None
        if isinstance(s3, Mapping) and fields.get_ci(s3, "s3Uri"):
            dataset = dataset_rows(fields.get_ci(s3, "s3Uri"), fields.get_ci(s3, "s3DataType"), place.partition,
                                   nodes, edges)
            edges.append(EdgeRow("READS", "ProcessingJob", job, "Dataset", dataset,
                                 {"channels": [str(fields.get_ci(item, "inputName") or "input")]}))
    for item in fields.dig_list(request, "processingOutputConfig", "outputs"):
        uri = fields.dig(item, "s3Output", "s3Uri") if isinstance(item, Mapping) else None
        if uri:
            dataset = dataset_rows(uri, "S3Prefix", place.partition, nodes, edges)
            output_name = str(fields.get_ci(item, "outputName") or "output")
            edges.append(EdgeRow("WRITES", "ProcessingJob", job, "Dataset", dataset,
                                 {"evidence": ["request"], "channels": [output_name]}))
    executes_as(fields.dig(request, "roleArn"), "ProcessingJob", job, nodes, edges)
    return job


def transform_job_rows(request: Mapping[str, Any], place: Place, nodes: list, edges: list) -> str:
    """A batch transform: the model it runs, the dataset it READS and the dataset it WRITES."""
    name = _required(request, "transformJobName")
    job = place.arn("transform-job", name)
    nodes.append(NodeRow("TransformJob", job, {
        "arn": job, "name": name.lower(), "account_id": place.account, "region": place.region, "defined": True,
        "output_kms_key_ref": fields.dig(request, "transformOutput", "kmsKeyId"),
    }))
    s3 = fields.dig(request, "transformInput", "dataSource", "s3DataSource")
    if isinstance(s3, Mapping) and fields.get_ci(s3, "s3Uri"):
        dataset = dataset_rows(fields.get_ci(s3, "s3Uri"), fields.get_ci(s3, "s3DataType"), place.partition,
                               nodes, edges)
        edges.append(EdgeRow("READS", "TransformJob", job, "Dataset", dataset, {"channels": ["input"]}))
    output = fields.dig(request, "transformOutput", "s3OutputPath")
    if output:
        dataset = dataset_rows(output, "S3Prefix", place.partition, nodes, edges)
        edges.append(EdgeRow("WRITES", "TransformJob", job, "Dataset", dataset,
                             {"evidence": ["request"], "channels": ["output"]}))
    model_name = fields.get_ci(request, "modelName")
    if isinstance(model_name, str) and model_name:
        model = place.arn("model", model_name)
        nodes.append(NodeRow("SageMakerModel", model, {"arn": model, "name": model_name.lower(),
                                                       "account_id": place.account, "region": place.region}))
        edges.append(EdgeRow("RUNS_MODEL", "TransformJob", job, "SageMakerModel", model))
    return job


def tuning_job_rows(request: Mapping[str, Any], place: Place, nodes: list, edges: list) -> str:
    """A hyperparameter tuning job: the training jobs it starts appear in CloudTrail only as service
    events, so its own definition (channels, output path) is where their data lineage is recorded;
    the stores link it to every artifact under `artifact_prefix` (WRITES, evidence `tuning-output-prefix`)."""
    name = _required(request, "hyperParameterTuningJobName")
    job = place.arn("hyper-parameter-tuning-job", name)
    definitions = [d for d in [fields.get_ci(request, "trainingJobDefinition"),
                               *fields.list_ci(request, "trainingJobDefinitions")] if isinstance(d, Mapping)]
    output = next((fields.dig(d, "outputDataConfig", "s3OutputPath") for d in definitions
                   if fields.dig(d, "outputDataConfig", "s3OutputPath")), None)
    # The jobs it starts are named <tuning job>-<NNN>-<8 hex>, so their artifacts share this prefix.
    prefix = f"{output.rstrip('/')}/{name}-" if isinstance(output, str) and output else None
    nodes.append(NodeRow("TuningJob", job, {
        "arn": job, "name": name.lower(), "account_id": place.account, "region": place.region, "defined": True,
        "output_path": output, "artifact_prefix": ids.parse_s3_uri(prefix).uri() if prefix else None,
        "output_kms_key_ref": next((fields.dig(d, "outputDataConfig", "kmsKeyId") for d in definitions
                                    if fields.dig(d, "outputDataConfig", "kmsKeyId")), None),
    }))
    for definition in definitions:
        for channel in fields.dig_list(definition, "inputDataConfig"):
            s3 = fields.dig(channel, "dataSource", "s3DataSource")
            if isinstance(s3, Mapping):
                dataset = dataset_rows(fields.get_ci(s3, "s3Uri"), fields.get_ci(s3, "s3DataType"), place.partition,
                                       nodes, edges)
                edges.append(EdgeRow("READS", "TuningJob", job, "Dataset", dataset,
                                     {"channels": [fields.get_ci(channel, "channelName") or "unnamed"]}))
        executes_as(fields.dig(definition, "roleArn"), "TuningJob", job, nodes, edges)
    return job


def _delete_rows(resource_type: str, node_type: str, field: str):  # noqa: ANN202 - builder
    def build(request: Mapping[str, Any], place: Place, nodes: list, edges: list) -> str:
        name = _required(request, field)
        arn = place.arn(resource_type, name)
        nodes.append(NodeRow(node_type, arn, {"arn": arn, "name": name.lower(), "account_id": place.account,
                                              "region": place.region}))
        return arn
    return build


APPROVAL_EDGES = {"Approved": "APPROVED", "Rejected": "REJECTED", "PendingManualApproval": "PENDING_APPROVAL"}


def _group_node(group: str, nodes: list) -> None:
    arn = ids.parse_arn(group)
    nodes.append(NodeRow("ModelPackageGroup", group, {"arn": group, "name": group.rsplit("/", 1)[-1].lower(),
                                                      "account_id": arn.account, "region": arn.region}))


def package_node_rows(package: str, nodes: list, edges: list, defined: bool = False) -> None:
    """A model package, owned by the account in its ARN whoever references it (a CreateModel in another
    account deploys it across accounts), and the group its versioned ARN names
    (`model-package/<group>/<version>`), so a use of the package is a use of that group."""
    arn = ids.parse_arn(package)
    props = {"arn": package, "account_id": arn.account, "region": arn.region}
    nodes.append(NodeRow("ModelPackage", package, {**props, "defined": True} if defined else props))
    group = ids.model_package_group_arn(package)
    if group:
        _group_node(group, nodes)
        edges.append(EdgeRow("IN_GROUP", "ModelPackage", package, "ModelPackageGroup", group))


def model_package_rows(request: Mapping[str, Any], place: Place, nodes: list, edges: list,
                       package: str | None = None) -> str:
    """A model package (registry version): its group, the artifacts its containers load."""
    group_ref = fields.get_ci(request, "modelPackageGroupName")
    if package is None:
        name = fields.get_ci(request, "modelPackageName")
        if not isinstance(name, str) or not name:
            raise Malformed("no modelPackageArn in the response and no modelPackageName in the request")
        package = place.arn("model-package", name)
    package_node_rows(package, nodes, edges, defined=True)
    if isinstance(group_ref, str) and group_ref:
        group = group_ref if ids.is_arn(group_ref) else place.arn("model-package-group", group_ref)
        _group_node(group, nodes)
        edges.append(EdgeRow("IN_GROUP", "ModelPackage", package, "ModelPackageGroup", group))
    for index, container in enumerate(fields.dig_list(request, "inferenceSpecification", "containers")):
        uri = fields.get_ci(container, "modelDataUrl") or fields.dig(container, "modelDataSource", "s3DataSource",
                                                                      "s3Uri")
        if uri:
            artifact = artifact_rows(uri, place.partition, nodes, edges)
            edges.append(EdgeRow("FROM_ARTIFACT", "ModelPackage", package, "ModelArtifact", artifact,
                                 {"containers": [str(index)]}))
    return package


def model_package_group_rows(request: Mapping[str, Any], place: Place, nodes: list, edges: list) -> str:
    name = _required(request, "modelPackageGroupName")
    group = place.arn("model-package-group", name)
    nodes.append(NodeRow("ModelPackageGroup", group, {"arn": group, "name": name.lower(),
                                                      "account_id": place.account, "region": place.region}))
    return group


def _model_package(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateModelPackage / UpdateModelPackage: the package, and who set which approval status when
    (the status seen last is the one in force)."""
    name = str(record.get("eventName"))
    request = fields.params(record)
    reported = fields.get_ci(fields.section(record, "responseElements"), "modelPackageArn")
    if not ids.is_arn(reported):
        reported = fields.get_ci(request, "modelPackageArn")
    place = place_of(record, reported if ids.is_arn(reported) else None)
    if name == "CreateModelPackage":
        package = model_package_rows(request, place, nodes, edges, reported if ids.is_arn(reported) else None)
    else:
        if not ids.is_arn(reported):
            raise Malformed("UpdateModelPackage: no modelPackageArn")
        package = reported
        package_node_rows(package, nodes, edges)
    edges.append(EdgeRow("CREATED", principal.node_type, principal.key, "ModelPackage", package, {}, name))
    status = fields.get_ci(request, "modelApprovalStatus")
    if isinstance(status, str) and status in APPROVAL_EDGES:
        edges.append(EdgeRow(APPROVAL_EDGES[status], principal.node_type, principal.key, "ModelPackage", package,
                             {}, name))


# --- CloudTrail handlers ------------------------------------------------------------------------------

_BUILDERS = {
    "CreateTrainingJob": (training_job_rows, "TrainingJob", "trainingJobArn"),
    "CreateModel": (model_rows, "SageMakerModel", "modelArn"),
    "CreateEndpointConfig": (endpoint_config_rows, "EndpointConfig", "endpointConfigArn"),
    "CreateEndpoint": (endpoint_rows, "Endpoint", "endpointArn"),
    "UpdateEndpoint": (endpoint_rows, "Endpoint", "endpointArn"),
    "CreateProcessingJob": (processing_job_rows, "ProcessingJob", "processingJobArn"),
    "CreateTransformJob": (transform_job_rows, "TransformJob", "transformJobArn"),
    "CreateHyperParameterTuningJob": (tuning_job_rows, "TuningJob", "hyperParameterTuningJobArn"),
    "DeleteEndpoint": (_delete_rows("endpoint", "Endpoint", "endpointName"), "Endpoint", "endpointArn"),
    "DeleteModel": (_delete_rows("model", "SageMakerModel", "modelName"), "SageMakerModel", "modelArn"),
    "CreateModelPackageGroup": (model_package_group_rows, "ModelPackageGroup", "modelPackageGroupArn"),
}
_DELETES = frozenset({"DeleteEndpoint", "DeleteModel"})
EVENTS = frozenset(_BUILDERS) | {"CreateModelPackage", "UpdateModelPackage"}


def handle(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CloudTrail handler for the SageMaker calls in EVENTS (signature of loaders.cloudtrail handlers)."""
    name = str(record.get("eventName"))
    if name in ("CreateModelPackage", "UpdateModelPackage"):
        _model_package(record, principal, nodes, edges)
        return
    builder, node_type, arn_field = _BUILDERS[name]
    request = fields.params(record)
    if not request and record.get("eventType") == "AwsServiceEvent":
        raise Skip("service_event_without_request")  # e.g. jobs a tuning job started: see its own record
    if not request:
        raise Malformed(f"{name}: no requestParameters (CloudTrail omits them above 100 KB)")
    place = place_of(record, fields.dig(fields.section(record, "responseElements"), arn_field))
    resource = builder(request, place, nodes, edges)
    edge_type = "DELETED" if name in _DELETES else "CREATED"
    edges.append(EdgeRow(edge_type, principal.node_type, principal.key, node_type, resource, {}, name))
