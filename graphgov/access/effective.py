"""Effective access: may this principal do this action on this resource, all policy types considered?

graphgov.access.policy judges one set of documents; AWS decides a request from several kinds of policy at
once, with rules that depend on who is asking and whose resource it is (IAM User Guide, "Policy
evaluation logic", "Cross-account policy evaluation logic", "Permissions boundaries"; KMS "Key
policies"; IAM "Role trust policies"). `decide` applies those rules:

- An explicit Deny that applies in any policy (identity, boundary, resource, SCP, RCP) denies.
- SCPs bind the IAM users and roles of the principal's account (not service principals, federated
  callers or anonymous ones): every level (root, OUs, account) must allow. RCPs bind the resource's
  account for every caller, service principals and identity providers included (AWS's data-perimeter
  RCPs, aws-samples/data-perimeter-policy-examples identity_perimeter_rcp.json, exempt service
  principals with `aws:PrincipalIsAWSService` and even target them in EnforceConfusedDeputyProtection,
  and restrict AssumeRoleWithWebIdentity in EnforceTrustedOIDCTenants); RCPFullAWSAccess is attached at
  every level and cannot be detached, so only RCP Deny statements can decide.
- Same account, S3 and most services: the identity side (identity policies, and the permissions
  boundary when there is one) OR a resource-policy grant naming the principal. Within the account an
  implicit deny in a boundary does not limit a resource-policy grant naming an IAM user directly, nor
  one reaching a role's session (`"*"` or the session ARN), but does limit a grant naming the role ARN.
  A grant to the account root is a delegation: the identity side must allow too.
- KMS keys and role trust policies (`kms`, `trust`): the key/trust policy must allow, either naming the
  principal directly (identity not needed) or the account (delegation: the identity side must allow).
  No key policy, no trust policy: nothing is allowed.
- Cross account: both the identity side and the resource side (naming the principal, its account, or
  `*`) must allow.
- Service principals, federated providers (AssumeRoleWithSAML / WithWebIdentity) and anonymous callers
  have no identity side: only resource-policy grants naming them (or `*`) count.
- The principal `arn:aws:iam::<acct>:root` stands for "some principal of that account": its identity
  side counts as allowing (the account's administrators can grant it); the resource side must grant the
  account (root, account id) or `*`.

What is not known is never guessed. A resource policy that was never seen (`PolicySet.unseen_resource`
names it, e.g. `key-policy:<key arn>`) is tried both ways: absent, and as a document granting everything
to everyone (`*`, which names the caller directly). When only the second allows, the answer is
`unknown` (never a deny): the unseen document may grant what the other documents leave open, and for
KMS an identity allow counts only if the key policy enables IAM policies. An explicit Deny elsewhere,
or a cross-account identity side that does not allow, still decides. The unseen document is reported
in `via` as `unknown:<its name>`.

Conditions are settled by graphgov.access.conditions against the known
context (`known_context`: the principal's ARN, account, type and org when given, the resource account,
aws:SecureTransport taken as true, plus `Request.context`); an unsettled Allow (with no unconditional
path) or an unsettled Deny that may apply makes the answer `conditional`, with the Condition blocks
reported. Unknown identity policies (`identity=None`) make the answer `unknown` when they would decide
it; an unknown resource owner (None, and no account in the ARN) is tried both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

from graphgov.access.conditions import ABSENT, normalize_context
from graphgov.access.policy import CompiledStatement, PolicyDocument, compiled, parse_policy
from graphgov.core import ids

Outcome = Literal["allow", "deny", "conditional", "implicit-deny", "unknown"]
ResourceKind = Literal["s3", "kms", "trust", "comprehend", "other"]
UNKNOWN_RESOURCE_ACCOUNT = '{"graphgov:unknown":"resource-account"}'

__all__ = ["EffectiveDecision", "Labeled", "Layer", "PolicySet", "Request", "UNKNOWN_RESOURCE_ACCOUNT", "decide",
           "decide_layers", "known_context"]


@dataclass(frozen=True)
class Labeled:
    """A policy document and where it comes from (the label prefixes every statement reference)."""

    label: str
    document: PolicyDocument


@dataclass(frozen=True)
class Request:
    """One request: who, what, on which resource, and what else is known about it."""

    principal: str
    action: str
    resource: str
    resource_account: str | None
    principal_account: str | None = None
    principal_org_id: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    # Other ARNs the same request is known by, which identity policies and boundaries may name instead
    # (a request through an S3 access point names the access point's object and the bucket's object).
    identity_resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicySet:
    """Every policy that may take part in the decision, by kind."""

    identity: tuple[Labeled, ...] | None = ()
    boundary: tuple[Labeled, ...] | None = None
    resource: tuple[Labeled, ...] = ()
    resource_kind: ResourceKind = "other"
    scp_levels: tuple[tuple[Labeled, ...], ...] = ()
    rcp_levels: tuple[tuple[Labeled, ...], ...] = ()
    unseen_resource: str | None = None  # the resource policy was never seen: its name (`key-policy:<arn>`)


@dataclass(frozen=True)
class EffectiveDecision:
    """The answer and what it rests on.

    Statement references are `<label>#<Sid>`, or `<label>#<position>` (from 0) for statements without
    a Sid. `via`: the grants on the allowing path(s), conditional ones included; `conditions`: the
    Condition blocks left unsettled (canonical JSON, sort_keys), reported for `conditional` and
    `unknown` answers; `denied_by`: the Deny statements that apply (for `deny`), or that may apply
    (unsettled) otherwise.
    """

    outcome: Outcome
    via: tuple[str, ...]
    conditions: tuple[str, ...]
    denied_by: tuple[str, ...] = ()


# --- the principal --------------------------------------------------------------------------------

_IAM_KINDS = frozenset({"user", "role", "root", "iam"})  # principals with an identity side


@dataclass(frozen=True)
class _Principal:
    value: str
    kind: str  # user | role | root | iam (another IAM ARN) | service | federated | anonymous | other
    canonical: str
    account: str | None


@lru_cache(maxsize=65536)
def _principal(value: str, account: str | None) -> _Principal:
    """What kind of caller the principal string names (cached: a derivation repeats principals)."""
    if value == "*":
        return _Principal(value, "anonymous", value, None)
    if not ids.is_arn(value):
        return _Principal(value, "service" if "." in value else "other", value, None)
    arn = ids.parse_arn(value)
    own = account if account is not None else (arn.account or None)
    resource = arn.resource
    if arn.service == "iam" and resource == "root":
        return _Principal(value, "root", value, own)
    if arn.service == "iam" and resource.startswith(("saml-provider/", "oidc-provider/")):
        return _Principal(value, "federated", value, own)
    try:
        canonical = ids.canonical_principal_arn(value)
    except ids.IdentityError:
        canonical = value
    if ":role/" in canonical and arn.service in ("iam", "sts"):
        kind = "role"
    elif (arn.service == "iam" and resource.startswith("user/")) or resource.startswith("federated-user/"):
        kind = "user"
    else:
        kind = "iam"
    return _Principal(value, kind, canonical, own)


def _resource_account(resource: str) -> str | None:
    """The owner an ARN names (KMS keys, roles, most services); S3 ARNs name none."""
    if resource.startswith("arn:"):
        parts = resource.split(":", 5)
        if len(parts) > 4 and parts[4] and parts[4] != "aws":
            return parts[4]
    return None


@lru_cache(maxsize=65536)
def _base_context(principal: _Principal, org_id: str | None, resource_account: str | None) -> dict[str, Any]:
    context: dict[str, Any] = {"aws:securetransport": "true"}
    kind = principal.kind
    if kind in _IAM_KINDS:
        context["aws:principalisawsservice"] = "false"
        if principal.account:
            context["aws:principalaccount"] = principal.account
        if kind != "root":  # the account root stands for any principal of the account: no one ARN
            context["aws:principalarn"] = principal.canonical
        if ":user/" in principal.canonical:
            context["aws:principaltype"] = "User"
        elif ":role/" in principal.canonical:
            context["aws:principaltype"] = "AssumedRole"  # a role acts through its sessions
    elif kind == "service":
        context["aws:principalisawsservice"] = "true"
        context["aws:principalservicename"] = principal.value
    elif kind == "anonymous":  # an unsigned request has no principal, so no organisation
        context["aws:principalorgid"] = ABSENT
    if org_id is not None:
        context["aws:principalorgid"] = org_id
    if resource_account is not None:
        context["aws:resourceaccount"] = resource_account
    return context


def known_context(request: Request) -> dict[str, Any]:
    """The condition keys graphgov knows for a request (lower-cased), `request.context` overriding.

    aws:SecureTransport is taken as true: every AWS SDK, the CLI and the console call AWS over TLS, so a
    Deny on `aws:SecureTransport = false` never applies to the callers graphgov derives access for.
    aws:PrincipalArn is the graph's path-less user/role ARN; a role with a path should have its full
    ARN passed in `request.context` when conditions test the path. aws:PrincipalOrgID is known when
    `principal_org_id` is given (absent for anonymous callers); graphgov.access.model passes
    aws:PrincipalOrgID, aws:PrincipalOrgPaths and aws:ResourceOrgID in `request.context` when the
    accounts' membership is known at the time asked about. Keys known to be absent can be passed with
    the value None.
    """
    principal = _principal(request.principal, request.principal_account)
    resource_account = request.resource_account or _resource_account(request.resource)
    context = dict(_base_context(principal, request.principal_org_id, resource_account))
    if request.context:
        context.update(normalize_context(request.context))
    return context


# --- scanning the policies ------------------------------------------------------------------------


def _candidates(document: PolicyDocument, action: str) -> tuple[tuple[int, CompiledStatement], ...]:
    """The document's statements whose Action/NotAction covers the action, with their positions.

    Kept per document and action (a derivation asks few distinct actions of the same documents many
    times), so the hot path only matches resources, principals and conditions.
    """
    by_action = document.__dict__.get("_by_action")
    if by_action is None:
        by_action = document.__dict__["_by_action"] = {}
    found = by_action.get(action)
    if found is None:
        forms = [compiled(statement) for statement in document.statements]
        found = by_action[action] = tuple((index, form) for index, form in enumerate(forms)
                                          if form.action is not None and form.action(action))
    return found


class _Context:
    """The request context, built only when a condition has to be settled."""

    __slots__ = ("request", "value")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.value: dict[str, Any] | None = None

    def get(self) -> dict[str, Any]:
        if self.value is None:
            self.value = known_context(self.request)
        return self.value


# A hit: (label, statement index, compiled statement, status) with status True (conditions hold) or
# None (unsettled); statements whose conditions fail are not hits.
Hit = tuple[str, int, CompiledStatement, "bool | None"]


def _scan(documents: tuple[Labeled, ...], action: str, resource: str, context: _Context,
          allows: list[Hit], denies: list[Hit]) -> None:
    """Identity-style documents (identity, boundary, SCP, RCP): no principal to match."""
    for labeled in documents:
        for index, form in _candidates(labeled.document, action):
            if not form.resource(resource):
                continue
            condition = form.condition
            status = True if condition is None else condition.evaluate(context.get())
            if status is not False:
                (denies if form.deny else allows).append((labeled.label, index, form, status))


def _flag(hits: list[Hit]) -> int:
    """2: some hit surely applies; 1: some may (unsettled); 0: none."""
    if not hits:
        return 0
    for hit in hits:
        if hit[3] is True:
            return 2
    return 1


def _ref(hit: Hit) -> str:
    sid = hit[2].statement.sid
    return f"{hit[0]}#{sid if sid else hit[1]}"


class _Scan:
    """Everything the decision rules need, gathered in one pass over the policies."""

    __slots__ = ("identity_allow", "identity_deny", "boundary_allow", "boundary_deny", "direct", "bypass",
                 "account", "resource_deny", "scp_deny", "scp_allow", "rcp_deny", "other_allow")

    def __init__(self) -> None:
        self.identity_allow: list[Hit] = []
        self.identity_deny: list[Hit] = []
        self.boundary_allow: list[Hit] = []
        self.boundary_deny: list[Hit] = []
        self.direct: list[Hit] = []  # resource grants naming the principal (or `*`)
        self.bypass: list[Hit] = []  # the direct grants a permissions boundary does not limit
        self.account: list[Hit] = []  # resource grants naming the principal's account
        self.resource_deny: list[Hit] = []
        self.scp_deny: list[Hit] = []
        self.scp_allow: list[list[Hit]] = []  # one list per SCP level
        self.rcp_deny: list[Hit] = []
        self.other_allow: list[Hit] = []  # SCP/RCP allows (only their conditions are reported)

    def hits(self) -> list[Hit]:
        return (self.identity_allow + self.identity_deny + self.boundary_allow + self.boundary_deny
                + self.direct + self.account + self.resource_deny + self.scp_deny + self.rcp_deny
                + self.other_allow)


def _scan_resource(documents: tuple[Labeled, ...], request: Request, principal: _Principal, bounded: bool,
                   context: _Context, scan: _Scan) -> None:
    action, resource = request.action, request.resource
    kind = principal.kind
    for labeled in documents:
        for index, form in _candidates(labeled.document, action):
            if not form.resource(resource):
                continue
            bypass = False
            if form.principals is not None:
                level = form.principals.level(principal.value, principal.canonical, principal.account)
                if level == 2:
                    bypass = kind == "user" or (kind == "role" and (
                        form.principals.anyone or principal.canonical in form.principals.sessions))
            elif form.not_principals is not None:
                excluded = form.not_principals.level(principal.value, principal.canonical, principal.account)
                level = 0 if excluded else 2
                bypass = level == 2 and kind == "user"
                # IAM User Guide, NotPrincipal: a Deny with NotPrincipal always denies an IAM principal
                # that has a permissions boundary, whatever NotPrincipal names.
                if form.deny and bounded and kind in _IAM_KINDS:
                    level = 2
            else:
                continue  # a resource-policy statement without a principal applies to no one
            if level == 0:
                continue
            condition = form.condition
            status = True if condition is None else condition.evaluate(context.get())
            if status is False:
                continue
            hit = (labeled.label, index, form, status)
            if form.deny:
                scan.resource_deny.append(hit)
            elif level == 2:
                scan.direct.append(hit)
                if bypass:
                    scan.bypass.append(hit)
            else:
                scan.account.append(hit)


# --- the decision rules ---------------------------------------------------------------------------


class _Flags:
    """Per policy part: 2 if some applicable statement surely holds, 1 if one may (unsettled), 0 if none."""

    __slots__ = ("identity_allow", "identity_deny", "bounded", "boundary_allow", "boundary_deny", "direct", "bypass",
                 "account", "resource_deny", "scp", "scp_ok", "scp_deny", "rcp_deny")

    def __init__(self, scan: _Scan, root: bool, bounded: bool, scp: bool) -> None:
        self.identity_allow = 2 if root else _flag(scan.identity_allow)
        self.identity_deny = _flag(scan.identity_deny)
        self.bounded = bounded
        self.boundary_allow = _flag(scan.boundary_allow)
        self.boundary_deny = _flag(scan.boundary_deny)
        self.direct = _flag(scan.direct)
        self.bypass = _flag(scan.bypass)
        self.account = _flag(scan.account)
        self.resource_deny = _flag(scan.resource_deny)
        self.scp = scp
        self.scp_ok = min((_flag(level) for level in scan.scp_allow), default=2)
        self.scp_deny = _flag(scan.scp_deny)
        self.rcp_deny = _flag(scan.rcp_deny)


def _core(flags: _Flags, kind: str, resource_kind: str, same: bool, identity_allow: int,
          optimistic: bool) -> tuple[str, tuple[str, ...]]:
    """AWS's rules with every unsettled statement taken one way: allows hold and denies do not
    (optimistic), or the reverse. Returns the outcome and which grants carried an allow."""
    need_allow = 1 if optimistic else 2
    need_deny = 2 if optimistic else 1
    if max(flags.identity_deny, flags.boundary_deny, flags.resource_deny, flags.scp_deny,
           flags.rcp_deny) >= need_deny:
        return "deny", ()
    if flags.scp and flags.scp_ok < need_allow:
        return "implicit-deny", ()
    if kind not in _IAM_KINDS:
        return ("allow", ("direct",)) if flags.direct >= need_allow else ("implicit-deny", ())
    boundary_ok = not flags.bounded or flags.boundary_allow >= need_allow
    identity_side = identity_allow >= need_allow and boundary_ok
    if boundary_ok:
        direct, direct_group = flags.direct >= need_allow, "direct"
    else:
        direct, direct_group = flags.bypass >= need_allow, "bypass"
    groups: tuple[str, ...] = ()
    if same:
        if resource_kind in ("kms", "trust"):
            if direct:
                groups += (direct_group,)
            if identity_side and flags.account >= need_allow:
                groups += ("identity", "account")
        else:
            if identity_side:
                groups += ("identity",)
            if direct:
                groups += (direct_group,)
    elif identity_side and (flags.direct >= need_allow or flags.account >= need_allow):
        groups = ("identity",)
        if flags.direct >= need_allow:
            groups += ("direct",)
        if flags.account >= need_allow:
            groups += ("account",)
    return ("allow", groups) if groups else ("implicit-deny", ())


def _settle(flags: _Flags, kind: str, resource_kind: str, same: bool,
            identity_allow: int) -> tuple[str, tuple[str, ...]]:
    """Both extremes agree: settled. Only the optimistic one allows: conditional."""
    optimistic = _core(flags, kind, resource_kind, same, identity_allow, True)
    pessimistic = _core(flags, kind, resource_kind, same, identity_allow, False)
    if optimistic[0] == pessimistic[0]:
        return optimistic
    if optimistic[0] == "allow":
        return "conditional", optimistic[1]
    return "implicit-deny", ()  # never allowed; whether explicitly depends on an unsettled Deny


def _with_identity(flags: _Flags, kind: str, resource_kind: str, same: bool,
                   identity_known: bool) -> tuple[str, tuple[str, ...]]:
    if identity_known:
        return _settle(flags, kind, resource_kind, same, flags.identity_allow)
    granted = _settle(flags, kind, resource_kind, same, 2)
    refused = _settle(flags, kind, resource_kind, same, 0)
    if granted[0] == refused[0]:
        return refused
    return "unknown", granted[1]


def decide(request: Request, policies: PolicySet) -> EffectiveDecision:
    """AWS's decision for the request under the policy set (see the module docstring for the rules)."""
    decision = _decide(request, policies)
    if policies.unseen_resource is None or decision.outcome in ("deny", "allow", "conditional"):
        return decision
    marker = f"unknown:{policies.unseen_resource}"
    granted = _decide(request, replace(policies, resource=(
        *policies.resource, Labeled(marker, _granting()))))
    if granted.outcome not in ("allow", "conditional", "unknown"):
        return decision
    via = tuple(sorted({v for v in granted.via if not v.startswith(f"{marker}#")} | {marker}))
    return EffectiveDecision("unknown", via, tuple(sorted({*decision.conditions, *granted.conditions})),
                             decision.denied_by)


@lru_cache(maxsize=1)
def _granting() -> PolicyDocument:
    """The most an unseen resource policy could say: Allow the action to `*` (which also reaches a role's
    session past a permissions boundary, as naming the session would)."""
    return parse_policy({"Version": "2012-10-17", "Statement": [
        {"Sid": "unseen", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})


def _decide(request: Request, policies: PolicySet) -> EffectiveDecision:
    principal = _principal(request.principal, request.principal_account)
    kind = principal.kind
    action, resource = request.action, request.resource
    context = _Context(request)
    scan = _Scan()
    iam = kind in _IAM_KINDS
    identity_known = True
    if iam and kind != "root":
        if policies.identity is None:
            identity_known = False
        else:
            for named in (resource, *request.identity_resources):
                _scan(policies.identity, action, named, context, scan.identity_allow, scan.identity_deny)
    bounded = iam and policies.boundary is not None
    if bounded:
        for named in (resource, *request.identity_resources):
            _scan(policies.boundary or (), action, named, context, scan.boundary_allow, scan.boundary_deny)
    _scan_resource(policies.resource, request, principal, bounded, context, scan)
    scp = iam and bool(policies.scp_levels)
    if scp:
        for level in policies.scp_levels:
            allows: list[Hit] = []
            _scan(level, action, resource, context, allows, scan.scp_deny)
            scan.scp_allow.append(allows)
            scan.other_allow += allows
    for level in policies.rcp_levels:
        _scan(level, action, resource, context, scan.other_allow, scan.rcp_deny)

    flags = _Flags(scan, kind == "root", bounded, scp)
    resource_kind = policies.resource_kind
    resource_account = request.resource_account or _resource_account(resource)
    marker = False
    if not iam:
        outcome, groups = _with_identity(flags, kind, resource_kind, False, True)
    elif resource_account is not None and principal.account is not None:
        outcome, groups = _with_identity(flags, kind, resource_kind, principal.account == resource_account,
                                         identity_known)
    else:
        same = _with_identity(flags, kind, resource_kind, True, identity_known)
        cross = _with_identity(flags, kind, resource_kind, False, identity_known)
        if same[0] == cross[0]:
            outcome, groups = same[0], same[1] + cross[1]
        else:
            outcome, groups, marker = "conditional", same[1] + cross[1], True
    return _report(outcome, groups, scan, marker)


_GROUPS = ("identity", "direct", "bypass", "account")


def _report(outcome: str, groups: tuple[str, ...], scan: _Scan, marker: bool) -> EffectiveDecision:
    via: tuple[str, ...] = ()
    if groups and outcome in ("allow", "conditional", "unknown"):
        refs: set[str] = set()
        for group, hits in zip(_GROUPS, (scan.identity_allow, scan.direct, scan.bypass, scan.account), strict=True):
            if group in groups:
                refs.update(_ref(hit) for hit in hits)
        via = tuple(sorted(refs))
    conditions: tuple[str, ...] = ()
    if outcome in ("conditional", "unknown"):
        texts = {hit[2].condition.text for hit in scan.hits() if hit[3] is None and hit[2].condition}
        if marker:
            texts.add(UNKNOWN_RESOURCE_ACCOUNT)
        conditions = tuple(sorted(texts))
    wanted = True if outcome == "deny" else None
    denied_by = {_ref(hit) for hits in (scan.identity_deny, scan.boundary_deny, scan.resource_deny, scan.scp_deny,
                                        scan.rcp_deny) for hit in hits if hit[3] is wanted}
    return EffectiveDecision(outcome, via, conditions, tuple(sorted(denied_by)))  # type: ignore[arg-type]


# --- requests that several resource policies must each allow -------------------------------------


@dataclass(frozen=True)
class Layer:
    """One resource whose own policy must allow the request (S3 User Guide, "Configuring IAM policies for
    using access points": through an access point, both the access point and the bucket must permit it).

    `resource`/`resource_account` are what that policy is asked about (the access point's
    `accesspoint/<name>/object/<key>`, the bucket's `arn:aws:s3:::<bucket>/<key>`); `unseen` names the
    policy when it was never seen (`access-point-policy:<arn>`); `context` adds what the layer knows
    (`s3:DataAccessPointArn`, `s3:DataAccessPointAccount`).
    """

    resource: str
    resource_account: str | None
    documents: tuple[Labeled, ...] = ()
    resource_kind: ResourceKind = "s3"
    unseen: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)


_LAYER_RANK = {"deny": 0, "implicit-deny": 1, "unknown": 2, "conditional": 3, "allow": 4}


def decide_layers(request: Request, policies: PolicySet, layers: tuple[Layer, ...]) -> EffectiveDecision:
    """The request decided once per layer, with the same identity side, boundary, SCPs and RCPs, each layer
    under the usual same- and cross-account rules for its own resource and owner; every layer must allow,
    so the weakest answer wins (an explicit Deny anywhere denies). Identity statements may name the
    resource of any layer (`Request.identity_resources`). `via`, `conditions` and `denied_by` are the
    union over the layers."""
    if not layers:
        return decide(request, policies)
    named = tuple(dict.fromkeys(layer.resource for layer in layers))
    decisions = []
    for layer in layers:
        asked = replace(request, resource=layer.resource, resource_account=layer.resource_account,
                        context={**request.context, **layer.context},
                        identity_resources=tuple(r for r in (*named, *request.identity_resources)
                                                 if r != layer.resource))
        decisions.append(decide(asked, replace(policies, resource=layer.documents, resource_kind=layer.resource_kind,
                                               unseen_resource=layer.unseen)))
    weakest = min(decisions, key=lambda d: _LAYER_RANK[d.outcome]).outcome
    allowing = weakest in ("allow", "conditional", "unknown")
    via = sorted({v for d in decisions for v in d.via}) if allowing else []
    conditions = sorted({c for d in decisions for c in d.conditions}) if weakest in ("conditional", "unknown") else []
    denied = sorted({r for d in decisions for r in d.denied_by if weakest != "deny" or d.outcome == "deny"})
    return EffectiveDecision(weakest, tuple(via), tuple(conditions), tuple(denied))  # type: ignore[arg-type]
