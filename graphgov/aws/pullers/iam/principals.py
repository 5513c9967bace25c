"""IAM principals and managed policies as `pull iam` deltas: users (with their access keys), groups, roles,
and the managed policies (every version, the default one), from GetAccountAuthorizationDetails."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphgov.aws.pullers.iam.subject import PullContext, Subject, account_rows
from graphgov.core import ids
from graphgov.core.delta import GraphDelta
from graphgov.core.policy_facts import group_row, policy_row
from loaders.identity import principal_node, role_rows, with_principal_id


def _identity_states(subject: Subject, inline: Iterable[Mapping[str, Any]],
                     attached: Iterable[Mapping[str, Any]], boundary: Mapping[str, Any] | None) -> None:
    for policy in inline:
        subject.state(f"inline:{policy['PolicyName']}", "identity", document=policy.get("PolicyDocument"))
    for policy in attached:
        subject.state(f"attached:{policy['PolicyArn']}", "attachment", target=policy["PolicyArn"])
    if boundary and boundary.get("PermissionsBoundaryArn"):
        subject.state("boundary", "boundary", target=boundary["PermissionsBoundaryArn"])


def user_delta(detail: Mapping[str, Any], ctx: PullContext,
               access_keys: Iterable[Mapping[str, Any]] = ()) -> GraphDelta:
    """A GetAccountAuthorizationDetails UserDetail (and the user's ListAccessKeys entries)."""
    key, path = ids.canonical_iam_arn(detail["Arn"])
    nodes = principal_node("AWSUser", key, ctx.account, name=detail["UserName"], principal_type="IAMUser",
                           path=path or detail.get("Path"), partition=ctx.partition,
                           principal_id=detail.get("UserId"))
    acct_nodes, acct_edges = account_rows(ctx.account, "AWSUser", key)
    subject = Subject(ctx, "AWSUser", key, (*nodes, *acct_nodes), acct_edges)
    subject.state("lifecycle", "lifecycle")
    _identity_states(subject, detail.get("UserPolicyList") or (), detail.get("AttachedManagedPolicies") or (),
                     detail.get("PermissionsBoundary"))
    for group in detail.get("GroupList") or ():
        group_arn = ids.iam_arn(ctx.partition, ctx.account, "group", group)
        subject.state(f"group:{group_arn}", "membership", target=group_arn)
    for access_key in access_keys:
        subject.state(f"access-key:{access_key['AccessKeyId']}", "credential",
                      document={"AccessKeyId": access_key["AccessKeyId"], "Status": access_key.get("Status")})
    return subject.delta()


def group_delta(detail: Mapping[str, Any], ctx: PullContext) -> GraphDelta:
    """A GroupDetail; the group's key is its path-less ARN, as users' memberships name it."""
    key = ids.iam_arn(ctx.partition, ctx.account, "group", detail["GroupName"])
    acct_nodes, acct_edges = account_rows(ctx.account, "AWSGroup", key)
    subject = Subject(ctx, "AWSGroup", key, (group_row(key, ctx.account, detail["GroupName"], detail.get("Path")),
                                              *acct_nodes), acct_edges)
    subject.state("lifecycle", "lifecycle")
    _identity_states(subject, detail.get("GroupPolicyList") or (), detail.get("AttachedManagedPolicies") or (), None)
    return subject.delta()


def role_delta(detail: Mapping[str, Any], ctx: PullContext) -> GraphDelta:
    """A RoleDetail: trust policy, inline and attached policies, boundary."""
    role = with_principal_id(role_rows(detail["Arn"], ctx.account), detail.get("RoleId"))
    subject = Subject(ctx, "AWSRole", role.key, role.nodes, role.edges)
    subject.state("lifecycle", "lifecycle")
    subject.state("trust", "trust", document=detail.get("AssumeRolePolicyDocument"))
    _identity_states(subject, detail.get("RolePolicyList") or (), detail.get("AttachedManagedPolicies") or (),
                     detail.get("PermissionsBoundary"))
    return subject.delta()


def is_aws_managed(policy_arn: str) -> bool:
    return ids.parse_arn(policy_arn).account == "aws"


def policy_delta(detail: Mapping[str, Any], ctx: PullContext) -> GraphDelta:
    """A ManagedPolicyDetail: every version's document, and the default version (document and id)."""
    arn = detail["Arn"]
    aws_managed = is_aws_managed(arn)
    owner = None if aws_managed else ctx.account  # AWS managed policies belong to no account
    node = policy_row(arn, "aws-managed" if aws_managed else "managed", arn=arn, name=detail.get("PolicyName"),
                      account=owner)
    acct_nodes, acct_edges = account_rows(owner, "AWSPolicy", arn)
    subject = Subject(ctx, "AWSPolicy", arn, (node, *acct_nodes), acct_edges)
    subject.state("lifecycle", "lifecycle")
    default_id, default_document = detail.get("DefaultVersionId"), None
    for version in detail.get("PolicyVersionList") or ():
        subject.state(f"version:{version['VersionId']}", "policy-version", document=version.get("Document"))
        if version["VersionId"] == default_id or (default_id is None and version.get("IsDefaultVersion")):
            default_id, default_document = version["VersionId"], version.get("Document")
    if default_id:
        subject.state("default", "default-version", document=default_document, target=default_id)
    return subject.delta()
