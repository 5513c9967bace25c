"""The organisation as `pull iam` reads it: roots and OUs with their parents, each account's place, its
organisation and attached SCPs/RCPs, and each SCP/RCP's content and targets (see graphgov.aws.pullers.iam)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from graphgov.aws.pullers.iam.reader import Absent, AccountReader, Failed, Skipped
from graphgov.aws.pullers.iam.subject import PullContext, Subject
from graphgov.core import ids
from graphgov.core.delta import GraphDelta, NodeRow
from graphgov.core.policy_facts import policy_row
from graphgov.ingest.readers import RawRecord

ORG_POLICY_FILTERS = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")


def org_unit_delta(unit: Mapping[str, Any], parent: str | None, ctx: PullContext) -> GraphDelta:
    """A root (no parent) or an OU from ListRoots / ListOrganizationalUnitsForParent, with its parent."""
    props = {"id": unit["Id"], "name": unit.get("Name"), "arn": unit.get("Arn")}
    subject = Subject(ctx, "AWSOrganizationalUnit", unit["Id"],
                       (NodeRow("AWSOrganizationalUnit", unit["Id"], {k: v for k, v in props.items() if v}),))
    subject.state("lifecycle", "lifecycle")
    if parent:
        subject.state("parent", "org-parent", target=parent)
    return subject.delta(name=f"org:{unit['Id']}")


def org_account_delta(account: str, parent: str, policies: Iterable[str] | None, ctx: PullContext,
                      org_id: str | None = None) -> GraphDelta:
    """An account's place in the tree, its organisation (when DescribeOrganization answered) and the SCPs/RCPs
    attached to it (None: they could not be read)."""
    subject = Subject(ctx, "AWSAccount", account, (NodeRow("AWSAccount", account, {"id": account}),))
    subject.state("parent", "org-parent", target=parent)
    if org_id:
        subject.state("organization", "org-membership", target=org_id)
    for policy in sorted(policies or ()):
        subject.state(f"org-policy:{policy}", "org-attachment", target=policy)
    return subject.delta(inventory=False, name=f"org:{account}")


def org_membership_delta(account: str, org_id: str | None, ctx: PullContext) -> GraphDelta:
    """The pulled account's own organisation (DescribeOrganization), or none (AWSOrganizationsNotInUseException)."""
    subject = Subject(ctx, "AWSAccount", account, (NodeRow("AWSAccount", account, {"id": account}),))
    if org_id:
        subject.state("organization", "org-membership", target=org_id)
    else:
        subject.state("organization", "org-membership", deleted=True)
    return subject.delta(inventory=False, name=f"org-membership:{account}")


def org_policy_delta(policy: Mapping[str, Any], targets: Iterable[str], ctx: PullContext,
                     inventory: bool) -> GraphDelta:
    """A DescribePolicy answer: the SCP or RCP's content, and the roots and OUs it is attached to."""
    summary = policy.get("PolicySummary") or {}
    policy_id = summary["Id"]
    policy_type = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"}[summary["Type"]]
    arn = summary.get("Arn")
    owner = ids.parse_arn(arn).account if ids.is_arn(arn) else None
    node = policy_row(policy_id, policy_type, arn=arn, name=summary.get("Name"), account=owner or None)
    subject = Subject(ctx, "AWSPolicy", policy_id, (node,))
    subject.state("lifecycle", "lifecycle")
    subject.state("content", "org-policy", document=policy.get("Content"))
    for target in sorted(set(targets)):
        subject.state(f"target:{target}", "org-attachment", target=target)
    return subject.delta(inventory=inventory, name=f"org:{policy_id}")


def organization_items(reader: AccountReader) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
    """The organisation's tree, and its SCPs and RCPs with what each is attached to (see graphgov.aws.pullers.iam)."""
    org, ctx = reader.client("organizations"), reader.ctx
    assert ctx is not None
    org_id = None
    try:  # any member may describe its organisation: its id is what aws:PrincipalOrgID of its accounts is
        found = reader.call(org, "describe_organization", absent="AWSOrganizationsNotInUseException")
        org_id = (found.get("Organization") or {}).get("Id")
    except Absent:  # the caller's account is in no organisation: a fact, which settles org conditions
        yield reader.one("org-membership", ctx.account, None, lambda: org_membership_delta(ctx.account, None, ctx))
        yield "organization", RawRecord("organization", None, "organizations:DescribeOrganization",
                                        skip="organizations_not_in_use")
        return
    except (Skipped, Failed) as exc:
        yield "organization", _org_failure(exc, "organizations:DescribeOrganization")
    if org_id:
        yield reader.one("org-membership", ctx.account, None,
                       lambda: org_membership_delta(ctx.account, org_id, ctx))
    try:
        roots = reader.call(org, "list_roots", absent="AWSOrganizationsNotInUseException").get("Roots") or []
    except Absent:
        yield "organization", RawRecord("organization", None, "organizations:ListRoots",
                                        skip="organizations_not_in_use")
        return
    except Skipped as skip:
        yield "organization", RawRecord("organization", None, "organizations:ListRoots", skip=skip.reason)
        return
    except Failed as failed:
        yield "organization", RawRecord("organization", None, "organizations:ListRoots", error=str(failed))
        return
    complete = True
    units: list[tuple[Mapping[str, Any], str | None]] = [(root, None) for root in roots]
    accounts: list[tuple[Mapping[str, Any], str]] = []
    index = 0
    while index < len(units):  # breadth first: every OU is listed after its parent
        parent_id = units[index][0]["Id"]
        index += 1
        for operation, member, found in (
                ("list_organizational_units_for_parent", "OrganizationalUnits", units),
                ("list_accounts_for_parent", "Accounts", accounts)):
            try:
                for page in reader.paginate(org, operation, ParentId=parent_id):
                    found.extend((item, parent_id) for item in page.get(member) or ())
            except (Skipped, Failed) as exc:
                complete = False
                yield "organization", _org_failure(exc, f"organizations:{operation}:{parent_id}")
    attached: dict[str, list[str] | None] = {}
    summaries: dict[str, Mapping[str, Any]] = {}
    for target in [u["Id"] for u, _ in units] + [a["Id"] for a, _ in accounts]:
        found_ids: list[str] | None = []
        for policy_filter in ORG_POLICY_FILTERS:
            try:
                for page in reader.paginate(org, "list_policies_for_target", absent="PolicyTypeNotEnabledException",
                                          TargetId=target, Filter=policy_filter):
                    for summary in page.get("Policies") or ():
                        summaries[summary["Id"]] = summary
                        if found_ids is not None:
                            found_ids.append(summary["Id"])
            except Absent:
                continue  # the policy type is not enabled: nothing of it is attached
            except (Skipped, Failed) as exc:
                complete, found_ids = False, None
                yield "organization", _org_failure(exc, f"organizations:ListPoliciesForTarget:{target}")
        attached[target] = found_ids
    for unit, parent in units:
        yield reader.one("org-unit", unit["Id"], unit, lambda u=unit, p=parent: org_unit_delta(u, p, ctx))
    for account, parent in accounts:
        yield reader.one("org-account", account["Id"], account,
                       lambda a=account, p=parent: org_account_delta(a["Id"], p, attached.get(a["Id"]), ctx,
                                                                     org_id))
    targets_of: dict[str, list[str]] = {policy: [] for policy in summaries}
    for unit, _parent in units:
        for policy in attached.get(unit["Id"]) or ():
            targets_of[policy].append(unit["Id"])
    for policy, summary in sorted(summaries.items()):
        yield reader.one("org-policy", policy, summary, lambda p=policy: org_policy_delta(
            reader.call(org, "describe_policy", PolicyId=p)["Policy"], targets_of[p], ctx, complete))


def _org_failure(exc: Exception, location: str) -> RawRecord:
    """A failed organisation read as its record: skipped with the reason, or quarantined with the error."""
    if isinstance(exc, Skipped):
        return RawRecord("organization", None, location, skip=exc.reason)
    return RawRecord("organization", None, location, error=str(exc))
