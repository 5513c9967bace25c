"""The graph schema, declared once.

From these declarations come the Neo4j constraints and indexes, the batched `UNWIND $rows ... MERGE`
write statements (graphgov.stores.neo4j), the embedded networkx build (graphgov.stores.embedded), and
the schema table in the README (`graphgov schema`). Labels follow Cartography's where it has one, so
both graphs can share a database.

Every node gets `first_seen` / `last_seen` and `sources`. Every edge read from evidence also carries,
as provenance, the smallest few `event_ids` of the events that made it. Edges are *structural* (a
fact such as "this role belongs to that account"), *aggregated* (repeated events: also `count`,
`bytes` and sorted `operations`) or *derived* (computed from the policy states by graphgov.access.derivation and
replaced whole after every load: CAN_* and INPUT_READABLE_BY).

AI resources carry `defined: true` once the call that defines them (CreateTrainingJob, CreateModel,
CreateEndpointConfig, CreateModelCustomizationJob, or a state change) was seen; a node known only
because something referenced it by name has no such property, so questions about its settings
(encryption, data capture) do not guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphgov.core.pii import PII_TYPES

EVENT_ID_SAMPLE = 5
# Node properties that record a state which changes over time: each carries the time of the event that
# set it (`<prop>_at`), and a value from an older event never replaces a newer one, whatever order the
# logs are loaded in (a backfill after a recent pull). Other properties take the value loaded last.
# A principal's unique id (`AROA…`, `AIDA…`) changes when the role or user is deleted and created again:
# the newest evidence names the one in force.
TIMED_PROPS: dict[str, str] = {"tags": "tags_at", "encryption": "encryption_at", "principal_id": "principal_id_at"}
# Model `kind`s the access derivation asks about, and cross-account-exposure lists (its Cypher spells them too):
# Bedrock models someone invokes by ARN (bedrock:InvokeModel), and Comprehend versions other accounts may copy
# (comprehend:ImportModel, under their model policy)
INVOCABLE_MODEL_KINDS = ("custom-model", "provisioned-model", "imported-model", "custom-model-deployment")
COMPREHEND_MODEL_KINDS = ("document-classifier", "entity-recognizer")
ACCESS_MODEL_KINDS = INVOCABLE_MODEL_KINDS + COMPREHEND_MODEL_KINDS


@dataclass(frozen=True)
class NodeType:
    name: str
    merge_label: str  # the label whose `key` is unique; extra labels are added on top
    key: str
    labels: tuple[str, ...]
    props: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class EdgeType:
    name: str
    endpoints: tuple[tuple[str, str], ...]  # allowed (source merge label, target merge label)
    aggregated: bool
    props: tuple[str, ...]
    description: str
    union_props: tuple[str, ...] = ()  # list-valued properties merged as sorted unions (e.g. channels)
    additive_props: tuple[str, ...] = ()  # integer properties that add up, like `count` (e.g. token counts)


_PRINCIPAL_PROPS = ("arn", "id", "name", "principal_type", "account_id", "path", "partition", "principal_id",
                    "principal_id_at")


def _principal(name: str, description: str, extra: tuple[str, ...] = ()) -> NodeType:
    labels = ("AWSPrincipal",) if name == "AWSPrincipal" else ("AWSPrincipal", name)
    return NodeType(name, "AWSPrincipal", "arn", labels, _PRINCIPAL_PROPS + extra, description)


NODE_TYPES: dict[str, NodeType] = {
    t.name: t
    for t in (
        NodeType("AWSAccount", "AWSAccount", "id", ("AWSAccount",), ("id",), "An AWS account (12-digit id)."),
        NodeType("AWSOrganizationalUnit", "AWSOrganizationalUnit", "id", ("AWSOrganizationalUnit",),
                 ("id", "name", "arn"),
                 "An AWS Organizations organizational unit (key: `ou-...`) or the organisation's root (`r-...`); "
                 "its parent and an account's are `parent` PolicyStates, so the tree is known at any time."),
        _principal(
            "AWSPrincipal",
            "Any principal; alone it names a whole account as a principal (`arn:aws:iam::<acct>:root`).",
        ),
        _principal("AWSUser", "An IAM user; key is the path-less user ARN; `principal_id` its unique id (`AIDA…`) "
                              "when CloudTrail, CreateUser or `pull iam` stated it."),
        _principal("AWSRole", "An IAM role; key is the path-less role ARN, `path` kept when known; `principal_id` its "
                              "unique id (`AROA…`: S3 notifications name writers by it) when CloudTrail, CreateRole "
                              "or `pull iam` stated it."),
        _principal("AWSRootUser", "An account's root user (`arn:aws:iam::<acct>:root`)."),
        _principal("AWSServicePrincipal", "An AWS service acting on its own (key: `sagemaker.amazonaws.com`)."),
        _principal("AWSFederatedUser", "A GetFederationToken user (`arn:aws:sts::<acct>:federated-user/<n>`)."),
        _principal(
            "AWSIdentityCenterUser",
            "An IAM Identity Center user (key: `<identityStoreArn>/user/<userId>`).",
            ("identity_store_arn", "user_id"),
        ),
        _principal(
            "AWSFederatedIdentity",
            "A SAML or web-identity (OIDC) user before it assumes a role (key: `<provider>/<user>`).",
            ("identity_provider",),
        ),
        NodeType(
            "AWSRoleSession",
            "AWSRoleSession",
            "arn",
            ("AWSRoleSession",),
            ("arn", "role_arn", "session_name", "source_identity", "account_id"),
            "An assumed-role session (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`), linked to its role.",
        ),
        NodeType(
            "S3Bucket",
            "S3Bucket",
            "id",
            ("S3Bucket",),
            ("id", "name", "arn", "account_id", "default_encryption", "encryption_kms_key_ref",
             "lifecycle_expires", "lifecycle_expiration_days", "tags", "tags_at"),
            "An S3 bucket; key `id` is the bucket name, as in Cartography. `tags`: its tag set as sorted "
            "`key=value` strings (Put/DeleteBucketTagging; empty once deleted), as of the newest such event "
            "(`tags_at`), in whatever order logs are loaded.",
        ),
        NodeType(
            "S3Object",
            "S3Object",
            "arn",
            ("S3Object",),
            ("arn", "bucket", "key", "tags", "tags_at", "encryption", "encryption_at"),
            "An S3 object (`arn:aws:s3:::<bucket>/<key>`), key exactly as stored; `tags` and `tags_at` as for "
            "buckets (Put/DeleteObjectTagging); `encryption` (`customer-key`, `aws-managed-key`, `sse-s3`) as "
            "the newest write record that named it says (`encryption_at`); absent when the bucket default "
            "applied or the record says nothing.",
        ),
        NodeType(
            "S3AccessPoint",
            "S3AccessPoint",
            "arn",
            ("S3AccessPoint",),
            ("arn", "name", "alias", "account_id", "region", "bucket", "bucket_account_id"),
            "An S3 access point (`arn:aws:s3:<region>:<acct>:accesspoint/<name>`), its `alias` (`…-s3alias`) and the "
            "bucket it POINTS_TO (CreateAccessPoint, or a data event's `AWS::S3::AccessPoint` resource); the bucket "
            "may belong to another account (`bucket_account_id`). Data named by alias or ARN resolves to that bucket.",
        ),
        NodeType(
            "Dataset",
            "Dataset",
            "uri",
            ("Dataset",),
            ("uri", "bucket", "prefix", "data_type", "membership", "classification", "access_point"),
            "Training or inference data named by a job: an S3 prefix (`s3://b/p`, matched as S3 matches "
            "prefixes) or a manifest object (membership unknown until the manifest is read). `classification` "
            "(`graphgov classify`): the personal-data categories it holds, e.g. `personal`, "
            "`special-category:health`, from bucket and object tags and the user's mapping. A dataset named by an "
            "access point (alias or ARN) keeps that `uri` and names it in `access_point`; its `bucket` is the access "
            "point's bucket once known (until then the alias or ARN, and no IN_BUCKET).",
        ),
        NodeType(
            "TrainingJob",
            "TrainingJob",
            "arn",
            ("TrainingJob",),
            ("arn", "name", "account_id", "region", "image", "output_path", "output_kms_key_ref", "defined"),
            "A SageMaker training job (`arn:aws:sagemaker:<region>:<acct>:training-job/<lower-cased name>`).",
        ),
        NodeType(
            "ProcessingJob",
            "ProcessingJob",
            "arn",
            ("ProcessingJob",),
            ("arn", "name", "account_id", "region", "image", "output_kms_key_ref", "defined"),
            "A SageMaker processing job (data preparation): reads and writes datasets.",
        ),
        NodeType(
            "TransformJob",
            "TransformJob",
            "arn",
            ("TransformJob",),
            ("arn", "name", "account_id", "region", "output_kms_key_ref", "defined"),
            "A SageMaker batch transform job: runs a model over an input dataset into an output dataset.",
        ),
        NodeType(
            "TuningJob",
            "TuningJob",
            "arn",
            ("TuningJob",),
            ("arn", "name", "account_id", "region", "output_path", "artifact_prefix", "output_kms_key_ref", "defined"),
            "A SageMaker hyperparameter tuning job, the datasets its training jobs read, and (WRITES) the artifacts "
            "under `artifact_prefix` (`<S3OutputPath>/<tuning job>-`) that they wrote.",
        ),
        NodeType(
            "ModelArtifact",
            "ModelArtifact",
            "uri",
            ("ModelArtifact",),
            ("uri", "bucket", "key"),
            "A trained model artifact in S3 (`s3://b/.../model.tar.gz`).",
        ),
        NodeType(
            "SageMakerModel",
            "Model",
            "arn",
            ("Model", "SageMakerModel"),
            ("arn", "name", "account_id", "region", "image", "model_package", "defined"),
            "A SageMaker model (`...:model/<lower-cased name>`).",
        ),
        NodeType(
            "BedrockModel",
            "Model",
            "arn",
            ("Model", "BedrockModel"),
            ("arn", "name", "model_id", "kind", "account_id", "region", "modality"),
            "A Bedrock model: foundation (`arn:aws:bedrock:<region>::foundation-model/<id>`, no account), "
            "custom, provisioned, imported, or an inference profile (system `inference-profile/<geo>.<model id>`, "
            "or `application-inference-profile`); `kind` says which. A foundation model's `modality` (`text`, "
            "`image`, `embedding`, `video`, `audio`) names the invocation-logging delivery flag that governs it.",
        ),
        NodeType(
            "ProvisionedThroughput",
            "Model",
            "arn",
            ("Model", "BedrockModel", "ProvisionedThroughput"),
            ("arn", "name", "model_id", "kind", "account_id", "region"),
            "Bedrock provisioned throughput (`...:provisioned-model/<id>`): a model that PROVISIONS another.",
        ),
        NodeType(
            "CustomizationJob",
            "CustomizationJob",
            "arn",
            ("CustomizationJob",),
            ("arn", "name", "account_id", "region", "custom_model_name", "customization_type", "kms_key_ref",
             "defined"),
            "A Bedrock model customization (fine-tuning, continued pre-training, distillation) job.",
        ),
        NodeType(
            "ComprehendModel",
            "Model",
            "arn",
            ("Model", "ComprehendModel"),
            ("arn", "name", "version", "kind", "account_id", "region", "language", "mode", "model_kms_key_ref",
             "imported", "defined"),
            "An Amazon Comprehend custom model version (`arn:aws:comprehend:<region>:<acct>:document-classifier/"
            "<name>[/version/<v>]`, or `entity-recognizer/...`; names keep their case); `kind` says which; "
            "`imported` for a copy made by ImportModel (IMPORTED_FROM its source).",
        ),
        NodeType(
            "ComprehendTraining",
            "CustomizationJob",
            "arn",
            ("CustomizationJob", "ComprehendTraining"),
            ("arn", "name", "account_id", "region", "customization_type", "kms_key_ref", "volume_kms_key_ref",
             "output_kms_key_ref", "output_path", "defined"),
            "The training Amazon Comprehend runs for a CreateDocumentClassifier or CreateEntityRecognizer call, "
            "keyed by the version's ARN (Comprehend has no job resource): a customization job whose `kms_key_ref` "
            "is the model's `modelKmsKeyId`.",
        ),
        NodeType(
            "ComprehendFlywheel",
            "CustomizationJob",
            "arn",
            ("CustomizationJob", "ComprehendFlywheel"),
            ("arn", "name", "account_id", "region", "customization_type", "kms_key_ref", "volume_kms_key_ref",
             "data_lake", "defined"),
            "An Amazon Comprehend flywheel (`...:flywheel/<name>`): a standing customization whose iterations train "
            "new versions from the datasets it READS (its data lake, and each CreateDataset's S3 input, per "
            "channel), starting from its active model (BASED_ON). The versions an iteration trains are not in "
            "CloudTrail: no PRODUCED edge, so their lineage stays unknown. `kms_key_ref`: its models' key.",
        ),
        NodeType(
            "KnowledgeBase",
            "KnowledgeBase",
            "arn",
            ("KnowledgeBase",),
            ("arn", "id", "name", "account_id", "region", "defined"),
            "A Bedrock knowledge base (`...:knowledge-base/<id>`): reads S3 data sources, embeds with a model.",
        ),
        NodeType(
            "ModelImportJob",
            "ModelImportJob",
            "arn",
            ("ModelImportJob",),
            ("arn", "name", "account_id", "region", "imported_model_name", "kms_key_ref", "defined"),
            "A Bedrock custom model import job and the S3 weights it imports.",
        ),
        NodeType(
            "BatchInferenceJob",
            "BatchInferenceJob",
            "arn",
            ("BatchInferenceJob",),
            ("arn", "name", "account_id", "region", "defined"),
            "A Bedrock batch inference (model invocation) job.",
        ),
        NodeType(
            "ComprehendAnalysisJob",
            "BatchInferenceJob",
            "arn",
            ("BatchInferenceJob", "ComprehendAnalysisJob"),
            ("arn", "name", "account_id", "region", "job_type", "output_path", "output_kms_key_ref",
             "volume_kms_key_ref", "flywheel", "defined"),
            "An Amazon Comprehend asynchronous analysis job (Start*Job, `job_type` e.g. `EntitiesDetection`): a "
            "batch inference that READS its input prefix, WRITES its output prefix and RUNS_MODEL the model.",
        ),
        NodeType(
            "BedrockLoggingConfig",
            "BedrockLoggingConfig",
            "id",
            ("BedrockLoggingConfig",),
            ("id", "account_id", "region", "cloudwatch_log_group", "s3_bucket", "enabled", "s3_key_prefix",
             "text_data_delivery", "image_data_delivery", "embedding_data_delivery", "video_data_delivery"),
            "Bedrock model-invocation logging of one account and Region (`<account>/<region>`).",
        ),
        NodeType(
            "ModelPackage",
            "ModelPackage",
            "arn",
            ("ModelPackage",),
            ("arn", "account_id", "region", "defined"),
            "A SageMaker model registry version (`...:model-package/<group>/<version>`).",
        ),
        NodeType(
            "ModelPackageGroup",
            "ModelPackageGroup",
            "arn",
            ("ModelPackageGroup",),
            ("arn", "name", "account_id", "region"),
            "A SageMaker model package group (`...:model-package-group/<lower-cased name>`).",
        ),
        NodeType(
            "EndpointConfig",
            "EndpointConfig",
            "arn",
            ("EndpointConfig",),
            ("arn", "name", "account_id", "region", "kms_key_ref", "data_capture_uri", "data_capture_kms_key_ref",
             "defined"),
            "A SageMaker endpoint configuration (`...:endpoint-config/<lower-cased name>`).",
        ),
        NodeType(
            "Endpoint",
            "Endpoint",
            "arn",
            ("Endpoint",),
            ("arn", "name", "account_id", "region"),
            "A SageMaker endpoint (`...:endpoint/<lower-cased name>`).",
        ),
        NodeType(
            "ComprehendEndpoint",
            "Endpoint",
            "arn",
            ("Endpoint", "ComprehendEndpoint"),
            ("arn", "name", "kind", "account_id", "region", "flywheel", "defined"),
            "An Amazon Comprehend endpoint (`...:document-classifier-endpoint/<name>` or "
            "`entity-recognizer-endpoint/<name>`): SERVES the model version set last; no account for an AWS-owned "
            "one (`:aws:` in its ARN).",
        ),
        NodeType(
            "AWSGroup",
            "AWSGroup",
            "arn",
            ("AWSGroup",),
            ("arn", "name", "account_id", "path"),
            "An IAM group (`arn:aws:iam::<acct>:group/<name>`, path-less); users are members through PolicyState.",
        ),
        NodeType(
            "AWSPolicy",
            "AWSPolicy",
            "id",
            ("AWSPolicy",),
            ("id", "arn", "name", "policy_type", "account_id"),
            "A managed IAM policy (key: its ARN, as in Cartography) or an Organizations SCP/RCP (key: `p-...` id); "
            "`policy_type` is `managed`, `aws-managed`, `scp` or `rcp`.",
        ),
        NodeType(
            "PolicyState",
            "PolicyState",
            "id",
            ("PolicyState",),
            ("id", "subject", "subject_type", "slot", "kind", "document", "doc_hash", "target", "deleted",
             "evidence", "operation", "actor", "event_id", "valid_from", "valid_to", "current"),
            "One state of one policy slot of a subject (an inline or trust policy, a managed-policy version, an "
            "attachment, a group membership, a bucket or key policy, an ACL, a Block Public Access setting...). "
            "`valid_from` is the change's time (none for a snapshot: its start is unknown), `valid_to` the next "
            "change's; `current` marks the state in force at the end of the evidence.",
        ),
        NodeType(
            "KMSKey",
            "KMSKey",
            "arn",
            ("KMSKey",),
            ("arn", "id", "region", "account_id", "key_manager"),
            "A KMS key (`arn:aws:kms:<region>:<acct>:key/<id>`); `key_manager` (`AWS` or `CUSTOMER`, from "
            "`pull iam`'s DescribeKey) tells an AWS managed key, which RCPs do not limit.",
        ),
        NodeType(
            "CloudTrailTrail",
            "CloudTrailTrail",
            "arn",
            ("CloudTrailTrail",),
            ("arn", "name", "account_id", "home_region", "is_logging", "multi_region", "organization",
             "global_service_events", "log_file_validation", "s3_bucket", "log_group_arn", "kms_key_ref",
             "selector_mode", "management_events", "management_read_write", "data_event_types",
             "data_event_types_scoped"),
            "A CloudTrail trail as last pulled (`graphgov pull config`): whether it logs, where, and what it records: "
            "management events (`management_read_write` All/ReadOnly/WriteOnly) and the resource types whose data "
            "events it records (`data_event_types`, e.g. AWS::S3::Object, AWS::SageMaker::Endpoint, "
            "AWS::Bedrock::Model; SageMaker and Bedrock ones only with advanced selectors); "
            "`data_event_types_scoped` lists those recorded only for some resources or calls.",
        ),
        NodeType(
            "LogGroup",
            "LogGroup",
            "arn",
            ("LogGroup",),
            ("arn", "name", "account_id", "region", "retention_days", "never_expires", "kms_key_ref"),
            "A CloudWatch Logs log group (`arn:aws:logs:<region>:<acct>:log-group:<name>`) as last pulled; "
            "`never_expires` is true when no retention is set (then `retention_days` is absent, or stale from an "
            "earlier retention: test `never_expires` first).",
        ),
    )
}

_ANY_PRINCIPAL = "AWSPrincipal"
# What a model-invocation log record adds to INVOKED (loaders.bedrock_invocation), all additive.
INVOKED_ADDITIVE = ("logged_count", "logged_errors", "input_tokens", "output_tokens", "latency_ms_total",
                    "latency_count", "guardrail_intervened", "guardrail_none", "guardrail_unknown", "bodies_in_s3",
                    *(f"pii_{name}" for name in PII_TYPES))
# Derived access edges are recomputed whole from the policy states after every load (graphgov.access.derivation):
# `access` is `potential`, `observed`, `conditional` or `unknown` (ACCESS_VALUES), `via` names the granting
# statements (and role chain), `conditions` the condition blocks that could not be settled, `actions` the
# actions allowed.
DERIVED_PROPS = ("access", "via", "conditions", "actions", "as_of")
ACCESS_VALUES = (
    " `access`: `potential` (the policies in force allow it), `observed` (a successful call seen in CloudTrail "
    "settles it; `via` names the call, `observed:cloudtrail:<operation>@<time>#<event id>`, and "
    "`context:observed-call-only`), `conditional` (a condition could not be settled) or `unknown` (a bucket, "
    "access point, key or trust policy never seen decides it; `via` names it, `unknown:<kind>-policy:<subject>`).")

EDGE_TYPES: dict[str, EdgeType] = {
    t.name: t
    for t in (
        EdgeType(
            "RESOURCE",
            (("AWSAccount", "AWSPrincipal"), ("AWSAccount", "S3Bucket"), ("AWSAccount", "KMSKey"),
             ("AWSAccount", "AWSRoleSession"), ("AWSAccount", "BedrockLoggingConfig"), ("AWSAccount", "AWSGroup"),
             ("AWSAccount", "AWSPolicy"), ("AWSAccount", "S3AccessPoint")),
            False,
            (),
            "Account owns the principal, bucket, key, session, group or customer-managed policy (Cartography's "
            "RESOURCE).",
        ),
        EdgeType("SESSION_OF", (("AWSRoleSession", "AWSPrincipal"),), False, (), "Session of a role."),
        EdgeType(
            "FEDERATED_FROM",
            ((_ANY_PRINCIPAL, _ANY_PRINCIPAL),),
            False,
            (),
            "Federated user issued by an IAM user or root (GetFederationToken).",
        ),
        EdgeType(
            "ASSUMED_ROLE",
            ((_ANY_PRINCIPAL, _ANY_PRINCIPAL),),
            True,
            ("cross_account",),
            "Principal assumed the role (sts:AssumeRole*); `cross_account` when the accounts differ.",
        ),
        EdgeType("READ", ((_ANY_PRINCIPAL, "S3Object"),), True, ("cross_account",),
                 "Principal read the object (GetObject, or the source of a copy); `bytes` transferred out; "
                 "`access_points` it went through (`cross_account` too when one belongs to another account).",
                 ("access_points",)),
        EdgeType("WROTE", ((_ANY_PRINCIPAL, "S3Object"),), True, ("cross_account",),
                 "Principal wrote the object (Put/Copy/POST, multipart parts); `bytes` transferred in; "
                 "`access_points` as for READ.", ("access_points",)),
        EdgeType("REPLICA_OF", (("S3Object", "S3Object"),), False,
                 ("replicated_at", "destination_bucket", "destination_account", "destination_principal",
                  "owner_override"),
                 "Derived from the bucket's replication `rules` in force when the source was written "
                 "(graphgov.ingest.replication): the replica (same key, destination bucket) of the source, from "
                 "`replicated_at`; `destination_principal` is the destination account's root when that account "
                 "differs from the source bucket's (it receives a copy). Tags and classification follow.",
                 ("rules",)),
        EdgeType("POINTS_TO", (("S3AccessPoint", "S3Bucket"),), False, (),
                 "The access point serves the bucket's objects (the same keys)."),
        EdgeType("DELETED", ((_ANY_PRINCIPAL, "S3Object"), (_ANY_PRINCIPAL, "S3Bucket"), (_ANY_PRINCIPAL, "Endpoint"),
                             (_ANY_PRINCIPAL, "Model")), True,
                 ("cross_account", "keys_unknown"),
                 "Principal deleted the object (to the bucket with `keys_unknown` for DeleteObjects), endpoint "
                 "or model."),
        EdgeType("LISTED", ((_ANY_PRINCIPAL, "S3Bucket"),), True, ("cross_account",),
                 "Principal listed the bucket's objects."),
        EdgeType("CONTAINS", (("S3Bucket", "S3Object"),), False, (),
                 "Bucket holds the object; S3 event notifications add the `version_ids`, `etags`, `sequencers` "
                 "and `events` (e.g. ObjectCreated:Put) seen, and `writer_ids`: the principal ids (`AROA…:session`, "
                 "`AIDA…`, or an account for EventBridge) that created it, resolved by the questions through "
                 "principals' `principal_id`.", ("version_ids", "etags", "sequencers", "events", "writer_ids")),
        EdgeType("IN_DATASET", (("S3Object", "Dataset"),), False, (),
                 "Object lies under the dataset's prefix, as S3 matches prefixes (plain string prefix); derived "
                 "when either side is loaded. Manifest datasets get none: their membership is unknown."),
        EdgeType("FEEDS", (("ProcessingJob", "Dataset"), ("TransformJob", "Dataset"),
                           ("BatchInferenceJob", "Dataset")), False, (),
                 "A job's output (processing, batch transform, batch inference) feeds the dataset (same bucket): "
                 "the keys it writes under its output folder (`<S3Uri>/`) can be keys the dataset names by S3 "
                 "key-name prefix (`a/b/` feeds `a/b/c/` and `a/`, not `a/bc/`), or the dataset is a manifest "
                 "whose listed keys are unknown. Derived "
                 "from keys alone when either side is loaded (graphgov.core.s3_containment)."),
        EdgeType("COPIED_FROM", (("S3Object", "S3Object"),), True, (),
                 "Object was written as a copy of another (CopyObject, UploadPartCopy) by the principal that READ the "
                 "source and WROTE the copy; `tagging_directives`: `COPY` (the default: the copy has the source's "
                 "tags, so its classification follows), `REPLACE` (the request's `x-amz-tagging`, none if absent) "
                 "or `PART` (UploadPartCopy: bytes copied into a multipart upload; classification follows too).",
                 ("tagging_directives",)),
        EdgeType("USED_KEY", ((_ANY_PRINCIPAL, "KMSKey"),), True, ("cross_account",),
                 "Principal used the key for a data-key operation (Decrypt, GenerateDataKey, ...)."),
        EdgeType("ENCRYPTS", (("KMSKey", "S3Object"), ("KMSKey", "S3Bucket")), True, (),
                 "Key was used under the `aws:s3:arn` encryption context of the object (or bucket)."),
        EdgeType("IN_BUCKET", (("Dataset", "S3Bucket"), ("ModelArtifact", "S3Bucket")), False, (),
                 "Dataset or artifact lives in the bucket."),
        EdgeType("READS", (("TrainingJob", "Dataset"), ("CustomizationJob", "Dataset"), ("ProcessingJob", "Dataset"),
                           ("TransformJob", "Dataset"), ("TuningJob", "Dataset"), ("KnowledgeBase", "Dataset"),
                           ("BatchInferenceJob", "Dataset")), False, (),
                 "Job reads the dataset through the named input channel(s).", ("channels",)),
        EdgeType("WRITES", (("TrainingJob", "ModelArtifact"), ("TuningJob", "ModelArtifact"),
                            ("ProcessingJob", "Dataset"), ("TransformJob", "Dataset"),
                            ("BatchInferenceJob", "Dataset")), False, (),
                 "Job wrote the artifact or output dataset; `evidence` says how it is known (`request`, `describe`, "
                 "`state-change`, or only `inferred-path`: <S3OutputPath>/<job>/output/model.tar.gz).",
                 ("evidence", "channels")),
        EdgeType("RUNS_MODEL", (("TransformJob", "Model"), ("BatchInferenceJob", "Model")), False, (),
                 "Batch job runs the model."),
        EdgeType("USES_MODEL", (("KnowledgeBase", "Model"),), False, (), "Knowledge base embeds with the model."),
        EdgeType("IMPORTS", (("ModelImportJob", "ModelArtifact"),), False, (), "Import job reads the model weights."),
        EdgeType("STARTED_INGESTION", ((_ANY_PRINCIPAL, "KnowledgeBase"),), True, (),
                 "Principal started ingestion jobs that read the knowledge base's data sources."),
        EdgeType("FROM_ARTIFACT", (("Model", "ModelArtifact"), ("ModelPackage", "ModelArtifact")), False, (),
                 "Model or model package loads the artifact (`modelDataUrl` / `modelDataSource`).", ("containers",)),
        EdgeType("FROM_PACKAGE", (("Model", "ModelPackage"),), False, (),
                 "Model is deployed from the registry version (`modelPackageName`).", ("containers",)),
        EdgeType("IN_GROUP", (("ModelPackage", "ModelPackageGroup"),), False, (), "Version of the package group."),
        EdgeType("APPROVED", ((_ANY_PRINCIPAL, "ModelPackage"),), True, (),
                 "Principal set the package's status to Approved; of APPROVED, REJECTED and PENDING_APPROVAL, the "
                 "one seen last is in force."),
        EdgeType("REJECTED", ((_ANY_PRINCIPAL, "ModelPackage"),), True, (), "Principal rejected the package."),
        EdgeType("PENDING_APPROVAL", ((_ANY_PRINCIPAL, "ModelPackage"),), True, (),
                 "Principal set the package to PendingManualApproval."),
        EdgeType("SERVES", (("EndpointConfig", "Model"), ("Endpoint", "Model")), False, (),
                 "Endpoint configuration serves the model in the named variant(s) (`shadow:` for shadow); a "
                 "Comprehend endpoint serves the model version it was created or last updated with (the edge seen "
                 "last).",
                 ("variants",)),
        EdgeType("USES_CONFIG", (("Endpoint", "EndpointConfig"),), False, ("since", "until", "current"),
                 "Endpoint was set to the configuration (Create/UpdateEndpoint, state changes): `since` it was "
                 "last set to it, `until` the next configuration was set, `current` for the one set last."),
        EdgeType("EXECUTES_AS", (("TrainingJob", "AWSPrincipal"), ("Model", "AWSPrincipal"),
                                 ("CustomizationJob", "AWSPrincipal"), ("ProcessingJob", "AWSPrincipal"),
                                 ("TuningJob", "AWSPrincipal"), ("KnowledgeBase", "AWSPrincipal"),
                                 ("ModelImportJob", "AWSPrincipal"), ("BatchInferenceJob", "AWSPrincipal"),
                                 ("Endpoint", "AWSPrincipal")), False, (),
                 "Job, model or endpoint runs with the role (a Comprehend data access role)."),
        EdgeType("ENCRYPTED_WITH", (("TrainingJob", "KMSKey"), ("EndpointConfig", "KMSKey"),
                                    ("CustomizationJob", "KMSKey"), ("Model", "KMSKey"),
                                    ("BatchInferenceJob", "KMSKey")), False, (),
                 "Outputs, volumes, captured data or the model itself are encrypted with the key (`purposes`).",
                 ("purposes",)),
        EdgeType("CREATED", ((_ANY_PRINCIPAL, "TrainingJob"), (_ANY_PRINCIPAL, "Model"),
                             (_ANY_PRINCIPAL, "EndpointConfig"), (_ANY_PRINCIPAL, "Endpoint"),
                             (_ANY_PRINCIPAL, "CustomizationJob"), (_ANY_PRINCIPAL, "ProcessingJob"),
                             (_ANY_PRINCIPAL, "TransformJob"), (_ANY_PRINCIPAL, "TuningJob"),
                             (_ANY_PRINCIPAL, "KnowledgeBase"), (_ANY_PRINCIPAL, "ModelImportJob"),
                             (_ANY_PRINCIPAL, "BatchInferenceJob"), (_ANY_PRINCIPAL, "ModelPackage"),
                             (_ANY_PRINCIPAL, "ModelPackageGroup")), True, (),
                 "Principal created or updated the AI resource (operations say which call)."),
        EdgeType("INVOKED", ((_ANY_PRINCIPAL, "Model"), (_ANY_PRINCIPAL, "Endpoint")), True, (),
                 "Principal invoked the Bedrock model (InvokeModel, Converse, and their streams), or called an Amazon "
                 "Comprehend endpoint or the account's built-in Comprehend models (ClassifyDocument, Detect*: "
                 "`operations` says which, `count` how many calls). `count` counts "
                 "the calls CloudTrail saw; the model-invocation log is a second witness of the same calls and "
                 "adds `logged_count` (records, `logged_errors` of them failed), summed `input_tokens` / "
                 "`output_tokens`, `latency_ms_total` over the `latency_count` records that reported a latency, "
                 "guardrail outcomes (`guardrail_intervened`, `guardrail_none`, `guardrail_unknown`), "
                 "`bodies_in_s3` (bodies over 100 KB, delivered apart and not read), and the PII seen in prompts "
                 "or responses: `pii_types` and one count per type (`pii_email`, ...); never a value. "
                 "`invoked_hours` lists the UTC hours (`YYYY-MM-DDTHH`) of the calls CloudTrail saw, "
                 "`logged_hours` those of the invocation-log records: the grain at which calls are judged "
                 "against the logging configuration in force.",
                 ("inference_regions", "pii_types", "invoked_hours", "logged_hours"), INVOKED_ADDITIVE),
        EdgeType("ENABLED_LOGGING", ((_ANY_PRINCIPAL, "BedrockLoggingConfig"),), True, (),
                 "Principal put the model-invocation logging configuration: `put_at` the times it did, "
                 "`text_at`, `image_at`, `embedding_at`, `video_at`, `audio_at` the puts that delivered that "
                 "modality.",
                 ("put_at", "text_at", "image_at", "embedding_at", "video_at", "audio_at")),
        EdgeType("DISABLED_LOGGING", ((_ANY_PRINCIPAL, "BedrockLoggingConfig"),), True, (),
                 "Principal deleted the model-invocation logging configuration (`deleted_at`); of all puts and "
                 "deletes, the one last before a call is in force for it.", ("deleted_at",)),
        EdgeType("ROUTES_TO", (("Model", "Model"),), False, (),
                 "Inference profile invokes the model: a system profile the foundation model its id names "
                 "(`us.anthropic...` -> `anthropic...`), an application profile the model or system profile it "
                 "copies (CreateInferenceProfile `modelSource.copyFrom`)."),
        EdgeType("BASED_ON", (("CustomizationJob", "Model"),), False, (), "Customization starts from the base model."),
        EdgeType("PRODUCED", (("CustomizationJob", "Model"),), False, (),
                 "Customization job produced the custom model (state change or GetModelCustomizationJob)."),
        EdgeType("IMPORTED_FROM", (("Model", "Model"),), False, (),
                 "The model is a copy of another model version, usually another account's (Comprehend "
                 "ImportModel `sourceModelArn`, allowed by the source's model policy): its lineage is the source's."),
        EdgeType("PROVISIONS", (("Model", "Model"),), False, (),
                 "Provisioned throughput, or a custom model deployment, serves the (base or custom) model: "
                 "applications invoke its ARN."),
        EdgeType("HAS_POLICY", ((_ANY_PRINCIPAL, "PolicyState"), ("AWSGroup", "PolicyState"),
                                ("AWSPolicy", "PolicyState"), ("S3Bucket", "PolicyState"), ("S3Object", "PolicyState"),
                                ("KMSKey", "PolicyState"), ("AWSAccount", "PolicyState"),
                                ("ModelPackageGroup", "PolicyState"), ("AWSOrganizationalUnit", "PolicyState"),
                                ("S3AccessPoint", "PolicyState"), ("Model", "PolicyState")),
                 False, (),
                 "Subject had the policy state (one per change event, or per distinct snapshot)."),
        EdgeType("CAN_ASSUME", ((_ANY_PRINCIPAL, _ANY_PRINCIPAL),), False, DERIVED_PROPS,
                 "Derived: the principal may assume the role (its trust policy, and its identity policy across "
                 "accounts)." + ACCESS_VALUES),
        EdgeType("CAN_READ", ((_ANY_PRINCIPAL, "Dataset"), (_ANY_PRINCIPAL, "ModelArtifact"),
                              (_ANY_PRINCIPAL, "S3Object"), (_ANY_PRINCIPAL, "ModelPackageGroup"),
                              (_ANY_PRINCIPAL, "Model")), False,
                 DERIVED_PROPS, "Derived: the principal may read the data (s3:GetObject on every object under the "
                                "prefix, with the key's kms:Decrypt for SSE-KMS data; an object only through a public "
                                "ACL), the registry group's packages, or copy a Comprehend model version "
                                "(comprehend:ImportModel under its model policy)." + ACCESS_VALUES),
        EdgeType("CAN_WRITE", ((_ANY_PRINCIPAL, "Dataset"), (_ANY_PRINCIPAL, "ModelArtifact")), False, DERIVED_PROPS,
                 "Derived: the principal may write the data (s3:PutObject)." + ACCESS_VALUES),
        EdgeType("CAN_DECRYPT", ((_ANY_PRINCIPAL, "KMSKey"),), False, DERIVED_PROPS,
                 "Derived: the principal may use the key (kms:Decrypt; `actions` lists the allowed key actions)."
                 + ACCESS_VALUES),
        EdgeType("CAN_INVOKE", ((_ANY_PRINCIPAL, "Endpoint"), (_ANY_PRINCIPAL, "Model")), False, DERIVED_PROPS,
                 "Derived: the principal may invoke the endpoint (sagemaker:InvokeEndpoint; a Comprehend endpoint: "
                 "comprehend:ClassifyDocument or comprehend:DetectEntities) or the Bedrock model "
                 "(bedrock:InvokeModel)." + ACCESS_VALUES),
        EdgeType("INPUT_READABLE_BY", (("TrainingJob", _ANY_PRINCIPAL), ("CustomizationJob", _ANY_PRINCIPAL)), False,
                 ("datasets", "accesses", "vias", "conditions", "chain", "as_of"),
                 "Derived: the principal could read the job's input `datasets` at the job's start (`as_of`), "
                 "directly or by assuming the roles in `chain`; `accesses[i]` is the access to `datasets[i]` "
                 "(as for CAN_READ; also `unknown` when the policies of then are only known from later evidence; "
                 "who may assume an `observed` reader gets `potential`), `vias[i]` its grants and roles, one per "
                 "line."),
        EdgeType("HAS_TRAIL", (("AWSAccount", "CloudTrailTrail"),), False, (), "The account owns the trail."),
        EdgeType("HAS_LOG_GROUP", (("AWSAccount", "LogGroup"),), False, (), "The account owns the log group."),
        EdgeType("DELIVERS_TO", (("CloudTrailTrail", "S3Bucket"), ("CloudTrailTrail", "LogGroup"),
                                 ("BedrockLoggingConfig", "S3Bucket"), ("BedrockLoggingConfig", "LogGroup")), False,
                 (), "The trail or the model-invocation logging writes its logs there (as last pulled)."),
        EdgeType("CHANGED_TRAIL", ((_ANY_PRINCIPAL, "CloudTrailTrail"),), True, (),
                 "Principal stopped or deleted the trail, or put event selectors recording no data events "
                 "(StopLogging, DeleteTrail, PutEventSelectors)."),
    )
}

DERIVED_EDGE_TYPES: tuple[str, ...] = ("CAN_ASSUME", "CAN_READ", "CAN_WRITE", "CAN_DECRYPT", "CAN_INVOKE",
                                       "INPUT_READABLE_BY")

MERGE_KEYS: dict[str, str] = {t.merge_label: t.key for t in NODE_TYPES.values()}
UNION_PROPS: frozenset[str] = frozenset(p for e in EDGE_TYPES.values() for p in e.union_props)
ADDITIVE_PROPS: frozenset[str] = frozenset(p for e in EDGE_TYPES.values() for p in e.additive_props)

# Bookkeeping: the seen-set of evidence ids; not part of the answerable graph.
SEEN_LABEL = "GraphgovSeenEvent"
# Bookkeeping: the pullers' positions (e.g. the last CloudTrail day listed), written with the graph.
CHECKPOINT_LABEL = "GraphgovCheckpoint"


def node_labels() -> list[str]:
    return sorted({label for t in NODE_TYPES.values() for label in t.labels})


def schema_table_markdown() -> str:
    """The schema as Markdown tables, for the README."""
    lines = ["| node type | labels | key | properties | meaning |", "|---|---|---|---|---|"]
    for t in NODE_TYPES.values():
        lines.append(
            f"| {t.name} | {':'.join(t.labels)} | `{t.key}` | {', '.join(t.props)}, first_seen, last_seen, sources"
            f" | {t.description} |"
        )
    lines += ["", "| edge type | from → to | kind | properties | meaning |", "|---|---|---|---|---|"]
    for e in EDGE_TYPES.values():
        ends = "; ".join(f"{a} → {b}" for a, b in e.endpoints)
        base = "count, bytes, operations, " if e.aggregated else ""
        window = () if e.name in DERIVED_EDGE_TYPES else ("first_seen", "last_seen", "sources", "event_ids")
        props = base + ", ".join((*e.props, *e.union_props, *e.additive_props, *window))
        kind = "derived" if e.name in DERIVED_EDGE_TYPES else "aggregated" if e.aggregated else "structural"
        lines.append(f"| {e.name} | {ends} | {kind} | {props} | {e.description} |")
    return "\n".join(lines)
