"""Derivation can never poison a store; the policy evaluator validates the shapes it is given (issue 12).

A crash in access derivation happens after the load's graph writes committed, so before this work every
later load into that store crashed the same way (a null condition value reached conditions.py). Now a
policy document is checked once, at the evaluator's edge (graphgov.access.policy.parse_policy): it is read whole
or refused with a named PolicyError. A refused (unreadable) policy state is quarantined with its evidence
(subject, slot, the event that set it, the error), the answers it takes part in are `unknown` naming it
(`unreadable:<slot>:<subject> set by <event id>`), and derivation goes on. Any other failure of one
derivation step is contained to its item, counted in the summary's `access` section.

The inputs are the access fixtures (tests/fixtures/access/*.json, see tests/test_access.py) with one
policy document replaced by an odd shape in the test itself.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURES, PUBLIC_DATA_ROWS

from graphgov.access import model as access_model
from graphgov.access.conditions import evaluate_block
from graphgov.access.policy import PolicyError, parse_policy
from graphgov.core.delta import EdgeRow, GraphDelta, NodeRow
from graphgov.core.policy_facts import policy_state
from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from graphgov.stores.embedded import EmbeddedStore

D, T, V = "222222222222", "111111111111", "999999999999"
DATA_ACCESS, TRAINING = f"arn:aws:iam::{D}:role/DataAccess", f"arn:aws:iam::{T}:role/TrainingRole"
VENDOR = f"arn:aws:iam::{V}:root"
FRAUD, SHARED = "s3://acme-training-data/fraud/", "s3://acme-training-data/shared/"
MODEL = "s3://acme-models-t/output/fraud-train/output/model.tar.gz"
BUCKET_POLICY_EVENT = "00000000-0000-4000-8000-000000000005"
BUCKET_STATE = f"acme-training-data|bucket-policy|2026-03-02T09:00:00Z|{BUCKET_POLICY_EVENT}"
UNREADABLE_BUCKET = f"unreadable:bucket-policy:acme-training-data set by {BUCKET_POLICY_EVENT}"
NULL_VALUE = ("Condition StringEquals aws:PrincipalOrgID: values must be strings, booleans or finite numbers "
              "(or a list of them), got None")
GOOD = {"Sid": "S", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{V}:root"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::acme-training-data/shared/*"}


def _doc(**changes: Any) -> dict[str, Any]:
    statement = {k: v for k, v in {**GOOD, **changes}.items() if v is not ...}
    return {"Version": "2012-10-17", "Statement": [statement]}


# --- the evaluator's edge: every odd shape is a named error, every valid one reads -----------------------

@pytest.mark.parametrize(("raw", "message"), [
    (_doc(Condition={"StringEquals": {"aws:PrincipalOrgID": None}}), NULL_VALUE),
    (_doc(Condition={"StringEquals": {"aws:PrincipalOrgID": {"a": 1}}}),
     "Condition StringEquals aws:PrincipalOrgID: values must be strings, booleans or finite numbers (or a list of "
     "them), got {'a': 1}"),
    (_doc(Condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [["o-1/"], "o-2/"]}}),
     "Condition ForAnyValue:StringLike aws:PrincipalOrgPaths: values must be strings, booleans or finite numbers "
     "(or a list of them), got [['o-1/'], 'o-2/']"),
    (_doc(Condition={"NumericLessThanIfExists": {"s3:max-keys": float("nan")}}),
     "Condition NumericLessThanIfExists s3:max-keys: values must be strings, booleans or finite numbers (or a list "
     "of them), got nan"),
    (_doc(Condition={"StringEquals": []}), "Condition operator StringEquals must map condition keys to values, "
                                           "got []"),
    (_doc(Condition=[{"StringEquals": {}}]), "Statement Condition must be an object, got [{'StringEquals': {}}]"),
    (_doc(Principal=[f"arn:aws:iam::{V}:root"]),
     "Principal must be \"*\" or an object, got ['arn:aws:iam::999999999999:root']"),
    (_doc(Principal=5), "Principal must be \"*\" or an object, got 5"),
    (_doc(Principal={"AWS": 999999999999}), "Principal AWS must be a string or a list of strings, got 999999999999"),
    (_doc(NotPrincipal={"AWS": {"x": 1}}), "NotPrincipal AWS must be a string or a list of strings, got {'x': 1}"),
    ({"Statement": "s3:GetObject"}, "policy document has no Statement list (got a string)"),
    ({"Statement": []}, "policy document has no Statement list (got a list)"),
    ({"Statement": [GOOD, 5]}, "Statement 1 is not an object (got a number)"),
    (_doc(Action={"s3": "GetObject"}), "Action must be a string or a list of strings, got {'s3': 'GetObject'}"),
    (_doc(Resource=5), "Resource must be a string or a list of strings, got 5"),
    (_doc(Resource=["arn:aws:s3:::b/*", 5]),
     "Resource must be a string or a list of strings, got ['arn:aws:s3:::b/*', 5]"),
    (_doc(Effect=...), "Statement 0 Effect must be Allow or Deny, got None"),
    (_doc(Effect="allow"), "Statement 0 Effect must be Allow or Deny, got 'allow'"),
    (_doc(Sid={"a": 1}), "Statement 0 Sid must be a string, got {'a': 1}"),
    ({"Version": 2012, "Statement": [GOOD]}, "policy Version must be one of ['2008-10-17', '2012-10-17'], got 2012"),
    ([GOOD], "policy document is not a JSON object (got a list)"),
    (5, "policy document is not a JSON object (got a number)"),
    ("%7B%22Statement%22%3A5%7D", "policy document has no Statement list (got a number)"),
    ("not json {", "policy document is not JSON: Expecting value: line 1 column 1 (char 0)"),
    (json.dumps(json.dumps(json.dumps(json.dumps(_doc())))), "policy document is a string nested more than 3 times"),
    ("[" * 100000 + "]" * 100000, "policy document cannot be read: RecursionError"),
])
def test_odd_policy_shapes_are_named_errors(raw, message):
    with pytest.raises(PolicyError) as caught:
        parse_policy(raw)
    assert str(caught.value) == message


@pytest.mark.parametrize("raw", [
    _doc(),
    json.dumps(_doc()),  # JSON text (IAM events)
    json.dumps(json.dumps(_doc())),  # JSON text inside a JSON string (re-encoded by a shipper)
    "%7B" + json.dumps(_doc())[1:].replace('"', "%22").replace(" ", "%20"),  # URL-encoded (IAM responses)
    {"Statement": GOOD},  # one statement without a list, no Version (IAM's default, 2008-10-17)
])
def test_valid_policy_forms_read_the_same(raw):
    document = parse_policy(raw)
    assert [(s.effect, s.sid, s.actions, s.resources, dict(s.principals or {})) for s in document.statements] == [
        ("Allow", "S", ("s3:GetObject",), ("arn:aws:s3:::acme-training-data/shared/*",),
         {"AWS": (f"arn:aws:iam::{V}:root",)})]


def test_duplicate_sids_and_numbers_and_booleans_in_conditions_are_valid():
    document = parse_policy({"Statement": [
        {**GOOD, "Condition": {"NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": True}}},
        {**GOOD, "Effect": "Deny", "Resource": "arn:aws:s3:::acme-training-data/secret/*"}]})
    assert [s.sid for s in document.statements] == ["S", "S"]
    assert evaluate_block(document.statements[0].conditions, {"s3:max-keys": "5", "aws:SecureTransport": "true"}) \
        is True
    assert evaluate_block(document.statements[0].conditions, {"s3:max-keys": "50", "aws:SecureTransport": "true"}) \
        is False


@pytest.mark.parametrize("values", [None, {"a": 1}, [["o-1"], "o-2"], math.nan, math.inf, []])
def test_condition_values_that_do_not_fit_leave_the_test_unsettled_never_narrowed(values):
    """Defence in depth below the edge: conditions.py on its own neither crashes nor drops the odd values."""
    block = {"StringEquals": {"aws:PrincipalOrgID": values}}
    assert evaluate_block(block, {"aws:PrincipalOrgID": "o-2"}) is None
    assert evaluate_block({"StringNotEqualsIfExists": {"aws:PrincipalOrgID": values}}, {"aws:PrincipalOrgID": None}) \
        is None


# --- end to end, on both stores -------------------------------------------------------------------------

def _chain_with_bucket_policy(tmp_path: Path, policy: Any) -> Path:
    data = json.loads((FIXTURES / "access" / "three-account-chain.json").read_text())
    record = data["Records"][4]
    assert record["eventID"] == BUCKET_POLICY_EVENT and record["eventName"] == "PutBucketPolicy"
    record["requestParameters"]["bucketPolicy"] = policy
    path = tmp_path / "chain-odd-bucket-policy.json"
    path.write_text(json.dumps(data))
    return path


def _reads(store) -> list[tuple]:
    return sorted((src[1], dst[1], a["access"], a["via"]) for src, dst, a in store.scan_edges("CAN_READ"))


def _quarantine(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "quarantine.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    for entry in entries:  # the de-duplication key (graphgov.ingest.quarantine) is a hash of record and error
        assert len(entry.pop("hash")) == 64
    return entries


def test_an_unreadable_bucket_policy_makes_the_answers_resting_on_it_unknown(store, tmp_path):
    """The null condition value that crashed every load: now quarantined, named, and the answers unknown."""
    bad = _doc(Sid="VendorShared", Condition={"StringEquals": {"aws:PrincipalOrgID": None}})
    summary = load_paths([_chain_with_bucket_policy(tmp_path, bad)], store, tmp_path / "quarantine.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined) == (9, 9, 0)  # the record's evidence is loaded
    assert summary.access == {"policy_states": 8, "principals": 5, "targets": 11, "decisions": 52, "quarantined": 1,
                              "edges": {"CAN_ASSUME": 6, "CAN_READ": 14, "CAN_WRITE": 14, "INPUT_READABLE_BY": 8}}
    assert summary.quarantine_file == str(tmp_path / "quarantine.jsonl")
    assert _quarantine(tmp_path) == [{
        "location": f"policy-state:{BUCKET_STATE}", "error": f"policy state not evaluated: {NULL_VALUE}",
        "record": {"state": BUCKET_STATE, "subject": "acme-training-data", "slot": "bucket-policy", "kind": "resource",
                   "set_by": BUCKET_POLICY_EVENT, "error": NULL_VALUE}}]
    # Every read of the bucket rests on its policy: none is "potential" (a pass), none is left out (a deny).
    # Whom the policy names is not known, so every principal the evidence shows is asked, and anyone.
    bucket = [r for r in _reads(store) if r[1] in (FRAUD, SHARED)]
    asked = ["*", f"arn:aws:iam::{T}:role/Admin", f"arn:aws:iam::{T}:role/MLEngineer", TRAINING,
             f"arn:aws:iam::{D}:role/Admin", DATA_ACCESS]
    assert [(r[0], r[1], r[2]) for r in bucket] == [(p, d, "unknown") for p in asked for d in (FRAUD, SHARED)]
    assert all(r[3][-1] == UNREADABLE_BUCKET for r in bucket)
    assert [r[3] for r in bucket if r[0] == DATA_ACCESS] == [
        [f"{DATA_ACCESS}#inline:ReadTrainingData#ReadFraudAndShared", UNREADABLE_BUCKET]] * 2
    # The vendor, which only the unreadable policy granted directly: unknown through the role it may assume
    readers = ask(store, "training-data-readers")
    assert sorted({(r["dataset"], r["access"]) for r in readers if r["principal"] == VENDOR}) == [
        (FRAUD, "unknown"), (SHARED, "unknown")]
    assert all(UNREADABLE_BUCKET in r["via"] for r in readers if r["access"] == "unknown")


def test_a_store_loaded_with_a_bad_policy_takes_the_next_load(store, tmp_path):
    """Load bad, then load good: the second load succeeds and the good data's answers are exact."""
    bad = _doc(Sid="VendorShared", Condition={"StringEquals": {"aws:PrincipalOrgID": None}})
    load_paths([_chain_with_bucket_policy(tmp_path, bad)], store, tmp_path / "quarantine.jsonl")
    summary = load_paths([FIXTURES / "access" / "public-data.json"], store, tmp_path / "quarantine.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined, summary.access["quarantined"]) == (10, 10, 0, 1)
    assert ask(store, "public-ai-data") == PUBLIC_DATA_ROWS  # exactly what public-data.json alone gives


KEY = f"arn:aws:kms:eu-west-1:{D}:key/11111111-2222-3333-4444-555555555555"


def _poison(store) -> None:
    """PolicyStates a store written before this work (or by hand) may hold: shapes no loader writes now."""
    rows: list[tuple[NodeRow, EdgeRow]] = [
        policy_state("KMSKey", KEY, "grant:g-list", "grant", time="2026-03-01T09:00:00Z", event_id="bad-grant",
                     document={"GranteePrincipal": TRAINING, "Operations": ["Decrypt"],
                               "Constraints": {"EncryptionContextEquals": ["not", "an", "object"]}}),
        policy_state("KMSKey", KEY, "key-state", "key-state", time="2026-03-01T09:00:00Z", event_id="bad-state",
                     document=["Disabled"]),
        policy_state("S3Bucket", "acme-training-data", "acl", "acl", time="2026-03-01T09:00:00Z", event_id="bad-acl",
                     document={"Grants": 5}),
        policy_state("AWSAccount", D, "organization", "org-membership", time="2026-03-01T09:00:00Z",
                     event_id="bad-org", document=[1]),
    ]
    nodes = [r[0] for r in rows] + [NodeRow("PolicyState", "no-slot", {"id": "no-slot", "subject": D}),
                                     NodeRow("KMSKey", KEY, {"arn": KEY, "account_id": D}),
                                     NodeRow("AWSAccount", D, {"id": D})]
    aggregate = Aggregate()
    aggregate.add(GraphDelta("policy", "bad", "bad", "bad", "2026-03-01T09:00:00Z", tuple(nodes),
                             tuple(r[1] for r in rows)))
    store.write(aggregate, {})
    store.commit()


def test_a_poisoned_store_loads_and_answers(store, tmp_path):
    """Odd states already in the store: each quarantined with its evidence, the rest derived as before."""
    _poison(store)
    summary = load_paths([FIXTURES / "access" / "three-account-chain.json"], store, tmp_path / "quarantine.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined) == (9, 9, 0)
    assert summary.access["quarantined"] == 5 and "failed" not in summary.access and "errors" not in summary.access
    assert sorted((e["record"]["set_by"], e["error"]) for e in _quarantine(tmp_path)) == [
        ("None", "policy state not evaluated: policy state lacks 'slot' or has an unorderable time"),
        ("bad-acl", "policy state not evaluated: acl document field Grants is not a list"),
        ("bad-grant", "policy state not evaluated: grant Constraints EncryptionContextEquals is not an object"),
        ("bad-org", "policy state not evaluated: org-membership document is not a JSON object"),
        ("bad-state", "policy state not evaluated: key-state document is not a JSON object"),
    ]
    assert [r[:3] for r in _reads(store)] == [  # tests/test_access.py's answer on the clean store
        (TRAINING, MODEL, "unknown"), (DATA_ACCESS, MODEL, "unknown"), (DATA_ACCESS, FRAUD, "potential"),
        (DATA_ACCESS, SHARED, "potential"), (VENDOR, SHARED, "potential")]
    # The unreadable grant stands in the key's answers (unknown, named), and so does the unreadable key state
    # (it may say Disabled): not a pass, not dropped. The key policy was never seen, as before.
    grant = f"unreadable:grant:g-list:{KEY} set by bad-grant"
    key_state = f"unreadable:key-state:{KEY} set by bad-state"
    unseen = f"unknown:key-policy:{KEY}"
    decrypts = sorted((src[1], a["access"], a["via"]) for src, dst, a in store.scan_edges("CAN_DECRYPT"))
    assert decrypts == [
        ("*", "unknown", [unseen, grant, key_state]),
        (f"arn:aws:iam::{T}:role/Admin", "unknown", [unseen, grant, key_state]),
        (f"arn:aws:iam::{T}:role/MLEngineer", "unknown", [unseen, grant, key_state]),
        (TRAINING, "unknown", [grant, key_state]),  # the grant names TrainingRole: no need for the key policy
        (f"arn:aws:iam::{D}:role/Admin", "unknown", [unseen, grant, key_state]),
        (DATA_ACCESS, "unknown", [unseen, grant, key_state])]
    # The unreadable bucket ACL: whether it opens the bucket's datasets to everyone is unknown, named
    writes = sorted((src[1], dst[1], a["access"], a["via"]) for src, dst, a in store.scan_edges("CAN_WRITE"))
    assert [w for w in writes if w[0] == "*"] == [
        ("*", FRAUD, "unknown", ["unreadable:acl:acme-training-data set by bad-acl"]),
        ("*", SHARED, "unknown", ["unreadable:acl:acme-training-data set by bad-acl"])]
    clean = EmbeddedStore(tmp_path / "clean.json.gz")  # the same file into an unpoisoned store
    load_paths([FIXTURES / "access" / "three-account-chain.json"], clean, tmp_path / "clean-quarantine.jsonl")
    readers = ask(store, "training-data-readers")
    assert readers == ask(clean, "training-data-readers") and len(readers) == 10


def test_one_failing_decision_is_contained_to_its_item(store, tmp_path, monkeypatch):
    decide = access_model.AccessModel.decide_at

    def failing(self, principal, target, time=access_model.END_OF_TIME):
        if principal == VENDOR and target.key == SHARED and target.edge == "CAN_READ":
            raise RuntimeError("boom")
        return decide(self, principal, target, time)

    monkeypatch.setattr(access_model.AccessModel, "decide_at", failing)
    summary = load_paths([FIXTURES / "access" / "three-account-chain.json"], store, tmp_path / "quarantine.jsonl")
    assert (summary.loaded, summary.access["errors"]) == (9, 2)  # the bucket itself, and readers at the job's start
    assert summary.access["error_items"] == [
        f"CAN_READ {VENDOR} -> Dataset {SHARED}: RuntimeError: boom",
        "INPUT_READABLE_BY TrainingJob arn:aws:sagemaker:eu-west-1:111111111111:training-job/fraud-train: "
        "RuntimeError: boom"]
    assert _reads(store)[-1] == (VENDOR, SHARED, "unknown", ["derivation-error:RuntimeError"])
    assert [r[:3] for r in _reads(store)[:-1]] == [
        (TRAINING, MODEL, "unknown"), (DATA_ACCESS, MODEL, "unknown"), (DATA_ACCESS, FRAUD, "potential"),
        (DATA_ACCESS, SHARED, "potential")]


def test_a_failing_derivation_step_never_fails_the_load(store, tmp_path, monkeypatch):
    from graphgov.ingest import pipeline

    def broken(*_args):
        raise RuntimeError("replication bug")

    monkeypatch.setattr(pipeline, "derive_replicas", broken)
    summary = load_paths([FIXTURES / "access" / "three-account-chain.json"], store, tmp_path / "quarantine.jsonl")
    assert (summary.records, summary.loaded) == (9, 9)
    assert summary.access["failed"] == ["replicas: RuntimeError: replication bug"]
    assert summary.access["edges"] == {"CAN_ASSUME": 6, "CAN_READ": 5, "CAN_WRITE": 2, "INPUT_READABLE_BY": 4}
    exposure = ask(store, "cross-account-exposure")

    def worse(*_args, **_kwargs):
        raise RuntimeError("access bug")

    monkeypatch.setattr(pipeline, "derive_after_load", worse)
    summary = load_paths([FIXTURES / "access" / "public-data.json"], store, tmp_path / "quarantine.jsonl")
    assert (summary.records, summary.loaded) == (10, 10)
    assert summary.access["failed"] == ["replicas: RuntimeError: replication bug", "access: RuntimeError: access bug"]
    assert len(_reads(store)) == 5  # the earlier derivation's answers are kept, not wiped
    assert ask(store, "cross-account-exposure") == exposure != []  # and the store answers as before


EVENTS = {"bucket": (4, "bucketPolicy", False, f"bucket-policy:acme-training-data set by {BUCKET_POLICY_EVENT}"),
          "inline": (8, "policyDocument", True,
                     f"inline:ReadTrainingData:{DATA_ACCESS} set by 00000000-0000-4000-8000-000000000009"),
          "trust": (0, "assumeRolePolicyDocument", True,
                    f"trust:{DATA_ACCESS} set by 00000000-0000-4000-8000-000000000001")}
READ_FRAUD = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-training-data/fraud/*"}
TRUST_TRAINING = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": TRAINING}}


@pytest.mark.parametrize(("where", "document", "error", "unknown_edges"), [
    ("bucket", _doc(Condition={"NumericLessThan": {"s3:max-keys": float("nan")}}),
     "Condition NumericLessThan s3:max-keys: values must be strings, booleans or finite numbers (or a list of them), "
     "got nan", (40, 36)),
    ("bucket", {"Version": "2012-10-17", "Statement": "allow all"},
     "policy document has no Statement list (got a string)", (40, 36)),
    ("bucket", _doc(Effect="allow"), "Statement 0 Effect must be Allow or Deny, got 'allow'", (40, 36)),
    ("inline", {"Statement": [{**READ_FRAUD, "Resource": 5}]}, "Resource must be a string or a list of strings, got 5",
     (7, 7)),
    ("inline", {"Statement": [{**READ_FRAUD, "Action": {"s3": "GetObject"}}]},
     "Action must be a string or a list of strings, got {'s3': 'GetObject'}", (7, 7)),
    ("trust", {"Statement": [{**TRUST_TRAINING, "Principal": [TRAINING]}]},
     "Principal must be \"*\" or an object, got ['arn:aws:iam::111111111111:role/TrainingRole']", (11, 8)),
    ("trust", {"Statement": [{**TRUST_TRAINING, "Condition": {"StringEquals": {"sts:ExternalId": None}}}]},
     "Condition StringEquals sts:ExternalId: values must be strings, booleans or finite numbers (or a list of them), "
     "got None", (11, 8)),
])
def test_each_odd_shape_is_quarantined_and_its_answers_are_unknown(store, tmp_path, where, document, error,
                                                                  unknown_edges):
    """One odd document in a real change event, wherever it stands (bucket, inline, trust policy): the load
    takes every record, the state is quarantined with its named error, and each answer naming it is unknown
    (or settled by a call CloudTrail saw succeed), never a pass."""
    index, field, as_text, label = EVENTS[where]
    data = json.loads((FIXTURES / "access" / "three-account-chain.json").read_text())
    data["Records"][index]["requestParameters"][field] = json.dumps(document) if as_text else document
    path = tmp_path / f"chain-odd-{where}.json"
    path.write_text(json.dumps(data))
    summary = load_paths([path], store, tmp_path / "quarantine.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined, summary.access["quarantined"]) == (9, 9, 0, 1)
    assert [(e["record"]["slot"], e["record"]["set_by"], e["record"]["error"]) for e in _quarantine(tmp_path)] == [
        (label.split(":", 1)[0] if where != "inline" else "inline:ReadTrainingData", label.rsplit(" ", 1)[-1],
         error)]
    naming = [(a["access"], "\n".join(a["via"])) for t in ("CAN_READ", "CAN_WRITE", "CAN_ASSUME", "CAN_DECRYPT")
              for _src, _dst, a in store.scan_edges(t) if f"unreadable:{label}" in a["via"]]
    naming += [(access, via) for _src, _dst, a in store.scan_edges("INPUT_READABLE_BY")
               for access, via in zip(a["accesses"], a["vias"], strict=True) if f"unreadable:{label}" in via]
    # each is unknown, or settled by a successful call CloudTrail saw (observed, and who may assume an observed
    # role inherits potential through it): (answers naming it, of which unknown)
    assert all(access == "unknown" or "observed:cloudtrail:" in via for access, via in naming)
    assert (len(naming), sum(access == "unknown" for access, _via in naming)) == unknown_edges


@pytest.mark.parametrize(("version", "outcome"), [("2012-10-17", "allow"), (None, "implicit-deny"),
                                                  ("2008-10-17", "implicit-deny")])
def test_policy_variables_exist_only_in_version_2012_10_17(version, outcome):
    """IAM's default Version (2008-10-17, also when Version is missing) takes `${...}` literally."""
    from graphgov.access.effective import Labeled, PolicySet, Request, decide

    document = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                               "Condition": {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}}]}
    if version:
        document["Version"] = version
    request = Request(f"arn:aws:iam::{T}:user/alice", "s3:GetObject", "arn:aws:s3:::b/k", T)
    assert decide(request, PolicySet(identity=(Labeled("id", parse_policy(document)),))).outcome == outcome


MGMT = "999988887777"


def _org_record(name: str, number: int, time: str, params: dict, response: dict | None = None) -> dict:
    """An Organizations call in the shape tests/test_org_tree.py uses (API reference member names)."""
    return {"eventVersion": "1.09", "eventTime": time, "eventSource": "organizations.amazonaws.com",
            "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10",
            "userAgent": "aws-cli/2.15.30", "eventID": f"org-odd-{number:04d}", "eventType": "AwsApiCall",
            "recipientAccountId": MGMT, "requestParameters": params, "responseElements": response,
            "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLEORGADMIN1:ops",
                             "arn": f"arn:aws:sts::{MGMT}:assumed-role/OrgAdmin/ops", "accountId": MGMT}}


def test_an_unreadable_scp_above_the_account_makes_its_answers_unknown(store, tmp_path):
    """An SCP whose content cannot be read, attached to the root: the data account's reads are unknown (the
    SCP may deny), named; the vendor's account, outside the organisation, is judged as before."""
    content = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "NoData", "Effect": "Deny", "Action": "s3:GetObject", "Resource": 5}]})
    policy = {"id": "p-odd00001", "name": "odd", "type": "SERVICE_CONTROL_POLICY",
              "arn": f"arn:aws:organizations::{MGMT}:policy/o-a1b2c3d4e5/service_control_policy/p-odd00001"}
    org = tmp_path / "org.json"
    org.write_text(json.dumps({"Records": [
        _org_record("CreateOrganizationalUnit", 1, "2026-02-01T09:00:00Z", {"parentId": "r-a1b2", "name": "data"},
                    {"organizationalUnit": {"id": "ou-a1b2-data0001", "name": "data",
                                            "arn": f"arn:aws:organizations::{MGMT}:ou/o-a1b2c3d4e5/ou-a1b2-data0001"}}),
        _org_record("MoveAccount", 2, "2026-02-01T09:01:00Z", {"accountId": D, "sourceParentId": "r-a1b2",
                                                              "destinationParentId": "ou-a1b2-data0001"}),
        _org_record("CreatePolicy", 3, "2026-02-01T09:02:00Z",
                    {"content": content, "name": "odd", "type": "SERVICE_CONTROL_POLICY"},
                    {"policy": {"policySummary": policy, "content": content}}),
        _org_record("AttachPolicy", 4, "2026-02-01T09:03:00Z", {"policyId": "p-odd00001", "targetId": "r-a1b2"}),
    ]}))
    summary = load_paths([FIXTURES / "access" / "three-account-chain.json", org], store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded, summary.quarantined, summary.access["quarantined"]) == (13, 13, 0, 1)
    label = "unreadable:content:p-odd00001 set by org-odd-0003"
    reads = [r for r in _reads(store) if r[1] in (FRAUD, SHARED)]
    assert reads == [
        (DATA_ACCESS, FRAUD, "unknown", [f"{DATA_ACCESS}#inline:ReadTrainingData#ReadFraudAndShared", label]),
        (DATA_ACCESS, SHARED, "unknown", [f"{DATA_ACCESS}#inline:ReadTrainingData#ReadFraudAndShared", label]),
        (VENDOR, SHARED, "potential", ["bucket-policy:acme-training-data#VendorShared"])]


def test_a_policy_state_quarantined_again_is_written_once_and_not_counted_as_a_record(store, tmp_path):
    """Every load derives again, so an unreadable state is met again: the quarantine holds it once, and the
    summary's `quarantine_known` (records already there) does not count it."""
    bad = _doc(Sid="VendorShared", Condition={"StringEquals": {"aws:PrincipalOrgID": None}})
    folder = _chain_with_bucket_policy(tmp_path, bad)
    first = load_paths([folder], store, tmp_path / "quarantine.jsonl")
    second = load_paths([folder], store, tmp_path / "quarantine.jsonl")
    assert [(s.quarantined, s.quarantine_known, s.access["quarantined"]) for s in (first, second)] == [
        (0, 0, 1), (0, 0, 1)]
    assert [entry["location"] for entry in _quarantine(tmp_path)] == [f"policy-state:{BUCKET_STATE}"]
