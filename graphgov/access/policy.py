"""IAM policy documents: parsed once, matched exactly as IAM matches them.

A building block of the access work (issue 4): CloudTrail delivers policy documents as JSON strings,
sometimes URL-encoded (IAM responses), or as objects (S3 bucket policies); `parse_policy` accepts all
three. `evaluate` applies one or more documents to a request the way IAM's policy logic does within a
policy set: an explicit Deny wins, then an Allow, else the request is implicitly denied. Conditions
are never guessed: a statement whose conditions the caller cannot settle makes the outcome
`conditional`, and the statements responsible are reported.

Matching rules (IAM documentation): action names are case-insensitive, resource ARNs are
case-sensitive; both take `*` (any run of characters) and `?` (one character); a `Principal` of `"*"`
or `{"AWS": "*"}` is anyone; an account id or `arn:aws:iam::<acct>:root` names every principal of
that account.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import unquote

from graphgov.access.conditions import compile_block
from graphgov.core import ids

Effect = Literal["Allow", "Deny"]
Outcome = Literal["allow", "deny", "conditional", "implicit-deny"]


class PolicyError(ValueError):
    """A policy document that cannot be read as one."""


@dataclass(frozen=True)
class Statement:
    effect: Effect
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: Mapping[str, tuple[str, ...]] | None = None  # None: an identity policy (no Principal)
    not_principals: Mapping[str, tuple[str, ...]] | None = None
    conditions: Mapping[str, Any] = field(default_factory=dict)
    sid: str | None = None
    variables: bool = True  # policy variables are substituted (Version 2012-10-17); else `${...}` is literal


@dataclass(frozen=True)
class PolicyDocument:
    statements: tuple[Statement, ...]
    version: str | None = None


VERSIONS = frozenset({"2012-10-17", "2008-10-17"})
UNWRAP_LAYERS = 3  # JSON-in-a-string / URL-encoded layers peeled before giving up


def parse_policy(value: str | Mapping[str, Any]) -> PolicyDocument:
    """A policy from a JSON object, a JSON string, or a URL-encoded JSON string (a few layers deep).

    The evaluator's edge: whatever it is given, the result is a document whose every part has the shape
    the evaluator expects, or a PolicyError naming what does not fit. No other exception escapes, so an
    unreadable document can be reported (and its answers made `unknown`) instead of crashing a derivation.
    """
    try:
        return _parse(value)
    except PolicyError:
        raise
    except (RecursionError, TypeError, ValueError, AttributeError, KeyError) as exc:  # defensive: never escape
        raise PolicyError(f"policy document cannot be read: {type(exc).__name__}") from exc


def _unwrap(value: Any) -> Any:
    """Text -> JSON value, peeling URL-encoding and JSON-in-a-string layers (IAM responses, re-encoded logs)."""
    for _ in range(UNWRAP_LAYERS):
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text[:3].lower() == "%7b":
            text = unquote(text)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"policy document is not JSON: {exc}") from exc
    if isinstance(value, str):
        raise PolicyError(f"policy document is a string nested more than {UNWRAP_LAYERS} times")
    return value


def _parse(value: Any) -> PolicyDocument:
    value = _unwrap(value)
    if not isinstance(value, Mapping):
        raise PolicyError(f"policy document is not a JSON object (got {_kind(value)})")
    version = value.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyError(f"policy Version must be one of {sorted(VERSIONS)}, got {_show(version)}")
    raw = value.get("Statement")
    if isinstance(raw, Mapping):
        raw = [raw]  # a single statement may stand without a list
    if not isinstance(raw, list) or not raw:
        raise PolicyError(f"policy document has no Statement list (got {_kind(raw)})")
    statements = tuple(_statement(s, index) for index, s in enumerate(raw))
    if version != "2012-10-17":  # IAM's default Version, 2008-10-17, has no policy variables
        statements = tuple(replace(s, variables=False) for s in statements)
    return PolicyDocument(statements, version)


def _kind(value: Any) -> str:
    """A value's JSON type, for error messages (never the value itself: it may be long)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{_kind(value)} of {len(text)} characters"


def _strings(value: Any, name: str = "value") -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise PolicyError(f"{name} must be a string or a list of strings, got {_show(value)}")


def _principal_block(value: Any, name: str = "Principal") -> Mapping[str, tuple[str, ...]] | None:
    if value is None:
        return None
    if value == "*":
        return {"AWS": ("*",)}
    if not isinstance(value, Mapping):
        raise PolicyError(f"{name} must be \"*\" or an object, got {_show(value)}")
    return {str(kind): _strings(names, f"{name} {kind}") for kind, names in value.items()}


def _condition_value(value: Any) -> bool:
    """IAM condition values: strings, booleans and finite numbers (IAM compares their text)."""
    if isinstance(value, (str, bool)):
        return True
    return isinstance(value, (int, float)) and math.isfinite(value)


def _conditions(raw: Any) -> Mapping[str, Any]:
    """A Condition block checked whole: operator -> {key: value or list of values}; anything else is named."""
    if raw is None or raw == {}:
        return {}
    if not isinstance(raw, Mapping):
        raise PolicyError(f"Statement Condition must be an object, got {_show(raw)}")
    for operator, entries in raw.items():
        if not isinstance(entries, Mapping) or not entries:
            raise PolicyError(f"Condition operator {operator} must map condition keys to values, got {_show(entries)}")
        for key, values in entries.items():
            items = values if isinstance(values, list) else [values]
            if not items or not all(_condition_value(v) for v in items):
                raise PolicyError(f"Condition {operator} {key}: values must be strings, booleans or finite numbers"
                                  f" (or a list of them), got {_show(values)}")
    return raw


def _statement(raw: Any, index: int = 0) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"Statement {index} is not an object (got {_kind(raw)})")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"Statement {index} Effect must be Allow or Deny, got {_show(effect)}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"Statement {index} Sid must be a string, got {_show(sid)}")
    return Statement(
        effect=effect, actions=_strings(raw.get("Action"), "Action"),
        not_actions=_strings(raw.get("NotAction"), "NotAction"),
        resources=_strings(raw.get("Resource"), "Resource"),
        not_resources=_strings(raw.get("NotResource"), "NotResource"),
        principals=_principal_block(raw.get("Principal")),
        not_principals=_principal_block(raw.get("NotPrincipal"), "NotPrincipal"),
        conditions=_conditions(raw.get("Condition")), sid=sid,
    )


@lru_cache(maxsize=4096)
def _pattern(glob: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in glob)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE)


def _always(_value: str) -> bool:
    return True


@lru_cache(maxsize=8192)
def _matcher(patterns: tuple[str, ...], case_sensitive: bool) -> Callable[[str], bool]:
    """One compiled test for a list of glob patterns (shared by every statement that lists them)."""
    if "*" in patterns:
        return _always
    if not any("*" in p or "?" in p for p in patterns):
        if case_sensitive:
            return frozenset(patterns).__contains__
        folded = frozenset(p.lower() for p in patterns)
        return lambda value: value.lower() in folded
    body = "|".join("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in p) for p in patterns)
    return re.compile(f"(?:{body})", re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE).fullmatch


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """`s3:Get*` matches `s3:GetObject`; action names are case-insensitive."""
    return bool(_matcher(tuple(patterns), False)(action))


def resource_matches(patterns: Iterable[str], arn: str) -> bool:
    """`arn:aws:s3:::bucket/train/*` matches objects under train/; ARNs are case-sensitive."""
    return bool(_matcher(tuple(patterns), True)(arn))


def _account_of(principal: str) -> str | None:
    parts = principal.split(":")
    return parts[4] if principal.startswith("arn:") and len(parts) > 4 and parts[4] else None


_ACCOUNT_ID = re.compile(r"\d{12}")


@dataclass(frozen=True)
class PrincipalSet:
    """A Principal (or NotPrincipal) block compiled for set lookups.

    `arns` holds path-less IAM user/role ARNs named directly; `sessions` the roles named through one
    of their assumed-role sessions; `accounts` the accounts named whole (`<id>` or `...:root`).
    """

    anyone: bool = False
    arns: frozenset[str] = frozenset()
    sessions: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    others: frozenset[str] = frozenset()  # Service, Federated and CanonicalUser names, matched exactly

    def level(self, principal: str, canonical: str, account: str | None) -> int:
        """2: named directly (or by `*`); 1: named through its account; 0: not named."""
        if self.anyone or canonical in self.arns or principal in self.others:
            return 2
        if account is not None and account in self.accounts:
            return 1
        return 0


@lru_cache(maxsize=16384)
def _principal_set(items: tuple[tuple[str, tuple[str, ...]], ...]) -> PrincipalSet:
    anyone = False
    arns: set[str] = set()
    sessions: set[str] = set()
    accounts: set[str] = set()
    others: set[str] = set()
    for kind, names in items:
        for name in names:
            if kind == "AWS":
                if name == "*":
                    anyone = True
                    continue
                account = name if _ACCOUNT_ID.fullmatch(name) else _root_account(name)
                if account:
                    accounts.add(account)
                    continue
                canonical = _canonical(name)
                arns.add(canonical)
                if canonical != name and ":assumed-role/" in name:
                    sessions.add(canonical)
            elif kind in ("Service", "Federated", "CanonicalUser"):
                others.add(name)
    return PrincipalSet(anyone, frozenset(arns), frozenset(sessions), frozenset(accounts), frozenset(others))


def principal_set(block: Mapping[str, tuple[str, ...]]) -> PrincipalSet:
    return _principal_set(tuple(sorted((str(k), tuple(v)) for k, v in block.items())))


def principal_matches(block: Mapping[str, tuple[str, ...]], principal: str) -> bool:
    """Whether a Principal block names the principal (an ARN, a service name or a provider ARN)."""
    return principal_set(block).level(principal, _canonical(principal), _account_of(principal)) > 0


def _canonical(name: str) -> str:
    """Path-less IAM user/role ARNs, the graph's keys (a policy may name a role with its path)."""
    try:
        return ids.canonical_principal_arn(name)
    except ids.IdentityError:
        return name


def _root_account(name: str) -> str | None:
    match = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):root", name)
    return match.group(1) if match else None


class CompiledStatement:
    """A statement's matching parts compiled once (cached on the statement): the evaluators' hot path."""

    __slots__ = ("statement", "deny", "action", "resource", "principals", "not_principals", "condition")

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self.deny = statement.effect == "Deny"
        actions, not_actions = statement.actions, statement.not_actions
        self.action: Callable[[str], bool] | None
        if actions and not_actions:
            positive, negative = _matcher(actions, False), _matcher(not_actions, False)
            self.action = lambda a: bool(positive(a)) and not negative(a)
        elif actions:
            self.action = _matcher(actions, False)
        elif not_actions:
            negative = _matcher(not_actions, False)
            self.action = lambda a: not negative(a)
        else:
            self.action = None  # neither Action nor NotAction: the statement covers nothing
        resources, not_resources = statement.resources, statement.not_resources
        if resources and not_resources:
            positive_r, negative_r = _matcher(resources, True), _matcher(not_resources, True)
            self.resource = lambda r: bool(positive_r(r)) and not negative_r(r)
        elif resources:
            self.resource = _matcher(resources, True)
        elif not_resources:
            negative_r = _matcher(not_resources, True)
            self.resource = lambda r: not negative_r(r)
        else:
            self.resource = _always
        self.principals = principal_set(statement.principals) if statement.principals is not None else None
        self.not_principals = (principal_set(statement.not_principals) if statement.not_principals is not None
                               else None)
        self.condition = compile_block(statement.conditions, statement.variables) if statement.conditions else None

    def covers(self, action: str, resource: str) -> bool:
        """Action and resource match, principal and conditions aside."""
        return self.action is not None and bool(self.action(action)) and bool(self.resource(resource))


def compiled(statement: Statement) -> CompiledStatement:
    """The statement's compiled form, built on first use and kept on the (immutable) statement."""
    found = statement.__dict__.get("_compiled")
    if found is None:
        found = statement.__dict__["_compiled"] = CompiledStatement(statement)
    return found


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    allowing: tuple[Statement, ...] = ()
    denying: tuple[Statement, ...] = ()
    conditional: tuple[Statement, ...] = ()


def statement_applies(statement: Statement, action: str, resource: str, principal: str | None) -> bool:
    """Whether the statement covers the request, conditions aside."""
    form = compiled(statement)
    if not form.covers(action, resource):
        return False
    if form.principals is not None and (principal is None or not principal_matches(statement.principals or {},
                                                                                    principal)):
        return False
    return not (form.not_principals is not None and principal is not None
                and principal_matches(statement.not_principals or {}, principal))


def evaluate(documents: Iterable[PolicyDocument], action: str, resource: str, principal: str | None = None,
             settled_conditions: Mapping[str, bool] | None = None) -> Decision:
    """IAM's logic over a set of documents: explicit Deny, else Allow, else implicit deny.

    `settled_conditions` maps a statement's JSON-encoded Condition block to whether it holds for this
    request; a condition not settled there makes its statement `conditional`.
    """
    settled = settled_conditions or {}
    allowing, denying, conditional = [], [], []
    for document in documents:
        for statement in document.statements:
            if not statement_applies(statement, action, resource, principal):
                continue
            condition = compiled(statement).condition
            if condition is not None:
                verdict = settled.get(condition.text)
                if verdict is None:
                    conditional.append(statement)
                    continue
                if not verdict:
                    continue
            (denying if statement.effect == "Deny" else allowing).append(statement)
    if denying:
        return Decision("deny", tuple(allowing), tuple(denying), tuple(conditional))
    if allowing and not any(s.effect == "Deny" for s in conditional):
        return Decision("allow", tuple(allowing), (), tuple(conditional))
    if allowing or any(s.effect == "Allow" for s in conditional):
        return Decision("conditional", tuple(allowing), (), tuple(conditional))
    return Decision("implicit-deny", (), (), tuple(conditional))
