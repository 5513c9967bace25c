"""SageMaker: training jobs (CloudTrail and EventBridge state changes), model artifacts, models,
endpoint configurations and endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphgov.generate.constants import EU, SERVE, TRAIN, UA_CLI
from graphgov.generate.encoding import iso
from graphgov.generate.estate import IMAGES, Actor
from graphgov.generate.part import Part
from graphgov.generate.projects import Project

if TYPE_CHECKING:
    from graphgov.generate.platform import Platform


class SageMakerActivity(Part):
    """A project's training, deployment and the endpoint families it updates."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.families: dict[tuple[str, str], dict[str, Any]] = {}

    def training_request(self, project: Project) -> dict[str, Any]:
        """A project's CreateTrainingJob request: channels, output, KMS keys, hyperparameters."""
        bucket = project.bucket
        channels = [("train", "S3Prefix", f"s3://{bucket}/{project.prefix}train/")]
        validation = (f"https://{bucket}.s3.{EU}.amazonaws.com/{project.prefix}validation/" if project.https_validation
                      else f"s3://{bucket}/{project.prefix}validation/")
        channels.append(("validation", "S3Prefix", validation))
        if project.has_test:
            channels.append(("test", "ManifestFile", f"s3://{bucket}/{project.prefix}manifests/test.manifest")
                            if project.manifest else ("test", "S3Prefix", f"s3://{bucket}/{project.prefix}test/"))
        content = {"support": "application/jsonlines", "credit": "text/csv"}.get(project.team,
                                                                                 "application/x-parquet")
        output: dict[str, Any] = {"s3OutputPath": f"s3://acme-models-training/{project.team}/"}
        resources: dict[str, Any] = {"instanceType": "ml.g5.2xlarge" if project.algo == "BERT" else "ml.m5.2xlarge",
                                     "instanceCount": 1, "volumeSizeInGB": 50}
        if project.kms:
            output["kmsKeyId"] = self.estate.keys[TRAIN]
            resources["volumeKmsKeyId"] = self.estate.keys[TRAIN]
        hyper = ({"epochs": "3", "learning_rate": "5e-05", "model_name": "bert-base-uncased"}
                 if project.algo == "BERT" else
                 {"max_depth": "6", "eta": "0.2", "objective": "binary:logistic", "num_round": "200"})
        return {
            "trainingJobName": project.job_name, "hyperParameters": hyper,
            "algorithmSpecification": {"trainingImage": IMAGES[project.algo][0], "trainingInputMode": "File",
                                       "enableSageMakerMetricsTimeSeries": False},
            "roleArn": project.exec_role.arn,
            "inputDataConfig": [{"channelName": name, "dataSource": {"s3DataSource": {
                "s3DataType": kind, "s3Uri": uri, "s3DataDistributionType": "FullyReplicated"}},
                "contentType": content, "compressionType": "None"} for name, kind, uri in channels],
            "outputDataConfig": output, "resourceConfig": resources,
            "stoppingCondition": {"maxRuntimeInSeconds": 86400}, "enableNetworkIsolation": False,
            "enableInterContainerTrafficEncryption": False, "enableManagedSpotTraining": False,
            "tags": [{"key": "team", "value": project.team}, {"key": "project", "value": project.dataset}],
        }

    def arn(self, account: str, kind: str, name: str) -> str:
        """A SageMaker ARN (SageMaker lower-cases resource names in ARNs)."""
        return f"arn:aws:sagemaker:{EU}:{account}:{kind}/{name.lower()}"

    def step_training_job(self, remaining: int, project: Project) -> None:
        """CreateTrainingJob; the project's job becomes the running one (the previous one is done)."""
        t = self.now
        project.job_created = True
        project.created_t = t
        previous = self.projects.training
        if previous is not None:
            previous.done = True
        self.projects.training = project
        self.trail.emit(self.trail.api(self.cast.actor("ml"), t, "sagemaker", "CreateTrainingJob", EU,
                                       self.training_request(project),
                                       {"trainingJobArn": self.arn(TRAIN, "training-job", project.job_name)},
                                       host=f"api.sagemaker.{EU}.amazonaws.com"))

    def artifact_uri(self, project: Project) -> str:
        """Where a project's training job writes its model artifact."""
        return f"s3://acme-models-training/{project.team}/{project.job_name}/output/model.tar.gz"

    def step_training_state(self, remaining: int, project: Project, status: str, secondary: str) -> None:
        """A Training Job State Change on EventBridge (Completed names the artifact)."""
        t = self.now
        request = self.training_request(project)
        created = project.created_t * 1000
        model_key = self.estate.keys[TRAIN]
        detail: dict[str, Any] = {
            "TrainingJobName": project.job_name,
            "TrainingJobArn": self.arn(TRAIN, "training-job", project.job_name),
            "TrainingJobStatus": status, "SecondaryStatus": secondary,
            "HyperParameters": request["hyperParameters"],
            "AlgorithmSpecification": {"TrainingImage": IMAGES[project.algo][0], "TrainingInputMode": "File"},
            "RoleArn": project.exec_role.arn,
            "InputDataConfig": [{"ChannelName": c["channelName"], "DataSource": {"S3DataSource": {
                "S3DataType": c["dataSource"]["s3DataSource"]["s3DataType"],
                "S3Uri": c["dataSource"]["s3DataSource"]["s3Uri"], "S3DataDistributionType": "FullyReplicated"}},
                "ContentType": c["contentType"], "CompressionType": "None", "RecordWrapperType": "None"}
                for c in request["inputDataConfig"]],
            "OutputDataConfig": {**({"KmsKeyId": model_key} if project.kms else {}),
                                 "S3OutputPath": request["outputDataConfig"]["s3OutputPath"]},
            "ResourceConfig": {"InstanceType": request["resourceConfig"]["instanceType"], "InstanceCount": 1,
                               "VolumeSizeInGB": 50, **({"VolumeKmsKeyId": model_key} if project.kms else {})},
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
            "CreationTime": str(created), "TrainingStartTime": str(created + 60_000),
        }
        if status == "Completed":
            project.done = True
            detail["TrainingEndTime"] = str(t * 1000)
            detail["ModelArtifacts"] = {"S3ModelArtifacts": self.artifact_uri(project)}
        detail["LastModifiedTime"] = str(t * 1000)
        detail["SecondaryStatusTransitions"] = [{"Status": secondary, "StartTime": str(t * 1000),
                                                 "StatusMessage": f"{secondary} the training job"}]
        detail["Tags"] = {"team": project.team, "project": project.dataset}
        self.out.eventbridge({"version": "0", "id": self.out.uuid(),
                              "detail-type": "SageMaker Training Job State Change",
                              "source": "aws.sagemaker", "account": TRAIN, "time": iso(t), "region": EU,
                              "resources": [detail["TrainingJobArn"]], "detail": detail}, self.now)

    def step_artifact(self, remaining: int, project: Project) -> None:
        """The job's execution role writes the model artifact (with the model key if the project has one)."""
        key = self.artifact_uri(project).split("/", 3)[3]
        self.s3.put_object(self.cast.exec_actor(project), self.estate.buckets["acme-models-training"], key, 20_000_000,
                           900_000_000, sse=self.estate.keys[TRAIN] if project.kms else "")

    def step_manual_artifact(self, remaining: int, project: Project) -> None:
        """The contractor uploads a model by hand to the serving account's bucket."""
        actor = Actor(self.estate.contractor, None, f"198.51.100.{self.rng.randrange(100, 200)}", UA_CLI)
        self.s3.put_object(actor, self.estate.buckets["acme-models-serving"], project.manual_key, 20_000_000,
                           400_000_000)

    def step_create_model(self, remaining: int, project: Project, manual: bool) -> None:
        """CreateModel from the job's artifact, or (`manual`) from the hand-uploaded one."""
        t = self.now
        account = project.account
        name = project.manual_model if manual else project.model_name
        url = f"s3://acme-models-serving/{project.manual_key}" if manual else self.artifact_uri(project)
        role = self.estate.serving_role if account == SERVE else self.estate.staging_role
        params = {"modelName": name, "primaryContainer": {
            "image": IMAGES[project.algo][1], "modelDataUrl": url,
            "environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_REGION": EU}},
            "executionRoleArn": role.arn, "enableNetworkIsolation": False}
        actor = self.cast.actor("mlops") if account == SERVE else self.cast.actor("ml")
        self.trail.emit(self.trail.api(actor, t, "sagemaker", "CreateModel", EU, params,
                                       {"modelArn": self.arn(account, "model", name)},
                                       host=f"api.sagemaker.{EU}.amazonaws.com"))

    def family(self, project: Project) -> dict[str, Any]:
        """The endpoint a team's projects deploy to in an account, and the versions it has had."""
        key = (project.team, project.account)
        family = self.families.get(key)
        if family is None:
            name = f"{project.title}-Endpoint" if project.account == SERVE else f"{project.title}-Staging-Endpoint"
            family = self.families[key] = {"endpoint": name, "version": 0, "created": False, "model": None}
        return family

    def step_endpoint_config(self, remaining: int, project: Project) -> None:
        """CreateEndpointConfig: a blue/green split for odd projects once the endpoint has served a model,
        the manual model shadowed once there is one, data capture and KMS keys as the project has them."""
        t = self.now
        family = self.family(project)
        family["version"] += 1
        config = f"{project.title}Config-v{family['version']}"
        if project.account == TRAIN:
            config = f"{project.title}StagingConfig-v{family['version']}"
        project.config_name = config
        instance = "ml.g5.xlarge" if project.algo == "BERT" else "ml.m5.large"
        previous = family["model"]
        if previous and project.p % 2 == 1:
            variants = [{"variantName": "Blue", "modelName": previous, "initialInstanceCount": 1,
                         "instanceType": instance, "initialVariantWeight": 0.8},
                        {"variantName": "Green", "modelName": project.model_name, "initialInstanceCount": 1,
                         "instanceType": instance, "initialVariantWeight": 0.2}]
        else:
            variants = [{"variantName": "AllTraffic", "modelName": project.model_name, "initialInstanceCount": 1,
                         "instanceType": instance, "initialVariantWeight": 1.0}]
        params: dict[str, Any] = {"endpointConfigName": config, "productionVariants": variants}
        if project.manual:
            family["manual"] = project.manual_model
        if family.get("manual"):  # once shadowed, the untrained challenger stays in every later config
            params["shadowProductionVariants"] = [{"variantName": "Challenger", "modelName": family["manual"],
                                                   "initialInstanceCount": 1, "instanceType": instance,
                                                   "initialVariantWeight": 1.0}]
        if project.capture:
            capture: dict[str, Any] = {
                "enableCapture": True, "initialSamplingPercentage": 20,
                "destinationS3Uri": f"s3://acme-capture-{'serving' if project.account == SERVE else 'training'}/"
                                    f"{project.team}/",
                "captureOptions": [{"captureMode": "Input"}, {"captureMode": "Output"}]}
            if project.capture_kms:
                capture["kmsKeyId"] = self.estate.keys["capture-" + project.account]
            params["dataCaptureConfig"] = capture
        if project.config_kms:
            params["kmsKeyId"] = self.estate.keys[project.account]
        family["model"] = project.model_name
        actor = self.cast.actor("mlops") if project.account == SERVE else self.cast.actor("ml")
        self.trail.emit(self.trail.api(actor, t, "sagemaker", "CreateEndpointConfig", EU, params,
                                       {"endpointConfigArn": self.arn(project.account, "endpoint-config", config)},
                                       host=f"api.sagemaker.{EU}.amazonaws.com"))

    def step_endpoint(self, remaining: int, project: Project) -> None:
        """CreateEndpoint the first time, UpdateEndpoint after."""
        t = self.now
        family = self.family(project)
        endpoint = family["endpoint"]
        config = project.config_name
        actor = self.cast.actor("mlops") if project.account == SERVE else self.cast.actor("ml")
        if family["created"]:
            name, params = "UpdateEndpoint", {"endpointName": endpoint.lower(), "endpointConfigName": config,
                                              "retainAllVariantProperties": False}
        else:
            family["created"] = True
            name, params = "CreateEndpoint", {"endpointName": endpoint, "endpointConfigName": config}
        self.trail.emit(self.trail.api(actor, t, "sagemaker", name, EU, params,
                                       {"endpointArn": self.arn(project.account, "endpoint", endpoint)},
                                       host=f"api.sagemaker.{EU}.amazonaws.com"))
