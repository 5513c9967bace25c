"""Judged at the time of the act: Bedrock invocation logging per call hour, inference profiles judged as the
foundation model behind them, on both stores (fixtures: tests/fixtures/README.md, time-of-act/)."""

from __future__ import annotations

import copy

import pytest
from helpers import FIXTURES, fixture_json, write_json

from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from graphgov.questions.embedded.time_of_act import hour_logging_state
from loaders import bedrock
from loaders.s3_object_encryption import object_encryption

CALLS = FIXTURES / "time-of-act" / "bedrock-time-of-call.json"
LOGS = FIXTURES / "time-of-act" / "bedrock-time-of-call-invocations.jsonl"
C, D, R = "777777777777", "888888888888", "us-east-1"
FM = f"arn:aws:bedrock:{R}::foundation-model"
HAIKU, SONNET = f"{FM}/anthropic.claude-3-haiku-20240307-v1:0", f"{FM}/anthropic.claude-3-5-sonnet-20240620-v1:0"
EMBED, SDXL = f"{FM}/amazon.titan-embed-text-v2:0", f"{FM}/stability.stable-diffusion-xl-v1"
SYSTEM = f"arn:aws:bedrock:{R}:{C}:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
SUPPORT = f"arn:aws:bedrock:{R}:{C}:application-inference-profile/supportbot01"
MULTI = f"arn:aws:bedrock:{R}:{C}:application-inference-profile/multiregion02"
APP, ANALYST = f"arn:aws:iam::{C}:role/AppRole", f"arn:aws:iam::{D}:role/Analyst"


@pytest.fixture
def loaded(store, tmp_path):
    summary = load_paths([CALLS, LOGS], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined) == (16, 16, 0)
    return store


@pytest.mark.parametrize(("model_id", "foundation"), [
    ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
    ("apac.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"),
    ("mx.anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"),  # unlisted geo
    (f"arn:aws:bedrock:eu-west-1:{C}:inference-profile/eu.meta.llama3-2-3b-instruct-v1:0",
     "meta.llama3-2-3b-instruct-v1:0"),
])
def test_a_system_profile_routes_to_its_foundation_model(model_id, foundation):
    nodes, edges = [], []
    bedrock.model_rows(model_id, "eu-west-1", C, "aws", nodes, edges)
    assert [(e.type, e.dst) for e in edges] == [
        ("ROUTES_TO", f"arn:aws:bedrock:eu-west-1::foundation-model/{foundation}")]


def test_a_foundation_model_id_is_no_profile():
    nodes, edges = [], []
    bedrock.model_rows("anthropic.claude-3-haiku-20240307-v1:0", "eu-west-1", C, "aws", nodes, edges)
    assert ([n.props["kind"] for n in nodes], edges) == (["foundation-model"], [])


@pytest.mark.parametrize(("model_id", "modality"), [
    ("anthropic.claude-3-haiku-20240307-v1:0", "text"), ("amazon.titan-embed-text-v2:0", "embedding"),
    ("cohere.embed-english-v3", "embedding"), ("stability.stable-diffusion-xl-v1", "image"),
    ("amazon.titan-image-generator-v2:0", "image"), ("amazon.nova-reel-v1:0", "video"),
    ("amazon.nova-pro-v1:0", "text"), ("amazon.nova-sonic-v1:0", "audio"),
])
def test_modality_of_a_foundation_model(model_id, modality):
    assert bedrock.modality_of(model_id) == modality


def test_invocations_judged_by_the_logging_configuration_of_their_hour(loaded):
    assert ask(loaded, "bedrock-invocations-without-logging") == [
        # put 10:10 in the first call's hour (logging was off before it), then text-only delivery
        {"account": C, "region": R, "model": EMBED, "profile": None, "invocations": 2, "invocations_exact": True,
         "unlogged_hours": 2,
         "first_unlogged": "2025-04-04T10", "last_unlogged": "2025-04-04T11", "logging": "no-embedding-delivery",
         "logging_off_at": "2025-04-03T08:00:00Z"},
        # an application profile copying the system profile: judged as the foundation model behind both
        {"account": C, "region": R, "model": SONNET, "profile": MULTI, "invocations": 1, "invocations_exact": True,
         "unlogged_hours": 1,
         "first_unlogged": "2025-04-03T09", "last_unlogged": "2025-04-03T09", "logging": "off",
         "logging_off_at": "2025-04-03T08:00:00Z"},
        # 04-01 09h was logged (text delivered); only the call after the delete is a finding, and as the pair
        # also has a logged hour, its calls are not split by hour: one per unlogged hour, a lower bound
        {"account": C, "region": R, "model": HAIKU, "profile": None, "invocations": 1, "invocations_exact": False,
         "unlogged_hours": 1,
         "first_unlogged": "2025-04-03T09", "last_unlogged": "2025-04-03T09", "logging": "off",
         "logging_off_at": "2025-04-03T08:00:00Z"},
        # an image model while only text and embedding data were delivered
        {"account": C, "region": R, "model": SDXL, "profile": None, "invocations": 1, "invocations_exact": True,
         "unlogged_hours": 1,
         "first_unlogged": "2025-04-01T10", "last_unlogged": "2025-04-01T10", "logging": "no-image-delivery",
         "logging_off_at": None},
        # 04-06 10h has its invocation log record (evidence logging was on); 04-07 10h has none
        {"account": D, "region": R, "model": HAIKU, "profile": None, "invocations": 1, "invocations_exact": False,
         "unlogged_hours": 1,
         "first_unlogged": "2025-04-07T10", "last_unlogged": "2025-04-07T10", "logging": "not-evidenced",
         "logging_off_at": None},
    ]
    # negative cases: the system-profile call of 04-02 and the support-bot call of 04-05 were logged (text
    # delivery on then), although logging was deleted in between; no SUPPORT or SYSTEM row appears


def test_profile_invocations_are_judged_against_the_allow_list_as_their_foundation_model(loaded):
    assert ask(loaded, "shadow-ai", {"known_accounts": f"{C},{D}", "allowed_models": "anthropic."}) == [
        {"account": C, "principal": APP, "model": EMBED, "profile": None, "kind": "foundation-model",
         "invocations": 2, "reason": "model-not-allowed"},
        {"account": C, "principal": APP, "model": SDXL, "profile": None, "kind": "foundation-model",
         "invocations": 1, "reason": "model-not-allowed"},
    ]  # the three profile calls of an allowed foundation model are no rows
    rows = ask(loaded, "shadow-ai", {"known_accounts": f"{C},{D}", "allowed_models": "amazon.,stability."})
    assert [(r["principal"], r["model"], r["profile"], r["reason"]) for r in rows] == [
        (APP, SONNET, MULTI, "model-not-allowed"),
        (APP, SONNET, SUPPORT, "model-not-allowed"),
        (APP, SONNET, SYSTEM, "model-not-allowed"),
        (APP, HAIKU, None, "model-not-allowed"),
        (ANALYST, HAIKU, None, "model-not-allowed"),
    ]


def test_a_profile_whose_source_was_never_seen_is_not_judged_allowed(store, tmp_path):
    call = copy.deepcopy(fixture_json("time-of-act/bedrock-time-of-call.json")["Records"][-1])
    unseen = f"arn:aws:bedrock:{R}:{D}:application-inference-profile/neverseen01"
    call["requestParameters"]["modelId"], call["eventID"] = unseen, "7a000000-0000-4000-8000-999999999999"
    load_paths([write_json(tmp_path / "call.json", {"Records": [call]})], store, tmp_path / "q.jsonl")
    assert ask(store, "shadow-ai", {"known_accounts": D, "allowed_models": "anthropic."}) == [
        {"account": D, "principal": ANALYST, "model": unseen, "profile": unseen,
         "kind": "application-inference-profile", "invocations": 1, "reason": "profile-model-not-evidenced"}]


def test_inventory_shows_profiles_and_the_foundation_models_behind_them(loaded):
    assert [(r["resource"], r["kind"], r["foundation_model"]) for r in ask(loaded, "ai-inventory")] == [
        (MULTI, "bedrock-application-inference-profile", SONNET),
        (SUPPORT, "bedrock-application-inference-profile", SONNET),
        (SYSTEM, "bedrock-inference-profile", SONNET),
        (EMBED, "bedrock-foundation-model", None),
        (SONNET, "bedrock-foundation-model", None),  # only ever invoked through profiles
        (HAIKU, "bedrock-foundation-model", None),
        (SDXL, "bedrock-foundation-model", None),
    ]


SAGEMAKER = FIXTURES / "time-of-act" / "sagemaker-time-of-act.json"
S, PARTNER, EU = "121212121212", "343434343434", "eu-west-1"
SM = f"arn:aws:sagemaker:{EU}:{S}"
SHARED = f"arn:aws:sagemaker:{EU}:{PARTNER}:model-package/shared-models/3"


@pytest.fixture
def sagemaker(store, tmp_path):
    summary = load_paths([SAGEMAKER], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined) == (19, 19, 0)
    return store


def test_job_outputs_judged_with_the_output_bucket_default_encryption_of_their_time(sagemaker):
    issue = "training output without a customer KMS key"
    assert ask(sagemaker, "unencrypted-ai-artifacts") == [
        # created after DeleteBucketEncryption: the bucket fell back to SSE-S3
        {"resource": f"{SM}:training-job/after-delete-job", "resource_type": "TrainingJob", "account": S,
         "issue": issue, "output_encryption": ["acme-cmk-out=sse-s3"]},
        # the bucket's default was a customer key, but the artifact's PutObject asked for SSE-S3
        {"resource": f"{SM}:training-job/artifact-sse-job", "resource_type": "TrainingJob", "account": S,
         "issue": issue,
         "output_encryption": ["acme-cmk-out/artifacts/artifact-sse-job/output/model.tar.gz=sse-s3"]},
        # no KmsKeyId: SageMaker uses the account's aws/s3 key, and the bucket's default is AWS managed
        {"resource": f"{SM}:training-job/aws-key-job", "resource_type": "TrainingJob", "account": S,
         "issue": issue, "output_encryption": ["acme-aws-out=aws-managed-key"]},
        # an empty KmsKeyId is no key; the bucket's default encryption was never seen
        {"resource": f"{SM}:training-job/unseen-bucket-job", "resource_type": "TrainingJob", "account": S,
         "issue": issue, "output_encryption": ["acme-unseen-out=unknown"]},
    ]  # not cmk-default-job (empty key, but its bucket's default was a customer key then), nor keyed-job,
    # nor artifact-cmk-job (its PutObject named a customer key), nor artifact-default-job (Default_SSE_KMS)


@pytest.mark.parametrize(("request_params", "response", "applied", "expected"), [
    ({"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "alias/ml"},
     {"x-amz-server-side-encryption": "aws:kms"}, "SSE_KMS", "customer-key"),
    ({"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "alias/aws/s3"},
     {}, "SSE_KMS", "aws-managed-key"),
    ({"x-amz-server-side-encryption": "aws:kms"}, {"x-amz-server-side-encryption": "aws:kms"}, "SSE_KMS",
     "aws-managed-key"),
    ({}, {"x-amz-server-side-encryption": "AES256"}, "SSE_S3", "sse-s3"),
    ({}, {"x-amz-server-side-encryption": "AES256"}, "Default_SSE_S3", None),  # the bucket's state decides
    ({}, {"x-amz-server-side-encryption": "aws:kms"}, "Default_SSE_KMS", None),
    ({}, {}, None, None),  # nothing said: at least SSE-S3 since 2023, but the bucket default may be a key
])
def test_object_encryption_from_the_write_record(request_params, response, applied, expected):
    record = {"requestParameters": {"bucketName": "b", "key": "k", **request_params},
              "responseElements": response or None,
              "additionalEventData": {"SSEApplied": applied} if applied else {}}
    assert object_encryption(record) == expected


def test_an_endpoint_that_served_without_capture_is_a_finding_for_that_period(sagemaker):
    assert ask(sagemaker, "endpoints-without-data-capture") == [
        {"endpoint": f"{SM}:endpoint/scoring", "account": S, "region": EU,
         "config": f"{SM}:endpoint-config/scoring-nocapture", "data_capture": "off",
         "since": "2025-05-05T10:00:00Z", "until": "2025-05-06T10:00:00Z"},
    ]  # its current configuration captures: no row for scoring-capture


def test_a_model_package_belongs_to_the_account_in_its_arn(sagemaker):
    rows = {r["resource"]: r for r in ask(sagemaker, "ai-inventory")}
    assert (rows[SHARED]["kind"], rows[SHARED]["account"]) == ("sagemaker-model-package", PARTNER)
    group = f"arn:aws:sagemaker:{EU}:{PARTNER}:model-package-group/shared-models"
    assert [(src[1], dst[1]) for src, dst, _ in sagemaker.scan_edges("IN_GROUP")] == [(SHARED, group)]
    assert ask(sagemaker, "models-without-approved-package") == [
        {"endpoint": f"{SM}:endpoint/scoring", "model": f"{SM}:model/scoring-model", "account": S,
         "package": SHARED, "package_account": PARTNER,
         "package_status": "not-evidenced"}]  # served by the endpoint's current configuration


@pytest.mark.parametrize(("changes", "delivering", "deletes", "expected"), [
    (["2025-04-01T08:00:00Z", "2025-04-02T10:20:00Z"], {"2025-04-01T08:00:00Z", "2025-04-02T10:20:00Z"}, set(),
     ("on", None)),  # a put that keeps text delivered inside the hour: still logged throughout
    (["2025-04-01T08:00:00Z", "2025-04-02T10:20:00Z"], {"2025-04-01T08:00:00Z"}, {"2025-04-02T10:20:00Z"},
     ("changed-in-hour", "2025-04-02T10:20:00Z")),  # deleted during the hour: some calls may be unlogged
    (["2025-04-02T11:00:00Z"], {"2025-04-02T11:00:00Z"}, set(), ("not-evidenced", None)),  # only a later put
    (["2025-04-01T08:00:00Z"], set(), set(), ("no-text-delivery", None)),
])
def test_the_state_of_an_hour(changes, delivering, deletes, expected):
    assert hour_logging_state("2025-04-02T10", changes, delivering, deletes, "text") == expected
