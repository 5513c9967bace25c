"""SageMaker lineage end to end, on both stores: data in one account, training in a second, serving in
a third, artifacts matched by path, mixed-case names joined to lower-cased ARNs."""

from __future__ import annotations

import copy
import json

import pytest
from helpers import FIXTURES, write_json

from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import QuestionError, ask
from loaders import cloudtrail, eventbridge

CHAIN = FIXTURES / "lineage/cross-account-chain.json"
ENDPOINT = "arn:aws:sagemaker:eu-west-1:333333333333:endpoint/fraud-endpoint"
MODEL = "arn:aws:sagemaker:eu-west-1:333333333333:model/fraudmodel"
MODEL_V2 = "arn:aws:sagemaker:eu-west-1:333333333333:model/fraudmodel-v2"
JOB = "arn:aws:sagemaker:eu-west-1:222222222222:training-job/fraud-xgb-2024"
WRITER = "arn:aws:iam::111111111111:role/DataEngineer"
LEGACY = "arn:aws:iam::111111111111:role/LegacyLoader"
TRAIN_ROWS = [
    # "fraud/train" covers "fraud/train-old/" as S3 prefixes do
    {"training_job": JOB, "channel": "train", "dataset": "s3://acme-data-a/fraud/train",
     "dataset_writers": [WRITER, LEGACY], "via": None, "link": "direct"},
    # the https:// channel URI lands on the same dataset key
    {"training_job": JOB, "channel": "validation", "dataset": "s3://acme-data-a/fraud/validation/",
     "dataset_writers": [WRITER], "via": None, "link": "direct"},
]


def chain_records() -> list[dict]:
    return json.loads(CHAIN.read_text())["Records"]


def test_training_job_rows_per_channel():
    job_record = next(r for r in chain_records() if r["eventName"] == "CreateTrainingJob")
    delta = cloudtrail.parse(job_record)
    edges = {(e.type, e.src, e.dst, tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                                   for k, v in e.props.items())))
             for e in delta.edges if e.type not in ("RESOURCE", "SESSION_OF", "IN_BUCKET")}
    artifact = "s3://acme-models-b/output/Fraud-XGB-2024/output/model.tar.gz"
    assert edges == {
        ("READS", JOB, "s3://acme-data-a/fraud/train", (("channels", ("train",)),)),
        ("READS", JOB, "s3://acme-data-a/fraud/validation/", (("channels", ("validation",)),)),
        ("WRITES", JOB, artifact, (("evidence", ("inferred-path",)),)),
        ("EXECUTES_AS", JOB, "arn:aws:iam::222222222222:role/AmazonSageMaker-ExecutionRole-2024", ()),
        ("ENCRYPTED_WITH", JOB, "arn:aws:kms:eu-west-1:222222222222:key/0b1c2d3e-1111-2222-3333-444455556666",
         (("purposes", ("output",)),)),
        ("CREATED", "arn:aws:iam::222222222222:role/MLEngineer", JOB, ()),
    }


def test_endpoint_lineage_across_three_accounts(store, tmp_path):
    summary = load_paths([CHAIN], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined) == (11, 11, 0)
    rows = ask(store, "endpoint-lineage", {"endpoint": "Fraud-Endpoint"})
    assert rows == [{"endpoint": ENDPOINT, "model": MODEL, **r} for r in TRAIN_ROWS] + [
        {"endpoint": ENDPOINT, "model": MODEL_V2, "training_job": None, "channel": None, "dataset": None,
         "dataset_writers": [], "via": None, "link": None}]
    mixed_case_arn = "arn:aws:sagemaker:eu-west-1:333333333333:endpoint/Fraud-Endpoint"  # as a user may paste it
    assert ask(store, "endpoint-lineage", {"endpoint": mixed_case_arn}) == rows
    assert ask(store, "model-lineage", {"model": "FraudModel"}) == [{"model": MODEL, **r} for r in TRAIN_ROWS]
    assert ask(store, "model-lineage", {"model": "FRAUDMODEL-V2"}) == [
        {"model": MODEL_V2, "training_job": None, "channel": None, "dataset": None, "dataset_writers": [],
         "via": None, "link": None}]


def test_endpoint_history_the_config_set_last_is_current(store, tmp_path):
    records = chain_records()
    # roll the endpoint back to v1 after v2: v1 is current again, serving only the trained model
    rollback = copy.deepcopy(next(r for r in records if r["eventName"] == "UpdateEndpoint"))
    rollback.update(eventID="7c1a0000-0000-4000-8000-999999999999", eventTime="2024-07-01T00:00:00Z")
    rollback["requestParameters"]["endpointConfigName"] = "FraudConfig-v1"
    load_paths([write_json(tmp_path / "r.json", {"Records": [*records, rollback]})], store, tmp_path / "q.jsonl")
    rows = ask(store, "endpoint-lineage", {"endpoint": ENDPOINT})
    assert [r["model"] for r in rows] == [MODEL, MODEL]
    from graph_dump import dump

    history = sorted((e["dst"].rsplit("/", 1)[1], e["since"], e.get("until"), e["current"])
                     for e in map(json.loads, dump(store)["edges"]) if e["type"] == "USES_CONFIG")
    assert history == [  # v1 set at creation and again by the rollback: its latest period is kept
        ("fraudconfig-v1", "2024-07-01T00:00:00Z", None, True),
        ("fraudconfig-v2", "2024-06-01T08:10:00Z", "2024-07-01T00:00:00Z", False),
    ]


def test_endpoint_name_in_two_regions_is_ambiguous(store, tmp_path):
    records = chain_records()
    other = copy.deepcopy(next(r for r in records if r["eventName"] == "CreateEndpoint"))
    other.update(eventID="7c1a0000-0000-4000-8000-888888888888", awsRegion="us-east-1",
                 responseElements={"endpointArn": "arn:aws:sagemaker:us-east-1:333333333333:endpoint/fraud-endpoint"})
    load_paths([write_json(tmp_path / "r.json", {"Records": [*records, other]})], store, tmp_path / "q.jsonl")
    with pytest.raises(QuestionError) as error:
        ask(store, "endpoint-lineage", {"endpoint": "Fraud-Endpoint"})
    assert str(error.value) == (
        "endpoint-lineage: 'Fraud-Endpoint' is ambiguous; it matches 2 endpoints: "
        "arn:aws:sagemaker:eu-west-1:333333333333:endpoint/fraud-endpoint, "
        "arn:aws:sagemaker:us-east-1:333333333333:endpoint/fraud-endpoint")
    assert len(ask(store, "endpoint-lineage", {"endpoint": ENDPOINT})) == 3  # the ARN is never ambiguous


def test_state_change_artifact_confirms_the_inferred_path(store, tmp_path):
    state_change = {
        "version": "0", "id": "5f3c0e4e-1a2b-4c5d-8e9f-000000000001",
        "detail-type": "SageMaker Training Job State Change",
        "source": "aws.sagemaker", "account": "222222222222", "time": "2024-05-02T11:00:00Z", "region": "eu-west-1",
        "resources": [JOB],
        "detail": {"TrainingJobName": "Fraud-XGB-2024", "TrainingJobArn": JOB, "TrainingJobStatus": "Completed",
                   "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
                       "S3DataType": "S3Prefix", "S3Uri": "s3://acme-data-a/fraud/train"}}}],
                   "OutputDataConfig": {"S3OutputPath": "s3://acme-models-b/output/"},
                   "ModelArtifacts": {"S3ModelArtifacts":
                                      "s3://acme-models-b/output/Fraud-XGB-2024/output/model.tar.gz"},
                   "CreationTime": "1714640400000", "Tags": {}},
    }
    delta = eventbridge.parse(state_change)
    assert {(e.type, e.dst, tuple(e.props.get("evidence", ()))) for e in delta.edges if e.type == "WRITES"} == {
        ("WRITES", "s3://acme-models-b/output/Fraud-XGB-2024/output/model.tar.gz", ("state-change",))}
    load_paths([CHAIN, write_json(tmp_path / "eb.json", state_change)], store, tmp_path / "q.jsonl")
    assert [r["evidence"] for r in _writes(store)] == [["inferred-path", "state-change"]]


def _writes(store) -> list[dict]:
    from graph_dump import dump

    return [e for e in map(json.loads, dump(store)["edges"]) if e["type"] == "WRITES"]


def test_missing_request_parameters_are_quarantined(store, tmp_path):
    record = copy.deepcopy(next(r for r in chain_records() if r["eventName"] == "CreateTrainingJob"))
    record["requestParameters"] = None  # CloudTrail omits requestParameters above 100 KB
    summary = load_paths([write_json(tmp_path / "r.json", [record])], store, tmp_path / "q.jsonl")
    assert summary.quarantined == 1
    entry = json.loads((tmp_path / "q.jsonl").read_text())
    assert entry["error"] == "CreateTrainingJob: no requestParameters (CloudTrail omits them above 100 KB)"
    with pytest.raises(QuestionError, match="no endpoint in the graph matches 'Fraud-Endpoint'"):
        ask(store, "endpoint-lineage", {"endpoint": "Fraud-Endpoint"})


PREP = FIXTURES / "lineage/sagemaker-prep.json"
B_ = "arn:aws:sagemaker:eu-west-1:222222222222:"
PREP_JOB = B_ + "processing-job/fraud-prep-0430"


def test_dataset_consumers_follow_data_preparation_down_to_endpoints(store, tmp_path):
    summary = load_paths([CHAIN, PREP], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded) == (15, 15)
    raw = "s3://acme-data-a/raw/transactions/"
    assert ask(store, "dataset-consumers", {"dataset": raw}) == [
        {"dataset": raw, "read_dataset": "s3://acme-data-a/fraud/train",
         "job": B_ + "hyper-parameter-tuning-job/fraud-hpo-01", "job_type": "TuningJob", "channel": "train",
         "model": None, "endpoints": [], "via": PREP_JOB, "link": "derived"},
        {"dataset": raw, "read_dataset": "s3://acme-data-a/fraud/train", "job": JOB, "job_type": "TrainingJob",
         "channel": "train", "model": MODEL, "endpoints": [ENDPOINT], "via": PREP_JOB, "link": "derived"},
        {"dataset": raw, "read_dataset": "s3://acme-data-a/fraud/validation/", "job": JOB, "job_type": "TrainingJob",
         "channel": "validation", "model": MODEL, "endpoints": [ENDPOINT], "via": PREP_JOB, "link": "derived"},
        {"dataset": raw, "read_dataset": raw, "job": PREP_JOB, "job_type": "ProcessingJob",
         "channel": "raw", "model": None, "endpoints": [], "via": None, "link": "direct"},
    ]
    assert ask(store, "unencrypted-ai-artifacts") == [
        {"resource": B_ + "hyper-parameter-tuning-job/fraud-hpo-01", "resource_type": "TuningJob",
         "account": "222222222222", "issue": "training output without a customer KMS key",
         "output_encryption": ["acme-models-b=unknown"]},
        {"resource": B_ + "transform-job/fraud-batch-score", "resource_type": "TransformJob",
         "account": "222222222222", "issue": "transform output without a customer KMS key",
         "output_encryption": ["acme-data-a=unknown"]},
        {"resource": "arn:aws:sagemaker:eu-west-1:333333333333:endpoint-config/fraudconfig-v1",
         "resource_type": "EndpointConfig", "account": "333333333333",
         "issue": "endpoint storage volume without a customer KMS key", "output_encryption": []},
        {"resource": "arn:aws:sagemaker:eu-west-1:333333333333:endpoint-config/fraudconfig-v2",
         "resource_type": "EndpointConfig", "account": "333333333333",
         "issue": "data capture without a customer KMS key", "output_encryption": []},
        {"resource": "arn:aws:sagemaker:eu-west-1:333333333333:endpoint-config/fraudconfig-v2",
         "resource_type": "EndpointConfig", "account": "333333333333",
         "issue": "endpoint storage volume without a customer KMS key", "output_encryption": []},
    ]  # the processing job and the training job name customer keys
    assert ask(store, "models-without-lineage") == [{"model": MODEL_V2, "endpoints": [ENDPOINT]}]


def test_endpoint_lineage_goes_upstream_through_data_preparation(store, tmp_path):
    load_paths([CHAIN, PREP], store, tmp_path / "q.jsonl")
    upstream = {"training_job": JOB, "dataset": "s3://acme-data-a/raw/transactions/", "dataset_writers": [],
                "via": PREP_JOB, "link": "derived"}  # fraud/train and fraud/validation/ are its outputs
    assert ask(store, "endpoint-lineage", {"endpoint": "Fraud-Endpoint"}) == [
        {"endpoint": ENDPOINT, "model": MODEL, **r} for r in (
            TRAIN_ROWS[0], {**upstream, "channel": "train"}, TRAIN_ROWS[1], {**upstream, "channel": "validation"})
    ] + [{"endpoint": ENDPOINT, "model": MODEL_V2, "training_job": None, "channel": None, "dataset": None,
          "dataset_writers": [], "via": None, "link": None}]


REGISTRY = FIXTURES / "lineage/sagemaker-registry.json"
PACKAGE = B_ + "model-package/fraud-models/1"


def test_lineage_through_the_model_registry(store, tmp_path):
    summary = load_paths([CHAIN, REGISTRY], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded) == (15, 15)
    from_registry = "arn:aws:sagemaker:eu-west-1:333333333333:model/fraud-from-registry"
    assert ask(store, "model-lineage", {"model": "Fraud-From-Registry"}) == [
        {"model": from_registry, **row} for row in TRAIN_ROWS]
    consumers = ask(store, "dataset-consumers", {"dataset": "s3://acme-data-a/fraud/train"})
    assert [r["model"] for r in consumers] == [from_registry, MODEL]
    from graph_dump import dump

    approvals = sorted((e["type"], e["last_seen"]) for e in map(json.loads, dump(store)["edges"])
                       if e["type"] in ("APPROVED", "REJECTED", "PENDING_APPROVAL") and e["dst"] == PACKAGE)
    assert approvals == [("APPROVED", "2024-05-02T15:00:00Z"), ("PENDING_APPROVAL", "2024-05-02T12:05:00Z")]


def test_sagemaker_guide_state_change_samples(store, tmp_path):
    summary = load_paths([FIXTURES / "eventbridge/sagemaker-dev-guide-events.jsonl"], store, tmp_path / "q.jsonl")
    # endpoint and model-package changes load; the training and transform samples hold placeholder
    # URIs ("S3Uri") and are quarantined with that error; the other 7 detail-types are not modelled
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (
        11, 2, {"unsupported_event": 7}, 2)
    errors = sorted(json.loads(x)["error"] for x in (tmp_path / "q.jsonl").read_text().splitlines())
    assert errors == ["dataset S3Uri: not an S3 location: 'S3Uri'", "dataset S3Uri: not an S3 location: 's3Uri'"]
    from graph_dump import dump

    edges = {(e["type"], e["src"], e["dst"]) for e in map(json.loads, dump(store)["edges"]) if e["type"] != "IN_BUCKET"}
    package = "arn:aws:sagemaker:us-east-2:123456789012:model-package/versionedmp-p-idy6c3e1fiqj/2"
    assert edges == {
        ("USES_CONFIG", "arn:aws:sagemaker:us-west-2:123456789012:endpoint/myendpoint",
         "arn:aws:sagemaker:us-west-2:123456789012:endpoint-config/myendpointconfig"),
        ("IN_GROUP", package,
         "arn:aws:sagemaker:us-east-2:123456789012:model-package-group/versionedmp-p-idy6c3e1fiqj"),
        ("FROM_ARTIFACT", package, "s3://sagemaker-project-p-idy6c3e1fiqj/versionedmp-p-idy6c3e1fiqj/AbaloneTrain/"
                                   "pipelines-4r83jejmhorv-TrainAbaloneModel-xw869y8C4a/output/model.tar.gz"),
    }


TUNING = FIXTURES / "lineage/sagemaker-tuning.json"


@pytest.mark.parametrize("order", ["tuning-first", "model-first"])
def test_models_from_tuning_jobs_keep_their_lineage(store, tmp_path, order):
    paths = [CHAIN, PREP, TUNING] if order == "tuning-first" else [TUNING, CHAIN, PREP]
    for path in paths:
        load_paths([path], store, tmp_path / "q.jsonl")
    best = "arn:aws:sagemaker:eu-west-1:333333333333:model/fraud-hpo-best"
    assert ask(store, "model-lineage", {"model": "Fraud-HPO-Best"}) == [
        {"model": best, "training_job": B_ + "hyper-parameter-tuning-job/fraud-hpo-01", "channel": "train",
         "dataset": "s3://acme-data-a/fraud/train", "dataset_writers": [WRITER, LEGACY],
         "via": None, "link": "direct"},
        {"model": best, "training_job": B_ + "hyper-parameter-tuning-job/fraud-hpo-01", "channel": "train",
         "dataset": "s3://acme-data-a/raw/transactions/", "dataset_writers": [],
         "via": PREP_JOB, "link": "derived"}]  # fraud/train is the processing job's output


def test_service_started_training_job_without_request_is_skipped_with_reason(store, tmp_path):
    summary = load_paths([TUNING], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, dict(summary.skipped)) == (2, 1, {"service_event_without_request": 1})


def test_data_capture_switched_off_is_no_data_capture():
    import copy

    from helpers import fixture_json

    from loaders.cloudtrail import parse

    record = next(r for r in fixture_json("lineage/cross-account-chain.json")["Records"]
                  if r["eventName"] == "CreateEndpointConfig")
    record = copy.deepcopy(record)
    record["requestParameters"]["dataCaptureConfig"] = {
        "enableCapture": False, "initialSamplingPercentage": 100, "destinationS3Uri": "s3://capture/endpoint/",
        "captureOptions": [{"captureMode": "Input"}]}
    (config,) = [n for n in parse(record).nodes if n.type == "EndpointConfig"]
    assert config.props["data_capture_uri"] is None
    record["requestParameters"]["dataCaptureConfig"]["enableCapture"] = "true"
    (config,) = [n for n in parse(record).nodes if n.type == "EndpointConfig"]
    assert config.props["data_capture_uri"] == "s3://capture/endpoint/"
