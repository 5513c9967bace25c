"""The AWS Organizations tree and the SCPs/RCPs attached above the account: loaders, evaluation, `pull iam`.

The CloudTrail records are synthetic, in the shapes of the Organizations API reference (lowerCamelCase
members, as CloudTrail writes requestParameters): MoveAccount, CreateOrganizationalUnit,
DeleteOrganizationalUnit, RemoveAccountFromOrganization, CreatePolicy, AttachPolicy, DetachPolicy.
The end-to-end cases add them to the three-account chain of tests/test_access.py: data account
222222222222 (role DataAccess, bucket acme-training-data), training account 111111111111 (TrainingRole,
job fraud-train at 2026-03-03T08:00:00Z), vendor 999999999999 (granted `shared/` by the bucket policy).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from helpers import FIXTURES

from graphgov.access.derivation import _Deriver, _read_facts
from graphgov.access.model import Target
from graphgov.access.timeline import END_OF_TIME
from graphgov.aws.pullers.iam import AWS_CALLS, pull_iam
from graphgov.aws.session import aws_session
from graphgov.core.delta import Malformed, Skip
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from loaders import cloudtrail

pytest_plugins = ("moto_server",)

D, T, V, MGMT = "222222222222", "111111111111", "999999999999", "999988887777"
DATA_ACCESS, TRAINING = f"arn:aws:iam::{D}:role/DataAccess", f"arn:aws:iam::{T}:role/TrainingRole"
VENDOR = f"arn:aws:iam::{V}:root"
FRAUD, SHARED = "s3://acme-training-data/fraud/", "s3://acme-training-data/shared/"
ROOT, OU = "r-a1b2", "ou-a1b2-restrict1"
OU_ARN = f"arn:aws:organizations::{MGMT}:ou/o-a1b2c3d4e5/{OU}"
DENY_DATA, DENY_VENDOR = "p-denydata1", "p-denyvend1"
TRAINING_TIME = "2026-03-03T08:00:00Z"

_counter = iter(range(1, 10_000))


def record(name: str, time: str, params: dict | None, response: dict | None = None) -> dict:
    return {
        "eventVersion": "1.09", "eventTime": time, "eventSource": "organizations.amazonaws.com", "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.30",
        "eventID": f"org-tree-{next(_counter):04d}-4000-8000-000000000000", "eventType": "AwsApiCall",
        "recipientAccountId": MGMT, "requestParameters": params, "responseElements": response,
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLEORGADMIN1:ops",
                         "arn": f"arn:aws:sts::{MGMT}:assumed-role/OrgAdmin/ops", "accountId": MGMT,
                         "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEORGADMIN1",
                                                              "arn": f"arn:aws:iam::{MGMT}:role/OrgAdmin",
                                                              "accountId": MGMT, "userName": "OrgAdmin"}}},
    }


def create_ou(time: str, ou: str = OU, parent: str = ROOT) -> dict:
    return record("CreateOrganizationalUnit", time, {"parentId": parent, "name": "restricted"},
                  {"organizationalUnit": {"id": ou, "arn": OU_ARN, "name": "restricted"}})


def move(time: str, account: str, source: str, destination: str) -> dict:
    return record("MoveAccount", time, {"accountId": account, "sourceParentId": source,
                                        "destinationParentId": destination})


def create_policy(time: str, policy_id: str, statement: dict, kind: str = "SERVICE_CONTROL_POLICY") -> dict:
    content = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    summary = {"id": policy_id, "name": policy_id, "type": kind,
               "arn": f"arn:aws:organizations::{MGMT}:policy/o-a1b2c3d4e5/{kind.lower()}/{policy_id}"}
    return record("CreatePolicy", time, {"content": content, "name": policy_id, "type": kind},
                  {"policy": {"policySummary": summary, "content": content}})


def attach(time: str, policy_id: str, target: str, name: str = "AttachPolicy") -> dict:
    return record(name, time, {"policyId": policy_id, "targetId": target})


DENY_DATA_STATEMENT = {"Sid": "NoTrainingData", "Effect": "Deny", "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::acme-training-data/*"}
DENY_VENDOR_STATEMENT = {"Sid": "OnlyOurAccount", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                         "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": [D]}}}


def states(delta) -> list[tuple]:
    return [(n.props["subject_type"], n.props["subject"], n.props["slot"], n.props["kind"], n.props.get("document"),
             n.props.get("target"), n.props["deleted"]) for n in delta.nodes if n.type == "PolicyState"]


def nodes(delta, node_type: str) -> dict:
    return {n.key: dict(n.props) for n in delta.nodes if n.type == node_type}


# --- loaders -------------------------------------------------------------------------------------------


def test_create_organizational_unit():
    delta = cloudtrail.parse(create_ou("2026-03-01T09:00:00Z"))
    assert states(delta) == [
        ("AWSOrganizationalUnit", OU, "lifecycle", "lifecycle", None, None, False),
        ("AWSOrganizationalUnit", OU, "parent", "org-parent", None, ROOT, False),
    ]
    assert nodes(delta, "AWSOrganizationalUnit") == {OU: {"id": OU, "arn": OU_ARN, "name": "restricted"},
                                                     ROOT: {"id": ROOT}}


def test_move_account_keeps_its_source():
    delta = cloudtrail.parse(move("2026-03-04T09:00:00Z", D, ROOT, OU))
    assert states(delta) == [("AWSAccount", D, "parent", "org-parent", '{"from":"r-a1b2"}', OU, False),
                             ("AWSAccount", D, "organization", "org-membership", f'{{"via":"{MGMT}"}}', None, False)]
    assert set(nodes(delta, "AWSOrganizationalUnit")) == {ROOT, OU}
    assert nodes(delta, "AWSAccount") == {D: {"id": D}, MGMT: {"id": MGMT}}


def test_leave_organization_names_the_callers_account():
    """A member leaving on its own: the request names nothing; the Panther sample's failed call is skipped."""
    sample = next(json.loads(line) for line in (FIXTURES / "cloudtrail" / "panther-cloudtrail-tests.jsonl")
                  .read_text().splitlines() if '"LeaveOrganization"' in line)
    sample = sample.get("log", sample)
    with pytest.raises(Skip, match="failed_call"):
        cloudtrail.parse(sample)
    succeeded = {k: v for k, v in sample.items() if k not in ("errorCode", "errorMessage")}
    delta = cloudtrail.parse(succeeded)
    assert states(delta) == [("AWSAccount", "111122223333", "parent", "org-parent", None, None, True),
                             ("AWSAccount", "111122223333", "organization", "org-membership", None, None, True)]


def test_delete_ou_and_remove_account():
    delta = cloudtrail.parse(record("DeleteOrganizationalUnit", "2026-03-04T09:00:00Z", {"organizationalUnitId": OU}))
    assert states(delta) == [("AWSOrganizationalUnit", OU, "lifecycle", "lifecycle", None, None, True)]
    delta = cloudtrail.parse(record("RemoveAccountFromOrganization", "2026-03-04T09:00:00Z", {"AccountId": D}))
    assert states(delta) == [("AWSAccount", D, "parent", "org-parent", None, None, True),
                             ("AWSAccount", D, "organization", "org-membership", None, None, True)]


@pytest.mark.parametrize(("rec", "error"), [
    (record("MoveAccount", "2026-03-04T09:00:00Z", {"accountId": D, "sourceParentId": ROOT}),
     "MoveAccount: no destinationParentId in requestParameters"),
    (record("MoveAccount", "2026-03-04T09:00:00Z", {"accountId": "22", "destinationParentId": OU}),
     "MoveAccount: accountId '22' is not an account id"),
    (record("MoveAccount", "2026-03-04T09:00:00Z", {"accountId": D, "destinationParentId": "o-a1b2c3d4e5"}),
     "MoveAccount: destinationParentId 'o-a1b2c3d4e5' is not an OU or root id"),
    (record("CreateOrganizationalUnit", "2026-03-01T09:00:00Z", {"parentId": ROOT, "name": "x"}, None),
     "CreateOrganizationalUnit: no id in responseElements.organizationalUnit"),
    (record("CreateOrganizationalUnit", "2026-03-01T09:00:00Z", {"name": "x"}, {"organizationalUnit": {"id": OU}}),
     "CreateOrganizationalUnit: no parentId in requestParameters"),
    (record("DeleteOrganizationalUnit", "2026-03-01T09:00:00Z", {}),
     "DeleteOrganizationalUnit: no organizationalUnitId in requestParameters"),
    (record("RemoveAccountFromOrganization", "2026-03-01T09:00:00Z", None),
     "RemoveAccountFromOrganization: no accountId in requestParameters"),
])
def test_tree_records_without_their_ids_are_malformed(rec, error):
    with pytest.raises(Malformed) as raised:
        cloudtrail.parse(rec)
    assert str(raised.value) == error


# --- evaluation, end to end ----------------------------------------------------------------------------


def _load(store, tmp_path, *records: dict):
    org = tmp_path / "org.json"
    org.write_text(json.dumps({"Records": list(records)}))
    summary = load_paths([FIXTURES / "access" / "three-account-chain.json", org], store, tmp_path / "q.jsonl")
    assert (summary.quarantined, dict(summary.skipped)) == (0, {})
    return summary


def _reads(store) -> list[tuple]:
    """Reads of the training datasets (the job's output bucket, whose policy is never seen, is `unknown`)."""
    return sorted((src[1], dst[1], a["access"]) for src, dst, a in store.scan_edges("CAN_READ") if dst[0] == "Dataset")


BASELINE_READS = [(DATA_ACCESS, FRAUD, "potential"), (DATA_ACCESS, SHARED, "potential"), (VENDOR, SHARED, "potential")]
BASELINE_AT_TRAINING = [(FRAUD, TRAINING, "potential"), (FRAUD, DATA_ACCESS, "potential"),
                        (FRAUD, VENDOR, "conditional"), (FRAUD, "sagemaker.amazonaws.com", "potential"),
                        (SHARED, VENDOR, "potential")]


def _at_training(store) -> list[tuple]:
    return [(r["dataset"], r["principal"], r["access"]) for r in ask(store, "access-at-training-time",
                                                                      {"job": "fraud-train"})]


def _decide(store, principal: str, prefix: str, time: str = END_OF_TIME):
    model = _Deriver(_read_facts(store)).model
    key = prefix.removeprefix("s3://acme-training-data/")
    target = Target("Dataset", prefix, "CAN_READ", ("s3:GetObject",),
                    f"arn:aws:s3:::acme-training-data/{key}{'*'}", D, "s3", "acme-training-data",
                    bucket="acme-training-data")
    return model.decide_at(principal, target, time)


def test_moving_the_account_into_a_denying_ou_removes_its_reads(embedded_store, tmp_path):
    _load(embedded_store, tmp_path,
          create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          create_ou("2026-03-01T09:01:00Z"),
          attach("2026-03-01T09:02:00Z", DENY_DATA, OU),
          move("2026-03-04T09:00:00Z", D, ROOT, OU))
    # DataAccess (account D) reads nothing of the bucket now; the vendor's account is not in the OU
    assert _reads(embedded_store) == [(VENDOR, SHARED, "potential")]
    denied = _decide(embedded_store, DATA_ACCESS, FRAUD)
    assert (denied.access, denied.via) == ("deny", [f"scp:{DENY_DATA}@{OU}#NoTrainingData"])
    # before the move (the training job's start) the account was under the root only: as without the OU
    assert _at_training(embedded_store) == BASELINE_AT_TRAINING
    before = _decide(embedded_store, DATA_ACCESS, FRAUD, "2026-03-04T08:59:59Z")
    assert (before.access, before.via) == ("allow", [f"{DATA_ACCESS}#inline:ReadTrainingData#ReadFraud"])


def test_a_root_scp_applies_to_every_account_below(embedded_store, tmp_path):
    _load(embedded_store, tmp_path,
          create_ou("2026-02-01T09:00:00Z"),
          move("2026-02-01T09:01:00Z", D, ROOT, OU),
          create_policy("2026-03-04T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          attach("2026-03-04T09:01:00Z", DENY_DATA, ROOT))
    assert _reads(embedded_store) == [(VENDOR, SHARED, "potential")]
    denied = _decide(embedded_store, DATA_ACCESS, SHARED)
    assert (denied.access, denied.via) == ("deny", [f"scp:{DENY_DATA}@{ROOT}#NoTrainingData"])
    assert _at_training(embedded_store) == BASELINE_AT_TRAINING  # attached after the job started


def test_the_management_account_is_exempt_from_scps_and_rcps(embedded_store, tmp_path):
    """AWS applies no SCP to the management account's principals and no RCP to its resources, even when
    one is attached to it or to the root above it."""
    _load(embedded_store, tmp_path,
          create_policy("2026-03-04T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          attach("2026-03-04T09:01:00Z", DENY_DATA, ROOT),
          attach("2026-03-04T09:02:00Z", DENY_DATA, MGMT),
          attach("2026-03-04T09:03:00Z", DENY_DATA, D))
    model = _Deriver(_read_facts(embedded_store)).model
    assert model.management_accounts == {MGMT}
    assert model._org_levels(MGMT, "scp", END_OF_TIME) == ()
    assert [[d.label for d in level] for level in model._org_levels(D, "scp", END_OF_TIME)] == [
        [f"scp:{DENY_DATA}@{D}", f"scp:assumed-FullAWSAccess@{D}"]]  # a member: its own attachment applies


def test_an_rcp_on_the_bucket_accounts_ou_denies_the_other_account(embedded_store, tmp_path):
    _load(embedded_store, tmp_path,
          create_ou("2026-02-01T09:00:00Z"),
          move("2026-02-01T09:01:00Z", D, ROOT, OU),
          create_policy("2026-03-04T09:00:00Z", DENY_VENDOR, DENY_VENDOR_STATEMENT, "RESOURCE_CONTROL_POLICY"),
          attach("2026-03-04T09:01:00Z", DENY_VENDOR, OU))
    assert _reads(embedded_store) == [(DATA_ACCESS, FRAUD, "potential"), (DATA_ACCESS, SHARED, "potential")]
    denied = _decide(embedded_store, VENDOR, SHARED)
    assert (denied.access, denied.via) == ("deny", [f"rcp:{DENY_VENDOR}@{OU}#OnlyOurAccount"])
    assert _at_training(embedded_store) == BASELINE_AT_TRAINING


def test_detaching_the_scp_restores_access(embedded_store, tmp_path):
    _load(embedded_store, tmp_path,
          create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          create_ou("2026-03-01T09:01:00Z"),
          move("2026-03-01T09:02:00Z", D, ROOT, OU),
          attach("2026-03-01T09:03:00Z", DENY_DATA, OU),
          attach("2026-03-04T09:00:00Z", DENY_DATA, OU, "DetachPolicy"))
    assert _reads(embedded_store) == BASELINE_READS
    # at the training job's start the SCP was attached: DataAccess (and who reads through it) could not read
    assert _at_training(embedded_store) == [(SHARED, VENDOR, "potential")]


def test_removing_the_account_from_the_organisation_lifts_its_scps(embedded_store, tmp_path):
    _load(embedded_store, tmp_path,
          create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          create_ou("2026-03-01T09:01:00Z"),
          move("2026-03-01T09:02:00Z", D, ROOT, OU),
          attach("2026-03-01T09:03:00Z", DENY_DATA, OU),
          record("RemoveAccountFromOrganization", "2026-03-04T09:00:00Z", {"accountId": D}))
    assert _reads(embedded_store) == BASELINE_READS
    assert _at_training(embedded_store) == [(SHARED, VENDOR, "potential")]


def test_an_unknown_tree_changes_nothing(embedded_store, tmp_path):
    """An SCP attached to an OU nobody's place in the tree is known of: no account is known to be below it."""
    _load(embedded_store, tmp_path,
          create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          attach("2026-03-01T09:02:00Z", DENY_DATA, OU),
          attach("2026-03-01T09:03:00Z", DENY_DATA, ROOT))
    assert _reads(embedded_store) == BASELINE_READS
    assert _at_training(embedded_store) == BASELINE_AT_TRAINING


def test_an_unknown_tree_still_applies_the_accounts_own_scps(embedded_store, tmp_path):
    _load(embedded_store, tmp_path,
          create_policy("2026-03-01T09:00:00Z", DENY_DATA, DENY_DATA_STATEMENT),
          attach("2026-03-04T09:00:00Z", DENY_DATA, D))
    assert _reads(embedded_store) == [(VENDOR, SHARED, "potential")]
    denied = _decide(embedded_store, DATA_ACCESS, FRAUD)
    assert (denied.access, denied.via) == ("deny", [f"scp:{DENY_DATA}@{D}#NoTrainingData"])
    # a successful AttachPolicy proves the SCP was not attached just before (DuplicatePolicyAttachmentException
    # otherwise), at the account level as at an OU or the root: the job that started before it is not cut
    assert _at_training(embedded_store) == BASELINE_AT_TRAINING


# --- `pull iam` reads the organisation (moto server) -----------------------------------------------------

MOTO_ACCOUNT = "123456789012"
PULL_TIME = "2025-03-01T12:00:00Z"


def _org_client():
    return boto3.Session().client("organizations")


def _fail_list_roots(params, **_):
    error = {"Error": {"Code": "AccessDeniedException", "Message": "injected"},
             "ResponseMetadata": {"HTTPStatusCode": 403}}
    return AWSResponse(None, 403, {}, None), error


def _pulled(store) -> dict[tuple[str, str], tuple]:
    """(subject, slot) -> (kind, target, document as an object) of the org states a pull wrote."""
    out = {}
    for _key, attrs in store.scan_nodes("PolicyState"):
        if attrs["slot"] == "public-access-block":
            continue
        if attrs["subject_type"] in ("AWSOrganizationalUnit", "AWSAccount") or attrs["slot"].startswith(
                ("content", "target:")) or attrs["subject"].startswith("p-"):
            document = json.loads(attrs["document"]) if attrs.get("document") else None
            out[(attrs["subject"], attrs["slot"])] = (attrs["kind"], attrs.get("target"), document)
    return out


def test_pull_reads_the_tree_and_its_scps_and_rcps(moto, aws_calls, embedded_store, tmp_path):
    org = _org_client()
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="restricted")["OrganizationalUnit"]["Id"]
    member = org.create_account(Email="data@example.com", AccountName="data")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    deny = {"Version": "2012-10-17", "Statement": [DENY_DATA_STATEMENT]}
    scp = org.create_policy(Content=json.dumps(deny), Description="no training data", Name="deny-data",
                            Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=ou)
    org.attach_policy(PolicyId=scp, TargetId=MOTO_ACCOUNT)
    rcp_doc = {"Version": "2012-10-17", "Statement": [DENY_VENDOR_STATEMENT]}
    rcp = org.create_policy(Content=json.dumps(rcp_doc), Description="our account only", Name="only-ours",
                            Type="RESOURCE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=rcp, TargetId=root)
    aws_calls.clear()

    summary = pull_iam(aws_session(), embedded_store, tmp_path / "q.jsonl", clock=lambda: datetime(
        2025, 3, 1, 12, tzinfo=timezone.utc))
    assert {c for c in aws_calls if c[0] == "organizations"} == {c for c in AWS_CALLS if c[0] == "organizations"}
    assert set(aws_calls) <= AWS_CALLS
    assert (summary.quarantined, set(summary.skipped)) == (0, {"aws_managed_policy_unused"})
    assert {k: v for k, v in summary.objects.items() if k.startswith("org")} == {
        "org-unit": 2, "org-account": 2, "org-policy": 4, "org-membership": 1}
    full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    states = _pulled(embedded_store)
    assert {key: value for key, value in states.items() if key[1] not in ("content", "lifecycle", "inventory")} == {
        (ou, "parent"): ("org-parent", root, None),
        (MOTO_ACCOUNT, "parent"): ("org-parent", root, None),
        (MOTO_ACCOUNT, f"org-policy:{scp}"): ("org-attachment", scp, None),
        (MOTO_ACCOUNT, "org-policy:p-FullAWSAccess"): ("org-attachment", "p-FullAWSAccess", None),
        (MOTO_ACCOUNT, "org-policy:p-RCPFullAWSAccess"): ("org-attachment", "p-RCPFullAWSAccess", None),
        (member, "parent"): ("org-parent", ou, None),
        (member, "org-policy:p-FullAWSAccess"): ("org-attachment", "p-FullAWSAccess", None),
        (member, "org-policy:p-RCPFullAWSAccess"): ("org-attachment", "p-RCPFullAWSAccess", None),
        (scp, f"target:{ou}"): ("org-attachment", ou, None),
        (rcp, f"target:{root}"): ("org-attachment", root, None),
        ("p-FullAWSAccess", f"target:{root}"): ("org-attachment", root, None),
        ("p-FullAWSAccess", f"target:{ou}"): ("org-attachment", ou, None),
        ("p-RCPFullAWSAccess", f"target:{root}"): ("org-attachment", root, None),
        ("p-RCPFullAWSAccess", f"target:{ou}"): ("org-attachment", ou, None),
        # DescribeOrganization's id: every account the pull lists is a member of it
        (MOTO_ACCOUNT, "organization"): ("org-membership", org_id, None),
        (member, "organization"): ("org-membership", org_id, None),
    }
    assert {key: value for key, value in states.items() if key[1] == "content"} == {
        (scp, "content"): ("org-policy", None, deny), (rcp, "content"): ("org-policy", None, rcp_doc),
        ("p-FullAWSAccess", "content"): ("org-policy", None, full),
        ("p-RCPFullAWSAccess", "content"): ("org-policy", None, {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                    "Resource": "*"}]}),
    }
    assert states[(scp, "inventory")] == ("inventory", None, ["content", "lifecycle", f"target:{ou}"])
    policies = dict(embedded_store.scan_nodes("AWSPolicy"))
    assert {p: policies[p]["policy_type"] for p in (scp, rcp, "p-FullAWSAccess", "p-RCPFullAWSAccess")} == {
        scp: "scp", rcp: "rcp", "p-FullAWSAccess": "scp", "p-RCPFullAWSAccess": "rcp"}

    # what the evaluator makes of it: the member's SCP levels are root, OU, account, as pulled
    model = _Deriver(_read_facts(embedded_store)).model
    levels = model._org_levels(member, "scp", END_OF_TIME)
    assert [sorted(d.label for d in level) for level in levels] == [
        [f"scp:p-FullAWSAccess@{root}"], sorted([f"scp:p-FullAWSAccess@{ou}", f"scp:{scp}@{ou}"]),
        [f"scp:p-FullAWSAccess@{member}"]]
    rcp_levels = model._org_levels(member, "rcp", END_OF_TIME)
    assert [sorted(d.label for d in level) for level in rcp_levels] == [
        sorted([f"rcp:{rcp}@{root}", f"rcp:p-RCPFullAWSAccess@{root}"]), [f"rcp:p-RCPFullAWSAccess@{ou}"],
        [f"rcp:p-RCPFullAWSAccess@{member}"]]
    # moto's caller is the management account, where no SCP or RCP applies, attached or not
    assert model.management_accounts == {MOTO_ACCOUNT}
    assert [model._org_levels(MOTO_ACCOUNT, kind, END_OF_TIME) for kind in ("scp", "rcp")] == [(), ()]


def test_pull_without_an_organisation_skips_it_by_name(moto, embedded_store, tmp_path):
    summary = pull_iam(aws_session(), embedded_store, tmp_path / "q.jsonl")
    assert summary.skipped["organizations_not_in_use"] == 1
    assert summary.objects["organization"] == 1
    assert summary.quarantined == 0
    # DescribeOrganization's AWSOrganizationsNotInUseException: the account is known to be in no organisation
    assert _memberships(embedded_store) == [(MOTO_ACCOUNT, None, True)]
    model = _Deriver(_read_facts(embedded_store)).model
    assert model.organization_of(MOTO_ACCOUNT, END_OF_TIME) == (None, True)


def test_pull_denied_the_organisation_skips_it_by_name(moto, embedded_store, tmp_path):
    org_id = _org_client().create_organization(FeatureSet="ALL")["Organization"]["Id"]
    session = aws_session()
    session.events.register("before-call.organizations.ListRoots", _fail_list_roots)
    summary = pull_iam(session, embedded_store, tmp_path / "q.jsonl")
    assert summary.skipped["access_denied:organizations:ListRoots"] == 1
    assert summary.quarantined == 0
    assert [a for _k, a in embedded_store.scan_nodes("PolicyState") if a["slot"] == "parent"] == []
    # a member that may not read the tree still learns its own organisation (DescribeOrganization)
    assert _memberships(embedded_store) == [(MOTO_ACCOUNT, org_id, False)]


def _memberships(store) -> list[tuple]:
    return sorted((a["subject"], a.get("target"), a["deleted"]) for _k, a in store.scan_nodes("PolicyState")
                  if a["slot"] == "organization")
