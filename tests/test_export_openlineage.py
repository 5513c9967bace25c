"""`graphgov export openlineage`: the AI lineage as OpenLineage run events, on both stores.

Every event is validated against the spec's JSON schemas vendored in tests/openlineage/ (the core 2-0-2
and each facet used; graphgov's own facets against graphgov/export/GraphgovFacets.json), resolved locally.
The cross-account chain (tests/fixtures/lineage/cross-account-chain.json) gives dataset -> training job ->
artifact -> model -> endpoint with exact names; the demo platform the same chain at scale; `--url` posts to
a local HTTP stub that records what it received.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import FIXTURES
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from graphgov import __version__
from graphgov.cli.app import main
from graphgov.export.emit import json_lines, post
from graphgov.export.events import FACETS_SCHEMA, INSTALL_HINT, openlineage_events
from graphgov.export.naming import NamingError, arn_name, node_name, s3_name, step_name
from graphgov.ingest.pipeline import load_paths

CHAIN = FIXTURES / "lineage/cross-account-chain.json"
SCHEMAS = Path(__file__).parent / "openlineage"
CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
OLDER_CORES = [f"https://openlineage.io/spec/{v}/OpenLineage.json" for v in ("1-0-1", "1-0-2", "1-0-3")]
SPEC_FACET = re.compile(r"^https://openlineage\.io/spec/(?:facets/)?\d+-\d+-\d+/(\w+)\.json#/\$defs/(\w+)$")

SM_B, SM_C = "arn:aws:sagemaker:eu-west-1:222222222222", "arn:aws:sagemaker:eu-west-1:333333333333"
WRITER, LEGACY = "arn:aws:iam::111111111111:role/DataEngineer", "arn:aws:iam::111111111111:role/LegacyLoader"
ARTIFACT = ("s3://acme-models-b", "output/Fraud-XGB-2024/output/model.tar.gz")
MODEL, MODEL_V2 = (SM_C, "model/fraudmodel"), (SM_C, "model/fraudmodel-v2")
TRAIN, VALIDATION = ("s3://acme-data-a", "fraud/train"), ("s3://acme-data-a", "fraud/validation")
CHAIN_RUNS = [  # (time, job namespace, job name, inputs, outputs); each run is a START then a COMPLETE
    ("2024-05-02T10:00:00Z", SM_B, "training-job/fraud-xgb-2024", [TRAIN, VALIDATION], [ARTIFACT]),
    ("2024-05-03T11:00:00Z", SM_C, "deploy/model/fraudmodel", [ARTIFACT], [MODEL]),
    ("2024-06-01T08:00:00Z", SM_C, "deploy/model/fraudmodel-v2", [("s3://acme-models-c", "manual-upload/model.tar.gz")],
     [MODEL_V2]),
    ("2024-06-01T08:10:00Z", SM_C, "deploy/endpoint/fraud-endpoint", [MODEL, MODEL_V2],
     [(SM_C, "endpoint/fraud-endpoint")]),
]
DEMO_JOBS = [
    "model-customization-job/amazon.titan-text-express-v1:0:8k/dlo2m0flj0ye", "training-job/fraud-xgb-20260105-000",
    "provision/provisioned-model/31d8zi8klbpi", "deploy/model/fraud-xgb-model-000",
    "training-job/credit-xgb-baseline-20260105-001",
    "model-customization-job/amazon.titan-text-lite-v1:0:4k/9lmpc12duz2v", "processing-job/credit-prep-20260105-001",
    "training-job/credit-xgb-prepared-20260105-001", "deploy/model/credit-xgb-prepared-model-001",
    "deploy/endpoint/credit-prepared-staging-endpoint", "training-job/credit-xgb-20260105-001",
    "deploy/model/credit-xgb-model-001", "deploy/endpoint/credit-staging-endpoint",
    "training-job/fraud-xgb-20260105-002",
    "deploy/model/fraud-xgb-model-002", "deploy/model/fraud-manual-model-002", "deploy/endpoint/fraud-endpoint",
]
TRAINING_RUN_ID = "018f38bf-1d00-7509-9ded-71bff78df572"  # the client's static UUIDv7 of (start, job ARN)


def _registry() -> tuple[Registry, dict[str, str]]:
    """Every vendored schema under its `$id` (older core versions the facets name resolve to the 2-0-2
    core: see tests/openlineage/README.md); and facet file name -> its `$id`."""
    core = json.loads((SCHEMAS / "OpenLineage.json").read_text(encoding="utf-8"))
    documents = [(CORE, core), *((uri, core) for uri in OLDER_CORES)]
    vendored = {}
    for path in sorted((SCHEMAS / "facets").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        documents.append((document["$id"], document))
        vendored[path.stem] = document["$id"]
    ours = json.loads(files("graphgov.export").joinpath("GraphgovFacets.json").read_text(encoding="utf-8"))
    documents.append((ours["$id"], ours))
    registry = Registry().with_resources((uri, DRAFT202012.create_resource(doc)) for uri, doc in documents)
    return registry.crawl(), vendored


REGISTRY, VENDORED = _registry()


def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": ref}, registry=REGISTRY, format_checker=FormatChecker())


def _facets(event: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, facet name, facet) for every facet in the event."""
    yield from (("job", name, facet) for name, facet in event["job"].get("facets", {}).items())
    yield from (("run", name, facet) for name, facet in event["run"].get("facets", {}).items())
    for side in ("inputs", "outputs"):
        for dataset in event.get(side, []):
            for group in ("facets", "inputFacets", "outputFacets"):
                yield from ((group, name, facet) for name, facet in dataset.get(group, {}).items())


def validate(event: dict[str, Any]) -> set[tuple[str, str]]:
    """Validate the event and each facet in it; the (where, name) of the facets seen."""
    assert event["schemaURL"] == CORE + "#/$defs/RunEvent"
    _validator(event["schemaURL"]).validate(event)
    seen = set()
    for where, name, facet in _facets(event):
        url = facet["_schemaURL"]
        if url.startswith(FACETS_SCHEMA + "#"):
            ref = url
        else:
            match = SPEC_FACET.match(url)
            assert match and match.group(1) == match.group(2) and match.group(1) in VENDORED, url
            ref = f"{VENDORED[match.group(1)]}#/$defs/{match.group(2)}"
        _validator(ref).validate(facet)
        seen.add((where, name))
    return seen


ALL_FACETS = {("job", "jobType"), ("job", "documentation"), ("job", "ownership"), ("job", "graphgov_job"),
              ("facets", "dataSource"), ("facets", "documentation"), ("facets", "graphgov_resource")}


def _export(store: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in json_lines(openlineage_events(store))]


def _names(datasets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in datasets]


def _shape(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(e["eventType"], e["eventTime"], e["job"]["namespace"], e["job"]["name"],
             _names(e["inputs"]), _names(e["outputs"]))
            for e in events]


def _chain_shape() -> list[tuple[Any, ...]]:
    return [(state, when, namespace, name, inputs, outputs)
            for when, namespace, name, inputs, outputs in CHAIN_RUNS for state in ("START", "COMPLETE")]


def _dataset(events: list[dict[str, Any]], namespace: str, name: str) -> dict[str, Any]:
    return next(d for e in events for d in (*e["inputs"], *e["outputs"])
                if (d["namespace"], d["name"]) == (namespace, name))


def test_chain_events_name_dataset_job_artifact_model_endpoint(store, tmp_path):
    load_paths([CHAIN], store, tmp_path / "q.jsonl")
    events = _export(store)
    assert _shape(events) == _chain_shape()
    assert set().union(*(validate(e) for e in events)) == ALL_FACETS
    assert {e["producer"] for e in events} == {f"urn:graphgov:{__version__}"}
    run_ids = [e["run"]["runId"] for e in events]
    assert run_ids[0] == run_ids[1] == TRAINING_RUN_ID and len(set(run_ids)) == 4  # one id per run
    training = events[0]["job"]["facets"]
    assert {k: training["jobType"][k] for k in ("processingType", "integration", "jobType")} == {
        "processingType": "BATCH", "integration": "SAGEMAKER", "jobType": "TRAINING"}
    assert training["documentation"]["description"] == f"SageMaker training job: {SM_B}:training-job/fraud-xgb-2024"
    assert training["graphgov_job"]["arn"] == f"{SM_B}:training-job/fraud-xgb-2024"
    assert events[-1]["job"]["facets"]["jobType"]["jobType"] == "DEPLOY_ENDPOINT"
    train = _dataset(events, *TRAIN)["facets"]
    assert train["dataSource"]["name"] == train["dataSource"]["uri"] == "s3://acme-data-a"
    assert {k: v for k, v in train["graphgov_resource"].items() if not k.startswith("_")} == {
        "kind": "Dataset", "writers": [WRITER, LEGACY]}
    model = _dataset(events, *MODEL)["facets"]
    assert (model["documentation"]["description"], model["graphgov_resource"]["arn"]) == (
        "SageMaker model", f"{SM_C}:model/fraudmodel")
    assert _export(store) == events  # a re-export gives the same events, run ids included


KINDS_FIXTURES = [FIXTURES / f"lineage/{name}.json" for name in (
    "cross-account-chain", "sagemaker-registry", "sagemaker-prep", "sagemaker-tuning", "bedrock-knowledge-base")]
BR = "arn:aws:bedrock:us-east-1:222222222222"
KINDS_RUNS = [  # (COMPLETE time, job name, jobType, inputs, outputs); namespaces from the ARNs
    ("2024-04-30T10:00:00Z", f"{SM_B} processing-job/fraud-prep-0430", "PROCESSING",
     [("s3://acme-data-a", "raw/transactions")], [TRAIN, VALIDATION]),
    ("2024-05-02T10:00:00Z", f"{SM_B} training-job/fraud-xgb-2024", "TRAINING", [TRAIN, VALIDATION], [ARTIFACT]),
    ("2024-05-02T12:05:00Z", f"{SM_B} register/model-package/fraud-models/1", "REGISTER_MODEL", [ARTIFACT],
     [(SM_B, "model-package/fraud-models/1")]),
    ("2024-05-03T11:00:00Z", f"{SM_C} deploy/model/fraudmodel", "DEPLOY_MODEL", [ARTIFACT], [MODEL]),
    ("2024-05-03T12:00:00Z", f"{SM_C} deploy/model/fraud-from-registry", "DEPLOY_MODEL",
     [(SM_B, "model-package/fraud-models/1")], [(SM_C, "model/fraud-from-registry")]),
    ("2024-05-04T10:00:00Z", f"{SM_B} transform-job/fraud-batch-score", "TRANSFORM",
     [("s3://acme-data-a", "fraud/to-score"), (SM_B, "model/fraudmodel-batch")],
     [("s3://acme-data-a", "fraud/scores")]),
    ("2024-05-05T10:00:00Z", f"{SM_B} hyper-parameter-tuning-job/fraud-hpo-01", "TUNING", [TRAIN],
     [("s3://acme-models-b", "hpo/Fraud-HPO-01-003-a1b2c3d4/output/model.tar.gz")]),
    ("2024-05-06T09:00:00Z", f"{SM_C} deploy/model/fraud-hpo-best", "DEPLOY_MODEL",
     [("s3://acme-models-b", "hpo/Fraud-HPO-01-003-a1b2c3d4/output/model.tar.gz")], [(SM_C, "model/fraud-hpo-best")]),
    ("2024-06-01T08:00:00Z", f"{SM_C} deploy/model/fraudmodel-v2", "DEPLOY_MODEL",
     [("s3://acme-models-c", "manual-upload/model.tar.gz")], [MODEL_V2]),
    ("2024-06-01T08:10:00Z", f"{SM_C} deploy/endpoint/fraud-endpoint", "DEPLOY_ENDPOINT", [MODEL, MODEL_V2],
     [(SM_C, "endpoint/fraud-endpoint")]),
    ("2024-06-20T10:10:00Z", f"{BR} ingest/knowledge-base/KBID123456", "KNOWLEDGE_BASE_INGESTION",
     [("s3://acme-data-a", "support/tickets"),
      ("arn:aws:bedrock:us-east-1:", "foundation-model/amazon.titan-embed-text-v2:0")],
     [(BR, "knowledge-base/KBID123456")]),
    ("2024-06-21T10:00:00Z", f"{BR} model-invocation-job/batchjob0001", "BATCH_INFERENCE",
     [("s3://acme-data-a", "support/batch-in"),
      ("arn:aws:bedrock:us-east-1:", "foundation-model/anthropic.claude-3-haiku-20240307-v1:0")],
     [("s3://acme-bedrock-out", "batch")]),
    # the graph links an import job to the weights it reads, not (yet) to the model it makes
    ("2024-06-22T10:00:00Z", f"{BR} model-import-job/importjob001", "MODEL_IMPORT",
     [("s3://acme-models-b", "llama-ft")], []),
]


def test_every_job_kind_and_step(store, tmp_path):
    for path in KINDS_FIXTURES:
        load_paths([path], store, tmp_path / "q.jsonl")
    events = _export(store)
    for event in events:
        validate(event)
    assert [(e["eventTime"], f"{e['job']['namespace']} {e['job']['name']}", e["job"]["facets"]["jobType"]["jobType"],
             _names(e["inputs"]), _names(e["outputs"])) for e in events if e["eventType"] == "COMPLETE"] == KINDS_RUNS
    knowledge_base = _dataset(events, BR, "knowledge-base/KBID123456")["facets"]
    assert (knowledge_base["documentation"]["description"], knowledge_base["graphgov_resource"]["kind"]) == (
        "Bedrock knowledge base", "KnowledgeBase")


def test_demo_platform_events_validate_and_chain(tmp_path):
    graph = str(tmp_path / "demo.json.gz")
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "--store", graph]).exit_code == 0
    out = tmp_path / "events.jsonl"
    result = runner.invoke(main, ["export", "openlineage", "--store", graph, "--out", str(out)])
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == f"openlineage: wrote 34 events to {out} (17 runs of 17 jobs over 35 datasets)\n"
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert set().union(*(validate(e) for e in events)) == ALL_FACETS
    jobs = {e["job"]["name"]: e for e in events if e["eventType"] == "COMPLETE"}
    assert list(jobs) == DEMO_JOBS  # in start order
    # dataset -> training job -> artifact -> model -> endpoint, by name
    training = jobs["training-job/fraud-xgb-20260105-002"]
    assert _names(training["inputs"]) == [
        ("s3://acme-data-1", "fraud/card-transactions-v2/manifests/test.manifest"),
        ("s3://acme-data-1", "fraud/card-transactions-v2/train"),
        ("s3://acme-data-1", "fraud/card-transactions-v2/validation")]
    artifact = ("s3://acme-models-training", "fraud/Fraud-XGB-20260105-002/output/model.tar.gz")
    assert _names(training["outputs"]) == [artifact]
    deploy = jobs["deploy/model/fraud-xgb-model-002"]
    sm_c = "arn:aws:sagemaker:eu-west-1:333333333333"
    assert (_names(deploy["inputs"]), _names(deploy["outputs"])) == ([artifact], [(sm_c, "model/fraud-xgb-model-002")])
    endpoint = jobs["deploy/endpoint/fraud-endpoint"]
    assert (_names(endpoint["inputs"]), _names(endpoint["outputs"])) == (
        [(sm_c, "model/fraud-manual-model-002"), (sm_c, "model/fraud-xgb-model-002")],
        [(sm_c, "endpoint/fraud-endpoint")])
    customization = next(e for name, e in jobs.items() if name.endswith("/dlo2m0flj0ye"))
    assert customization["job"]["namespace"] == "arn:aws:bedrock:us-east-1:222222222222"
    assert customization["job"]["facets"]["jobType"]["integration"] == "BEDROCK"
    assert ("arn:aws:bedrock:us-east-1:", "foundation-model/amazon.titan-text-express-v1:0:8k") in _names(
        customization["inputs"])


class _Stub(BaseHTTPRequestHandler):
    """Records each POST (path, content type, JSON body); answers `status` from the `fail_at`-th on."""

    received: list[tuple[str, str, dict[str, Any]]]
    fail_at: int | None
    status: int

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        server.received.append((self.path, self.headers["Content-Type"], body))  # type: ignore[attr-defined]
        failing = server.fail_at is not None and len(server.received) >= server.fail_at  # type: ignore[attr-defined]
        self.send_response(server.status if failing else 201)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.received, server.fail_at, server.status = [], None, 201  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_url_posts_every_event_to_the_lineage_endpoint(store, tmp_path, stub):
    load_paths([CHAIN], store, tmp_path / "q.jsonl")
    assert post(openlineage_events(store), _url(stub)) == 8
    assert [(path, ctype) for path, ctype, _ in stub.received] == [("/api/v1/lineage", "application/json")] * 8
    assert _shape([body for _, _, body in stub.received]) == _chain_shape()
    stub.received.clear()  # a base URL with a path keeps it, as DataHub's /openapi/openlineage/ needs
    assert post(openlineage_events(store), _url(stub) + "/openapi/openlineage") == 8
    assert {path for path, _, _ in stub.received} == {"/openapi/openlineage/api/v1/lineage"}


def test_url_command_reports_accepted_and_refusals(tmp_path, stub):
    graph = str(tmp_path / "g.json.gz")
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(CHAIN), "--store", graph, "--quarantine",
                                str(tmp_path / "q.jsonl")]).exit_code == 0
    url = _url(stub)
    result = runner.invoke(main, ["export", "openlineage", "--store", graph, "--url", url])
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (f"openlineage: {url}/api/v1/lineage accepted 8 of 8 events "
                             "(4 runs of 4 jobs over 7 datasets)\n")
    stub.received.clear()
    stub.fail_at, stub.status = 3, 400
    result = runner.invoke(main, ["export", "openlineage", "--store", graph, "--url", url + "/"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {url}/api/v1/lineage: HTTP 400 Bad Request (2 of 8 events accepted)\n"
    assert len(stub.received) == 3
    stub.received.clear()
    stub.fail_at, stub.status = 1, 503  # retried, then given up
    result = runner.invoke(main, ["export", "openlineage", "--store", graph, "--url", url])
    assert result.stderr == f"Error: {url}/api/v1/lineage: too many 503 error responses (0 of 8 events accepted)\n"
    assert len(stub.received) == 3  # the first try and two retries


def test_unreachable_url_and_bad_options_are_one_line(tmp_path):
    graph = str(tmp_path / "g.json.gz")
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(CHAIN), "--store", graph, "--quarantine",
                                str(tmp_path / "q.jsonl")]).exit_code == 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    closed = _url(server)
    server.server_close()  # nothing listens there now
    result = runner.invoke(main, ["export", "openlineage", "--store", graph, "--url", closed])
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {closed}/api/v1/lineage: connection refused (0 of 8 events accepted)\n")
    result = runner.invoke(main, ["export", "openlineage", "--store", graph, "--url", "not-a-url"])
    assert (result.exit_code, result.stderr) == (1, "Error: --url 'not-a-url': not an http(s) URL\n")
    result = runner.invoke(main, ["export", "openlineage", "--store", graph, "--url", closed, "--out", "x.jsonl"])
    assert result.exit_code == 2 and result.stderr.endswith("Error: give --out or --url, not both\n")


def test_stdout_is_json_lines(tmp_path):
    graph = str(tmp_path / "g.json.gz")
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(CHAIN), "--store", graph, "--quarantine",
                                str(tmp_path / "q.jsonl")]).exit_code == 0
    result = runner.invoke(main, ["export", "openlineage", "--store", graph])
    assert (result.exit_code, result.stderr) == (0, "")
    assert _shape([json.loads(line) for line in result.stdout.splitlines()]) == _chain_shape()


def test_without_the_client_the_command_says_how_to_install_it(tmp_path, monkeypatch):
    graph = str(tmp_path / "g.json.gz")
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(CHAIN), "--store", graph, "--quarantine",
                                str(tmp_path / "q.jsonl")]).exit_code == 0
    monkeypatch.setitem(sys.modules, "openlineage.client.event_v2", None)  # import fails as when not installed
    result = runner.invoke(main, ["export", "openlineage", "--store", graph])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {INSTALL_HINT}\n")
    assert INSTALL_HINT == ("the OpenLineage export needs the openlineage-python client: "
                            "pip install 'graphgov[openlineage]'")


def test_the_validation_rejects_what_the_spec_rejects(tmp_path):
    """The schemas bite: a broken event or facet fails, so a passing validation means something."""
    from graphgov.stores.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "g.json.gz")
    load_paths([CHAIN], store, tmp_path / "q.jsonl")
    event = _export(store)[0]
    validate(event)
    for broken in ({**event, "eventType": "DONE"}, {k: v for k, v in event.items() if k != "producer"},
                   {**event, "run": {"runId": "run-1"}}):
        with pytest.raises(ValidationError):
            validate(broken)
    job_type = dict(event["job"]["facets"]["jobType"])
    del job_type["integration"]
    with pytest.raises(ValidationError):
        validate({**event, "job": {**event["job"], "facets": {"jobType": job_type}}})
    resource = {**event["inputs"][0]["facets"]["graphgov_resource"], "kind": "Table"}
    with pytest.raises(ValidationError):
        validate({**event, "inputs": [{**event["inputs"][0], "facets": {"graphgov_resource": resource}}]})


def test_naming():
    assert s3_name("s3://acme-data-a/fraud/train/") == ("s3://acme-data-a", "fraud/train")
    assert s3_name("s3://acme-data-a") == ("s3://acme-data-a", "/")
    assert node_name("arn:aws:s3:::acme-data-a/fraud/") == ("s3://acme-data-a", "fraud")
    assert arn_name(f"{SM_B}:training-job/fraud-xgb-2024") == (SM_B, "training-job/fraud-xgb-2024")
    assert arn_name("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k") == (
        "arn:aws:bedrock:us-east-1:", "foundation-model/amazon.titan-text-express-v1:0:8k")
    assert step_name("deploy", f"{SM_C}:endpoint/fraud-endpoint") == (SM_C, "deploy/endpoint/fraud-endpoint")
    with pytest.raises(NamingError):
        node_name("fraud/train")


