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

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass
from functools import lru_cache
from typing import Any

from graphgov.access.timeline import State, StateError, Timeline
from graphgov.core.ids import account_root_arn, s3_bucket_arn, s3_object_arn
from graphgov.ingest.access_points import Patch
from graphgov.ingest.aggregate import EdgeId, NodeId
from graphgov.ingest.touched import StepScope
from graphgov.questions.classification import add_tag_source, effective_object_tags, own_tags, resolve_tags
from graphgov.stores.base import Store

SOURCE = "replication-rules"
ROUNDS = 3  # a replica may itself be replicated (chained rules); bounded
WHOLE_BATCH = 5_000  # objects derived at a time when the whole graph is derived without chains (~8 KB held per object)


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


@dataclass
class _Inputs:
    """What the derivation reads of the objects it derives from (the whole graph's, or a load's scope)."""

    objects: dict[str, dict[str, Any]]  # S3Object key -> attributes
    buckets: dict[str, dict[str, Any]]  # S3Bucket key -> attributes
    tags: dict[str, list[str]]  # object -> its effective tags (graphgov.questions.classification), when it has some
    kms: set[str]  # objects a KMS key encrypts
    writes: dict[str, set[str]]  # object -> the times it was written


def derive_replicas(store: Store, scope: StepScope | None = None) -> int:
    """Write the replicas the rules in force imply, only the rows that change what the store holds; returns how
    many REPLICA_OF edges were written (0 when the graph holds every replica already). With a `scope` whose
    base the last derivation recorded, only the objects the load wrote are derived again, when that provably
    gives what the whole graph would (see `_scoped_sources`); `scope.record` gets what the next load compares."""
    states = _states(store)
    sources = _scoped_sources(store, states, scope) if scope is not None and states else None
    inputs = _scoped_inputs(store, states, sources) if sources is not None else None
    if inputs is None:  # the whole graph (also when the scope's tags hang on a cycle of copies)
        sources = None
    batches = [inputs] if inputs is not None else _whole_batches(store, states) if states else []
    named: set[NodeId] = set()  # the replica buckets and accounts the rows name
    written: set[str] = set()  # replicas whose REPLICA_OF was written
    count = 0
    for batch in batches:
        patch = _derive(states, batch)
        changed = patch.changes(store)
        if changed:
            store.write(changed, {})
        named.update(n for n in patch.nodes if n[0] in SATELLITE_PROPS)
        replicas = [e[1][1] for e in changed.edges if e[0] == "REPLICA_OF"]
        written.update(replicas)
        count += len(replicas)
    if scope is not None:
        base = scope.part("replicas") if sources is not None else None
        scope.record["replicas"] = _record(store, states, named, base)
        scope.record["replicas"]["scoped"] = sources is not None
        # the tags this derivation read came before its replicas were written: the copies of a replica written
        # now may replicate otherwise at the next derivation (the whole graph's would see their new tags too)
        scope.record["replicas"]["retag"] = sorted(_dependents(store, written) - written) if written else []
    return count


def replica_rows(store: Store) -> Patch:
    """The rows (replica objects, their buckets and accounts, CONTAINS, REPLICA_OF, RESOURCE) the replication
    rules in force imply, from the whole graph."""
    states = _states(store)
    return _derive(states, _whole_inputs(store, states)) if states else Patch({}, {})


def _scoped_sources(store: Store, states: list[State], scope: StepScope) -> set[str] | None:
    """The objects to derive again when that gives what the whole graph would, else None (derive it whole).

    The last derivation left `base` (the replication states it read, the replica buckets and accounts its rows
    named and their properties), and since then only this load wrote (graphgov.access.marker.register). When the
    states are the same, no bucket a rule replicates from is one a rule replicates to (each object's replicas
    then depend on that object alone: no chain) and those buckets and accounts are as the derivation left them,
    then every row the whole graph would give for an object the load did not write is stored already: only the
    objects it wrote, those whose tags hang on tags or copies it wrote (or on replicas the last derivation
    wrote: `retag`), and the sources of the replicas among them, are derived again."""
    base = scope.part("replicas")
    if base is None or base.get("states") != _states_digest(states):
        return None
    if {s.subject for s in states} & _destinations(states):
        return None
    if base.get("props") != _satellite_digest(store, [tuple(n) for n in base.get("satellites") or ()]):
        return None
    touched = scope.touched
    retag = set(base.get("retag") or ())
    sources = set(touched.objects) | retag | _dependents(store, touched.tagged | touched.copies | retag)
    sources.update(dst[1] for _, dst, _ in store.edges_from("REPLICA_OF", [("S3Object", a) for a in sorted(sources)]))
    return sources


def _dependents(store: Store, arns: set[str]) -> set[str]:
    """The objects whose tags can come from `arns` (copies and replicas of them, of those...): when the tags of
    `arns` change, theirs may too."""
    found: set[str] = set()
    frontier = set(arns)
    while frontier:
        ids = [("S3Object", arn) for arn in sorted(frontier)]
        reached = {src[1] for edge_type in ("COPIED_FROM", "REPLICA_OF")
                   for src, _, _ in store.edges_to(edge_type, ids)}
        frontier = reached - found - arns
        found |= frontier
    return found


def _scoped_inputs(store: Store, states: list[State], sources: set[str]) -> _Inputs | None:
    """`_whole_inputs` of `sources` alone, read by key; None when their tags hang on a cycle of copies."""
    ids = [("S3Object", arn) for arn in sorted(sources)]
    objects = {key: attrs for (_, key), attrs in store.nodes_at(ids).items()}
    names = {a["bucket"] for a in objects.values() if isinstance(a.get("bucket"), str)} | _destinations(states)
    buckets = {key: attrs for (_, key), attrs in store.nodes_at(("S3Bucket", b) for b in sorted(names)).items()}
    tags = _scoped_tags(store, sources)
    if tags is None:
        return None
    kms = {dst[1] for _, dst, _ in store.edges_to("ENCRYPTS", ids)}
    writes: dict[str, set[str]] = defaultdict(set)
    _add_writes(writes, store.edges_to("WROTE", ids), store.edges_to("CONTAINS", ids),
                store.edges_from("REPLICA_OF", ids))
    return _Inputs(objects, buckets, tags, kms, writes)


def _scoped_tags(store: Store, arns: set[str]) -> dict[str, list[str]] | None:
    """`effective_object_tags` of `arns`, from the objects their tags can come from (followed by key); None when
    those hold a cycle of copies (the whole graph's answer then depends on the order it resolves them in)."""
    sources: dict[str, list[tuple[str, str]]] = defaultdict(list)
    explored: set[str] = set()
    frontier = set(arns)
    while frontier:
        explored |= frontier
        ids = [("S3Object", arn) for arn in sorted(frontier)]
        for edge_type in ("COPIED_FROM", "REPLICA_OF"):
            for dst, src, attrs in store.edges_from(edge_type, ids):
                add_tag_source(sources, edge_type, dst, src, attrs)
        frontier = {src for arn in frontier for _, src in sources.get(arn, ())} - explored
    if _has_cycle(sources):
        return None
    own = {key: own_tags(attrs) for (_, key), attrs in store.nodes_at(("S3Object", a) for a in sorted(explored)).items()
           if attrs.get("tags") is not None}
    return {arn: held[1] for arn, held in resolve_tags(own, sources).items() if arn in arns}


def _has_cycle(sources: dict[str, list[tuple[str, str]]]) -> bool:
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(arn: str) -> bool:
        state[arn] = 1
        for _, src in sources.get(arn, ()):
            if state.get(src) == 1 or (src not in state and visit(src)):
                return True
        state[arn] = 2
        return False

    return any(arn not in state and visit(arn) for arn in list(sources))


def _destinations(states: list[State]) -> set[str]:
    """Every bucket a rule of any replication state replicates to."""
    found = set()
    for state in states:
        for rule in (_rules_of(state.document) or []) if state.document else []:
            bucket = (rule.get("Destination") or {}).get("Bucket")
            if bucket:
                found.add(bucket)
    return found


def digest(value: Any) -> str:
    """A short, stable digest of a JSON-able value (as graphgov.access.fingerprint's)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _states_digest(states: list[State]) -> str:
    return digest(sorted(astuple(s) for s in states))


SATELLITE_PROPS = {"S3Bucket": ("id", "name", "arn", "account_id"), "AWSAccount": ("id",),
                   "AWSPrincipal": ("arn", "id", "account_id", "principal_type", "partition")}


def _satellite_digest(store: Store, satellites: list[tuple[str, str]]) -> str:
    """The properties the replicas' bucket, account and root rows set, as stored (their windows, sources and
    labels only grow: a row written again cannot change them)."""
    held = store.nodes_at(satellites)
    return digest([[list(n), [held.get(n, {}).get(p) for p in SATELLITE_PROPS[n[0]]]] for n in sorted(satellites)])


def _record(store: Store, states: list[State], named: set[NodeId], base: dict[str, Any] | None) -> dict[str, Any]:
    """What the next load compares with: the states read, the bucket/account/root rows named (a scoped derivation
    adds its own to the last one's) and their properties as now stored."""
    named = set(named)
    named.update(tuple(n) for n in (base or {}).get("satellites") or ())
    satellites = sorted(named)
    return {"states": _states_digest(states), "satellites": [list(n) for n in satellites],
            "props": _satellite_digest(store, satellites)}


def _states(store: Store) -> list[State]:
    states = []
    for _, attrs in store.scan_nodes("PolicyState"):
        if attrs.get("kind") == "replication":
            try:
                states.append(State.from_node(attrs))
            except StateError:
                continue  # graphgov.access.derivation quarantines it
    return states


def _whole_batches(store: Store, states: list[State]) -> Iterator[_Inputs]:
    """The whole graph's inputs, WHOLE_BATCH objects at a time when each object's replicas depend on that object
    alone (no bucket a rule replicates from is one a rule replicates to: no chain), so memory does not grow with
    the objects of the replicated buckets (1.4M at 10M records). Writing each batch's changed rows gives what
    one derivation of the whole gives: the rows a batch names again (a destination bucket, an account) merge
    their windows as Store.write merges any row. With a chain, or when a batch's tags hang on a cycle of copies,
    the rest is derived whole (`_whole_inputs`), which writes only what the batches before it did not."""
    configured = {s.subject for s in states}
    if configured & _destinations(states):
        yield _whole_inputs(store, states)
        return
    arns = sorted(arn for arn, attrs in store.scan_nodes("S3Object") if attrs.get("bucket") in configured)
    for start in range(0, len(arns), WHOLE_BATCH):
        inputs = _scoped_inputs(store, states, set(arns[start:start + WHOLE_BATCH]))
        if inputs is None:
            del arns
            yield _whole_inputs(store, states)
            return
        yield inputs


def _whole_inputs(store: Store, states: list[State]) -> _Inputs:
    """The objects of the buckets a replication configuration was seen for, with the attributes `_derive` reads
    and their writes, tags and keys: no other object can replicate (`_derive` passes over them), and at 10M
    records holding every object whole took a load from 0.4 to 6 GB."""
    configured = {s.subject for s in states}
    objects = {arn: {name: attrs[name] for name in _OBJECT_FIELDS if name in attrs}
               for arn, attrs in store.scan_nodes("S3Object") if attrs.get("bucket") in configured}
    buckets = {name: attrs for name, attrs in store.scan_nodes("S3Bucket")}
    tags = {arn: held[1] for arn, held in effective_object_tags(store).items() if arn in objects}
    kms = {dst[1] for _, dst, _ in store.scan_edges("ENCRYPTS") if dst[0] == "S3Object" and dst[1] in objects}
    writes: dict[str, set[str]] = defaultdict(set)
    _add_writes(writes, (e for e in store.scan_edges("WROTE") if e[1][1] in objects),
                (e for e in store.scan_edges("CONTAINS") if e[1][1] in objects),
                (e for e in store.scan_edges("REPLICA_OF") if e[0][1] in objects))
    return _Inputs(objects, buckets, tags, kms, writes)


_OBJECT_FIELDS = ("bucket", "key", "tags")  # what `_derive` and `_replica` read of an object


def _add_writes(writes: dict[str, set[str]], wrote: Iterable, contains: Iterable, replica_of: Iterable) -> None:
    """When each object was written: WROTE edges, a notification's creation on CONTAINS, a replica's replication."""
    for _, obj, attrs in wrote:
        writes[obj[1]].update(t for t in (attrs.get("first_seen"), attrs.get("last_seen")) if t)
    for _, obj, attrs in contains:
        if any("created" in str(e).lower() for e in attrs.get("events") or ()):
            writes[obj[1]].update(t for t in (attrs.get("first_seen"), attrs.get("last_seen")) if t)
    for replica, _, attrs in replica_of:
        if attrs.get("replicated_at"):
            writes[replica[1]].add(attrs["replicated_at"])


def _derive(states: list[State], inputs: _Inputs) -> Patch:
    timeline = Timeline(states)
    configured = {s.subject for s in states}
    config_times = {b: sorted({t for s in states if s.subject == b for t in s.observed}) for b in configured}
    objects, buckets, tags, kms, writes = inputs.objects, inputs.buckets, inputs.tags, inputs.kms, inputs.writes
    found: dict[EdgeId, dict[str, Any]] = {}  # REPLICA_OF -> its row
    satellites: dict[EdgeId, tuple] = {}  # REPLICA_OF -> what its replica's other rows need
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
                    added += _replica(rule, arn, attrs, moment, buckets, found, satellites, objects, writes)
        if not added:
            break
    return _rows(found, satellites)


def _replica(rule: dict[str, Any], source: str, attrs: dict[str, Any], moment: str, buckets: dict[str, Any],
             found: dict, satellites: dict, objects: dict, writes: dict) -> int:
    """The REPLICA_OF row of one replica, when it is new to this derivation or earlier than found so far: 1, else 0."""
    dest = rule.get("Destination") or {}
    bucket, key = dest.get("Bucket"), attrs["key"]
    if not bucket:
        return 0
    partition = source.split(":", 2)[1] if source.startswith("arn:") else "aws"
    replica = s3_object_arn(bucket, key, partition)
    edge_id = ("REPLICA_OF", ("S3Object", replica), ("S3Object", source))
    known = found.get(edge_id)
    if known is not None and known["replicated_at"] <= moment:
        return 0
    source_account = (buckets.get(attrs["bucket"]) or {}).get("account_id")
    account = dest.get("Account") or (buckets.get(bucket) or {}).get("account_id")
    props: dict[str, Any] = {"replicated_at": moment, "destination_bucket": bucket, "rules": [rule.get("ID") or ""],
                             "owner_override": bool(dest.get("OwnerOverride"))}
    if account:
        props["destination_account"] = account
        if account != source_account:  # that account receives a copy
            props["destination_principal"] = account_root_arn(partition, account)
    found[edge_id] = {**props, "first_seen": moment, "last_seen": moment, "sources": [SOURCE], "event_ids": []}
    satellites[edge_id] = (bucket, key, replica, partition, dest.get("Account"), account,
                           props.get("destination_principal"))
    objects.setdefault(replica, {"arn": replica, "bucket": bucket, "key": key})
    writes[replica].add(moment)
    return 1


def _rows(found: dict[EdgeId, dict[str, Any]], satellites: dict[EdgeId, tuple]) -> Patch:
    """The REPLICA_OF rows found and, for each, its replica object, bucket, CONTAINS and accounts, each row's
    window spanning the replication times of the replicas it serves (whatever order they were found in)."""
    nodes: dict[NodeId, dict[str, Any]] = {}
    edges: dict[EdgeId, dict[str, Any]] = {}

    def node(node_id: NodeId, props: dict[str, Any], moment: str) -> None:
        _widen(nodes.setdefault(node_id, {"first_seen": moment, "last_seen": moment, "sources": [SOURCE]}), moment)
        nodes[node_id].update(props)

    def link(edge_id: EdgeId, moment: str) -> None:
        _widen(edges.setdefault(edge_id, {"first_seen": moment, "last_seen": moment, "sources": [SOURCE],
                                          "event_ids": []}), moment)

    for edge_id in sorted(found):
        row = found[edge_id]
        moment = row["replicated_at"]
        bucket, key, replica, partition, named_account, account, root = satellites[edge_id]
        bucket_props = {"id": bucket, "name": bucket, "arn": s3_bucket_arn(bucket, partition), "labels": ["S3Bucket"]}
        if named_account:
            bucket_props["account_id"] = named_account
        node(("S3Bucket", bucket), bucket_props, moment)
        node(("S3Object", replica), {"arn": replica, "bucket": bucket, "key": key, "labels": ["S3Object"]}, moment)
        link(("CONTAINS", ("S3Bucket", bucket), ("S3Object", replica)), moment)
        if account:
            if root:
                node(("AWSAccount", account), {"id": account, "labels": ["AWSAccount"]}, moment)
                node(("AWSPrincipal", root), {"arn": root, "id": root, "account_id": account,
                                              "principal_type": "AWSAccount", "partition": partition,
                                              "labels": ["AWSPrincipal"]}, moment)
                link(("RESOURCE", ("AWSAccount", account), ("AWSPrincipal", root)), moment)
            link(("RESOURCE", ("AWSAccount", account), ("S3Bucket", bucket)), moment)
            node(("AWSAccount", account), {"id": account, "labels": ["AWSAccount"]}, moment)
        edges[edge_id] = row
    return Patch(nodes, edges)


def _widen(row: dict[str, Any], moment: str) -> None:
    row["first_seen"], row["last_seen"] = min(row["first_seen"], moment), max(row["last_seen"], moment)
