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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import unquote

from graphgov import ids

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


@dataclass(frozen=True)
class PolicyDocument:
    statements: tuple[Statement, ...]
    version: str | None = None


def parse_policy(value: str | Mapping[str, Any]) -> PolicyDocument:
    """A policy from a JSON object, a JSON string, or a URL-encoded JSON string."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("%7B") or text.startswith("%7b"):
            text = unquote(text)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"policy document is not JSON: {exc}") from exc
    if not isinstance(value, Mapping):
        raise PolicyError("policy document is not a JSON object")
    raw = value.get("Statement")
    if isinstance(raw, Mapping):
        raw = [raw]  # a single statement may stand without a list
    if not isinstance(raw, list) or not raw:
        raise PolicyError("policy document has no Statement")
    return PolicyDocument(tuple(_statement(s) for s in raw), value.get("Version"))


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise PolicyError(f"expected a string or a list of strings, got {value!r}")


def _principal_block(value: Any) -> Mapping[str, tuple[str, ...]] | None:
    if value is None:
        return None
    if value == "*":
        return {"AWS": ("*",)}
    if not isinstance(value, Mapping):
        raise PolicyError(f"Principal must be \"*\" or an object, got {value!r}")
    return {str(kind): _strings(ids) for kind, ids in value.items()}


def _statement(raw: Any) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError("a Statement entry is not an object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"Statement Effect must be Allow or Deny, got {effect!r}")
    conditions = raw.get("Condition") or {}
    if not isinstance(conditions, Mapping):
        raise PolicyError("Statement Condition is not an object")
    return Statement(
        effect=effect, actions=_strings(raw.get("Action")), not_actions=_strings(raw.get("NotAction")),
        resources=_strings(raw.get("Resource")), not_resources=_strings(raw.get("NotResource")),
        principals=_principal_block(raw.get("Principal")), not_principals=_principal_block(raw.get("NotPrincipal")),
        conditions=conditions, sid=raw.get("Sid"),
    )


@lru_cache(maxsize=4096)
def _pattern(glob: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in glob)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE)


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """`s3:Get*` matches `s3:GetObject`; action names are case-insensitive."""
    return any(_pattern(p, False).match(action) for p in patterns)


def resource_matches(patterns: Iterable[str], arn: str) -> bool:
    """`arn:aws:s3:::bucket/train/*` matches objects under train/; ARNs are case-sensitive."""
    return any(_pattern(p, True).match(arn) for p in patterns)


def _account_of(principal: str) -> str | None:
    parts = principal.split(":")
    return parts[4] if principal.startswith("arn:") and len(parts) > 4 and parts[4] else None


def principal_matches(block: Mapping[str, tuple[str, ...]], principal: str) -> bool:
    """Whether a Principal block names the principal (an ARN, a service name or a provider ARN)."""
    for kind, names in block.items():
        for name in names:
            if name == "*" and kind == "AWS":
                return True
            if kind == "AWS":
                if _canonical(name) == _canonical(principal):
                    return True
                account = name if re.fullmatch(r"\d{12}", name) else _root_account(name)
                if account and _account_of(principal) == account:
                    return True
            elif kind in ("Service", "Federated", "CanonicalUser") and name == principal:
                return True
    return False


def _canonical(name: str) -> str:
    """Path-less IAM user/role ARNs, the graph's keys (a policy may name a role with its path)."""
    try:
        return ids.canonical_principal_arn(name)
    except ids.IdentityError:
        return name


def _root_account(name: str) -> str | None:
    match = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):root", name)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    allowing: tuple[Statement, ...] = ()
    denying: tuple[Statement, ...] = ()
    conditional: tuple[Statement, ...] = ()


def statement_applies(statement: Statement, action: str, resource: str, principal: str | None) -> bool:
    """Whether the statement covers the request, conditions aside."""
    if statement.actions and not action_matches(statement.actions, action):
        return False
    if statement.not_actions and action_matches(statement.not_actions, action):
        return False
    if not statement.actions and not statement.not_actions:
        return False
    if statement.resources and not resource_matches(statement.resources, resource):
        return False
    if statement.not_resources and resource_matches(statement.not_resources, resource):
        return False
    if statement.principals is not None and (principal is None or not principal_matches(statement.principals,
                                                                                        principal)):
        return False
    return not (statement.not_principals is not None and principal is not None
                and principal_matches(statement.not_principals, principal))


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
            if statement.conditions:
                verdict = settled.get(json.dumps(statement.conditions, sort_keys=True))
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
