"""Effective access end to end, on both stores: policy changes in CloudTrail -> CAN_* edges -> the questions.

The three-account chain (tests/fixtures/access/three-account-chain.json): data account 222222222222 owns
`acme-training-data`; its role DataAccess trusts the training account's TrainingRole and, with an
sts:ExternalId condition, the vendor account 999999999999; a bucket policy grants the vendor `shared/`.
TrainingRole (account 111111111111) runs `fraud-train` on `fraud/` and `shared/`, assumes DataAccess and
reads `fraud/part-0.csv` through it. DataAccess's policy is widened to `shared/` after the job ran.

public-data.json: a bucket policy open to anyone (one statement limited to the organisation), a
public-read-write bucket ACL, a public object ACL on a trained model, and the same mistakes neutralised
by RestrictPublicBuckets and by Object Ownership "bucket owner enforced".
"""

from __future__ import annotations

from helpers import FIXTURES, PUBLIC_DATA_ROWS

from graphgov.access.derivation import refresh_access
from graphgov.core.delta import GraphDelta
from graphgov.core.policy_facts import policy_state
from graphgov.ingest.aggregate import Aggregate
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask

D, T, V = "222222222222", "111111111111", "999999999999"
DATA_ACCESS, TRAINING = f"arn:aws:iam::{D}:role/DataAccess", f"arn:aws:iam::{T}:role/TrainingRole"
VENDOR = f"arn:aws:iam::{V}:root"
FRAUD, SHARED = "s3://acme-training-data/fraud/", "s3://acme-training-data/shared/"
JOB = f"arn:aws:sagemaker:eu-west-1:{T}:training-job/fraud-train"
MODEL = "s3://acme-models-t/output/fraud-train/output/model.tar.gz"
SM = "sagemaker.amazonaws.com"
READ_V1 = f"{DATA_ACCESS}#inline:ReadTrainingData#ReadFraud"
READ_V2 = f"{DATA_ACCESS}#inline:ReadTrainingData#ReadFraudAndShared"
ASSUME_DATA = f"assume:{DATA_ACCESS}"
TRUST_TRAINING = f"trust:{DATA_ACCESS}#TrainingAccount"
TRUST_VENDOR = f"trust:{DATA_ACCESS}#Vendor"
TRUST_SM = f"trust:{TRAINING}#SageMaker"
USE_DATA = f"{TRAINING}#inline:UseDataAccount#AssumeData"
VENDOR_SHARED = "bucket-policy:acme-training-data#VendorShared"


def _load(store, tmp_path, name):
    return load_paths([FIXTURES / "access" / name], store, tmp_path / "quarantine.jsonl")


def test_three_account_chain_access_edges(store, tmp_path):
    summary = _load(store, tmp_path, "three-account-chain.json")
    assert (summary.records, summary.loaded, summary.quarantined) == (9, 9, 0)
    assert summary.access == {"policy_states": 8, "principals": 5, "targets": 11, "decisions": 23,
                              "edges": {"CAN_ASSUME": 6, "CAN_READ": 5, "CAN_WRITE": 2, "INPUT_READABLE_BY": 4}}
    reads = sorted((src[1], dst[1], a["access"], a["actions"]) for src, dst, a in store.scan_edges("CAN_READ"))
    assert reads == [  # s3:ListBucket is granted to nobody here: reading, not listing
        (TRAINING, MODEL, "unknown", ["s3:GetObject", "s3:ListBucket"]),
        (DATA_ACCESS, MODEL, "unknown", ["s3:GetObject", "s3:ListBucket"]),
        (DATA_ACCESS, FRAUD, "potential", ["s3:GetObject"]),
        (DATA_ACCESS, SHARED, "potential", ["s3:GetObject"]),
        (VENDOR, SHARED, "potential", ["s3:GetObject"]),
    ]
    # The job's output bucket: its policy (and owner) never seen, so what it grants is unknown, not "nobody"
    assert {(src[1], a["via"][0]) for src, dst, a in store.scan_edges("CAN_WRITE")} == {
        (TRAINING, "unknown:bucket-policy:acme-models-t"), (DATA_ACCESS, "unknown:bucket-policy:acme-models-t")}
    assumes = sorted((src[1], dst[1], a["access"], a["via"]) for src, dst, a in store.scan_edges("CAN_ASSUME"))
    admin_t, admin_d, engineer = f"arn:aws:iam::{T}:role/Admin", f"arn:aws:iam::{D}:role/Admin", \
        f"arn:aws:iam::{T}:role/MLEngineer"
    assert [a[:3] for a in assumes] == [
        # Admin and MLEngineer are known only as callers: their trust policies were never seen, so whether a
        # role of their account may assume them is unknown (issue 11), not "no"
        (TRAINING, admin_t, "unknown"), (TRAINING, engineer, "unknown"), (TRAINING, DATA_ACCESS, "potential"),
        (DATA_ACCESS, admin_d, "unknown"), (VENDOR, DATA_ACCESS, "conditional"), (SM, TRAINING, "potential")]
    assert [a[3] for a in assumes if a[2] == "unknown"] == [
        [f"unknown:trust-policy:{admin_t}"], [f"unknown:trust-policy:{engineer}"], [f"unknown:trust-policy:{admin_d}"]]


def test_training_data_readers_observed_potential_and_conditional(store, tmp_path):
    _load(store, tmp_path, "three-account-chain.json")
    rows = ask(store, "training-data-readers")
    assert [(r["dataset"], r["principal"], r["account"], r["access"]) for r in rows] == [
        (FRAUD, TRAINING, T, "potential"),
        (FRAUD, DATA_ACCESS, D, "observed"),
        (FRAUD, DATA_ACCESS, D, "potential"),
        (FRAUD, VENDOR, V, "conditional"),  # through DataAccess, whose trust wants an sts:ExternalId
        (FRAUD, SM, None, "potential"),
        (SHARED, TRAINING, T, "potential"),
        (SHARED, DATA_ACCESS, D, "potential"),
        (SHARED, VENDOR, V, "conditional"),
        (SHARED, VENDOR, V, "potential"),  # the bucket policy grants the vendor the prefix directly
        (SHARED, SM, None, "potential"),
    ]
    assert rows[1]["via"] == ["cloudtrail:GetObject"]
    assert rows[0]["via"] == [USE_DATA, READ_V2, ASSUME_DATA, TRUST_TRAINING]
    assert rows[4]["via"] == [USE_DATA, READ_V2, f"assume:{TRAINING}", ASSUME_DATA, TRUST_SM, TRUST_TRAINING]
    assert rows[8]["via"] == [VENDOR_SHARED]
    assert ask(store, "training-data-readers", {"dataset": SHARED}) == rows[5:]


def test_cross_account_exposure(store, tmp_path):
    _load(store, tmp_path, "three-account-chain.json")
    rows = ask(store, "cross-account-exposure")
    assert [(r["resource"], r["resource_account"], r["principal"], r["principal_account"], r["access"], r["via"])
            for r in rows] == [
        (FRAUD, D, TRAINING, T, "observed", [ASSUME_DATA, "cloudtrail:GetObject"]),
        (FRAUD, D, TRAINING, T, "potential", [USE_DATA, READ_V2, ASSUME_DATA, TRUST_TRAINING]),
        (FRAUD, D, VENDOR, V, "conditional", [READ_V2, ASSUME_DATA, TRUST_VENDOR]),
        (SHARED, D, TRAINING, T, "potential", [USE_DATA, READ_V2, ASSUME_DATA, TRUST_TRAINING]),
        (SHARED, D, VENDOR, V, "conditional", [READ_V2, ASSUME_DATA, TRUST_VENDOR]),
        (SHARED, D, VENDOR, V, "potential", [VENDOR_SHARED]),
    ]


def test_access_at_training_time_uses_the_policies_of_then(store, tmp_path):
    _load(store, tmp_path, "three-account-chain.json")
    rows = ask(store, "access-at-training-time", {"job": "fraud-train"})
    assert rows == [
        {"job": JOB, "as_of": "2026-03-03T08:00:00Z", "dataset": FRAUD, "principal": TRAINING, "account": T,
         "access": "potential", "via": [USE_DATA, READ_V1, ASSUME_DATA, TRUST_TRAINING]},
        {"job": JOB, "as_of": "2026-03-03T08:00:00Z", "dataset": FRAUD, "principal": DATA_ACCESS, "account": D,
         "access": "potential", "via": [READ_V1]},
        {"job": JOB, "as_of": "2026-03-03T08:00:00Z", "dataset": FRAUD, "principal": VENDOR, "account": V,
         "access": "conditional", "via": [READ_V1, ASSUME_DATA, TRUST_VENDOR]},
        {"job": JOB, "as_of": "2026-03-03T08:00:00Z", "dataset": FRAUD, "principal": SM, "account": None,
         "access": "potential", "via": [USE_DATA, READ_V1, f"assume:{TRAINING}", ASSUME_DATA, TRUST_SM,
                                        TRUST_TRAINING]},
        # DataAccess could not read shared/ yet: its policy was widened two days after the job started
        {"job": JOB, "as_of": "2026-03-03T08:00:00Z", "dataset": SHARED, "principal": VENDOR, "account": V,
         "access": "potential", "via": [VENDOR_SHARED]},
    ]
    assert ask(store, "access-at-training-time", {"job": JOB.replace("fraud-train", "Fraud-Train")}) == rows


def test_iam_changes_on_ai_roles(store, tmp_path):
    _load(store, tmp_path, "three-account-chain.json")
    rows = ask(store, "iam-changes-on-ai-roles")
    assert [(r["role"], r["reasons"], r["operation"], r["slot"], r["actor"], r["time"]) for r in rows] == [
        (TRAINING, ["runs-jobs"], "CreateRole", "lifecycle", f"arn:aws:iam::{T}:role/Admin", "2026-03-01T10:10:00Z"),
        (TRAINING, ["runs-jobs"], "CreateRole", "trust", f"arn:aws:iam::{T}:role/Admin", "2026-03-01T10:10:00Z"),
        (TRAINING, ["runs-jobs"], "PutRolePolicy", "inline:UseDataAccount", f"arn:aws:iam::{T}:role/Admin",
         "2026-03-01T10:15:00Z"),
        (DATA_ACCESS, ["can-read-training-data", "read-training-data"], "CreateRole", "lifecycle",
         f"arn:aws:iam::{D}:role/Admin", "2026-03-01T10:00:00Z"),
        (DATA_ACCESS, ["can-read-training-data", "read-training-data"], "CreateRole", "trust",
         f"arn:aws:iam::{D}:role/Admin", "2026-03-01T10:00:00Z"),
        (DATA_ACCESS, ["can-read-training-data", "read-training-data"], "PutRolePolicy", "inline:ReadTrainingData",
         f"arn:aws:iam::{D}:role/Admin", "2026-03-01T10:05:00Z"),
        (DATA_ACCESS, ["can-read-training-data", "read-training-data"], "PutRolePolicy", "inline:ReadTrainingData",
         f"arn:aws:iam::{D}:role/Admin", "2026-03-05T12:00:00Z"),
    ]
    assert {r["changed"] for r in rows} == {TRAINING, DATA_ACCESS}
    assert rows[-1]["event_id"] == "00000000-0000-4000-8000-000000000009"


def test_public_ai_data_as_aws_judges_public(store, tmp_path):
    _load(store, tmp_path, "public-data.json")
    # internal/ is open only to the organisation (aws:PrincipalOrgID): not public for reading;
    # acme-datasets-blocked: RestrictPublicBuckets and ACLs disabled keep its open policy and ACL shut
    assert ask(store, "public-ai-data") == PUBLIC_DATA_ROWS


def test_access_before_the_earliest_evidence_is_unknown_not_granted(store, tmp_path):
    """A policy known only from a later snapshot says nothing certain about the job's start."""
    _load(store, tmp_path, "three-account-chain.json")
    node, edge = policy_state("S3Bucket", "acme-training-data", "acl", "acl", evidence="snapshot", document={
        "Grants": []})
    role_node, role_edge = policy_state("AWSRole", f"arn:aws:iam::{D}:role/Auditor", "inline:ReadAll", "identity",
                                        evidence="snapshot", document={"Statement": [{
                                            "Effect": "Allow", "Action": "s3:GetObject",
                                            "Resource": "arn:aws:s3:::acme-training-data/*"}]})
    from graphgov.core.delta import NodeRow
    auditor = NodeRow("AWSRole", f"arn:aws:iam::{D}:role/Auditor", {"arn": f"arn:aws:iam::{D}:role/Auditor",
                                                                     "account_id": D, "name": "Auditor"})
    aggregate = Aggregate()
    aggregate.add(GraphDelta("pull:iam", "snap-1", "snap-1", "snap-1", "2026-06-01T00:00:00Z",
                             (auditor, node, role_node), (edge, role_edge)))
    store.write(aggregate, {"snap-1": "2026-06-01"})
    refresh_access(store)
    rows = ask(store, "access-at-training-time", {"job": "fraud-train"})
    auditor_rows = [(r["dataset"], r["access"]) for r in rows if r["principal"].endswith("role/Auditor")]
    assert auditor_rows == [(FRAUD, "unknown"), (SHARED, "unknown")]
    now = [(r["dataset"], r["access"]) for r in ask(store, "training-data-readers")
           if r["principal"].endswith("role/Auditor")]
    assert now == [(FRAUD, "potential"), (SHARED, "potential")]


def test_assuming_a_role_with_a_path_is_judged_on_the_arn_iam_matches(store):
    """Identity policies must name a role with its path; the graph keys roles without it."""
    from graphgov.core.delta import NodeRow

    target, caller = "arn:aws:iam::111111111111:role/DataAccess", "arn:aws:iam::111111111111:role/Trainer"
    rows = [NodeRow("AWSRole", target, {"arn": target, "path": "/cross-account/", "account_id": "111111111111"}),
            NodeRow("AWSRole", caller, {"arn": caller, "path": "/", "account_id": "111111111111"})]
    states = [
        policy_state("AWSRole", target, "trust", "trust", evidence="snapshot", document={"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]}),
        policy_state("AWSRole", caller, "inline:Assume", "identity", evidence="snapshot", document={"Statement": [
            {"Sid": "WithPath", "Effect": "Allow", "Action": "sts:AssumeRole",
             "Resource": "arn:aws:iam::111111111111:role/cross-account/DataAccess"}]}),
    ]
    aggregate = Aggregate()
    aggregate.add(GraphDelta("pull:iam", "s", "s", "s", "2026-06-01T00:00:00Z",
                             tuple(rows) + tuple(n for n, _ in states), tuple(e for _, e in states)))
    store.write(aggregate, {"s": "2026-06-01"})
    assert refresh_access(store).edges == {"CAN_ASSUME": 2}
    (src, dst, attrs), = [(s, d, a) for s, d, a in store.scan_edges("CAN_ASSUME") if a["access"] != "unknown"]
    # the caller's own trust policy was never seen: whether DataAccess may assume it is unknown
    assert [(s[1], d[1], a["via"]) for s, d, a in store.scan_edges("CAN_ASSUME") if a["access"] == "unknown"] == [
        (target, caller, [f"unknown:trust-policy:{caller}"])]
    assert (src[1], dst[1], attrs["access"]) == (caller, target, "potential")
    assert attrs["via"] == [f"{caller}#inline:Assume#WithPath", f"trust:{target}#0"]
