"""S3 replication: which objects have replicas, derived after every load from the rules in force.

A bucket's `replication` PolicyState (PutBucketReplication, loaders.replication) holds its rules. An
object written into the bucket (WROTE, or a notification's creation on CONTAINS; a replica's own
replication) while a rule was in force, with the object's key under the rule's prefix and its tags
holding every tag the rule filters on, has a replica of the same key in the rule's destination bucket:
written as an S3Object, CONTAINS from the destination bucket and REPLICA_OF to its source. Objects
written before the rule replicate only when the rule enables `ExistingObjectReplication`; SSE-KMS objects
(ENCRYPTS from a key) only when it enables `SseKmsEncryptedObjects`. Undecidable cases are not derived
(a rule filtering on tags for an object whose tags are unknown; a write before the first configuration
seen, whose configuration then is unknown). A destination in another account is that account receiving
a copy: REPLICA_OF names `destination_principal` (the account root), which `cross-account-exposure` shows.
Writes go through Store.write (structural edges: re-deriving changes nothing); the load order does not
matter because the derivation reads the whole graph.
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import lru_cache
from typing import Any

from graphgov.access.timeline import State, StateError, Timeline
from graphgov.core.ids import account_root_arn, s3_bucket_arn, s3_object_arn
from graphgov.ingest.access_points import Patch
from graphgov.ingest.aggregate import EdgeId, NodeId
from graphgov.questions.classification import effective_object_tags
from graphgov.stores.base import Store

SOURCE = "replication-rules"
ROUNDS = 3  # a replica may itself be replicated (chained rules); bounded


def rules_error(text: str) -> str | None:
    """Why a replication configuration cannot be applied (a rule of the wrong shape), or None when it can."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return "replication configuration is not JSON"
    if not isinstance(document, dict):
        return "replication configuration is not a JSON object"
    if document.get("RulesUnknown"):
        return None
    rules = document.get("Rules") or []
    if not isinstance(rules, list):
        return "replication Rules is not a list"
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            return f"replication rule {index} is not an object"
        destination = rule.get("Destination") or {}
        tags = rule.get("Tags") or []
        if not all(isinstance(rule.get(name) or "", str) for name in (
                "Status", "Prefix", "ID", "ExistingObjectReplication", "SseKmsEncryptedObjects")):
            return f"replication rule {index}: Status, Prefix, ID and the option flags must be text"
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return f"replication rule {index}: Tags must be a list of texts"
        if not isinstance(destination, dict) or not all(
                isinstance(destination.get(name) or "", str) for name in ("Bucket", "Account")):
            return f"replication rule {index}: Destination must name its Bucket and Account as text"
    return None


def _rules_at(timeline: Timeline, bucket: str, time: str) -> list[dict[str, Any]] | None:
    """The rules in force at `time`; None when that is unknown (nothing seen before it, or a configuration
    that cannot be read: graphgov.access.derivation quarantines it, and no replica is derived from it)."""
    resolved = timeline.slot_at(bucket, "replication", time)
    if resolved is None or resolved.extrapolated:
        return None
    state = resolved.state
    if state is None or not state.document:
        return []
    return _rules_of(state.document)


@lru_cache(maxsize=1024)
def _rules_of(document_text: str) -> list[dict[str, Any]] | None:
    """A configuration's rules, parsed once per distinct document (objects ask for the same few thousands of
    times); None when it cannot be applied. Callers only read the rules."""
    if rules_error(document_text):
        return None
    document = json.loads(document_text)
    return None if document.get("RulesUnknown") else list(document.get("Rules") or [])


def _matches(rule: dict[str, Any], key: str, tags: list[str] | None, kms: bool) -> bool:
    if rule.get("Status") != "Enabled" or not key.startswith(rule.get("Prefix") or ""):
        return False
    if rule.get("Tags") and (tags is None or not set(rule["Tags"]) <= set(tags)):
        return False  # unknown tags: not derived (undecidable)
    return not kms or rule.get("SseKmsEncryptedObjects") == "Enabled"


def derive_replicas(store: Store) -> int:
    """Write the replicas the rules in force imply, only the rows that change what the store holds; returns how
    many REPLICA_OF edges were written (0 when the graph holds every replica already)."""
    changed = replica_rows(store).changes(store)
    if changed:
        store.write(changed, {})
    return sum(1 for e in changed.edges if e[0] == "REPLICA_OF")


def replica_rows(store: Store) -> Patch:
    """The rows (replica objects, their buckets and accounts, CONTAINS, REPLICA_OF, RESOURCE) the replication
    rules in force imply, from the whole graph."""
    states = []
    for _, attrs in store.scan_nodes("PolicyState"):
        if attrs.get("kind") == "replication":
            try:
                states.append(State.from_node(attrs))
            except StateError:
                continue  # graphgov.access.derivation quarantines it
    if not states:
        return Patch({}, {})
    timeline = Timeline(states)
    configured = {s.subject for s in states}
    config_times = {b: sorted({t for s in states if s.subject == b for t in s.observed}) for b in configured}
    objects = {arn: attrs for arn, attrs in store.scan_nodes("S3Object")}
    buckets = {name: attrs for name, attrs in store.scan_nodes("S3Bucket")}
    tags = {arn: held[1] for arn, held in effective_object_tags(store).items()}
    kms = {dst[1] for _, dst, _ in store.scan_edges("ENCRYPTS") if dst[0] == "S3Object"}
    writes: dict[str, set[str]] = defaultdict(set)
    for _, obj, attrs in store.scan_edges("WROTE"):
        writes[obj[1]].update(t for t in (attrs.get("first_seen"), attrs.get("last_seen")) if t)
    for _, obj, attrs in store.scan_edges("CONTAINS"):
        if any("created" in str(e).lower() for e in attrs.get("events") or ()):
            writes[obj[1]].update(t for t in (attrs.get("first_seen"), attrs.get("last_seen")) if t)
    for replica, _, attrs in store.scan_edges("REPLICA_OF"):
        if attrs.get("replicated_at"):
            writes[replica[1]].add(attrs["replicated_at"])
    nodes: dict[NodeId, dict[str, Any]] = {}
    edges: dict[EdgeId, dict[str, Any]] = {}
    in_force: dict[tuple[str, str], list[dict[str, Any]] | None] = {}  # (bucket, time) -> rules: many writes share one
    for _ in range(ROUNDS):
        added = 0
        for arn in sorted(writes):
            attrs = objects.get(arn)
            if not attrs or not isinstance(attrs.get("bucket"), str) or attrs.get("bucket") not in configured \
                    or not isinstance(attrs.get("key"), str):
                continue
            bucket, key = attrs["bucket"], attrs["key"]
            times = sorted(writes[arn])
            # each write, and each later configuration (objects already there replicate only if it says so)
            moments = times + [c for c in config_times[bucket] if times and times[0] <= c]
            for moment in moments:
                if (bucket, moment) not in in_force:
                    in_force[(bucket, moment)] = _rules_at(timeline, bucket, moment)
                for rule in in_force[(bucket, moment)] or []:
                    existing_only = moment not in writes[arn]
                    if existing_only and rule.get("ExistingObjectReplication") != "Enabled":
                        continue
                    if not _matches(rule, key, tags.get(arn, attrs.get("tags")), arn in kms):
                        continue
                    added += _replica(rule, arn, attrs, moment, buckets, nodes, edges, objects, writes)
        if not added:
            break
    return Patch(nodes, edges)


def _replica(rule: dict[str, Any], source: str, attrs: dict[str, Any], moment: str, buckets: dict[str, Any],
             nodes: dict, edges: dict, objects: dict, writes: dict) -> int:
    """Rows for one replica; 1 when it is new to this derivation."""
    dest = rule.get("Destination") or {}
    bucket, key = dest.get("Bucket"), attrs["key"]
    if not bucket:
        return 0
    partition = source.split(":", 2)[1] if source.startswith("arn:") else "aws"
    replica = s3_object_arn(bucket, key, partition)
    edge_id = ("REPLICA_OF", ("S3Object", replica), ("S3Object", source))
    source_account = (buckets.get(attrs["bucket"]) or {}).get("account_id")
    account = dest.get("Account") or (buckets.get(bucket) or {}).get("account_id")
    window = {"first_seen": moment, "last_seen": moment, "sources": [SOURCE]}
    known = edges.get(edge_id)
    if known is not None and known["replicated_at"] <= moment:
        return 0
    bucket_props = {"id": bucket, "name": bucket, "arn": s3_bucket_arn(bucket, partition)}
    if dest.get("Account"):
        bucket_props["account_id"] = dest["Account"]
    nodes[("S3Bucket", bucket)] = {**bucket_props, "labels": ["S3Bucket"], **window}
    nodes[("S3Object", replica)] = {"arn": replica, "bucket": bucket, "key": key, "labels": ["S3Object"], **window}
    edges[("CONTAINS", ("S3Bucket", bucket), ("S3Object", replica))] = {**window, "event_ids": []}
    props: dict[str, Any] = {"replicated_at": moment, "destination_bucket": bucket, "rules": [rule.get("ID") or ""],
                             "owner_override": bool(dest.get("OwnerOverride"))}
    if account:
        props["destination_account"] = account
        if account != source_account:  # that account receives a copy
            root = account_root_arn(partition, account)
            props["destination_principal"] = root
            nodes[("AWSAccount", account)] = {"id": account, "labels": ["AWSAccount"], **window}
            nodes[("AWSPrincipal", root)] = {"arn": root, "id": root, "account_id": account,
                                             "principal_type": "AWSAccount", "partition": partition,
                                             "labels": ["AWSPrincipal"], **window}
            edges[("RESOURCE", ("AWSAccount", account), ("AWSPrincipal", root))] = {**window, "event_ids": []}
        edges[("RESOURCE", ("AWSAccount", account), ("S3Bucket", bucket))] = {**window, "event_ids": []}
        nodes.setdefault(("AWSAccount", account), {"id": account, "labels": ["AWSAccount"], **window})
    edges[edge_id] = {**props, **window, "event_ids": []}
    objects.setdefault(replica, {"arn": replica, "bucket": bucket, "key": key})
    writes[replica].add(moment)
    return 1
