"""Policy states as graph rows: the one vocabulary shared by the CloudTrail change loaders and `pull iam`.

Every access-relevant setting of a subject lives in a named *slot*, and each change (or each distinct
snapshot value) of a slot is one PolicyState node linked from its subject by HAS_POLICY. The access
derivation (graphgov.access.derivation) replays the states of each slot in time order, so any time can be
asked about; nothing here decides access.

Slots and kinds (the `kind` is what the evaluator does with the state):

| subject | slot | kind | payload |
|---|---|---|---|
| role, user, group | `inline:<name>` | `identity` | document |
| role, user, group | `attached:<policy arn>` | `attachment` | target = policy ARN |
| user | `group:<group arn>` | `membership` | target = group ARN |
| role, user | `boundary` | `boundary` | target = policy ARN |
| role | `trust` | `trust` | document |
| role, user, group, managed policy, bucket, key, OU | `lifecycle` | `lifecycle` | created (deleted = gone) |
| S3 access point | `lifecycle` | `lifecycle` | created (CreateAccessPoint: with no policy yet) |
| managed policy | `version:<v>` | `policy-version` | document |
| managed policy | `default` | `default-version` | document, or target = version id |
| bucket | `bucket-policy` | `resource` | document |
| S3 access point | `access-point-policy` | `resource` | document |
| bucket / object | `acl` | `acl` | document: {"Grants": [{"Grantee": {...}, "Permission": ...}]} |
| bucket / account / access point | `public-access-block` | `public-access-block` | document: the four flags |
| bucket | `ownership` | `ownership` | document: {"ObjectOwnership": ...} |
| bucket | `encryption` | `encryption` | document: {"SSEAlgorithm": ..., "KMSMasterKeyID": ...}, target = key ARN |
| key | `key-policy` | `key-policy` | document |
| key | `grant:<grant id>` | `grant` | document: {"GranteePrincipal", "Operations", "Constraints"} |
| key | `key-state` | `key-state` | document: {"KeyState": ..., "DeletionDate": ...} |
| model package group | `group-policy` | `resource` | document |
| Comprehend model version | `model-policy` | `resource` | document (who may import it) |
| Comprehend model version | `lifecycle` | `lifecycle` | created (trained or imported; no policy but `modelPolicy`) |
| org policy (AWSPolicy) | `content` | `org-policy` | document |
| account | `org-policy:<policy id>` | `org-attachment` | target = the SCP/RCP id (`p-...`) attached to the account |
| org policy (AWSPolicy) | `target:<ou-/r- id>` | `org-attachment` | target = the OU or root it is attached to |
| account, OU (AWSOrganizationalUnit) | `parent` | `org-parent` | target = parent OU or root; document {"from": ...} |
| account | `organization` | `org-membership` | target = `o-...` id when known; document {"via", "joined"} |
| user | `access-key:<key id>` | `credential` | document: {"AccessKeyId", "Status"} (never a secret) |
| any (snapshot only) | `inventory` | `inventory` | document: the sorted slots present when the snapshot was taken |

A deletion (DeleteRolePolicy, DetachRolePolicy, DeleteBucketPolicy...) is a state with `deleted: true`.
An account's `parent` is deleted when it leaves the organisation; a MoveAccount state's document
{"from": <source parent>} says where the account was before the move (OUs and roots are
AWSOrganizationalUnit subjects keyed by their `ou-...`/`r-...` id). An account's `organization` is
its membership: `via` names an account of the same organisation when the record names no `o-...` id,
`joined` marks a start of membership (created, invitation accepted); deleted when it leaves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import unquote

from graphgov.core.delta import EdgeRow, NodeRow

Evidence = Literal["event", "snapshot"]

SUBJECT_TYPES = frozenset({
    "AWSRole", "AWSUser", "AWSPrincipal", "AWSGroup", "AWSPolicy", "S3Bucket", "S3Object", "KMSKey", "AWSAccount",
    "ModelPackageGroup", "AWSOrganizationalUnit", "S3AccessPoint", "ComprehendModel",
})
KINDS = frozenset({
    "identity", "attachment", "membership", "boundary", "trust", "lifecycle", "policy-version", "default-version",
    "resource", "acl", "public-access-block", "ownership", "encryption", "key-policy", "grant", "key-state",
    "org-policy", "org-attachment", "org-parent", "org-membership", "inventory", "credential", "replication",
})


def canonical_document(value: Any) -> str | None:
    """A policy-like document as canonical JSON text (sorted keys), from an object, JSON or URL-encoded JSON.

    Text that is not JSON is kept as given (a state is never lost for an unreadable document: the
    evaluator reports it). None stays None.
    """
    if value is None:
        return None
    original = value
    for _ in range(3):  # JSON text, possibly URL-encoded or inside a JSON string (as graphgov.access.policy peels it)
        if not isinstance(value, str):
            break
        text = value.strip()
        if text[:3].lower() == "%7b":
            text = unquote(text)
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return value if value is original else json.dumps(value)
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (RecursionError, ValueError, TypeError):
        return original if isinstance(original, str) else repr(original)


def policy_state(
    subject_type: str,
    subject: str,
    slot: str,
    kind: str,
    *,
    evidence: Evidence = "event",
    time: str | None = None,
    event_id: str | None = None,
    document: Any = None,
    target: str | None = None,
    deleted: bool = False,
    operation: str | None = None,
    actor: str | None = None,
) -> tuple[NodeRow, EdgeRow]:
    """The PolicyState node and its HAS_POLICY edge for one change (or one snapshot value) of a slot.

    Event states are keyed by their event, so re-loading one changes nothing; snapshot states by their
    value, so an unchanged policy seen by many pulls stays one node whose first_seen/last_seen span
    the pulls that saw it.
    """
    if subject_type not in SUBJECT_TYPES:
        raise ValueError(f"policy subject type {subject_type!r} is not one of {sorted(SUBJECT_TYPES)}")
    if kind not in KINDS:
        raise ValueError(f"policy state kind {kind!r} is not one of {sorted(KINDS)}")
    text = canonical_document(document)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] if text is not None else None
    if evidence == "event":
        if not time or not event_id:
            raise ValueError("an event policy state needs its time and event id")
        state_id = f"{subject}|{slot}|{time}|{event_id}"
    else:
        value = "deleted" if deleted else digest or target or "present"
        state_id = f"{subject}|{slot}|snapshot|{value}"
    props = {
        "id": state_id, "subject": subject, "subject_type": subject_type, "slot": slot, "kind": kind,
        "document": text, "doc_hash": digest, "target": target, "deleted": deleted, "evidence": evidence,
        "operation": operation, "actor": actor, "event_id": event_id,
        "valid_from": time if evidence == "event" else None,
    }
    node = NodeRow("PolicyState", state_id, {k: v for k, v in props.items() if v is not None})
    return node, EdgeRow("HAS_POLICY", subject_type, subject, "PolicyState", state_id)


def group_row(arn: str, account: str | None, name: str | None = None, path: str | None = None) -> NodeRow:
    props: Mapping[str, Any] = {"arn": arn, "name": name or arn.rsplit("/", 1)[-1], "account_id": account,
                                "path": path}
    return NodeRow("AWSGroup", arn, {k: v for k, v in props.items() if v is not None})


def policy_row(policy_id: str, policy_type: str, *, arn: str | None = None, name: str | None = None,
               account: str | None = None) -> NodeRow:
    """A managed policy (key: its ARN) or an Organizations policy (key: its `p-...` id)."""
    props = {"id": policy_id, "arn": arn or (policy_id if policy_id.startswith("arn:") else None),
             "name": name or policy_id.rsplit("/", 1)[-1], "policy_type": policy_type, "account_id": account}
    return NodeRow("AWSPolicy", policy_id, {k: v for k, v in props.items() if v is not None})
