"""Issue 11, Access: SCPs/RCPs by principal and resource kind, and organisation membership settling org conditions.

Fixtures are the three-account chain of tests/test_access.py (data account D with role DataAccess and bucket
acme-training-data, training account T with TrainingRole and job fraud-train at 2026-03-03T08:00:00Z, vendor V
granted `shared/`), plus synthetic AWS Organizations records in the shapes of the Organizations user guide,
"Logging AWS Organizations API calls with AWS CloudTrail" (CreateAccountResult as an AwsServiceEvent with
serviceEventDetails.createAccountStatus; InviteAccountToOrganization and AcceptHandshake with
responseElements.handshake {id, arn, parties[{type, id}], action, state}) and the Organizations API reference
(MoveAccount, LeaveOrganization, AttachPolicy, DescribeOrganization). The organisation-trail folder follows the
CloudTrail user guide, "Finding your CloudTrail log files" (`AWSLogs/<o-id>/<account>/CloudTrail/...`).
"""

from __future__ import annotations

import json

import pytest
from helpers import FIXTURES
from test_org_tree import (
    DATA_ACCESS,
    DENY_DATA,
    DENY_DATA_STATEMENT,
    FRAUD,
    MGMT,
    OU,
    ROOT,
    SHARED,
    TRAINING,
    VENDOR,
    D,
    T,
    V,
    _decide,
    attach,
    create_policy,
    move,
    record,
)

from graphgov.access.derivation import _Deriver, _read_facts
from graphgov.access.model import Target
from graphgov.core.delta import Malformed, Skip
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from loaders import cloudtrail

ORG, OTHER_ORG = "o-a1b2c3d4e5", "o-zz9988776655"
SLR = f"arn:aws:iam::{D}:role/AWSServiceRoleForAmazonSageMakerNotebooks"
ORG_FRAUD = {"Sid": "OrgFraud", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::acme-training-data/fraud/*",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}
VENDOR_SHARED = {"Sid": "VendorShared", "Effect": "Allow", "Principal": {"AWS": VENDOR}, "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::acme-training-data/shared/*"}


def bucket_policy(time: str, *statements: dict) -> dict:
    """PutBucketPolicy as CloudTrail writes it (S3 API reference; the three-account chain's own record shape)."""
    rec = record("PutBucketPolicy", time, {"bucketName": "acme-training-data", "bucketPolicy": {
        "Version": "2012-10-17", "Statement": list(statements)}})
    rec.update(eventSource="s3.amazonaws.com", recipientAccountId=D, awsRegion="eu-west-1")
    rec["userIdentity"] = {"type": "AssumedRole", "principalId": "AROAEXAMPLEDATAADMIN:ops",
                           "arn": f"arn:aws:sts::{D}:assumed-role/DataAdmin/ops", "accountId": D,
                           "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEDATAADMIN",
                                                                "arn": f"arn:aws:iam::{D}:role/DataAdmin",
                                                                "accountId": D, "userName": "DataAdmin"}}}
    return rec


def create_account_result(time: str, account: str, state: str = "SUCCEEDED") -> dict:
    """The service event Organizations records in the management account when CreateAccount completes."""
    rec = record("CreateAccountResult", time, None)
    rec.update(eventType="AwsServiceEvent", userIdentity={"accountId": MGMT, "invokedBy": "AWS Internal"},
               serviceEventDetails={"createAccountStatus": {
                   "id": "car-4d3c2b1a0f9e8d7c6b5a", "state": state, "accountName": "****", "accountId": account,
                   "requestedTimestamp": "Mar 1, 2026 9:00:00 AM", "completedTimestamp": "Mar 1, 2026 9:01:00 AM"}})
    return rec


def handshake(name: str, time: str, account: str, org: str, state: str) -> dict:
    body = {"id": "h-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d",
            "arn": f"arn:aws:organizations::{MGMT}:handshake/{org}/invite/h-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d",
            "parties": [{"type": "ORGANIZATION", "id": org}, {"type": "ACCOUNT", "id": account}],
            "state": state, "action": "INVITE", "requestedTimestamp": "Mar 1, 2026 9:00:00 AM",
            "expirationTimestamp": "Mar 16, 2026 9:00:00 AM"}
    if name == "InviteAccountToOrganization":
        return record(name, time, {"target": {"type": "ACCOUNT", "id": account}}, {"handshake": body})
    rec = record(name, time, {"handshakeId": body["id"]}, {"handshake": body})
    rec["recipientAccountId"] = account  # recorded in the invited account's trail
    rec["userIdentity"] = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                           "accountId": account}
    return rec


def leave(time: str, account: str) -> dict:
    rec = record("LeaveOrganization", time, None)
    rec["recipientAccountId"] = account
    rec["userIdentity"] = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                           "accountId": account}
    return rec


def _load(store, tmp_path, *records: dict, skipped: dict | None = None, extra=()):
    org = tmp_path / "org.json"
    org.write_text(json.dumps({"Records": list(records)}))
    summary = load_paths([FIXTURES / "access" / "three-account-chain.json", org, *extra], store, tmp_path / "q.jsonl")
    assert (summary.quarantined, dict(summary.skipped)) == (0, skipped or {})
    return summary


def _direct_fraud_reads(store) -> list[tuple]:
    return sorted((src[1], a["access"]) for src, dst, a in store.scan_edges("CAN_READ") if dst[1] == FRAUD)


def _readers(store, dataset: str) -> list[tuple]:
    return [(r["principal"], r["access"]) for r in ask(store, "training-data-readers", {"dataset": dataset})]


def _at_training(store) -> list[tuple]:
    return [(r["dataset"], r["principal"], r["access"])
            for r in ask(store, "access-at-training-time", {"job": "fraud-train"})]


ORG_POLICY = ("2026-03-02T09:30:00Z", ORG_FRAUD, VENDOR_SHARED)
KNOWN_ORG = create_policy("2026-02-01T09:00:00Z", "p-orgdeny01", {  # its ARN names the organisation's id
    "Sid": "Nothing", "Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"})


# --- loaders ----------------------------------------------------------------------------------------------


def _states(delta) -> list[tuple]:
    return [(n.props["subject"], n.props["slot"], n.props.get("target"), n.props.get("document"), n.props["deleted"])
            for n in delta.nodes if n.type == "PolicyState"]


def test_create_account_result_starts_membership_in_the_management_accounts_organisation():
    delta = cloudtrail.parse(create_account_result("2026-02-01T09:01:00Z", T))
    assert _states(delta) == [(T, "organization", None, f'{{"joined":true,"via":"{MGMT}"}}', False)]
    with pytest.raises(Skip, match="^org_account_not_created$"):  # a FAILED creation makes no member
        cloudtrail.parse(create_account_result("2026-02-01T09:01:00Z", T, "FAILED"))


def test_the_panther_create_account_result_sample_is_read_and_its_bad_account_id_quarantined():
    """Panther's sample: no userIdentity, serviceEventDetails as JSON text, a 16-digit accountId."""
    line = next(x for x in (FIXTURES / "cloudtrail" / "panther-cloudtrail-tests.jsonl").read_text().splitlines()
                if '"CreateAccountResult"' in x)
    sample = json.loads(line)
    sample = sample.get("log", sample)
    with pytest.raises(Malformed) as raised:
        cloudtrail.parse(sample)
    assert str(raised.value) == "CreateAccountResult: accountId '1111111111111111' is not an account id"
    fixed = json.loads(json.dumps(sample).replace("1111111111111111", T))
    assert _states(cloudtrail.parse(fixed)) == [(T, "organization", None, '{"joined":true,"via":"292442345278"}',
                                                 False)]


def test_accept_handshake_names_the_organisation_and_an_invitation_is_not_membership():
    delta = cloudtrail.parse(handshake("AcceptHandshake", "2026-02-01T09:00:00Z", V, OTHER_ORG, "ACCEPTED"))
    assert _states(delta) == [(V, "organization", OTHER_ORG, '{"joined":true}', False)]
    with pytest.raises(Skip, match="^org_invitation_not_membership$"):
        cloudtrail.parse(handshake("InviteAccountToOrganization", "2026-02-01T09:00:00Z", V, ORG, "OPEN"))


# --- aws:PrincipalOrgID, on both stores ---------------------------------------------------------------------


def test_unknown_membership_stays_conditional(store, tmp_path):
    _load(store, tmp_path, bucket_policy(*ORG_POLICY))
    assert _direct_fraud_reads(store) == [(TRAINING, "conditional"), (DATA_ACCESS, "potential"),
                                          (VENDOR, "conditional")]
    # at the job's start, TrainingRole's own read stays conditional, but it could assume DataAccess, whose
    # read the condition does not limit: through that chain it (and SageMaker through it) could read
    assert _at_training(store) == [(FRAUD, TRAINING, "potential"), (FRAUD, DATA_ACCESS, "potential"),
                                   (FRAUD, VENDOR, "conditional"), (FRAUD, "sagemaker.amazonaws.com", "potential"),
                                   (SHARED, VENDOR, "potential")]


def test_a_created_account_is_in_the_organisation_and_a_vendor_invited_only_is_not_settled(store, tmp_path):
    _load(store, tmp_path, KNOWN_ORG, create_account_result("2026-02-01T09:01:00Z", T),
          handshake("InviteAccountToOrganization", "2026-02-01T09:02:00Z", V, ORG, "OPEN"),
          bucket_policy(*ORG_POLICY), skipped={"org_invitation_not_membership": 1})
    # TrainingRole's account is a member: the org grant holds; the vendor was only invited: still conditional
    assert _direct_fraud_reads(store) == [(TRAINING, "potential"), (DATA_ACCESS, "potential"),
                                          (VENDOR, "conditional")]
    assert _readers(store, FRAUD) == [(TRAINING, "potential"), (DATA_ACCESS, "observed"), (DATA_ACCESS, "potential"),
                                      (VENDOR, "conditional"), ("sagemaker.amazonaws.com", "potential")]


def test_an_account_of_another_organisation_is_not_granted(store, tmp_path):
    _load(store, tmp_path, handshake("AcceptHandshake", "2026-02-01T09:00:00Z", V, OTHER_ORG, "ACCEPTED"),
          bucket_policy(*ORG_POLICY))
    assert _direct_fraud_reads(store) == [(TRAINING, "conditional"), (DATA_ACCESS, "potential")]
    decision = _decide(store, VENDOR, FRAUD)
    assert decision.access == "deny"  # implicitly: no grant matches a vendor of o-zz9988776655


def test_membership_is_judged_at_the_time_asked_about(store, tmp_path):
    """T was a member when fraud-train started (03-03) and left on 03-04: the org grant held at training time
    only. Before the account's creation (its first evidence, a join) it was in no organisation."""
    _load(store, tmp_path, KNOWN_ORG, create_account_result("2026-02-01T09:01:00Z", T), bucket_policy(*ORG_POLICY),
          leave("2026-03-04T09:00:00Z", T))
    assert _direct_fraud_reads(store) == [(DATA_ACCESS, "potential"), (VENDOR, "conditional")]
    model = _Deriver(_read_facts(store)).model
    assert model.organization_of(T, "2026-03-03T08:00:00Z") == (ORG, True)
    assert model.organization_of(T, "2026-03-05T00:00:00Z") == (None, True)
    assert model.organization_of(T, "2026-01-01T00:00:00Z") == (None, True)
    assert model.organization_of(V, "2026-03-03T08:00:00Z") == (None, False)
    assert _decide(store, TRAINING, FRAUD, "2026-03-03T08:00:00Z").access == "allow"
    assert _decide(store, TRAINING, FRAUD).access == "deny"
    assert _at_training(store) == [(FRAUD, TRAINING, "potential"), (FRAUD, DATA_ACCESS, "potential"),
                                   (FRAUD, VENDOR, "conditional"), (FRAUD, "sagemaker.amazonaws.com", "potential"),
                                   (SHARED, VENDOR, "potential")]


def test_an_organisation_trail_folder_proves_membership(store, tmp_path):
    folder = tmp_path / "AWSLogs" / ORG / T / "CloudTrail" / "eu-west-1" / "2026" / "03" / "01"
    folder.mkdir(parents=True)
    chain = json.loads((FIXTURES / "access" / "three-account-chain.json").read_text())["Records"]
    # T's CreateRole as the organisation trail delivered it (its own copy: a new event id)
    ours = [dict(r, eventID="7c1e5f4a-0000-4000-8000-0000000000aa") for r in chain
            if r["recipientAccountId"] == T and r["eventName"] == "CreateRole"]
    (folder / f"{T}_CloudTrail_eu-west-1_20260301T1015Z_abcdefghijklmnop.json").write_text(
        json.dumps({"Records": ours}))
    _load(store, tmp_path, bucket_policy(*ORG_POLICY), extra=[tmp_path / "AWSLogs"])
    assert _direct_fraud_reads(store) == [(TRAINING, "potential"), (DATA_ACCESS, "potential"),
                                          (VENDOR, "conditional")]
    states = [a for _k, a in store.scan_nodes("PolicyState") if a["slot"] == "organization"]
    assert [(a["subject"], a["target"], a["evidence"], a["first_seen"]) for a in states] == [
        (T, ORG, "snapshot", "2026-03-01T10:10:00Z")]


def test_org_paths_and_resource_org_id_come_from_the_tree_and_membership(embedded_store, tmp_path):
    _load(embedded_store, tmp_path, KNOWN_ORG, create_account_result("2026-02-01T09:01:00Z", T),
          record("CreateOrganizationalUnit", "2026-02-01T09:02:00Z", {"parentId": ROOT, "name": "restricted"},
                 {"organizationalUnit": {"id": OU, "name": "restricted",
                                         "arn": f"arn:aws:organizations::{MGMT}:ou/{ORG}/{OU}"}}),
          move("2026-02-01T09:03:00Z", T, ROOT, OU), move("2026-02-01T09:04:00Z", D, ROOT, OU))
    model = _Deriver(_read_facts(embedded_store)).model
    assert model.org_context("role", T, D, "2026-03-03T08:00:00Z") == {
        "aws:PrincipalOrgID": ORG, "aws:PrincipalOrgPaths": [f"{ORG}/{ROOT}/{OU}/"], "aws:ResourceOrgID": ORG}
    assert model.org_context("root", V, V, "2026-03-03T08:00:00Z") == {}  # nothing known of the vendor


# --- SCPs by principal kind ------------------------------------------------------------------------------


def test_an_scp_on_a_member_account_removes_its_account_root(store, tmp_path):
    """The vendor is a member (MoveAccount in the management account's trail) whose SCP denies reading the
    training data: `arn:aws:iam::999999999999:root` (whoever V lets in) can no longer read `shared/`."""
    _load(store, tmp_path, create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          move("2026-03-01T09:01:00Z", V, ROOT, OU), attach("2026-03-01T09:02:00Z", DENY_DATA, V))
    assert [r for r in _direct_reads(store) if r[0] == VENDOR] == []
    denied = _decide(store, VENDOR, SHARED)
    assert (denied.access, denied.via) == ("deny", [f"scp:{DENY_DATA}@{V}#NoTrainingData"])
    exposure = [(r["resource"], r["access"], r["via"]) for r in ask(store, "cross-account-exposure", {})
                if r["principal"] == VENDOR]
    # what remains goes through DataAccess, a role of D: its session is D's principal, not limited by V's SCPs
    assert exposure and all(any(v.startswith("assume:") for v in via) for _r, _a, via in exposure)


def test_the_management_accounts_root_is_never_limited(store, tmp_path):
    """The same SCP attached to the vendor, but the vendor is the management account (the organisation's policies'
    ARNs name it): no SCP applies to it, so its root keeps `shared/`."""
    _load(store, tmp_path, json.loads(json.dumps(create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT))
                                      .replace(MGMT, V)),
          attach("2026-03-01T09:02:00Z", DENY_DATA, V))
    assert [r for r in _direct_reads(store) if r[0] == VENDOR] == [(VENDOR, SHARED, "potential")]
    assert _decide(store, VENDOR, SHARED).access == "allow"


def test_a_service_linked_role_is_not_limited_by_scps(store, tmp_path):
    """An SCP denying the data to account D stops DataAccess, never D's service-linked role (IAM path
    /aws-service-role/; its permissions are the service's)."""
    slr = record("CreateRole", "2026-03-01T09:30:00Z", {
        "roleName": "AWSServiceRoleForAmazonSageMakerNotebooks", "path": "/aws-service-role/sagemaker.amazonaws.com/",
        "assumeRolePolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]})},
        {"role": {"arn": f"arn:aws:iam::{D}:role/aws-service-role/sagemaker.amazonaws.com/"
                         "AWSServiceRoleForAmazonSageMakerNotebooks",
                  "roleName": "AWSServiceRoleForAmazonSageMakerNotebooks",
                  "path": "/aws-service-role/sagemaker.amazonaws.com/", "roleId": "AROAEXAMPLESLR000001"}})
    inline = record("PutRolePolicy", "2026-03-01T09:31:00Z", {
        "roleName": "AWSServiceRoleForAmazonSageMakerNotebooks", "policyName": "Read",
        "policyDocument": json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-training-data/*"}]})})
    for rec in (slr, inline):
        rec.update(eventSource="iam.amazonaws.com", recipientAccountId=D)
        rec["userIdentity"] = {**rec["userIdentity"], "accountId": D,
                               "arn": f"arn:aws:sts::{D}:assumed-role/OrgAdmin/ops"}
        rec["userIdentity"]["sessionContext"]["sessionIssuer"] = {
            "type": "Role", "principalId": "AROAEXAMPLEORGADMIN1", "arn": f"arn:aws:iam::{D}:role/OrgAdmin",
            "accountId": D, "userName": "OrgAdmin"}
    _load(store, tmp_path, create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          attach("2026-03-01T09:02:00Z", DENY_DATA, D), slr, inline)
    assert _direct_reads(store) == [(SLR, FRAUD, "potential"), (SLR, SHARED, "potential"),
                                    (VENDOR, SHARED, "potential")]
    assert _decide(store, DATA_ACCESS, FRAUD).access == "deny"


def test_detaching_full_aws_access_without_a_replacement_denies(embedded_store, tmp_path):
    _load(embedded_store, tmp_path, create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          attach("2026-03-01T09:01:00Z", DENY_DATA, D),
          attach("2026-03-01T09:02:00Z", "p-FullAWSAccess", D, "DetachPolicy"))
    decision = _decide(embedded_store, DATA_ACCESS, SHARED, "2026-03-05T13:00:00Z")
    assert decision.access == "deny"  # no SCP at D's level allows s3:GetObject any more (an allow-list)
    model = _Deriver(_read_facts(embedded_store)).model
    assert [[d.label for d in level] for level in model._org_levels(D, "scp", "2026-03-05T13:00:00Z")] == [
        [f"scp:{DENY_DATA}@{D}"]]


# --- RCPs by service and key --------------------------------------------------------------------------------


def test_rcps_limit_only_the_services_they_support_and_not_aws_managed_keys(embedded_store, tmp_path):
    _load(embedded_store, tmp_path)
    model = _Deriver(_read_facts(embedded_store)).model
    key = f"arn:aws:kms:eu-west-1:{D}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    kms = Target("KMSKey", key, "CAN_DECRYPT", ("kms:Decrypt",), key, D, "kms", key)
    endpoint = Target("Endpoint", f"arn:aws:sagemaker:eu-west-1:{D}:endpoint/fraud", "CAN_INVOKE",
                      ("sagemaker:InvokeEndpoint",), f"arn:aws:sagemaker:eu-west-1:{D}:endpoint/fraud", D, "other")
    assert model.rcp_limits("kms:Decrypt", kms) is True
    assert model.rcp_limits("s3:GetObject", kms) is True
    assert model.rcp_limits("sagemaker:InvokeEndpoint", endpoint) is False
    assert model.rcp_limits("bedrock:InvokeModel", endpoint) is False
    managed = type(model)(model.timeline, {}, aws_managed_keys={key})
    assert managed.rcp_limits("kms:Decrypt", kms) is False
    assert model.scp_limits(SLR, "role") is False
    assert model.scp_limits(DATA_ACCESS, "role") is True
    assert model.scp_limits(VENDOR, "root") is True
    assert model.scp_limits("sagemaker.amazonaws.com", "service") is False


def _direct_reads(store) -> list[tuple]:
    # training datasets only: the job's output bucket, whose policy no record shows, is read `unknown`
    return sorted((src[1], dst[1], a["access"]) for src, dst, a in store.scan_edges("CAN_READ") if dst[0] == "Dataset")


# --- SCPs apply from the moment they are attached, at the account level too (both stores) --------------------

BASELINE_NOW = [(DATA_ACCESS, FRAUD, "potential"), (DATA_ACCESS, SHARED, "potential"), (VENDOR, SHARED, "potential")]
BASELINE_AT_TRAINING = [(FRAUD, TRAINING, "potential"), (FRAUD, DATA_ACCESS, "potential"),
                        (FRAUD, VENDOR, "conditional"), (FRAUD, "sagemaker.amazonaws.com", "potential"),
                        (SHARED, VENDOR, "potential")]


def test_an_account_scp_attached_after_the_job_started_does_not_cut_it(store, tmp_path):
    _load(store, tmp_path, create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          attach("2026-03-04T09:00:00Z", DENY_DATA, D))
    assert _direct_reads(store) == [(VENDOR, SHARED, "potential")]
    assert _at_training(store) == BASELINE_AT_TRAINING


def test_an_account_scp_detached_after_the_job_had_cut_it(store, tmp_path):
    """A DetachPolicy proves the policy was attached just before: the job that ran before it was cut."""
    _load(store, tmp_path, create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          attach("2026-03-04T09:00:00Z", DENY_DATA, D, "DetachPolicy"))
    assert _direct_reads(store) == BASELINE_NOW
    assert _at_training(store) == [(SHARED, VENDOR, "potential")]


# --- aws:ResourceOrgID (both stores) -----------------------------------------------------------------------

PERIMETER = {"Sid": "OnlyOurOrgsData", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:ResourceOrgID": ORG}}}


def _perimeter() -> dict:
    """A data-perimeter statement on DataAccess (AWS data perimeter examples: deny access to resources outside
    the organisation), as PutRolePolicy in D's trail."""
    rec = record("PutRolePolicy", "2026-03-01T11:00:00Z", {
        "roleName": "DataAccess", "policyName": "Perimeter",
        "policyDocument": json.dumps({"Version": "2012-10-17", "Statement": [PERIMETER]})})
    rec.update(eventSource="iam.amazonaws.com", recipientAccountId=D)
    rec["userIdentity"] = {**rec["userIdentity"], "accountId": D, "arn": f"arn:aws:sts::{D}:assumed-role/Admin/ops"}
    rec["userIdentity"]["sessionContext"]["sessionIssuer"] = {
        "type": "Role", "principalId": "AROAEXAMPLEDADMIN001", "arn": f"arn:aws:iam::{D}:role/Admin",
        "accountId": D, "userName": "Admin"}
    return rec


def _data_access_reads(store) -> list[tuple]:
    return [r for r in _direct_reads(store) if r[0] == DATA_ACCESS]


def test_resource_org_id_is_settled_by_the_bucket_accounts_membership(store, tmp_path):
    _load(store, tmp_path, _perimeter())
    assert _data_access_reads(store) == [(DATA_ACCESS, FRAUD, "conditional"), (DATA_ACCESS, SHARED, "conditional")]


def test_resource_org_id_of_a_member_bucket_account_lets_the_perimeter_pass(store, tmp_path):
    _load(store, tmp_path, KNOWN_ORG, move("2026-02-01T09:03:00Z", D, ROOT, OU), _perimeter())
    assert _data_access_reads(store) == [(DATA_ACCESS, FRAUD, "potential"), (DATA_ACCESS, SHARED, "potential")]


def test_resource_org_id_of_another_organisation_is_denied_by_the_perimeter(store, tmp_path):
    _load(store, tmp_path, handshake("AcceptHandshake", "2026-02-01T09:00:00Z", D, OTHER_ORG, "ACCEPTED"),
          _perimeter())
    assert _data_access_reads(store) == []
    denied = _decide(store, DATA_ACCESS, FRAUD)
    assert (denied.access, denied.via) == ("deny", [f"{DATA_ACCESS}#inline:Perimeter#OnlyOurOrgsData"])


def test_before_the_log_window_an_attachment_seen_only_later_is_unknown(embedded_store, tmp_path):
    """A DetachPolicy on 03-04 proves the SCP was attached just before, back to the start of the evidence
    (the job on 03-03 was cut); earlier than any evidence whether it was attached is not known."""
    _load(embedded_store, tmp_path, create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          attach("2026-03-04T09:00:00Z", DENY_DATA, D, "DetachPolicy"))
    within = _decide(embedded_store, DATA_ACCESS, FRAUD, "2026-03-03T08:00:00Z")
    assert (within.access, within.via) == ("deny", [f"scp:{DENY_DATA}@{D}#NoTrainingData"])
    before = _decide(embedded_store, DATA_ACCESS, FRAUD, "2026-02-15T00:00:00Z")
    assert (before.access, before.via) == ("unknown", [])
    assert _decide(embedded_store, DATA_ACCESS, FRAUD).access == "allow"
