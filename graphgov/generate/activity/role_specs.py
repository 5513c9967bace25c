"""The long-lived roles of each account: trust policy, least-privilege inline policy, attached managed
policies and description (data only; `AccessHistory` turns them into calls)."""

from __future__ import annotations

from typing import Any

from graphgov.generate.constants import DATA, EU, GITHUB_OIDC, SERVE, TRAIN, US
from graphgov.generate.estate import TRANSCRIPTS, Estate, Role, dataset_objects
from graphgov.generate.policy_documents import allow, policy_doc, trust_statement


def role_specs(estate: Estate) -> dict[str, list[tuple[Role, dict[str, Any], str, dict[str, Any], list[str], str]]]:
    """Per account, (role, trust, inline policy name, its document, attached managed policies,
    description) of each long-lived role, in an order they can be created in (a trust policy may
    only name principals that exist)."""
    data_eu, data_us = estate.buckets["acme-data-1"].kms_key, estate.buckets["acme-data-3"].kms_key
    keys = estate.keys
    sagemaker = policy_doc(trust_statement("SageMaker", {"Service": "sagemaker.amazonaws.com"}))

    def bedrock(source: str) -> dict[str, Any]:
        return policy_doc(trust_statement("Bedrock", {"Service": "bedrock.amazonaws.com"}, condition={
            "StringEquals": {"aws:SourceAccount": TRAIN}, "ArnLike": {"aws:SourceArn": source}}))

    sagemaker_deploy = ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint",
                        "sagemaker:UpdateEndpoint", "sagemaker:AddTags", "sagemaker:Describe*", "sagemaker:List*"]
    dataset_buckets = ["arn:aws:s3:::acme-data-1", "arn:aws:s3:::acme-data-2"]
    invocable = ["arn:aws:bedrock:*::foundation-model/*", f"arn:aws:bedrock:*:{SERVE}:inference-profile/*"]
    return {SERVE: [
        (estate.serving_role, sagemaker, "ServeModels", policy_doc(
            allow("ReadModelArtifacts", "s3:GetObject",
                  ["arn:aws:s3:::acme-models-training/*", "arn:aws:s3:::acme-models-serving/*"]),
            allow("DecryptModelArtifacts", "kms:Decrypt", keys[TRAIN]),
            allow("WriteDataCapture", "s3:PutObject", "arn:aws:s3:::acme-capture-serving/*"),
            allow("UseEndpointKeys", ["kms:Decrypt", "kms:GenerateDataKey"],
                  [keys[SERVE], keys["capture-" + SERVE]])), [], "SageMaker models and endpoints in serving"),
        (estate.deploy, policy_doc(trust_statement("GitHubActions", {"Federated": f"arn:aws:iam::{SERVE}:oidc-provider/"
                                                                    f"{GITHUB_OIDC}"},
                                                   "sts:AssumeRoleWithWebIdentity", {
                                         "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
                                         "StringLike": {f"{GITHUB_OIDC}:sub": "repo:acme/ml-serving:*"}})),
         "DeployServing", policy_doc(
            allow("DeployEndpoints", sagemaker_deploy, "*"),
            allow("PassServingRole", "iam:PassRole", estate.serving_role.arn),
            allow("AssumeMLOps", "sts:AssumeRole", estate.mlops.arn)), [], "GitHub Actions deployments"),
        (estate.mlops, policy_doc(trust_statement("Operators", {"AWS": [estate.carol.arn, estate.deploy.arn]})),
         "ModelDeployment", policy_doc(
            allow("DeployEndpoints", sagemaker_deploy, "*"),
            allow("PassServingRole", "iam:PassRole", estate.serving_role.arn),
            allow("InvocationLogging", ["bedrock:PutModelInvocationLoggingConfiguration",
                                        "bedrock:GetModelInvocationLoggingConfiguration", "bedrock:Get*",
                                        "bedrock:List*"], "*"),
            allow("ReadServingArtifacts", "s3:GetObject", "arn:aws:s3:::acme-models-serving/*")), [],
         "Model operations"),
        (estate.app, policy_doc(trust_statement("EC2", {"Service": "ec2.amazonaws.com"})), "InvokeModels", policy_doc(
            allow("InvokeBedrock", ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], invocable),
            allow("InvokeEndpoints", "sagemaker:InvokeEndpoint", f"arn:aws:sagemaker:{EU}:{SERVE}:endpoint/*")),
         [], "Application backend on EC2"),
        (estate.support_bot, policy_doc(trust_statement("Lambda", {"Service": "lambda.amazonaws.com"})),
         "SupportAssistant",
         policy_doc(allow("InvokeBedrock", ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                          invocable),
                    allow("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                          f"arn:aws:logs:{US}:{SERVE}:log-group:/aws/lambda/support-bot*")),
         ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"], "Support bot Lambda function"),
    ], TRAIN: [
        (estate.ml_engineer, policy_doc(trust_statement("MLPlatformUser", {"AWS": estate.bob.arn})),
         "MLEngineering", policy_doc(
            allow("SageMaker", ["sagemaker:CreateTrainingJob", *sagemaker_deploy], "*"),
            allow("Bedrock", ["bedrock:CreateModelCustomizationJob", "bedrock:CreateProvisionedModelThroughput",
                              "bedrock:PutModelInvocationLoggingConfiguration", "bedrock:InvokeModel",
                              "bedrock:InvokeModelWithResponseStream", "bedrock:Get*", "bedrock:List*"], "*"),
            allow("PassPlatformRoles", "iam:PassRole", [
                f"arn:aws:iam::{TRAIN}:role/service-role/AmazonSageMaker-ExecutionRole-*", estate.bedrock_role.arn,
                estate.cw_role.arn, estate.staging_role.arn]),
            allow("AssumeTrainingDataAccess", "sts:AssumeRole", estate.data_access.arn),
            allow("ReadModelArtifacts", ["s3:GetObject", "s3:ListBucket"],
                  ["arn:aws:s3:::acme-models-training", "arn:aws:s3:::acme-models-training/*"])), [],
         "ML engineers"),
        (estate.bedrock_role, bedrock(f"arn:aws:bedrock:{US}:{TRAIN}:model-customization-job/*"),
         "CustomizationData", policy_doc(
            allow("ReadFineTuneData", "s3:GetObject", TRANSCRIPTS),
            allow("ListFineTuneData", "s3:ListBucket", "arn:aws:s3:::acme-data-3"),
            allow("WriteCustomizationOutput", "s3:PutObject",
                  "arn:aws:s3:::acme-models-training-use1/bedrock-customization/*"),
            allow("DecryptFineTuneData", "kms:Decrypt", data_us),
            allow("UseCustomModelKey", ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant",
                                        "kms:DescribeKey"], keys["bedrock"])), [], "Bedrock model customization"),
        (estate.cw_role, bedrock(f"arn:aws:bedrock:{US}:{TRAIN}:*"), "InvocationLogDelivery", policy_doc(
            allow("WriteInvocationLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                  f"arn:aws:logs:{US}:{TRAIN}:log-group:/aws/bedrock/modelinvocations:*"),
            allow("WriteLargeData", "s3:PutObject", f"arn:aws:s3:::acme-bedrock-large-{TRAIN}/large-data/*")),
         [], "Bedrock model invocation logging"),
        (estate.staging_role, sagemaker, "StagingEndpoints", policy_doc(
            allow("ReadModelArtifacts", "s3:GetObject", "arn:aws:s3:::acme-models-training/*"),
            allow("DecryptModelArtifacts", "kms:Decrypt", keys[TRAIN]),
            allow("WriteDataCapture", "s3:PutObject", "arn:aws:s3:::acme-capture-training/*"),
            allow("UseCaptureKey", "kms:GenerateDataKey", keys["capture-" + TRAIN])), [],
         "SageMaker staging endpoints"),
    ], DATA: [
        (estate.data_engineer, policy_doc(trust_statement("DataPlatformAdmin", {"AWS": estate.alice.arn})),
         "DatasetAuthoring",
         policy_doc(allow("ReadWriteDatasets", ["s3:GetObject", "s3:PutObject"],
                          [*dataset_objects("acme-data-1", "acme-data-2"), TRANSCRIPTS]),
                    allow("ListDatasetBuckets", "s3:ListBucket", [*dataset_buckets, "arn:aws:s3:::acme-data-3"]),
                    allow("ClassifyLandingExports", "s3:PutObjectTagging", "arn:aws:s3:::acme-data-1/landing/*"),
                    allow("UseDatasetKeys", ["kms:Decrypt", "kms:GenerateDataKey"], [data_eu, data_us])), [],
         "Data engineers"),
        (estate.pipeline, policy_doc(trust_statement("GlueAndAirflow",
                                                     {"Service": ["glue.amazonaws.com", "ec2.amazonaws.com"]})),
         "DatasetPipeline", policy_doc(
            allow("ReadLanding", "s3:GetObject", "arn:aws:s3:::acme-data-1/landing/*"),
            allow("WriteDatasets", ["s3:PutObject", "s3:AbortMultipartUpload"],
                  dataset_objects("acme-data-1", "acme-data-2")),
            allow("ListDatasetBuckets", "s3:ListBucket", dataset_buckets),
            allow("UseDatasetKey", ["kms:Decrypt", "kms:GenerateDataKey"], data_eu)),
         ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"], "Ingestion pipelines"),
        (estate.data_access, policy_doc(trust_statement("TrainingAccount", {"AWS": [estate.ml_engineer.arn]})),
         "ReadTrainingDatasets", policy_doc(
            allow("ReadTrainingDatasets", "s3:GetObject",
                  [*dataset_objects("acme-data-1", "acme-data-2"), "arn:aws:s3:::acme-data-prepared/*"]),
            allow("ListDatasetBuckets", "s3:ListBucket", dataset_buckets),
            allow("DecryptDatasets", "kms:Decrypt", [data_eu, estate.buckets["acme-data-prepared"].kms_key])), [],
         "Training jobs in 222222222222 read datasets"),
    ]}
