"""Bedrock model-invocation logs: exact INVOKED usage on both stores, no double count with CloudTrail,
and nothing of the prompts or responses in the graph."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURES, cloudwatch_subscription, write_json

from graphgov.core.delta import EdgeRow, GraphDelta, Malformed, NodeRow, Skip
from graphgov.core.pii import strings
from graphgov.core.schema import EDGE_TYPES
from graphgov.generate import generate
from graphgov.ingest.aggregate import Aggregate, merge_attrs
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from graphgov.stores.embedded import EmbeddedStore
from loaders import bedrock_invocation

LOGS = FIXTURES / "bedrock-invocation-logs"
CONSTRUCTED = LOGS / "constructed-invocations.jsonl"
CLOUDTRAIL = LOGS / "constructed-cloudtrail.json"
PANTHER = LOGS / "panther-bedrock-invocation-tests.jsonl"
A = "123456789012"
ROLE = f"arn:aws:iam::{A}:role/SupportAssistant"
USER = f"arn:aws:iam::{A}:user/analyst"
HAIKU = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
PROFILE = f"arn:aws:bedrock:us-east-1:{A}:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0"
TITAN = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"
PANTHER_ROLE = "arn:aws:iam::111111111111:role/role_details"
PANTHER_HAIKU = "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
R = "7f3c2a10-000{}-4c1e-9a00-00000000000{}"


def rid(n: int) -> str:
    return R.format(n, n)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# The INVOKED edges of the constructed logs plus the CloudTrail record of request 1 and the Panther samples.
EXPECTED = {
    (ROLE, HAIKU): {
        "count": 1, "logged_count": 3, "input_tokens": 73, "output_tokens": 74, "latency_ms_total": 1762,
        "latency_count": 2, "guardrail_none": 1, "guardrail_unknown": 2, "bytes": 0,
        "operations": ["Converse", "InvokeModel", "InvokeModelWithResponseStream"],
        "pii_types": ["email", "ipv4", "ipv6", "payment_card", "phone", "us_ssn"],
        "pii_email": 1, "pii_ipv4": 1, "pii_ipv6": 1, "pii_payment_card": 1, "pii_phone": 2, "pii_us_ssn": 1,
        "inference_regions": [], "sources": ["bedrock_invocation_log", "cloudtrail"],
        "invoked_hours": ["2026-01-12T09"], "logged_hours": ["2026-01-12T09"],
        "first_seen": "2026-01-12T09:00:00Z", "last_seen": "2026-01-12T09:15:00Z",
        "event_ids": sorted([rid(1), rid(2), rid(4), "c0ffee00-0000-4000-8000-000000000001"]),
    },
    (ROLE, PROFILE): {
        "count": 0, "logged_count": 1, "input_tokens": 40, "output_tokens": 15, "latency_ms_total": 1500,
        "latency_count": 1, "guardrail_intervened": 1, "bytes": 0, "operations": ["ConverseStream"],
        "pii_types": ["aws_access_key_id", "iban"], "pii_aws_access_key_id": 1, "pii_iban": 1,
        "inference_regions": ["us-west-2"], "sources": ["bedrock_invocation_log"],
        "invoked_hours": [], "logged_hours": ["2026-01-12T09"],
        "first_seen": "2026-01-12T09:10:00Z", "last_seen": "2026-01-12T09:10:00Z", "event_ids": [rid(3)],
    },
    (USER, TITAN): {
        "count": 0, "logged_count": 2, "logged_errors": 1, "input_tokens": 30012, "output_tokens": 200,
        "bodies_in_s3": 2, "guardrail_unknown": 2, "bytes": 0, "operations": ["InvokeModel"],
        "pii_types": ["aws_secret_access_key"], "pii_aws_secret_access_key": 1,
        "inference_regions": [], "sources": ["bedrock_invocation_log"],
        "invoked_hours": [], "logged_hours": ["2026-01-12T10"],
        "first_seen": "2026-01-12T10:00:00Z", "last_seen": "2026-01-12T10:05:00Z", "event_ids": [rid(5), rid(6)],
    },
    # Panther: five Converse samples share one requestId (the first in the file is loaded), two ListModels
    # samples are not invocations, and the InvokeModel sample was stopped by a guardrail.
    (PANTHER_ROLE, PANTHER_HAIKU): {
        "count": 0, "logged_count": 2, "input_tokens": 0, "output_tokens": 0, "latency_ms_total": 249,
        "latency_count": 1, "guardrail_intervened": 1, "guardrail_unknown": 1, "bytes": 0,
        "operations": ["Converse", "InvokeModel"], "pii_types": [], "inference_regions": [],
        "sources": ["bedrock_invocation_log"], "first_seen": "2025-05-15T14:14:49Z",
        "invoked_hours": [], "logged_hours": ["2025-05-15T14"],
        "last_seen": "2025-05-15T14:17:22Z",
        "event_ids": ["ba78ac1f-5ea4-4e2a-a936-92f7e13c96c4", "bb98d9a8-bd9a-47ca-976b-f165ef1f8b67"],
    },
}


def invoked(store) -> dict[tuple[str, str], dict[str, Any]]:
    return {(src[1], dst[1]): attrs for src, dst, attrs in store.scan_edges("INVOKED")}


def test_invocation_logs_load_exactly(store, tmp_path):
    summary = load_paths([CONSTRUCTED, CLOUDTRAIL, PANTHER], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (
        15, 9, {"duplicate": 4, "unsupported_operation": 2}, 0)
    assert summary.balanced
    assert invoked(store) == EXPECTED
    nodes = {key: attrs for key, attrs in store.scan_nodes("AWSRoleSession")}
    assert sorted(nodes) == ["arn:aws:sts::111111111111:assumed-role/role_details/suspicious.user"] + [
        f"arn:aws:sts::{A}:assumed-role/SupportAssistant/helpdesk-{n}" for n in (1, 2)]
    # CloudTrail's count stays the count of calls (one InvokeModel, none doubled); every model here has
    # invocation log records loaded, which are themselves evidence that logging is on
    assert ask(store, "bedrock-invocations-without-logging") == []

    again = load_paths([CONSTRUCTED, CLOUDTRAIL, PANTHER], store, tmp_path / "q.jsonl")
    assert (again.records, again.loaded, dict(again.skipped)) == (
        15, 0, {"duplicate": 13, "unsupported_operation": 2})
    assert (again.nodes, again.edges) == (summary.nodes, summary.edges)
    assert invoked(store) == EXPECTED


def test_logs_delivered_through_cloudwatch_are_the_same_records(tmp_path):
    """The CloudWatch Logs subscription copy of the same records adds nothing: same request ids."""
    store = EmbeddedStore(tmp_path / "g.json.gz")
    load_paths([CONSTRUCTED], store, tmp_path / "q.jsonl")
    before = invoked(store)
    wrapped = write_json(tmp_path / "cwl" / "bedrock.json", cloudwatch_subscription(records(CONSTRUCTED), owner=A))
    summary = load_paths([wrapped], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, dict(summary.skipped)) == (6, 0, {"duplicate": 6})
    assert invoked(store) == before


def test_order_of_cloudtrail_and_log_does_not_matter(tmp_path):
    first = EmbeddedStore(tmp_path / "a.json.gz")
    load_paths([CLOUDTRAIL, CONSTRUCTED], first, tmp_path / "q.jsonl", chunk_records=1)
    second = EmbeddedStore(tmp_path / "b.json.gz")
    load_paths([CONSTRUCTED], second, tmp_path / "q.jsonl")
    load_paths([CLOUDTRAIL], second, tmp_path / "q.jsonl")
    assert invoked(first) == invoked(second)
    assert invoked(first)[(ROLE, HAIKU)]["count"] == 1


def test_no_prompt_response_or_pii_value_reaches_the_graph_file(tmp_path):
    store = EmbeddedStore(tmp_path / "g.db")
    load_paths([CONSTRUCTED, PANTHER], store, tmp_path / "q.jsonl")
    store.close()  # every byte in the one file (SQLite stores text as UTF-8, free pages included)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("g.db")) == ["g.db", "g.db.lock"]
    text = (tmp_path / "g.db").read_bytes().decode("utf-8", errors="replace")
    bodies = [r.get(side, {}).get(f"{side}BodyJson") for r in records(CONSTRUCTED) + records(PANTHER)
              for side in ("input", "output")]
    texts = {s for s in strings(bodies) if len(s.split()) >= 3}  # the prose: prompts, answers, system prompt
    assert len(texts) == 14
    names = " ".join(EDGE_TYPES["INVOKED"].additive_props)  # property names are schema, not data
    for value in texts:  # no 12-character window of any prompt or response text
        for start in range(len(value) - 11):
            window = value[start:start + 12]
            assert window in names or window not in text, value
    for secret in ("jane.doe@example.com", "202-555-0142", "4111 1111 1111 1111", "GB82 WEST", "AKIAIOSFODNN7EXAMPLE",
                   "wJalrXUtnFEMI", "192.0.2.10", "2001:db8::7", "123-45-6789", "7946 0958", "support"):
        assert secret not in text
    assert "pii_email" in text  # the types and counts are there


def test_generated_logs_s3_and_cloudwatch_layouts(tmp_path):
    root = tmp_path / "gen"
    generate(root, seed=0, records=2000)
    logs = [tmp_path / "gen" / "bedrock-invocation-logs", tmp_path / "gen" / "cloudwatch-logs"]
    store = EmbeddedStore(tmp_path / "g.json.gz")
    summary = load_paths(logs, store, tmp_path / "q.jsonl")
    # (since issue 11's generator plants, the serving account's us-east-1 logs text until mid-window)
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (120, 119, {}, 1)
    edges = invoked(store)
    totals = {name: sum(e.get(name, 0) for e in edges.values())
              for name in ("count", "logged_count", "input_tokens", "output_tokens", "latency_count",
                           "guardrail_unknown", "pii_email", "pii_phone")}
    raw = _generated_logs(root)
    assert len(raw) == 119  # the cut line is quarantined
    # the generator's support-ticket and call-back prompts carry one e-mail address and one phone number each
    with_contact = sum(any("@example." in s for s in strings(r["input"]["inputBodyJson"])) for r in raw)
    assert totals == {
        "count": 0, "logged_count": 119, "guardrail_unknown": 119,
        "input_tokens": sum(r["input"]["inputTokenCount"] for r in raw),
        "output_tokens": sum(r["output"]["outputTokenCount"] for r in raw),
        "latency_count": sum(r["operation"] != "InvokeModel" for r in raw),
        "pii_email": with_contact, "pii_phone": with_contact}
    assert with_contact == 44
    assert (totals["input_tokens"], totals["output_tokens"], totals["latency_count"]) == (3478, 2672, 56)
    assert sorted({t for e in edges.values() for t in e["pii_types"]}) == ["email", "phone"]
    # with the CloudTrail side loaded too, the calls are counted once each
    both = EmbeddedStore(tmp_path / "both.json.gz")
    load_paths([root], both, tmp_path / "q2.jsonl")
    for key, attrs in invoked(both).items():
        if key in edges:
            assert attrs["logged_count"] == edges[key]["logged_count"]
            assert attrs["count"] >= attrs["logged_count"]


def _generated_logs(root: Path) -> list[dict[str, Any]]:
    import base64

    out = []
    for path in sorted((root / "bedrock-invocation-logs").rglob("*.json.gz")):
        for line in gzip.decompress(path.read_bytes()).decode().splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    for path in sorted((root / "cloudwatch-logs").glob("*.json")):
        payload = json.loads(gzip.decompress(base64.b64decode(json.loads(path.read_text())["awslogs"]["data"])))
        out.extend(json.loads(e["message"]) for e in payload["logEvents"]
                   if json.loads(e["message"]).get("schemaType") == "ModelInvocationLog")
    return out


def test_parse_edges_and_failures():
    first = records(CONSTRUCTED)[0]
    delta = bedrock_invocation.parse(first)
    assert (delta.source, delta.event_id, delta.event_key, delta.action_key, delta.time) == (
        "bedrock_invocation_log", rid(1), f"bedrock-log:{rid(1)}", f"bedrock-log:{rid(1)}", "2026-01-12T09:00:00Z")
    for field, error in (("requestId", Malformed), ("timestamp", Malformed), ("modelId", Malformed),
                         ("identity", Malformed), ("accountId", Malformed)):
        broken = {k: v for k, v in first.items() if k != field}
        with pytest.raises(error):
            bedrock_invocation.parse(broken)
    with pytest.raises(Skip, match="unsupported_operation"):
        bedrock_invocation.parse({**first, "operation": "ListModels"})
    user = bedrock_invocation.parse({**first, "identity": {"arn": f"arn:aws:iam::{A}:user/analyst"}})
    assert [e.src for e in user.edges if e.type == "INVOKED"] == [USER]


def test_additive_properties_add_in_aggregate_and_merge():
    def delta(n: int, **props: Any) -> GraphDelta:
        edge = EdgeRow("INVOKED", "AWSRole", ROLE, "BedrockModel", HAIKU, props, "Converse")
        return GraphDelta("t", f"e{n}", f"k{n}", f"k{n}", f"2026-01-0{n}T00:00:00Z",
                          (NodeRow("AWSRole", ROLE, {}), NodeRow("BedrockModel", HAIKU, {})), (edge,))

    agg = Aggregate().extend([delta(1), delta(2, count=0, logged_count=1, input_tokens=5, pii_email=2),
                              delta(3, count=0, logged_count=1, input_tokens=7)])
    attrs = next(iter(agg.edges.values()))
    assert {k: attrs[k] for k in ("count", "logged_count", "input_tokens", "pii_email")} == {
        "count": 1, "logged_count": 2, "input_tokens": 12, "pii_email": 2}
    assert "output_tokens" not in attrs
    current = dict(attrs)
    merge_attrs(current, {"logged_count": 1, "input_tokens": 3, "pii_phone": 1, "count": 0})
    assert {k: current[k] for k in ("count", "logged_count", "input_tokens", "pii_email", "pii_phone")} == {
        "count": 1, "logged_count": 3, "input_tokens": 15, "pii_email": 2, "pii_phone": 1}


