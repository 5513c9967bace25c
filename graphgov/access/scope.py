"""What an incremental derivation must re-derive, from the facts whose digests changed (graphgov.access.fingerprint).

Derived answers hang on their facts this way (graphgov.access.model):

- a principal's answers on its identity side: its own policy states, its groups' (and so a group's states
  make every member dirty), the managed policies attached to it or bounding it (attached to a group: its
  members), its node (labels, IAM path, known only from a policy);
- a resource's answers on the resource side: its own states (trust, key policy, grants, key state, registry
  policy, lifecycle), its bucket's (policy, encryption, Block Public Access, ownership, ACLs, its access
  points' policies), the SSE-KMS keys that gate the bucket (so a key's states make the bucket's datasets and
  artifacts dirty), its node;
- one (principal, resource) pair on the calls CloudTrail saw it make (a key's use also settles the key gate of
  the buckets it encrypts);
- a job's readers on its inputs and start, on every principal (a changed identity may now read its data), and
  on the roles its readers' chains go through (their trust and who was seen assuming them).

What every answer hangs on (the organisations: SCPs, RCPs, OUs, membership; an account's Block Public Access;
the set of accounts whose policies are known) makes the scope `None`: derive everything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphgov.access.fingerprint import GLOBAL
from graphgov.access.model import ANYONE
from graphgov.access.timeline import State

if TYPE_CHECKING:
    from graphgov.access.derivation import _Facts

_ORG_SLOTS = ("organization", "parent", "content")
_ORG_PREFIXES = ("org-policy:", "target:", "org-")
# Fewer than this share of the targets and principals dirty: incremental; more: the full derivation is as cheap.
INCREMENTAL_SHARE = 0.5


@dataclass
class Scope:
    """The targets (label, key) re-derived whole, the principals re-derived on every target, the pairs
    (principal, label, key) re-derived on one target, the jobs re-derived; ANYONE is always re-derived (its
    public-ACL edges merge with the policy ones)."""

    targets: set[tuple[str, str]] = field(default_factory=set)
    principals: set[str] = field(default_factory=set)
    pairs: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    jobs: set[tuple[str, str]] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)  # roles whose assumers changed: jobs reaching them re-derive
    all_jobs: bool = False

    def principals_for(self, label: str, key: str) -> set[str] | None:
        """The principals to decide on this target: None for all of them."""
        if (label, key) in self.targets:
            return None
        return self.principals | self.pairs.get((label, key), set()) | {ANYONE}


class _Index:
    """Who depends on what, over the states and facts of this derivation (every time, not one moment)."""

    def __init__(self, facts: _Facts) -> None:
        self.members: dict[str, set[str]] = defaultdict(set)  # group -> principals ever in it
        self.attachers: dict[str, set[str]] = defaultdict(set)  # managed policy -> principals/groups it applied to
        self.key_buckets: dict[str, set[str]] = defaultdict(set)  # key -> buckets it ever encrypted
        self.subjects: dict[str, list[State]] = defaultdict(list)
        for state in facts.states:
            self.subjects[state.subject].append(state)
            if state.kind == "membership" and state.target:
                self.members[state.target].add(state.subject)
            elif state.kind == "attachment" and state.target or state.slot == "boundary" and state.target:
                self.attachers[state.target].add(state.subject)
            elif state.slot == "encryption" and state.target:
                self.key_buckets[state.target].add(state.subject)
        for bucket, key in facts.encrypted_buckets.items():
            self.key_buckets[key].add(bucket)
        self.bucket_targets: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for label, nodes in (("Dataset", facts.datasets), ("ModelArtifact", facts.artifacts)):
            for key, attrs in nodes.items():
                if isinstance(attrs.get("bucket"), str):
                    self.bucket_targets[attrs["bucket"]].add((label, key))
        self.point_bucket = {point: bucket for bucket, points in facts.bucket_points.items() for point in points}
        self.target_keys: dict[str, set[tuple[str, str]]] = defaultdict(set)  # key -> (label, key) targets
        for label, nodes in (("KMSKey", facts.keys), ("Endpoint", facts.endpoints), ("Model", facts.models),
                             ("ModelPackageGroup", facts.groups), ("Dataset", facts.datasets),
                             ("ModelArtifact", facts.artifacts)):
            for key in nodes:
                self.target_keys[key].add((label, key))

    def principals_under(self, subject: str, seen: set[str] | None = None) -> set[str]:
        """The principals whose identity side a state of `subject` takes part in (itself, a group's members,
        whoever a managed policy is attached to, directly or through a group)."""
        seen = seen if seen is not None else set()
        if subject in seen:
            return set()
        seen.add(subject)
        out = {subject}
        for member in self.members.get(subject, ()):
            out |= self.principals_under(member, seen)
        for holder in self.attachers.get(subject, ()):
            out |= self.principals_under(holder, seen)
        return out


def scope_of(changed: Iterable[str], facts: _Facts, old_states: Mapping[str, str],
             job_roles: Mapping[tuple[str, str], set[str]]) -> Scope | str:
    """The scope to re-derive, or why everything must be (a text for the summary).

    `old_states`: the previous derivation's state digests (a changed state's old subject is looked up in the
    current states; a state that disappeared makes everything dirty). `job_roles`: per job, the roles its
    readers' chains went through in the last derivation."""
    index = _Index(facts)
    states = {s.id: s for s in facts.states}
    scope = Scope()
    buckets: set[str] = set()
    keys: set[str] = set()
    rebuilt: set[str] = set()
    for item in changed:
        if item == GLOBAL:
            return "organisation facts changed"
        kind, _, rest = item.partition("|")
        if kind == "slot":
            subject, slot = rest.rsplit("|", 1)
            if slot in _ORG_SLOTS or slot.startswith(_ORG_PREFIXES):
                return f"organisation state {slot} of {subject} changed"
            state = State(rest, subject, "", slot, "", None, None, False, "", ())
            reason = _global_state(state)
            if reason:
                return reason
            _mark_subject(subject, index, scope, buckets, keys)
        elif kind == "state":
            state = states.get(rest)
            if state is None:
                if rest in old_states or rest in {r["state"] for r in facts.rejected}:
                    return f"policy state {rest} cannot be placed"
                continue
            reason = _global_state(state)
            if reason:
                return reason
            _mark_subject(state.subject, index, scope, buckets, keys)
        elif kind == "principal":
            scope.principals.add(rest)
            scope.targets.add(("AWSPrincipal", rest))
        elif kind in ("Dataset", "ModelArtifact", "KMSKey", "Endpoint", "Model", "ModelPackageGroup"):
            scope.targets.add((kind, rest))
            if kind == "KMSKey":
                keys.add(rest)
        elif kind == "bucket":
            buckets.add(rest)
        elif kind == "edges":  # the derived edges leaving a node are not those the last derivation wrote
            label, _, key = rest.partition("|")
            if label == "AWSPrincipal":
                rebuilt.add(key)
            else:
                scope.jobs.add((label, key))
        elif kind == "job":
            label, _, job = rest.partition("|")
            scope.jobs.add((label, job))
        elif kind == "observed":
            label, principal, key = rest.split("|", 2)
            scope.pairs[(label, key)].add(principal)
            if label == "KMSKey":
                for bucket in index.key_buckets.get(key, ()):
                    for target in index.bucket_targets.get(bucket, ()):
                        scope.pairs[target].add(principal)
            if label == "AWSPrincipal":
                scope.roles.add(key)
        else:
            return f"unknown fact {kind}"
    for key in keys:
        buckets |= index.key_buckets.get(key, set())
    for bucket in buckets:
        scope.targets |= index.bucket_targets.get(bucket, set())
    scope.roles |= {key for label, key in scope.targets if label == "AWSPrincipal"}
    scope.all_jobs = bool(scope.principals)
    scope.principals |= rebuilt  # their edges on every target, but no job hangs on edges lost
    for job, roles in job_roles.items():
        inputs = facts.job_inputs.get(job, set())
        if any(("Dataset", uri) in scope.targets or ("Dataset", uri) in scope.pairs for uri in inputs) \
                or roles & scope.roles:
            scope.jobs.add(job)
    return scope


def _mark_subject(subject: str, index: _Index, scope: Scope, buckets: set[str], keys: set[str]) -> None:
    """A state of `subject` changed: whatever it may be (principal, group, managed policy, resource, bucket,
    key, access point), what hangs on it is dirty."""
    scope.principals |= index.principals_under(subject)
    scope.targets |= index.target_keys.get(subject, set())
    scope.targets.add(("AWSPrincipal", subject))  # a role's trust, lifecycle
    buckets.add(subject)
    buckets.add(index.point_bucket.get(subject, ""))
    keys.add(subject)


def _global_state(state: State) -> str | None:
    """Why a changed state affects every answer (organisation policies and places, account settings)."""
    if state.slot in _ORG_SLOTS or state.slot.startswith(_ORG_PREFIXES) or state.kind.startswith("org"):
        return f"organisation state {state.slot} of {state.subject} changed"
    if state.subject.isdigit() or state.subject.startswith(("ou-", "r-", "o-")):
        return f"account or organisation unit {state.subject} changed"
    return None
