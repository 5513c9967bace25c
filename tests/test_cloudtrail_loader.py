"""loaders.cloudtrail: one real record in, exact graph rows out."""

from __future__ import annotations

import copy
import json

import pytest
from helpers import CLOUDTRAIL, fixture_json, iam_guide_sts_records, kms_guide_record

from graphgov.core.delta import Malformed, Skip
from loaders import bedrock_invocation, cloudtrail, eventbridge, s3_notification
from loaders.identity import from_user_identity
from loaders.registry import REGISTRY

JOHN = "arn:aws:iam::777788889999:user/JohnDoe"
EC2_DEV = "arn:aws:iam::111122223333:role/EC2-dev"
EC2_DEV_SESSION = "arn:aws:sts::111122223333:assumed-role/EC2-dev/JohnDoe-EC2-dev"


def panther(line: int) -> dict:
    """Record on 1-based `line` of the Panther fixture."""
    return json.loads((CLOUDTRAIL / "panther-cloudtrail-tests.jsonl").read_text().splitlines()[line - 1])


def node_keys(delta):
    return {(n.type, n.key) for n in delta.nodes}


def edge_tuples(delta):
    return {(e.type, e.src, e.dst, e.operation,
             tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in e.props.items())), e.bytes)
            for e in delta.edges}


def test_registry_names_the_parsers():
    """Each kind maps to its loader's parse, wrapped by the shape checks at the edge (loaders.registry)."""
    assert {kind: parse.__wrapped__ for kind, parse in REGISTRY.items()} == {
        "cloudtrail": cloudtrail.parse, "eventbridge": eventbridge.parse,
                              "s3_notification": s3_notification.parse,
                              "bedrock_invocation_log": bedrock_invocation.parse}


def test_cross_account_assume_role_requester_copy():
    delta = cloudtrail.parse(iam_guide_sts_records()[0])
    assert (delta.event_key, delta.action_key, delta.time, delta.rank) == (
        "ct:dEXAMPLE-ac7f-466c-a608-4ac8dEXAMPLE", "ct-shared:bEXAMPLE-efea-4a70-b951-19a88EXAMPLE",
        "2014-07-18T15:07:39Z", 0)
    assert node_keys(delta) == {
        ("AWSUser", JOHN), ("AWSAccount", "777788889999"), ("AWSRole", EC2_DEV), ("AWSAccount", "111122223333"),
        ("AWSRoleSession", EC2_DEV_SESSION),
    }
    assert edge_tuples(delta) == {
        ("RESOURCE", "777788889999", JOHN, None, (), 0),
        ("RESOURCE", "111122223333", EC2_DEV, None, (), 0),
        ("ASSUMED_ROLE", JOHN, EC2_DEV, "AssumeRole", (("cross_account", True),), 0),
        ("SESSION_OF", EC2_DEV_SESSION, EC2_DEV, None, (), 0),
    }
    session = next(n for n in delta.nodes if n.type == "AWSRoleSession")
    assert dict(session.props) == {
        "arn": EC2_DEV_SESSION, "role_arn": EC2_DEV, "session_name": "JohnDoe-EC2-dev", "source_identity": "JohnDoe",
        "account_id": "111122223333",
    }


def test_cross_account_assume_role_owner_copy_names_only_the_account():
    delta = cloudtrail.parse(iam_guide_sts_records()[1])
    assert delta.rank == 1  # the requester's copy, which names the user, is preferred
    assert delta.action_key == "ct-shared:bEXAMPLE-efea-4a70-b951-19a88EXAMPLE"
    caller = next(n for n in delta.nodes if n.key == "arn:aws:iam::777788889999:root")
    assert (caller.type, caller.props["principal_type"], caller.props["account_id"]) == (
        "AWSPrincipal", "AWSAccount", "777788889999")
    assert ("ASSUMED_ROLE", "arn:aws:iam::777788889999:root", EC2_DEV, "AssumeRole",
            (("cross_account", True),), 0) in edge_tuples(delta)


def test_role_chaining_takes_the_role_from_the_session_issuer():
    delta = cloudtrail.parse(iam_guide_sts_records()[2])
    assert ("ASSUMED_ROLE", "arn:aws:iam::111111111111:role/JohnRole1", "arn:aws:iam::111111111111:role/JohnRole2",
            "AssumeRole", (("cross_account", False),), 0) in edge_tuples(delta)
    # The guide's example is inconsistent: the caller's session ARN names role JohnDoe (issuer: JohnRole1)
    # and the new session names test-role (assumed: JohnRole2). A session whose ARN names another role
    # than the one it belongs to is not linked to either.
    assert not [n for n in delta.nodes if n.type == "AWSRoleSession"]
    assert not [e for e in delta.edges if e.type == "SESSION_OF"]


def test_service_assuming_a_role():
    delta = cloudtrail.parse(panther(468))
    assert ("ASSUMED_ROLE", "lambda.amazonaws.com", "arn:aws:iam::123456789123:role/my_role_arn", "AssumeRole",
            (), 0) in edge_tuples(delta)
    assert delta.time == "2024-06-02T20:27:12Z"  # vendor-formatted eventTime tolerated


def test_kms_data_key_with_s3_context_links_key_and_object():
    delta = cloudtrail.parse(kms_guide_record("80721262-21a5-49b9-8b63-28740e7ce9c9"))
    key = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    obj = "arn:aws:s3:::example_bucket/example_object"
    admins = "arn:aws:iam::111122223333:role/Admins"
    assert edge_tuples(delta) == {
        ("RESOURCE", "111122223333", admins, None, (), 0),
        ("SESSION_OF", "arn:aws:sts::111122223333:assumed-role/Admins/example-user", admins, None, (), 0),
        ("RESOURCE", "111122223333", key, None, (), 0),
        ("USED_KEY", admins, key, "GenerateDataKey", (("cross_account", False),), 0),
        ("CONTAINS", "example_bucket", obj, None, (), 0),
        ("ENCRYPTS", key, obj, "GenerateDataKey", (), 0),
    }


def test_kms_with_bucket_key_context_links_the_bucket():
    record = kms_guide_record("80721262-21a5-49b9-8b63-28740e7ce9c9")
    record["requestParameters"]["encryptionContext"] = {"aws:s3:arn": "arn:aws:s3:::example_bucket"}
    delta = cloudtrail.parse(record)
    key = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert ("ENCRYPTS", key, "example_bucket", "GenerateDataKey", (), 0) in edge_tuples(delta)
    assert not any(n.type == "S3Object" for n in delta.nodes)


def test_kms_alias_without_resolved_key_is_skipped_with_reason():
    record = kms_guide_record("80721262-21a5-49b9-8b63-28740e7ce9c9")
    record["resources"] = []
    record["requestParameters"]["keyId"] = "alias/aws/s3"
    with pytest.raises(Skip) as skip:
        cloudtrail.parse(record)
    assert skip.value.reason == "kms_key_unresolved"


def test_copy_reads_source_and_writes_destination():
    delta = cloudtrail.parse(panther(350))
    role = "arn:aws:iam::12948575929274:role/sample-role-keen-cohen"
    dst = "arn:aws:s3:::attacker-exfil-1764604156/customer-database.csv"
    src = "arn:aws:s3:::ransomware-test-victim-1764604156/customer-database.csv"
    edges = edge_tuples(delta)
    # This test record's resources[] name other buckets than its request: no owner is guessed.
    assert ("WROTE", role, dst, "CopyObject", (), 0) in edges
    assert ("READ", role, src, "CopyObject", (), 0) in edges
    assert ("COPIED_FROM", dst, src, "CopyObject", (("tagging_directives", ("COPY",)),), 0) in edges
    assert not [e for e in delta.edges if e.type == "RESOURCE" and e.dst_type == "S3Bucket"]


def test_copy_to_a_bucket_of_another_account_is_cross_account():
    record = panther(350)
    record["resources"] = [
        {"accountId": "111111111111", "arn": "arn:aws:s3:::attacker-exfil-1764604156", "type": "AWS::S3::Bucket"},
        {"arn": "arn:aws:s3:::attacker-exfil-1764604156/customer-database.csv", "type": "AWS::S3::Object"},
        {"accountId": "12948575929274", "arn": "arn:aws:s3:::ransomware-test-victim-1764604156",
         "type": "AWS::S3::Bucket"},
        {"arn": "arn:aws:s3:::ransomware-test-victim-1764604156/customer-database.csv", "type": "AWS::S3::Object"},
    ]
    delta = cloudtrail.parse(record)
    role = "arn:aws:iam::12948575929274:role/sample-role-keen-cohen"
    edges = edge_tuples(delta)
    assert ("WROTE", role, "arn:aws:s3:::attacker-exfil-1764604156/customer-database.csv", "CopyObject",
            (("cross_account", True),), 0) in edges
    assert ("READ", role, "arn:aws:s3:::ransomware-test-victim-1764604156/customer-database.csv", "CopyObject",
            (("cross_account", False),), 0) in edges
    owners = {(e.src, e.dst) for e in delta.edges if e.type == "RESOURCE" and e.dst_type == "S3Bucket"}
    assert owners == {("111111111111", "attacker-exfil-1764604156"),
                      ("12948575929274", "ransomware-test-victim-1764604156")}


def test_delete_objects_goes_to_the_bucket_with_keys_unknown():
    delta = cloudtrail.parse(panther(364))
    alice = "arn:aws:iam::123456789012:user/Alice"
    assert ("DELETED", alice, "example-bucket", "DeleteObjects", (("keys_unknown", True),), 0) in edge_tuples(delta)
    assert not any(n.type == "S3Object" for n in delta.nodes)


def test_get_object_counts_bytes_out_and_keeps_raw_keys():
    record = copy.deepcopy(panther(463))
    record["eventID"] = "6ad1dc2a-0000-4000-8000-000000000463"
    record["requestParameters"]["key"] = "train/my+file%20.csv"  # CloudTrail keys are raw
    record["additionalEventData"] = {"bytesTransferredOut": 2048.0}
    record["userIdentity"]["arn"] = "arn:aws:iam::111111111111:user/reader"
    delta = cloudtrail.parse(record)
    assert ("READ", "arn:aws:iam::111111111111:user/reader", "arn:aws:s3:::example-bucket/train/my+file%20.csv",
            "GetObject", (), 2048) in edge_tuples(delta)


def test_tolerates_what_the_graph_does_not_use():
    record = copy.deepcopy(panther(463))
    record.update({
        "eventID": "6ad1dc2a-0000-4000-8000-000000000464", "eventVersion": "1.0", "awsRegion": "ca-south-3r",
        "sourceIPAddress": "010.000.000.001", "p_log_type": "AWS.CloudTrail", "tlsDetails": {"tlsVersion": "TLSv9"},
    })
    record["userIdentity"]["arn"] = "arn:aws:iam::111111111111:user/reader"
    del record["responseElements"]
    assert cloudtrail.parse(record).event_id == "6ad1dc2a-0000-4000-8000-000000000464"


def test_skips_name_their_reason():
    with pytest.raises(Skip) as skip:
        cloudtrail.parse(panther(453))  # AccessDenied: the read did not happen
    assert skip.value.reason == "failed_call"
    delete_bucket = next(r for r in fixture_json("cloudtrail/iam-user-guide-other.json")
                         if r["eventName"] == "DeleteBucket")  # a management event not modelled yet
    with pytest.raises(Skip) as skip:
        cloudtrail.parse(delete_bucket)
    assert skip.value.reason == "unsupported_event"
    insight = {"eventVersion": "1.07", "eventType": "AwsCloudTrailInsight", "eventCategory": "Insight"}
    with pytest.raises(Skip) as skip:
        cloudtrail.parse(insight)
    assert skip.value.reason == "insight_event"


def test_malformed_records_say_what_is_missing():
    record = copy.deepcopy(iam_guide_sts_records()[0])
    del record["eventID"]
    with pytest.raises(Malformed, match="no eventID"):
        cloudtrail.parse(record)
    record = copy.deepcopy(iam_guide_sts_records()[0])
    del record["userIdentity"]
    with pytest.raises(Malformed, match="no userIdentity"):
        cloudtrail.parse(record)
    record = copy.deepcopy(iam_guide_sts_records()[0])
    record["eventTime"] = "Jul 18, 2014, 4:07:39 PM"
    with pytest.raises(Malformed, match="unreadable timestamp"):
        cloudtrail.parse(record)
    record = copy.deepcopy(iam_guide_sts_records()[0])
    del record["requestParameters"]["roleArn"]
    del record["resources"]
    with pytest.raises(Malformed, match="no role ARN"):
        cloudtrail.parse(record)


@pytest.mark.parametrize(("identity", "expected"), [
    ({"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root",
      "accountId": "111122223333"}, ("arn:aws:iam::111122223333:root", "AWSRootUser", "111122223333")),
    ({"type": "IdentityCenterUser", "accountId": "123456789012",
      "onBehalfOf": {"userId": "544894e8-80c1-707f-60e3-3ba6510dfac1",
                     "identityStoreArn": "arn:aws:identitystore::123456789012:identitystore/d-9067642ac7"},
      "credentialId": "EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"},
     ("arn:aws:identitystore::123456789012:identitystore/d-9067642ac7/user/544894e8-80c1-707f-60e3-3ba6510dfac1",
      "AWSIdentityCenterUser", "123456789012")),
    ({"type": "FederatedUser", "principalId": "111122223333:bob",
      "arn": "arn:aws:sts::111122223333:federated-user/bob", "accountId": "111122223333",
      "sessionContext": {"sessionIssuer": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"}}},
     ("arn:aws:sts::111122223333:federated-user/bob", "AWSFederatedUser", "111122223333")),
    ({"type": "SAMLUser", "principalId": "SAMPLE_NAME_QUALIFIER:SAMPLE_SUBJECT", "userName": "SAMPLE_SUBJECT",
      "identityProvider": "SAMPLE_NAME_QUALIFIER"},
     ("SAMPLE_NAME_QUALIFIER/SAMPLE_SUBJECT", "AWSFederatedIdentity", None)),
    ({"type": "WebIdentityUser", "principalId": "accounts.google.com:app:user", "userName": "user",
      "identityProvider": "arn:aws:iam::123456789012:oidc-provider/accounts.google.com"},
     ("arn:aws:iam::123456789012:oidc-provider/accounts.google.com/user", "AWSFederatedIdentity", None)),
    ({"type": "AWSService", "invokedBy": "sagemaker.amazonaws.com"},
     ("sagemaker.amazonaws.com", "AWSServicePrincipal", None)),
    ({"accountId": "123456789012", "invokedBy": "s3.amazonaws.com"},  # S3 guide: service event, no type
     ("s3.amazonaws.com", "AWSServicePrincipal", None)),
    ({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/AmazonSageMaker-Exec/SageMaker",
      "accountId": "111122223333",
      "sessionContext": {"sessionIssuer": {
          "type": "Role", "arn": "arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-Exec"}}},
     ("arn:aws:iam::111122223333:role/AmazonSageMaker-Exec", "AWSRole", "111122223333")),
])
def test_every_user_identity_type(identity, expected):
    principal = from_user_identity(identity)
    assert (principal.key, principal.node_type, principal.account) == expected


def test_federated_user_links_to_its_issuer():
    principal = from_user_identity({
        "type": "FederatedUser", "arn": "arn:aws:sts::111122223333:federated-user/bob", "accountId": "111122223333",
        "sessionContext": {"sessionIssuer": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"}}})
    assert {(e.type, e.src, e.dst) for e in principal.edges if e.type == "FEDERATED_FROM"} == {
        ("FEDERATED_FROM", "arn:aws:sts::111122223333:federated-user/bob", "arn:aws:iam::111122223333:user/alice")}


def test_role_path_is_kept_as_a_property():
    principal = from_user_identity({
        "type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/AmazonSageMaker-Exec/SageMaker",
        "accountId": "111122223333",
        "sessionContext": {"sessionIssuer": {
            "arn": "arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-Exec"}}})
    role = next(n for n in principal.nodes if n.type == "AWSRole")
    assert role.props["path"] == "/service-role/"


@pytest.mark.parametrize("identity", [
    {"type": "Unknown", "principalId": "x"},
    {"type": "IAMUser", "accountId": "123456789012", "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"},
    {"type": "AWSService"},
])
def test_unattributable_identities_are_skipped(identity):
    with pytest.raises(Skip) as skip:
        from_user_identity(identity)
    assert skip.value.reason == "unattributable_principal"
