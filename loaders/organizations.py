"""CloudTrail AWS Organizations policy changes -> policy states: SCP and RCP content, and what each is
attached to (an account directly, or an OU or the root, which the evaluator expands to accounts).

Organizations policies are keyed by their `p-...` id (the id every attachment call uses). Only
service and resource control policies limit access; the other types (tag, backup, AI opt-out...) are
skipped where the record says its type. AttachPolicy and UpdatePolicy requests carry no type, so a
policy first seen there has no `policy_type` until its CreatePolicy or a snapshot supplies it.

The organisation's tree is a `parent` slot on accounts and OUs (AWSOrganizationalUnit, key `ou-...`):
CreateOrganizationalUnit (its parent), MoveAccount (the destination; the source is kept as the
state's document, so the evaluator knows where the account was before the move),
RemoveAccountFromOrganization and LeaveOrganization (parent deleted) and DeleteOrganizationalUnit
(lifecycle deleted). Their
request and response members are read case-insensitively: the shapes follow the Organizations API
reference (lowerCamelCase in CloudTrail) and were not checked against real trail records.

Membership, which settles `aws:PrincipalOrgID` / `aws:ResourceOrgID`, is an `organization` slot on the
account (kind `org-membership`): target = the organisation id when the record names it, else the document
{"via": <account>} says "the organisation of that account" (the management or delegated administrator
account the call was recorded in); {"joined": true} marks a start of membership, so before it the account
was in no organisation. CreateAccountResult (a service event, SUCCEEDED; Organizations user guide, "Logging
API calls with AWS CloudTrail") and AcceptHandshake of an invitation start it; MoveAccount proves it;
RemoveAccountFromOrganization and LeaveOrganization end it (deleted). InviteAccountToOrganization is not
membership: it is skipped by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import Malformed, NodeRow, Skip
from graphgov.core.policy_facts import policy_row
from loaders import fields
from loaders.iam_changes import add_state, as_object, required, text
from loaders.identity import Principal

Handler = Callable[[Mapping[str, Any], Principal, list, list], None]

POLICY_TYPES = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"}
AWS_MANAGED = {"p-FullAWSAccess": "scp", "p-RCPFullAWSAccess": "rcp"}  # attached everywhere by default
ACCOUNT_RE = re.compile(r"^\d{12}$")
_OU_OR_ROOT_RE = re.compile(r"^(?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
_OU_RE = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
ORG_ID_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
_HANDSHAKE_ORG_RE = re.compile(r":handshake/(o-[a-z0-9]{10,32})/")
_ID_KIND = {ACCOUNT_RE.pattern: "account", _OU_OR_ROOT_RE.pattern: "OU or root", _OU_RE.pattern: "OU"}


def _summary(record: Mapping[str, Any]) -> Mapping[str, Any]:
    summary = fields.dig(fields.section(record, "responseElements"), "policy", "policySummary")
    return summary if isinstance(summary, Mapping) else {}


def _policy_type(record: Mapping[str, Any], policy_id: str | None = None) -> str | None:
    """`scp`/`rcp` when the record names the type (or the id is an AWS-managed full-access policy's); Skip
    for other types; None when it does not say."""
    raw = text(_summary(record), "type") or text(fields.params(record), "type")
    if raw is None:
        return AWS_MANAGED.get(policy_id or "")
    policy_type = POLICY_TYPES.get(raw.upper())
    if policy_type is None:
        raise Skip("unsupported_org_policy_type")
    return policy_type


def _policy_rows(record: Mapping[str, Any], policy_id: str, nodes: list) -> str:
    summary = _summary(record)
    arn, name = text(summary, "arn"), text(summary, "name") or text(fields.params(record), "name")
    account = ids.parse_arn(arn).account if ids.is_arn(arn) else None  # the management account
    policy_type = _policy_type(record, policy_id)
    if policy_type:
        nodes.append(policy_row(policy_id, policy_type, arn=arn, name=name, account=account or None))
    else:
        props = {"id": policy_id, "arn": arn, "name": name, "account_id": account or None}
        nodes.append(NodeRow("AWSPolicy", policy_id, {k: v for k, v in props.items() if v is not None}))
    return policy_id


def _content(record: Mapping[str, Any]) -> Any:
    content = fields.get_ci(fields.params(record), "content")
    return None if content in (None, "") else content


def _create_policy(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    if _policy_type(record) is None:
        raise Malformed("CreatePolicy: no policy type in requestParameters or responseElements")
    policy_id = text(_summary(record), "id")
    if not policy_id:
        raise Malformed("CreatePolicy: no policy.policySummary.id in responseElements")
    content = _content(record)
    if content is None:
        raise Malformed("CreatePolicy: no content in requestParameters")
    policy = _policy_rows(record, policy_id, nodes)
    add_state(record, principal, nodes, edges, "AWSPolicy", policy, "lifecycle", "lifecycle")
    add_state(record, principal, nodes, edges, "AWSPolicy", policy, "content", "org-policy", document=content)


def _update_policy(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    content = _content(record)
    if content is None:
        raise Skip("org_policy_metadata_only")  # a new name or description: access is unchanged
    policy = _policy_rows(record, required(fields.params(record), record, "policyId"), nodes)
    add_state(record, principal, nodes, edges, "AWSPolicy", policy, "content", "org-policy", document=content)


def _delete_policy(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    policy = _policy_rows(record, required(fields.params(record), record, "policyId"), nodes)
    add_state(record, principal, nodes, edges, "AWSPolicy", policy, "lifecycle", "lifecycle", deleted=True)


def _attachment(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """Attach/DetachPolicy: on the account (`org-policy:<id>`) or on the policy (`target:<ou-/r- id>`)."""
    params = fields.params(record)
    policy = _policy_rows(record, required(params, record, "policyId"), nodes)
    target = required(params, record, "targetId")
    deleted = record.get("eventName") == "DetachPolicy"
    if ACCOUNT_RE.match(target):
        nodes.append(NodeRow("AWSAccount", target, {"id": target}))
        add_state(record, principal, nodes, edges, "AWSAccount", target, f"org-policy:{policy}", "org-attachment",
                  target=policy, deleted=deleted)
    elif _OU_OR_ROOT_RE.match(target):
        add_state(record, principal, nodes, edges, "AWSPolicy", policy, f"target:{target}", "org-attachment",
                  target=target, deleted=deleted)
    else:
        raise Malformed(f"{record.get('eventName')}: targetId {target!r} is not an account, OU or root id")


def _org_id(mapping: Any, record: Mapping[str, Any], name: str, where: str = "requestParameters",
            pattern: re.Pattern[str] = _OU_OR_ROOT_RE) -> str:
    """An account, OU or root id the state cannot do without: Malformed when missing or not an id."""
    value = text(mapping, name)
    if value is None:
        raise Malformed(f"{record.get('eventName')}: no {name} in {where}")
    if not pattern.match(value):
        raise Malformed(f"{record.get('eventName')}: {name} {value!r} is not an {_ID_KIND[pattern.pattern]} id")
    return value


def _ou_row(ou: str, nodes: list, name: str | None = None, arn: str | None = None) -> str:
    props = {"id": ou, "name": name, "arn": arn}
    nodes.append(NodeRow("AWSOrganizationalUnit", ou, {k: v for k, v in props.items() if v is not None}))
    return ou


def _create_ou(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateOrganizationalUnit: the OU (created) and its parent."""
    unit = fields.get_ci(fields.section(record, "responseElements"), "organizationalUnit")
    ou = _org_id(unit if isinstance(unit, Mapping) else {}, record, "id", "responseElements.organizationalUnit",
                 _OU_RE)
    parent = _org_id(fields.params(record), record, "parentId")
    _ou_row(ou, nodes, text(unit, "name") or text(fields.params(record), "name"), text(unit, "arn"))
    _ou_row(parent, nodes)
    add_state(record, principal, nodes, edges, "AWSOrganizationalUnit", ou, "lifecycle", "lifecycle")
    add_state(record, principal, nodes, edges, "AWSOrganizationalUnit", ou, "parent", "org-parent", target=parent)


def _delete_ou(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    ou = _ou_row(_org_id(fields.params(record), record, "organizationalUnitId", pattern=_OU_RE), nodes)
    add_state(record, principal, nodes, edges, "AWSOrganizationalUnit", ou, "lifecycle", "lifecycle", deleted=True)


def _membership(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list, account: str, *,
                org: str | None = None, joined: bool = False, deleted: bool = False) -> None:
    """The account's `organization` state: in `org` (or in the organisation of the account the call was
    recorded in), from this event on; `deleted` when it leaves."""
    document: dict[str, Any] = {}
    if not deleted:
        via = text(record, "recipientAccountId")
        if org is None and via and ACCOUNT_RE.match(via) and via != account:
            document["via"] = via
        if joined:
            document["joined"] = True
    add_state(record, principal, nodes, edges, "AWSAccount", account, "organization", "org-membership",
              target=None if deleted else org, document=document or None, deleted=deleted)


def _create_account_result(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateAccountResult (AwsServiceEvent, in the management account's trail): a SUCCEEDED status names the new
    member account; FAILED creates nothing. `serviceEventDetails` may come as JSON text (Panther exports)."""
    status = fields.get_ci(fields.section(record, "serviceEventDetails"), "createAccountStatus")
    status = as_object(status) if isinstance(status, str) else status
    state = text(status, "state") if isinstance(status, Mapping) else None
    if state is None:
        raise Malformed("CreateAccountResult: no serviceEventDetails.createAccountStatus.state")
    if state.upper() != "SUCCEEDED":
        raise Skip("org_account_not_created")
    account = _org_id(status, record, "accountId", "serviceEventDetails.createAccountStatus", ACCOUNT_RE)
    nodes.append(NodeRow("AWSAccount", account, {"id": account}))
    _membership(record, principal, nodes, edges, account, joined=True)


def _accept_handshake(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """AcceptHandshake (recorded in the accepting account): an accepted invitation makes the account a member of
    the organisation the handshake names (`parties` of type ORGANIZATION, or the handshake ARN's `o-...`)."""
    handshake = fields.dig(fields.section(record, "responseElements"), "handshake")
    if not isinstance(handshake, Mapping):
        raise Malformed("AcceptHandshake: no handshake in responseElements")
    action = (text(handshake, "action") or "").upper()
    parties = fields.get_ci(handshake, "parties") or []
    org = account = None
    for party in parties if isinstance(parties, list) else ():
        kind, value = (text(party, "type") or "").upper(), text(party, "id")
        if kind == "ORGANIZATION" and value and ORG_ID_RE.match(value):
            org = value
        elif kind == "ACCOUNT" and value and ACCOUNT_RE.match(value):
            account = value
    found = _HANDSHAKE_ORG_RE.search(text(handshake, "arn") or "")
    org = org or (found.group(1) if found else None)
    account = account or text(record, "recipientAccountId")
    if not account or not ACCOUNT_RE.match(account):
        raise Malformed("AcceptHandshake: no account in handshake.parties or recipientAccountId")
    if org is None:
        raise Malformed("AcceptHandshake: no organisation id in handshake.parties or handshake.arn")
    nodes.append(NodeRow("AWSAccount", account, {"id": account}))
    _membership(record, principal, nodes, edges, account, org=org, joined=action == "INVITE")


def _invitation(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    raise Skip("org_invitation_not_membership")  # membership starts when the invited account accepts


def _move_account(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """MoveAccount: the account's parent becomes the destination; the source is kept as {"from": ...}."""
    params = fields.params(record)
    account = _org_id(params, record, "accountId", pattern=ACCOUNT_RE)
    destination = _org_id(params, record, "destinationParentId")
    source = text(params, "sourceParentId")
    nodes.append(NodeRow("AWSAccount", account, {"id": account}))
    for parent in (destination, source):
        if parent and _OU_OR_ROOT_RE.match(parent):
            _ou_row(parent, nodes)
    document = {"from": source} if source and _OU_OR_ROOT_RE.match(source) else None
    add_state(record, principal, nodes, edges, "AWSAccount", account, "parent", "org-parent", target=destination,
              document=document)
    _membership(record, principal, nodes, edges, account)


def _remove_account(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """RemoveAccountFromOrganization: the account has no parent (no SCP or RCP applies to it) from then on."""
    account = _org_id(fields.params(record), record, "accountId", pattern=ACCOUNT_RE)
    nodes.append(NodeRow("AWSAccount", account, {"id": account}))
    add_state(record, principal, nodes, edges, "AWSAccount", account, "parent", "org-parent", deleted=True)
    _membership(record, principal, nodes, edges, account, deleted=True)


def _leave_organization(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """LeaveOrganization: a member leaves on its own; the request names nothing, the caller's account left."""
    account = text(record, "recipientAccountId") or text(fields.section(record, "userIdentity"), "accountId")
    if not account or not ACCOUNT_RE.match(account):
        raise Malformed("LeaveOrganization: no account id in recipientAccountId or userIdentity")
    nodes.append(NodeRow("AWSAccount", account, {"id": account}))
    add_state(record, principal, nodes, edges, "AWSAccount", account, "parent", "org-parent", deleted=True)
    _membership(record, principal, nodes, edges, account, deleted=True)


HANDLERS: dict[str, Handler] = {
    "CreateAccountResult": _create_account_result,
    "AcceptHandshake": _accept_handshake,
    "InviteAccountToOrganization": _invitation,
    "LeaveOrganization": _leave_organization,
    "CreateOrganizationalUnit": _create_ou,
    "DeleteOrganizationalUnit": _delete_ou,
    "MoveAccount": _move_account,
    "RemoveAccountFromOrganization": _remove_account,
    "CreatePolicy": _create_policy,
    "UpdatePolicy": _update_policy,
    "DeletePolicy": _delete_policy,
    "AttachPolicy": _attachment,
    "DetachPolicy": _attachment,
}
