"""Amazon Comprehend custom models: training lineage, imported copies, endpoints and calls, on both stores.

Fixtures: `comprehend/comprehend-developer-guide-2020.json` and `-current.json` are the Comprehend guide's
own CloudTrail examples (real records); `comprehend/comprehend-platform.json` is hand-written in the shapes of
the Comprehend API reference and that guide (sources per field in `comprehend-platform.md`).
"""

from __future__ import annotations

import json

import pytest
from helpers import FIXTURES, write_json

from graphgov.access.derivation import endpoint_actions
from graphgov.export.runs import lineage_runs
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from graphgov.questions.controls import loaded_sources
from graphgov.questions.lineage import as_text, build_lineage

GUIDE_2020 = FIXTURES / "comprehend/comprehend-developer-guide-2020.json"
GUIDE_NOW = FIXTURES / "comprehend/comprehend-developer-guide-current.json"
PLATFORM = FIXTURES / "comprehend/comprehend-platform.json"
A = "arn:aws:comprehend:eu-west-1:"
T, S = "222222222222", "333333333333"  # training account, serving account
V1 = f"{A}{T}:document-classifier/ticket-router/version/v1"
GT = f"{A}{T}:document-classifier/ticket-router-gt/version/v1"
PARTS = f"{A}{T}:entity-recognizer/part-numbers/version/v1"
COPY_V1 = f"{A}{S}:document-classifier/ticket-router/version/imported-v1"
COPY_V2 = f"{A}{S}:document-classifier/ticket-router/version/imported-v2"  # named by UpdateEndpoint only
PROD = f"{A}{S}:document-classifier-endpoint/ticket-router-prod"
PARTS_RT = f"{A}{T}:entity-recognizer-endpoint/part-numbers-rt"
BUILT_IN = f"{A}{S}:built-in-model"
TICKET_APP = f"arn:aws:iam::{S}:role/TicketApp"
CORPUS = "s3://acme-nlp-corpus"


@pytest.fixture
def platform(store, tmp_path):
    summary = load_paths([PLATFORM], store, tmp_path / "q.jsonl")
    # 22 records: 21 modelled; one CreateDocumentClassifier failed (AccessDeniedException: nothing was created)
    assert (summary.records, summary.loaded, summary.quarantined) == (22, 21, 0)
    assert dict(summary.skipped) == {"failed_call": 1}
    return store


def _lineage(model: str, job: str, channel: str, dataset: str) -> dict:
    return {"model": model, "training_job": job, "channel": channel, "dataset": dataset, "dataset_writers": [],
            "via": None, "link": "direct"}


def test_a_classifier_version_is_traced_to_its_training_and_test_data(platform):
    assert ask(platform, "model-lineage", {"model": V1}) == [
        _lineage(V1, V1, "test", f"{CORPUS}/tickets/test.csv"),
        _lineage(V1, V1, "train", f"{CORPUS}/tickets/train.csv"),
    ]
    # Ground Truth manifests: the datasets are the manifests, whose members are unknown until read
    assert ask(platform, "model-lineage", {"model": GT}) == [
        _lineage(GT, GT, "test", f"{CORPUS}/groundtruth/tickets-test.manifest"),
        _lineage(GT, GT, "train", f"{CORPUS}/groundtruth/tickets-train.manifest"),
    ]


def test_an_imported_copy_in_another_account_has_its_source_lineage(platform):
    assert ask(platform, "model-lineage", {"model": COPY_V1}) == [
        _lineage(COPY_V1, V1, "test", f"{CORPUS}/tickets/test.csv"),
        _lineage(COPY_V1, V1, "train", f"{CORPUS}/tickets/train.csv"),
    ]
    assert as_text(build_lineage(platform, COPY_V1)).splitlines() == [
        f"model {COPY_V1}",
        f"  imported from model {V1}",
        f"    Comprehend training {V1}",
        f"      dataset {CORPUS}/tickets/test.csv (channel test)",
        f"      dataset {CORPUS}/tickets/train.csv (channel train)"]


def test_an_endpoint_is_judged_by_the_model_it_was_last_updated_with(platform):
    # CreateEndpoint served the imported v1; UpdateEndpoint moved it to imported-v2, whose origin no log shows
    assert ask(platform, "endpoint-lineage", {"endpoint": PROD}) == [
        {"endpoint": PROD, "model": COPY_V2, "training_job": None, "channel": None, "dataset": None,
         "dataset_writers": [], "via": None, "link": None}]
    assert ask(platform, "models-without-lineage") == [{"model": COPY_V2, "endpoints": [PROD]}]
    # an entity recognizer's channels: documents, annotations and the entity list, train and test
    assert [(r["channel"], r["dataset"]) for r in ask(platform, "endpoint-lineage", {"endpoint": PARTS_RT})] == [
        ("entity-list", f"{CORPUS}/parts/entity-list.csv"),
        ("test-annotations", f"{CORPUS}/parts/annotations/test.csv"),
        ("test-documents", f"{CORPUS}/parts/documents/test.txt"),
        ("train-annotations", f"{CORPUS}/parts/annotations/train.csv"),
        ("train-documents", f"{CORPUS}/parts/documents/train.txt"),
    ]


def test_dataset_consumers_reach_the_imported_copy(platform):
    row = {"dataset": f"{CORPUS}/tickets/train.csv", "read_dataset": f"{CORPUS}/tickets/train.csv", "job": V1,
           "job_type": "CustomizationJob", "channel": "train", "endpoints": [], "via": None, "link": "direct"}
    assert ask(platform, "dataset-consumers", {"dataset": f"{CORPUS}/tickets/train.csv"}) == [
        {**row, "model": V1}, {**row, "model": COPY_V1}]  # the copy's endpoint has moved on to imported-v2


KEY_PHRASES = f"{A}{T}:key-phrases-detection-job/9e8d7c6b5a4938271605f4e3d2c1b0a9"
ENTITIES = f"{A}{T}:entities-detection-job/3f1d2c4b5a69788796a5b4c3d2e1f0a1"


def test_models_jobs_and_volumes_without_a_customer_key_are_reported(platform):
    assert ask(platform, "unencrypted-ai-artifacts") == [
        {"resource": V1, "resource_type": "CustomizationJob", "account": T,
         "issue": "custom model without a customer KMS key", "output_encryption": []},
        # an analysis job that named no key at all: its output bucket's default encryption was never seen
        {"resource": KEY_PHRASES, "resource_type": "BatchInferenceJob", "account": T,
         "issue": "analysis output without a customer KMS key", "output_encryption": ["acme-ml-artifacts=unknown"]},
        {"resource": KEY_PHRASES, "resource_type": "BatchInferenceJob", "account": T,
         "issue": "storage volume without a customer KMS key", "output_encryption": []},
    ]


def test_analysis_jobs_read_their_input_and_run_a_custom_or_built_in_model(platform):
    inbound = f"{CORPUS}/inbound/2026-02/"
    assert [(r["job"], r["job_type"], r["channel"]) for r in ask(platform, "dataset-consumers",
                                                                 {"dataset": inbound})] == [
        (ENTITIES, "BatchInferenceJob", "input"), (KEY_PHRASES, "BatchInferenceJob", "input")]
    assert {(src[1], dst[1]) for src, dst, _ in platform.scan_edges("RUNS_MODEL")} == {
        (ENTITIES, PARTS), (KEY_PHRASES, f"{A}{T}:built-in-model")}
    assert {(src[1], dst[1]) for src, dst, _ in platform.scan_edges("WRITES")} == {
        (ENTITIES, "s3://acme-ml-artifacts/comprehend/entities-out/"),
        (KEY_PHRASES, "s3://acme-ml-artifacts/comprehend/keyphrases-out/")}


def test_inventory_lists_versions_endpoints_and_built_in_use(platform):
    rows = [(r["resource"], r["kind"], r["account"]) for r in ask(platform, "ai-inventory")]
    assert rows == [
        (f"{A}{T}:built-in-model", "comprehend-built-in", T),  # run by the key-phrases job
        (GT, "comprehend-document-classifier", T),
        (V1, "comprehend-document-classifier", T),
        (PARTS_RT, "comprehend-endpoint", T),
        (PARTS, "comprehend-entity-recognizer", T),
        (BUILT_IN, "comprehend-built-in", S),
        (PROD, "comprehend-endpoint", S),
        (COPY_V1, "comprehend-document-classifier", S),
        (COPY_V2, "comprehend-document-classifier", S),
    ]


def test_calls_are_usage_of_the_endpoint_or_the_built_in_models(platform):
    rows = ask(platform, "principal-activity", {"principal": TICKET_APP})
    assert [(r["action"], r["target"], r["count"], r["operations"]) for r in rows] == [
        ("INVOKED", BUILT_IN, 1, ["DetectSentiment"]),
        ("INVOKED", PROD, 2, ["ClassifyDocument"]),  # requestParameters null: the endpoint is in resources[]
    ]


SERVING_ADMIN = f"arn:aws:iam::{S}:role/ServingAdmin"
IMPORTED = {"resource": V1, "resource_account": T, "principal": SERVING_ADMIN, "principal_account": S,
            "access": "observed", "via": ["cloudtrail:ImportModel"]}
OUTSIDE_CALL = {"resource": PROD, "resource_account": S, "principal": "arn:aws:iam::444444444444:root",
                "principal_account": "444444444444", "access": "observed", "via": ["cloudtrail:ClassifyDocument"]}


def test_what_crossed_accounts_is_observed_exposure(platform):
    # the copy made in 333333333333, and another account's call on the endpoint (the owner's trail copy); the
    # model policy that allowed the import was deleted since, so nobody else may import v1 now
    assert ask(platform, "cross-account-exposure") == [IMPORTED, OUTSIDE_CALL]


def test_a_model_policy_in_force_exposes_the_version_to_the_accounts_it_names(store, tmp_path):
    records = json.loads(PLATFORM.read_text())["Records"]
    kept = write_json(tmp_path / "kept.json", {"Records": [
        r for r in records if r["eventName"] != "DeleteResourcePolicy"]})
    load_paths([kept], store, tmp_path / "q.jsonl")
    assert ask(store, "cross-account-exposure") == [
        IMPORTED,
        {"resource": V1, "resource_account": T, "principal": f"arn:aws:iam::{S}:root", "principal_account": S,
         "access": "potential", "via": [f"model-policy:{V1}#0"]},
        OUTSIDE_CALL]
    # the versions created without a model policy started with none: nobody else may import them
    assert {(src[1], dst[1]) for src, dst, _ in store.scan_edges("CAN_READ") if dst[0] == "Model"} == {
        (f"arn:aws:iam::{S}:root", V1)}


def test_the_guide_records_load(store, tmp_path):
    summary = load_paths([GUIDE_2020], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, dict(summary.skipped)) == (4, 3, {"unsupported_event": 1})
    model = ("arn:aws:comprehend:us-east-2:12345678910:document-classifier/"
             "DocumentClassifier-FOUR-KB-MULTI-CLASS-1588179693504")
    # S3Uri is a key-name prefix ("if more than one file begins with the prefix, Amazon Comprehend uses all")
    assert ask(store, "model-lineage", {"model": model}) == [_lineage(
        model, model, "train",
        "s3://aws-deepinsight-async-canary-datasets-prod-us-east-2/ONE_DOC_PER_LINE/DOCUMENT_CLASSIFIER/FOUR_KB")]
    # a Comprehend name keeps its case (SageMaker's are lower-cased): asked by name, it is found as written
    assert ask(store, "model-lineage", {"model": "DocumentClassifier-FOUR-KB-MULTI-CLASS-1588179693504"}) == \
        ask(store, "model-lineage", {"model": model})
    # the 2023 example reuses the 2020 ClassifyDocument's eventID: loaded alone, it names its endpoint only in
    # resources[] (requestParameters null)
    again = load_paths([GUIDE_NOW], store, tmp_path / "q2.jsonl")
    assert (again.records, again.loaded, dict(again.skipped)) == (1, 0, {"duplicate": 1})


def test_the_current_guide_record_with_null_request_parameters(store, tmp_path):
    summary = load_paths([GUIDE_NOW], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded) == (1, 1)
    endpoint = "arn:aws:comprehend:us-east-2:12345678910:document-classifier-endpoint/endpointExample"
    assert [(r["resource"], r["kind"]) for r in ask(store, "ai-inventory")] == [(endpoint, "comprehend-endpoint")]


def _put_role_policy(event_id: str, role: str, document: dict) -> dict:
    """PutRolePolicy as CloudTrail records it (IAM API reference; the policy document as a JSON string)."""
    return {
        "eventVersion": "1.09", "eventTime": "2026-02-01T08:00:00Z", "eventSource": "iam.amazonaws.com",
        "eventName": "PutRolePolicy", "awsRegion": "us-east-1", "eventID": event_id, "eventType": "AwsApiCall",
        "recipientAccountId": S, "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEADMIN",
                                                  "arn": f"arn:aws:iam::{S}:user/admin", "accountId": S},
        "requestParameters": {"roleName": role, "policyName": "use", "policyDocument": json.dumps(document)},
        "responseElements": None,
    }


def test_who_can_invoke_a_comprehend_endpoint(store, tmp_path):
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "comprehend:ClassifyDocument",
                                                    "Resource": f"{A}{S}:document-classifier-endpoint/*"}]}
    sagemaker_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint",
                                                             "Resource": "*"}]}
    policies = write_json(tmp_path / "policies.json", {"Records": [
        _put_role_policy("00000000-0000-4000-8000-0000000000a1", "TicketApp", allow),
        _put_role_policy("00000000-0000-4000-8000-0000000000a2", "ServingAdmin", sagemaker_only)]})
    load_paths([PLATFORM, policies], store, tmp_path / "q.jsonl")
    edges = {(src[1], dst[1]): (props["access"], props["actions"])
             for src, dst, props in store.scan_edges("CAN_INVOKE") if dst[1] == PROD}
    # the action a Comprehend endpoint takes is comprehend:ClassifyDocument, not sagemaker:InvokeEndpoint
    assert edges == {(TICKET_APP, PROD): ("potential", ["comprehend:ClassifyDocument"])}


@pytest.mark.parametrize(("arn", "actions"), [
    (PROD, ("comprehend:ClassifyDocument",)),
    (PARTS_RT, ("comprehend:DetectEntities",)),
    (f"arn:aws:sagemaker:eu-west-1:{S}:endpoint/fraud", ("sagemaker:InvokeEndpoint",)),
])
def test_endpoint_actions(arn, actions):
    assert endpoint_actions(arn) == actions


def test_openlineage_runs_carry_the_training_the_import_and_the_endpoint(platform):
    runs = {(run.job[1], run.job_type): run for run in lineage_runs(platform).runs}
    training = runs[("document-classifier/ticket-router/version/v1", "CUSTOMIZATION")]
    assert (training.integration, training.inputs, training.outputs, training.roles) == (
        "COMPREHEND", [("Dataset", f"{CORPUS}/tickets/test.csv"), ("Dataset", f"{CORPUS}/tickets/train.csv")],
        [("Model", V1)], [f"arn:aws:iam::{T}:role/ComprehendDataAccess"])
    assert training.description.startswith("Amazon Comprehend custom model training")
    analysis = runs[("key-phrases-detection-job/9e8d7c6b5a4938271605f4e3d2c1b0a9", "BATCH_INFERENCE")]
    assert (analysis.integration, analysis.description, analysis.inputs, analysis.outputs) == (
        "COMPREHEND", "Amazon Comprehend asynchronous analysis job (Start*Job)",
        [("Dataset", f"{CORPUS}/inbound/2026-02/"), ("Model", f"{A}{T}:built-in-model")],
        [("Dataset", "s3://acme-ml-artifacts/comprehend/keyphrases-out/")])
    flywheel = runs[("flywheel/ticket-router-fw", "CUSTOMIZATION")]
    assert (flywheel.description, flywheel.outputs) == (
        "Amazon Comprehend flywheel (its iterations train new versions from its datasets)", [])
    copy = runs[("import/document-classifier/ticket-router/version/imported-v1", "IMPORT_MODEL")]
    assert (copy.inputs, copy.outputs) == ([("Model", V1)], [("Model", COPY_V1)])
    deploy = runs[("deploy/document-classifier-endpoint/ticket-router-prod", "DEPLOY_ENDPOINT")]
    assert (deploy.inputs, deploy.started) == ([("Model", COPY_V2)], "2026-02-10T09:00:00Z")


FLYWHEEL = f"{A}{T}:flywheel/ticket-router-fw"


def test_a_flywheel_reads_its_data_lake_and_datasets_and_starts_from_its_active_model(platform):
    assert {(dst[1], tuple(props["channels"])) for src, dst, props in platform.scan_edges("READS")
            if src[1] == FLYWHEEL} == {("s3://acme-ml-artifacts/flywheel/ticket-router-fw/", ("data-lake",)),
                                       (f"{CORPUS}/tickets/2026-02.csv", ("train",))}
    assert [(s[1], d[1]) for s, d, _ in platform.scan_edges("BASED_ON")] == [(FLYWHEEL, V1)]
    # the version an iteration trains is not in CloudTrail: the dataset's consumer is the flywheel, no model
    assert ask(platform, "dataset-consumers", {"dataset": f"{CORPUS}/tickets/2026-02.csv"}) == [
        {"dataset": f"{CORPUS}/tickets/2026-02.csv", "read_dataset": f"{CORPUS}/tickets/2026-02.csv",
         "job": FLYWHEEL, "job_type": "CustomizationJob", "channel": "train", "model": None, "endpoints": [],
         "via": None, "link": "direct"}]
    started = ask(platform, "principal-activity", {"principal": f"arn:aws:iam::{T}:role/MLEngineer"})
    assert [r["operations"] for r in started if r["target"] == FLYWHEEL] == [
        ["CreateDataset", "CreateFlywheel", "StartFlywheelIteration"]]


def test_who_stopped_a_training_or_a_job(platform, tmp_path):
    # StopEntitiesDetectionJob names the job by id alone (API reference: request JobId, response JobId and
    # JobStatus); its ARN is the one the job's Start call returned
    stop = json.loads(PLATFORM.read_text())["Records"][0] | {
        "eventName": "StopEntitiesDetectionJob", "eventTime": "2026-02-06T07:30:00Z",
        "eventID": "00000000-0000-4000-8000-0000000000b1", "requestID": "00000000-0000-4000-8000-0000000000b2",
        "requestParameters": {"jobId": "3f1d2c4b5a69788796a5b4c3d2e1f0a1"},
        "responseElements": {"jobId": "3f1d2c4b5a69788796a5b4c3d2e1f0a1", "jobStatus": "STOP_REQUESTED"},
        "resources": None}
    load_paths([write_json(tmp_path / "stop.json", {"Records": [stop]})], platform, tmp_path / "q2.jsonl")
    rows = ask(platform, "principal-activity", {"principal": f"arn:aws:iam::{T}:role/MLEngineer"})
    assert [(r["target"], r["operations"]) for r in rows if r["target"] in (GT, ENTITIES)] == [
        (GT, ["CreateDocumentClassifier", "StopTrainingDocumentClassifier"]),
        (ENTITIES, ["StartEntitiesDetectionJob", "StopEntitiesDetectionJob"])]


def test_comprehend_is_evidence_of_ai_resources_but_not_of_sagemaker_bedrock_or_policies(platform):
    # its trainings, endpoints and jobs share SageMaker's and Bedrock's merge labels, and its model lifecycle is
    # policy state: none of that may make a question about SageMaker, Bedrock or IAM policies pass unevidenced
    assert loaded_sources(platform, ("ai-resources", "sagemaker-events", "bedrock-events", "iam-policies")) == {
        "ai-resources": True, "sagemaker-events": False, "bedrock-events": False, "iam-policies": False}
