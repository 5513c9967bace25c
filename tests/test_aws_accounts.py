"""Reaching the accounts of an organisation: the caller's own, one role, or a named role in each member."""

from __future__ import annotations

import boto3
import pytest

from graphgov.aws.session import PullError, account_sessions, aws_session

pytest_plugins = ("moto_server",)
REGION = "us-east-1"


@pytest.fixture
def organisation(moto: str) -> list[str]:
    """An organisation with two member accounts besides the management account (moto's default 123456789012)."""
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    members = []
    for name in ("data", "training"):
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        members.append(status["AccountId"])
    return members


def _caller(session: boto3.Session) -> str:
    return session.client("sts", region_name=REGION).get_caller_identity()["Arn"]


def test_without_a_role_the_caller_account_is_read(organisation):
    (account, session), = list(account_sessions(aws_session(region=REGION)))
    assert account == "123456789012" and session.region_name == REGION


def test_a_named_role_is_assumed_in_every_member_account(organisation, aws_calls):
    found = list(account_sessions(aws_session(region=REGION), assume_role_name="OrganizationAccountAccessRole",
                                  external_id="ext-1"))
    expected = sorted(["123456789012", *organisation])
    assert sorted(account for account, _ in found) == expected
    assert sorted(_caller(session) for _, session in found) == [
        f"arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/graphgov-pull" for account in expected]
    assert {("organizations", "ListAccounts"), ("sts", "AssumeRole")} <= aws_calls


def test_listed_accounts_and_a_single_role(organisation):
    chosen = organisation[:1]
    found = list(account_sessions(aws_session(region=REGION), assume_role_name="Audit", accounts=tuple(chosen)))
    assert [account for account, _ in found] == chosen
    role = f"arn:aws:iam::{organisation[1]}:role/Reader"
    (account, session), = list(account_sessions(aws_session(region=REGION), role_arn=role))
    assert (account, _caller(session)) == (organisation[1],
                                           f"arn:aws:sts::{organisation[1]}:assumed-role/Reader/graphgov-pull")


def test_no_organisation_is_a_one_line_error(moto):
    with pytest.raises(PullError, match="^no accounts to read: "):  # moto lists none; AWS refuses the call
        list(account_sessions(aws_session(region=REGION), assume_role_name="OrganizationAccountAccessRole"))


def test_pull_iam_over_the_organisation(organisation, tmp_path):
    import json

    from click.testing import CliRunner

    from graphgov.cli.app import main

    boto3.client("iam", region_name=REGION).create_role(RoleName="ManagementOnly", AssumeRolePolicyDocument=json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                        "Action": "sts:AssumeRole"}]}))
    result = CliRunner().invoke(main, ["pull", "iam", "--assume-role-name", "OrganizationAccountAccessRole",
                                       "--store", str(tmp_path / "g.json.gz"), "--quarantine",
                                       str(tmp_path / "q.jsonl"), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    # three accounts read: the management account's own role and each member's access role; the AWS
    # managed policies moto loads in every account are read and skipped as unused; the organisation read
    # once, as the caller: its own membership, its root, three accounts and the two FullAWSAccess policies
    # (how many AWS managed policies moto ships depends on its version: counted from the server, as
    # tests/test_pull_iam.py does, so the test pins graphgov's behaviour and not moto's data)
    managed = 3 * sum(len(page["Policies"]) for page in boto3.client("iam", region_name=REGION)
                      .get_paginator("list_policies").paginate(Scope="AWS"))
    assert managed > 3000
    assert summary["objects"] == {"account": 3, "policy": managed, "role": 3, "org-unit": 1, "org-account": 3,
                                  "org-policy": 2, "org-membership": 1}
    assert (summary["records"], summary["loaded"], summary["skipped"], summary["quarantined"]) == (
        managed + 13, 13, {"aws_managed_policy_unused": managed}, 0)
    assert summary["access"]["edges"] == {"CAN_ASSUME": 3}
    from graphgov.stores.embedded import EmbeddedStore

    roles = sorted(key for key, attrs in EmbeddedStore(tmp_path / "g.json.gz").scan_nodes("AWSPrincipal")
                   if "AWSRole" in attrs["labels"])
    assert roles == sorted(["arn:aws:iam::123456789012:role/ManagementOnly"] + [
        f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole" for account in organisation])
