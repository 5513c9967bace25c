"""IAM Condition blocks, settled against what is known about a request and never guessed.

A derivation asks "may P do A on R?" long after the fact, knowing the principal, the accounts and
sometimes the organization, but not the network path, the tags or the ExternalId of a real call. A
Condition block is therefore evaluated three-valued: True or False when every key it mentions is
known (present with a value, or known to be absent), None ("unsettled") as soon as one key it needs
is not known. The decision layer (graphgov.access.effective) turns unsettled blocks into `conditional`
answers and reports them.

Operator semantics follow the IAM reference (Condition operators, IfExists, Null, set operators):
several keys in a block and several operators are AND-ed; several values for one key are OR-ed, and
negated operators (`StringNotEquals`, `ArnNotLike`, ...) hold when the value matches none of them; a
missing key makes positive operators false and negated operators, `...IfExists` and `ForAllValues:`
true; `ForAnyValue:` needs one context value to match, `ForAllValues:` every one. Condition keys are
case-insensitive, values case-sensitive except for the `IgnoreCase` operators and `Bool`. Policy
variables (`${aws:PrincipalAccount}`) in values are substituted from the known context, or leave the
block unsettled when their key is not known.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

__all__ = ["ABSENT", "CompiledBlock", "compile_block", "evaluate_block", "normalize_context"]


class _Absent:
    """A key known not to be in the request context (as opposed to a key whose value is unknown)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
Test = Callable[[Mapping[str, Any]], "bool | None"]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def normalize_value(value: Any) -> Any:
    """Context values as IAM sees them: strings, booleans as "true"/"false", lists as tuples; None = absent."""
    if value is None or value is ABSENT:
        return ABSENT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(normalize_value(v) for v in value if v is not None)
    return str(value)


def normalize_context(values: Mapping[str, Any]) -> dict[str, Any]:
    """Lower-cased keys (IAM condition keys are case-insensitive) and normalized values."""
    return {str(key).lower(): normalize_value(value) for key, value in values.items()}


def _policy_values(raw: Any) -> tuple[str, ...] | None:
    """A condition's values as text; None when one is not a string, boolean or finite number (null, an
    object, a nested list, NaN): such a test is unsettled, never narrowed to the values that do fit."""
    items = raw if isinstance(raw, (list, tuple)) else (raw,)
    if not all(isinstance(v, (str, bool)) or (isinstance(v, (int, float)) and math.isfinite(v)) for v in items):
        return None
    return tuple(normalize_value(v) for v in items)


@lru_cache(maxsize=8192)
def _glob(pattern: str, case_sensitive: bool = True) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE)


# --- policy variables ---------------------------------------------------------------------------------


def _substitute(template: str, context: Mapping[str, Any], glob: bool) -> str | None | _Absent:
    """`${key}` replaced from the context: the text (a regex source when `glob`), ABSENT, or None (unknown).

    ABSENT means a referenced key is known to be missing and has no default: the value matches nothing.
    """
    out: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(template):
        literal = template[position:match.start()]
        out.append(_glob(literal).pattern if glob else literal)
        position = match.end()
        inner = match.group(1).strip()
        default: str | None = None
        if "," in inner:
            inner, _, rest = inner.partition(",")
            inner, rest = inner.strip(), rest.strip()
            if len(rest) >= 2 and rest[0] == rest[-1] == "'":
                default = rest[1:-1]
        if inner in _ESCAPES:
            text = _ESCAPES[inner]
        else:
            value = context.get(inner.lower())
            if value is None:
                return None
            if value is ABSENT:
                if default is None:
                    return ABSENT
                text = default
            elif isinstance(value, tuple):
                return None  # a multi-valued key cannot stand in a single value
            else:
                text = value
        out.append(re.escape(text) if glob else text)
    tail = template[position:]
    out.append(_glob(tail).pattern if glob else tail)
    return "".join(out)


# --- the positive forms of the operators -------------------------------------------------------------
# Each builder takes the policy values and returns match(value, context) -> bool | None.


def _templated(value: str, variables: bool) -> bool:
    """Whether a policy value holds policy variables: never in a policy of Version 2008-10-17 (or none), where
    IAM takes `${...}` literally (IAM User Guide, "IAM policy elements: Variables and tags")."""
    return variables and "${" in value


def _string_equals(values: tuple[str, ...], fold: bool,
                   variables: bool = True) -> Callable[[str, Mapping[str, Any]], bool | None]:
    plain = frozenset(v.casefold() if fold else v for v in values if not _templated(v, variables))
    templated = tuple(v for v in values if _templated(v, variables))

    def match(value: str, context: Mapping[str, Any]) -> bool | None:
        probe = value.casefold() if fold else value
        if probe in plain:
            return True
        unknown = False
        for template in templated:
            text = _substitute(template, context, glob=False)
            if text is None:
                unknown = True
            elif text is not ABSENT and (text.casefold() if fold else text) == probe:
                return True
        return None if unknown else False

    return match


def _string_like(values: tuple[str, ...], variables: bool = True) -> Callable[[str, Mapping[str, Any]], bool | None]:
    plain = [v for v in values if not _templated(v, variables)]
    combined = re.compile("|".join(f"(?:{_glob(v).pattern})" for v in plain), re.DOTALL) if plain else None
    templated = tuple(v for v in values if _templated(v, variables))

    def match(value: str, context: Mapping[str, Any]) -> bool | None:
        if combined is not None and combined.fullmatch(value):
            return True
        unknown = False
        for template in templated:
            source = _substitute(template, context, glob=True)
            if source is None:
                unknown = True
            elif source is not ABSENT and re.fullmatch(source, value, re.DOTALL):
                return True
        return None if unknown else False

    return match


def _arn_parts(value: str) -> list[str] | None:
    parts = value.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def _arn_like(values: tuple[str, ...], variables: bool = True) -> Callable[[str, Mapping[str, Any]], bool | None]:
    """ArnEquals/ArnLike: each of the six colon-separated parts is matched on its own, wildcards allowed."""

    def compile_one(pattern: str) -> list[re.Pattern[str]] | None:
        parts = _arn_parts(pattern)
        return [_glob(part) for part in parts] if parts else None

    plain = [p for p in (compile_one(v) for v in values if not _templated(v, variables)) if p is not None]
    templated = tuple(v for v in values if _templated(v, variables))

    def match(value: str, context: Mapping[str, Any]) -> bool | None:
        parts = _arn_parts(value)
        if parts is None:
            return False
        for patterns in plain:
            if all(p.fullmatch(part) for p, part in zip(patterns, parts, strict=True)):
                return True
        unknown = False
        for template in templated:
            text = _substitute(template, context, glob=False)
            if text is None:
                unknown = True
            elif text is not ABSENT:
                patterns = compile_one(text)
                if patterns and all(p.fullmatch(part) for p, part in zip(patterns, parts, strict=True)):
                    return True
        return None if unknown else False

    return match


def _bool(values: tuple[str, ...]) -> Callable[[str, Mapping[str, Any]], bool | None]:
    wanted = frozenset(v.lower() for v in values)

    def match(value: str, context: Mapping[str, Any]) -> bool | None:
        lowered = value.lower()
        return lowered in ("true", "false") and lowered in wanted

    return match


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> float | None:
    """ISO 8601 (W3C profile) or epoch seconds, as seconds since the epoch (UTC when no zone is given)."""
    if re.fullmatch(r"-?\d+", text):
        return float(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "equals": lambda a, b: a == b, "lessthan": lambda a, b: a < b, "lessthanequals": lambda a, b: a <= b,
    "greaterthan": lambda a, b: a > b, "greaterthanequals": lambda a, b: a >= b,
}


def _ordered(values: tuple[str, ...], parse: Callable[[str], float | None],
             compare: Callable[[float, float], bool]) -> Callable[[str, Mapping[str, Any]], bool | None]:
    limits = [parse(v) for v in values]

    def match(value: str, context: Mapping[str, Any]) -> bool | None:
        number = parse(value)
        if number is None:
            return False
        return any(limit is not None and compare(number, limit) for limit in limits)

    return match


def _ip(values: tuple[str, ...]) -> Callable[[str, Mapping[str, Any]], bool | None]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            continue

    def match(value: str, context: Mapping[str, Any]) -> bool | None:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        return any(address.version == n.version and address in n for n in networks)

    return match


def _base_operator(name: str, values: tuple[str, ...], variables: bool = True):
    """(positive matcher, negated?) for a base operator name, or None when graphgov does not know it."""
    if name in ("stringequals", "stringnotequals"):
        return _string_equals(values, False, variables), name == "stringnotequals"
    if name in ("stringequalsignorecase", "stringnotequalsignorecase"):
        return _string_equals(values, True, variables), name == "stringnotequalsignorecase"
    if name in ("stringlike", "stringnotlike"):
        return _string_like(values, variables), name == "stringnotlike"
    if name in ("arnequals", "arnlike", "arnnotequals", "arnnotlike"):
        return _arn_like(values, variables), name in ("arnnotequals", "arnnotlike")
    if name == "bool":
        return _bool(values), False
    if name == "binaryequals":
        return _string_equals(values, fold=False), False
    if name in ("ipaddress", "notipaddress"):
        return _ip(values), name == "notipaddress"
    for family, parse in (("numeric", _number), ("date", _date)):
        if name.startswith(family):
            rest = name[len(family):]
            if rest in ("notequals",):
                return _ordered(values, parse, _COMPARE["equals"]), True
            if rest in _COMPARE:
                return _ordered(values, parse, _COMPARE[rest]), False
    return None


def _unknown(_context: Mapping[str, Any]) -> bool | None:
    return None


def _compile_test(operator: str, key: str, raw_values: Any, variables: bool = True) -> Test:
    """One (operator, key, values) entry of a Condition block as a three-valued test of the context."""
    key = key.lower()
    values = _policy_values(raw_values)
    if values is None:
        return _unknown
    lowered = operator.lower()
    set_operator = None
    for prefix in ("foranyvalue:", "forallvalues:"):
        if lowered.startswith(prefix):
            set_operator, lowered = prefix[3:6], lowered[len(prefix):]
    if lowered == "null" and set_operator is None:
        wanted = frozenset(v.lower() for v in values)

        def null_test(context: Mapping[str, Any]) -> bool | None:
            value = context.get(key)
            if value is None:
                return None
            return ("true" if value is ABSENT else "false") in wanted

        return null_test
    if_exists = lowered.endswith("ifexists") and lowered != "ifexists"
    if if_exists:
        lowered = lowered[:-len("ifexists")]
    base = _base_operator(lowered, values, variables)
    if base is None or not values:
        return _unknown  # an operator graphgov does not evaluate is never guessed
    positive, negated = base

    def single(value: str, context: Mapping[str, Any]) -> bool | None:
        result = positive(value, context)
        return result if result is None or not negated else not result

    def test(context: Mapping[str, Any]) -> bool | None:
        value = context.get(key)
        if value is None:
            return None
        if value is ABSENT:
            if set_operator == "all":
                return True
            if set_operator == "any":
                return False
            return if_exists or negated
        if set_operator is None:
            if isinstance(value, tuple):
                if len(value) != 1:
                    return None  # a single-valued operator on a multi-valued key: IAM's answer is not documented
                value = value[0]
            return single(value, context)
        items = value if isinstance(value, tuple) else (value,)
        results = [single(item, context) for item in items]
        if set_operator == "any":
            return True if True in results else None if None in results else False
        return False if False in results else None if None in results else True

    return test


class CompiledBlock:
    """A Condition block compiled once: its canonical text (how graphgov reports it) and its tests."""

    __slots__ = ("text", "tests", "keys")

    def __init__(self, block: Mapping[str, Any], variables: bool = True) -> None:
        self.text = json.dumps(block, sort_keys=True)
        tests: list[Test] = []
        keys: list[str] = []
        for operator, entries in block.items():
            if not isinstance(entries, Mapping):
                tests.append(_unknown)
                continue
            for key, raw in entries.items():
                tests.append(_compile_test(str(operator), str(key), raw, variables))
                keys.append(str(key).lower())
        self.tests = tuple(tests)
        self.keys = tuple(keys)

    def evaluate(self, context: Mapping[str, Any]) -> bool | None:
        """True when every test holds, False when one fails, else None (some key is not known)."""
        unsettled = False
        for test in self.tests:
            result = test(context)
            if result is False:
                return False
            if result is None:
                unsettled = True
        return None if unsettled else True


def compile_block(block: Mapping[str, Any], variables: bool = True) -> CompiledBlock:
    """`variables=False` for a policy whose Version is not 2012-10-17: `${...}` is then literal text."""
    return CompiledBlock(block, variables)


def evaluate_block(block: Mapping[str, Any] | CompiledBlock, context: Mapping[str, Any]) -> bool | None:
    """Settle a Condition block against a context (keys any case; a None value means "known absent")."""
    compiled = block if isinstance(block, CompiledBlock) else CompiledBlock(block)
    return compiled.evaluate(normalize_context(context))
