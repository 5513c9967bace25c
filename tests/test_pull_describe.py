"""`graphgov pull describe` against a moto server: the artifact a training job wrote, a customization job's inputs.

moto's DescribeTrainingJob answers a created job as Completed at once, with ModelArtifacts at SageMaker's
usual path; its GetModelCustomizationJob answers InProgress (with an outputModelArn already) and finds a
job by name only (not by ARN), so the PRODUCED edge of a completed job is checked on the documented
answer's shape, with the function that builds the delta.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from helpers import FIXTURES

from graphgov.aws.pullers.describe import AWS_CALLS, customization_job_delta, pull_describe, training_job_delta
from graphgov.cli.app import main
from graphgov.core.delta import GraphDelta
from graphgov.ingest.pipeline import load_deltas, load_paths
from graphgov.stores.embedded import EmbeddedStore
from loaders import bedrock, sagemaker

pytest_plugins = ("moto_server",)

ACCOUNT, OTHER, REGION = "123456789012", "999999999999", "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/trainer"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SM = f"arn:aws:sagemaker:{REGION}"
JOB, GONE, FOREIGN = f"{SM}:{ACCOUNT}:training-job/churn-1", f"{SM}:{ACCOUNT}:training-job/gone-1", \
    f"{SM}:{OTHER}:training-job/theirs-1"
ARTIFACT = "s3://model-bkt/churn/churn-1/output/model.tar.gz"
CJ = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/ft-1"  # moto's ARN: the job's name


def _known_jobs(store: EmbeddedStore, tmp_path: Path) -> None:
    """What CloudTrail's create calls put in the graph: three training jobs (only the output path known) and a
    customization job."""
    deltas = []
    for number, (arn, request) in enumerate([
        (JOB, {"trainingJobName": "churn-1", "outputDataConfig": {"s3OutputPath": "s3://model-bkt/churn"}}),
        (GONE, {"trainingJobName": "gone-1", "outputDataConfig": {"s3OutputPath": "s3://model-bkt/gone"}}),
        (FOREIGN, {"trainingJobName": "theirs-1"}),
    ]):
        place = sagemaker.Place("aws", REGION, arn.split(":")[4])
        nodes: list = []
        edges: list = []
        sagemaker.training_job_rows(request, place, nodes, edges)
        deltas.append(GraphDelta("test", f"e{number}", f"e{number}", f"e{number}", "2026-01-01T00:00:00Z",
                                 tuple(nodes), tuple(edges)))
    nodes, edges = [], []
    bedrock.customization_job_rows({"jobName": "ft-1"}, CJ, "aws", nodes, edges)
    deltas.append(GraphDelta("test", "e9", "e9", "e9", "2026-01-01T00:00:00Z", tuple(nodes), tuple(edges)))
    load_deltas(deltas, store, tmp_path / "known.q.jsonl")


def _aws_jobs() -> None:
    boto3.client("sagemaker", region_name=REGION).create_training_job(
        TrainingJobName="churn-1", RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": "123.dkr.ecr.us-east-1.amazonaws.com/xgb:1",
                                "TrainingInputMode": "File"},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": "s3://data-bkt/churn/train/"}}}],
        OutputDataConfig={"S3OutputPath": "s3://model-bkt/churn", "KmsKeyId": KEY},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600})
    boto3.client("bedrock", region_name=REGION).create_model_customization_job(
        jobName="ft-1", customModelName="support-ft", roleArn=ROLE,
        baseModelIdentifier="amazon.titan-text-express-v1", trainingDataConfig={"s3Uri": "s3://data-bkt/ft/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://model-bkt/ft/"}, hyperParameters={})


def _edges(store: EmbeddedStore, edge_type: str) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(src[1], dst[1], tuple(attrs.get("evidence") or ())) for src, dst, attrs in store.scan_edges(edge_type)}


def test_describe_fills_what_the_logs_leave_out(moto: str, aws_calls: set, tmp_path: Path):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    _known_jobs(store, tmp_path)
    _aws_jobs()
    aws_calls.clear()  # the setup's own calls
    session = boto3.Session(region_name=REGION)
    first = pull_describe([(ACCOUNT, session)], store, tmp_path / "q.jsonl")
    assert aws_calls <= AWS_CALLS
    assert dict(first.objects) == {"TrainingJob": 2, "TrainingJob-other-account": 1, "CustomizationJob": 1}
    assert (first.records, first.loaded, dict(first.skipped), first.quarantined) == (
        3, 2, {"gone:sagemaker:DescribeTrainingJob": 1}, 0)
    # the artifact: the inferred path confirmed by the answer; the channel, role and output key the answer names
    assert {e for e in _edges(store, "WRITES") if e[0] == JOB} == {(JOB, ARTIFACT, ("describe", "inferred-path"))}
    assert {(s, d) for s, d, _ in _edges(store, "READS")} == {
        (JOB, "s3://data-bkt/churn/train/"), (CJ, "s3://data-bkt/ft/train.jsonl")}
    assert {(s, d) for s, d, _ in _edges(store, "EXECUTES_AS")} == {(JOB, ROLE), (CJ, ROLE)}
    assert {(s, d) for s, d, _ in _edges(store, "ENCRYPTED_WITH")} == {(JOB, KEY)}
    assert {(s, d) for s, d, _ in _edges(store, "BASED_ON")} == {
        (CJ, f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1")}
    assert _edges(store, "PRODUCED") == set()  # moto's job stays InProgress
    job = dict(store.scan_nodes("CustomizationJob"))[CJ]
    assert (job["custom_model_name"], job["defined"]) == ("support-ft-ft-1", True)  # moto names it <model>-<job>

    # again: the described training job is not asked about; the running customization job is, and adds nothing
    aws_calls.clear()
    second = pull_describe([(ACCOUNT, session)], store, tmp_path / "q.jsonl")
    assert dict(second.objects) == {"TrainingJob": 1, "TrainingJob-other-account": 1, "CustomizationJob": 1}
    assert (second.records, second.loaded, dict(second.skipped)) == (
        2, 0, {"gone:sagemaker:DescribeTrainingJob": 1, "duplicate": 1})


def test_comprehend_trainings_and_flywheels_are_not_asked_of_bedrock(moto: str, aws_calls: set, tmp_path: Path):
    """They are CustomizationJobs too; a flywheel never has a PRODUCED edge, but Bedrock cannot describe it."""
    store = EmbeddedStore(tmp_path / "g.json.gz")
    load_paths([FIXTURES / "comprehend/comprehend-platform.json"], store, tmp_path / "q.jsonl")
    aws_calls.clear()
    summary = pull_describe([("222222222222", boto3.Session(region_name=REGION))], store, tmp_path / "q.jsonl")
    assert (dict(summary.objects), summary.records, aws_calls) == ({}, 0, set())


def test_completed_customization_job_produced_its_model():
    """GetModelCustomizationJob's documented answer for a completed job (Bedrock API reference shape)."""
    job = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/amazon.titan-text-express-v1:0:8k/abcdef123456"
    model = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/zyxwvu654321"
    delta = customization_job_delta({
        "jobArn": job, "jobName": "ft-2", "outputModelName": "support-ft-2", "outputModelArn": model,
        "roleArn": ROLE, "status": "Completed", "creationTime": datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc),
        "baseModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1:0:8k",
        "trainingDataConfig": {"s3Uri": "s3://data-bkt/ft/train.jsonl"},
        "validationDataConfig": {"validators": [{"s3Uri": "s3://data-bkt/ft/validation.jsonl"}]},
        "outputDataConfig": {"s3Uri": "s3://model-bkt/ft/"}, "outputModelKmsKeyArn": KEY,
        "customizationType": "FINE_TUNING",
    })
    assert (delta.event_key, delta.time, delta.source) == (f"describe:{job}:Completed", "2026-01-05T08:00:00Z",
                                                           "pull:describe")
    assert sorted((e.type, e.dst) for e in delta.edges) == [
        ("BASED_ON", f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1:0:8k"),
        ("EXECUTES_AS", ROLE), ("IN_BUCKET", "data-bkt"), ("IN_BUCKET", "data-bkt"), ("PRODUCED", model),
        ("READS", "s3://data-bkt/ft/train.jsonl"), ("READS", "s3://data-bkt/ft/validation.jsonl"),
        ("RESOURCE", ROLE),  # the role's account
    ]
    (node,) = [n for n in delta.nodes if n.type == "CustomizationJob"]
    assert {k: node.props[k] for k in ("custom_model_name", "kms_key_ref", "customization_type")} == {
        "custom_model_name": "support-ft-2", "kms_key_ref": KEY, "customization_type": "FINE_TUNING"}
    (produced,) = [n for n in delta.nodes if n.key == model]
    assert produced.props["kind"] == "custom-model"


def test_training_job_without_artifacts_keeps_the_inferred_path():
    delta = training_job_delta({
        "TrainingJobArn": JOB, "TrainingJobName": "churn-1", "TrainingJobStatus": "InProgress",
        "CreationTime": datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc),
        "OutputDataConfig": {"S3OutputPath": "s3://model-bkt/churn"}})
    assert [(e.dst, dict(e.props)) for e in delta.edges if e.type == "WRITES"] == [
        (ARTIFACT, {"evidence": ["inferred-path"]})]
    assert delta.event_key == f"describe:{JOB}:InProgress"


def test_command(moto: str, aws_calls: set, tmp_path: Path):
    store_path = tmp_path / "g.json.gz"
    store = EmbeddedStore(store_path)
    _known_jobs(store, tmp_path)
    store.close()
    _aws_jobs()
    aws_calls.clear()
    result = CliRunner().invoke(main, ["pull", "describe", "--store", str(store_path), "--format", "json",
                                       "--quarantine", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.output)
    assert (out["records"], out["loaded"], out["objects"]) == (
        3, 2, {"CustomizationJob": 1, "TrainingJob": 2, "TrainingJob-other-account": 1})
    assert aws_calls <= AWS_CALLS


@pytest.mark.parametrize("status", ["Failed", "Completed"])
def test_a_final_answer_is_not_asked_again(moto: str, aws_calls: set, tmp_path: Path, status: str):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    _known_jobs(store, tmp_path)
    final = training_job_delta({"TrainingJobArn": GONE, "TrainingJobStatus": status,
                                "CreationTime": datetime(2026, 1, 5, tzinfo=timezone.utc)})
    load_deltas([final], store, tmp_path / "f.q.jsonl")
    summary = pull_describe([(ACCOUNT, boto3.Session(region_name=REGION))], store, tmp_path / "q.jsonl")
    # gone-1 is not asked about; churn-1 and ft-1 are, and moto (empty here) knows neither
    assert dict(summary.objects) == {"TrainingJob-final": 1, "TrainingJob": 1, "TrainingJob-other-account": 1,
                                     "CustomizationJob": 1}
    assert dict(summary.skipped) == {"gone:sagemaker:DescribeTrainingJob": 1,
                                     "gone:bedrock:GetModelCustomizationJob": 1}
    assert aws_calls == {("sagemaker", "DescribeTrainingJob"), ("bedrock", "GetModelCustomizationJob")}


def test_denied_describes_are_one_gap_line_and_exit_3(moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from botocore.awsrequest import AWSResponse

    def deny(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse(None, 400, {}, None), {"Error": {"Code": "AccessDeniedException", "Message": "denied"},
                                                  "ResponseMetadata": {"HTTPStatusCode": 400}}

    session = boto3.Session(region_name=REGION)
    session.events.register("before-call.sagemaker.DescribeTrainingJob", deny)
    store_path = tmp_path / "g.json.gz"
    store = EmbeddedStore(store_path)
    _known_jobs(store, tmp_path)
    store.close()
    _aws_jobs()
    monkeypatch.setattr("graphgov.cli.accounts.aws_session", lambda profile=None: session)
    args = ["pull", "describe", "--store", str(store_path), "--quarantine", str(tmp_path / "q.jsonl")]
    line = f"gap: sagemaker:DescribeTrainingJob denied on {SM}:{ACCOUNT}:training-job/* (2 jobs)"
    partial = CliRunner().invoke(main, [*args, "--format", "json"])
    assert partial.exit_code == 3, partial.output
    assert partial.stderr.splitlines() == [line, "partial pull: 1 gap (exit 3; --allow-partial exits 0)"]
    out = json.loads(partial.stdout)
    # the customization job is still described and loaded
    assert (out["records"], out["loaded"], out["skipped"]) == (3, 1, {"access_denied:sagemaker:DescribeTrainingJob": 2})
    assert out["gaps"] == [{"action": "sagemaker:DescribeTrainingJob", "how": "denied",
                            "resource": f"{SM}:{ACCOUNT}:training-job/*", "count": 2, "unit": "job"}]
    allowed = CliRunner().invoke(main, [*args, "--allow-partial"])
    assert (allowed.exit_code, allowed.stderr.splitlines()) == (0, [line])
