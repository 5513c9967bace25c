"""The volume engine: the same structure-aware mutations as fuzz.mutate, expanded from one seed integer.

Hypothesis draws the integer (so CI runs are derandomized and a failure names the seed that replays it);
`batch(seed, n)` expands it with `random.Random` into n mutated records at a cost of microseconds each,
which is what lets a default run try 200,000 values on a busy 2-core machine. A crash found this way is
minimised by fuzz.shrink, since hypothesis cannot shrink inside a random stream.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import string
from functools import cache
from typing import Any

from fuzz.mutate import FIXED_HOSTILE, OPS, _apply, _paths
from fuzz.seeds import Seed, all_seeds, policy_seeds

ALPHABET = string.printable + "éß日本語☃\u200b\u202e\x00\x7f\ud800\udfff"
POLICY_VALUES: list[Any] = [
    "*", "s3:*", "s3:Get*", "kms:*", "iam:PassRole", "sts:AssumeRole", "arn:aws:s3:::*", "arn:aws:s3:::b/*",
    {"AWS": "arn:aws:iam::111122223333:root"}, {"AWS": ["*"]}, {"Service": "bedrock.amazonaws.com"},
    {"Federated": "cognito-identity.amazonaws.com"}, "111122223333", ["Allow"], {"Effect": "Deny"},
    {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}, {"ForAllValues:StringLike": {"s3:prefix": ["a/*", 3]}},
    {"StringEquals": {"kms:ViaService": {"a": "b"}}}, {"Bool": {"aws:SecureTransport": "false"}},
    {"StringEquals": {"aws:SourceVpce": []}}, {"NumericGreaterThan": {"s3:max-keys": "ten"}},
    {"ArnNotLike": {"aws:PrincipalArn": None}}, {"Unknown:Operator": {"k": "v"}}, {"StringEquals": ["x"]},
]


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, (dict, list)) and value:
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
        depth += 1
    return depth


SHALLOW = [v for v in FIXED_HOSTILE if _depth(v) < 100]  # without the values deep enough to test recursion


def random_scalar(rng: random.Random, deep: bool = True) -> Any:
    pick = rng.randrange(9)
    if pick == 0:
        return rng.randint(-(2**70), 2**70)
    if pick == 1:
        return rng.choice([rng.random(), -rng.random() * 1e308, float("nan"), float("inf"), 1e-320])
    if pick == 2:
        return rng.choice([True, False, None])
    if pick == 3:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 40)))
    return rng.choice(FIXED_HOSTILE if deep else SHALLOW)


def random_value(rng: random.Random, depth: int = 0, policy: bool = False, deep: bool = True) -> Any:
    pick = rng.randrange(10)
    if policy and pick < 3:
        return rng.choice(POLICY_VALUES)
    if depth < 3 and pick == 8:
        return [random_value(rng, depth + 1, policy, deep) for _ in range(rng.randrange(0, 4))]
    if depth < 3 and pick == 9:
        return {"".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 8))):
                random_value(rng, depth + 1, policy, deep) for _ in range(rng.randrange(0, 4))}
    return random_scalar(rng, deep)


@cache
def _seed_paths(policy: bool, index: int) -> tuple[tuple, ...]:
    seeds = policy_seeds() if policy else all_seeds()
    return tuple(_paths(seeds[index].record)[1:])


def mutate(rng: random.Random, policy: bool = False, deep: bool = True) -> tuple[Seed, Any]:
    """One seed record, mutated at 1 to 3 places (`deep`: hostile values include ~900-level nesting)."""
    seeds = policy_seeds() if policy else all_seeds()
    index = rng.randrange(len(seeds))
    seed, record = seeds[index], seeds[index].record
    places = _seed_paths(policy, index)
    if not places or rng.random() < 0.005:
        return seed, random_value(rng, deep=deep)
    for _ in range(rng.choice((1, 1, 2, 3))):
        path = rng.choice(places)
        op = rng.choice(OPS)
        new = random_value(rng, policy=policy, deep=deep) if op in ("replace", "dup_key") else None
        record = _apply(record, path, op, new)
    return seed, record


def batch(seed: int, size: int, policy: bool = False, deep: bool = True) -> list[tuple[Seed, Any]]:
    rng = random.Random(seed)
    return [mutate(rng, policy, deep) for _ in range(size)]


# --- wrappers: the same records delivered the ways AWS delivers them -------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


def wrap(records: list[Any], how: str) -> bytes:
    """The records as one file of the given delivery form (each record stays one readable element)."""
    if how == "jsonl":
        text = "\n".join(_dumps(r) for r in records) + "\n"
    elif how == "records":
        text = _dumps({"Records": records})
    elif how == "array":
        text = _dumps(records)
    elif how == "concatenated":
        text = "".join(_dumps(r) for r in records)
    elif how == "eventbridge":
        text = "\n".join(_dumps({"version": "0", "id": f"e{i}", "detail-type": "AWS API Call via CloudTrail",
                                 "source": "aws.x", "time": "2024-01-01T00:00:00Z", "detail": r})
                         for i, r in enumerate(records))
    elif how == "lookup":
        text = _dumps({"Events": [{"EventId": f"e{i}", "CloudTrailEvent": _dumps(r)} for i, r in enumerate(records)]})
    elif how == "cloudwatch":
        payload = {"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "g", "logStream": "s",
                   "logEvents": [{"id": str(i), "timestamp": 0, "message": _dumps(r)} for i, r in enumerate(records)]}
        text = _dumps({"awslogs": {"data": base64.b64encode(gzip.compress(_dumps(payload).encode(
            "utf-8", "surrogatepass"))).decode()}})
    else:
        raise ValueError(how)
    data = text.encode("utf-8", "surrogatepass")
    return gzip.compress(data) if how == "records" else data


WRAPPERS = ("jsonl", "records", "array", "concatenated", "eventbridge", "lookup", "cloudwatch")
ENVELOPES = ("records", "eventbridge", "lookup", "cloudwatch-decoded", "sqs", "sns")


def envelope(records: list[Any], how: str, rng: random.Random) -> bytes:
    """The records in a delivery envelope whose own fields are then mutated (wrong types, dropped, swapped):
    the CloudWatch Logs payload, the LookupEvents page, SQS/SNS bodies, EventBridge and Records wrappers."""
    if how == "records":
        value: Any = {"Records": records}
    elif how == "eventbridge":
        value = [{"version": "0", "id": f"e{i}", "detail-type": "AWS API Call via CloudTrail", "source": "aws.x",
                  "detail": r} for i, r in enumerate(records)]
    elif how == "lookup":
        value = {"Events": [{"EventId": f"e{i}", "CloudTrailEvent": _dumps(r)} for i, r in enumerate(records)]}
    elif how == "cloudwatch-decoded":
        value = {"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "g", "logStream": "s",
                 "logEvents": [{"id": str(i), "timestamp": 0, "message": _dumps(r)} for i, r in enumerate(records)]}
    elif how == "sqs":
        value = {"Records": [{"eventSource": "aws:sqs", "messageId": str(i), "body": _dumps(r)}
                             for i, r in enumerate(records)]}
    else:
        value = {"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": _dumps(r)}}
                             for i, r in enumerate(records)]}
    places = [p for p in _paths(value) if p and len(p) <= 4 and not _inside_record(p, how)]
    for _ in range(rng.choice((1, 2, 3))):
        if places:
            value = _apply(value, rng.choice(places), rng.choice(OPS), random_value(rng, deep=False))
    if rng.random() < 0.2:  # the awslogs form: the payload gzip+base64 encoded, or its data field mutated
        value = {"awslogs": {"data": base64.b64encode(gzip.compress(_dumps(value).encode("utf-8", "surrogatepass")))
                             .decode() if rng.random() < 0.7 else random_value(rng, deep=False)}}
    return _dumps(value).encode("utf-8", "surrogatepass")


def _inside_record(path: tuple, how: str) -> bool:
    """Paths into the records themselves (mutated elsewhere): only the envelope's own fields are mutated here."""
    if how == "records":
        return len(path) > 2
    if how == "eventbridge":
        return len(path) > 2 and path[1] == "detail"
    return "<json>" in path
