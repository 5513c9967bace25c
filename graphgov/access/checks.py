"""Why a policy state cannot be evaluated: one check per kind of state, shared by the evaluator and the load.

A policy document goes through graphgov.access.policy.parse_policy (the evaluator's edge), a KMS grant through
`grant_document`, replication rules through graphgov.ingest.replication.rules_error, and the settings documents
(ACL, Block Public Access, Object Ownership, key state, organisation membership) are checked for the
fields the access model decides with. A state that fails is quarantined by the load with its evidence and
stands in the answers it takes part in as unreadable (graphgov.access.model.UNREADABLE): never a guess.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from graphgov.access.policy import PolicyDocument, PolicyError, parse_policy
from graphgov.access.timeline import Resolved, State
from graphgov.ingest.replication import rules_error


@lru_cache(maxsize=65536)
def document_error(text: str) -> str | None:
    """Why a policy document cannot be evaluated (graphgov.access.policy's named error), or None when it can."""
    try:
        parse_policy(text)
    except PolicyError as exc:
        return str(exc)
    return None


def settings_object(text: str | None) -> Mapping[str, Any] | None:
    """A settings document (ACL, public access block, key state, grant...) when it is a JSON object, else
    None; the access model and these checks read states through this one function."""
    try:
        value = json.loads(text) if text else None
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, Mapping) else None


# Kinds whose document is a policy the evaluator reads; the other kinds hold settings objects (or a list).
POLICY_KINDS = frozenset({"identity", "trust", "policy-version", "default-version", "resource", "key-policy",
                          "org-policy"})


def state_error(state: State) -> str | None:
    """Why a policy state cannot be evaluated, or None: the evaluator's own named error for a policy
    document; for a grant, replication rules or settings, the shape that does not fit."""
    text = state.document
    if not text:
        return None
    if state.kind in POLICY_KINDS:
        return document_error(text)
    if state.kind == "grant":
        try:
            grant_document(Resolved(state))
        except PolicyError as exc:
            return str(exc)
        return None
    if state.kind == "replication":
        return rules_error(text)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return f"{state.kind} document is not JSON"
    return _settings_error(state.kind, value)


def _settings_error(kind: str, value: Any) -> str | None:
    if kind == "inventory":
        return None if isinstance(value, list) else "inventory document is not a JSON list"
    if not isinstance(value, dict):
        return f"{kind} document is not a JSON object"
    for name, wanted in SETTINGS_FIELDS.get(kind, {}).items():
        if value.get(name) is not None and not isinstance(value[name], wanted):
            return f"{kind} document field {name} is not {_TYPE_NAMES[wanted]}"
    return None


# The settings fields the access model decides with, and their JSON types (null stands for absent).
SETTINGS_FIELDS: dict[str, dict[str, type]] = {
    "acl": {"Grants": list},
    "public-access-block": {flag: bool for flag in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                                    "RestrictPublicBuckets")},
    "ownership": {"ObjectOwnership": str},
    "key-state": {"KeyState": str},
    "org-parent": {"from": str},
    "org-membership": {"via": str, "joined": bool},
}
_TYPE_NAMES = {list: "a list", bool: "a boolean", str: "a text"}


def grant_document(resolved: Resolved) -> PolicyDocument | None:
    """A KMS grant as the Allow statement it amounts to (its constraints become conditions); None for a
    grant retired or revoked (no document). PolicyError names a grant whose fields do not have their shapes."""
    if resolved.state is None or not resolved.state.document:
        return None
    grant = settings_object(resolved.state.document)
    if grant is None:
        raise PolicyError("grant document is not a JSON object")
    grantee, operations = grant.get("GranteePrincipal"), grant.get("Operations")
    if not isinstance(grantee, str) or not grantee:
        raise PolicyError("grant GranteePrincipal is not a principal name")
    if not operations:  # CloudTrail records of 2014 (KMS developer guide) leave them out
        raise PolicyError("grant Operations not recorded: what the grant allows is not known")
    if not isinstance(operations, list) or not all(isinstance(op, str) for op in operations):
        raise PolicyError("grant Operations is not a list of operation names")
    principal = {"Service": grantee} if grantee.endswith(".amazonaws.com") else {"AWS": grantee}
    statement: dict[str, Any] = {"Sid": resolved.state.slot, "Effect": "Allow", "Principal": principal,
                                 "Action": [f"kms:{op}" for op in operations], "Resource": "*"}
    constraints = grant.get("Constraints") or {}
    if not isinstance(constraints, Mapping):
        raise PolicyError("grant Constraints is not an object")
    condition: dict[str, dict[str, Any]] = defaultdict(dict)
    for name, operator in (("EncryptionContextEquals", "StringEquals"), ("EncryptionContextSubset", "StringEquals")):
        pairs = constraints.get(name) or {}
        if not isinstance(pairs, Mapping):
            raise PolicyError(f"grant Constraints {name} is not an object")
        for context_key, value in pairs.items():
            condition[operator][f"kms:EncryptionContext:{context_key}"] = value
    if condition:
        statement["Condition"] = dict(condition)
    return parse_policy({"Version": "2008-10-17", "Statement": [statement]})  # context values are literal
