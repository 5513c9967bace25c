"""Derived access: CAN_* edges for the policies in force, and who could read each job's inputs when it ran.

Run after every load and pull (`refresh_access`). It reads the policy states and the AI resources
from the store, evaluates each relevant (principal, resource) pair with graphgov.access.model, and
replaces the derived edges whole, so a revoked grant disappears and the result never depends on the
order evidence arrived in. It also stamps each PolicyState with `valid_to` and `current`.

Derived edges: CAN_ASSUME (role trust), CAN_READ / CAN_WRITE (datasets, model artifacts, public
objects, registry groups; CAN_READ also Comprehend model versions, by comprehend:ImportModel), CAN_DECRYPT
(KMS keys), CAN_INVOKE (endpoints, non-foundation Bedrock models),
each with `access` (`potential` | `observed` | `conditional` | `unknown`), `via` (the granting statements),
`conditions` (the condition blocks not settled), `actions` and `as_of` (the latest evidence time).
`unknown` edges are those a bucket, key or trust policy never seen decides (`via` names it,
`unknown:<kind>-policy:<subject>`); `observed` ones a successful call in CloudTrail settles (a read of the
data, key use, a role assumption) when the known policies decide the same at the call and at the time
asked about. INPUT_READABLE_BY links a training or customization job to each principal that could read
its input datasets at the job's start, directly or through a chain of role assumptions; who may assume
an observed reader inherits `potential`.
"""

from __future__ import annotations

import time as wallclock
from collections import defaultdict
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from graphgov.access.checks import state_error
from graphgov.access.fingerprint import edge_digests, facts_digests
from graphgov.access.marker import recorded
from graphgov.access.memo import HeldAnswers
from graphgov.access.model import (
    ANYONE,
    PROBE,
    RANK,
    UNREADABLE,
    AccessModel,
    Outcome,
    Target,
    account_of,
    parsed_document,
    principal_kind,
    principals_named,
)
from graphgov.access.pruning import Pruner
from graphgov.access.timeline import END_OF_TIME, State, StateError, Timeline
from graphgov.core import ids
from graphgov.core.delta import GraphDelta, NodeRow
from graphgov.core.merge_rules import NAMED_ONLY_SOURCE, named_only
from graphgov.core.schema import ACCESS_MODEL_KINDS, COMPREHEND_MODEL_KINDS
from graphgov.ingest.aggregate import Aggregate, NodeId
from graphgov.pause import pause_point
from graphgov.stores.base import DerivedEdge, Store

if TYPE_CHECKING:
    from graphgov.access.scope import Scope

CHAIN_DEPTH = 3  # role assumptions followed from a reader back to who could reach it
JOB_LABELS = ("TrainingJob", "CustomizationJob")
# What calling an endpoint takes, by the resource type in its ARN (a SageMaker endpoint's otherwise): the IAM
# action each Comprehend endpoint kind is authorised by (Comprehend's service authorization reference).
ENDPOINT_ACTIONS = {"document-classifier-endpoint": ("comprehend:ClassifyDocument",),
                    "entity-recognizer-endpoint": ("comprehend:DetectEntities",)}
_ACCESS_NAME = {"allow": "potential", "observed": "observed", "conditional": "conditional", "unknown": "unknown"}
# The note an observed access carries: the call proves the access in its own request context only.
OBSERVED_CONTEXT = "context:observed-call-only"
_NAME_RANK = {name: RANK[access] for access, name in _ACCESS_NAME.items()}


@dataclass
class AccessSummary:
    """What a derivation did. `quarantined`: policy states that cannot be evaluated (each with its subject, slot,
    event and error; the answers they take part in are `unknown`); `errors`: derivation steps that failed for
    one item (a target, a job), contained to it. Both appear in `as_dict` only when there are some."""

    policy_states: int = 0
    principals: int = 0
    targets: int = 0
    decisions: int = 0
    edges: dict[str, int] | None = None
    seconds: float = 0.0
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # `full`; `incremental` (only what changed since the last derivation, graphgov.access.incremental);
    # `unchanged` (the load wrote nothing: the counts are the last derivation's). Shown unless `full`.
    mode: str = "full"
    rederived: dict[str, int] | None = None  # incremental: targets, principals, pairs and jobs re-derived

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"policy_states": self.policy_states, "principals": self.principals,
                               "targets": self.targets, "decisions": self.decisions,
                               "edges": dict(sorted((self.edges or {}).items()))}
        if self.mode != "full":
            out["derived"] = self.mode
        if self.rederived is not None:
            out["rederived"] = dict(self.rederived)
        if self.quarantined:
            out["quarantined"] = len(self.quarantined)
        if self.errors:
            out["errors"] = len(self.errors)
            out["error_items"] = [f"{e['item']}: {e['error']}" for e in self.errors[:ERRORS_LISTED]]
        return out


ERRORS_LISTED = 5  # derivation errors named in the summary (all are counted)


def quarantine_entry(state: State, error: str) -> dict[str, Any]:
    """The evidence of a quarantined state: where it stood and what set it (never its document text)."""
    return {"state": state.id, "subject": state.subject, "slot": state.slot, "kind": state.kind,
            "set_by": state.evidence_name(), "error": error}


@dataclass
class _Facts:
    states: list[State]
    rejected: list[dict[str, Any]]  # PolicyState nodes the timeline cannot place (quarantined)
    principals: dict[str, tuple[str, ...]]  # key -> labels
    policy_only_principals: set[str]  # principals the graph knows only because a policy names them
    role_paths: dict[str, str]  # role key -> its IAM path, when known
    org_policy_types: dict[str, str]
    management_accounts: set[str]  # where the organisations' SCPs/RCPs live; none of them applies there
    organizations: dict[str, str]  # management account -> its organisation id (from org policy and OU ARNs)
    buckets: dict[str, str | None]  # name -> owner account
    datasets: dict[str, dict[str, Any]]
    artifacts: dict[str, dict[str, Any]]
    keys: dict[str, dict[str, Any]]
    endpoints: dict[str, dict[str, Any]]
    models: dict[str, dict[str, Any]]
    groups: dict[str, dict[str, Any]]
    encrypted_buckets: dict[str, str]  # bucket -> key seen encrypting it (or its objects)
    job_inputs: dict[tuple[str, str], set[str]]  # (label, job) -> dataset uris
    job_starts: dict[tuple[str, str], str]
    observed: dict[tuple[str, str, str], list[Observation]]  # (principal, label, key) -> successful calls seen
    bucket_points: dict[str, tuple[str, ...]] = field(default_factory=dict)  # bucket -> its access point ARNs
    state_nodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # PolicyState key -> its properties


def _read_facts(store: Store) -> _Facts:
    nodes = {label: dict(store.scan_nodes(label)) for label in (
        "PolicyState", "AWSPrincipal", "AWSPolicy", "S3Bucket", "Dataset", "ModelArtifact", "KMSKey", "Endpoint",
        "Model", "ModelPackageGroup", "AWSOrganizationalUnit", "S3AccessPoint", *JOB_LABELS)}
    encrypted: dict[str, str] = {}
    for (_, key), (dst_label, dst), _attrs in store.scan_edges("ENCRYPTS"):
        bucket = dst if dst_label == "S3Bucket" else ids.parse_s3_uri(dst).bucket
        encrypted.setdefault(bucket, key)
    job_inputs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for src, (dst_label, dst), _attrs in store.scan_edges("READS"):
        if src[0] in JOB_LABELS and dst_label == "Dataset":
            job_inputs[src].add(dst)
    job_starts: dict[tuple[str, str], str] = {}
    for label in JOB_LABELS:
        for key, attrs in nodes[label].items():
            job_starts[(label, key)] = attrs["first_seen"]
    for _src, dst, attrs in store.scan_edges("CREATED"):
        if dst in job_starts:
            job_starts[dst] = min(job_starts[dst], attrs["first_seen"])
    observed = _observations(store, nodes["ModelArtifact"])
    states, rejected = _states(nodes["PolicyState"])
    return _Facts(
        states=states, rejected=rejected, **_principal_facts(nodes["AWSPrincipal"]),
        org_policy_types={k: a["policy_type"] for k, a in nodes["AWSPolicy"].items() if a.get("policy_type")},
        management_accounts={a["account_id"] for a in nodes["AWSPolicy"].values()
                             if a.get("policy_type") in ("scp", "rcp") and a.get("account_id")},
        organizations=_organizations(a.get("arn") for label in ("AWSPolicy", "AWSOrganizationalUnit")
                                     for a in nodes[label].values()),
        buckets={k: a.get("account_id") for k, a in nodes["S3Bucket"].items()},
        datasets=nodes["Dataset"], artifacts=nodes["ModelArtifact"], keys=nodes["KMSKey"],
        endpoints=nodes["Endpoint"],
        models={k: a for k, a in nodes["Model"].items() if a.get("kind") in ACCESS_MODEL_KINDS},
        groups=nodes["ModelPackageGroup"], encrypted_buckets=encrypted, job_inputs=dict(job_inputs),
        job_starts=job_starts, observed=observed, bucket_points=_bucket_points(nodes["S3AccessPoint"]),
        state_nodes=nodes["PolicyState"],
    )


def _principal_facts(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """What the derivation reads of the AWSPrincipal nodes."""
    return {"principals": {k: tuple(a.get("labels", ())) for k, a in nodes.items()},
            "policy_only_principals": {k for k, a in nodes.items() if named_only(a)},
            "role_paths": {k: a["path"] for k, a in nodes.items() if a.get("path")}}


def _states(nodes: Mapping[str, Mapping[str, Any]]) -> tuple[list[State], list[dict[str, Any]]]:
    """The PolicyState nodes as states; those the timeline cannot place are set aside, named."""
    states, rejected = [], []
    for key, attrs in sorted(nodes.items()):
        try:
            states.append(State.from_node(attrs))
        except StateError as exc:
            rejected.append({"state": key, "subject": str(attrs.get("subject")), "slot": str(attrs.get("slot")),
                             "kind": str(attrs.get("kind")), "set_by": str(attrs.get("event_id")),
                             "error": str(exc)})
    return states, rejected


def _bucket_points(points: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    """The access points serving each bucket (those whose bucket is known)."""
    out: dict[str, list[str]] = defaultdict(list)
    for arn, attrs in points.items():
        if attrs.get("bucket") and not ids.is_access_point_name(attrs["bucket"]):
            out[attrs["bucket"]].append(arn)
    return {bucket: tuple(sorted(arns)) for bucket, arns in out.items()}


@dataclass(frozen=True, slots=True)  # slots: one per READ edge into a dataset, millions at 10M records
class Observation:
    """Successful calls of one principal on one resource (CloudTrail keeps no failed call as an edge)."""

    first_seen: str
    last_seen: str
    operations: tuple[str, ...]
    event_id: str | None  # one of the calls (the smallest id of the edge's sample)

    def via(self, time: str) -> str:
        event = f"#{self.event_id}" if self.event_id else ""
        return f"observed:cloudtrail:{'+'.join(self.operations)}@{time}{event}"


def endpoint_actions(arn: str) -> tuple[str, ...]:
    """The action that invokes the endpoint: `sagemaker:InvokeEndpoint`, or a Comprehend endpoint's own."""
    kind = ids.parse_arn(arn).resource.split("/", 1)[0] if ids.arn_service(arn) == "comprehend" else ""
    return ENDPOINT_ACTIONS.get(kind, ("sagemaker:InvokeEndpoint",))


def _observations(store: Store, artifacts: Mapping[str, Mapping[str, Any]]) -> dict[tuple[str, str, str],
                                                                                    list[Observation]]:
    """What CloudTrail saw succeed: reads of a dataset's or artifact's objects, key use, role assumption."""
    operations: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per distinct list: a few dozen in all

    def observation(attrs: Mapping[str, Any]) -> Observation:
        ops = tuple(attrs.get("operations") or ())
        return Observation(attrs["first_seen"], attrs["last_seen"], operations.setdefault(ops, ops),
                           min(attrs.get("event_ids") or [None], key=lambda e: e or ""))
    datasets_of: dict[str, list[str]] = defaultdict(list)
    for (_, obj), (label, dataset), _attrs in store.scan_edges("IN_DATASET"):
        if label == "Dataset":
            datasets_of[obj].append(dataset)
    artifact_of = {ids.s3_object_arn(a["bucket"], a["key"]): uri for uri, a in artifacts.items()
                   if a.get("bucket") and a.get("key")}
    out: dict[tuple[str, str, str], list[Observation]] = defaultdict(list)
    for (label, principal), (_, obj), attrs in store.scan_edges("READ"):
        if label != "AWSPrincipal":
            continue
        for dataset in datasets_of.get(obj, ()):
            out[(principal, "Dataset", dataset)].append(observation(attrs))
        if obj in artifact_of:
            out[(principal, "ModelArtifact", artifact_of[obj])].append(observation(attrs))
    for edge_type, target_label in (("USED_KEY", "KMSKey"), ("ASSUMED_ROLE", "AWSPrincipal")):
        for (label, principal), (_, key), attrs in store.scan_edges(edge_type):
            if label == "AWSPrincipal":
                out[(principal, target_label, key)].append(observation(attrs))
    return dict(out)


def _organizations(arns: Iterable[Any]) -> dict[str, str]:
    """Management account -> organisation id, from ARNs of the organisation's policies, OUs and roots
    (`arn:aws:organizations::<management>:policy/o-.../...`, `:ou/o-.../...`, `:root/o-.../...`)."""
    out: dict[str, str] = {}
    for arn in arns:
        if isinstance(arn, str) and arn.startswith("arn:") and ":organizations::" in arn:
            parsed = ids.parse_arn(arn)
            org = parsed.resource.split("/")[1] if parsed.resource.count("/") >= 1 else ""
            if parsed.account and org.startswith("o-"):
                out.setdefault(parsed.account, org)
    return out


class _Deriver:
    def __init__(self, facts: _Facts) -> None:
        self.facts = facts
        self.timeline = Timeline(facts.states)
        known_principals = {s.subject for s in facts.states if s.subject_type in ("AWSRole", "AWSUser")}
        self.known_accounts = {account_of(p) for p in known_principals} - {None}
        self.model = AccessModel(self.timeline, facts.principals, facts.org_policy_types, self.known_accounts,
                                 facts.management_accounts, facts.role_paths,
                                 {k for k, a in facts.keys.items() if a.get("key_manager") == "AWS"},
                                 facts.organizations)
        self.known_principals = sorted(known_principals)
        self.principals_of: dict[str | None, list[str]] = defaultdict(list)  # account -> its known principals
        for principal in self.known_principals:
            self.principals_of[account_of(principal)].append(principal)
        self._assumers: HeldAnswers[str, list[tuple[str, Outcome]]] = HeldAnswers(self.timeline)
        self.pruner = Pruner(self.model, facts.principals, facts.observed)
        self.decisions = 0
        self.target_count = 0
        self.errors: list[dict[str, Any]] = []

    # --- targets -----------------------------------------------------------------------------------

    def _bucket_key(self, bucket: str, time: str) -> str | None:
        """The SSE-KMS key guarding the bucket's objects at `time`: its default encryption, else one seen."""
        resolved = self.timeline.slot_at(bucket, "encryption", time)
        if resolved is not None and resolved.state is not None and resolved.state.target:
            return resolved.state.target
        return self.facts.encrypted_buckets.get(bucket)

    def s3_targets(self, label: str, key: str, bucket: str, object_key: str, prefix: bool, time: str) -> list[Target]:
        arn = ids.s3_object_arn(bucket, object_key + (PROBE if prefix else ""))
        owner = self.facts.buckets.get(bucket)
        kms_key = self._bucket_key(bucket, time)
        out = []
        for point in (None, *self.facts.bucket_points.get(bucket, ())):  # the bucket itself, then each access point
            out += [Target(label, key, "CAN_READ", ("s3:GetObject", "s3:ListBucket"), arn, owner, "s3", bucket,
                           kms_key, bucket, point),
                    Target(label, key, "CAN_WRITE", ("s3:PutObject",), arn, owner, "s3", bucket, kms_key, bucket,
                           point)]
        return out

    def dataset_targets(self, uri: str, time: str) -> list[Target]:
        attrs = self.facts.datasets[uri]
        prefix = attrs.get("data_type", "S3Prefix") == "S3Prefix"
        return self.s3_targets("Dataset", uri, attrs["bucket"], attrs.get("prefix") or "", prefix, time)

    def contain(self, item: str, error: BaseException) -> None:
        """Note a derivation step that failed for one item: counted and named in the summary, never fatal."""
        self.errors.append({"item": item, "error": f"{type(error).__name__}: {error}"[:300]})

    def targets(self, time: str = END_OF_TIME) -> list[Target]:
        out: list[Target] = []
        for uri in sorted(self.facts.datasets):
            try:
                out += self.dataset_targets(uri, time)
            except Exception as exc:  # noqa: BLE001 - one odd dataset node must not stop the derivation
                self.contain(f"Dataset {uri}", exc)
        for uri, attrs in sorted(self.facts.artifacts.items()):
            try:
                out += self.s3_targets("ModelArtifact", uri, attrs["bucket"], attrs["key"], False, time)
            except Exception as exc:  # noqa: BLE001 - one odd artifact node must not stop the derivation
                self.contain(f"ModelArtifact {uri}", exc)
        for arn, attrs in sorted(self.facts.keys.items()):
            out.append(Target("KMSKey", arn, "CAN_DECRYPT", ("kms:Decrypt", "kms:GenerateDataKey"), arn,
                              attrs.get("account_id") or account_of(arn), "kms", arn))
        for arn in self.roles():
            out.append(self.role_target(arn))
        for arn, attrs in sorted(self.facts.endpoints.items()):
            out.append(Target("Endpoint", arn, "CAN_INVOKE", endpoint_actions(arn), arn,
                              attrs.get("account_id") or account_of(arn), "other"))
        for arn, attrs in sorted(self.facts.models.items()):
            account = attrs.get("account_id") or account_of(arn)
            if attrs.get("kind") in COMPREHEND_MODEL_KINDS:  # who may copy it into their account (model policy)
                out.append(Target("Model", arn, "CAN_READ", ("comprehend:ImportModel",), arn, account, "comprehend",
                                  arn))
            else:
                out.append(Target("Model", arn, "CAN_INVOKE", ("bedrock:InvokeModel",), arn, account, "other"))
        for arn, attrs in sorted(self.facts.groups.items()):
            package = arn.replace(":model-package-group/", ":model-package/") + "/1"
            out.append(Target("ModelPackageGroup", arn, "CAN_READ", ("sagemaker:DescribeModelPackage",), package,
                              attrs.get("account_id") or account_of(arn), "other", arn))
        return out

    def role_target(self, role: str) -> Target:
        """sts:AssumeRole on the role as IAM names it: with its path, which policies must match."""
        path = self.facts.role_paths.get(role) or "/"
        arn = role.replace(":role/", f":role{path}", 1) if path != "/" else role
        return Target("AWSPrincipal", role, "CAN_ASSUME", ("sts:AssumeRole",), arn, account_of(role), "trust", role)

    def roles(self) -> list[str]:
        """Roles with a trust policy seen, and every other role the evidence shows (a caller, an assumed role):
        its trust policy unknown, so only principals of its own account whose policies are known can be
        asked about (no document names anyone else); roles of other accounts are left out. So are roles
        known only because a policy names them: the derivation itself adds their nodes, and must give the
        same answer when run again."""
        roles = {s.subject for s in self.facts.states if s.slot == "trust"}
        roles |= {key for key, labels in self.facts.principals.items()
                  if "AWSRole" in labels and principal_kind(key, labels) == "role"
                  and key not in self.facts.policy_only_principals and account_of(key) in self.known_accounts}
        return sorted(roles)

    # --- candidates --------------------------------------------------------------------------------

    def candidates(self, target: Target, time: str) -> list[str]:
        """Principals worth asking about: the target account's own, and those its policy names."""
        docs, known, _extra = self.model.resource_docs(target, time)
        point = ids.parse_access_point_arn(target.access_point)
        if point is not None:  # through an access point: whom its policy names, and its own account
            point_docs, point_known, _ = self.model.access_point_policy(point.arn, time)
            docs, known = [*docs, *point_docs], known and point_known
        named, accounts, anyone = principals_named(d.document for d in docs)
        prune = self.pruner.target_allows_pruning(target, docs, known, time)
        out = set(named)
        if any(d.label.startswith(UNREADABLE) for d in docs):  # whom it names is not known: ask every principal
            out |= {p for p in self.facts.principals if p not in self.facts.policy_only_principals} | {ANYONE}
        if point is not None and point.account and point.account != target.account:
            accounts.add(point.account)
            out.add(ids.account_root_arn("aws", point.account))  # the access point's owner: exposure to it
        # the target account's own, and those of the accounts its policies name (every account's, for everyone)
        asked = self.principals_of if target.account is None or anyone else {target.account, *accounts}
        for account in asked:
            members = self.principals_of.get(account, ())
            out.update(self.pruner.worth_asking(account, members, target, time, prune) if prune else members)
        if anyone:
            out.add(ANYONE)
        if target.account:
            out.discard(ids.account_root_arn("aws", target.account))  # the owner account itself: not news
        if target.edge == "CAN_ASSUME":
            out.discard(target.key)
        return sorted(out)

    def decide(self, principal: str, target: Target, time: str) -> Outcome:
        self.decisions += 1
        kind = principal_kind(principal, self.facts.principals.get(principal, ()))
        if target.edge == "CAN_ASSUME" and kind == "federated":
            action = "sts:AssumeRoleWithSAML" if ":saml-provider/" in principal else "sts:AssumeRoleWithWebIdentity"
            target = replace(target, actions=(action,))
        outcome = self.model.decide_at(principal, target, time)
        if principal == ANYONE and target.bucket and RANK[outcome.access] > 0:
            unread = sorted(filter(None, (self.model.unreadable_settings(s, "public-access-block", time)
                                          for s in (target.bucket, target.account, target.access_point))))
            if unread:  # whether Block Public Access shuts it is not known
                return Outcome("unknown", sorted({*outcome.via, *unread}), outcome.conditions, outcome.actions)
            block = self.model.public_block(target.bucket, target.account, time)
            if block["RestrictPublicBuckets"]:
                return Outcome("deny", ["public-access-block:RestrictPublicBuckets"], explicit_deny=True)
            if target.access_point and self.model.public_block(target.access_point, None, time)[
                    "RestrictPublicBuckets"]:  # S3 also applies the access point's own settings
                return Outcome("deny", [f"public-access-block:{target.access_point}:RestrictPublicBuckets"],
                               explicit_deny=True)
        if RANK[outcome.access] >= RANK["observed"] or outcome.explicit_deny:
            return outcome
        seen = self._seen(principal, target, time)
        if seen:
            return _as_observed(outcome, seen, target)
        if target.kms_key:  # the key's side alone may have been seen in use
            gate = self._seen(principal, self._key_target(target.kms_key, target.edge), time)
            if gate:
                data = self.model.decide_at(principal, replace(target, kms_key=None), time)
                if not data.explicit_deny and RANK[data.access] > 0:
                    settled = _as_observed(Outcome("unknown"), gate, target)
                    access = min(data.access, settled.access, key=lambda a: RANK[a])
                    return Outcome(access, sorted({*data.via, *settled.via}), data.conditions, data.actions)
        return outcome

    def _key_target(self, key: str, edge: str) -> Target:
        """The SSE-KMS gate of a read (kms:Decrypt) or a write (kms:GenerateDataKey)."""
        attrs = self.facts.keys.get(key) or {}
        action = "kms:GenerateDataKey" if edge == "CAN_WRITE" else "kms:Decrypt"
        return Target("KMSKey", key, "CAN_DECRYPT", (action,), key, attrs.get("account_id") or account_of(key),
                      "kms", key)

    def _seen(self, principal: str, target: Target, time: str) -> tuple[Observation, str] | None:
        """A successful call of the principal on the target that settles its access at `time`: the documents
        graphgov knows give the same answer at the call and at `time` (no known change between decides it)."""
        if target.edge == "CAN_WRITE" and target.label != "KMSKey":
            return None  # only reads and key use are kept as observations
        action = target.actions[0].split(":", 1)[-1]
        calls = [c for c in self.facts.observed.get((principal, target.label, target.key), ())
                 if target.label != "KMSKey" or any(op.startswith(action) for op in c.operations)]
        if not calls:
            return None
        wanted = self.model.decide_at(principal, target, time)

        def settling() -> tuple[Observation, str] | None:
            for call in sorted(calls, key=lambda c: c.last_seen, reverse=True):
                for moment in (call.last_seen, call.first_seen):
                    then = self.model.decide_at(principal, self._target_at(target, moment), moment)
                    if (then.access, then.via, then.conditions) == (wanted.access, wanted.via, wanted.conditions):
                        return call, moment
            return None
        # what held at the calls' own times does not depend on `time`: only `wanted` does
        return self.timeline.aside(settling)

    def _target_at(self, target: Target, time: str) -> Target:
        """The target as it was at `time` (a bucket's SSE-KMS key may have changed)."""
        if target.bucket:
            return replace(target, kms_key=self._bucket_key(target.bucket, time))
        return target

    def public_acl_edges(self, as_of: str) -> list[DerivedEdge]:
        """Objects and buckets an ACL opens to everyone, unless ACLs are disabled or ignored."""
        edges: list[DerivedEdge] = []
        datasets_in: dict[str, list[str]] = defaultdict(list)
        for uri, attrs in sorted(self.facts.datasets.items()):
            datasets_in[attrs.get("bucket")].append(uri)
        for subject_type, subject in sorted({(s.subject_type, s.subject) for s in self.facts.states
                                             if s.kind == "acl"}):
            try:
                bucket = subject if subject_type == "S3Bucket" else ids.parse_s3_uri(subject).bucket
            except Exception as exc:  # noqa: BLE001 - contained to this ACL (named in the summary)
                self.contain(f"acl {subject}", exc)
                continue
            owner = self.facts.buckets.get(bucket)
            block = self.model.public_block(bucket, owner, END_OF_TIME)
            if block["IgnorePublicAcls"] or self.model.acls_disabled(bucket, END_OF_TIME):
                continue
            grants = self.model.public_acl_grants(subject, END_OF_TIME)
            reads = [f"acl:{subject}#{g}" for g in grants if g.endswith((":READ", ":FULL_CONTROL"))]
            writes = [f"acl:{subject}#{g}" for g in grants if g.endswith((":WRITE", ":FULL_CONTROL"))]
            unread = sorted(filter(None, [self.model.unreadable_settings(s, slot, END_OF_TIME) for s, slot in (
                (bucket, "public-access-block"), (owner, "public-access-block"), (bucket, "ownership"))]))
            acl = self.model.unreadable_settings(subject, "acl", END_OF_TIME)
            if acl:  # what an unreadable ACL grants everyone is not known
                reads, writes, unread = [acl], [acl], sorted({*unread, acl})
            props = {"access": "unknown" if unread else "potential", "conditions": [], "as_of": as_of}
            reads, writes = (sorted({*reads, *unread}) if reads else []), (sorted({*writes, *unread}) if writes else [])
            if subject_type == "S3Object" and reads:  # a bucket's READ grant lists keys; it reads no object
                edges.append(DerivedEdge("CAN_READ", ("AWSPrincipal", ANYONE), ("S3Object", subject),
                                         {**props, "via": reads, "actions": ["s3:GetObject"]}))
            if subject_type == "S3Bucket" and writes:
                for uri in datasets_in.get(bucket, ()):
                    edges.append(DerivedEdge("CAN_WRITE", ("AWSPrincipal", ANYONE), ("Dataset", uri),
                                             {**props, "via": writes, "actions": ["s3:PutObject"]}))
        return edges

    # --- the two derivations -----------------------------------------------------------------------

    def current_edges(self, as_of: str, scope: Scope | None = None) -> list[DerivedEdge]:
        """The CAN_* edges in force; with a scope, only those of its targets, principals and pairs."""
        edges: list[DerivedEdge] = []
        targets = self.targets()
        self.target_count = len(targets)
        for target in targets:
            wanted = scope.principals_for(target.label, target.key) if scope is not None else None
            try:
                principals = self.candidates(target, END_OF_TIME)
            except Exception as exc:  # noqa: BLE001 - contained to this target (named in the summary)
                self.contain(f"{target.edge} {target.label} {target.key}", exc)
                continue
            if wanted is not None:
                principals = [p for p in principals if p in wanted]
            for principal in principals:
                try:
                    outcome = self.decide(principal, target, END_OF_TIME)
                except Exception as exc:  # noqa: BLE001 - this answer is unknown, the others stand
                    self.contain(f"{target.edge} {principal} -> {target.label} {target.key}", exc)
                    outcome = Outcome("unknown", [f"{DERIVATION_ERROR}{type(exc).__name__}"], [], [target.actions[0]])
                if outcome.access in ("allow", "observed", "conditional") or _unseen(outcome):
                    edges.append(DerivedEdge(target.edge, ("AWSPrincipal", principal), (target.label, target.key), {
                        "access": _ACCESS_NAME[outcome.access], "via": outcome.via, "conditions": outcome.conditions,
                        "actions": outcome.actions, "as_of": as_of}))
        edges += self.public_acl_edges(as_of)
        return _merged(edges)

    def assumers_at(self, role: str, time: str) -> list[tuple[str, Outcome]]:
        """Who could assume the role at `time`, and how (kept while the states it rests on hold: a role chain
        is walked for every job started meanwhile)."""
        target = self.role_target(role)
        return self._assumers.get(role, time, lambda: [
            (principal, outcome) for principal in self.candidates(target, time)
            if RANK[(outcome := self.decide(principal, target, time)).access] > 0])

    def readers_at_start(self, job: tuple[str, str]) -> list[DerivedEdge]:
        """Who could read the job's inputs when it started, directly or through role chains."""
        start = self.facts.job_starts.get(job)
        if not start:
            return []
        found: dict[str, dict[str, Any]] = {}
        for uri in sorted(self.facts.job_inputs.get(job, ())):
            if uri not in self.facts.datasets:
                continue
            frontier: list[tuple[str, Outcome, list[str]]] = []
            for read in (t for t in self.dataset_targets(uri, start) if t.edge == "CAN_READ"):
                for principal in self.candidates(read, start):  # directly and through each access point
                    outcome = self.decide(principal, read, start)
                    if RANK[outcome.access] > 0:
                        frontier.append((principal, outcome, []))
            best = {p: RANK[o.access] for p, o, _ in frontier}  # a principal is walked again only on a stronger path
            depth = 0
            while frontier:
                next_frontier = []
                for principal, outcome, chain in frontier:
                    _record(found, principal, uri, outcome, chain)
                    if depth >= CHAIN_DEPTH or principal_kind(principal) != "role":
                        continue
                    for assumer, assumed in self.assumers_at(principal, start):
                        combined = Outcome(min(_inherited(outcome.access), _inherited(assumed.access),
                                               key=lambda a: RANK[a]),
                                           sorted(set(outcome.via) | set(assumed.via)),
                                           sorted(set(outcome.conditions) | set(assumed.conditions)))
                        if RANK[combined.access] > best.get(assumer, -1):
                            best[assumer] = RANK[combined.access]
                            next_frontier.append((assumer, combined, [principal, *chain]))
                frontier = next_frontier
                depth += 1
        return [DerivedEdge("INPUT_READABLE_BY", job, ("AWSPrincipal", principal), _readable_props(row, start))
                for principal, row in sorted(found.items())]


DERIVATION_ERROR = "derivation-error:"  # `via` of an answer whose derivation failed (the summary names the error)


def _unseen(outcome: Outcome) -> bool:
    """Unknown because a resource policy was never seen, a policy taking part cannot be read, or deriving the
    answer failed (a derived edge says so and names it)."""
    return outcome.access == "unknown" and any(v.startswith(("unknown:", UNREADABLE, DERIVATION_ERROR))
                                               for v in outcome.via)


def _inherited(access: str) -> str:
    """Who may assume a principal seen succeeding inherits a `potential` access through the trust path."""
    return "allow" if access == "observed" else access


def _as_observed(outcome: Outcome, seen: tuple[Observation, str], target: Target) -> Outcome:
    """At least `observed`: the call settles what was unknown (the unseen documents drop out of `via`)."""
    call, moment = seen
    via = {v for v in outcome.via if not v.startswith("unknown:")} | {call.via(moment), OBSERVED_CONTEXT}
    return Outcome("observed", sorted(via), outcome.conditions, outcome.actions or [target.actions[0]])


def _record(found: dict[str, dict[str, Any]], principal: str, uri: str, outcome: Outcome, chain: list[str]) -> None:
    """Keep, per principal and input dataset, the best access with the grants and roles of the paths giving it."""
    row = found.setdefault(principal, {"access": {}, "via": defaultdict(set), "conditions": set(), "chain": chain})
    best = row["access"].get(uri)
    if best is not None and RANK[outcome.access] < RANK[best]:
        return
    if best is None or RANK[outcome.access] > RANK[best]:
        row["access"][uri] = outcome.access
        row["via"][uri] = set()
    row["via"][uri].update(outcome.via, (f"assume:{r}" for r in chain))
    row["conditions"].update(outcome.conditions)
    if len(chain) < len(row["chain"]):
        row["chain"] = chain


def _readable_props(row: dict[str, Any], as_of: str) -> dict[str, Any]:
    """Parallel lists per input dataset (a property cannot hold a list of lists: `vias[i]` is one line each)."""
    datasets = sorted(row["access"])
    return {"datasets": datasets, "accesses": [_ACCESS_NAME[row["access"][d]] for d in datasets],
            "vias": ["\n".join(sorted(row["via"][d])) for d in datasets], "conditions": sorted(row["conditions"]),
            "chain": row["chain"], "as_of": as_of}


def _merged(edges: list[DerivedEdge]) -> list[DerivedEdge]:
    """One edge per (type, principal, resource): the strongest access with the grants and conditions of the
    paths giving it (a weaker path, e.g. through an access point whose policy is unknown, adds nothing to a
    potential edge's `via`), and the union of actions."""
    merged: dict[tuple, DerivedEdge] = {}
    for edge in edges:
        key = (edge.type, edge.src, edge.dst)
        current = merged.get(key)
        if current is None:
            merged[key] = edge
            continue
        props = dict(current.props)
        new, old = _NAME_RANK[edge.props["access"]], _NAME_RANK[props["access"]]
        if new > old:
            props.update(access=edge.props["access"], via=sorted(edge.props.get("via", [])),
                         conditions=sorted(edge.props.get("conditions", [])))
        names = ("via", "conditions", "actions") if new == old else ("actions",)
        for name in names:
            props[name] = sorted({*props.get(name, []), *edge.props.get(name, [])})
        merged[key] = DerivedEdge(edge.type, edge.src, edge.dst, props)
    return [merged[k] for k in sorted(merged)]


def _principal_rows(keys: Iterable[str], existing: Mapping[str, Any]) -> list[NodeRow]:
    """Nodes for principals named only in policies (another account, a service, a provider, anyone)."""
    rows = []
    for key in sorted(set(keys) - set(existing)):
        kind = principal_kind(key)
        account = account_of(key)
        props: dict[str, Any] = {"arn": key, "id": key}
        if account:
            props["account_id"] = account
        if kind == "anyone":
            rows.append(NodeRow("AWSPrincipal", key, {**props, "name": "anyone", "principal_type": "Anyone"}))
        elif kind == "service":
            rows.append(NodeRow("AWSServicePrincipal", key, {**props, "name": key, "principal_type": "AWSService"}))
        elif kind == "role":
            rows.append(NodeRow("AWSRole", key, {**props, "name": key.rsplit("/", 1)[-1], "principal_type": "Role"}))
        elif kind == "user":
            rows.append(NodeRow("AWSUser", key, {**props, "name": key.rsplit("/", 1)[-1], "principal_type": "IAMUser"}))
        elif kind == "root":
            rows.append(NodeRow("AWSPrincipal", key, {**props, "name": account or key, "principal_type": "AWSAccount"}))
        else:
            rows.append(NodeRow("AWSPrincipal", key, {**props, "name": key.rsplit("/", 1)[-1],
                                                      "principal_type": "FederatedProvider" if kind == "federated"
                                                      else "Principal"}))
    return rows


def _named_principals(rows: list[NodeRow], timeline: Timeline, as_of: str) -> Aggregate:
    """Principals known only because a policy names them, seen from the first to the last policy state
    naming them: the same window whichever order and batches the evidence came in."""
    window: dict[str, list[str]] = {}
    for state in timeline.states.values():
        document = parsed_document(state.document or "") if state.document else None
        if document is None:
            continue
        keys, _accounts, anyone = principals_named([document])
        for key in keys | ({ANYONE} if anyone else set()):
            times = window.setdefault(key, [min(state.observed), max(state.observed)])
            times[0], times[1] = min(times[0], *state.observed), max(times[1], *state.observed)
    aggregate = Aggregate()
    for row in rows:
        first, last = window.get(row.key, [as_of or "1970-01-01T00:00:00Z"] * 2)
        for moment in (first, last):
            aggregate.add(GraphDelta(NAMED_ONLY_SOURCE, "derived", "derived", "derived", moment, (row,)))
    return aggregate


def refresh_access(store: Store, commit: bool = True, run: str | None = None) -> AccessSummary:
    """Recompute every derived access edge and policy-state validity from what the store holds.

    `commit=False` leaves making it durable to the caller (a load commits its evidence, then the derivation);
    `run`: the load it ends (graphgov.access.marker).
    """
    started = wallclock.monotonic()
    facts = _read_facts(store)
    deriver = _Deriver(facts)
    edges = deriver.current_edges(deriver.timeline.as_of or "") + job_edges(deriver, sorted(facts.job_inputs))
    return settle(store, facts, deriver, edges, started, commit=commit, run=run)


def job_edges(deriver: _Deriver, jobs: Iterable[tuple[str, str]]) -> list[DerivedEdge]:
    """INPUT_READABLE_BY of the jobs, each job's failure contained to it."""
    edges: list[DerivedEdge] = []
    for job in jobs:
        try:
            edges += deriver.readers_at_start(job)
        except Exception as exc:  # noqa: BLE001 - contained to this job (named in the summary)
            deriver.contain(f"INPUT_READABLE_BY {job[0]} {job[1]}", exc)
    return edges


def settle(store: Store, facts: _Facts, deriver: _Deriver, edges: list[DerivedEdge], started: float,
           removed: Set[tuple[str, NodeId, NodeId]] | None = None, added: list[DerivedEdge] | None = None,
           commit: bool = True, mode: str = "full", run: str | None = None) -> AccessSummary:
    """Write a derivation's result (`edges`: every derived edge in force; written as `added` replacing `removed`,
    by default all of them), the principals only policies name, the states' validity that changed, and the
    marker the next derivation compares with (graphgov.access.marker), in the same write; then the summary."""
    as_of = deriver.timeline.as_of or ""
    referenced = {e.src[1] for e in edges} | {e.dst[1] for e in edges if e.dst[0] == "AWSPrincipal"}
    evidenced = {k for k in facts.principals if k not in facts.policy_only_principals}
    rows = _principal_rows(referenced, evidenced)
    state_nodes: Mapping[str, Mapping[str, Any]] = facts.state_nodes
    if rows:
        store.write(_named_principals(rows, deriver.timeline, as_of), {})
        # on the embedded store a write under a materialized pending layer reverts the layer and materializes it
        # again: a PolicyState the layer made (a trail folder's membership riding on a pending copy) is back as
        # the copy wrote it, without the validity a derivation set. Compare with the states as they are now.
        state_nodes = dict(store.scan_nodes("PolicyState"))
    pause_point("derive")  # inert outside the kill trials
    updates = [(("PolicyState", state_id), props) for state_id, props in sorted(deriver.timeline.validity().items())
               if _differs(state_nodes.get(state_id), props)]
    counts: dict[str, int] = defaultdict(int)
    for edge in edges:
        counts[edge.type] += 1
    quarantined = facts.rejected + [quarantine_entry(state, error) for state in facts.states
                                    if (error := state_error(state)) is not None]
    summary = AccessSummary(len(facts.states), len(facts.principals), deriver.target_count, deriver.decisions,
                            dict(counts), wallclock.monotonic() - started, quarantined, deriver.errors, mode=mode)
    # the principals as the next derivation will read them: with those only policies name, written above
    read_next = replace(facts, **_principal_facts(dict(store.scan_nodes("AWSPrincipal")))) if rows else facts
    digests = {**facts_digests(read_next, deriver.timeline), **edge_digests((e.type, e.src, e.dst) for e in edges)}
    marker = recorded(store, digests, summary.as_dict(), run, edges)
    store.replace_derived_for(removed, edges if added is None else added, updates, marker, whole=edges)
    if commit:
        store.commit()
    return summary


def _differs(current: Mapping[str, Any] | None, props: Mapping[str, Any]) -> bool:
    """Whether setting `props` (None removes a property) changes the node."""
    return current is None or any(current.get(name) != value for name, value in props.items())
