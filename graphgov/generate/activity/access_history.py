"""The estate's access history: IAM roles, policies, users and groups, KMS keys and their policies,
bucket settings and policies, created before anything uses them and changed as projects open."""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from graphgov.generate.activity.role_specs import role_specs
from graphgov.generate.constants import DATA, S3_XMLNS, SERVE, SSO_PROVIDER, TLS, TRAIN, US
from graphgov.generate.encoding import dumps, human, iam_date, stable_id
from graphgov.generate.estate import (
    DATASET_READ_ONLY,
    TRAINING_BASE,
    TRAINING_BASE_DOCUMENT,
    TRANSCRIPTS,
    Actor,
    Bucket,
    Role,
    User,
    dataset_objects,
)
from graphgov.generate.part import Part
from graphgov.generate.policy_documents import allow, deny_insecure_transport, key_policy, policy_doc, trust_statement
from graphgov.generate.projects import Project


class AccessHistory(Part):
    """Writes the IAM, KMS and S3 bucket calls that set who may do what."""

    def iam(self, actor: Actor, name: str, params: dict[str, Any], response: Any = None,
            invoked_by: str | None = None) -> None:
        """One IAM call: a global service, logged in us-east-1 of the account it changes."""
        rec = self.trail.api(actor, self.now, "iam", name, US, params, response, host="iam.amazonaws.com")
        if invoked_by:
            rec["userIdentity"]["invokedBy"] = invoked_by
        self.trail.emit(rec)

    def create_role(self, actor: Actor, role: Role, trust: dict[str, Any], description: str,
                    invoked_by: str | None = None, max_session: int = 3600) -> None:
        """CreateRole with its trust policy (the response echoes it URL-encoded, as IAM does)."""
        document = dumps(trust)
        response = {"role": {"path": role.path, "roleName": role.name, "roleId": role.id, "arn": role.arn,
                             "createDate": iam_date(self.now), "assumeRolePolicyDocument": quote(document, safe="")}}
        self.iam(actor, "CreateRole", {"roleName": role.name, "path": role.path, "assumeRolePolicyDocument": document,
                                       "description": description, "maxSessionDuration": max_session},
                 response, invoked_by)

    def put_role_policy(self, actor: Actor, role: Role, name: str, document: dict[str, Any],
                        invoked_by: str | None = None) -> None:
        """PutRolePolicy: an inline policy on a role."""
        self.iam(actor, "PutRolePolicy", {"roleName": role.name, "policyName": name,
                                          "policyDocument": dumps(document)}, None, invoked_by)

    def attach_role_policy(self, actor: Actor, role: Role, policy_arn: str, invoked_by: str | None = None) -> None:
        """AttachRolePolicy: a managed policy on a role."""
        self.iam(actor, "AttachRolePolicy", {"roleName": role.name, "policyArn": policy_arn}, None, invoked_by)

    def create_policy(self, actor: Actor, arn: str, description: str, document: dict[str, Any]) -> None:
        """CreatePolicy: a customer managed policy, v1 its default version."""
        t = self.now
        folder, _, name = arn.split(":policy/", 1)[1].rpartition("/")
        path = f"/{folder}/" if folder else "/"
        self.iam(actor, "CreatePolicy", {"policyName": name, "path": path, "policyDocument": dumps(document),
                                         "description": description},
                 {"policy": {"policyName": name, "policyId": "ANPA" + stable_id(f"policy:{arn}"), "arn": arn,
                             "path": path, "defaultVersionId": "v1", "attachmentCount": 0,
                             "permissionsBoundaryUsageCount": 0, "isAttachable": True, "createDate": iam_date(t),
                             "updateDate": iam_date(t)}})

    def user_with_group(self, account: str, user: User, group: str, policy_name: str,
                        document: dict[str, Any]) -> list[Callable[[], None]]:
        """CreateGroup, PutGroupPolicy, CreateUser, AddUserToGroup and CreateAccessKey (one call each)."""
        def create_group() -> None:
            arn = f"arn:aws:iam::{account}:group/{group}"
            self.iam(self.cast.admin(account), "CreateGroup", {"groupName": group, "path": "/"},
                     {"group": {"path": "/", "groupName": group, "groupId": "AGPA" + stable_id(f"group:{arn}"),
                                "arn": arn, "createDate": iam_date(self.now)}})

        def create_user() -> None:
            self.iam(self.cast.admin(account), "CreateUser", {"userName": user.name, "path": "/"},
                     {"user": {"path": "/", "userName": user.name, "userId": user.id, "arn": user.arn,
                               "createDate": iam_date(self.now)}})

        def access_key() -> None:
            self.iam(self.cast.admin(account), "CreateAccessKey", {"userName": user.name},
                     {"accessKey": {"userName": user.name, "accessKeyId": user.access_key, "status": "Active",
                                    "createDate": iam_date(self.now)}})

        return [create_group,
                lambda: self.iam(self.cast.admin(account), "PutGroupPolicy", {
                    "groupName": group, "policyName": policy_name, "policyDocument": dumps(document)}),
                create_user,
                lambda: self.iam(self.cast.admin(account), "AddUserToGroup",
                                 {"groupName": group, "userName": user.name}),
                access_key]

    def kms(self, actor: Actor, key_arn: str, name: str, params: dict[str, Any], response: Any) -> None:
        """One KMS call on a key, logged in the key's account and Region."""
        _, _, _, region, account, _ = key_arn.split(":", 5)
        self.trail.emit(self.trail.api(actor, self.now, "kms", name, region, params, response,
                                       resources=[{"accountId": account, "type": "AWS::KMS::Key", "ARN": key_arn}]))

    def create_key(self, key_arn: str, description: str, policy: dict[str, Any]) -> None:
        """CreateKey with its key policy (the key metadata as KMS returns it)."""
        account, key_id = key_arn.split(":")[4], key_arn.rsplit("/", 1)[1]
        self.kms(self.cast.admin(account), key_arn, "CreateKey", {
            "policy": dumps(policy), "description": description, "keyUsage": "ENCRYPT_DECRYPT",
            "keySpec": "SYMMETRIC_DEFAULT", "origin": "AWS_KMS", "bypassPolicyLockoutSafetyCheck": False, "tags": []},
            {"keyMetadata": {"aWSAccountId": account, "keyId": key_id, "arn": key_arn, "creationDate": human(self.now),
                             "enabled": True, "description": description, "keyUsage": "ENCRYPT_DECRYPT",
                             "keyState": "Enabled", "origin": "AWS_KMS", "keyManager": "CUSTOMER",
                             "customerMasterKeySpec": "SYMMETRIC_DEFAULT", "keySpec": "SYMMETRIC_DEFAULT",
                             "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "multiRegion": False}})

    def bucket_call(self, actor: Actor, bucket: Bucket, name: str, params: dict[str, Any]) -> None:
        """A bucket-level S3 call: a management event, delivered to the bucket owner."""
        rng = self.rng
        t = self.now
        host = f"{bucket.name}.s3.{bucket.region}.amazonaws.com"
        request = {"bucketName": bucket.name, "Host": host, **params}
        extra = {"SignatureVersion": "SigV4", "CipherSuite": TLS[1], "bytesTransferredIn": len(dumps(params)),
                 "AuthenticationMethod": "AuthHeader", "x-amz-id-2": base64.b64encode(rng.randbytes(56)).decode(),
                 "bytesTransferredOut": 0}
        self.trail.emit(self.trail.record(
            identity=self.trail.identity(actor, t), t=t, source="s3.amazonaws.com", name=name, region=bucket.region,
            ip=actor.ip, ua=actor.ua, params=request, response=None, recipient=bucket.account, read_only=False,
            host=host, resources=[{"accountId": bucket.account, "type": "AWS::S3::Bucket",
                                   "ARN": f"arn:aws:s3:::{bucket.name}"}],
            extra=extra, request_id=f"{rng.getrandbits(64):016X}"))

    def bucket_setup(self, name: str, statements: list[dict[str, Any]],
                     block_public: bool = True) -> list[Callable[[], None]]:
        """Default encryption, Block Public Access (all four), ACLs disabled, then the bucket policy."""
        bucket = self.estate.buckets[name]
        admin = partial(self.cast.admin, bucket.account)  # drawn when the call runs, like every caller's IP
        if bucket.kms_key:
            default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": bucket.kms_key}
        else:
            default = {"SSEAlgorithm": "AES256"}
        calls = [lambda: self.bucket_call(admin(), bucket, "PutBucketEncryption", {
            "encryption": [""], "ServerSideEncryptionConfiguration": {"xmlns": S3_XMLNS, "Rule": {
                "ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bucket.bucket_key}}})]
        if block_public:
            calls.append(lambda: self.bucket_call(admin(), bucket, "PutBucketPublicAccessBlock", {
                "publicAccessBlock": [""], "PublicAccessBlockConfiguration": {
                    "xmlns": S3_XMLNS, "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True}}))
        calls.append(lambda: self.bucket_call(admin(), bucket, "PutBucketOwnershipControls", {
            "ownershipControls": [""], "OwnershipControls": {"xmlns": S3_XMLNS,
                                                              "Rule": {"ObjectOwnership": "BucketOwnerEnforced"}}}))
        calls.append(lambda: self.put_bucket_policy(admin(), name, statements))
        return calls

    def put_bucket_policy(self, actor: Actor, name: str, statements: list[dict[str, Any]]) -> None:
        """PutBucketPolicy: the statements after the usual deny of non-TLS access."""
        self.bucket_call(actor, self.estate.buckets[name], "PutBucketPolicy", {
            "bucketPolicy": policy_doc(deny_insecure_transport(name), *statements), "policy": [""]})

    def dataset_read_only(self, version: int) -> dict[str, Any]:
        """The analysts' managed policy; v2 adds the support chat transcripts Bedrock is fine-tuned on."""
        objects = dataset_objects("acme-data-1", "acme-data-2")
        buckets = ["arn:aws:s3:::acme-data-1", "arn:aws:s3:::acme-data-2"]
        keys = [self.estate.buckets["acme-data-1"].kms_key]
        if version > 1:
            objects.append(TRANSCRIPTS)
            buckets.append("arn:aws:s3:::acme-data-3")
            keys.append(self.estate.buckets["acme-data-3"].kms_key)
        return policy_doc(allow("ReadDatasets", "s3:GetObject", objects),
                          allow("ListDatasetBuckets", "s3:ListBucket", buckets),
                          allow("DecryptDatasets", "kms:Decrypt", keys))

    def role_calls(self, role: Role, trust: dict[str, Any], policy_name: str, document: dict[str, Any],
                   attached: list[str], description: str) -> list[Callable[[], None]]:
        """CreateRole, PutRolePolicy and AttachRolePolicy calls by the account's administrator."""
        admin = partial(self.cast.admin, role.account)
        return [lambda: self.create_role(admin(), role, trust, description),
                lambda: self.put_role_policy(admin(), role, policy_name, document),
                *(partial(lambda arn: self.attach_role_policy(admin(), role, arn), arn) for arn in attached)]

    def estate_setup(self) -> list[Callable[[], None]]:
        """Every call that builds the estate, one record each, before anything uses it: roles (trust and
        least-privilege permissions), managed policies, users and groups, KMS keys, then each bucket's
        encryption, Block Public Access, Object Ownership and policy."""
        estate = self.estate
        calls: list[Callable[[], None]] = []
        specs = role_specs(estate)
        for spec in specs[SERVE]:  # serving first: the other accounts' policies name its roles
            calls += self.role_calls(*spec)
        calls += self.user_with_group(SERVE, estate.contractor, "ModelUploaders", "ManualModelUpload", policy_doc(
            allow("UploadManualModels", "s3:PutObject", "arn:aws:s3:::acme-models-serving/manual-upload/*")))
        for spec in specs[TRAIN]:
            calls += self.role_calls(*spec)
        calls.append(lambda: self.create_policy(self.cast.admin(TRAIN), TRAINING_BASE,
                                                "Logs, images and metrics for SageMaker training jobs",
                                                TRAINING_BASE_DOCUMENT))
        calls.append(lambda: self.create_policy(self.cast.admin(DATA), DATASET_READ_ONLY, "Read the training datasets",
                                                self.dataset_read_only(1)))
        calls += self.sso_role()
        for spec in specs[DATA]:
            calls += self.role_calls(*spec)
        calls += self.user_with_group(DATA, estate.etl_bot, "DataIngest", "LandingZoneWrite", policy_doc(
            allow("WriteLanding", "s3:PutObject", "arn:aws:s3:::acme-data-1/landing/*"),
            allow("EncryptLanding", "kms:GenerateDataKey", estate.buckets["acme-data-1"].kms_key)))
        no_extra: tuple[dict[str, Any], ...] = ()
        for key_arn, description, users, extra in (
                (estate.buckets["acme-data-1"].kms_key, "Datasets (eu-west-1)",
                 [estate.data_engineer.arn, estate.pipeline.arn, estate.data_access.arn], no_extra),
                (estate.buckets["acme-data-3"].kms_key, "Datasets (us-east-1)", [estate.data_engineer.arn], (
                    {"Sid": "AllowBedrockCustomizationDecrypt", "Effect": "Allow",
                     "Principal": {"AWS": estate.bedrock_role.arn}, "Action": ["kms:Decrypt", "kms:DescribeKey"],
                     "Resource": "*"},)),
                (estate.keys[TRAIN], "Model artifacts", [estate.staging_role.arn], (
                    {"Sid": "AllowServingAccountDecrypt", "Effect": "Allow",
                     "Principal": {"AWS": estate.serving_role.arn}, "Action": ["kms:Decrypt", "kms:DescribeKey"],
                     "Resource": "*"},)),
                (estate.keys["capture-" + TRAIN], "Staging endpoint data capture", [estate.staging_role.arn], no_extra),
                (estate.keys["bedrock"], "Bedrock custom models", [estate.bedrock_role.arn], no_extra),
                (estate.keys[SERVE], "Endpoints", [estate.serving_role.arn], no_extra),
                (estate.keys["capture-" + SERVE], "Endpoint data capture", [estate.serving_role.arn], no_extra)):
            account = key_arn.split(":")[4]
            calls.append(partial(self.create_key, key_arn, description, key_policy(account, users, *extra)))
        models_read = {"Sid": "AllowServingAccountRead", "Effect": "Allow",
                       "Principal": {"AWS": estate.serving_role.arn}, "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::acme-models-training/*"}
        calls += self.bucket_setup("acme-data-1", [])
        calls += self.bucket_setup("acme-data-2", [])
        calls += self.bucket_setup("acme-data-3", [
            {"Sid": "AllowBedrockCustomizationRead", "Effect": "Allow", "Principal": {"AWS": estate.bedrock_role.arn},
             "Action": "s3:GetObject", "Resource": TRANSCRIPTS},
            {"Sid": "AllowBedrockCustomizationList", "Effect": "Allow", "Principal": {"AWS": estate.bedrock_role.arn},
             "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme-data-3",
             "Condition": {"StringLike": {"s3:prefix": "support/chat-transcripts/*"}}}])
        calls += self.bucket_setup("acme-models-training", [models_read])
        calls += self.bucket_setup("acme-models-training-use1", [], block_public=False)
        calls += self.bucket_setup("acme-models-serving", [])
        return calls

    def sso_role(self) -> list[Callable[[], None]]:
        """IAM Identity Center provisions the analysts' permission set: the role, its inline policy and
        the customer managed policy it references."""
        role = self.estate.analyst

        def actor() -> Actor:
            return Actor(self.estate.sso_service, "AWS-SSO", "sso.amazonaws.com", "sso.amazonaws.com")

        trust = policy_doc({"Effect": "Allow", "Principal": {"Federated": SSO_PROVIDER},
                            "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}})
        inline = policy_doc(allow("BrowseDatasetBuckets", ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "*"))
        sso = "sso.amazonaws.com"
        return [lambda: self.create_role(actor(), role, trust, "Analysts (IAM Identity Center permission set)",
                                         sso, 43200),
                lambda: self.put_role_policy(actor(), role, "AwsSSOInlinePolicy", inline, sso),
                lambda: self.attach_role_policy(actor(), role, DATASET_READ_ONLY, sso)]

    def create_exec_role(self, project: Project) -> None:
        """CreateRole of a project's SageMaker execution role (trust: SageMaker)."""
        self.create_role(self.cast.admin(TRAIN), project.exec_role,
                         policy_doc(trust_statement("SageMaker", {"Service": "sagemaker.amazonaws.com"})),
                         f"SageMaker execution role for the {project.dataset} training job")

    def exec_role_policy(self, project: Project) -> None:
        """Least privilege for one job: assume the data-access role, write its own output, use the key."""
        jobs = (project.job_name, *([self.preparation.job_name(project, "Prepared")] if project.p == 1 else []))
        statements = [
            allow("AssumeTrainingDataAccess", "sts:AssumeRole", self.estate.data_access.arn),
            allow("WriteModelArtifacts", "s3:PutObject",
                  [f"arn:aws:s3:::acme-models-training/{project.team}/{job}/*" for job in jobs]),
            allow("ListModelBucket", "s3:ListBucket", "arn:aws:s3:::acme-models-training",
                  Condition={"StringLike": {"s3:prefix": f"{project.team}/*"}}),
            allow("WritePreparedData", "s3:PutObject", f"arn:aws:s3:::acme-data-prepared/{project.team}/*"),
            allow("UsePreparedDataKey", "kms:GenerateDataKey", self.estate.buckets["acme-data-prepared"].kms_key),
        ]
        if project.kms:
            statements.append(allow("UseModelKey", ["kms:GenerateDataKey", "kms:Decrypt", "kms:CreateGrant",
                                                    "kms:DescribeKey"], self.estate.keys[TRAIN]))
        self.put_role_policy(self.cast.admin(TRAIN), project.exec_role, "SageMakerTrainingJobAccess",
                             policy_doc(*statements))

    def exec_role_attach(self, project: Project) -> None:
        """AttachRolePolicy of SageMakerTrainingBase to a project's execution role."""
        self.attach_role_policy(self.cast.admin(TRAIN), project.exec_role, TRAINING_BASE)

    def data_access_trust(self, project: Project) -> None:
        """The data-access role trusts the previous project's role (its job may still run) and this one's."""
        trusted = [self.projects.exec_role(project.p - 1).arn] if project.p else []
        trusted += [project.exec_role.arn, self.estate.ml_engineer.arn]
        self.iam(self.cast.admin(DATA), "UpdateAssumeRolePolicy", {
            "roleName": self.estate.data_access.name,
            "policyDocument": dumps(policy_doc(trust_statement("TrainingAccount", {"AWS": trusted})))})

    def dataset_policy_v2(self) -> None:
        """CreatePolicyVersion: DatasetReadOnly v2, set as default (halfway through the run)."""
        self.iam(self.cast.admin(DATA), "CreatePolicyVersion", {
            "policyArn": DATASET_READ_ONLY, "policyDocument": dumps(self.dataset_read_only(2)), "setAsDefault": True},
            {"policyVersion": {"versionId": "v2", "isDefaultVersion": True, "createDate": iam_date(self.now)}})
