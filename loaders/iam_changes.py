"""CloudTrail IAM changes -> policy states: inline, trust, attached and boundary policies, managed-policy
versions, group membership, access keys and the lifecycle of roles, users, groups and managed policies.

Each successful change becomes one PolicyState (graphgov.core.policy_facts) on its subject, so access can
be replayed for any time. IAM names roles, users and groups by bare name: their canonical keys are
the path-less ARNs in the account that received the event (recipientAccountId, else the caller's).
Request members are read case-insensitively; policy documents may be JSON strings, URL-encoded JSON
or objects (canonical_document reads all three).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, Malformed, NodeRow, Skip
from graphgov.core.policy_facts import group_row, policy_row, policy_state
from graphgov.core.times import to_utc_iso
from loaders import fields
from loaders.identity import Principal, principal_node, role_rows

Handler = Callable[[Mapping[str, Any], Principal, list, list], None]


# --- shared by the policy-change loaders --------------------------------------------------------------


def add_state(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list, subject_type: str,
              subject: str, slot: str, kind: str, *, document: Any = None, target: str | None = None,
              deleted: bool = False) -> None:
    """Append one event PolicyState and its HAS_POLICY edge: keyed by the event, so reloading changes nothing."""
    if isinstance(document, str) and not fields.is_unicode(document):
        raise Malformed(f"{record.get('eventName')}: policy document is not valid Unicode text (lone surrogate)")
    node, edge = policy_state(
        subject_type, subject, slot, kind, time=to_utc_iso(record.get("eventTime")),
        event_id=str(record.get("eventID")), document=document, target=target, deleted=deleted,
        operation=str(record.get("eventName")), actor=principal.key)
    nodes.append(node)
    edges.append(edge)


def text(mapping: Any, *names: str) -> str | None:
    """A non-empty string member (case-insensitive name), else None."""
    value = fields.get_ci(mapping, *names) if isinstance(mapping, Mapping) else None
    return value if isinstance(value, str) and value.strip() else None


def required(mapping: Any, record: Mapping[str, Any], *names: str) -> str:
    """A member the state cannot do without: Malformed (quarantined) when the record lacks it."""
    value = text(mapping, *names)
    if value is None:
        raise Malformed(f"{record.get('eventName')}: no {names[0]} in requestParameters")
    return value


def as_object(value: Any) -> Any:
    """Nested blocks some exporters deliver as JSON text are parsed; anything else is returned as is."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def as_bool(value: Any) -> bool | None:
    """`true`/`"true"`/`"TRUE"`/`["true"]` -> True (S3 XML and some exporters render booleans as text)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def account_rows(account: str | None, node_type: str, key: str, nodes: list, edges: list) -> None:
    """The owning account and its RESOURCE edge, as every loader writes them."""
    if account:
        nodes.append(NodeRow("AWSAccount", account, {"id": account}))
        edges.append(EdgeRow("RESOURCE", "AWSAccount", account, node_type, key))


# --- IAM subjects -------------------------------------------------------------------------------------


def _account(record: Mapping[str, Any], principal: Principal) -> str:
    account = record.get("recipientAccountId") or principal.account
    if not account:
        raise Malformed(f"{record.get('eventName')}: no recipientAccountId or caller account to name the IAM entity")
    return str(account)


def _path(value: str | None) -> str:
    """An IAM path as IAM stores it: `/`-led and `/`-ended (`/` when none)."""
    if not value or value == "/":
        return "/"
    return "/" + value.strip("/") + "/"


def _unknown_path(rows: tuple[NodeRow, ...], key: str) -> list[NodeRow]:
    """A role or user named by bare name: its path is unknown, not `/`, so the node must not claim one
    (the newest value wins, and would overwrite the path CreateRole/CreateUser recorded)."""
    return [NodeRow(r.type, r.key, {k: v for k, v in r.props.items() if k != "path"}) if r.key == key else r
            for r in rows]


def _role(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list, *,
          name: str | None = None, path: str | None = None, arn: Any = None) -> str:
    partition = fields.partition(record)
    if ids.is_arn(arn) and ":role/" in arn:
        role = role_rows(arn)
        nodes.extend(role.nodes)
    else:
        name = name or required(fields.params(record), record, "roleName")
        role = role_rows(f"arn:{partition}:iam::{_account(record, principal)}:role{_path(path)}{name}")
        nodes.extend(role.nodes if path else _unknown_path(role.nodes, role.key))
    edges.extend(role.edges)
    return role.key


def user_rows(arn: str, nodes: list, edges: list, path_known: bool = True) -> str:
    """An IAM user by (possibly path-carrying) ARN: the same node identity.from_user_identity writes."""
    key, path = ids.canonical_iam_arn(arn)
    parsed = ids.parse_arn(key)
    account = parsed.account or None
    nodes.extend(principal_node("AWSUser", key, account, name=parsed.resource.split("/", 1)[1],
                                principal_type="IAMUser", path=path if path_known else None,
                                partition=parsed.partition))
    account_rows(account, "AWSUser", key, nodes, edges)
    return key


def _user(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list, *,
          name: str | None = None, path: str | None = None, arn: Any = None) -> str:
    if ids.is_arn(arn) and ":user/" in arn:
        return user_rows(arn, nodes, edges)
    name = name or required(fields.params(record), record, "userName")
    arn = f"arn:{fields.partition(record)}:iam::{_account(record, principal)}:user{_path(path)}{name}"
    return user_rows(arn, nodes, edges, path_known=bool(path))


def _group(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list, *,
           name: str | None = None, path: str | None = None) -> str:
    name = name or required(fields.params(record), record, "groupName")
    account = _account(record, principal)
    arn = ids.iam_arn(fields.partition(record), account, "group", name)  # path-less, like roles and users
    nodes.append(group_row(arn, account, name, _path(path) if path else None))
    account_rows(account, "AWSGroup", arn, nodes, edges)
    return arn


def managed_policy_rows(arn: str, nodes: list, edges: list, name: str | None = None) -> str:
    """A managed policy keyed by its ARN (path included, as IAM and Cartography write it)."""
    account = ids.parse_arn(arn).account
    if account == "aws":
        nodes.append(policy_row(arn, "aws-managed", arn=arn, name=name))
    else:
        nodes.append(policy_row(arn, "managed", arn=arn, name=name, account=account or None))
        account_rows(account or None, "AWSPolicy", arn, nodes, edges)
    return arn


def _policy_arn(record: Mapping[str, Any], member: str = "policyArn") -> str:
    arn = required(fields.params(record), record, member)
    if not ids.is_arn(arn) or ":policy/" not in arn:
        raise Malformed(f"{record.get('eventName')}: {member} {arn!r} is not a managed policy ARN")
    return arn


_SUBJECTS = {"Role": ("AWSRole", _role), "User": ("AWSUser", _user), "Group": ("AWSGroup", _group)}


# --- handlers -----------------------------------------------------------------------------------------


def _inline(kind_name: str, deleted: bool) -> Handler:
    """Put/Delete{Role,User,Group}Policy: the `inline:<policyName>` slot."""
    subject_type, subject_rows = _SUBJECTS[kind_name]

    def handle(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
        params = fields.params(record)
        policy_name = required(params, record, "policyName")
        document = None if deleted else _document(record, "policyDocument")
        subject = subject_rows(record, principal, nodes, edges)
        add_state(record, principal, nodes, edges, subject_type, subject, f"inline:{policy_name}", "identity",
                  document=document, deleted=deleted)
    return handle


def _attachment(kind_name: str, deleted: bool) -> Handler:
    """Attach/Detach{Role,User,Group}Policy: the `attached:<policy ARN>` slot, target the policy."""
    subject_type, subject_rows = _SUBJECTS[kind_name]

    def handle(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
        policy = _policy_arn(record)
        subject = subject_rows(record, principal, nodes, edges)
        managed_policy_rows(policy, nodes, edges)
        add_state(record, principal, nodes, edges, subject_type, subject, f"attached:{policy}", "attachment",
                  target=policy, deleted=deleted)
    return handle


def _boundary(kind_name: str, deleted: bool) -> Handler:
    """Put/Delete{Role,User}PermissionsBoundary: the `boundary` slot, target the policy."""
    subject_type, subject_rows = _SUBJECTS[kind_name]

    def handle(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
        policy = None if deleted else _policy_arn(record, "permissionsBoundary")
        subject = subject_rows(record, principal, nodes, edges)
        if policy:
            managed_policy_rows(policy, nodes, edges)
        add_state(record, principal, nodes, edges, subject_type, subject, "boundary", "boundary", target=policy,
                  deleted=deleted)
    return handle


def _document(record: Mapping[str, Any], member: str) -> Any:
    value = fields.get_ci(fields.params(record), member)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Malformed(f"{record.get('eventName')}: no {member} in requestParameters")
    return value


def _creation_boundary(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list,
                       subject_type: str, subject: str) -> None:
    boundary = text(fields.params(record), "permissionsBoundary")
    if boundary:
        if not ids.is_arn(boundary):
            raise Malformed(f"{record.get('eventName')}: permissionsBoundary {boundary!r} is not an ARN")
        managed_policy_rows(boundary, nodes, edges)
        add_state(record, principal, nodes, edges, subject_type, subject, "boundary", "boundary", target=boundary)


def _create_role(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateRole: lifecycle, the trust policy and the boundary it was created with; the path is kept."""
    params = fields.params(record)
    name = required(params, record, "roleName")
    reported = fields.dig(fields.section(record, "responseElements"), "role", "arn")
    role = _role(record, principal, nodes, edges, name=name, path=text(params, "path"), arn=reported)
    _unique_id(nodes, "AWSRole", role, fields.dig(fields.section(record, "responseElements"), "role", "roleId"))
    add_state(record, principal, nodes, edges, "AWSRole", role, "lifecycle", "lifecycle")
    trust = fields.get_ci(params, "assumeRolePolicyDocument") or fields.dig(
        fields.section(record, "responseElements"), "role", "assumeRolePolicyDocument")  # the response URL-encodes it
    if trust:
        add_state(record, principal, nodes, edges, "AWSRole", role, "trust", "trust", document=trust)
    _creation_boundary(record, principal, nodes, edges, "AWSRole", role)


def _unique_id(nodes: list, node_type: str, key: str, value: Any) -> None:
    """The unique id (`roleId` / `userId`) the create call's response reports, which S3 notifications name."""
    unique = ids.unique_principal_id(value)
    if unique:
        nodes[:] = [NodeRow(r.type, r.key, {**r.props, "principal_id": unique}) if (r.type, r.key) == (node_type, key)
                    else r for r in nodes]


def _delete_role(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    role = _role(record, principal, nodes, edges)
    add_state(record, principal, nodes, edges, "AWSRole", role, "lifecycle", "lifecycle", deleted=True)


def _update_trust(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    document = _document(record, "policyDocument")
    role = _role(record, principal, nodes, edges)
    add_state(record, principal, nodes, edges, "AWSRole", role, "trust", "trust", document=document)


def _create_user(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    params = fields.params(record)
    reported = fields.dig(fields.section(record, "responseElements"), "user", "arn")
    user = _user(record, principal, nodes, edges, name=required(params, record, "userName"),
                 path=text(params, "path"), arn=reported)
    _unique_id(nodes, "AWSUser", user, fields.dig(fields.section(record, "responseElements"), "user", "userId"))
    add_state(record, principal, nodes, edges, "AWSUser", user, "lifecycle", "lifecycle")
    _creation_boundary(record, principal, nodes, edges, "AWSUser", user)


def _delete_user(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    user = _user(record, principal, nodes, edges)
    add_state(record, principal, nodes, edges, "AWSUser", user, "lifecycle", "lifecycle", deleted=True)


def _group_lifecycle(deleted: bool) -> Handler:
    def handle(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
        params = fields.params(record)
        group = _group(record, principal, nodes, edges, path=None if deleted else text(params, "path"))
        add_state(record, principal, nodes, edges, "AWSGroup", group, "lifecycle", "lifecycle", deleted=deleted)
    return handle


def _membership(deleted: bool) -> Handler:
    """AddUserToGroup / RemoveUserFromGroup: the user's `group:<group ARN>` slot."""
    def handle(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
        group = _group(record, principal, nodes, edges)
        user = _user(record, principal, nodes, edges)
        add_state(record, principal, nodes, edges, "AWSUser", user, f"group:{group}", "membership", target=group,
                  deleted=deleted)
    return handle


def _create_policy(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreatePolicy: lifecycle, version v1 and the default pointing at it (both carry the document)."""
    params = fields.params(record)
    name = required(params, record, "policyName")
    document = _document(record, "policyDocument")
    reported = fields.dig(fields.section(record, "responseElements"), "policy")
    reported = reported if isinstance(reported, Mapping) else {}
    arn = text(reported, "arn")
    if not (ids.is_arn(arn) and ":policy/" in arn):
        path = _path(text(params, "path"))
        arn = f"arn:{fields.partition(record)}:iam::{_account(record, principal)}:policy{path}{name}"
    version = text(reported, "defaultVersionId") or "v1"  # a new policy's only version is always v1
    managed_policy_rows(arn, nodes, edges, name)
    add_state(record, principal, nodes, edges, "AWSPolicy", arn, "lifecycle", "lifecycle")
    add_state(record, principal, nodes, edges, "AWSPolicy", arn, f"version:{version}", "policy-version",
              document=document)
    add_state(record, principal, nodes, edges, "AWSPolicy", arn, "default", "default-version", document=document,
              target=version)


def _create_policy_version(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    arn = _policy_arn(record)
    document = _document(record, "policyDocument")
    reported = fields.dig(fields.section(record, "responseElements"), "policyVersion")
    version = text(reported, "versionId")
    if not version:
        raise Malformed("CreatePolicyVersion: no policyVersion.versionId in responseElements")
    managed_policy_rows(arn, nodes, edges)
    add_state(record, principal, nodes, edges, "AWSPolicy", arn, f"version:{version}", "policy-version",
              document=document)
    if as_bool(fields.get_ci(fields.params(record), "setAsDefault")) or as_bool(
            fields.get_ci(reported, "isDefaultVersion")):
        add_state(record, principal, nodes, edges, "AWSPolicy", arn, "default", "default-version", document=document,
                  target=version)


def _set_default_version(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    arn = _policy_arn(record)
    version = required(fields.params(record), record, "versionId")
    managed_policy_rows(arn, nodes, edges)
    add_state(record, principal, nodes, edges, "AWSPolicy", arn, "default", "default-version", target=version)


def _delete_policy_version(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    arn = _policy_arn(record)
    version = required(fields.params(record), record, "versionId")
    managed_policy_rows(arn, nodes, edges)
    add_state(record, principal, nodes, edges, "AWSPolicy", arn, f"version:{version}", "policy-version",
              deleted=True)


def _delete_policy(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    arn = _policy_arn(record)
    managed_policy_rows(arn, nodes, edges)
    add_state(record, principal, nodes, edges, "AWSPolicy", arn, "lifecycle", "lifecycle", deleted=True)


def _key_owner(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list, name: str | None) -> str:
    """The user an access-key call is about: the named user, else the calling user (as IAM decides)."""
    if name:
        return _user(record, principal, nodes, edges, name=name)
    if principal.node_type == "AWSUser":
        return principal.key
    if principal.node_type == "AWSRootUser":
        raise Skip("root_access_key")  # the root user's own keys: no policy subject models the root user
    raise Malformed(f"{record.get('eventName')}: no userName and the caller is not an IAM user")


def _access_key(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """Create/Update/DeleteAccessKey: `access-key:<id>` with the id and status only (never a secret)."""
    name = str(record.get("eventName"))
    params = fields.params(record)
    reported = fields.dig(fields.section(record, "responseElements"), "accessKey")
    reported = reported if isinstance(reported, Mapping) else {}
    key_id = text(reported, "accessKeyId") if name == "CreateAccessKey" else text(params, "accessKeyId")
    if not key_id:
        where = "responseElements.accessKey" if name == "CreateAccessKey" else "requestParameters"
        raise Malformed(f"{name}: no accessKeyId in {where}")
    user = _key_owner(record, principal, nodes, edges, text(params, "userName") or text(reported, "userName"))
    deleted = name == "DeleteAccessKey"
    status = None if deleted else (text(params, "status") if name == "UpdateAccessKey" else
                                   text(reported, "status") or "Active")
    if name == "UpdateAccessKey" and not status:
        raise Malformed("UpdateAccessKey: no status in requestParameters")
    add_state(record, principal, nodes, edges, "AWSUser", user, f"access-key:{key_id}", "credential",
              document=None if deleted else {"AccessKeyId": key_id, "Status": status}, deleted=deleted)


HANDLERS: dict[str, Handler] = {
    "CreateRole": _create_role,
    "DeleteRole": _delete_role,
    "UpdateAssumeRolePolicy": _update_trust,
    "CreateUser": _create_user,
    "DeleteUser": _delete_user,
    "CreateGroup": _group_lifecycle(False),
    "DeleteGroup": _group_lifecycle(True),
    "AddUserToGroup": _membership(False),
    "RemoveUserFromGroup": _membership(True),
    "CreatePolicy": _create_policy,
    "CreatePolicyVersion": _create_policy_version,
    "SetDefaultPolicyVersion": _set_default_version,
    "DeletePolicyVersion": _delete_policy_version,
    "DeletePolicy": _delete_policy,
    "CreateAccessKey": _access_key,
    "UpdateAccessKey": _access_key,
    "DeleteAccessKey": _access_key,
    **{f"Put{k}Policy": _inline(k, False) for k in _SUBJECTS},
    **{f"Delete{k}Policy": _inline(k, True) for k in _SUBJECTS},
    **{f"Attach{k}Policy": _attachment(k, False) for k in _SUBJECTS},
    **{f"Detach{k}Policy": _attachment(k, True) for k in _SUBJECTS},
    **{f"Put{k}PermissionsBoundary": _boundary(k, False) for k in ("Role", "User")},
    **{f"Delete{k}PermissionsBoundary": _boundary(k, True) for k in ("Role", "User")},
}
