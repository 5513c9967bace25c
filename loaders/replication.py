"""PutBucketReplication / DeleteBucketReplication -> the bucket's `replication` PolicyState.

The configuration (Amazon S3 API Reference, PutBucketReplication / ReplicationConfiguration) arrives as
XML rendered into `requestParameters.ReplicationConfiguration`: `Role` and `Rule` (one object when the
XML has one rule, a list otherwise). Each rule is kept in a normal form: `ID`, `Priority`, `Status`, the
filter's `Prefix` (legacy `Prefix`, `Filter.Prefix` or `Filter.And.Prefix`) and `Tags` (`Filter.Tag`,
`Filter.And.Tag`, as sorted `key=value`), `SseKmsEncryptedObjects` and `ExistingObjectReplication`
statuses, and the `Destination`: `Bucket` (name, from its ARN), `Account`, `OwnerOverride`
(`AccessControlTranslation.Owner = Destination`) and `ReplicaKmsKeyID`. Which objects replicate is
derived after the load (graphgov.ingest.replication), judged with the configuration in force when each was
written. A destination `Account` also names the destination bucket's owner. A record whose body was
trimmed away still proves replication was configured then: its state says `RulesUnknown` (so objects
written under it are undecided, never "not replicated").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import Malformed
from loaders import fields
from loaders.iam_changes import add_state, as_object, text
from loaders.identity import Principal
from loaders.resource_policies import _body, _listed, _managed_bucket, bucket_rows


def _status(value: Any, *path: str) -> str | None:
    found = fields.dig(value, *path)
    return str(found) if isinstance(found, str) and found else None


def _tags(value: Any) -> list[str]:
    tags = []
    for tag in _listed(value):
        tag = as_object(tag)
        key = fields.get_ci(tag, "Key") if isinstance(tag, Mapping) else None
        if isinstance(key, str) and key:
            value_ = fields.get_ci(tag, "Value")
            tags.append(f"{key}={value_ if isinstance(value_, str) else ''}")
    return sorted(set(tags))


def normal_rule(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One `Rule` in the normal form the derivation reads."""
    filt = as_object(fields.get_ci(raw, "Filter"))
    filt = filt if isinstance(filt, Mapping) else {}
    both = as_object(fields.get_ci(filt, "And"))
    both = both if isinstance(both, Mapping) else {}
    prefix = text(both, "Prefix") or text(filt, "Prefix") or text(raw, "Prefix") or ""
    tags = _tags(fields.get_ci(both, "Tag", "Tags")) + _tags(fields.get_ci(filt, "Tag"))
    dest = as_object(fields.get_ci(raw, "Destination"))
    dest = dest if isinstance(dest, Mapping) else {}
    bucket_ref = text(dest, "Bucket")
    if not bucket_ref:
        raise Malformed("PutBucketReplication: a rule without Destination.Bucket")
    bucket = ids.parse_s3_uri(bucket_ref).bucket if bucket_ref.startswith("arn:") else bucket_ref
    account = text(dest, "Account")
    return {
        "ID": text(raw, "ID"), "Priority": fields.get_ci(raw, "Priority"),
        "Status": text(raw, "Status") or "Enabled", "Prefix": prefix, "Tags": sorted(set(tags)),
        "SseKmsEncryptedObjects": _status(raw, "SourceSelectionCriteria", "SseKmsEncryptedObjects", "Status"),
        "ExistingObjectReplication": _status(raw, "ExistingObjectReplication", "Status"),
        "Destination": {"Bucket": bucket, "Account": account,
                        "OwnerOverride": _status(dest, "AccessControlTranslation", "Owner") == "Destination",
                        "ReplicaKmsKeyID": _status(dest, "EncryptionConfiguration", "ReplicaKmsKeyID")},
    }


def _replication(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    bucket = _managed_bucket(record, nodes, edges)
    if record.get("eventName") == "DeleteBucketReplication":
        add_state(record, principal, nodes, edges, "S3Bucket", bucket, "replication", "replication", deleted=True)
        return
    config = _body(fields.params(record), "ReplicationConfiguration")
    if config is None:  # a trimmed record: replication was configured then, with rules not logged
        add_state(record, principal, nodes, edges, "S3Bucket", bucket, "replication", "replication",
                  document={"RulesUnknown": True})
        return
    rules = [normal_rule(r) for r in map(as_object, _listed(fields.get_ci(config, "Rule", "Rules")))
             if isinstance(r, Mapping)]
    if not rules:
        raise Malformed("PutBucketReplication: no Rule in ReplicationConfiguration")
    for rule in rules:  # the destination bucket, and its owner when the rule names one
        dest = rule["Destination"]
        bucket_rows(dest["Bucket"], dest["Account"], fields.partition(record), nodes, edges)
    document = {"Role": text(config, "Role"), "Rules": rules}
    add_state(record, principal, nodes, edges, "S3Bucket", bucket, "replication", "replication", document=document)


HANDLERS = {"PutBucketReplication": _replication, "DeleteBucketReplication": _replication}
