"""`graphgov setup policy`: the least-privilege IAM policy the pullers need, from what they declare.

Every puller module declares AWS_CALLS, the (botocore service, operation) pairs it calls; the tests
check each puller calls nothing else. This module collects them (every public module or package under
graphgov/aws/pullers/, `pull iam` included, and graphgov.aws.session when it declares the calls its shared
session code makes), maps each to the IAM actions that authorise it, adds the actions no call shows (kms:Decrypt
for SSE-KMS trail objects and encrypted queues) and groups them into one statement per service.

An operation and its IAM action do not always share a name (s3 ListObjectsV2 is s3:ListBucket, sqs
DeleteMessageBatch is sqs:DeleteMessage), so the S3, S3 Control and SQS operations are mapped one by
one and an operation missing from the table is an error, never a guess. For the other services the
action is the operation's name under the service's IAM prefix, which is how those services name them.

Actions are classed as read or write by a conservative verb list (READ_VERBS): anything not starting
with one of them is a write. The pullers' only write is sqs:DeleteMessage, the acknowledgement of a
message once its records are stored.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from typing import Any

PULLER_PACKAGE = "graphgov.aws.pullers"
EXTRA_MODULES: tuple[str, ...] = ()  # modules outside the package that call AWS (none today)
OPTIONAL_MODULES = ("graphgov.aws.session",)  # shared session code, once it declares AWS_CALLS

# Operations whose IAM action has another name, or that need more than one action.
RENAMED: dict[tuple[str, str], tuple[str, ...]] = {
    ("s3", "ListBuckets"): ("s3:ListAllMyBuckets",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "GetObject"): ("s3:GetObject",),
    ("s3", "GetBucketPolicy"): ("s3:GetBucketPolicy",),
    ("s3", "GetBucketPolicyStatus"): ("s3:GetBucketPolicyStatus",),
    ("s3", "GetBucketAcl"): ("s3:GetBucketAcl",),
    ("s3", "GetBucketLocation"): ("s3:GetBucketLocation",),
    ("s3", "GetBucketLogging"): ("s3:GetBucketLogging",),
    ("s3", "GetBucketTagging"): ("s3:GetBucketTagging",),
    ("s3", "GetBucketVersioning"): ("s3:GetBucketVersioning",),
    ("s3", "GetPublicAccessBlock"): ("s3:GetBucketPublicAccessBlock",),
    ("s3", "GetBucketOwnershipControls"): ("s3:GetBucketOwnershipControls",),
    ("s3", "GetBucketEncryption"): ("s3:GetEncryptionConfiguration",),
    ("s3", "GetBucketNotificationConfiguration"): ("s3:GetBucketNotification",),
    ("s3", "GetBucketLifecycleConfiguration"): ("s3:GetLifecycleConfiguration",),
    ("s3", "GetBucketReplication"): ("s3:GetReplicationConfiguration",),
    ("s3", "GetObjectLockConfiguration"): ("s3:GetBucketObjectLockConfiguration",),
    ("s3", "GetBucketCors"): ("s3:GetBucketCORS",),
    ("s3", "GetObjectAcl"): ("s3:GetObjectAcl",),
    ("s3", "GetObjectTagging"): ("s3:GetObjectTagging",),
    ("s3control", "GetPublicAccessBlock"): ("s3:GetAccountPublicAccessBlock",),
    ("s3control", "ListAccessPoints"): ("s3:ListAccessPoints",),
    ("s3control", "GetAccessPoint"): ("s3:GetAccessPoint",),
    ("s3control", "GetAccessPointPolicy"): ("s3:GetAccessPointPolicy",),
    ("sqs", "ReceiveMessage"): ("sqs:ReceiveMessage",),
    ("sqs", "DeleteMessage"): ("sqs:DeleteMessage",),
    ("sqs", "DeleteMessageBatch"): ("sqs:DeleteMessage",),
    ("sqs", "GetQueueAttributes"): ("sqs:GetQueueAttributes",),
    ("sqs", "GetQueueUrl"): ("sqs:GetQueueUrl",),
}
# Services mapped only through RENAMED: their operation and action names differ too often to guess.
EXPLICIT_SERVICES = frozenset({"s3", "s3control", "sqs"})
# Services whose IAM actions are their operations' names, under this IAM prefix.
SAME_NAME_PREFIX: dict[str, str] = {
    "sts": "sts", "iam": "iam", "kms": "kms", "organizations": "organizations", "cloudtrail": "cloudtrail",
    "logs": "logs", "config": "config", "events": "events", "sagemaker": "sagemaker", "bedrock": "bedrock",
    "bedrock-agent": "bedrock", "lambda": "lambda", "ec2": "ec2",
}
# Actions a call needs without naming them: S3 decrypts SSE-KMS objects (CloudTrail logs are often
# SSE-KMS) and SQS decrypts SSE-KMS queues with the caller's own kms:Decrypt permission.
IMPLICIT: dict[tuple[str, str], tuple[str, str]] = {
    ("s3", "GetObject"): ("kms:Decrypt", "s3"),
    ("sqs", "ReceiveMessage"): ("kms:Decrypt", "sqs"),
}
# Verbs of actions that store nothing in the account. Receive only hides a message for its visibility
# timeout, Decrypt returns plaintext, Assume(Role) issues temporary credentials. Everything else is a write.
READ_VERBS = ("Get", "List", "Describe", "Lookup", "Filter", "Search", "Select", "BatchGet", "Head", "Receive",
              "Decrypt", "Assume")


class PolicyError(Exception):
    """A puller's calls cannot be turned into a policy (an unmapped call, a module without AWS_CALLS)."""


def iam_actions(service: str, operation: str) -> tuple[str, ...]:
    """The IAM actions that authorise one API call; PolicyError names a call nobody mapped."""
    if (service, operation) in RENAMED:
        return RENAMED[(service, operation)]
    if service in EXPLICIT_SERVICES or service not in SAME_NAME_PREFIX:
        raise PolicyError(f"no IAM action is mapped for {service}:{operation} (add it to setup_policy.RENAMED)")
    return (f"{SAME_NAME_PREFIX[service]}:{operation}",)


def is_read(action: str) -> bool:
    return action.split(":", 1)[1].startswith(READ_VERBS)


def puller_modules() -> list[str]:
    """Every public module or package under graphgov/aws/pullers/ (found, not listed), then EXTRA_MODULES."""
    package = importlib.import_module(PULLER_PACKAGE)
    found = sorted(f"{PULLER_PACKAGE}.{info.name}" for info in pkgutil.iter_modules(package.__path__)
                   if not info.name.startswith("_"))
    return [*found, *EXTRA_MODULES]


def declared_calls(modules: Iterable[str] | None = None) -> dict[str, frozenset[tuple[str, str]]]:
    """Module name -> its AWS_CALLS; a puller module without them is an error (its permissions would be missed)."""
    calls: dict[str, frozenset[tuple[str, str]]] = {}
    for name in puller_modules() if modules is None else modules:
        module = importlib.import_module(name)
        declared = getattr(module, "AWS_CALLS", None)
        if declared is None:
            raise PolicyError(f"{name} declares no AWS_CALLS")
        calls[name] = frozenset(declared)
    if modules is None:
        for name in OPTIONAL_MODULES:
            declared = getattr(importlib.import_module(name), "AWS_CALLS", None)
            if declared is not None:
                calls[name] = frozenset(declared)
    return calls


def action_sources(calls: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """IAM action -> the calls (`service:Operation`) that need it, implicit needs included."""
    needs: dict[str, set[str]] = {}
    for service, operation in sorted(set(calls)):
        for action in iam_actions(service, operation):
            needs.setdefault(action, set()).add(f"{service}:{operation}")
        if (service, operation) in IMPLICIT:
            action, _via = IMPLICIT[(service, operation)]
            needs.setdefault(action, set()).add(f"{service}:{operation} (implicit)")
    return {action: sorted(sources) for action, sources in sorted(needs.items())}


def _sid(prefix: str) -> str:
    return "Graphgov" + "".join(part.capitalize() for part in prefix.replace("-", " ").split())


def policy_document(calls: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The IAM policy: one statement per service prefix (Sid `Graphgov<Service>`), Resource `*`.

    kms:Decrypt, which only S3 and SQS need on the pullers' behalf, gets its own statement limited by
    kms:ViaService to those services. Resources are left at `*`: buckets, queues and keys differ per
    deployment, and every action but sqs:DeleteMessage reads; narrow them where the names are known.
    """
    calls = set(calls)
    by_prefix: dict[str, set[str]] = {}
    via: set[str] = set()
    for service, operation in calls:
        for action in iam_actions(service, operation):
            by_prefix.setdefault(action.split(":", 1)[0], set()).add(action)
        if (service, operation) in IMPLICIT:
            via.add(IMPLICIT[(service, operation)][1])
    statements: list[dict[str, Any]] = [
        {"Sid": _sid(prefix), "Effect": "Allow", "Action": sorted(actions), "Resource": "*"}
        for prefix, actions in sorted(by_prefix.items())
    ]
    if via:
        statements.append({
            "Sid": "GraphgovKmsDecryptViaS3AndSqs" if via == {"s3", "sqs"} else _sid(f"kms decrypt via {min(via)}"),
            "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*",
            "Condition": {"StringLike": {"kms:ViaService": [f"{s}.*.amazonaws.com" for s in sorted(via)]}},
        })
    return {"Version": "2012-10-17", "Statement": statements}


def policy_actions(policy: Mapping[str, Any]) -> set[str]:
    """Every action a policy document allows (to check calls against it)."""
    actions: set[str] = set()
    for statement in policy["Statement"]:
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions


def puller_policy() -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The policy for every puller's calls, and each action's reasons (for the text output)."""
    calls = {call for declared in declared_calls().values() for call in declared}
    return policy_document(calls), action_sources(calls)
