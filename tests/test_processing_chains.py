"""Issue 11, lineage: processing chains by S3 containment, what applications invoke, personal data
through processing; exact rows on both stores.

tests/fixtures/lineage/processing-chains.json (account 222222222222, bucket acme-chain):
`Prep-Clean` (2024-06-01) reads s3://acme-pii-raw/customers/ and writes the outputs `clean/a/b` (a
folder: `clean/a/b/...`) and `clean/x/yz/`; then training jobs read
- `clean/a/b/c/` (inside the output folder: fed),
- `clean/x/y` as S3Prefix (a key-name prefix: it also reads `clean/x/yz/...`: fed),
- `clean/a/bc/` (beside the folder `clean/a/b/`: not fed, although `clean/a/b` is a key-name prefix of it),
- `clean/a/b/` but started 2024-05-31, before Prep-Clean (not a consumer),
- a ManifestFile in the bucket (its listed keys are unknown: `link` unknown);
`Prep-Features` (06-03) reads `clean/a/b/` and writes `features/`, read by `Train-Deep` (06-04), whose
artifact `Deep-Model` loads.
"""

from __future__ import annotations

import json

import pytest
from helpers import FIXTURES

from graphgov.core.s3_containment import feeds, output_folder
from graphgov.ingest.classify import classify
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from graphgov.questions.classification import parse_mapping
from graphgov.questions.lineage import as_text, build_lineage
from graphgov.stores.dataset_index import FeedIndex

CHAINS = FIXTURES / "lineage/processing-chains.json"
SM = "arn:aws:sagemaker:eu-west-1:222222222222:"
CLEAN, FEATURES = SM + "processing-job/prep-clean", SM + "processing-job/prep-features"
RAW, C = "s3://acme-pii-raw/customers/", "s3://acme-chain/"
DEEP_MODEL = SM + "model/deep-model"


def train(name: str) -> str:
    return f"{SM}training-job/{name}"


@pytest.mark.parametrize(("output", "prefix", "data_type", "expected"), [
    ("a/b/", "a/b/c/", "S3Prefix", "prefix"),  # the input lies in the output folder
    ("a/b", "a/b/c/", "S3Prefix", "prefix"),  # an output S3Uri without the slash is the same folder
    ("x/yz/", "x/y", "S3Prefix", "prefix"),  # S3Prefix x/y is a key-name prefix: it reads x/yz/...
    ("a/b/", "a/", "S3Prefix", "prefix"),  # the input reads the whole output and more
    ("a/b", "a/bc/", "S3Prefix", None),  # the output writes a/b/..., never a/bc/...
    ("a/b/", "a/bc", "S3Prefix", None),
    ("", "anything/", "S3Prefix", "prefix"),  # an output at the bucket root
    ("a/b/", "m/train.manifest", "ManifestFile", "unknown"),  # the manifest's keys were not read
    ("a/b/", "m/aug.manifest", "AugmentedManifestFile", "unknown"),
])
def test_s3_containment_rule(output, prefix, data_type, expected):
    assert feeds(output, prefix, data_type) == expected


def test_feed_index_finds_every_pair_the_rule_admits():
    """The embedded store's index only proposes candidates; it must never miss a pair `feeds` admits,
    whichever side is added first."""
    prefixes = ["", "a", "a/", "a/b", "a/b/", "a/b/c/", "a/bc/", "a/bc", "x/y", "x/yz/", "b/"]
    datasets = [(p, "S3Prefix") for p in prefixes] + [("m/t.manifest", "ManifestFile")]
    expected = {(o, d) for o in prefixes for d, t in datasets if feeds(o, d, t)}
    for outputs_first in (True, False):
        index, found = FeedIndex(), set()
        steps = [("o", p) for p in prefixes] + [("d", d) for d in datasets]
        for kind, item in steps if outputs_first else reversed(steps):
            if kind == "o":
                found |= {(item, d) for d in index.add_output("bkt", item, item)}
            else:
                found |= {(o, item[0]) for o in index.add_dataset("bkt", item[0], item[1], item[0])}
        assert {pair for pair in found if pair in expected} == expected


def test_output_folder():
    assert [output_folder(p) for p in ("", "a/b", "a/b/")] == ["", "a/b/", "a/b/"]


@pytest.fixture
def chains(store, tmp_path):
    summary = load_paths([CHAINS], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined) == (9, 9, 0)
    return store


def _consumer(read, job, channel, via, link, model=None, job_type="TrainingJob"):
    return {"dataset": RAW, "read_dataset": read, "job": job, "job_type": job_type, "channel": channel,
            "model": model, "endpoints": [], "via": via, "link": link}


def test_dataset_consumers_follow_outputs_by_s3_containment(chains):
    assert ask(chains, "dataset-consumers", {"dataset": RAW}) == [
        _consumer(C + "clean/a/b/", FEATURES, "clean", CLEAN, "derived", job_type="ProcessingJob"),
        _consumer(C + "clean/a/b/c/", train("train-inside"), "train", CLEAN, "derived"),
        _consumer(C + "clean/x/y", train("train-keyprefix"), "train", CLEAN, "derived"),
        _consumer(C + "features/train/", train("train-deep"), "train", f"{CLEAN} -> {FEATURES}", "derived",
                  model=DEEP_MODEL),
        _consumer(C + "manifests/train.manifest", train("train-manifest"), "train", CLEAN, "unknown"),
        _consumer(RAW, CLEAN, "raw", None, "direct", job_type="ProcessingJob"),
    ]


def test_negative_cases_are_absent(chains):
    jobs = {r["job"] for r in ask(chains, "dataset-consumers", {"dataset": RAW})}
    assert train("train-early") not in jobs  # started before Prep-Clean wrote anything
    assert train("train-sibling") not in jobs  # clean/a/bc/ is beside the output folder clean/a/b/
    # each still reads its own dataset: the rule removes the chain, not the job's direct reads
    assert [r["job"] for r in ask(chains, "dataset-consumers", {"dataset": C + "clean/a/bc/"})] == [
        train("train-sibling")]
    assert ask(chains, "model-lineage", {"model": DEEP_MODEL})  # a later job is still found upstream


def test_model_lineage_walks_upstream_through_processing(chains):
    row = {"model": DEEP_MODEL, "training_job": train("train-deep"), "channel": "train", "dataset_writers": []}
    assert ask(chains, "model-lineage", {"model": "Deep-Model"}) == [
        {**row, "dataset": C + "clean/a/b/", "via": FEATURES, "link": "derived"},
        {**row, "dataset": C + "features/train/", "via": None, "link": "direct"},
        {**row, "dataset": RAW, "via": f"{FEATURES} -> {CLEAN}", "link": "derived"},  # nearest first
    ]
    assert ask(chains, "models-without-lineage") == []  # Deep-Model is not served: not in use


def test_lineage_tree_agrees_with_the_questions(chains):
    text = as_text(build_lineage(chains, "Deep-Model"))
    assert text == (
        f"model {DEEP_MODEL}\n"
        "  artifact s3://acme-chain-models/output/Train-Deep/output/model.tar.gz\n"
        f"    training job {train('train-deep')}\n"
        f"      dataset {C}features/train/ (channel train)\n"
        f"        prepared by processing job {FEATURES}\n"
        f"          dataset {C}clean/a/b/ (channel clean)\n"
        f"            prepared by processing job {CLEAN}\n"
        f"              dataset {RAW} (channel raw)\n"
    )


def _model_of(store, tmp_path, job: str, name: str) -> str:
    """Load a CreateModel (Deep-Model's record) whose artifact is the training job's."""
    record = json.loads(CHAINS.read_text())["Records"][-1]
    record.update(eventTime="2024-06-05T10:00:00Z", eventID=f"9d2b0000-0000-4000-8000-{len(name):012d}")
    record["requestParameters"]["modelName"] = name
    record["requestParameters"]["primaryContainer"]["modelDataUrl"] = (
        f"s3://acme-chain-models/output/{job}/output/model.tar.gz")
    record["responseElements"] = {"modelArn": SM + f"model/{name.lower()}"}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"Records": [record]}))
    load_paths([path], store, tmp_path / "q.jsonl")
    return SM + f"model/{name.lower()}"


def test_upstream_stops_at_a_producer_that_started_later(chains, tmp_path):
    model = _model_of(chains, tmp_path, "Train-Early", "Early-Model")
    assert ask(chains, "model-lineage", {"model": model}) == [  # Prep-Clean started a day after it
        {"model": model, "training_job": train("train-early"), "channel": "train", "dataset": C + "clean/a/b/",
         "dataset_writers": [], "via": None, "link": "direct"}]
    model = _model_of(chains, tmp_path, "Train-Sibling", "Sibling-Model")
    assert [r["dataset"] for r in ask(chains, "model-lineage", {"model": model})] == [C + "clean/a/bc/"]


def test_a_batch_transform_output_feeds_training_too(store, tmp_path):
    """Any job's S3 output is a folder that later jobs may read: here a batch transform's scores
    (sagemaker-prep.json, 2024-05-04) become training data (a CreateTrainingJob record of this fixture)."""
    record = json.loads(CHAINS.read_text())["Records"][2]
    record.update(eventTime="2024-05-10T09:00:00Z", eventID="9d2b0000-0000-4000-8000-000000000777")
    record["recipientAccountId"] = "222222222222"
    record["requestParameters"].update(trainingJobName="Train-On-Scores")
    record["requestParameters"]["inputDataConfig"][0]["dataSource"]["s3DataSource"]["s3Uri"] = (
        "s3://acme-data-a/fraud/scores/2024-05/")
    record["responseElements"] = {"trainingJobArn": train("train-on-scores")}
    path = tmp_path / "train.json"
    path.write_text(json.dumps({"Records": [record]}))
    load_paths([FIXTURES / "lineage/sagemaker-prep.json", path], store, tmp_path / "q.jsonl")
    transform = SM + "transform-job/fraud-batch-score"
    assert ask(store, "dataset-consumers", {"dataset": "s3://acme-data-a/fraud/to-score/"}) == [
        {"dataset": "s3://acme-data-a/fraud/to-score/", "read_dataset": "s3://acme-data-a/fraud/scores/2024-05/",
         "job": train("train-on-scores"), "job_type": "TrainingJob", "channel": "train", "model": None,
         "endpoints": [], "via": transform, "link": "derived"},
        {"dataset": "s3://acme-data-a/fraud/to-score/", "read_dataset": "s3://acme-data-a/fraud/to-score/",
         "job": transform, "job_type": "TransformJob", "channel": "input", "model": None, "endpoints": [],
         "via": None, "link": "direct"}]


def test_lineage_tree_marks_a_manifest_step_as_possible(chains, tmp_path):
    _model_of(chains, tmp_path, "Train-Manifest", "Manifest-Model")
    assert ask(chains, "model-lineage", {"model": "Manifest-Model"})[1:] == [
        {"model": SM + "model/manifest-model", "training_job": train("train-manifest"), "channel": "train",
         "dataset": RAW, "dataset_writers": [], "via": CLEAN, "link": "unknown"}]
    assert as_text(build_lineage(chains, "Manifest-Model")).splitlines()[3:6] == [
        f"      dataset {C}manifests/train.manifest (channel train)",
        f"        possibly prepared (a manifest: its keys were not read) by processing job {CLEAN}",
        f"          dataset {RAW} (channel raw)"]


def test_personal_data_followed_through_processing(chains):
    classify(chains, parse_mapping({"rules": [{"bucket": "acme-pii-raw", "prefix": "customers/",
                                               "classification": ["personal"]}]}))
    assert ask(chains, "personal-data-in-training") == [
        {"dataset": RAW, "bucket": "acme-pii-raw", "classification": ["personal"], "jobs": [],
         "derived_jobs": [
             f"{train('train-deep')} derived from personal data via {CLEAN} -> {FEATURES}",
             f"{train('train-inside')} derived from personal data via {CLEAN}",
             f"{train('train-keyprefix')} derived from personal data via {CLEAN}",
             f"{train('train-manifest')} possibly derived from personal data via {CLEAN}"
             " (a manifest input: its keys were not read)",
         ], "readers": []},
    ]  # Train-Early (before the processing) and Train-Sibling (beside its output) are not there


# --- what applications invoke ---------------------------------------------------------------------------

B = "222222222222"
PLATFORM = FIXTURES / "lineage/bedrock-platform.json"
STATE = FIXTURES / "lineage/bedrock-customization-state.jsonl"
DEPLOYMENTS = FIXTURES / "lineage/bedrock-custom-model-deployment.json"
CUSTOM = f"arn:aws:bedrock:us-east-1:{B}:custom-model/amazon.titan-text-express-v1:0:8k/abcdefghijkl"
ORPHAN = f"arn:aws:bedrock:us-east-1:{B}:custom-model/amazon.titan-text-express-v1:0:8k/zzzzzzzzzzzz"
CJOB = f"arn:aws:bedrock:us-east-1:{B}:model-customization-job/amazon.titan-text-express-v1:0:8k/jobid123456"
PROVISIONED = f"arn:aws:bedrock:us-east-1:{B}:provisioned-model/ptabcdef1234"
DEPLOYED = f"arn:aws:bedrock:us-east-1:{B}:custom-model-deployment/dep0chat0001"
DEPLOYED_ORPHAN = f"arn:aws:bedrock:us-east-1:{B}:custom-model-deployment/dep0orph0001"
IMPORTED = f"arn:aws:bedrock:us-east-1:{B}:imported-model/importedabc1"


@pytest.fixture
def bedrock(store, tmp_path):
    summary = load_paths([PLATFORM, STATE, DEPLOYMENTS], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined) == (17, 17, 0)
    return store


@pytest.mark.parametrize("invoked", [PROVISIONED, DEPLOYED])
def test_what_applications_invoke_has_the_custom_models_lineage(bedrock, invoked):
    row = {"model": invoked, "training_job": CJOB, "dataset_writers": [], "via": None, "link": "direct"}
    assert ask(bedrock, "model-lineage", {"model": invoked}) == [
        {**row, "channel": "training", "dataset": "s3://acme-data-a/chat/train.jsonl"},
        {**row, "channel": "validation-0", "dataset": "s3://acme-data-a/chat/val.jsonl"},
    ]
    text = as_text(build_lineage(bedrock, invoked))
    assert text.splitlines()[:3] == [f"model {invoked}", f"  serves model {CUSTOM}",
                                     f"    customization job {CJOB}"]


def test_a_deployment_of_a_model_without_lineage(bedrock):
    assert ask(bedrock, "model-lineage", {"model": DEPLOYED_ORPHAN}) == [
        {"model": DEPLOYED_ORPHAN, "training_job": None, "channel": None, "dataset": None, "dataset_writers": [],
         "via": None, "link": None}]
    assert ask(bedrock, "models-without-lineage") == [  # the deployment is judged by the model behind it
        {"model": ORPHAN, "endpoints": []}, {"model": IMPORTED, "endpoints": []}]


# --- model-lineage and models-without-lineage never contradict each other ---------------------------------

ALL_KINDS = [FIXTURES / "lineage" / name for name in (
    "cross-account-chain.json", "sagemaker-prep.json", "sagemaker-registry.json", "bedrock-platform.json",
    "bedrock-customization-state.jsonl", "bedrock-knowledge-base.json", "bedrock-custom-model-deployment.json",
    "processing-chains.json")]


def test_model_lineage_and_models_without_lineage_agree_for_every_model_kind(store, tmp_path):
    load_paths(ALL_KINDS, store, tmp_path / "q.jsonl")
    models = {key: attrs for key, attrs in store.scan_nodes("Model")}
    kinds = {attrs.get("kind") or ("registry" if attrs.get("model_package") else "sagemaker")
             for attrs in models.values()}
    assert kinds >= {"sagemaker", "registry", "custom-model", "imported-model", "provisioned-model",
                     "custom-model-deployment", "foundation-model"}
    without = {r["model"] for r in ask(store, "models-without-lineage")}
    assert without == {ORPHAN, "arn:aws:sagemaker:eu-west-1:333333333333:model/fraudmodel-v2",
                       IMPORTED}
    served = {}  # what a provisioned throughput or deployment serves is judged in its place
    for src, dst, _ in store.scan_edges("PROVISIONS"):
        served[src[1]] = dst[1]
    for model in sorted(models):
        has_rows = any(r["dataset"] for r in ask(store, "model-lineage", {"model": model}))
        judged = served.get(model, model)
        assert not (has_rows and judged in without), model
        if judged in without:
            assert not has_rows, model
        if model in served:  # the invoked ARN shows exactly the lineage of the model behind it
            assert has_rows == any(r["dataset"] for r in ask(store, "model-lineage", {"model": judged})), model
