"""Structure-aware mutation of real records, as hypothesis strategies.

A mutation picks a place in a seed record (any nested field, including the inside of a JSON document
carried as a string, such as an IAM `policyDocument`) and replaces it by a value of another type, drops it,
adds a case-variant duplicate key, wraps it, or (in policies) turns Action into NotAction and the like.
Hostile values: lists, dicts, numbers, NaN/inf, bools, null, huge ints, empty and very long strings,
non-ASCII and lone surrogates, deep nesting, and policy-shaped values (condition blocks, Principal shapes).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

from fuzz.seeds import Seed, all_seeds, policy_seeds

INTO_JSON = "<json>"  # a path step into a JSON document carried as a string
MAX_DEPTH = 10
MAX_LIST = 4
POLICY_KEYS = {"Action": "NotAction", "Principal": "NotPrincipal", "Resource": "NotResource",
               "NotAction": "Action", "NotPrincipal": "Principal", "NotResource": "Resource"}


def nested(depth: int, leaf: Any = "x", kind: str = "dict") -> Any:
    """A value nested `depth` levels deep, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = {"a": value} if kind == "dict" else [value]
    return value


FIXED_HOSTILE: list[Any] = [
    None, True, False, 0, -1, 1, 1.5, -0.0, float("nan"), float("inf"), float("-inf"), 2**63, -(2**63) - 1, 2**64,
    10**30, 10**400, "", " ", "\t\n", "x" * 100_000, "é☃日本語", "\ud800", "\x00", "null", "true", "1e999", "NaN",
    "[]", "{}", "{", "[1,", "{\"a\":", "*", "?", "arn:", "arn:aws", "arn:aws:iam::", "arn:aws:iam::123:role/",
    "arn:aws:s3:::", "arn:aws:s3:::b/", "arn:aws:sts::1:assumed-role/", "arn:aws:kms:::key/", "s3://", "s3:///k",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2020-13-45T99:99:99Z", "2020-01-01", "-1", "1" * 400,
    [], {}, [None], [[]], [{}], {"": None}, {"a": {"b": [1, {"c": None}]}}, [1, "a", None, 1.5, {}],
    ["*"], ["s3:*", 1], {"AWS": "*"}, {"AWS": ["*", 123]}, {"AWS": 123}, {"Service": ["s3.amazonaws.com", None]},
    {"Federated": {"x": 1}}, {"CanonicalUser": []}, "123456789012", 123456789012, ["123456789012"],
    {"StringEquals": {"aws:SourceAccount": ["1", 2, None]}}, {"StringLike": "x"}, {"Bool": {"aws:SecureTransport": 1}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": {"x": 1}}}, {"ForAnyValue:StringEquals": {"aws:TagKeys": {}}},
    {"IpAddress": {"aws:SourceIp": [1, "10.0.0.0/8", "300.1.1.1/99"]}}, {"Null": {"aws:x": "maybe"}},
    {"StringEqualsIfExists": None}, {"ArnLike": {"aws:SourceArn": ["arn:*", []]}}, {"DateGreaterThan": {"aws:t": "x"}},
    {"Statement": "x"}, {"Statement": [None, 1, "x", {}]}, {"Version": 1, "Statement": {"Effect": "Allow"}},
    {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}, "Allow", "Deny", "Maybe",
    nested(50), nested(50, kind="list"), nested(400), nested(400, kind="list"), nested(900),
]

hostile_scalars = st.one_of(
    st.integers(), st.integers(min_value=2**62, max_value=2**70), st.floats(), st.booleans(), st.none(),
    st.text(max_size=30), st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8),
)
hostile_json = st.recursive(hostile_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=8)
hostile_values = st.one_of(st.sampled_from(FIXED_HOSTILE), hostile_scalars, hostile_json)


def _paths(value: Any, prefix: tuple = (), depth: int = 0) -> list[tuple]:
    """Every place a mutation can act on, outermost first."""
    found = [prefix]
    if depth >= MAX_DEPTH:
        return found
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value[:MAX_LIST]):
            found += _paths(item, (*prefix, index), depth + 1)
    elif isinstance(value, str) and value[:1] in "{[" and len(value) < 200_000:
        try:
            inner = json.loads(value)
        except ValueError:
            return found
        if isinstance(inner, (dict, list)):
            found += _paths(inner, (*prefix, INTO_JSON), depth + 1)
    return found


@cache
def paths_of(index: int, policy: bool) -> tuple[tuple, ...]:
    seed = (policy_seeds() if policy else all_seeds())[index]
    return tuple(_paths(seed.record)[1:])  # the record itself is replaced only by the "whole" mutation


def _apply(value: Any, path: tuple, op: str, new: Any) -> Any:
    """`value` with the mutation applied at `path` (a copy along the path; the rest is shared)."""
    if not path:
        return _leaf(value, op, new)
    step, rest = path[0], path[1:]
    if step == INTO_JSON:
        try:
            inner = _apply(json.loads(value), rest, op, new)
        except (TypeError, ValueError):  # an earlier mutation replaced the JSON text
            return value
        return json.dumps(inner, allow_nan=True) if inner is not _DROP else ""
    if isinstance(value, dict) and step in value:
        out = dict(value)
        if not rest and op == "drop":
            del out[step]
        elif not rest and op == "dup_key":  # a second spelling of the key, as a case-insensitive reader sees it
            out[str(step).upper() if str(step) != str(step).upper() else str(step).lower()] = new
        elif not rest and op == "rename" and step in POLICY_KEYS:
            out[POLICY_KEYS[step]] = out.pop(step)
        else:
            out[step] = _apply(value[step], rest, op, new)
        return out
    if isinstance(value, list) and isinstance(step, int) and step < len(value):
        out = list(value)
        if not rest and op == "drop":
            del out[step]
        else:
            out[step] = _apply(value[step], rest, op, new)
        return out
    return value


_DROP = object()


def _leaf(value: Any, op: str, new: Any) -> Any:
    if op == "wrap_list":
        return [value]
    if op == "wrap_dict":
        return {"value": value}
    if op == "stringify":
        return json.dumps(value, allow_nan=True)
    if op == "flip":  # Allow <-> Deny, a wildcard for a name, a case change
        if value == "Allow":
            return "Deny"
        if value == "Deny":
            return "Allow"
        return "*" if isinstance(value, str) and value != "*" else value
    if op in ("drop", "dup_key", "rename"):
        return value
    return new


OPS = ("replace", "replace", "replace", "drop", "dup_key", "wrap_list", "wrap_dict", "stringify", "flip", "rename")


@st.composite
def mutation(draw: st.DrawFn, seeds: tuple[Seed, ...], policy: bool = False) -> tuple[Seed, Any, str]:
    """(seed, mutated record, description): one generated value."""
    index = draw(st.integers(0, len(seeds) - 1))
    seed = seeds[index]
    record = seed.record
    steps = draw(st.integers(1, 3))
    described = []
    for _ in range(steps):
        places = paths_of(index, policy) if record is seed.record else tuple(_paths(record)[1:])
        if not places or draw(st.integers(0, 200)) == 0:  # now and then, the whole record
            record = draw(hostile_values)
            described.append("whole record replaced")
            break
        path = places[draw(st.integers(0, len(places) - 1))]
        op = draw(st.sampled_from(OPS))
        new = draw(hostile_values) if op in ("replace", "dup_key") else None
        record = _apply(record, path, op, new)
        described.append(f"{op} {'/'.join(map(str, path))}")
    return seed, record, "; ".join(described)


def records(policy: bool = False) -> st.SearchStrategy[tuple[Seed, Any, str]]:
    seeds = policy_seeds() if policy else all_seeds()
    return mutation(seeds, policy)


def fresh(record: Any) -> Any:
    """A private copy (parsers must not mutate input, but a fuzz run should not trust that)."""
    return copy.deepcopy(record)
