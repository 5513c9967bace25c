"""IAM policy documents: parsing every delivered form, and IAM's matching and decision logic."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from graphgov.access.policy import (
    PolicyError,
    action_matches,
    evaluate,
    parse_policy,
    principal_matches,
    resource_matches,
)

READ_TRAINING = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"],
         "Resource": ["arn:aws:s3:::acme-data-a/fraud/*", "arn:aws:s3:::acme-data-a"]},
        {"Sid": "NoRaw", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::acme-data-a/fraud/raw/*"},
        {"Sid": "VpcOnly", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}},
    ],
}


def test_every_delivered_form_parses_to_the_same_document():
    as_object = parse_policy(READ_TRAINING)
    as_string = parse_policy(json.dumps(READ_TRAINING))
    url_encoded = parse_policy(quote(json.dumps(READ_TRAINING)))  # IAM responses URL-encode documents
    assert as_object == as_string == url_encoded
    assert [s.sid for s in as_object.statements] == ["Read", "NoRaw", "VpcOnly"]
    single = parse_policy({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*"}})
    assert single.statements[0].principals == {"AWS": ("*",)}


@pytest.mark.parametrize(("raw", "message"), [
    ("{not json", "policy document is not JSON"),
    ([], "policy document is not a JSON object"),
    ({"Version": "2012-10-17"}, "policy document has no Statement"),
    ({"Statement": [{"Effect": "Maybe", "Action": "*"}]}, "Effect must be Allow or Deny"),
    ({"Statement": [{"Effect": "Allow", "Action": 3}]}, "Action must be a string or a list of strings, got 3"),
])
def test_bad_documents_say_what_is_wrong(raw, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(raw)


def test_wildcards_and_case():
    assert action_matches(["s3:Get*"], "s3:GetObject")
    assert action_matches(["S3:getobject"], "s3:GetObject")  # actions are case-insensitive
    assert action_matches(["sagemaker:Create?rainingJob"], "sagemaker:CreateTrainingJob")
    assert not action_matches(["s3:Get*"], "s3:PutObject")
    assert resource_matches(["arn:aws:s3:::b/train*"], "arn:aws:s3:::b/train-old/x.csv")
    assert not resource_matches(["arn:aws:s3:::b/Train/*"], "arn:aws:s3:::b/train/x.csv")  # ARNs are not
    assert not resource_matches(["arn:aws:s3:::b/train/*"], "arn:aws:s3:::b/train")


def test_explicit_deny_wins_then_allow_then_implicit_deny():
    doc = parse_policy(READ_TRAINING)
    assert evaluate([doc], "s3:GetObject", "arn:aws:s3:::acme-data-a/fraud/train/a.csv").outcome == "allow"
    denied = evaluate([doc], "s3:GetObject", "arn:aws:s3:::acme-data-a/fraud/raw/a.csv")
    assert (denied.outcome, [s.sid for s in denied.denying], [s.sid for s in denied.allowing]) == (
        "deny", ["NoRaw"], ["Read"])
    assert evaluate([doc], "s3:PutObject", "arn:aws:s3:::acme-data-a/fraud/train/a.csv").outcome == "implicit-deny"
    assert evaluate([doc], "s3:ListBucket", "arn:aws:s3:::acme-data-a").outcome == "allow"


def test_conditions_are_reported_never_guessed():
    doc = parse_policy(READ_TRAINING)
    key = "arn:aws:kms:eu-west-1:111111111111:key/0b1c2d3e-1111-2222-3333-444455556666"
    open_question = evaluate([doc], "kms:Decrypt", key)
    assert (open_question.outcome, [s.sid for s in open_question.conditional]) == ("conditional", ["VpcOnly"])
    condition = json.dumps(READ_TRAINING["Statement"][2]["Condition"], sort_keys=True)
    assert evaluate([doc], "kms:Decrypt", key, settled_conditions={condition: True}).outcome == "allow"
    assert evaluate([doc], "kms:Decrypt", key, settled_conditions={condition: False}).outcome == "implicit-deny"
    guarded = parse_policy({"Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]})
    assert evaluate([guarded], "s3:GetObject", "arn:aws:s3:::b/k").outcome == "conditional"  # a deny may apply


def test_not_action_and_not_resource():
    doc = parse_policy({"Statement": [
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::acme-data-a", "arn:aws:s3:::acme-data-a/*"]},
    ]})
    assert evaluate([doc], "s3:GetObject", "arn:aws:s3:::acme-data-a/x").outcome == "allow"
    assert evaluate([doc], "s3:GetObject", "arn:aws:s3:::elsewhere/x").outcome == "deny"
    assert evaluate([doc], "iam:CreateUser", "*").outcome == "implicit-deny"


@pytest.mark.parametrize(("block", "principal", "expected"), [
    ({"AWS": "arn:aws:iam::111122223333:root"}, "arn:aws:iam::111122223333:role/EC2-dev", True),
    ({"AWS": "111122223333"}, "arn:aws:iam::111122223333:user/JaneDoe", True),
    ({"AWS": "111122223333"}, "arn:aws:iam::777788889999:user/JohnDoe", False),
    ({"AWS": "arn:aws:iam::111122223333:role/service-role/Exec"}, "arn:aws:iam::111122223333:role/Exec", True),
    ({"AWS": "*"}, "arn:aws:iam::999999999999:user/anyone", True),
    ({"Service": "sagemaker.amazonaws.com"}, "sagemaker.amazonaws.com", True),
    ({"Service": ["bedrock.amazonaws.com"]}, "sagemaker.amazonaws.com", False),
    ({"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
     "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com", True),
])
def test_principal_blocks(block, principal, expected):
    statement = parse_policy({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                             "Principal": block}]}).statements[0]
    assert principal_matches(statement.principals, principal) is expected


def test_trust_policy_decides_who_may_assume():
    trust = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::777788889999:root"}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::777788889999:user/intern"}, "Action": "sts:AssumeRole"},
    ]})
    role = "arn:aws:iam::111122223333:role/EC2-dev"
    assert evaluate([trust], "sts:AssumeRole", role, "arn:aws:iam::777788889999:user/JohnDoe").outcome == "allow"
    assert evaluate([trust], "sts:AssumeRole", role, "arn:aws:iam::777788889999:user/intern").outcome == "deny"
    assert evaluate([trust], "sts:AssumeRole", role, "arn:aws:iam::123456789012:user/x").outcome == "implicit-deny"
