"""Policy-change loaders: real and hand-written CloudTrail records in, exact PolicyState rows out."""

from __future__ import annotations

import copy
import json
from urllib.parse import quote

import pytest
from helpers import CLOUDTRAIL, FIXTURES, kms_guide_record

from graphgov.core.delta import Malformed, Skip
from graphgov.ingest.pipeline import load_paths
from loaders import cloudtrail, resource_policies
from loaders.resource_policies import response_time

POLICY = FIXTURES / "policy"
ACCT, OTHER, MGMT = "111122223333", "444455556666", "999988887777"
KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{ACCT}:role/ml-training-role"
BOB = f"arn:aws:iam::{ACCT}:user/Bob"
GROUP = f"arn:aws:iam::{ACCT}:group/data-scientists"
KMS_USE = f"arn:aws:iam::{ACCT}:policy/ml/kms-use"
BOUNDARY = f"arn:aws:iam::{ACCT}:policy/ml-boundary"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def canon(value) -> str:
    """Canonical JSON as the PolicyState stores documents: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def panther(line: int) -> dict:
    return json.loads((CLOUDTRAIL / "panther-cloudtrail-tests.jsonl").read_text().splitlines()[line - 1])


def ct_guide(line: int) -> dict:
    """The single record of a `{"Records": [...]}` line of the CloudTrail guide fixture."""
    return json.loads((CLOUDTRAIL / "cloudtrail-user-guide.jsonl").read_text().splitlines()[line - 1])["Records"][0]


def kms_line(line: int) -> dict:
    """A KMS guide record by line: the guide reuses some eventIDs across examples."""
    return json.loads((CLOUDTRAIL / "kms-developer-guide.jsonl").read_text().splitlines()[line - 1])


def policy_record(file: str, event_id: str) -> dict:
    text = (POLICY / file).read_text()
    records = json.loads(text)["Records"] if file.endswith(".json") else [json.loads(x) for x in text.splitlines()]
    return copy.deepcopy(next(r for r in records if r["eventID"] == event_id))


def states(delta) -> list[tuple]:
    """(id, slot, kind, document, target, deleted) of every PolicyState, in the order the loader wrote them."""
    rows = [n.props for n in delta.nodes if n.type == "PolicyState"]
    return [(p["id"], p["slot"], p["kind"], p.get("document"), p.get("target"), p["deleted"]) for p in rows]


def subject_states(delta) -> list[tuple]:
    """(subject type, subject, slot, kind, document, target, deleted), checked against ids and HAS_POLICY edges."""
    out = []
    edges = {(e.src_type, e.src, e.dst) for e in delta.edges if e.type == "HAS_POLICY"}
    for node in (n for n in delta.nodes if n.type == "PolicyState"):
        p = node.props
        assert p["id"] == f"{p['subject']}|{p['slot']}|{delta.time}|{delta.event_id}"
        assert (p["subject_type"], p["subject"], p["id"]) in edges
        assert (p["evidence"], p["valid_from"], p["event_id"]) == ("event", delta.time, delta.event_id)
        out.append((p["subject_type"], p["subject"], p["slot"], p["kind"], p.get("document"), p.get("target"),
                    p["deleted"]))
    return out


def node(delta, node_type: str, key: str) -> dict:
    (found,) = [dict(n.props) for n in delta.nodes if n.type == node_type and n.key == key]
    return found


def reason(record: dict) -> str:
    with pytest.raises(Skip) as skip:
        cloudtrail.parse(record)
    return skip.value.reason


def malformed(record: dict) -> str:
    with pytest.raises(Malformed) as error:
        cloudtrail.parse(record)
    return str(error.value)


# --- real samples: IAM ----------------------------------------------------------------------------------


def test_real_attach_role_policy_names_the_role_in_the_receiving_account():
    delta = cloudtrail.parse(panther(164))
    role = "arn:aws:iam::123456789012:role/LambdaFunctionRole-1111"
    policy = "arn:aws:iam::aws:policy/example-policy"
    assert states(delta) == [(f"{role}|attached:{policy}|2019-01-01T00:00:00Z|1111", f"attached:{policy}",
                              "attachment", None, policy, False)]
    assert node(delta, "AWSPolicy", policy) == {"id": policy, "arn": policy, "name": "example-policy",
                                                "policy_type": "aws-managed"}
    assert node(delta, "AWSRole", role)["account_id"] == "123456789012"
    state = next(n.props for n in delta.nodes if n.type == "PolicyState")
    assert (state["operation"], state["actor"]) == ("AttachRolePolicy", "arn:aws:iam::123456789012:role/example-role")


def test_real_attach_user_policy():
    delta = cloudtrail.parse(panther(177))
    user, policy = "arn:aws:iam::123456789012:user/test-user", "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2"
    assert subject_states(delta) == [("AWSUser", user, f"attached:{policy}", "attachment", None, policy, False)]
    # named by bare name: the path is unknown, so the node claims none
    assert node(delta, "AWSUser", user) == {"arn": user, "id": user, "name": "test-user", "principal_type": "IAMUser",
                                            "partition": "aws", "account_id": "123456789012"}


def test_real_put_user_policy_keeps_the_document_canonical():
    delta = cloudtrail.parse(panther(178))
    user = "arn:aws:iam::123456789012:user/test-user"
    assert states(delta) == [(
        f"{user}|inline:TestUserDenyAll|2023-11-21T23:31:17Z|7ee6ba6e-1943-417a-a6a3-3a2b0292cdac",
        "inline:TestUserDenyAll", "identity",
        '{"Statement":[{"Action":["*"],"Effect":"Deny","Resource":["*"],"Sid":"TestUserDenyAll"}],'
        '"Version":"2012-10-17"}', None, False)]


def test_real_trimmed_iam_records_are_malformed():
    # Panther's UpdateAssumeRolePolicy tests keep the document but drop the role name; one keeps nothing.
    assert malformed(panther(174)) == "UpdateAssumeRolePolicy: no roleName in requestParameters"
    assert malformed(panther(176)) == "UpdateAssumeRolePolicy: no policyDocument in requestParameters"
    assert malformed(panther(221)) == "PutUserPolicy: no policyName in requestParameters"
    assert reason(panther(166)) == "failed_call"  # NoSuchEntity: nothing was attached


def test_real_create_role_without_trust_document_records_its_creation_only():
    delta = cloudtrail.parse(panther(179))  # Panther trimmed the required assumeRolePolicyDocument
    role = "arn:aws:iam::123456789012:role/new-role"
    assert subject_states(delta) == [("AWSRole", role, "lifecycle", "lifecycle", None, None, False)]


def test_real_create_user_and_group_membership():
    # The 2014 guide examples have no eventID (eventVersion 1.0) nor recipientAccountId: an id is added
    # here, the account comes from the caller.
    create, add = ct_guide(14), ct_guide(15)
    assert malformed(copy.deepcopy(create)) == "iam.amazonaws.com CreateUser: no eventID"
    create["eventID"], add["eventID"] = "ct-guide-create-user", "ct-guide-add-user-to-group"
    bob, admin = "arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:group/admin"
    delta = cloudtrail.parse(create)
    assert states(delta) == [(f"{bob}|lifecycle|2014-03-24T21:11:59Z|ct-guide-create-user", "lifecycle",
                              "lifecycle", None, None, False)]
    assert node(delta, "AWSUser", bob)["path"] == "/"
    delta = cloudtrail.parse(add)
    assert subject_states(delta) == [("AWSUser", bob, f"group:{admin}", "membership", None, admin, False)]
    assert node(delta, "AWSGroup", admin) == {"arn": admin, "name": "admin", "account_id": "123456789012"}
    assert ("RESOURCE", "123456789012", admin) in {(e.type, e.src, e.dst) for e in delta.edges}


def test_real_create_access_key_records_id_and_status_only():
    delta = cloudtrail.parse(panther(199))  # user1 creates a key for user2 (9-digit test account kept as is)
    user = "arn:aws:iam::123456789:user/user2"
    assert states(delta) == [(f"{user}|access-key:ABCDEFG|2022-09-27T17:09:18Z|12345", "access-key:ABCDEFG",
                              "credential", '{"AccessKeyId":"ABCDEFG","Status":"Active"}', None, False)]
    delta = cloudtrail.parse(panther(333))  # the root user creates one for example-user
    assert subject_states(delta) == [("AWSUser", "arn:aws:iam::123456789012:user/example-user", "access-key:1111",
                                      "credential", '{"AccessKeyId":"1111","Status":"Active"}', None, False)]
    record = panther(333)
    record["responseElements"]["accessKey"]["secretAccessKey"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert "wJalr" not in json.dumps([dict(n.props) for n in cloudtrail.parse(record).nodes])  # never a secret
    # The root user's own key: no userName anywhere, and the root user is no policy subject.
    assert reason(panther(332)) == "root_access_key"


# --- real samples: S3 -----------------------------------------------------------------------------------


def test_real_put_bucket_policy_object_and_owner_from_recipient():
    delta = cloudtrail.parse(panther(319))
    assert states(delta) == [(
        "example-bucket|bucket-policy|2019-01-01T00:00:00Z|1111", "bucket-policy", "resource",
        '{"Statement":[{"Action":"s3:GetBucketAcl","Effect":"Allow","Principal":{"AWS":"*"},'
        '"Resource":"arn:aws:s3:::example-bucket","Sid":"Public Access"}],"Version":"2012-10-17"}', None, False)]
    assert node(delta, "S3Bucket", "example-bucket") == {
        "id": "example-bucket", "name": "example-bucket", "arn": "arn:aws:s3:::example-bucket",
        "account_id": "123456789012"}
    assert ("RESOURCE", "123456789012", "example-bucket") in {(e.type, e.src, e.dst) for e in delta.edges}
    assert malformed(panther(321)) == "PutBucketPolicy: no bucketPolicy in requestParameters"  # requestParameters null


def test_real_put_bucket_acl_shapes():
    record = json.loads((CLOUDTRAIL / "s3-user-guide.json").read_text())[1]["Records"][1]
    # The S3 guide blanked the bucket name: that record cannot name its bucket.
    assert malformed(copy.deepcopy(record)) == "PutBucketAcl: no bucket in requestParameters or resources"
    record["requestParameters"]["bucketName"] = "amzn-s3-demo-bucket"
    owner = "d25639fbe9c19cd30a4c0f43fbf00e2d3f96400a9aa8dabfbbebe1906Example"
    assert subject_states(cloudtrail.parse(record)) == [(
        "S3Bucket", "amzn-s3-demo-bucket", "acl", "acl",
        canon({"Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "FULL_CONTROL"}]}),
        None, False)]
    # A canned ACL arrives as the x-amz-acl header, a one-element list in this record.
    assert states(cloudtrail.parse(panther(345))) == [
        ("bucket|acl|2019-01-01T00:00:00Z|1", "acl", "acl", '{"Grants":[]}', None, False)]


def test_real_s3_deletions_and_trimmed_puts():
    delta = cloudtrail.parse(panther(354))
    assert subject_states(delta) == [("S3Bucket", "sensitive-data-bucket", "encryption", "encryption", None, None,
                                      True)]
    assert node(delta, "S3Bucket", "sensitive-data-bucket")["account_id"] == "111111111111"
    assert subject_states(cloudtrail.parse(panther(366))) == [
        ("S3Bucket", "corporate-documents", "public-access-block", "public-access-block", None, None, True)]
    assert malformed(panther(356)) == ("PutBucketEncryption: no SSEAlgorithm in ServerSideEncryptionConfiguration.Rule"
                                       ".ApplyServerSideEncryptionByDefault")
    assert malformed(panther(368)) == ("PutBucketPublicAccessBlock: no PublicAccessBlockConfiguration in "
                                       "requestParameters")
    assert reason(panther(357)) == "unsupported_event"  # eventSource ec2: not S3's call


# --- real samples: KMS ----------------------------------------------------------------------------------


def default_key_policy(account: str) -> str:
    return canon({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*", "Resource": "*"}]})


def test_real_create_key_without_policy_gets_the_default_key_policy():
    delta = cloudtrail.parse(kms_guide_record("36327b37-f4f6-40a9-92ab-48064ec905a2"))
    suffix = "2022-08-10T22:38:27Z|36327b37-f4f6-40a9-92ab-48064ec905a2"
    assert states(delta) == [
        (f"{KEY}|lifecycle|{suffix}", "lifecycle", "lifecycle", None, None, False),
        (f"{KEY}|key-policy|{suffix}", "key-policy", "key-policy", default_key_policy(ACCT), None, False),
        (f"{KEY}|key-state|{suffix}", "key-state", "key-state", '{"KeyState":"PendingImport"}', None, False),
    ]
    assert node(delta, "KMSKey", KEY) == {"arn": KEY, "id": "1234abcd-12ab-34cd-56ef-1234567890ab",
                                          "region": "us-west-2", "account_id": ACCT}
    # The guide's external-key-store example lists an unrelated key in resources[]: the key KMS reported wins.
    delta = cloudtrail.parse(kms_guide_record("838ad5f4-5fdd-4044-afd7-4dbd88c6af56"))
    assert {s[1] for s in subject_states(delta)} == {KEY}
    assert not [n for n in delta.nodes if n.type == "KMSKey" and n.key != KEY]


def test_real_put_key_policy_json_string():
    delta = cloudtrail.parse(kms_guide_record("c217db1f-903f-4a2f-8f88-9580182d6313"))
    assert subject_states(delta) == [("KMSKey", KEY, "key-policy", "key-policy", default_key_policy(ACCT), None,
                                      False)]
    delta = cloudtrail.parse(panther(331))  # resources[] spells the key `arn` in lower case
    key = "arn:aws:kms:us-west-2:123456789012:key/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
    ((_, subject, slot, _, document, _, _),) = subject_states(delta)
    assert (subject, slot) == (key, "key-policy")
    assert json.loads(document)["Statement"][1]["Principal"] == {"AWS": [
        "arn:aws:iam::123456789012:role/ExampleRoleAssumption1",
        "arn:aws:iam::123456789012:role/ExampleRoleAssumption2"]}


def test_real_grants_created_retired_and_revoked():
    delta = cloudtrail.parse(kms_guide_record("5d529779-2d27-42b5-92da-91aaea1fc4b5"))
    grant = "f020fe75197b93991dc8491d6f19dd3cebb24ee62277a05914386724f3d48758"
    assert states(delta) == [(
        f"{KEY}|grant:{grant}|2014-11-04T00:53:12Z|5d529779-2d27-42b5-92da-91aaea1fc4b5", f"grant:{grant}", "grant",
        canon({"GranteePrincipal": "EX_PRINCIPAL_ID", "Operations": ["Encrypt", "RetireGrant"],
               "Constraints": {"EncryptionContextSubset": {"ContextKey1": "Value1"}}}), None, False)]
    retired = "abcde1237f76e4ba7987489ac329fbfba6ad343d6f7075dbd1ef191f0120514a"
    # RetireGrant: requestParameters null, the grant id only in additionalEventData.
    assert subject_states(cloudtrail.parse(kms_guide_record("0771bcfb-3e24-4332-9ac8-e1c06563eecf"))) == [
        ("KMSKey", KEY, f"grant:{retired}", "grant", None, None, True)]
    assert subject_states(cloudtrail.parse(kms_guide_record("07a23a39-6526-4ae2-b31e-d35fbe9e24ee"))) == [
        ("KMSKey", KEY, f"grant:{retired}", "grant", None, None, True)]


@pytest.mark.parametrize(("record", "key", "document"), [
    # "18:58:30 PM": the guide's own (impossible) rendering, read as 24-hour time
    (lambda: kms_guide_record("3c4226b0-1e81-48a8-a333-7fa5f3cbd118"), KEY,
     {"KeyState": "PendingDeletion", "DeletionDate": "2021-04-12T18:58:30Z"}),
    (lambda: kms_guide_record("abcda5f-396d-494c-9380-0c47860df5f1"),
     "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
     {"KeyState": "PendingReplicaDeletion"}),  # a replica: no deletion date in the response
    (lambda: kms_guide_record("ca01996a-01b0-4edd-bbbb-25d7b6d1a6fa"),
     "arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321",
     {"KeyState": "PendingDeletion", "DeletionDate": "2021-11-02T23:25:25Z"}),
    (lambda: panther(223), "arn:aws:kms:us-west-2:123456789012:key/1",
     {"KeyState": "PendingDeletion", "DeletionDate": "2019-01-01T00:00:00Z"}),
    # no resources[] and keyId "1": the key ARN the response reported
    (lambda: panther(225), "arn:aws:kms:us-west-2:123456789012:key/1",
     {"KeyState": "PendingDeletion", "DeletionDate": "2019-01-01T00:00:00Z"}),
    (lambda: kms_guide_record("d818bf03-6655-48e9-8b26-f279a07075fd"), KEY, {"KeyState": "Disabled"}),
    # DisableKey/EnableKey: resources[] without `type`, in another Region than the event's
    (lambda: kms_line(22), KEY, {"KeyState": "Disabled"}),
    (lambda: kms_guide_record("be393928-3629-4370-9634-567f9274d52e"), KEY, {"KeyState": "Enabled"}),
    (lambda: panther(222), "arn:aws:kms:us-west-2:123456789012:key/1", {"KeyState": "Disabled"}),
], ids=["schedule-24h-pm", "schedule-replica", "schedule", "panther-schedule", "panther-schedule-response-arn",
        "cancel", "disable", "enable", "panther-disable"])
def test_real_key_state_changes(record, key, document):
    assert subject_states(cloudtrail.parse(record())) == [("KMSKey", key, "key-state", "key-state", canon(document),
                                                          None, False)]


@pytest.mark.parametrize(("raw", "iso"), [
    ("Jan 1, 2019 12:00:00 AM", "2019-01-01T00:00:00Z"),
    ("Nov 2, 2021, 11:25:25 PM", "2021-11-02T23:25:25Z"),
    ("Apr 12, 2021 18:58:30 PM", "2021-04-12T18:58:30Z"),
    ("Mar 24, 2014 12:11:59 PM", "2014-03-24T12:11:59Z"),
    ("2021-04-12T18:58:30Z", "2021-04-12T18:58:30Z"),
    (1618253910, "2021-04-12T18:58:30Z"),
    ("Smarch 1, 2019 1:00:00 AM", None),
    ("soon", None),
])
def test_response_times(raw, iso):
    assert response_time(raw) == iso


# --- hand-written records: IAM ------------------------------------------------------------------------

V1 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
V2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                              "Resource": "*"}]}
READ_DATA = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                     "Resource": "arn:aws:s3:::ml-training-data/*"}]}
SAGEMAKER_FULL = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"

IAM_CASES = {
    "iam-0101-4000-8000-000000000000": [  # CreatePolicy with the reported ARN (path /ml/) and version
        ("AWSPolicy", KMS_USE, "lifecycle", "lifecycle", None, None, False),
        ("AWSPolicy", KMS_USE, "version:v1", "policy-version", canon(V1), None, False),
        ("AWSPolicy", KMS_USE, "default", "default-version", canon(V1), "v1", False)],
    "iam-0102-4000-8000-000000000000": [  # no response: the ARN is built from account, path and name
        ("AWSPolicy", BOUNDARY, "lifecycle", "lifecycle", None, None, False),
        ("AWSPolicy", BOUNDARY, "version:v1", "policy-version",
         canon({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "kms:*", "sagemaker:*"],
                                                        "Resource": "*"}]}), None, False),
        ("AWSPolicy", BOUNDARY, "default", "default-version",
         canon({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "kms:*", "sagemaker:*"],
                                                        "Resource": "*"}]}), "v1", False)],
    "iam-0103-4000-8000-000000000000": [  # setAsDefault true
        ("AWSPolicy", KMS_USE, "version:v2", "policy-version", canon(V2), None, False),
        ("AWSPolicy", KMS_USE, "default", "default-version", canon(V2), "v2", False)],
    "iam-0104-4000-8000-000000000000": [  # setAsDefault false
        ("AWSPolicy", KMS_USE, "version:v3", "policy-version", canon(V1), None, False)],
    "iam-0105-4000-8000-000000000000": [("AWSPolicy", KMS_USE, "default", "default-version", None, "v3", False)],
    "iam-0106-4000-8000-000000000000": [("AWSPolicy", KMS_USE, "version:v2", "policy-version", None, None, True)],
    "iam-0107-4000-8000-000000000000": [
        ("AWSUser", BOB, "lifecycle", "lifecycle", None, None, False),
        ("AWSUser", BOB, "boundary", "boundary", None, BOUNDARY, False)],
    "iam-0108-4000-8000-000000000000": [("AWSGroup", GROUP, "lifecycle", "lifecycle", None, None, False)],
    "iam-0109-4000-8000-000000000000": [("AWSGroup", GROUP, "inline:read-data", "identity", canon(READ_DATA), None,
                                         False)],
    "iam-0110-4000-8000-000000000000": [("AWSGroup", GROUP, f"attached:{KMS_USE}", "attachment", None, KMS_USE,
                                         False)],
    "iam-0111-4000-8000-000000000000": [("AWSUser", BOB, f"group:{GROUP}", "membership", None, GROUP, False)],
    "iam-0112-4000-8000-000000000000": [("AWSUser", BOB, f"attached:{S3_READ_ONLY}", "attachment", None,
                                         S3_READ_ONLY, False)],
    "iam-0113-4000-8000-000000000000": [  # URL-encoded policy document
        ("AWSUser", BOB, "inline:own-keys", "identity",
         canon({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*AccessKey*",
                                                        "Resource": f"arn:aws:iam::{ACCT}:user/${{aws:username}}"}]}),
         None, False)],
    "iam-0114-4000-8000-000000000000": [("AWSUser", BOB, "access-key:AKIAEXAMPLEBOBKEY001", "credential",
                                         '{"AccessKeyId":"AKIAEXAMPLEBOBKEY001","Status":"Active"}', None, False)],
    "iam-0115-4000-8000-000000000000": [  # no userName: the calling user's own key
        ("AWSUser", BOB, "access-key:AKIAEXAMPLEBOBKEY002", "credential",
         '{"AccessKeyId":"AKIAEXAMPLEBOBKEY002","Status":"Active"}', None, False)],
    "iam-0116-4000-8000-000000000000": [("AWSUser", BOB, "access-key:AKIAEXAMPLEBOBKEY001", "credential",
                                         '{"AccessKeyId":"AKIAEXAMPLEBOBKEY001","Status":"Inactive"}', None, False)],
    "iam-0117-4000-8000-000000000000": [("AWSUser", BOB, "access-key:AKIAEXAMPLEBOBKEY001", "credential", None, None,
                                         True)],
    "iam-0118-4000-8000-000000000000": [("AWSUser", BOB, "boundary", "boundary", None, KMS_USE, False)],
    "iam-0119-4000-8000-000000000000": [("AWSUser", BOB, "boundary", "boundary", None, None, True)],
    "iam-0120-4000-8000-000000000000": [("AWSRole", ROLE, "boundary", "boundary", None, BOUNDARY, False)],
    "iam-0121-4000-8000-000000000000": [("AWSUser", BOB, f"attached:{S3_READ_ONLY}", "attachment", None,
                                         S3_READ_ONLY, True)],
    "iam-0122-4000-8000-000000000000": [("AWSUser", BOB, "inline:own-keys", "identity", None, None, True)],
    "iam-0123-4000-8000-000000000000": [("AWSUser", BOB, f"group:{GROUP}", "membership", None, GROUP, True)],
    "iam-0124-4000-8000-000000000000": [("AWSGroup", GROUP, f"attached:{KMS_USE}", "attachment", None, KMS_USE,
                                         True)],
    "iam-0125-4000-8000-000000000000": [("AWSGroup", GROUP, "inline:read-data", "identity", None, None, True)],
    "iam-0126-4000-8000-000000000000": [("AWSGroup", GROUP, "lifecycle", "lifecycle", None, None, True)],
    "iam-0127-4000-8000-000000000000": [("AWSUser", BOB, "lifecycle", "lifecycle", None, None, True)],
    "iam-0128-4000-8000-000000000000": [("AWSPolicy", KMS_USE, "lifecycle", "lifecycle", None, None, True)],
}


@pytest.mark.parametrize("event_id", sorted(IAM_CASES))
def test_iam_changes(event_id):
    assert subject_states(cloudtrail.parse(policy_record("iam-changes.jsonl", event_id))) == IAM_CASES[event_id]


def test_iam_nodes_keep_paths_and_policy_types():
    delta = cloudtrail.parse(policy_record("iam-changes.jsonl", "iam-0107-4000-8000-000000000000"))
    assert node(delta, "AWSUser", BOB) == {"arn": BOB, "id": BOB, "name": "Bob", "principal_type": "IAMUser",
                                           "path": "/data-science/", "partition": "aws", "account_id": ACCT,
                                           "principal_id": "AIDAEXAMPLEBOB000001"}  # CreateUser's userId
    assert node(delta, "AWSPolicy", BOUNDARY) == {"id": BOUNDARY, "arn": BOUNDARY, "name": "ml-boundary",
                                                  "policy_type": "managed", "account_id": ACCT}
    delta = cloudtrail.parse(policy_record("iam-changes.jsonl", "iam-0108-4000-8000-000000000000"))
    assert node(delta, "AWSGroup", GROUP) == {"arn": GROUP, "name": "data-scientists", "account_id": ACCT,
                                              "path": "/ml/"}
    delta = cloudtrail.parse(policy_record("iam-changes.jsonl", "iam-0101-4000-8000-000000000000"))
    assert node(delta, "AWSPolicy", KMS_USE)["name"] == "kms-use"


def test_create_role_with_path_trust_and_boundary():
    delta = cloudtrail.parse(policy_record("iam-role-changes.json", "iam-0001-4000-8000-000000000000"))
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                     "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    assert subject_states(delta) == [
        ("AWSRole", ROLE, "lifecycle", "lifecycle", None, None, False),
        ("AWSRole", ROLE, "trust", "trust", canon(trust), None, False),
        ("AWSRole", ROLE, "boundary", "boundary", None, BOUNDARY, False),
    ]
    assert node(delta, "AWSRole", ROLE)["path"] == "/service-role/"
    # Without the response, the trust policy comes from the request and the path from `path`.
    record = policy_record("iam-role-changes.json", "iam-0001-4000-8000-000000000000")
    record["responseElements"] = None
    delta = cloudtrail.parse(record)
    assert node(delta, "AWSRole", ROLE)["path"] == "/service-role/"
    assert [s[2] for s in subject_states(delta)] == ["lifecycle", "trust", "boundary"]


def test_iam_records_tolerate_case_and_missing_recipient():
    record = policy_record("iam-role-changes.json", "iam-0003-4000-8000-000000000000")
    record["requestParameters"] = {"RoleName": "ml-training-role", "PolicyArn": SAGEMAKER_FULL}
    del record["recipientAccountId"]  # the caller's account names the role
    assert subject_states(cloudtrail.parse(record)) == [
        ("AWSRole", ROLE, f"attached:{SAGEMAKER_FULL}", "attachment", None, SAGEMAKER_FULL, False)]
    record["requestParameters"]["PolicyArn"] = "AmazonSageMakerFullAccess"
    assert malformed(record) == "AttachRolePolicy: policyArn 'AmazonSageMakerFullAccess' is not a managed policy ARN"


def test_create_policy_version_needs_the_version_id():
    record = policy_record("iam-changes.jsonl", "iam-0103-4000-8000-000000000000")
    record["responseElements"] = None
    assert malformed(record) == "CreatePolicyVersion: no policyVersion.versionId in responseElements"


# --- hand-written records: S3 -----------------------------------------------------------------------------

B = "ml-training-data"
OWNER_ID = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
S3_CASES = {
    "s3-0201-4000-8000-000000000000": [("S3Bucket", B, "bucket-policy", "resource", canon({
        "Version": "2012-10-17", "Statement": [{"Sid": "CrossAccountRead", "Effect": "Allow",
                                                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                                                "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{B}/*"}]}),
        None, False)],  # bucketPolicy delivered as a JSON string
    "s3-0202-4000-8000-000000000000": [("S3Bucket", B, "bucket-policy", "resource", None, None, True)],
    "s3-0203-4000-8000-000000000000": [("S3Bucket", B, "acl", "acl", canon({"Grants": [
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]}), None, False)],
    "s3-0204-4000-8000-000000000000": [("S3Bucket", B, "acl", "acl", '{"Canned":"log-delivery-write","Grants":[]}',
                                        None, False)],
    # grants in the order `pull iam` writes them: by grantee type, id, URI, email, then permission
    "s3-0205-4000-8000-000000000000": [("S3Bucket", B, "acl", "acl", canon({"Grants": [
        {"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": "partner@example.com"},
         "Permission": "READ_ACP"},
        {"Grantee": {"Type": "CanonicalUser", "ID": OWNER_ID}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
         "Permission": "WRITE"}]}), None, False)],
    "s3-0206-4000-8000-000000000000": [("S3Bucket", B, "acl", "acl", canon({"Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": OWNER_ID}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
         "Permission": "READ"}]}), None, False)],
    "s3-0207-4000-8000-000000000000": [("S3Object", f"arn:aws:s3:::{B}/train/part 0001.csv", "acl", "acl", canon(
        {"Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]}), None, False)],
    "s3-0208-4000-8000-000000000000": [("S3Bucket", B, "public-access-block", "public-access-block", canon(
        {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
         "RestrictPublicBuckets": False}), None, False)],
    "s3-0209-4000-8000-000000000000": [("S3Bucket", B, "public-access-block", "public-access-block", None, None,
                                        True)],
    "s3-0210-4000-8000-000000000000": [("AWSAccount", ACCT, "public-access-block", "public-access-block", canon(
        {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
         "RestrictPublicBuckets": True}), None, False)],
    "s3-0211-4000-8000-000000000000": [("AWSAccount", ACCT, "public-access-block", "public-access-block", None, None,
                                        True)],
    # the body `OwnershipControls` sits beside the query marker `ownershipControls: ""`
    "s3-0212-4000-8000-000000000000": [("S3Bucket", B, "ownership", "ownership",
                                        '{"ObjectOwnership":"BucketOwnerEnforced"}', None, False)],
    "s3-0213-4000-8000-000000000000": [("S3Bucket", B, "ownership", "ownership", None, None, True)],
    "s3-0214-4000-8000-000000000000": [("S3Bucket", B, "encryption", "encryption", canon(
        {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": f"arn:aws:kms:eu-west-1:{ACCT}:key/"
                                                      "1234abcd-12ab-34cd-56ef-1234567890ab",
         "BucketKeyEnabled": True}), f"arn:aws:kms:eu-west-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", False)],
    "s3-0215-4000-8000-000000000000": [("S3Bucket", B, "encryption", "encryption", canon(  # `Rules` list, bare key id
        {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": "0987dcba-09fe-87dc-65ba-ab0987654321",
         "BucketKeyEnabled": False}), f"arn:aws:kms:eu-west-1:{ACCT}:key/0987dcba-09fe-87dc-65ba-ab0987654321",
        False)],
    "s3-0216-4000-8000-000000000000": [("S3Bucket", B, "encryption", "encryption", canon(  # an alias: no target
        {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/ml-data", "BucketKeyEnabled": False}), None, False)],
    "s3-0217-4000-8000-000000000000": [("S3Bucket", B, "encryption", "encryption",
                                        '{"BucketKeyEnabled":false,"SSEAlgorithm":"AES256"}', None, False)],
    "s3-0218-4000-8000-000000000000": [("S3Bucket", B, "encryption", "encryption", None, None, True)],
}


@pytest.mark.parametrize("event_id", sorted(S3_CASES))
def test_s3_changes(event_id):
    delta = cloudtrail.parse(policy_record("s3-changes.jsonl", event_id))
    assert subject_states(delta) == S3_CASES[event_id]
    if S3_CASES[event_id][0][0] == "S3Bucket":  # the owner received the management event
        assert node(delta, "S3Bucket", B)["account_id"] == ACCT


def test_object_acl_links_the_object_to_its_bucket():
    delta = cloudtrail.parse(policy_record("s3-changes.jsonl", "s3-0207-4000-8000-000000000000"))
    obj = f"arn:aws:s3:::{B}/train/part 0001.csv"
    assert node(delta, "S3Object", obj) == {"arn": obj, "bucket": B, "key": "train/part 0001.csv"}
    edges = {(e.type, e.src, e.dst) for e in delta.edges}
    assert {("CONTAINS", B, obj), ("RESOURCE", ACCT, B)} <= edges  # owner from the bucket resource entry


def test_bucket_encryption_names_the_key_node():
    delta = cloudtrail.parse(policy_record("s3-changes.jsonl", "s3-0215-4000-8000-000000000000"))
    key = f"arn:aws:kms:eu-west-1:{ACCT}:key/0987dcba-09fe-87dc-65ba-ab0987654321"
    assert node(delta, "KMSKey", key) == {"arn": key, "id": "0987dcba-09fe-87dc-65ba-ab0987654321",
                                          "region": "eu-west-1", "account_id": ACCT}


@pytest.mark.parametrize(("headers", "grants"), [
    ({"x-amz-acl": "public-read-write"}, [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
                                          {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "WRITE"}]),
    ({"x-amz-acl": ["authenticated-read"]}, [
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
         "Permission": "READ"}]),
    ({"X-Amz-Acl": "PRIVATE"}, []),
    ({"x-amz-grant-write-acp": 'emailAddress="ops@example.com", id="abc123"'}, [
        {"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": "ops@example.com"}, "Permission": "WRITE_ACP"},
        {"Grantee": {"Type": "CanonicalUser", "ID": "abc123"}, "Permission": "WRITE_ACP"}]),
    ({"AccessControlPolicy": json.dumps({"AccessControlList": {"Grant": {
        "Grantee": {"@xsi:type": "Group", "URI": ALL_USERS}, "Permission": "FULL_CONTROL"}}})},
     [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "FULL_CONTROL"}]),
    ({"AccessControlPolicy": {"Owner": {"ID": OWNER_ID}, "AccessControlList": ""}}, []),
], ids=["canned-public-read-write", "canned-list", "canned-case", "grant-headers", "json-string-body", "empty-acl"])
def test_acl_forms(headers, grants):
    record = policy_record("s3-changes.jsonl", "s3-0203-4000-8000-000000000000")
    record["requestParameters"] = {"bucketName": B, "acl": [""], **headers}
    ((*_, document, _, _),) = subject_states(cloudtrail.parse(record))
    assert document == canon({"Grants": grants})


def test_s3_puts_without_their_configuration_are_malformed():
    record = policy_record("s3-changes.jsonl", "s3-0212-4000-8000-000000000000")
    del record["requestParameters"]["OwnershipControls"]
    assert malformed(record) == "PutBucketOwnershipControls: no OwnershipControls.Rule.ObjectOwnership"
    record = policy_record("s3-changes.jsonl", "s3-0203-4000-8000-000000000000")
    del record["requestParameters"]["x-amz-acl"]
    assert malformed(record) == "PutBucketAcl: no x-amz-acl, AccessControlPolicy or x-amz-grant-* in the request"


# --- hand-written records: KMS, SageMaker registry, Organizations ------------------------------------------


def test_create_key_with_policy_and_put_key_policy_object():
    key = f"arn:aws:kms:eu-west-1:{ACCT}:key/5c7a2f10-3d4e-4f50-8a6b-7c8d9e0f1a2b"
    root = {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
            "Action": "kms:*", "Resource": "*"}
    partner = {"Sid": "Partner decrypt", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
               "Action": "kms:Decrypt", "Resource": "*"}
    delta = cloudtrail.parse(policy_record("kms-changes.jsonl", "kms-0301-4000-8000-000000000000"))
    assert subject_states(delta) == [
        ("KMSKey", key, "lifecycle", "lifecycle", None, None, False),
        ("KMSKey", key, "key-policy", "key-policy",
         canon({"Version": "2012-10-17", "Id": "ml-data-key", "Statement": [root, partner]}), None, False),
        ("KMSKey", key, "key-state", "key-state", '{"KeyState":"Enabled"}', None, False)]
    # policy as an object, no resources[]: the key from the bare keyId, the event's Region and account
    delta = cloudtrail.parse(policy_record("kms-changes.jsonl", "kms-0302-4000-8000-000000000000"))
    assert subject_states(delta) == [("KMSKey", key, "key-policy", "key-policy",
                                      canon({"Version": "2012-10-17", "Id": "ml-data-key", "Statement": [root]}),
                                      None, False)]


def test_kms_records_that_cannot_name_their_grant_or_key_are_skipped():
    assert reason(policy_record("kms-changes.jsonl", "kms-0303-4000-8000-000000000000")) == "grant_unidentified"
    assert reason(policy_record("kms-changes.jsonl", "kms-0304-4000-8000-000000000000")) == "kms_key_unresolved"
    record = policy_record("kms-changes.jsonl", "kms-0302-4000-8000-000000000000")
    del record["requestParameters"]["policy"]
    assert malformed(record) == "PutKeyPolicy: no policy in requestParameters"
    record = kms_guide_record("5d529779-2d27-42b5-92da-91aaea1fc4b5")
    record["responseElements"] = None
    assert malformed(record) == "CreateGrant: no grantId in responseElements"


def test_model_package_group_policy_is_routed_past_sagemaker_lineage():
    assert cloudtrail._handler("sagemaker.amazonaws.com", "PutModelPackageGroupPolicy") is \
        resource_policies.SAGEMAKER_HANDLERS["PutModelPackageGroupPolicy"]
    group = f"arn:aws:sagemaker:eu-west-1:{ACCT}:model-package-group/fraud-models"
    delta = cloudtrail.parse(policy_record("sagemaker-registry-policy.jsonl", "sagemaker-0401-4000-8000-000000000000"))
    ((subject_type, subject, slot, kind, document, target, deleted),) = subject_states(delta)
    assert (subject_type, subject, slot, kind, target, deleted) == ("ModelPackageGroup", group, "group-policy",
                                                                   "resource", None, False)
    assert json.loads(document)["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{OTHER}:root"}
    assert node(delta, "ModelPackageGroup", group) == {"arn": group, "name": "fraud-models", "account_id": ACCT,
                                                       "region": "eu-west-1"}
    # named by ARN this time
    delta = cloudtrail.parse(policy_record("sagemaker-registry-policy.jsonl", "sagemaker-0402-4000-8000-000000000000"))
    assert subject_states(delta) == [("ModelPackageGroup", group, "group-policy", "resource", None, None, True)]


SCP_P = "p-a1b2c3d4"
ORG_CASES = {
    "organizations-0502-4000-8000-000000000000": [("AWSAccount", ACCT, f"org-policy:{SCP_P}", "org-attachment", None,
                                                   SCP_P, False)],
    "organizations-0503-4000-8000-000000000000": [("AWSPolicy", SCP_P, "target:ou-a1b2-f6g7h8i9", "org-attachment",
                                                   None, "ou-a1b2-f6g7h8i9", False)],
    "organizations-0504-4000-8000-000000000000": [("AWSPolicy", SCP_P, "target:r-a1b2", "org-attachment", None,
                                                   "r-a1b2", False)],
    "organizations-0507-4000-8000-000000000000": [("AWSAccount", ACCT, f"org-policy:{SCP_P}", "org-attachment", None,
                                                   SCP_P, True)],
    "organizations-0508-4000-8000-000000000000": [("AWSPolicy", SCP_P, "target:ou-a1b2-f6g7h8i9", "org-attachment",
                                                   None, "ou-a1b2-f6g7h8i9", True)],
    "organizations-0509-4000-8000-000000000000": [("AWSPolicy", SCP_P, "target:r-a1b2", "org-attachment", None,
                                                   "r-a1b2", True)],
    "organizations-0510-4000-8000-000000000000": [("AWSPolicy", SCP_P, "lifecycle", "lifecycle", None, None, True)],
}


@pytest.mark.parametrize("event_id", sorted(ORG_CASES))
def test_organizations_attachments(event_id):
    assert subject_states(cloudtrail.parse(policy_record("organizations-changes.jsonl", event_id))) == \
        ORG_CASES[event_id]


def test_organizations_policies_keyed_by_id_with_their_type():
    def scp(regions):
        return canon({"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyLeavingRegions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": regions}}}]})
    delta = cloudtrail.parse(policy_record("organizations-changes.jsonl", "organizations-0501-4000-8000-000000000000"))
    assert subject_states(delta) == [("AWSPolicy", SCP_P, "lifecycle", "lifecycle", None, None, False),
                                     ("AWSPolicy", SCP_P, "content", "org-policy", scp(["eu-west-1"]), None, False)]
    arn = f"arn:aws:organizations::{MGMT}:policy/o-a1b2c3d4e5/service_control_policy/{SCP_P}"
    assert node(delta, "AWSPolicy", SCP_P) == {"id": SCP_P, "arn": arn, "name": "region-guard", "policy_type": "scp",
                                               "account_id": MGMT}
    delta = cloudtrail.parse(policy_record("organizations-changes.jsonl", "organizations-0505-4000-8000-000000000000"))
    assert subject_states(delta) == [("AWSPolicy", SCP_P, "content", "org-policy", scp(["eu-west-1", "eu-central-1"]),
                                      None, False)]
    delta = cloudtrail.parse(policy_record("organizations-changes.jsonl", "organizations-0511-4000-8000-000000000000"))
    assert node(delta, "AWSPolicy", "p-e5f6g7h8")["policy_type"] == "rcp"
    assert [s[2] for s in subject_states(delta)] == ["lifecycle", "content"]
    # AttachPolicy says nothing of the type: the node carries none rather than a guess
    delta = cloudtrail.parse(policy_record("organizations-changes.jsonl", "organizations-0502-4000-8000-000000000000"))
    assert node(delta, "AWSPolicy", SCP_P) == {"id": SCP_P}


def test_organizations_records_not_modelled_or_unusable():
    assert reason(policy_record("organizations-changes.jsonl", "organizations-0506-4000-8000-000000000000")) == \
        "org_policy_metadata_only"  # only the description changed
    assert reason(policy_record("organizations-changes.jsonl", "organizations-0512-4000-8000-000000000000")) == \
        "unsupported_org_policy_type"  # a tag policy grants and denies nothing
    record = policy_record("organizations-changes.jsonl", "organizations-0502-4000-8000-000000000000")
    record["requestParameters"]["policyId"] = "p-FullAWSAccess"  # AWS-managed, so its type is known
    assert node(cloudtrail.parse(record), "AWSPolicy", "p-FullAWSAccess") == {"id": "p-FullAWSAccess",
                                                                            "name": "p-FullAWSAccess",
                                                                            "policy_type": "scp"}
    record["requestParameters"]["targetId"] = "o-a1b2c3d4e5"
    assert malformed(record) == "AttachPolicy: targetId 'o-a1b2c3d4e5' is not an account, OU or root id"


# --- one role's history through the pipeline --------------------------------------------------------------


def test_role_history_loads_into_the_embedded_store(embedded_store, tmp_path):
    summary = load_paths([POLICY / "iam-role-changes.json"], embedded_store, tmp_path / "quarantine.jsonl")
    assert (summary.records, summary.loaded, dict(summary.skipped), summary.quarantined) == (
        13, 10, {"failed_call": 1, "unsupported_event": 1}, 1)
    assert summary.records == summary.loaded + sum(summary.skipped.values()) + summary.quarantined
    (quarantined,) = [json.loads(x) for x in (tmp_path / "quarantine.jsonl").read_text().splitlines()]
    assert quarantined["error"] == "UpdateAssumeRolePolicy: no policyDocument in requestParameters"

    graph = embedded_store.graph()
    role_node = ("AWSPrincipal", ROLE)
    assert graph.nodes[role_node]["path"] == "/service-role/"
    history = sorted(
        (graph.nodes[dst]["valid_from"], graph.nodes[dst]["slot"], graph.nodes[dst]["kind"],
         graph.nodes[dst]["deleted"], graph.nodes[dst].get("target"), graph.nodes[dst].get("operation"))
        for _, dst, key in graph.out_edges(role_node, keys=True) if key == "HAS_POLICY")
    assert history == [
        ("2024-03-01T10:00:00Z", "boundary", "boundary", False, BOUNDARY, "CreateRole"),
        ("2024-03-01T10:00:00Z", "lifecycle", "lifecycle", False, None, "CreateRole"),
        ("2024-03-01T10:00:00Z", "trust", "trust", False, None, "CreateRole"),
        ("2024-03-01T10:05:00Z", "inline:read-training-data", "identity", False, None, "PutRolePolicy"),
        ("2024-03-01T10:06:00Z", f"attached:{SAGEMAKER_FULL}", "attachment", False, SAGEMAKER_FULL,
         "AttachRolePolicy"),
        ("2024-03-01T10:07:00Z", f"attached:{KMS_USE}", "attachment", False, KMS_USE, "AttachRolePolicy"),
        ("2024-03-01T11:00:00Z", "trust", "trust", False, None, "UpdateAssumeRolePolicy"),
        ("2024-03-01T11:30:00Z", "inline:read-training-data", "identity", False, None, "PutRolePolicy"),
        ("2024-03-01T12:00:00Z", f"attached:{SAGEMAKER_FULL}", "attachment", True, SAGEMAKER_FULL,
         "DetachRolePolicy"),
        ("2024-03-01T12:30:00Z", "inline:read-training-data", "identity", True, None, "DeleteRolePolicy"),
        ("2024-03-01T12:40:00Z", "boundary", "boundary", True, None, "DeleteRolePermissionsBoundary"),
        ("2024-03-01T13:00:00Z", "lifecycle", "lifecycle", True, None, "DeleteRole"),
    ]
    # the second inline version is the one from the JSON-string requestParameters
    inline = [attrs for _, attrs in graph.nodes(data=True) if attrs.get("slot") == "inline:read-training-data"
              and attrs.get("valid_from") == "2024-03-01T11:30:00Z"]
    assert json.loads(inline[0]["document"])["Statement"][0]["Action"] == "s3:*"
    trust = [attrs["document"] for _, attrs in graph.nodes(data=True) if attrs.get("slot") == "trust"
             and attrs.get("valid_from") == "2024-03-01T11:00:00Z"]
    assert json.loads(trust[0])["Statement"][1]["Principal"] == {"AWS": f"arn:aws:iam::{OTHER}:root"}

    # loading the same file again changes nothing
    again = load_paths([POLICY / "iam-role-changes.json"], embedded_store, tmp_path / "quarantine2.jsonl")
    assert (again.loaded, again.skipped["duplicate"]) == (0, 10)


def test_create_role_trust_document_from_url_encoded_response():
    record = policy_record("iam-role-changes.json", "iam-0001-4000-8000-000000000000")
    trust = record["requestParameters"].pop("assumeRolePolicyDocument")
    assert record["responseElements"]["role"]["assumeRolePolicyDocument"] == quote(trust, safe="")
    states_ = subject_states(cloudtrail.parse(record))
    assert states_[1][2:5] == ("trust", "trust", canon(json.loads(trust)))
