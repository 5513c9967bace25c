"""`graphgov lineage`: the lineage subgraph of an endpoint or model as a tree and as JSON, on both stores.

The cross-account chain (tests/fixtures/lineage/cross-account-chain.json) gives endpoint -> config ->
models -> artifact -> training job -> datasets and their writers; the three-account access chain
(tests/fixtures/access/three-account-chain.json), with a model added on its job's artifact, gives readers.
"""

from __future__ import annotations

import copy
import html
import json
import re

import pytest
from click.testing import CliRunner
from helpers import FIXTURES, fixture_json, write_json

from graphgov.cli.app import main
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import QuestionError
from graphgov.questions.lineage import Lineage, as_json, as_text, build_lineage
from graphgov.report.lineage_html import unknowns

CHAIN = FIXTURES / "lineage/cross-account-chain.json"
SM_C = "arn:aws:sagemaker:eu-west-1:333333333333:"
ENDPOINT, CONFIG = SM_C + "endpoint/fraud-endpoint", SM_C + "endpoint-config/fraudconfig-v2"
MODEL, MODEL_V2 = SM_C + "model/fraudmodel", SM_C + "model/fraudmodel-v2"
JOB = "arn:aws:sagemaker:eu-west-1:222222222222:training-job/fraud-xgb-2024"
ARTIFACT = "s3://acme-models-b/output/Fraud-XGB-2024/output/model.tar.gz"
TRAIN, VALIDATION = "s3://acme-data-a/fraud/train", "s3://acme-data-a/fraud/validation/"
WRITER, LEGACY = "arn:aws:iam::111111111111:role/DataEngineer", "arn:aws:iam::111111111111:role/LegacyLoader"

ENDPOINT_TEXT = f"""\
endpoint {ENDPOINT}
  config {CONFIG}
    model {MODEL}
      artifact {ARTIFACT}
        training job {JOB}
          dataset {TRAIN} (channel train)
            written by {WRITER}
            written by {LEGACY}
          dataset {VALIDATION} (channel validation)
            written by {WRITER}
    model {MODEL_V2}
      (no training job known: lineage not evidenced)
"""

D, T, V = "222222222222", "111111111111", "999999999999"
DATA_ACCESS, TRAINING = f"arn:aws:iam::{D}:role/DataAccess", f"arn:aws:iam::{T}:role/TrainingRole"
VENDOR, SM = f"arn:aws:iam::{V}:root", "sagemaker.amazonaws.com"
FRAUD, SHARED = "s3://acme-training-data/fraud/", "s3://acme-training-data/shared/"
T_JOB = f"arn:aws:sagemaker:eu-west-1:{T}:training-job/fraud-train"
T_MODEL = f"arn:aws:sagemaker:eu-west-1:{T}:model/fraud-train-model"
T_ARTIFACT = "s3://acme-models-t/output/fraud-train/output/model.tar.gz"

READERS_TEXT = f"""\
model {T_MODEL}
  artifact {T_ARTIFACT}
    training job {T_JOB}
      dataset {FRAUD} (channel train)
        readable by {TRAINING} (potential)
        readable by {DATA_ACCESS} (potential)
        readable by {VENDOR} (conditional)
        readable by {SM} (potential)
        read by {DATA_ACCESS} (observed)
      dataset {SHARED} (channel validation)
        readable by {TRAINING} (potential)
        readable by {DATA_ACCESS} (potential)
        readable by {VENDOR} (potential)
        readable by {SM} (potential)
"""


def _node(label: str, key: str, name: str | None = None) -> dict:
    return {"id": f"{label}:{key}", "label": label, "key": key, "name": name or key}


def _edge(edge_type: str, src: tuple[str, str], dst: tuple[str, str], **props) -> dict:
    return {"type": edge_type, "source": f"{src[0]}:{src[1]}", "target": f"{dst[0]}:{dst[1]}", **props}


def _load_access_chain_with_model(store, tmp_path) -> None:
    """The access chain plus a CreateModel on the artifact its training job wrote."""
    model = copy.deepcopy(next(r for r in fixture_json("lineage/cross-account-chain.json")["Records"]
                               if r["eventName"] == "CreateModel"))
    model["requestParameters"]["modelName"] = "Fraud-Train-Model"
    model["requestParameters"]["primaryContainer"]["modelDataUrl"] = T_ARTIFACT
    model["responseElements"]["modelArn"] = T_MODEL
    model.update(eventTime="2026-03-04T08:00:00Z", eventID="00000000-0000-4000-8000-0000000000aa",
                 recipientAccountId=T)
    records = [*fixture_json("access/three-account-chain.json")["Records"], model]
    summary = load_paths([write_json(tmp_path / "a.json", {"Records": records})], store, tmp_path / "q.jsonl")
    assert (summary.loaded, summary.quarantined) == (10, 0)


def test_endpoint_lineage_tree_and_json(store, tmp_path):
    load_paths([CHAIN], store, tmp_path / "q.jsonl")
    lineage = build_lineage(store, "Fraud-Endpoint")
    assert as_text(lineage) == ENDPOINT_TEXT
    assert as_text(build_lineage(store, SM_C + "endpoint/Fraud-Endpoint")) == ENDPOINT_TEXT  # mixed-case ARN
    ep, cfg, m, m2 = ("Endpoint", ENDPOINT), ("EndpointConfig", CONFIG), ("Model", MODEL), ("Model", MODEL_V2)
    art, job = ("ModelArtifact", ARTIFACT), ("TrainingJob", JOB)
    train, validation = ("Dataset", TRAIN), ("Dataset", VALIDATION)
    writer, legacy = ("AWSPrincipal", WRITER), ("AWSPrincipal", LEGACY)
    assert as_json(lineage) == {
        "root": f"Endpoint:{ENDPOINT}",
        "nodes": [_node(*writer), _node(*legacy), _node(*train), _node(*validation),
                  _node(*ep, "fraud-endpoint"), _node(*cfg, "fraudconfig-v2"), _node(*m, "fraudmodel"),
                  _node(*m2, "fraudmodel-v2"), _node(*art), _node(*job, "fraud-xgb-2024")],
        "edges": [_edge("WROTE", writer, train), _edge("WROTE", writer, validation), _edge("WROTE", legacy, train),
                  _edge("USES_CONFIG", ep, cfg), _edge("SERVES", cfg, m), _edge("SERVES", cfg, m2),
                  _edge("FROM_ARTIFACT", m, art), _edge("READS", job, train, channels=["train"]),
                  _edge("READS", job, validation, channels=["validation"]), _edge("WRITES", job, art)],
    }


def test_model_lineage_tree(store, tmp_path):
    load_paths([CHAIN], store, tmp_path / "q.jsonl")
    model_text = "\n".join(line[4:] for line in ENDPOINT_TEXT.splitlines()[2:10]) + "\n"
    assert as_text(build_lineage(store, "FraudModel")) == model_text
    assert as_text(build_lineage(store, "FRAUDMODEL-V2")) == (
        f"model {MODEL_V2}\n  (no training job known: lineage not evidenced)\n")


def test_readers_of_the_training_data(store, tmp_path):
    _load_access_chain_with_model(store, tmp_path)
    lineage = build_lineage(store, T_MODEL)
    assert as_text(lineage) == READERS_TEXT
    readers = [e for e in as_json(lineage)["edges"] if e["type"] in ("CAN_READ", "READ")]
    fraud_via = f"{DATA_ACCESS}#inline:ReadTrainingData#ReadFraudAndShared"
    assert [(e["type"], e["source"], e["target"], e["access"]) for e in readers] == [
        ("CAN_READ", f"AWSPrincipal:{TRAINING}", f"Dataset:{FRAUD}", "potential"),
        ("CAN_READ", f"AWSPrincipal:{TRAINING}", f"Dataset:{SHARED}", "potential"),
        ("CAN_READ", f"AWSPrincipal:{DATA_ACCESS}", f"Dataset:{FRAUD}", "potential"),
        ("READ", f"AWSPrincipal:{DATA_ACCESS}", f"Dataset:{FRAUD}", "observed"),
        ("CAN_READ", f"AWSPrincipal:{DATA_ACCESS}", f"Dataset:{SHARED}", "potential"),
        ("CAN_READ", f"AWSPrincipal:{VENDOR}", f"Dataset:{FRAUD}", "conditional"),
        ("CAN_READ", f"AWSPrincipal:{VENDOR}", f"Dataset:{SHARED}", "potential"),
        ("CAN_READ", f"AWSPrincipal:{SM}", f"Dataset:{FRAUD}", "potential"),
        ("CAN_READ", f"AWSPrincipal:{SM}", f"Dataset:{SHARED}", "potential"),
    ]
    assert readers[2]["via"] == [fraud_via]
    assert readers[3]["via"] == ["cloudtrail:GetObject"]
    assert readers[5]["via"] == [fraud_via, f"assume:{DATA_ACCESS}", f"trust:{DATA_ACCESS}#Vendor"]


def test_unknown_name_is_one_error(store, tmp_path):
    load_paths([CHAIN], store, tmp_path / "q.jsonl")
    with pytest.raises(QuestionError, match=r"^lineage: no endpoint or model in the graph matches 'nope'$"):
        build_lineage(store, "nope")


def test_command_text_json_and_error_embedded(tmp_path):
    graph = str(tmp_path / "g.json.gz")
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(CHAIN), "--store", graph, "--quarantine",
                                str(tmp_path / "q.jsonl")]).exit_code == 0
    result = runner.invoke(main, ["lineage", "Fraud-Endpoint", "--store", graph])
    assert (result.exit_code, result.output) == (0, ENDPOINT_TEXT)
    result = runner.invoke(main, ["lineage", "fraud-endpoint", "--store", graph, "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert document["root"] == f"Endpoint:{ENDPOINT}"
    assert len(document["nodes"]) == 10 and len(document["edges"]) == 10
    result = runner.invoke(main, ["lineage", "nope", "--store", graph])
    assert result.exit_code != 0
    assert result.output == "Error: lineage: no endpoint or model in the graph matches 'nope'\n"


def test_html_page_summarises_the_lineage_without_scripts(tmp_path):
    """The page's side panel is written by Python, so it reads before any click and without scripts."""
    graph, out = str(tmp_path / "g.json.gz"), tmp_path / "lineage.html"
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(CHAIN), "--store", graph, "--quarantine",
                                str(tmp_path / "q.jsonl")]).exit_code == 0
    result = runner.invoke(main, ["lineage", "fraud-endpoint", "--store", graph, "--html", str(out)])
    assert result.exit_code == 0, result.output
    panel = re.search(r'<dl class="summary">(.*?)</dl>', out.read_text(encoding="utf-8")).group(1)
    lines = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"</d[td]>", "\n", panel))).splitlines()
    assert lines == ["Root", "endpoint fraud-endpoint",
                     "Training data per channel", f"train: {TRAIN}", f"validation: {VALIDATION}",
                     "Wrote the datasets (CloudTrail)", "role/DataEngineer (111111111111): 2 datasets",
                     "role/LegacyLoader (111111111111): 1 dataset",
                     "Not known", "model fraudmodel-v2: no training job known (lineage not evidenced)"]
    assert '<body class="wide">' in out.read_text(encoding="utf-8")  # the picture takes the window's width


def test_unknowns_name_every_missing_link():
    endpoint, bare = ("Endpoint", ENDPOINT), ("Endpoint", SM_C + "endpoint/bare-endpoint")
    job, prep = ("TrainingJob", JOB), ("ProcessingJob", "arn:aws:sagemaker:eu-west-1:222222222222:processing-job/prep")
    lineage = Lineage(endpoint)
    lineage.nodes.add(bare)
    lineage.add("USES_CONFIG", endpoint, ("EndpointConfig", CONFIG))
    lineage.add("SERVES", ("EndpointConfig", CONFIG), ("Model", MODEL))
    lineage.add("FROM_ARTIFACT", ("Model", MODEL), ("ModelArtifact", ARTIFACT))
    lineage.nodes.add(job)
    lineage.add("FEEDS", prep, ("Dataset", TRAIN), link="unknown")
    lineage.add("CAN_READ", ("AWSPrincipal", WRITER), ("Dataset", TRAIN), access="unknown", via=[])
    lineage.add("CAN_READ", ("AWSPrincipal", LEGACY), ("Dataset", TRAIN), access="potential", via=[])
    assert unknowns(lineage) == [
        f"dataset {TRAIN}: no writer recorded",
        "endpoint bare-endpoint: no endpoint configuration known",
        f"artifact {ARTIFACT}: no job known to have written it",
        "processing job prep: no input dataset known",
        "training job fraud-xgb-2024: no input dataset known",
        "1 preparation link through a manifest whose keys were not read",
        "1 read access decided by a policy never seen",
    ]
