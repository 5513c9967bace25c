"""Project 1's data preparation (an issue 11 plant): a baseline job before any processing, the
processing job and its writes, the job training on the prepared data, its model and staging endpoint."""

from __future__ import annotations

from typing import Any

from graphgov.generate.constants import EU, TRAIN, UA_JAVA
from graphgov.generate.estate import IMAGES, Actor
from graphgov.generate.part import Part
from graphgov.generate.projects import Project


class DataPreparation(Part):
    """The prepared-data chain, in a bucket whose key and policy predate the logs."""

    def prepared_uri(self, project: Project) -> str:
        """The prepared prefix of a project, in acme-data-prepared."""
        return f"s3://acme-data-prepared/{project.prefix}prepared/"

    def job_name(self, project: Project, kind: str) -> str:
        """The name of a training job on prepared data (`Baseline` or `Prepared`)."""
        return f"{project.title}-{project.algo}-{kind}-{project.date.replace('-', '')}-{project.p:03d}"

    def step_processing_job(self, remaining: int, project: Project) -> None:
        """CreateProcessingJob (SageMaker API reference: ProcessingInputs S3Input, ProcessingOutputConfig)."""
        name = f"{project.title}-Prep-{project.date.replace('-', '')}-{project.p:03d}"
        params = {
            "processingJobName": name,
            "processingInputs": [{"inputName": "raw", "s3Input": {
                "s3Uri": f"s3://{project.bucket}/{project.prefix}train/", "localPath": "/opt/ml/processing/input/raw",
                "s3DataType": "S3Prefix", "s3InputMode": "File", "s3DataDistributionType": "FullyReplicated"}}],
            "processingOutputConfig": {"outputs": [{"outputName": "prepared", "s3Output": {
                "s3Uri": self.prepared_uri(project), "localPath": "/opt/ml/processing/prepared",
                "s3UploadMode": "EndOfJob"}}]},
            "processingResources": {"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.xlarge",
                                                      "volumeSizeInGB": 30}},
            "stoppingCondition": {"maxRuntimeInSeconds": 3600},
            "appSpecification": {"imageUri": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/"
                                             "sagemaker-scikit-learn:1.2-1-cpu-py3",
                                 "containerEntrypoint": ["python3", "/opt/ml/processing/code/prepare.py"]},
            "roleArn": project.exec_role.arn,
        }
        self.trail.emit(self.trail.api(self.cast.actor("ml"), self.now, "sagemaker", "CreateProcessingJob", EU, params,
                                       {"processingJobArn": self.sagemaker.arn(TRAIN, "processing-job", name)},
                                       host=f"api.sagemaker.{EU}.amazonaws.com"))

    def step_prepared_write(self, remaining: int, project: Project, split: str) -> None:
        """The processing job writes a prepared split."""
        key = f"{self.prepared_uri(project).split('/', 3)[3]}{split}/part-00000.csv"
        self.s3.put_object(self.cast.exec_actor(project), self.estate.buckets["acme-data-prepared"], key, 500_000,
                           40_000_000)

    def step_prepared_job(self, remaining: int, project: Project, kind: str) -> None:
        """A training job on the prepared prefix (`Baseline` before the processing job, `Prepared` after)."""
        name = self.job_name(project, kind)
        request = self.sagemaker.training_request(project)
        request["trainingJobName"] = name
        prepared = self.prepared_uri(project)
        request["inputDataConfig"] = [
            {"channelName": split, "dataSource": {"s3DataSource": {
                "s3DataType": "S3Prefix", "s3Uri": f"{prepared}{split}/", "s3DataDistributionType": "FullyReplicated"}},
             "contentType": "text/csv", "compressionType": "None"} for split in ("train", "validation")]
        self.trail.emit(self.trail.api(self.cast.actor("ml"), self.now, "sagemaker", "CreateTrainingJob", EU, request,
                                       {"trainingJobArn": self.sagemaker.arn(TRAIN, "training-job", name)},
                                       host=f"api.sagemaker.{EU}.amazonaws.com"))

    def step_prepared_read(self, remaining: int, project: Project) -> None:
        """The job's data-access session reads the prepared train split, and S3 decrypts it with the key
        whose policy the logs never show (a successful kms:Decrypt: observed evidence): 2 records."""
        rng = self.rng
        bucket = self.estate.buckets["acme-data-prepared"]
        key = f"{self.prepared_uri(project).split('/', 3)[3]}train/part-00000.csv"
        size, _, _ = self.s3.facts(bucket.name, key, 500_000, 40_000_000)
        actor = Actor(self.estate.data_access, self.job_name(project, "Prepared").lower(),
                      f"10.30.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_JAVA)
        self.s3.data_event(actor, "GetObject", bucket, key, self.now, size=size)
        if remaining >= 2:
            self.trail.emit(self.s3.kms_for_read())

    def step_prepared_artifact(self, remaining: int, project: Project) -> None:
        """The Prepared job's model artifact."""
        name = self.job_name(project, "Prepared")
        key = f"{project.team}/{name}/output/model.tar.gz"
        self.s3.put_object(self.cast.exec_actor(project), self.estate.buckets["acme-models-training"], key, 20_000_000,
                           900_000_000, sse=self.estate.keys[TRAIN] if project.kms else "")

    def step_prepared_endpoint(self, remaining: int, project: Project, name: str) -> None:
        """A staging endpoint (and its configuration) serving the prepared-data model."""
        config, endpoint = f"{project.title}PreparedStagingConfig-v1", f"{project.title}-Prepared-Staging-Endpoint"
        if name == "CreateEndpointConfig":
            model = f"{project.title}-{project.algo}-Prepared-Model-{project.p:03d}"
            params: dict[str, Any] = {"endpointConfigName": config, "productionVariants": [{
                "variantName": "AllTraffic", "modelName": model, "initialInstanceCount": 1,
                "instanceType": "ml.m5.large", "initialVariantWeight": 1.0}]}
            response = {"endpointConfigArn": self.sagemaker.arn(TRAIN, "endpoint-config", config)}
        else:
            params, response = ({"endpointName": endpoint, "endpointConfigName": config},
                                {"endpointArn": self.sagemaker.arn(TRAIN, "endpoint", endpoint)})
        self.trail.emit(self.trail.api(self.cast.actor("ml"), self.now, "sagemaker", name, EU, params, response,
                                       host=f"api.sagemaker.{EU}.amazonaws.com"))

    def step_prepared_model(self, remaining: int, project: Project) -> None:
        """A staging model from the prepared job's artifact: its lineage runs through the processing job."""
        name = f"{project.title}-{project.algo}-Prepared-Model-{project.p:03d}"
        job = self.job_name(project, "Prepared")
        params = {"modelName": name, "primaryContainer": {
            "image": IMAGES[project.algo][1],
            "modelDataUrl": f"s3://acme-models-training/{project.team}/{job}/output/model.tar.gz",
            "environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_REGION": EU}},
            "executionRoleArn": self.estate.staging_role.arn, "enableNetworkIsolation": False}
        self.trail.emit(self.trail.api(self.cast.actor("ml"), self.now, "sagemaker", "CreateModel", EU, params,
                                       {"modelArn": self.sagemaker.arn(TRAIN, "model", name)},
                                       host=f"api.sagemaker.{EU}.amazonaws.com"))
