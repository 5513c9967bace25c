"""`graphgov pull iam` against a real moto server: the snapshot states, their history, the account."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from click.testing import CliRunner

from graphgov.aws.pullers.iam import SOURCE, PullContext, iam_deltas, pull_iam, user_delta
from graphgov.aws.session import aws_session
from graphgov.aws.session import unprefix_local_endpoint as s3control_on_local_endpoint
from graphgov.cli.app import main
from graphgov.core.delta import GraphDelta
from graphgov.core.schema import DERIVED_EDGE_TYPES
from graphgov.ingest.pipeline import load_deltas
from graphgov.ingest.readers import RawRecord
from graphgov.stores.embedded import EmbeddedStore

pytest_plugins = ("moto_server",)

ACCOUNT = "123456789012"  # moto's account
OTHER = "999999999999"
IAM = f"arn:aws:iam::{ACCOUNT}"
ROLE, ALICE, BOB = f"{IAM}:role/trainer", f"{IAM}:user/alice", f"{IAM}:user/bob"
GROUP = f"{IAM}:group/analysts"
BOUNDARY, DATA_READ, GROUP_READ = f"{IAM}:policy/boundary", f"{IAM}:policy/team/data-read", f"{IAM}:policy/group-read"
S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
T1, T2, T3 = "2025-03-01T12:00:00Z", "2025-03-02T12:00:00Z", "2025-03-03T12:00:00Z"
# The account below: 12 objects read into deltas (the account's Block Public Access, 2 buckets, a group, a key,
# 4 managed policies in use, a role, 2 users) holding 54 PolicyStates; the other nodes are those objects' own 12
# (the account, 3 principals, group, 4 policies, 2 buckets, key); edges: a HAS_POLICY per state and RESOURCE from
# the account to the 3 principals, the group, the 3 customer managed policies, 2 buckets and the key.
OBJECTS, STATES = 13, 55  # the account's `organization`: moto's account is in no organisation
NODES, EDGES = STATES + 12, STATES + 10
# Every load ends with the access derivation (graphgov.access.derivation), whose edges and principals are its own
# business: the summaries' `access` and the derived part of `nodes`/`edges` are checked against the store, not here.
LOAD_FIELDS = {"records", "loaded", "skipped", "quarantined", "files", "nodes", "edges", "quarantine_file", "access",
               "skipped_events", "files_skipped", "quarantine_known", "reference_time"}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


TRUST = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "sts:AssumeRole"})
ROLE_INLINE = policy(allow("s3:PutObject", "arn:aws:s3:::data-bkt/out/*"))
ROLE_INLINE_CHANGED = policy(allow(["s3:PutObject", "s3:DeleteObject"], "arn:aws:s3:::data-bkt/out/*"))
GROUP_INLINE = policy(allow("kms:Decrypt"))
BOUNDARY_DOC = policy(allow("s3:*"))
DATA_READ_V1 = policy(allow("s3:GetObject", "arn:aws:s3:::data-bkt/*"))
DATA_READ_V2 = policy(allow(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::data-bkt*"))
GROUP_READ_DOC = policy(allow("s3:ListAllMyBuckets"))
BUCKET_POLICY = policy({"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-bkt/shared/*"})
BUCKET_PAB = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
              "RestrictPublicBuckets": True}
ACCOUNT_PAB = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": False}


def clock_at(*times: str):
    """An injectable clock returning the given pull times in turn."""
    readings = iter(times)
    return lambda: datetime.strptime(next(readings), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def client(service: str) -> Any:
    return boto3.Session().client(service)


@functools.cache
def aws_managed_policies(endpoint: str) -> int:
    """How many AWS managed policies the server has (the same after every reset: counted once)."""
    pages = client("iam").get_paginator("list_policies").paginate(Scope="AWS")
    return sum(len(page["Policies"]) for page in pages)


@pytest.fixture
def account(moto: str) -> dict[str, Any]:
    """The account of the brief, made through boto3 against moto: what the pull must find."""
    iam, s3, kms, s3control = client("iam"), client("s3"), client("kms"), client("s3control")
    assert client("sts").get_caller_identity()["Account"] == ACCOUNT
    iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(BOUNDARY_DOC))
    iam.create_policy(PolicyName="data-read", Path="/team/", PolicyDocument=json.dumps(DATA_READ_V1))
    iam.create_policy_version(PolicyArn=DATA_READ, PolicyDocument=json.dumps(DATA_READ_V2), SetAsDefault=True)
    iam.create_policy(PolicyName="group-read", PolicyDocument=json.dumps(GROUP_READ_DOC))

    iam.create_group(GroupName="analysts", Path="/analytics/")
    iam.put_group_policy(GroupName="analysts", PolicyName="decrypt", PolicyDocument=json.dumps(GROUP_INLINE))
    iam.attach_group_policy(GroupName="analysts", PolicyArn=GROUP_READ)
    iam.create_user(UserName="alice", Path="/people/")
    iam.add_user_to_group(GroupName="analysts", UserName="alice")
    # moto ignores a user's PermissionsBoundary (test_user_boundary_from_a_documented_user_detail covers it);
    # bob has an AWS managed policy and an access key instead.
    iam.create_user(UserName="bob")
    iam.attach_user_policy(UserName="bob", PolicyArn=S3_READ_ONLY)
    access_key = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]

    iam.create_role(RoleName="trainer", Path="/ml/", AssumeRolePolicyDocument=json.dumps(TRUST),
                    PermissionsBoundary=BOUNDARY)
    iam.put_role_policy(RoleName="trainer", PolicyName="write-out", PolicyDocument=json.dumps(ROLE_INLINE))
    iam.attach_role_policy(RoleName="trainer", PolicyArn=DATA_READ)

    key_policy = policy({"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                         "Action": "kms:*", "Resource": "*"},
                        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                         "Action": "kms:Decrypt", "Resource": "*"})
    key = kms.create_key(Description="training data", Policy=json.dumps(key_policy))["KeyMetadata"]
    grant = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=ROLE, RetiringPrincipal=ALICE,
                             Operations=["GenerateDataKey", "Decrypt"],
                             Constraints={"EncryptionContextSubset": {"project": "fraud"}})["GrantId"]

    s3.create_bucket(Bucket="data-bkt")
    s3.put_bucket_policy(Bucket="data-bkt", Policy=json.dumps(BUCKET_POLICY))
    s3.put_public_access_block(Bucket="data-bkt", PublicAccessBlockConfiguration=BUCKET_PAB)
    s3.put_bucket_ownership_controls(Bucket="data-bkt",
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_encryption(Bucket="data-bkt", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
        "BucketKeyEnabled": True}]})
    s3.create_bucket(Bucket="plain-bkt")
    s3control.meta.events.register("before-sign.s3-control", s3control_on_local_endpoint)
    s3control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ACCOUNT_PAB)

    owner = s3.get_bucket_acl(Bucket="data-bkt")["Owner"]["ID"]
    s3_read_only = iam.get_policy(PolicyArn=S3_READ_ONLY)["Policy"]
    s3_read_only_doc = iam.get_policy_version(PolicyArn=S3_READ_ONLY,
                                              VersionId=s3_read_only["DefaultVersionId"])["PolicyVersion"]["Document"]
    aws_managed = aws_managed_policies(moto)
    return {"key": key["Arn"], "key_policy": key_policy, "grant": grant, "access_key": access_key, "owner": owner,
            "s3_read_only": (s3_read_only["DefaultVersionId"], s3_read_only_doc), "aws_managed": aws_managed}


def pulled_totals(store: Any) -> tuple[int, int]:
    """(nodes, edges) the pull wrote, the derived access left out."""
    nodes = sum(1 for _, attrs in store.graph().nodes(data=True) if SOURCE in attrs.get("sources", ()))
    edges = sum(1 for *_, kind in store.graph().edges(keys=True) if kind not in DERIVED_EDGE_TYPES)
    return nodes, edges


def without_totals(summary: dict[str, Any]) -> dict[str, Any]:
    dropped = ("nodes", "edges", "access", "skipped_events", "reference_time")
    return {k: v for k, v in summary.items() if k not in dropped}


def snapshot_states(store: Any) -> dict[tuple[str, str], list[tuple]]:
    """(subject, slot) -> [(kind, target, deleted, document as an object)] of the PolicyState nodes."""
    out: dict[tuple[str, str], list[tuple]] = {}
    for (label, _key), attrs in store.graph().nodes(data=True):
        if label != "PolicyState":
            continue
        assert attrs["evidence"] == "snapshot" and attrs["sources"] == ["pull:iam"]
        document = json.loads(attrs["document"]) if "document" in attrs else None
        out.setdefault((attrs["subject"], attrs["slot"]), []).append(
            (attrs["kind"], attrs.get("target"), attrs["deleted"], document))
    return {k: sorted(v, key=json.dumps) for k, v in out.items()}


def state_ids(store: Any) -> set[str]:
    return {key for (label, key) in store.graph().nodes if label == "PolicyState"}


def expected_states(facts: dict[str, Any]) -> dict[tuple[str, str], list[tuple]]:
    key, grant = facts["key"], facts["grant"]
    read_only_version, read_only_doc = facts["s3_read_only"]

    def one(kind: str, target: str | None = None, deleted: bool = False, document: Any = None) -> list[tuple]:
        return [(kind, target, deleted, document)]

    def inventory(*slots: str) -> list[tuple]:
        return one("inventory", document=sorted(slots))

    states = {
        (ALICE, "lifecycle"): one("lifecycle"),
        (ALICE, f"group:{GROUP}"): one("membership", GROUP),
        (ALICE, "inventory"): inventory("lifecycle", f"group:{GROUP}"),
        (BOB, "lifecycle"): one("lifecycle"),
        (BOB, f"attached:{S3_READ_ONLY}"): one("attachment", S3_READ_ONLY),
        (BOB, f"access-key:{facts['access_key']}"): one(
            "credential", document={"AccessKeyId": facts["access_key"], "Status": "Active"}),
        (BOB, "inventory"): inventory("lifecycle", f"attached:{S3_READ_ONLY}", f"access-key:{facts['access_key']}"),
        (GROUP, "lifecycle"): one("lifecycle"),
        (GROUP, "inline:decrypt"): one("identity", document=GROUP_INLINE),
        (GROUP, f"attached:{GROUP_READ}"): one("attachment", GROUP_READ),
        (GROUP, "inventory"): inventory("lifecycle", "inline:decrypt", f"attached:{GROUP_READ}"),
        (ROLE, "lifecycle"): one("lifecycle"),
        (ROLE, "trust"): one("trust", document=TRUST),
        (ROLE, "inline:write-out"): one("identity", document=ROLE_INLINE),
        (ROLE, f"attached:{DATA_READ}"): one("attachment", DATA_READ),
        (ROLE, "boundary"): one("boundary", BOUNDARY),
        (ROLE, "inventory"): inventory("lifecycle", "trust", "inline:write-out", f"attached:{DATA_READ}", "boundary"),
        (key, "lifecycle"): one("lifecycle"),
        (key, "key-state"): one("key-state", document={"KeyState": "Enabled"}),
        (key, "key-policy"): one("key-policy", document=facts["key_policy"]),
        (key, f"grant:{grant}"): one("grant", document={
            "GranteePrincipal": ROLE, "RetiringPrincipal": ALICE, "Operations": ["Decrypt", "GenerateDataKey"],
            "Constraints": {"EncryptionContextSubset": {"project": "fraud"}}}),
        (key, "inventory"): inventory("lifecycle", "key-state", "key-policy", f"grant:{grant}"),
        ("data-bkt", "lifecycle"): one("lifecycle"),
        ("data-bkt", "bucket-policy"): one("resource", document=BUCKET_POLICY),
        ("data-bkt", "acl"): one("acl", document={"Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": facts["owner"]}, "Permission": "FULL_CONTROL"}]}),
        ("data-bkt", "public-access-block"): one("public-access-block", document=BUCKET_PAB),
        ("data-bkt", "ownership"): one("ownership", document={"ObjectOwnership": "BucketOwnerEnforced"}),
        ("data-bkt", "encryption"): one("encryption", key, document={
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key, "BucketKeyEnabled": True}),
        ("data-bkt", "inventory"): inventory("lifecycle", "bucket-policy", "acl", "public-access-block", "ownership",
                                             "encryption"),
        ("plain-bkt", "lifecycle"): one("lifecycle"),
        ("plain-bkt", "bucket-policy"): one("resource", deleted=True),
        ("plain-bkt", "acl"): one("acl", document={"Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": facts["owner"]}, "Permission": "FULL_CONTROL"}]}),
        ("plain-bkt", "public-access-block"): one("public-access-block", deleted=True),
        ("plain-bkt", "ownership"): one("ownership", deleted=True),
        ("plain-bkt", "encryption"): one("encryption", deleted=True),
        ("plain-bkt", "inventory"): inventory("lifecycle", "acl"),
        (ACCOUNT, "public-access-block"): one("public-access-block", document=ACCOUNT_PAB),
        (ACCOUNT, "organization"): [("org-membership", None, True, None)],
    }
    versions = {BOUNDARY: {"v1": BOUNDARY_DOC}, DATA_READ: {"v1": DATA_READ_V1, "v2": DATA_READ_V2},
                GROUP_READ: {"v1": GROUP_READ_DOC}, S3_READ_ONLY: {read_only_version: read_only_doc}}
    defaults = {BOUNDARY: "v1", DATA_READ: "v2", GROUP_READ: "v1", S3_READ_ONLY: read_only_version}
    for arn, docs in versions.items():
        states[(arn, "lifecycle")] = one("lifecycle")
        for version, doc in docs.items():
            states[(arn, f"version:{version}")] = one("policy-version", document=doc)
        states[(arn, "default")] = one("default-version", defaults[arn], document=docs[defaults[arn]])
        states[(arn, "inventory")] = inventory("lifecycle", "default", *(f"version:{v}" for v in docs))
    return states


def test_pull_records_each_slot_as_a_snapshot_state(account, embedded_store, tmp_path):
    summary = pull_iam(aws_session(), embedded_store, tmp_path / "q.jsonl", clock=clock_at(T1))
    assert snapshot_states(embedded_store) == expected_states(account)
    assert len(state_ids(embedded_store)) == STATES
    unused = account["aws_managed"] - 1
    assert without_totals(summary.as_dict()) == {
        "records": OBJECTS + unused + 1, "loaded": OBJECTS,
        "skipped": {"aws_managed_policy_unused": unused, "organizations_not_in_use": 1},
        "quarantined": 0, "files": 0, "files_skipped": 0, "quarantine_file": None, "quarantine_known": 0,
        "objects": {"account": 1, "bucket": 2, "group": 1, "key": 1, "policy": 4 + unused, "role": 1, "user": 2,
                    "organization": 1, "org-membership": 1},
        "gaps": [],
    }
    assert (summary.nodes, summary.edges) == embedded_store.totals()
    assert pulled_totals(embedded_store) == (NODES, EDGES)
    assert (summary.account, summary.time) == (ACCOUNT, T1)
    assert summary.balanced
    graph = embedded_store.graph()
    role = dict(graph.nodes["AWSPrincipal", ROLE])
    assert role.pop("principal_id").startswith("AROA")  # the RoleId (moto draws it): S3 notifications name it
    assert role == {
        "arn": ROLE, "id": ROLE, "name": "trainer", "path": "/ml/", "principal_type": "Role", "partition": "aws",
        "account_id": ACCOUNT, "labels": ["AWSPrincipal", "AWSRole"], "sources": ["pull:iam"],
        "first_seen": T1, "last_seen": T1, "principal_id_at": T1}
    assert graph.nodes["AWSPrincipal", ALICE]["path"] == "/people/"
    assert graph.nodes["AWSGroup", GROUP]["path"] == "/analytics/"
    assert graph.nodes["AWSPolicy", S3_READ_ONLY]["policy_type"] == "aws-managed"
    assert "account_id" not in graph.nodes["AWSPolicy", S3_READ_ONLY]
    assert graph.nodes["AWSPolicy", DATA_READ]["policy_type"] == "managed"
    assert graph.nodes["S3Bucket", "plain-bkt"] == {
        "id": "plain-bkt", "name": "plain-bkt", "arn": "arn:aws:s3:::plain-bkt", "account_id": ACCOUNT,
        "labels": ["S3Bucket"], "sources": ["pull:iam"], "first_seen": T1, "last_seen": T1}
    key_id = account["key"].rsplit("/", 1)[1]
    assert graph.nodes["KMSKey", account["key"]]["id"] == key_id
    owned = sorted(dst[1] for src, dst, kind in graph.out_edges(("AWSAccount", ACCOUNT), keys=True)
                   if kind == "RESOURCE")
    assert owned == sorted([ALICE, BOB, ROLE, GROUP, BOUNDARY, DATA_READ, GROUP_READ, "data-bkt", "plain-bkt",
                            account["key"]])
    (inventory,) = [s for s in state_ids(embedded_store) if s.startswith("data-bkt|inventory|snapshot|")]
    edge = graph.edges[("S3Bucket", "data-bkt"), ("PolicyState", inventory), "HAS_POLICY"]
    assert edge["event_ids"] == [f"pull-iam:{ACCOUNT}:{T1}:data-bkt"]


def test_pulling_again_adds_nothing_and_a_change_adds_one_state(account, embedded_store, tmp_path):
    quarantine = tmp_path / "q.jsonl"
    first = pull_iam(aws_session(), embedded_store, quarantine, clock=clock_at(T1))
    before = state_ids(embedded_store)
    second = pull_iam(aws_session(), embedded_store, quarantine, clock=clock_at(T2))
    assert (second.loaded, second.nodes, second.edges) == (first.loaded, first.nodes, first.edges)
    assert state_ids(embedded_store) == before
    graph = embedded_store.graph()
    assert {(graph.nodes["PolicyState", s]["first_seen"], graph.nodes["PolicyState", s]["last_seen"])
            for s in before} == {(T1, T2)}

    client("iam").put_role_policy(RoleName="trainer", PolicyName="write-out",
                                  PolicyDocument=json.dumps(ROLE_INLINE_CHANGED))
    third = pull_iam(aws_session(), embedded_store, quarantine, clock=clock_at(T3))
    (new,) = state_ids(embedded_store) - before
    assert state_ids(embedded_store) > before
    assert pulled_totals(embedded_store) == (NODES + 1, EDGES + 1)  # the new state and its HAS_POLICY
    assert third.loaded == first.loaded
    assert snapshot_states(embedded_store)[(ROLE, "inline:write-out")] == sorted(
        [("identity", None, False, ROLE_INLINE), ("identity", None, False, ROLE_INLINE_CHANGED)], key=json.dumps)
    old = next(s for s in before if s.startswith(f"{ROLE}|inline:write-out|"))
    graph = embedded_store.graph()  # the graph as the third pull left it
    assert (graph.nodes["PolicyState", old]["first_seen"], graph.nodes["PolicyState", old]["last_seen"]) == (T1, T2)
    assert (graph.nodes["PolicyState", new]["first_seen"], graph.nodes["PolicyState", new]["last_seen"]) == (T3, T3)
    assert graph.nodes["PolicyState", new]["slot"] == "inline:write-out"


def test_the_same_clock_reading_pulled_twice_is_a_duplicate(account, embedded_store, tmp_path):
    pull_iam(aws_session(), embedded_store, tmp_path / "q.jsonl", clock=clock_at(T1))
    again = pull_iam(aws_session(), embedded_store, tmp_path / "q.jsonl", clock=clock_at(T1))
    assert (again.loaded, again.skipped["duplicate"]) == (0, OBJECTS)


def test_two_pulls_within_one_second_are_two_pulls(account, embedded_store, tmp_path):
    first = pull_iam(aws_session(), embedded_store, tmp_path / "q.jsonl", clock=clock_at(T1))
    later = datetime.fromisoformat(T1.replace("Z", "+00:00")) + timedelta(milliseconds=400)
    again = pull_iam(aws_session(), embedded_store, tmp_path / "q.jsonl", clock=lambda: later)
    assert (again.loaded, again.skipped.get("duplicate", 0)) == (first.loaded, 0) == (OBJECTS, 0)
    assert again.time == first.time == T1  # the graph's times stay whole seconds


def _fail(code: str, http_status: int, **only: str):
    """A before-call hook answering with an AWS error (when the call's parameters match `only`), which botocore
    then raises through its own path, as it would AWS's answer."""

    def handler(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        given = params.get("context", {}).get("input_params", {})
        if any(given.get(name) != value for name, value in only.items()):
            return None
        error = {"Error": {"Code": code, "Message": f"injected {code}"},
                 "ResponseMetadata": {"HTTPStatusCode": http_status}}
        return AWSResponse(None, http_status, {}, None), error

    return handler


def test_denied_and_failing_calls_are_counted_not_fatal(account, embedded_store, tmp_path):
    session = aws_session()
    session.events.register("before-call.s3.GetBucketAcl", _fail("AccessDenied", 403, Bucket="plain-bkt"))
    session.events.register("before-call.kms.ListGrants", _fail("KMSInternalException", 500))
    session.events.register("before-call.s3-control.GetPublicAccessBlock", _fail("AccessDenied", 403))
    quarantine = tmp_path / "q.jsonl"
    summary = pull_iam(session, embedded_store, quarantine, clock=clock_at(T1))
    unused = account["aws_managed"] - 1
    assert without_totals(summary.as_dict()) == {
        "records": OBJECTS + unused + 1, "loaded": OBJECTS - 3, "quarantined": 1, "files": 0, "files_skipped": 0,
        "quarantine_file": str(quarantine), "quarantine_known": 0,
        "skipped": {"access_denied:s3:GetBucketAcl": 1, "access_denied:s3control:GetPublicAccessBlock": 1,
                    "aws_managed_policy_unused": unused, "organizations_not_in_use": 1},
        "objects": {"account": 1, "bucket": 2, "group": 1, "key": 1, "policy": 4 + unused, "role": 1, "user": 2,
                    "organization": 1, "org-membership": 1},
        "gaps": [{"action": "s3:GetAccountPublicAccessBlock", "how": "denied", "resource": f"s3control:{ACCOUNT}",
                  "count": 1, "unit": "resource"},
                 {"action": "s3:GetBucketAcl", "how": "denied", "resource": "arn:aws:s3:::plain-bkt", "count": 1,
                  "unit": "resource"}],
    }
    assert summary.balanced
    subjects = {subject for subject, slot in snapshot_states(embedded_store) if slot != "organization"}
    assert {"plain-bkt", account["key"], ACCOUNT} & subjects == set()  # (the account's membership was read)
    assert "data-bkt" in subjects
    (entry,) = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert entry["location"] == account["key"]
    assert entry["error"] == "kms:ListGrants failed: KMSInternalException: injected KMSInternalException"
    assert entry["record"]["KeyId"] == account["key"].rsplit("/", 1)[1]


def test_a_denied_listing_is_one_skipped_record(account, embedded_store, tmp_path):
    session = aws_session()
    session.events.register("before-call.s3.ListBuckets", _fail("AccessDenied", 403))
    summary = pull_iam(session, embedded_store, tmp_path / "q.jsonl", clock=clock_at(T1))
    assert summary.objects["bucket"] == 1
    assert summary.skipped["access_denied:s3:ListBuckets"] == 1
    assert summary.loaded == OBJECTS - 2 and summary.balanced


def test_kms_keys_are_read_in_each_region_given(account, embedded_store, tmp_path):
    kms_west = boto3.Session().client("kms", region_name="eu-west-1")
    west = kms_west.create_key(Description="west")["KeyMetadata"]
    west_key = west["Arn"]  # moto's ScheduleKeyDeletion fails when given a key ARN: the key id is passed
    deletion = kms_west.schedule_key_deletion(KeyId=west["KeyId"], PendingWindowInDays=7)["DeletionDate"]
    summary = pull_iam(aws_session(), embedded_store, tmp_path / "q.jsonl", regions=["us-east-1", "eu-west-1"],
                       clock=clock_at(T1))
    assert summary.objects["key"] == 2
    assert embedded_store.graph().nodes["KMSKey", west_key]["region"] == "eu-west-1"
    states = snapshot_states(embedded_store)
    assert states[(west_key, "inventory")] == [("inventory", None, False, ["key-policy", "key-state", "lifecycle"])]
    deletion_date = deletion.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert states[(west_key, "key-state")] == [
        ("key-state", None, False, {"KeyState": "PendingDeletion", "DeletionDate": deletion_date})]
    assert states[(west_key, "key-policy")][0][:3] == ("key-policy", None, False)


def test_deltas_are_one_per_object_with_unique_evidence_keys(account):
    items = list(iam_deltas(aws_session(), clock=clock_at(T1)))
    deltas = [d for d in items if isinstance(d, GraphDelta)]
    skips = [r for r in items if isinstance(r, RawRecord)]
    assert len(deltas) + len(skips) == len(items)
    assert [r.skip for r in skips] == ["aws_managed_policy_unused"] * (account["aws_managed"] - 1) + [
        "organizations_not_in_use"]  # moto's account is in no organisation
    assert len(deltas) == OBJECTS
    assert len({d.event_key for d in deltas}) == OBJECTS
    assert {d.time for d in deltas} == {T1}
    assert all(d.event_key == d.action_key == d.event_id and d.event_key.startswith(f"pull-iam:{ACCOUNT}:{T1}:")
               for d in deltas)


def test_user_boundary_from_a_documented_user_detail(embedded_store, tmp_path):
    """moto drops a user's PermissionsBoundary: the mapping is checked on GetAccountAuthorizationDetails' documented
    shape instead, with the URL-encoded policy document the raw API returns."""
    detail = {
        "Path": "/", "UserName": "carol", "UserId": "AIDAEXAMPLE", "Arn": f"{IAM}:user/ops/carol",
        "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument":
                            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow"
                            "%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"}],
        "GroupList": [], "AttachedManagedPolicies": [],
        "PermissionsBoundary": {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                "PermissionsBoundaryArn": BOUNDARY},
    }
    delta = user_delta(detail, PullContext(ACCOUNT, "aws", T1))
    summary = load_deltas([delta], embedded_store, tmp_path / "q.jsonl")
    assert (summary.records, summary.loaded) == (1, 1)
    carol = f"{IAM}:user/carol"
    assert embedded_store.graph().nodes["AWSPrincipal", carol]["path"] == "/ops/"
    assert snapshot_states(embedded_store) == {
        (carol, "lifecycle"): [("lifecycle", None, False, None)],
        (carol, "boundary"): [("boundary", BOUNDARY, False, None)],
        (carol, "inline:inline"): [("identity", None, False, policy(allow("s3:GetObject")))],
        (carol, "inventory"): [("inventory", None, False, ["boundary", "inline:inline", "lifecycle"])],
    }


@pytest.fixture
def runner(monkeypatch) -> Iterator[CliRunner]:
    monkeypatch.delenv("GRAPHGOV_STORE", raising=False)
    yield CliRunner()


def test_cli_pull_iam_json(account, runner, tmp_path):
    store = tmp_path / "g.json.gz"
    result = runner.invoke(main, ["pull", "iam", "--format", "json", "--store", str(store),
                                  "--quarantine", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    unused = account["aws_managed"] - 1
    assert set(summary) == LOAD_FIELDS | {"objects", "gaps"}
    assert without_totals(summary) == {
        "records": OBJECTS + unused + 1, "loaded": OBJECTS,
        "skipped": {"aws_managed_policy_unused": unused, "organizations_not_in_use": 1},
        "quarantined": 0, "files": 0, "files_skipped": 0, "quarantine_file": None, "quarantine_known": 0,
        "objects": {"account": 1, "bucket": 2, "group": 1, "key": 1, "policy": 4 + unused, "role": 1, "user": 2,
                    "organization": 1, "org-membership": 1},
        "gaps": [],
    }
    text = runner.invoke(main, ["pull", "iam", "--store", str(store), "--quarantine", str(tmp_path / "q.jsonl")])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].startswith(f"{OBJECTS + unused + 1} records from account {ACCOUNT} at ")
    assert lines[0].endswith(f" into embedded store {store}")
    assert "  read         2      bucket" in lines
    assert lines[-1] == f"graph now holds {summary['nodes']} nodes and {summary['edges']} edges"
    written = EmbeddedStore(store)
    assert (summary["nodes"], summary["edges"]) == written.totals()
    assert pulled_totals(written) == (NODES, EDGES)


@pytest.mark.parametrize(("env", "message"), [
    ({"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None},
     "Error: cannot read AWS: Unable to locate credentials"),
    ({"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_MAX_ATTEMPTS": "1"},
     'Error: cannot read AWS: Could not connect to the endpoint URL: "http://127.0.0.1:1/"'),
    ({"AWS_DEFAULT_REGION": None}, "Error: no AWS region: pass --region or set AWS_REGION (or a profile's region)"),
    ({"AWS_PROFILE": "nope"}, "Error: cannot use AWS profile: The config profile (nope) could not be found"),
])
def test_cli_credential_problems_are_one_line(moto, runner, monkeypatch, tmp_path, env, message):
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    result = runner.invoke(main, ["pull", "iam", "--store", str(tmp_path / "g.json.gz")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.splitlines() == [message]


def test_access_points_and_their_policies_are_read(account, embedded_store, tmp_path):
    """s3control ListAccessPoints, GetAccessPoint and GetAccessPointPolicy (moto implements them; its ARNs say
    us-east-1)."""
    s3control = client("s3control")
    s3control.meta.events.register("before-sign.s3-control", s3control_on_local_endpoint)
    shared = f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/shared-ap"
    ap_policy = policy({"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                        "Action": "s3:GetObject", "Resource": f"{shared}/object/shared/*"})
    s3control.create_access_point(AccountId=ACCOUNT, Name="shared-ap", Bucket="data-bkt")
    s3control.put_access_point_policy(AccountId=ACCOUNT, Name="shared-ap", Policy=json.dumps(ap_policy))
    s3control.create_access_point(AccountId=ACCOUNT, Name="plain-ap", Bucket="plain-bkt",
                                  PublicAccessBlockConfiguration={"RestrictPublicBuckets": False})
    summary = pull_iam(aws_session(), embedded_store, tmp_path / "q.jsonl", clock=clock_at(T1))
    assert summary.objects["access-point"] == 2 and summary.quarantined == 0 and summary.balanced
    states = snapshot_states(embedded_store)
    plain = f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/plain-ap"
    assert states[(shared, "access-point-policy")] == [("resource", None, False, ap_policy)]
    assert states[(plain, "access-point-policy")] == [("resource", None, True, None)]  # known to have none
    assert states[(shared, "inventory")] == [
        ("inventory", None, False, ["access-point-policy", "lifecycle", "public-access-block"])]
    every = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
    assert states[(shared, "public-access-block")] == [("public-access-block", None, False, every)]  # the default
    assert states[(plain, "public-access-block")] == [
        ("public-access-block", None, False, {**every, "RestrictPublicBuckets": False})]
    points = {arn: (a.get("bucket"), a.get("alias", "").endswith("-s3alias"))
              for arn, a in embedded_store.scan_nodes("S3AccessPoint")}
    assert points == {shared: ("data-bkt", True), plain: ("plain-bkt", True)}


def test_cli_exits_3_when_iam_and_a_key_policy_are_denied(account, runner, monkeypatch, tmp_path):
    session = aws_session()
    session.events.register("before-call.iam.GetAccountAuthorizationDetails", _fail("AccessDenied", 403))
    session.events.register("before-call.kms.GetKeyPolicy", _fail("AccessDeniedException", 400))
    monkeypatch.setattr("graphgov.cli.accounts.aws_session", lambda profile=None: session)
    args = ["pull", "iam", "--quarantine", str(tmp_path / "q.jsonl")]
    lines = [f"gap: iam:GetAccountAuthorizationDetails denied on iam:{ACCOUNT} (1 resource)",
             f"gap: kms:GetKeyPolicy denied on {account['key']} (1 key)"]
    partial = runner.invoke(main, [*args, "--store", str(tmp_path / "a.json.gz"), "--format", "json"])
    assert partial.exit_code == 3, partial.output
    assert partial.stderr.splitlines() == [*lines, "partial pull: 2 gaps (exit 3; --allow-partial exits 0)"]
    out = json.loads(partial.stdout)
    assert {k: v for k, v in out["skipped"].items() if k.startswith("access_denied")} == {
        "access_denied:iam:GetAccountAuthorizationDetails": 1, "access_denied:kms:GetKeyPolicy": 1}
    assert out["objects"]["bucket"] == 2  # the buckets are still read
    allowed = runner.invoke(main, [*args, "--store", str(tmp_path / "b.json.gz"), "--allow-partial"])
    assert (allowed.exit_code, allowed.stderr.splitlines()) == (0, lines)
