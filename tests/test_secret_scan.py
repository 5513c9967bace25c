"""Issue 12's scan: credentials and model prompts/responses planted in every input shape never reach the
store, the quarantine file, the CLI's output or the Lambda handler's logs, on both stores.

Each planted string is unique; the test counts its occurrences in every place graphgov writes (the
embedded store's files decompressed, every node and edge property of Neo4j, the quarantine file, stdout
and stderr, the log records) and expects 0 for each. The counts of the load are exact, so a record that
disappeared instead of being quarantined fails the test too.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import iam_guide_sts_records

from graphgov.aws.push_handler import handler
from graphgov.cli.app import main

KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # an identifier: kept (see the README's note on access key ids)

# Credentials in records that load: the graph must take none of them.
VALID_TOKEN = "IQoJb3JpZ2luX2VjEPlantedValidSessionToken0123456789abcdefghij"
VALID_SECRET = ("PlantedValidSecret0" + "xY" * 20)[:40]
# Credentials in records that are quarantined as parsed JSON (no eventID).
QUARANTINED_TOKEN = "FwoGZXIvYXdzEPlantedQuarantinedToken"
QUARANTINED_SECRET = ("PlantedQuarantinedSecret1" + "aB" * 20)[:40]
QUARANTINED_PASSWORD = "Planted-Passw0rd-Quarantined!"
NUMERIC_PASSWORD = 73951846203  # a password that is a number: redacted as well
# Credentials in raw text (lines that are not JSON).
RAW_TOKEN = "PlantedRawSessionToken1"
QUERY_TOKEN = "PlantedQueryToken2"
INI_SECRET = "PlantedIniSecret3"
RAW_PASSWORD = "PlantedRawPassword4"
HEADER_TOKEN = "PlantedHeaderToken5"
BEARER = "PlantedBearer6"
BARE_SECRET = ("PlantedBareSecretKey7" + "aB" * 20)[:40]
BARE_STS = "IQoJb3JpZ2luPlantedBareStsToken8"
LONG_TOKEN = "PlantedLongToken9" + "A1b2" * 30
# CloudWatch Logs messages that are not JSON.
CW_PASSWORD = "PlantedCwPassword10"
CW_PROMPT = "PlantedCwPrompt11 summarise the merger plan"
# Bedrock invocation logs: prompts and responses in every body shape.
PROMPT = "PlantedPrompt12 what is my colleague's salary"
RESPONSE = "PlantedResponse13 it is confidential"
STRING_BODY = "PlantedStringBody14 Human: tell me the launch codes"
LIST_BODY = "PlantedListBody15 embedding input"
QUARANTINED_PROMPT = "PlantedQuarantinedPrompt16 draft the layoff letter"
META_TOKEN = "PlantedMetaToken17"
BROKEN_PROMPT = "PlantedBrokenPrompt18 the acquisition target is"
# A log shipper's envelope whose message is a CloudTrail record cut short.
SHIPPER_TOKEN = "PlantedShipperToken19"

PLANTED = [VALID_TOKEN, VALID_SECRET, QUARANTINED_TOKEN, QUARANTINED_SECRET, QUARANTINED_PASSWORD,
           str(NUMERIC_PASSWORD), RAW_TOKEN, QUERY_TOKEN, INI_SECRET, RAW_PASSWORD, HEADER_TOKEN, BEARER,
           BARE_SECRET, BARE_STS, LONG_TOKEN, CW_PASSWORD, CW_PROMPT, PROMPT, RESPONSE, STRING_BODY, LIST_BODY,
           QUARANTINED_PROMPT, META_TOKEN, BROKEN_PROMPT, SHIPPER_TOKEN]
# Substrings too: a prompt cut short or a token without its prefix must not survive either.
PLANTED_PARTS = sorted({p.split(" ")[0] for p in PLANTED} | {p.split(" ", 1)[1] for p in PLANTED if " " in p})

# records: CloudTrail 3 + raw lines 9 + CloudWatch messages 2 + invocation logs 5 + Filebeat lines 2; loaded:
# one AssumeRole, the raw file's valid first line, three invocation logs, the Filebeat sample; skipped: the
# AssumeRole's copy; quarantined: the rest
EXPECTED = {"records": 28, "loaded": 13, "quarantined": 14, "skipped": {"duplicate": 1}}
EXPECTED_QUARANTINE_LINES = 14


def _cloudtrail() -> dict[str, Any]:
    requester, _owner, chaining = iam_guide_sts_records()
    assumed = copy.deepcopy(requester)
    assumed["responseElements"]["credentials"].update(sessionToken=VALID_TOKEN, secretAccessKey=VALID_SECRET)
    broken = copy.deepcopy(chaining)
    del broken["eventID"]  # malformed: quarantined as parsed JSON
    broken["responseElements"]["credentials"].update(sessionToken=QUARANTINED_TOKEN,
                                                     secretAccessKey=QUARANTINED_SECRET)
    broken["requestParameters"]["password"] = QUARANTINED_PASSWORD
    broken["requestParameters"]["nested"] = [{"DbPassword": NUMERIC_PASSWORD}]
    return {"Records": [assumed, broken, copy.deepcopy(assumed)]}  # the copy: a duplicate


def _raw_lines() -> str:
    # Valid lines as many as the bad ones: the readers take a file as JSON Lines when at least half its
    # lines parse, so each bad line below is quarantined (and redacted) on its own.
    valid = [json.dumps(iam_guide_sts_records()[2] | {"eventID": f"5ca1ab1e-0000-4000-8000-00000000000{n}"})
             for n in range(1, 9)]
    lines = [
        *valid,
        '{"eventName": "AssumeRole", "responseElements": {"credentials": {"sessionToken": "' + RAW_TOKEN + '", ',
        f"GET /bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&SessionToken={QUERY_TOKEN}&X-Amz-Expires=60 HTTP/1.1",
        f"[default] aws_access_key_id = {KEY_ID} aws_secret_access_key = {INI_SECRET}",
        '{"userName": "bob", "password":"' + RAW_PASSWORD + '"',
        f"X-Amz-Security-Token: {HEADER_TOKEN}",
        f"Authorization: Bearer {BEARER}",
        f"leaked pair {KEY_ID} {BARE_SECRET} in a shell history",
        f"token {BARE_STS} and blob {LONG_TOKEN} {{",
    ]
    return "\n".join(lines) + "\n"


def _cloudwatch() -> dict[str, Any]:
    messages = ['{"eventVersion":"1.08","userName":"ops","password":"' + CW_PASSWORD + '"',
                '{"schemaType":"ModelInvocationLog","input":{"inputBodyJson":{"prompt":"' + CW_PROMPT]
    payload = {"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "app/logs",
               "logStream": "s", "subscriptionFilters": ["f"],
               "logEvents": [{"id": str(i), "timestamp": 1768208400000 + i, "message": m}
                             for i, m in enumerate(messages)]}
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()}}


def _invocation(request: str, **fields: Any) -> dict[str, Any]:
    record = {"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": "2026-01-12T09:00:00Z",
              "accountId": "123456789012", "region": "us-east-1", "requestId": request, "operation": "Converse",
              "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
              "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/SupportAssistant/helpdesk-1"}}
    return record | fields


def _bedrock() -> str:
    records = [
        _invocation("5ca1ab1e-0001-4000-8000-000000000001",
                    input={"inputContentType": "application/json", "inputTokenCount": 9, "inputBodyJson": {
                        "messages": [{"role": "user", "content": [{"text": PROMPT}]}]}},
                    output={"outputContentType": "application/json", "outputTokenCount": 7, "outputBodyJson": {
                        "output": {"message": {"role": "assistant", "content": [{"text": RESPONSE}]}}}}),
        _invocation("5ca1ab1e-0002-4000-8000-000000000002", operation="InvokeModel",
                    input={"inputTokenCount": 3, "inputBodyJson": STRING_BODY},
                    output={"outputTokenCount": 1, "outputBodyJson": [LIST_BODY, {"text": LIST_BODY}]}),
        _invocation("5ca1ab1e-0003-4000-8000-000000000003",
                    input={"inputTokenCount": 200000, "inputBodyS3Path": "s3://logs/bodies/in.json"},
                    output={"outputTokenCount": 10, "outputBodyS3Path": "s3://logs/bodies/out.json"}),
        _invocation("", requestMetadata={"apiToken": META_TOKEN},  # no requestId: quarantined as parsed JSON
                    input={"inputBodyJson": {"messages": [{"role": "user", "content": QUARANTINED_PROMPT}]}}),
    ]
    lines = [json.dumps(r) for r in records]
    lines.append('{"schemaType": "ModelInvocationLog", "input": {"inputBodyJson": {"messages": [{"content": "'
                 + BROKEN_PROMPT)  # a line cut short: raw text
    return "\n".join(lines) + "\n"


def _filebeat() -> str:
    sample = (Path(__file__).parent / "fixtures/shippers/filebeat-aws-s3-input.jsonl").read_text().splitlines()[0]
    broken = json.loads(sample)
    broken["message"] = ('{"eventVersion": "1.05", "eventName": "AssumeRole", "responseElements": '
                         '{"credentials": {"sessionToken": "' + SHIPPER_TOKEN)
    return sample + "\n" + json.dumps(broken) + "\n"


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "cloudtrail.json").write_text(json.dumps(_cloudtrail()))
    (folder / "raw.jsonl").write_text(_raw_lines())
    (folder / "cloudwatch.json").write_text(json.dumps(_cloudwatch()))
    (folder / "bedrock.jsonl").write_text(_bedrock())
    (folder / "filebeat.jsonl").write_text(_filebeat())
    return folder


@pytest.fixture(params=["embedded", "neo4j"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "embedded":
        return str(tmp_path / "store" / "graph.json.gz")
    request.getfixturevalue("neo4j_store")  # an emptied database; fails loudly without one
    return request.getfixturevalue("neo4j_uri")


def _store_text(spec: str) -> str:
    """Everything the store holds, as text: every file of the embedded store (decompressed), or every
    label, type and property of every Neo4j node and relationship."""
    if "://" not in spec:
        parts = []
        for path in sorted(Path(spec).parent.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                parts.append((gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", "replace"))
        assert parts, "the embedded store wrote nothing"
        return "\n".join(parts)
    from graphgov.stores import open_store

    store = open_store(spec)
    try:
        kwargs = {"database": store.database} if store.database else {}
        with store.driver.session(**kwargs) as session:
            nodes = [r.data() for r in session.run("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")]
            edges = [r.data() for r in session.run("MATCH ()-[r]->() RETURN type(r) AS t, properties(r) AS p")]
    finally:
        store.close()
    assert nodes and edges, "the Neo4j dump is empty"
    return json.dumps({"nodes": nodes, "edges": edges}, default=str)


def _found(text: str) -> dict[str, int]:
    return {planted: text.count(planted) for planted in PLANTED_PARTS if text.count(planted)}


def test_planted_strings_are_really_planted(inputs: Path):
    """The scan is only worth its zeros if every planted string is in the input."""
    text = "".join(p.read_text() for p in inputs.iterdir())
    decoded = gzip.decompress(base64.b64decode(_cloudwatch()["awslogs"]["data"])).decode()
    assert [p for p in PLANTED_PARTS if p not in text + decoded] == []


def test_cli_load_leaks_nothing(inputs: Path, store_spec: str, tmp_path: Path):
    quarantine = tmp_path / "quarantine.jsonl"
    runner = CliRunner()
    for run in (1, 2):  # the rerun re-reads the files (--reload): same counts, nothing new in the quarantine
        result = runner.invoke(main, ["load", str(inputs), "--store", store_spec, "--quarantine", str(quarantine),
                                      "--format", "json", "--reload"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert {k: summary[k] for k in EXPECTED} == (EXPECTED if run == 1 else {
            **EXPECTED, "loaded": 0, "skipped": {"duplicate": 14}})
        assert summary["quarantine_known"] == (0 if run == 1 else EXPECTED_QUARANTINE_LINES)
        assert _found(result.stdout + result.stderr) == {}
        text = runner.invoke(main, ["load", str(inputs), "--store", store_spec, "--quarantine", str(quarantine),
                                    "--reload"])
        assert text.exit_code == 0 and _found(text.stdout + text.stderr) == {}
    lines = quarantine.read_text().splitlines()
    assert len(lines) == EXPECTED_QUARANTINE_LINES
    assert _found(quarantine.read_text()) == {}
    assert quarantine.read_text().count(KEY_ID) == 2  # key ids are identifiers: kept (INI line, pair)
    assert _found(_store_text(store_spec)) == {}


def test_lambda_handler_logs_leak_nothing(inputs: Path, store_spec: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setenv("GRAPHGOV_STORE", store_spec)
    monkeypatch.setenv("GRAPHGOV_QUARANTINE", str(tmp_path / "lambda-quarantine.jsonl"))
    caplog.set_level(logging.DEBUG)
    summary = handler(_cloudwatch())
    assert (summary["records"], summary["loaded"], summary["quarantined"]) == (2, 0, 2)
    logged = [r.getMessage() for r in caplog.records]
    assert len([m for m in logged if m.startswith("graphgov quarantined ")]) == 2
    assert _found("\n".join(logged) + json.dumps(summary)) == {}
    assert _found((tmp_path / "lambda-quarantine.jsonl").read_text()) == {}
