"""The estate: what exists before and while the logs run. Principals (roles, users, and the actors who
call as them), buckets and KMS keys, the teams and their datasets, and the managed policies every
execution role or analyst gets. Nothing here draws from the run's random generator: ids are derived
from names, so the estate is the same for every seed."""

from __future__ import annotations

import hashlib

from graphgov.generate.constants import DATA, EU, MGMT, SERVE, SHADOW, TRAIN, US
from graphgov.generate.encoding import stable_id
from graphgov.generate.policy_documents import allow, policy_doc


class Role:
    __slots__ = ("account", "name", "path", "arn", "id")

    def __init__(self, account: str, name: str, path: str = "/") -> None:
        self.account, self.name, self.path = account, name, path
        self.arn = f"arn:aws:iam::{account}:role{path}{name}"
        self.id = "AROA" + stable_id(f"role:{account}:{name}")

    def session_arn(self, session: str) -> str:
        """The ARN of a session of this role."""
        return f"arn:aws:sts::{self.account}:assumed-role/{self.name}/{session}"


class User:
    __slots__ = ("account", "name", "arn", "id", "access_key")

    def __init__(self, account: str, name: str) -> None:
        self.account, self.name = account, name
        self.arn = f"arn:aws:iam::{account}:user/{name}"
        self.id = "AIDA" + stable_id(f"user:{account}:{name}")
        self.access_key = "AKIA" + stable_id(f"access-key:{self.arn}", 16)  # the key the user signs with


class Actor:
    """Who makes a call: an assumed-role session or an IAM user, with where they call from."""

    __slots__ = ("role", "user", "session", "ip", "ua", "account", "arn", "principal_id")

    def __init__(self, who: Role | User, session: str | None, ip: str, ua: str) -> None:
        self.role = who if isinstance(who, Role) else None
        self.user = who if isinstance(who, User) else None
        self.session, self.ip, self.ua = session, ip, ua
        self.account = who.account
        if self.role is not None:
            self.arn = self.role.session_arn(session or "session")
            self.principal_id = f"{self.role.id}:{session}"
        else:
            self.arn = who.arn
            self.principal_id = who.id


class Bucket:
    __slots__ = ("name", "account", "region", "kms_key", "bucket_key")

    def __init__(self, name: str, account: str, region: str, kms_key: str | None, bucket_key: bool = False) -> None:
        self.name, self.account, self.region, self.kms_key, self.bucket_key = (
            name, account, region, kms_key, bucket_key)


def kms_arn(account: str, region: str, label: str) -> str:
    """A KMS key ARN derived from its account, Region and label."""
    h = hashlib.sha256(f"kms:{account}:{region}:{label}".encode()).hexdigest()
    return f"arn:aws:kms:{region}:{account}:key/{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"



TEAMS = ("fraud", "credit", "fraud", "support", "risk", "credit")
DATASETS = {"fraud": "card-transactions", "credit": "loan-applications", "support": "ticket-intents",
            "risk": "aml-alerts"}
ALGOS = {"fraud": "XGB", "credit": "XGB", "risk": "XGB", "support": "BERT"}
IMAGES = {
    "XGB": ("141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"),
    "BERT": ("763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-training:2.1.0-transformers4.36.0-"
             "gpu-py310-cu121-ubuntu20.04",
             "763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-inference:2.1.0-transformers4.37.0-"
             "gpu-py310-cu118-ubuntu20.04"),
}
SECONDARY = ("Downloading", "Training", "Uploading")
TRANSCRIPTS = "arn:aws:s3:::acme-data-3/support/chat-transcripts/*"
DATASET_READ_ONLY = f"arn:aws:iam::{DATA}:policy/DatasetReadOnly"  # analysts' managed policy (v1, later v2)
TRAINING_BASE = f"arn:aws:iam::{TRAIN}:policy/ml-platform/SageMakerTrainingBase"  # on every execution role
TRAINING_BASE_DOCUMENT = policy_doc(
    allow("TrainingLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                           "logs:DescribeLogStreams"], f"arn:aws:logs:{EU}:{TRAIN}:log-group:/aws/sagemaker/*"),
    allow("PullTrainingImages", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
          [f"arn:aws:ecr:{EU}:141502667606:repository/sagemaker-xgboost",
           f"arn:aws:ecr:{EU}:763104351884:repository/huggingface-pytorch-training"]),
    allow("EcrAuthorization", "ecr:GetAuthorizationToken", "*"),
    allow("TrainingMetrics", "cloudwatch:PutMetricData", "*",
          Condition={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}}),
)


def dataset_bucket(p: int) -> str:
    """Even projects keep their datasets in acme-data-1, odd ones in acme-data-2."""
    return "acme-data-1" if p % 2 == 0 else "acme-data-2"


def dataset_objects(*buckets: str) -> list[str]:
    """The team prefixes the projects write to, per dataset bucket (`fraud/*`, `risk/*`...)."""
    return [f"arn:aws:s3:::{bucket}/{team}/*" for bucket in buckets
            for team in sorted({TEAMS[p] for p in range(len(TEAMS)) if dataset_bucket(p) == bucket})]


class Estate:
    """The long-lived principals, the buckets and the KMS keys of the four member accounts."""

    def __init__(self) -> None:
        sso_path = f"/aws-reserved/sso.amazonaws.com/{EU}/"
        self.data_engineer = Role(DATA, "DataEngineer")
        self.pipeline = Role(DATA, "DataPipeline", "/pipelines/")
        self.analyst = Role(DATA, "AWSReservedSSO_DataAnalyst_5e2b7c1d9a8f4e36", sso_path)
        self.data_access = Role(DATA, "TrainingDataAccess", "/cross-account/")
        self.ml_engineer = Role(TRAIN, "MLEngineer")
        self.bedrock_role = Role(TRAIN, "BedrockCustomizationRole", "/service-role/")
        self.cw_role = Role(TRAIN, "BedrockInvocationLoggingRole", "/service-role/")
        self.mlops = Role(SERVE, "MLOps")
        self.serving_role = Role(SERVE, "AmazonSageMaker-ServingRole", "/service-role/")
        self.staging_role = Role(TRAIN, "AmazonSageMaker-StagingServingRole", "/service-role/")
        self.app = Role(SERVE, "AppBackend")
        self.support_bot = Role(SERVE, "SupportBot")
        self.deploy = Role(SERVE, "GitHubDeploy", "/ci/")
        self.vendor_role = Role(DATA, "LabelingVendorAccess", "/cross-account/")
        self.sso_service = Role(DATA, "AWSServiceRoleForSSO", "/aws-service-role/sso.amazonaws.com/")
        self.etl_bot = User(DATA, "etl-bot")
        self.alice = User(DATA, "alice.admin")
        self.bob = User(TRAIN, "bob.ml")
        self.carol = User(SERVE, "carol.ops")
        self.contractor = User(SERVE, "contractor-upload")
        self.hackathon = User(SHADOW, "hackathon-dev")
        self.security_admin = User(MGMT, "security.admin")
        self.buckets = {b.name: b for b in (
            Bucket("acme-data-1", DATA, EU, kms_arn(DATA, EU, "data")),
            Bucket("acme-data-2", DATA, EU, kms_arn(DATA, EU, "data"), bucket_key=True),
            Bucket("acme-data-3", DATA, US, kms_arn(DATA, US, "data")),
            Bucket("acme-models-training", TRAIN, EU, None),
            Bucket("acme-models-serving", SERVE, EU, None),
            Bucket("acme-models-training-use1", TRAIN, US, None),
            # made before the log window with a key also made then: no CreateKey, key policy or bucket setup
            Bucket("acme-data-prepared", DATA, EU, kms_arn(DATA, EU, "legacy-prepared")),
        )}
        self.keys = {
            TRAIN: kms_arn(TRAIN, EU, "models"), SERVE: kms_arn(SERVE, EU, "endpoints"),
            "capture-" + TRAIN: kms_arn(TRAIN, EU, "capture"), "capture-" + SERVE: kms_arn(SERVE, EU, "capture"),
            "bedrock": kms_arn(TRAIN, US, "custom-models"),
        }
