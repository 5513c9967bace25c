"""Background calls that model nothing (describe, list, get) and SageMaker/Bedrock control-plane reads,
which also announce the running training job's state changes."""

from __future__ import annotations

from typing import Any

from graphgov.generate.constants import DATA, EU, SERVE, SHADOW, TRAIN, UA_BOTO, UA_CLI, UA_CONSOLE, US
from graphgov.generate.encoding import iso
from graphgov.generate.estate import SECONDARY, Actor, Role, User
from graphgov.generate.part import Part

NOT_AUTHORIZED = "You are not authorized to perform this operation."


class NoiseActivity(Part):
    """The noise and control categories of the record mix."""

    def unit(self, remaining: int) -> None:
        """Noise, now and then delivered twice: S3's KMS Decrypt for the last read, else a background call."""
        rng = self.rng
        duplicate = remaining >= 2 and rng.random() < 1 / 1200
        roll = rng.random()
        if roll < 0.22 and self.s3.last_read is not None:
            self.trail.emit(self.s3.kms_for_read(), duplicate)
        else:
            self.trail.emit(self.noise_record(), duplicate)

    def noise_record(self, error_ok: bool = True) -> dict[str, Any]:
        """A background call (describe, list, get) by someone in a member account; some are denied."""
        rng = self.rng
        t = self.now
        account = rng.choices((DATA, TRAIN, SERVE, SHADOW), (3, 3, 3, 1))[0]
        who: Role | User
        if account == DATA:
            who, session = rng.choice(((self.estate.data_engineer, "maria.garcia"), (self.estate.alice, None),
                                       (self.estate.pipeline, "airflow-worker-1")))
        elif account == TRAIN:
            who, session = rng.choice(((self.estate.ml_engineer, "li.wei"), (self.estate.bob, None)))
        elif account == SERVE:
            who, session = rng.choice(((self.estate.mlops, "carol.ops"), (self.estate.carol, None),
                                       (self.estate.app, "i-0a1b2c3d4e5f60718")))
        else:
            who, session = self.estate.hackathon, None
        actor = Actor(who, session, self.cast.corp_ip(), rng.choice((UA_BOTO, UA_CLI, UA_CONSOLE)))
        region = EU if rng.random() < 0.75 else US
        kind = rng.randrange(8)
        if kind == 0:
            return self.trail.api(actor, t, "ec2", "DescribeInstances", region,
                                  {"instancesSet": {}, "filterSet": {}}, None, read_only=True,
                                  error=("Client.UnauthorizedOperation", NOT_AUTHORIZED)
                                  if error_ok and rng.random() < 0.1 else None)
        if kind == 1:
            name = rng.choice(("GetUser", "ListRoles", "GetRole", "ListAttachedRolePolicies"))
            params: dict[str, Any] | None = {
                "GetUser": {"userName": getattr(who, "name", "etl-bot")}, "ListRoles": None,
                "GetRole": {"roleName": rng.choice(("MLEngineer", "DataEngineer", "MLOps"))},
                "ListAttachedRolePolicies": {"roleName": "TrainingDataAccess"}}[name]
            return self.trail.api(actor, t, "iam", name, US, params, None, read_only=True, host="iam.amazonaws.com")
        if kind == 2:
            return self.trail.api(actor, t, "s3", "ListBuckets", region, {"Host": f"s3.{region}.amazonaws.com"}, None,
                                  read_only=True, host=f"s3.{region}.amazonaws.com")
        if kind == 3:
            return self.trail.api(actor, t, "sts", "GetCallerIdentity", region, None, None, read_only=True)
        if kind == 4:
            return self.trail.api(actor, t, "monitoring", "GetMetricData", region,
                                  {"startTime": iso(t - 3600), "endTime": iso(t),
                                   "metricDataQueries": [{"id": "m1", "returnData": True}]}, None, read_only=True)
        if kind == 5:
            prefix = rng.choice(("/aws/sagemaker/", "/aws/lambda/", "/aws/bedrock/"))
            return self.trail.api(actor, t, "logs", "DescribeLogGroups", region, {"logGroupNamePrefix": prefix}, None,
                                  read_only=True)
        if kind == 6:
            return self.trail.api(actor, t, "ecr", "GetAuthorizationToken", region, None, None, read_only=True,
                                  host=f"api.ecr.{region}.amazonaws.com")
        return self.trail.api(actor, t, "ssm", "GetParameter", region,
                              {"name": rng.choice(("/ml/feature-store/endpoint", "/app/bedrock/model-id")),
                               "withDecryption": True}, None, read_only=True)

    def unit_control(self, remaining: int) -> None:
        """SageMaker and Bedrock control-plane noise, or the running job's next state change."""
        rng = self.rng
        training = self.projects.training
        if (training is not None and training.eventbridge and not training.done
                and training.secondary < len(SECONDARY) and rng.random() < 0.5):
            status = SECONDARY[training.secondary]
            training.secondary += 1
            self.sagemaker.step_training_state(remaining, training, "InProgress", status)
            return
        t = self.now
        if rng.random() < 0.6:
            actor = self.cast.actor(rng.choice(("ml", "mlops")))
            region = EU
            project = training or self.projects.write_project()
            name, params = rng.choice((
                ("DescribeTrainingJob", {"trainingJobName": project.job_name}),
                ("ListTrainingJobs", {"maxResults": 50, "sortBy": "CreationTime", "sortOrder": "Descending"}),
                ("DescribeEndpoint", {"endpointName": f"{project.title}-Endpoint"}),
                ("ListModels", {"maxResults": 50}),
                ("ListEndpoints", {"maxResults": 50}),
                ("DescribeModel", {"modelName": project.model_name})))
            self.trail.emit(self.trail.api(actor, t, "sagemaker", name, region, params, None, read_only=True,
                                           host=f"api.sagemaker.{region}.amazonaws.com"))
            return
        actor = rng.choice((self.cast.actor("ml"), self.cast.actor("mlops")))
        region = US if actor.account == TRAIN else EU
        name, params = rng.choice((
            ("GetModelInvocationLoggingConfiguration", None),
            ("ListFoundationModels", {"byOutputModality": "TEXT"}),
            ("GetFoundationModel", {"modelIdentifier": "anthropic.claude-3-haiku-20240307-v1:0"}),
            ("ListCustomModels", {"maxResults": 20})))
        self.trail.emit(self.trail.api(actor, t, "bedrock", name, region, params, None, read_only=True))
