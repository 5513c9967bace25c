"""CloudTrail `userIdentity` -> the principal node (and its account, role, session) it stands for.

Pure: a mapping in, graph rows out. Shared by every loader that sees CloudTrail identities.

Memoised per distinct identity: a trail names a few hundred principals in millions of records, so the rows
are built once per distinct value of the fields the resolution reads (`_identity_key`) and shared by every
delta that names it. Shared rows are read-only (`FrozenProps`), so no delta can change another's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, Malformed, NodeRow, Skip

UNATTRIBUTABLE_TYPES = {"Unknown", "Directory"}
CACHED_IDENTITIES = 4096  # distinct identities (and roles) remembered: a trail names a few hundred


class FrozenProps(dict):
    """A row's properties, shared between the deltas of every record naming the same principal: read-only."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("shared principal rows are read-only: copy the properties to change them")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict[str, Any]]]:
        return FrozenProps, (dict(self),)


def _frozen(principal: Principal) -> Principal:
    """The principal with read-only rows, to be shared by every delta that names it."""
    return Principal(principal.key, principal.node_type, principal.account,
                     tuple(NodeRow(r.type, r.key, FrozenProps(r.props)) for r in principal.nodes),
                     tuple(EdgeRow(e.type, e.src_type, e.src, e.dst_type, e.dst, FrozenProps(e.props), e.operation,
                                   e.bytes) for e in principal.edges),
                     principal.has_arn)


@dataclass(frozen=True)
class Principal:
    """The acting principal: its node key, account and the rows that describe it."""

    key: str
    node_type: str
    account: str | None
    nodes: tuple[NodeRow, ...]
    edges: tuple[EdgeRow, ...]
    has_arn: bool  # a copy of an event that names the caller exactly is preferred to one that does not


def _account_rows(account: str | None, node_type: str, key: str) -> tuple[list[NodeRow], list[EdgeRow]]:
    if not account:
        return [], []
    return (
        [NodeRow("AWSAccount", account, {"id": account})],
        [EdgeRow("RESOURCE", "AWSAccount", account, node_type, key)],
    )


def principal_node(node_type: str, key: str, account: str | None, **props: Any) -> tuple[NodeRow, ...]:
    clean = {k: v for k, v in props.items() if v not in (None, "")}
    clean.setdefault("arn", key)
    clean.setdefault("id", key)
    if account:
        clean["account_id"] = account
    return (NodeRow(node_type, key, clean),)


def role_rows(role_arn: str, account_hint: str | None = None) -> Principal:
    """A role referenced by ARN (possibly with a path); memoised (read-only rows) for string arguments."""
    if type(role_arn) is str and (account_hint is None or type(account_hint) is str):
        return _role_rows_cached(role_arn, account_hint)
    return _role_rows(role_arn, account_hint)


@lru_cache(maxsize=CACHED_IDENTITIES)
def _role_rows_cached(role_arn: str, account_hint: str | None) -> Principal:
    return _frozen(_role_rows(role_arn, account_hint))


def _role_rows(role_arn: str, account_hint: str | None = None) -> Principal:
    key, path = ids.canonical_iam_arn(role_arn)
    arn = ids.parse_arn(key)
    if arn.service != "iam" or not arn.resource.startswith("role/") or arn.resource == "role/":
        raise ids.IdentityError(f"not a role ARN: {role_arn!r}")  # e.g. a roleArn that names a bucket
    account = arn.account or account_hint
    name = arn.resource.split("/", 1)[1]
    nodes = principal_node("AWSRole", key, account, name=name, principal_type="Role", path=path,
                           partition=arn.partition)
    acct_nodes, acct_edges = _account_rows(account, "AWSRole", key)
    return Principal(key, "AWSRole", account, nodes + tuple(acct_nodes), tuple(acct_edges), True)


def executes_as(role_arn: Any, src_type: str, src: str, nodes: list, edges: list) -> None:
    """EXECUTES_AS from a job, model or knowledge base to the role it runs with, when the ARN is a role's."""
    if ids.is_arn(role_arn) and ":role/" in role_arn:
        role = role_rows(role_arn)
        nodes.extend(role.nodes)
        edges.extend(role.edges)
        edges.append(EdgeRow("EXECUTES_AS", src_type, src, "AWSRole", role.key))


def from_user_identity(ui: Mapping[str, Any] | None, partition_hint: str = "aws") -> Principal:
    """Resolve a CloudTrail userIdentity block; Malformed when it names no one, Skip when unattributable.
    Memoised per distinct identity (see the module doc); a block of unexpected shape is resolved uncached."""
    key = _identity_key(ui, partition_hint)
    if key is None:
        return _resolve(ui, partition_hint)
    return _resolve_cached(key)


_TOP_FIELDS = ("type", "arn", "accountId", "principalId", "invokedBy", "identityProvider", "userName")
IdentityKey = tuple[Any, ...]


def _strings(block: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str | None, ...] | None:
    values = tuple(block.get(name) for name in names)
    return values if all(value is None or type(value) is str for value in values) else None


def _identity_key(ui: Any, partition_hint: str) -> IdentityKey | None:
    """Exactly the fields `_resolve` reads, as a hashable key; None when one has a shape the cache cannot key."""
    if type(ui) is not dict or not ui or type(partition_hint) is not str:
        return None
    top = _strings(ui, _TOP_FIELDS)
    context, behalf = ui.get("sessionContext"), ui.get("onBehalfOf")
    if top is None or (context and type(context) is not dict) or (behalf and type(behalf) is not dict):
        return None
    context, behalf = context or {}, behalf or {}
    issuer = context.get("sessionIssuer")
    if issuer and type(issuer) is not dict:
        return None
    session = _strings(issuer or {}, ("arn", "principalId"))
    source = context.get("sourceIdentity")
    on_behalf = _strings(behalf, ("userId", "identityStoreArn"))
    if session is None or on_behalf is None or not (source is None or type(source) is str):
        return None
    return partition_hint, top, session, source, on_behalf


@lru_cache(maxsize=CACHED_IDENTITIES)
def _resolve_cached(key: IdentityKey) -> Principal:
    """The principal of a keyed identity: resolved from a block rebuilt of the key's fields alone, so the
    answer cannot depend on a field the key leaves out."""
    partition_hint, top, (issuer_arn, issuer_id), source, (user_id, store) = key
    ui: dict[str, Any] = {name: value for name, value in zip(_TOP_FIELDS, top, strict=True) if value is not None}
    issuer = {name: value for name, value in (("arn", issuer_arn), ("principalId", issuer_id)) if value is not None}
    context: dict[str, Any] = {"sessionIssuer": issuer} if issuer else {}
    if source is not None:
        context["sourceIdentity"] = source
    if context:
        ui["sessionContext"] = context
    behalf = {name: value for name, value in (("userId", user_id), ("identityStoreArn", store)) if value is not None}
    if behalf:
        ui["onBehalfOf"] = behalf
    return _frozen(_resolve(ui, partition_hint))


def _resolve(ui: Mapping[str, Any] | None, partition_hint: str) -> Principal:
    if not isinstance(ui, Mapping) or not ui:
        raise Malformed("record has no userIdentity")
    kind = ui.get("type")
    arn = ui.get("arn") if ids.is_arn(ui.get("arn")) else None
    account = ui.get("accountId") or (ids.parse_arn(arn).account if arn else None)
    partition = ids.parse_arn(arn).partition if arn else partition_hint

    if kind == "AssumedRole" or (arn and ":assumed-role/" in arn):
        issuer = (ui.get("sessionContext") or {}).get("sessionIssuer") or {}
        return with_principal_id(_assumed_role(ui, arn, account),
                                 issuer.get("principalId") if isinstance(issuer, Mapping) else None,
                                 ui.get("principalId"))
    if kind == "IAMUser":
        if not arn:
            raise Skip("unattributable_principal")  # e.g. HIDDEN_DUE_TO_SECURITY_REASONS sign-in failures
        return with_principal_id(_simple(arn, "AWSUser", "IAMUser", None), ui.get("principalId"))
    if kind == "Role" and arn:
        return with_principal_id(role_rows(arn, account), ui.get("principalId"))
    if kind == "Root":
        key = arn or (ids.account_root_arn(partition, account) if account else None)
        if not key:
            raise Malformed("Root identity without arn or accountId")
        return _simple(key, "AWSRootUser", "Root", "root")
    if kind == "AWSAccount":
        if not account:
            raise Malformed("AWSAccount identity without accountId")
        # The owner's copy of a cross-account call names only the caller's account: the IAM way to
        # write that principal is the account root ARN.
        key = ids.account_root_arn(partition, account)
        nodes = principal_node("AWSPrincipal", key, account, principal_type="AWSAccount", partition=partition)
        acct_nodes, acct_edges = _account_rows(account, "AWSPrincipal", key)
        return Principal(key, "AWSPrincipal", account, nodes + tuple(acct_nodes), tuple(acct_edges), False)
    if kind == "AWSService" or (kind is None and not arn and ui.get("invokedBy")):
        # Service events may carry no type at all, only the invoking service.
        service = ui.get("invokedBy")
        if not service:
            raise Skip("unattributable_principal")
        nodes = principal_node("AWSServicePrincipal", service, None, name=service, principal_type="AWSService")
        return Principal(service, "AWSServicePrincipal", None, nodes, (), True)
    if kind == "FederatedUser" and arn:
        return _federated_user(ui, arn, account)
    if kind == "IdentityCenterUser":
        return _identity_center(ui, account)
    if kind in ("SAMLUser", "WebIdentityUser"):
        return _federated_identity(ui, kind, account)
    if kind in UNATTRIBUTABLE_TYPES or kind is None:
        raise Skip("unattributable_principal")
    if arn:
        return _simple(arn, "AWSPrincipal", str(kind), None)
    raise Skip("unattributable_principal")


def with_principal_id(principal: Principal, *candidates: Any) -> Principal:
    """The principal with its unique id (`AROA…`, `AIDA…`), from the first candidate that states one, so that
    S3 notifications, which name writers only by that id, resolve to it (whatever order logs load in)."""
    unique = next((u for u in map(ids.unique_principal_id, candidates) if u), None)
    if unique is None or principal.node_type not in ("AWSRole", "AWSUser"):
        return principal
    nodes = tuple(NodeRow(r.type, r.key, {**r.props, "principal_id": unique}) if r.key == principal.key else r
                  for r in principal.nodes)
    return Principal(principal.key, principal.node_type, principal.account, nodes, principal.edges,
                     principal.has_arn)


_ARN_KINDS = {"user": "AWSUser", "role": "AWSRole", "root": "AWSRootUser", "federated-user": "AWSFederatedUser"}


def _simple(arn: str, node_type: str, principal_type: str, name: str | None) -> Principal:
    """A principal named by its own ARN; the ARN's resource kind decides the label when it has one."""
    key, path = ids.canonical_iam_arn(arn)
    parsed = ids.parse_arn(key)
    node_type = _ARN_KINDS.get(parsed.resource.split("/", 1)[0], node_type)
    account = parsed.account or None
    if name is None and "/" in parsed.resource:
        name = parsed.resource.rsplit("/", 1)[1]
    nodes = principal_node(node_type, key, account, name=name, principal_type=principal_type, path=path,
                           partition=parsed.partition)
    acct_nodes, acct_edges = _account_rows(account, node_type, key)
    return Principal(key, node_type, account, nodes + tuple(acct_nodes), tuple(acct_edges), True)


def _assumed_role(ui: Mapping[str, Any], session_arn: str | None, account: str | None) -> Principal:
    context = ui.get("sessionContext") or {}
    issuer = context.get("sessionIssuer") or {}
    issuer_arn = issuer.get("arn") if ids.is_arn(issuer.get("arn")) else None
    if issuer_arn and ":role/" in issuer_arn:
        role = role_rows(issuer_arn, account)
    elif session_arn and ":assumed-role/" in session_arn:
        role = role_rows(ids.role_arn_from_session(session_arn), account)
    else:
        raise Malformed("AssumedRole identity without session or issuer ARN")
    nodes, edges = list(role.nodes), list(role.edges)
    # The session belongs to the role its ARN names; one whose ARN names another role is not linked.
    if ids.is_session_arn(session_arn) and ids.role_arn_from_session(session_arn) == role.key:
        nodes.append(NodeRow("AWSRoleSession", session_arn, {
            "arn": session_arn,
            "role_arn": role.key,
            "session_name": ids.session_name_from_session(session_arn),
            "source_identity": context.get("sourceIdentity") or None,
            "account_id": role.account,
        }))
        edges.append(EdgeRow("SESSION_OF", "AWSRoleSession", session_arn, "AWSRole", role.key))
    return Principal(role.key, "AWSRole", role.account, tuple(_drop_none(nodes)), tuple(edges), True)


def _federated_user(ui: Mapping[str, Any], arn: str, account: str | None) -> Principal:
    base = _simple(arn, "AWSFederatedUser", "FederatedUser", None)
    issuer = ((ui.get("sessionContext") or {}).get("sessionIssuer") or {}).get("arn")
    if not ids.is_arn(issuer):
        return base
    issuer_principal = _simple(issuer, "AWSRootUser" if issuer.endswith(":root") else "AWSUser",
                               "Root" if issuer.endswith(":root") else "IAMUser", None)
    edge = EdgeRow("FEDERATED_FROM", "AWSFederatedUser", base.key, issuer_principal.node_type, issuer_principal.key)
    return Principal(base.key, base.node_type, base.account, base.nodes + issuer_principal.nodes,
                     base.edges + issuer_principal.edges + (edge,), True)


def _identity_center(ui: Mapping[str, Any], account: str | None) -> Principal:
    on_behalf = ui.get("onBehalfOf") or {}
    user_id, store = on_behalf.get("userId"), on_behalf.get("identityStoreArn")
    if not user_id or not store:
        raise Skip("unattributable_principal")
    key = f"{store}/user/{user_id}"
    nodes = principal_node("AWSIdentityCenterUser", key, account, principal_type="IdentityCenterUser",
                           identity_store_arn=store, user_id=user_id, name=user_id)
    acct_nodes, acct_edges = _account_rows(account, "AWSIdentityCenterUser", key)
    return Principal(key, "AWSIdentityCenterUser", account, nodes + tuple(acct_nodes), tuple(acct_edges), True)


def _federated_identity(ui: Mapping[str, Any], kind: str, account: str | None) -> Principal:
    provider = ui.get("identityProvider") or "unknown-provider"
    user = ui.get("userName") or ui.get("principalId")
    if not user:
        raise Skip("unattributable_principal")
    key = f"{provider}/{user}"
    nodes = principal_node("AWSFederatedIdentity", key, account, principal_type=kind, name=user,
                           identity_provider=provider)
    acct_nodes, acct_edges = _account_rows(account, "AWSFederatedIdentity", key)
    return Principal(key, "AWSFederatedIdentity", account, nodes + tuple(acct_nodes), tuple(acct_edges), True)


def _drop_none(rows: list[NodeRow]) -> list[NodeRow]:
    return [NodeRow(r.type, r.key, {k: v for k, v in r.props.items() if v is not None}) for r in rows]
