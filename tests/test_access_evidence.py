"""Issue 11, access: an unseen resource policy is `unknown`, never a deny; a successful call is evidence.

Fixtures (tests/fixtures/access, written from AWS's documented record shapes; see their `_comment`):
kms-unknown-key-policy.json: account 111122223333. Bucket kms-data is SSE-KMS with key K1, whose key
policy no record shows; kms-data-2 with key K2, created here with a key policy that does not enable IAM
policies (no "Enable IAM User Permissions" statement, AWS KMS "Key policies"). Both bucket policies are
known (deny insecure transport only). Roles: Trainer (s3:GetObject on both buckets, kms:Decrypt on both
keys; trusted by SageMaker and by PartnerAnalyst of account 444455556666), Analyst (s3:GetObject on
kms-data, no KMS permission), Auditor (s3:GetObject, and an explicit Deny of kms:Decrypt). Training jobs
churn-train (s3://kms-data/train/) and churn-train-2 (s3://kms-data-2/train/), started 2026-04-03 08:00
and 08:05.
kms-observed-decrypt.json: Trainer's successful kms:Decrypt (by S3 on its behalf) and GetObject of
kms-data/train/part-0.csv at 08:10, and Analyst's GetObject refused (errorCode AccessDenied) at 09:00.
"""

from __future__ import annotations

import json

import pytest
from helpers import FIXTURES

from graphgov.access.effective import Labeled, PolicySet, Request, decide
from graphgov.access.policy import parse_policy
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask

A, B = "111122223333", "444455556666"
K1 = f"arn:aws:kms:eu-west-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TRAINER, ANALYST, AUDITOR = (f"arn:aws:iam::{A}:role/{n}" for n in ("Trainer", "Analyst", "Auditor"))
PARTNER = f"arn:aws:iam::{B}:role/PartnerAnalyst"
SM = "sagemaker.amazonaws.com"
DATA, DATA2 = "s3://kms-data/train/", "s3://kms-data-2/train/"
JOB = f"arn:aws:sagemaker:eu-west-1:{A}:training-job/churn-train"
UNSEEN_K1 = f"unknown:key-policy:{K1}"
TRAINER_READ = f"{TRAINER}#inline:ReadTrainingData#ReadData"
ANALYST_READ = f"{ANALYST}#inline:ReadOnly#ReadData"
PARTNER_TRUST = [f"assume:{TRAINER}", f"identity-not-known:{B}#assumed", f"trust:{TRAINER}#Partner"]
GET = "observed:cloudtrail:GetObject@2026-04-03T08:10:01Z#kms00000-0000-4000-8000-000000000015"
DECRYPT = "observed:cloudtrail:Decrypt@2026-04-03T08:10:00Z#kms00000-0000-4000-8000-000000000014"
CONTEXT = "context:observed-call-only"


def _load(store, tmp_path, *names):
    return load_paths([FIXTURES / "access" / n for n in names], store, tmp_path / "quarantine.jsonl")


def _rows(rows, *columns):
    return [tuple(r[c] for c in columns) for r in rows]


# --- the evaluator ------------------------------------------------------------------------------------

def _kms(identity: list[dict], key_policy: dict | None, principal: str = TRAINER,
         grant: dict | None = None) -> tuple[str, tuple[str, ...]]:
    policies = PolicySet(
        identity=tuple(Labeled(f"identity:{i}", parse_policy({"Statement": [s]})) for i, s in enumerate(identity)),
        resource=((Labeled("key-policy:k", parse_policy(key_policy)),) if key_policy else ()) + (
            (Labeled("grant:g-1:k", parse_policy(grant)),) if grant else ()), resource_kind="kms",
        unseen_resource=None if key_policy else f"key-policy:{K1}")
    decision = decide(Request(principal, "kms:Decrypt", K1, A), policies)
    return decision.outcome, decision.via


ALLOW_DECRYPT = {"Sid": "Use", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": K1}
DENY_DECRYPT = {"Sid": "No", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}
ADMINS_ONLY = {"Statement": [{"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/Admin"},
                              "Action": "kms:*", "Resource": "*"}]}
ENABLE_IAM = {"Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                             "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:*", "Resource": "*"}]}


# A KMS grant as graphgov.access.model renders it: it allows whatever the key policy says.
GRANT = {"Statement": [{"Sid": "grant:g-1", "Effect": "Allow", "Principal": {"AWS": TRAINER},
                        "Action": ["kms:Decrypt"], "Resource": "*"}]}


def test_a_grant_allows_whatever_the_unseen_key_policy_says():
    assert _kms([], None, grant=GRANT) == ("allow", ("grant:g-1:k#grant:g-1",))
    assert _kms([DENY_DECRYPT], None, grant=GRANT) == ("deny", ())


@pytest.mark.parametrize(("identity", "key_policy", "principal", "want"), [
    # unseen key policy: an identity allow alone proves nothing (the key policy must enable IAM policies)
    ([ALLOW_DECRYPT], None, TRAINER, ("unknown", (UNSEEN_K1,))),
    # ... and without one the unseen key policy may still name the role itself
    ([], None, TRAINER, ("unknown", (UNSEEN_K1,))),
    # an explicit Deny stays a deny, whatever the key policy says
    ([ALLOW_DECRYPT, DENY_DECRYPT], None, TRAINER, ("deny", ())),
    # across accounts the caller's own identity side must allow too: an external role without it is denied
    ([], None, f"arn:aws:iam::{B}:role/Other", ("implicit-deny", ())),
    ([ALLOW_DECRYPT], None, f"arn:aws:iam::{B}:role/Other", ("unknown", ("identity:0#Use", UNSEEN_K1))),
    # known key policies decide as before
    ([ALLOW_DECRYPT], ADMINS_ONLY, TRAINER, ("implicit-deny", ())),
    ([ALLOW_DECRYPT], ENABLE_IAM, TRAINER, ("allow", ("identity:0#Use", "key-policy:k#Enable IAM User Permissions"))),
])
def test_an_unseen_key_policy_is_tried_both_ways(identity, key_policy, principal, want):
    assert _kms(identity, key_policy, principal) == want


# --- rule 1: the unknown resource side ----------------------------------------------------------------

def test_unknown_key_policy_keeps_readers_as_unknown(store, tmp_path):
    summary = _load(store, tmp_path, "kms-unknown-key-policy.json")
    assert (summary.records, summary.loaded, summary.quarantined) == (13, 13, 0)
    decrypt = sorted((s[1], d[1], a["access"], a["via"]) for s, d, a in store.scan_edges("CAN_DECRYPT"))
    assert decrypt == [(ANALYST, K1, "unknown", [UNSEEN_K1]), (TRAINER, K1, "unknown", [UNSEEN_K1])]
    # Auditor denies itself kms:Decrypt; K2's known key policy enables no IAM policy: neither reads
    assert _rows(ask(store, "training-data-readers"), "dataset", "principal", "account", "access", "via") == [
        (DATA, ANALYST, A, "unknown", [ANALYST_READ, UNSEEN_K1]),
        (DATA, TRAINER, A, "unknown", [TRAINER_READ, UNSEEN_K1]),
        (DATA, PARTNER, B, "unknown", [TRAINER_READ, *PARTNER_TRUST, UNSEEN_K1]),
        (DATA, SM, None, "unknown", [ANALYST_READ, TRAINER_READ, f"assume:{ANALYST}", f"assume:{TRAINER}",
                                     f"trust:{ANALYST}#SageMaker", f"trust:{TRAINER}#SageMaker", UNSEEN_K1]),
    ]
    assert _rows(ask(store, "cross-account-exposure"), "resource", "principal", "access", "via") == [
        (K1, PARTNER, "unknown", [*PARTNER_TRUST, UNSEEN_K1]),
        (DATA, PARTNER, "unknown", [TRAINER_READ, *PARTNER_TRUST, UNSEEN_K1]),
    ]
    assert _rows(ask(store, "access-at-training-time", {"job": JOB}), "principal", "access") == [
        (ANALYST, "unknown"), (TRAINER, "unknown"), (PARTNER, "unknown"), (SM, "unknown")]
    assert ask(store, "access-at-training-time", {"job": "churn-train-2"}) == []


# --- rule 2: observed success -------------------------------------------------------------------------

def test_observed_success_settles_the_unknown_and_passes_potential_down_the_chain(store, tmp_path):
    summary = _load(store, tmp_path, "kms-unknown-key-policy.json", "kms-observed-decrypt.json")
    assert (summary.records, summary.loaded, summary.quarantined) == (16, 15, 0)  # the refused read: skipped
    decrypt = sorted((s[1], d[1], a["access"], a["via"]) for s, d, a in store.scan_edges("CAN_DECRYPT"))
    assert decrypt == [(ANALYST, K1, "unknown", [UNSEEN_K1]), (TRAINER, K1, "observed", [CONTEXT, DECRYPT])]
    assert _rows(ask(store, "training-data-readers"), "dataset", "principal", "access", "via") == [
        (DATA, ANALYST, "unknown", [ANALYST_READ, UNSEEN_K1]),  # its refused GetObject is no evidence
        (DATA, TRAINER, "observed", [TRAINER_READ, "cloudtrail:GetObject", CONTEXT, GET]),
        (DATA, PARTNER, "potential", [TRAINER_READ, f"assume:{TRAINER}", CONTEXT, f"identity-not-known:{B}#assumed",
                                      GET, f"trust:{TRAINER}#Partner"]),
        (DATA, SM, "potential", [TRAINER_READ, f"assume:{TRAINER}", CONTEXT, GET, f"trust:{TRAINER}#SageMaker"]),
        (DATA, SM, "unknown", [ANALYST_READ, f"assume:{ANALYST}", f"trust:{ANALYST}#SageMaker", UNSEEN_K1]),
    ]
    assert _rows(ask(store, "cross-account-exposure"), "resource", "principal", "access", "via") == [
        (K1, PARTNER, "potential", [f"assume:{TRAINER}", CONTEXT, f"identity-not-known:{B}#assumed", DECRYPT,
                                    f"trust:{TRAINER}#Partner"]),
        (DATA, PARTNER, "potential", [TRAINER_READ, f"assume:{TRAINER}", CONTEXT, f"identity-not-known:{B}#assumed",
                                      GET, f"trust:{TRAINER}#Partner"]),
    ]
    # at the job's start (08:00) no known policy changed before the call (08:10): the call settles it
    assert _rows(ask(store, "access-at-training-time", {"job": JOB}), "principal", "access", "via") == [
        (ANALYST, "unknown", [ANALYST_READ, UNSEEN_K1]),
        (TRAINER, "observed", [TRAINER_READ, CONTEXT, GET]),
        (PARTNER, "potential", [TRAINER_READ, f"assume:{TRAINER}", CONTEXT, f"identity-not-known:{B}#assumed", GET,
                                f"trust:{TRAINER}#Partner"]),
        (SM, "potential", [TRAINER_READ, f"assume:{TRAINER}", CONTEXT, GET, f"trust:{TRAINER}#SageMaker"]),
    ]


def test_an_observation_does_not_outlive_a_known_change(store, tmp_path):
    """A Deny added after the call: the call proves nothing about now, and a Deny is never overruled."""
    record = json.loads((FIXTURES / "access" / "kms-unknown-key-policy.json").read_text())["Records"][1]
    record = {**record, "eventTime": "2026-04-04T09:00:00Z", "eventID": "kms00000-0000-4000-8000-000000000099",
              "requestParameters": {"roleName": "Trainer", "policyName": "NoDecrypt", "policyDocument": json.dumps(
                  {"Version": "2012-10-17", "Statement": [{"Sid": "NoDecrypt", "Effect": "Deny",
                                                           "Action": "kms:Decrypt", "Resource": "*"}]})}}
    later = tmp_path / "later-deny.json"
    later.write_text(json.dumps({"Records": [record]}))
    load_paths([FIXTURES / "access" / "kms-unknown-key-policy.json", FIXTURES / "access" / "kms-observed-decrypt.json",
                later], store, tmp_path / "quarantine.jsonl")
    assert [(s[1], a["access"]) for s, _d, a in store.scan_edges("CAN_DECRYPT")] == [(ANALYST, "unknown")]
    now = _rows(ask(store, "training-data-readers"), "principal", "access")
    assert (TRAINER, "observed") in now and (TRAINER, "potential") not in now  # the read itself stays observed
    assert (PARTNER, "potential") not in now and (PARTNER, "unknown") not in now
    then = _rows(ask(store, "access-at-training-time", {"job": JOB}), "principal", "access")
    assert (TRAINER, "observed") in then and (PARTNER, "potential") in then  # the Deny came after the job


def test_unknown_rows_are_findings_in_every_report_form(tmp_path):
    """An unknown row fails a no-rows question like any row, and each form says which document is missing."""
    from graphgov.questions.controls import build_report, unknown_access
    from graphgov.report.html import render_html
    from graphgov.report.render import render_markdown, sarif_log
    from graphgov.stores.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "graph.json.gz")
    # S3 data events are loaded (the question is evidenced): a read outside the training prefix settles nothing
    read = json.loads((FIXTURES / "access" / "kms-observed-decrypt.json").read_text())["Records"][1]
    read = {**read, "eventID": "kms00000-0000-4000-8000-000000000098",
            "requestParameters": {**read["requestParameters"], "key": "other/readme.txt"},
            "resources": [{**read["resources"][0], "ARN": "arn:aws:s3:::kms-data/other/readme.txt"},
                          read["resources"][1]]}
    other = tmp_path / "other-read.json"
    other.write_text(json.dumps({"Records": [read]}))
    load_paths([FIXTURES / "access" / "kms-unknown-key-policy.json", other], store, tmp_path / "q.jsonl")
    report = build_report(store, "all")
    exposure = report.questions["cross-account-exposure"]
    assert exposure.verdict == "fail" and [unknown_access(r) for r in exposure.rows] == [
        [f"key-policy:{K1}"], [f"key-policy:{K1}"]]
    assert {c.verdict for c in report.controls if "cross-account-exposure" in c.questions} == {"fail"}
    results = [r for r in sarif_log(report)["runs"][0]["results"] if r["ruleId"] == "cross-account-exposure"]
    assert [r["properties"]["unknown"] for r in results] == [[f"key-policy:{K1}"]] * 2
    assert all(r["level"] == "error" and r["message"]["text"].endswith(
        f"(access unknown: never seen: key-policy:{K1}; a finding to look at, not a pass)") for r in results)
    assert "2 rows have access `unknown`: a policy that was never seen decides them" in render_markdown(report)
    assert "2 rows have access `unknown`: a policy that was never seen decides them" in render_html(report)
    assert unknown_access({"access": "potential", "via": [UNSEEN_K1]}) is None
