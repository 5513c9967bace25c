"""graphgov.access.effective and .conditions: each rule of AWS's evaluation logic on a hand-written case."""

from __future__ import annotations

import pytest

from graphgov.access.conditions import ABSENT, evaluate_block
from graphgov.access.effective import (
    UNKNOWN_RESOURCE_ACCOUNT,
    EffectiveDecision,
    Labeled,
    PolicySet,
    Request,
    decide,
    known_context,
)
from graphgov.access.policy import parse_policy

A, B = "111111111111", "222222222222"
ROLE = f"arn:aws:iam::{A}:role/Trainer"
USER = f"arn:aws:iam::{A}:user/alice"
PARTNER = f"arn:aws:iam::{B}:role/Partner"
OBJECT = "arn:aws:s3:::acme-data/train/f.csv"
KEY = f"arn:aws:kms:eu-west-1:{A}:key/0b1c2d3e-1111-2222-3333-444455556666"
TARGET_ROLE = f"arn:aws:iam::{A}:role/DataAccess"


def doc(label: str, *statements: dict) -> Labeled:
    return Labeled(label, parse_policy({"Version": "2012-10-17", "Statement": list(statements)}))


def allow(action: str = "s3:GetObject", resource: str = "*", sid: str | None = None, **extra) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    return {"Sid": sid, **statement} if sid else statement


def deny(action: str = "s3:GetObject", resource: str = "*", sid: str | None = None, **extra) -> dict:
    statement = {"Effect": "Deny", "Action": action, "Resource": resource, **extra}
    return {"Sid": sid, **statement} if sid else statement


READ = doc(f"{ROLE}#inline:Read", allow(sid="Read"))
NOTHING = doc(f"{ROLE}#inline:Other", allow("ec2:*"))


def s3(principal: str = ROLE, owner: str | None = A, **request) -> Request:
    return Request(principal, "s3:GetObject", OBJECT, owner, **request)


def bucket(*statements: dict) -> Labeled:
    return doc("bucket-policy:acme-data", *statements)


def test_same_account_identity_policy_alone_allows():
    assert decide(s3(), PolicySet(identity=(READ,), resource_kind="s3")) == EffectiveDecision(
        "allow", (f"{ROLE}#inline:Read#Read",), ())


def test_explicit_deny_anywhere_wins():
    policies = PolicySet(identity=(READ,), resource=(bucket(deny(Principal="*", sid="NoOne")),), resource_kind="s3")
    assert decide(s3(), policies) == EffectiveDecision("deny", (), (), ("bucket-policy:acme-data#NoOne",))
    # statements without a Sid are referenced by their position
    policies = PolicySet(identity=(doc("id", allow(), deny("s3:Get*")),), resource_kind="s3")
    assert decide(s3(), policies).denied_by == ("id#1",)


def test_same_account_resource_policy_alone_allows_a_principal_it_names():
    grant = bucket(allow(Principal={"AWS": ROLE}, sid="Trainer"))
    assert decide(s3(), PolicySet(identity=(NOTHING,), resource=(grant,), resource_kind="s3")) == EffectiveDecision(
        "allow", ("bucket-policy:acme-data#Trainer",), ())


def test_a_grant_to_the_own_account_needs_the_identity_side():
    grant = bucket(allow(Principal={"AWS": f"arn:aws:iam::{A}:root"}, sid="Account"))
    assert decide(s3(), PolicySet(identity=(NOTHING,), resource=(grant,), resource_kind="s3")).outcome == (
        "implicit-deny")
    assert decide(s3(), PolicySet(identity=(READ,), resource=(grant,), resource_kind="s3")).via == (
        f"{ROLE}#inline:Read#Read",)


def test_cross_account_needs_both_sides():
    identity = doc(f"{PARTNER}#inline:Read", allow(sid="Read"))
    grant = bucket(allow(Principal={"AWS": B}, sid="Partner"))
    request = s3(PARTNER)
    assert decide(request, PolicySet(identity=(identity,), resource_kind="s3")).outcome == "implicit-deny"
    assert decide(request, PolicySet(identity=(), resource=(grant,), resource_kind="s3")).outcome == "implicit-deny"
    assert decide(request, PolicySet(identity=(identity,), resource=(grant,), resource_kind="s3")) == (
        EffectiveDecision("allow", (f"{PARTNER}#inline:Read#Read", "bucket-policy:acme-data#Partner"), ()))


def test_scp_levels_each_must_allow_and_their_denies_win():
    full = doc("scp:FullAWSAccess", allow("*"))
    s3_only = doc("scp:S3Only", allow("s3:*"))
    no_get = doc("scp:NoGet", deny(sid="NoGet"))
    assert decide(s3(), PolicySet(identity=(READ,), scp_levels=((full,), (s3_only,)))).outcome == "allow"
    assert decide(s3(), PolicySet(identity=(READ,), scp_levels=((full,), (doc("scp:Kms", allow("kms:*")),)))
                  ).outcome == "implicit-deny"
    assert decide(s3(), PolicySet(identity=(READ,), scp_levels=((full, no_get),))) == EffectiveDecision(
        "deny", (), (), ("scp:NoGet#NoGet",))


def test_scps_do_not_bind_service_principals_but_rcps_do():
    grant = bucket(allow(Principal={"Service": "sagemaker.amazonaws.com"}))
    policies = PolicySet(resource=(grant,), resource_kind="s3", scp_levels=((doc("scp:Kms", allow("kms:*")),),))
    assert decide(s3("sagemaker.amazonaws.com"), policies).outcome == "allow"
    rcp = doc("rcp:NoS3", deny("s3:*", Principal="*", sid="NoS3"))
    policies = PolicySet(resource=(grant,), resource_kind="s3", rcp_levels=((rcp,),))
    assert decide(s3("sagemaker.amazonaws.com"), policies).denied_by == ("rcp:NoS3#NoS3",)


def test_rcps_only_deny():
    """RCPFullAWSAccess is attached at every level and cannot be detached: an RCP level never lacks an allow."""
    guard = doc("rcp:OrgOnly", deny("s3:*", Principal="*", Condition={
        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-aaaa1111"},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}))
    policies = PolicySet(identity=(READ,), resource_kind="s3", rcp_levels=((guard,),))
    assert decide(s3(principal_org_id="o-aaaa1111"), policies).outcome == "allow"
    assert decide(s3(principal_org_id="o-bbbb2222"), policies).outcome == "deny"
    assert decide(s3(), policies).outcome == "conditional"  # the org is not known


@pytest.mark.parametrize(("principal", "boundary", "expected"), [
    (USER, None, "allow"),
    (USER, (), "allow"),  # a grant naming the user is not limited by the user's boundary
    (ROLE, None, "allow"),
    (ROLE, (), "implicit-deny"),  # a grant naming the role ARN is: the caller is the role's session
])
def test_boundary_and_resource_policy_grants(principal, boundary, expected):
    grant = bucket(allow(Principal={"AWS": principal}))
    policies = PolicySet(identity=(), boundary=boundary, resource=(grant,), resource_kind="s3")
    assert decide(s3(principal), policies).outcome == expected


def test_boundary_limits_the_identity_side():
    boundary = doc(f"{ROLE}#boundary:Limit", allow("s3:List*"))
    assert decide(s3(), PolicySet(identity=(READ,), boundary=(boundary,))).outcome == "implicit-deny"
    anyone = bucket(allow(Principal="*"))  # reaches the role's session directly: not limited
    assert decide(s3(), PolicySet(identity=(), boundary=(boundary,), resource=(anyone,), resource_kind="s3")
                  ).outcome == "allow"
    # IAM User Guide: a Deny with NotPrincipal always denies a principal that has a boundary
    not_me = bucket(deny(NotPrincipal={"AWS": ROLE}, sid="OthersOut"))
    assert decide(s3(), PolicySet(identity=(READ,), resource=(not_me,), resource_kind="s3")).outcome == "allow"
    assert decide(s3(), PolicySet(identity=(READ,), boundary=(doc("b", allow("s3:*")),), resource=(not_me,),
                                  resource_kind="s3")).outcome == "deny"


def kms(principal: str = ROLE) -> Request:
    return Request(principal, "kms:Decrypt", KEY, A)


DELEGATE = doc(f"key-policy:{KEY}", allow("kms:*", sid="Enable IAM User Permissions",
                                           Principal={"AWS": f"arn:aws:iam::{A}:root"}))
DECRYPT = doc(f"{ROLE}#inline:Decrypt", allow("kms:Decrypt", sid="Decrypt"))


def test_kms_key_policy_naming_the_principal_needs_no_identity_policy():
    direct = doc(f"key-policy:{KEY}", allow("kms:Decrypt", Principal={"AWS": ROLE}, sid="KeyUser"))
    assert decide(kms(), PolicySet(identity=(), resource=(direct,), resource_kind="kms")) == EffectiveDecision(
        "allow", (f"key-policy:{KEY}#KeyUser",), ())
    grant = doc(f"grant:g-1:{KEY}", allow(["kms:Decrypt"], Principal={"AWS": ROLE}, sid="grant:g-1"))
    assert decide(kms(), PolicySet(identity=(), resource=(DELEGATE, grant), resource_kind="kms")).via == (
        f"grant:g-1:{KEY}#grant:g-1",)


def test_kms_delegation_to_the_account_needs_the_identity_policy():
    assert decide(kms(), PolicySet(identity=(), resource=(DELEGATE,), resource_kind="kms")).outcome == "implicit-deny"
    assert decide(kms(), PolicySet(identity=(DECRYPT,), resource=(DELEGATE,), resource_kind="kms")) == (
        EffectiveDecision("allow", (f"{ROLE}#inline:Decrypt#Decrypt",
                                    f"key-policy:{KEY}#Enable IAM User Permissions"), ()))


def test_kms_without_key_policy_allows_nothing():
    assert decide(kms(), PolicySet(identity=(DECRYPT,), resource_kind="kms")).outcome == "implicit-deny"


def trust(principal: str, action: str = "sts:AssumeRole") -> Request:
    return Request(principal, action, TARGET_ROLE, A)


def trust_policy(principal: object, action: str = "sts:AssumeRole", **extra) -> Labeled:
    return doc(f"trust:{TARGET_ROLE}", {"Effect": "Allow", "Principal": principal, "Action": action, **extra})


ASSUME = doc(f"{ROLE}#inline:Assume", allow("sts:AssumeRole"))


def test_trust_policy_naming_the_role_directly_or_delegating_to_the_account():
    direct = trust_policy({"AWS": ROLE})
    assert decide(trust(ROLE), PolicySet(identity=(), resource=(direct,), resource_kind="trust")).outcome == "allow"
    delegate = trust_policy({"AWS": f"arn:aws:iam::{A}:root"})
    assert decide(trust(ROLE), PolicySet(identity=(), resource=(delegate,), resource_kind="trust")).outcome == (
        "implicit-deny")
    assert decide(trust(ROLE), PolicySet(identity=(ASSUME,), resource=(delegate,), resource_kind="trust")
                  ).outcome == "allow"
    assert decide(trust(ROLE), PolicySet(identity=(ASSUME,), resource_kind="trust")).outcome == "implicit-deny"


def test_trust_across_accounts_services_and_identity_providers():
    partner = doc(f"{PARTNER}#inline:Assume", allow("sts:AssumeRole"))
    trusted = trust_policy({"AWS": f"arn:aws:iam::{B}:root"})
    assert decide(trust(PARTNER), PolicySet(identity=(partner,), resource=(trusted,), resource_kind="trust")
                  ).outcome == "allow"
    assert decide(trust(PARTNER), PolicySet(identity=(), resource=(trust_policy({"AWS": PARTNER}),),
                                            resource_kind="trust")).outcome == "implicit-deny"
    service = trust_policy({"Service": "sagemaker.amazonaws.com"})
    assert decide(trust("sagemaker.amazonaws.com"), PolicySet(resource=(service,), resource_kind="trust")
                  ).outcome == "allow"
    okta = f"arn:aws:iam::{A}:saml-provider/Okta"
    saml = trust_policy({"Federated": okta}, "sts:AssumeRoleWithSAML",
                        Condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})
    decision = decide(trust(okta, "sts:AssumeRoleWithSAML"), PolicySet(resource=(saml,), resource_kind="trust"))
    assert (decision.outcome, decision.conditions) == (
        "conditional", ('{"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}',))
    settled = trust(okta, "sts:AssumeRoleWithSAML")
    settled = Request(settled.principal, settled.action, settled.resource, A,
                      context={"saml:aud": "https://signin.aws.amazon.com/saml"})
    assert decide(settled, PolicySet(resource=(saml,), resource_kind="trust")).outcome == "allow"


def test_account_root_stands_for_any_principal_of_that_account():
    root = f"arn:aws:iam::{B}:root"
    to_account = bucket(allow(Principal={"AWS": B}, sid="PartnerAccount"))
    to_one_role = bucket(allow(Principal={"AWS": PARTNER}))
    assert decide(s3(root), PolicySet(resource=(to_account,), resource_kind="s3")) == EffectiveDecision(
        "allow", ("bucket-policy:acme-data#PartnerAccount",), ())
    assert decide(s3(root), PolicySet(resource=(to_one_role,), resource_kind="s3")).outcome == "implicit-deny"
    scp = doc("scp:NoS3", deny("s3:*"))
    assert decide(s3(root), PolicySet(resource=(to_account,), resource_kind="s3", scp_levels=((scp,),))
                  ).outcome == "deny"
    # the owner account's own root: its administrators can grant themselves access
    assert decide(s3(f"arn:aws:iam::{A}:root"), PolicySet(resource_kind="s3")).outcome == "allow"


def test_unknown_identity_policies():
    grant_partner = bucket(allow(Principal={"AWS": PARTNER}, sid="Partner"))
    assert decide(s3(PARTNER), PolicySet(identity=None, resource=(grant_partner,), resource_kind="s3")) == (
        EffectiveDecision("unknown", ("bucket-policy:acme-data#Partner",), ()))
    assert decide(s3(PARTNER), PolicySet(identity=None, resource_kind="s3")).outcome == "implicit-deny"
    grant_role = bucket(allow(Principal={"AWS": ROLE}))
    assert decide(s3(), PolicySet(identity=None, resource=(grant_role,), resource_kind="s3")).outcome == "allow"
    assert decide(s3(), PolicySet(identity=None, resource_kind="s3")).outcome == "unknown"
    no_one = bucket(deny(Principal="*"))
    assert decide(s3(), PolicySet(identity=None, resource=(no_one,), resource_kind="s3")).outcome == "deny"


def test_unknown_resource_owner_is_tried_both_ways():
    grant_account = bucket(allow(Principal={"AWS": B}, sid="B"))
    # B's principal with an identity allow: allowed whether the bucket is B's or another account's
    identity = doc("id", allow())
    assert decide(s3(PARTNER, owner=None), PolicySet(identity=(identity,), resource=(grant_account,),
                                                     resource_kind="s3")).outcome == "allow"
    # no bucket policy: allowed only if the bucket is B's own
    assert decide(s3(PARTNER, owner=None), PolicySet(identity=(identity,), resource_kind="s3")) == (
        EffectiveDecision("conditional", ("id#0",), (UNKNOWN_RESOURCE_ACCOUNT,)))
    # an ARN that names its account settles the owner
    assert decide(Request(PARTNER, "kms:Decrypt", KEY, None), PolicySet(
        identity=(doc("id", allow("kms:*")),), resource=(DELEGATE,), resource_kind="kms")).outcome == "implicit-deny"


def test_anonymous_callers_only_get_grants_to_everyone():
    public = bucket(allow(Principal={"AWS": "*"}, sid="Public"))
    account = bucket(allow(Principal={"AWS": A}))
    assert decide(s3("*"), PolicySet(resource=(public,), resource_kind="s3")).via == (
        "bucket-policy:acme-data#Public",)
    assert decide(s3("*"), PolicySet(resource=(account,), resource_kind="s3")).outcome == "implicit-deny"
    assert decide(s3("*"), PolicySet(resource_kind="s3")).outcome == "implicit-deny"


def test_unsettled_conditions_make_the_answer_conditional():
    vpc_only = doc("id", allow(sid="VpcOnly", Condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}))
    decision = decide(s3(), PolicySet(identity=(vpc_only,), resource_kind="s3"))
    assert decision == EffectiveDecision("conditional", ("id#VpcOnly",),
                                         ('{"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}',))
    assert decide(s3(context={"aws:SourceVpce": "vpce-1a2b3c4d"}),
                  PolicySet(identity=(vpc_only,), resource_kind="s3")).outcome == "allow"
    assert decide(s3(context={"aws:SourceVpce": None}),  # known to be absent
                  PolicySet(identity=(vpc_only,), resource_kind="s3")).outcome == "implicit-deny"
    # an unconditional allow beside it settles the answer
    assert decide(s3(), PolicySet(identity=(vpc_only, READ), resource_kind="s3")).outcome == "allow"
    # a Deny that may apply turns an allow into conditional, and is reported
    after = {"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}
    maybe_out = doc("id2", deny(sid="OffHours", Condition=after))
    decision = decide(s3(), PolicySet(identity=(READ, maybe_out), resource_kind="s3"))
    assert (decision.outcome, decision.denied_by) == ("conditional", ("id2#OffHours",))
    assert decide(s3(context={"aws:CurrentTime": "2023-06-01T12:00:00Z"}),
                  PolicySet(identity=(READ, maybe_out), resource_kind="s3")).outcome == "allow"


def test_known_keys_settle_conditions():
    org_only = bucket(allow(Principal="*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-aaaa1111"}}))
    identity = doc("id", allow())
    policies = PolicySet(identity=(identity,), resource=(org_only,), resource_kind="s3")
    assert decide(s3(PARTNER), policies).outcome == "conditional"
    assert decide(s3(PARTNER, principal_org_id="o-aaaa1111"), policies).outcome == "allow"
    assert decide(s3(PARTNER, principal_org_id="o-bbbb2222"), policies).outcome == "implicit-deny"
    tls_only = bucket(deny(Principal="*", Condition={"Bool": {"aws:SecureTransport": "false"}}))
    assert decide(s3(), PolicySet(identity=(READ,), resource=(tls_only,), resource_kind="s3")).outcome == "allow"
    mine = bucket(allow(Principal="*", Condition={"StringEquals": {"aws:PrincipalAccount": A},
                                                  "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/Train*"}}))
    assert decide(s3(), PolicySet(identity=(), resource=(mine,), resource_kind="s3")).outcome == "allow"
    assert decide(s3(USER), PolicySet(identity=(), resource=(mine,), resource_kind="s3")).outcome == "implicit-deny"


def test_known_context():
    assert known_context(Request(ROLE, "s3:GetObject", OBJECT, A, principal_org_id="o-aaaa1111",
                                 context={"aws:SourceAccount": B})) == {
        "aws:securetransport": "true", "aws:principalisawsservice": "false", "aws:principalaccount": A,
        "aws:principalarn": ROLE, "aws:principaltype": "AssumedRole", "aws:principalorgid": "o-aaaa1111",
        "aws:resourceaccount": A, "aws:sourceaccount": B}
    assert known_context(Request(f"arn:aws:iam::{B}:root", "kms:Decrypt", KEY, None)) == {
        "aws:securetransport": "true", "aws:principalisawsservice": "false", "aws:principalaccount": B,
        "aws:resourceaccount": A}
    assert known_context(Request("sagemaker.amazonaws.com", "s3:GetObject", OBJECT, None)) == {
        "aws:securetransport": "true", "aws:principalisawsservice": "true",
        "aws:principalservicename": "sagemaker.amazonaws.com"}


@pytest.mark.parametrize(("block", "context", "expected"), [
    ({"StringEquals": {"aws:PrincipalOrgID": ["o-1", "o-2"]}}, {"aws:principalorgid": "o-2"}, True),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, {"AWS:PrincipalOrgId": "o-1"}, True),  # keys: any case
    ({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, {"aws:PrincipalOrgID": "O-1"}, False),  # values: exact
    ({"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": "o-1"}}, {"aws:PrincipalOrgID": "O-1"}, True),
    ({"StringNotEquals": {"aws:PrincipalOrgID": ["o-1", "o-2"]}}, {"aws:PrincipalOrgID": "o-2"}, False),
    ({"StringNotEquals": {"aws:PrincipalOrgID": ["o-1", "o-2"]}}, {"aws:PrincipalOrgID": "o-3"}, True),
    ({"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}}, {"aws:PrincipalOrgID": None}, True),  # missing key
    ({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, {"aws:PrincipalOrgID": None}, False),
    ({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-1"}}, {"aws:PrincipalOrgID": None}, True),
    ({"StringLike": {"sts:ExternalId": "ext-?2*"}}, {"sts:ExternalId": "ext-123"}, True),
    ({"StringNotLike": {"sts:ExternalId": "ext-*"}}, {"sts:ExternalId": "ext-123"}, False),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Train*"}}, {"aws:PrincipalArn": ROLE}, True),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*"}}, {"aws:PrincipalArn": ROLE}, False),  # part by part
    ({"ArnNotEquals": {"aws:PrincipalArn": ROLE}}, {"aws:PrincipalArn": USER}, True),
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": True}, False),
    ({"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}, {"aws:PrincipalIsAWSService": None}, True),
    ({"Null": {"aws:SourceAccount": "true"}}, {"aws:SourceAccount": None}, True),
    ({"Null": {"aws:SourceAccount": "false"}}, {"aws:SourceAccount": A}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "cost"]}}, {"aws:TagKeys": ["x", "cost"]}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost"]}}, {"aws:TagKeys": ["x", "cost"]}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, {"aws:TagKeys": None}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, {"aws:TagKeys": None}, False),
    ({"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["team", "cost"]}, None),  # undocumented: unsettled
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": 5}, True),
    ({"NumericNotEquals": {"s3:max-keys": ["10", "20"]}}, {"s3:max-keys": "20"}, False),
    ({"DateLessThan": {"aws:CurrentTime": "2024-06-01T00:00:00Z"}}, {"aws:CurrentTime": "2024-05-31T23:59:59Z"},
     True),
    ({"DateGreaterThan": {"aws:EpochTime": "1700000000"}}, {"aws:EpochTime": "1600000000"}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"}, True),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
    ({"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}},
     {"aws:SourceAccount": A, "aws:PrincipalAccount": A}, True),
    ({"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}, {"aws:SourceAccount": A}, None),
    ({"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
     {"s3:prefix": "home/alice/x", "aws:username": "alice"}, True),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-1", "aws:SourceVpce": "vpce-1"}}, {"aws:PrincipalOrgID": "o-2"},
     False),  # one known false entry settles the block
    ({"StringEquals": {"aws:PrincipalOrgID": "o-1", "aws:SourceVpce": "vpce-1"}}, {"aws:PrincipalOrgID": "o-1"},
     None),
    ({"SomeFutureOperator": {"aws:PrincipalOrgID": "o-1"}}, {"aws:PrincipalOrgID": "o-1"}, None),
])
def test_condition_operators(block, context, expected):
    assert evaluate_block(block, context) is expected


def test_absent_is_distinct_from_unknown():
    assert evaluate_block({"Null": {"aws:SourceVpce": "true"}}, {}) is None
    assert evaluate_block({"Null": {"aws:SourceVpce": "true"}}, {"aws:SourceVpce": ABSENT}) is True
