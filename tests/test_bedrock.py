"""Bedrock usage, customization lineage and logging coverage, with exact answers on both stores."""

from __future__ import annotations

import json

import pytest
from helpers import FIXTURES

from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from loaders import bedrock

PLATFORM = FIXTURES / "lineage/bedrock-platform.json"
STATE = FIXTURES / "lineage/bedrock-customization-state.jsonl"
B = "222222222222"
JOB = f"arn:aws:bedrock:us-east-1:{B}:model-customization-job/amazon.titan-text-express-v1:0:8k/jobid123456"
CUSTOM = f"arn:aws:bedrock:us-east-1:{B}:custom-model/amazon.titan-text-express-v1:0:8k/abcdefghijkl"
ORPHAN = f"arn:aws:bedrock:us-east-1:{B}:custom-model/amazon.titan-text-express-v1:0:8k/zzzzzzzzzzzz"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.fixture(params=["embedded", "neo4j"])
def store(request, tmp_path):
    chosen = request.getfixturevalue(f"{request.param}_store")
    summary = load_paths([PLATFORM, STATE], chosen, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined) == (12, 12, 0)
    return chosen


@pytest.mark.parametrize(("model_id", "key", "kind"), [
    (CLAUDE, f"arn:aws:bedrock:eu-west-1::foundation-model/{CLAUDE}", "foundation-model"),
    (f"us.{CLAUDE}", f"arn:aws:bedrock:eu-west-1:{B}:inference-profile/us.{CLAUDE}", "inference-profile"),
    (CUSTOM, CUSTOM, "custom-model"),
    (f"arn:aws:bedrock:us-east-1:{B}:provisioned-model/ptabcdef1234",
     f"arn:aws:bedrock:us-east-1:{B}:provisioned-model/ptabcdef1234", "provisioned-model"),
])
def test_model_identifiers(model_id, key, kind):
    node = bedrock.model_node(model_id, "eu-west-1", B)
    assert (node.key, node.props["kind"]) == (key, kind)
    assert ("account_id" in node.props) == (kind != "foundation-model")  # foundation models belong to no account


def test_invocations_where_logging_is_not_known_on(store):
    assert ask(store, "bedrock-invocations-without-logging") == [
        {"account": B, "region": "eu-west-1", "model": f"arn:aws:bedrock:eu-west-1::foundation-model/{CLAUDE}",
         "profile": None, "invocations": 2, "invocations_exact": True, "unlogged_hours": 1,
         "first_unlogged": "2024-06-11T09", "last_unlogged": "2024-06-11T09", "logging": "off",
         "logging_off_at": "2024-06-10T08:00:00Z"},  # put, then deleted before the Converse calls
        # an account outside the estate: never configured in the logs
        {"account": "444444444444", "region": "us-east-1",
         "model": f"arn:aws:bedrock:us-east-1::foundation-model/{CLAUDE}", "profile": None, "invocations": 1,
         "invocations_exact": True, "unlogged_hours": 1, "first_unlogged": "2024-06-11T09",
         "last_unlogged": "2024-06-11T09", "logging": "not-evidenced", "logging_off_at": None},
    ]


def test_custom_model_lineage_through_its_customization_job(store):
    rows = ask(store, "model-lineage", {"model": CUSTOM})
    assert rows == [
        {"model": CUSTOM, "training_job": JOB, "channel": "training", "dataset": "s3://acme-data-a/chat/train.jsonl",
         "dataset_writers": [], "via": None, "link": "direct"},
        {"model": CUSTOM, "training_job": JOB, "channel": "validation-0", "dataset": "s3://acme-data-a/chat/val.jsonl",
         "dataset_writers": [], "via": None, "link": "direct"},
    ]
    assert ask(store, "dataset-consumers", {"dataset": "s3://acme-data-a/chat/train.jsonl"}) == [
        {"dataset": "s3://acme-data-a/chat/train.jsonl", "read_dataset": "s3://acme-data-a/chat/train.jsonl",
         "job": JOB, "job_type": "CustomizationJob",
         "channel": "training", "model": CUSTOM, "endpoints": [], "via": None, "link": "direct"}]


def test_models_in_use_without_lineage_skip_foundation_and_provisioned(store):
    # the provisioned throughput serves CUSTOM, which has lineage; the orphan custom model has none
    assert ask(store, "models-without-lineage") == [{"model": ORPHAN, "endpoints": []}]


def test_unencrypted_custom_model(store):
    assert ask(store, "unencrypted-ai-artifacts") == [
        {"resource": JOB, "resource_type": "CustomizationJob", "account": B,
         "issue": "custom model without a customer KMS key", "output_encryption": []}]


KB_FILE = FIXTURES / "lineage/bedrock-knowledge-base.json"


@pytest.mark.parametrize("kind", ["embedded", "neo4j"])
def test_knowledge_base_reads_another_accounts_bucket(request, tmp_path, kind):
    store = request.getfixturevalue(f"{kind}_store")
    summary = load_paths([KB_FILE], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded) == (5, 5)
    kb = f"arn:aws:bedrock:us-east-1:{B}:knowledge-base/KBID123456"
    tickets = "s3://acme-data-a/support/tickets/"
    assert ask(store, "dataset-consumers", {"dataset": tickets}) == [
        {"dataset": tickets, "read_dataset": tickets, "job": kb, "job_type": "KnowledgeBase", "channel": "DSID000001",
         "model": None, "endpoints": [], "via": None, "link": "direct"}]
    batch_in = "s3://acme-data-a/support/batch-in/"
    assert [r["job"] for r in ask(store, "dataset-consumers", {"dataset": batch_in})] == [
        f"arn:aws:bedrock:us-east-1:{B}:model-invocation-job/batchjob0001"]
    activity = ask(store, "principal-activity", {"principal": "PlatformAdmin"})
    assert [(r["action"], r["target"], r["operations"]) for r in activity] == [
        ("CREATED", kb, ["CreateDataSource", "CreateKnowledgeBase"]),
        ("CREATED", f"arn:aws:bedrock:us-east-1:{B}:model-import-job/importjob001", ["CreateModelImportJob"]),
        ("CREATED", f"arn:aws:bedrock:us-east-1:{B}:model-invocation-job/batchjob0001", ["CreateModelInvocationJob"]),
        ("STARTED_INGESTION", kb, ["StartIngestionJob"]),
    ]
    from graph_dump import dump

    owners = [e for e in map(json.loads, dump(store)["edges"]) if e["type"] == "RESOURCE" and e["dst"] == "acme-data-a"]
    assert [o["src"] for o in owners] == ["111111111111"]  # bucketOwnerAccountId: the data is another account's
