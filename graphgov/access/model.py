"""Who may do what, at a given time: policy states assembled into the evaluator's policy sets.

`AccessModel` knows the principals, the AI-relevant resources (datasets, artifacts, keys, roles,
endpoints, custom models, registry groups) and the policy timeline. `decide_at` asks graphgov.access.effective
for one (principal, target, time), after assembling what applied then: the principal's inline,
managed and group policies and its boundary; the resource's bucket, key (with grants), trust or
registry policy; the SCPs/RCPs attached to the accounts and to the organisation root and OUs above
them (the tree as of that time); the SSE-KMS key as a second gate; the key's state. What the evidence
does not cover makes the answer `unknown` (before the earliest evidence; a bucket, key or trust policy
never seen, which might grant what the other documents leave open) or `conditional` (an unknown bucket
owner), never a grant and never a deny.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

from graphgov.access.checks import grant_document, settings_object, state_error
from graphgov.access.effective import EffectiveDecision, Labeled, Layer, PolicySet, Request, decide, decide_layers
from graphgov.access.memo import HeldAnswers
from graphgov.access.policy import PolicyDocument, PolicyError, parse_policy
from graphgov.access.timeline import END_OF_TIME, Resolved, State, Timeline
from graphgov.core import ids
from loaders.organizations import AWS_MANAGED

# An object key no policy names, standing for "any object under this prefix": a pattern grants the
# whole prefix exactly when it matches this probe (wildcards only).
PROBE = "\u2063graphgov-any-object"
ANYONE = "*"
# `observed` (graphgov.access.derivation: a successful call seen) is weaker than a grant the policies prove in
# general, stronger than an unsettled condition.
RANK = {"allow": 3, "observed": 2.5, "conditional": 2, "unknown": 1, "implicit-deny": 0, "deny": 0}
_ALLOW_ALL = parse_policy({"Statement": [{"Sid": "assumed", "Effect": "Allow", "Action": "*", "Resource": "*"}]})
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
# Services whose resources RCPs limit (AWS Organizations user guide, "Resource control policies (RCPs)",
# list of supported services; AWS Control Tower "Controls implemented with RCPs" names the first five).
# An action of any other service (sagemaker:InvokeEndpoint, bedrock:InvokeModel...) is never limited by an RCP.
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss", "cognito-idp", "logs",
                          "dynamodb"})
SERVICE_LINKED_PATH = "/aws-service-role/"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


@dataclass(frozen=True)
class Target:
    """One (resource, access kind) pair the derivation asks about."""

    label: str  # merge label of the resource node
    key: str
    edge: str  # CAN_READ, CAN_WRITE, CAN_DECRYPT, CAN_ASSUME, CAN_INVOKE
    actions: tuple[str, ...]  # the first decides the edge; the others are reported when also allowed
    arn: str
    account: str | None
    kind: str  # effective.PolicySet.resource_kind
    policy_subject: str | None = None  # whose resource policy applies (bucket name, key ARN, role ARN, group ARN)
    kms_key: str | None = None  # SSE-KMS key whose kms:Decrypt / GenerateDataKey also gates the access
    bucket: str | None = None
    access_point: str | None = None  # the S3 access point ARN the request goes through (None: the bucket itself)


@dataclass
class Outcome:
    access: str  # allow | conditional | unknown | deny
    via: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    explicit_deny: bool = False  # a Deny statement applies (an observed success does not overrule it)


# How `via` names a resource policy that was never seen (`unknown:key-policy:<key arn>`).
UNSEEN_DOCUMENT = {"kms": "key-policy", "s3": "bucket-policy", "trust": "trust-policy", "comprehend": "model-policy",
                   "other": "resource-policy"}
# kind -> the subject's slot holding its resource policy (a registry group's otherwise)
RESOURCE_SLOTS = {"trust": "trust", "s3": "bucket-policy", "comprehend": "model-policy"}


def _combine(first: Outcome, second: Outcome) -> Outcome:
    """Both gates must pass: the weaker outcome wins; grants and conditions of both are kept."""
    access = min(first.access, second.access, key=lambda a: RANK[a])
    return Outcome(access, sorted(set(first.via) | set(second.via)),
                   sorted(set(first.conditions) | set(second.conditions)), first.actions,
                   first.explicit_deny or second.explicit_deny)


@lru_cache(maxsize=65536)
def parsed_document(text: str) -> PolicyDocument | None:
    try:
        return parse_policy(text)
    except PolicyError:
        return None


# Where an unreadable policy stood: a document with no statement (it decides nothing by itself) under a label
# naming the policy and what set it. `_decide_one` turns every answer it could have changed into `unknown`.
UNREADABLE = "unreadable:"
_NOTHING = PolicyDocument(())


def unreadable_label(state: State) -> str:
    """`unreadable:<slot>:<subject> set by <event id>`: what `via` says of a policy that cannot be read."""
    return f"{UNREADABLE}{state.slot}:{state.subject} set by {state.evidence_name()}"



def principal_kind(key: str, labels: Iterable[str] = ()) -> str:
    labels = set(labels)
    if key == ANYONE:
        return "anyone"
    if "AWSServicePrincipal" in labels or key.endswith(".amazonaws.com"):
        return "service"
    if ":saml-provider/" in key or ":oidc-provider/" in key:
        return "federated"
    if key.endswith(":root"):
        return "root"
    if "AWSRole" in labels or ":role/" in key:
        return "role"
    if "AWSUser" in labels or ":user/" in key:
        return "user"
    return "other"


@lru_cache(maxsize=1 << 16)  # asked for every known principal of every candidate target: the same few thousand keys
def account_of(key: str) -> str | None:
    if ids.is_arn(key):
        account = ids.parse_arn(key).account
        return account or None
    return None


def principals_named(documents: Iterable[PolicyDocument]) -> tuple[set[str], set[str], bool]:
    """(principal keys, account ids, anyone?) named in Principal blocks of Allow statements."""
    keys: set[str] = set()
    accounts: set[str] = set()
    anyone = False
    for document in documents:
        for statement in document.statements:
            if statement.effect != "Allow" or not statement.principals:
                continue
            for kind, names in statement.principals.items():
                for name in names:
                    if name == "*":
                        anyone = True
                    elif kind == "AWS" and name.isdigit() and len(name) == 12:
                        accounts.add(name)
                        keys.add(ids.account_root_arn("aws", name))
                    elif kind == "AWS" and ids.is_arn(name):
                        try:
                            key = ids.canonical_principal_arn(name)
                        except ids.IdentityError:
                            continue
                        keys.add(key)
                        if key.endswith(":root") and account_of(key):
                            accounts.add(account_of(key) or "")
                    elif kind in ("Service", "Federated"):
                        keys.add(name)
    return keys, accounts, anyone


class AccessModel:
    """Policy timeline + principals + targets, queried at any time."""

    def __init__(self, timeline: Timeline, principals: Mapping[str, tuple[str, ...]],
                 org_policy_types: Mapping[str, str] | None = None, known_accounts: Iterable[str] = (),
                 management_accounts: Iterable[str] = (), role_paths: Mapping[str, str] | None = None,
                 aws_managed_keys: Iterable[str] = (), organizations: Mapping[str, str] | None = None) -> None:
        self.timeline = timeline
        self.principal_labels = dict(principals)
        self.org_policy_types = dict(org_policy_types or {})
        # SCPs do not limit the management account's principals, nor RCPs its resources (AWS Organizations
        # user guide); the account is the one in the organisation policies' ARNs.
        self.management_accounts = frozenset(management_accounts)
        # Accounts whose identity policies the evidence covers; a principal of any other account is
        # judged as its account root is: by what the resource side grants it.
        self.known_accounts = set(known_accounts)
        # IAM paths of roles (a service-linked role's is /aws-service-role/<service>/): SCPs never limit those
        self.role_paths = dict(role_paths or {})
        # Keys AWS manages for a service (KeyManager AWS, alias aws/...): RCPs do not apply to them (AWS KMS
        # developer guide, "Resource control policies in AWS KMS")
        self.aws_managed_keys = frozenset(aws_managed_keys)
        # management account -> organisation id (from the ARNs of its organisation's policies and OUs)
        self.organizations = dict(organizations or {})
        self._decisions: HeldAnswers[tuple[str, Target], Outcome] = HeldAnswers(timeline)
        self._org_cache: HeldAnswers[tuple[str, str], tuple[tuple[tuple[Labeled, ...], ...], bool]] = \
            HeldAnswers(timeline)

    # --- the principal's side ----------------------------------------------------------------------

    def _managed(self, policy: str, time: str, via_prefix: str) -> tuple[Labeled | None, bool, bool]:
        """A managed policy's default version at `time`: (document, known?, extrapolated?)."""
        default = self.timeline.slot_at(policy, "default", time)
        if default is None or default.state is None:
            return None, False, False
        text, extrapolated = default.state.document, default.extrapolated
        if text is None and default.state.target:
            version = self.timeline.slot_at(policy, f"version:{default.state.target}", time)
            if version is None or version.state is None:
                return None, False, extrapolated
            text, extrapolated = version.state.document, extrapolated or version.extrapolated
            source = version.state
        else:
            source = default.state
        document = parsed_document(text) if text else None
        if document is None:
            if text:  # a document was set but cannot be read: it stands in the answer as unreadable
                return Labeled(unreadable_label(source), _NOTHING), True, extrapolated
            return None, False, extrapolated
        return Labeled(f"{via_prefix}{policy}", document), True, extrapolated

    def _identity_docs(self, subject: str, time: str) -> tuple[list[Labeled], bool, bool]:
        """Inline and attached policies of a user, role or group: (documents, complete?, extrapolated?)."""
        docs: list[Labeled] = []
        complete, extrapolated = True, False
        for slot, resolved in self.timeline.subject_at(subject, time).items():
            extrapolated = extrapolated or (resolved.extrapolated and slot != "lifecycle")
            state = resolved.state
            if state is None:
                continue
            if state.kind == "identity":
                document = parsed_document(state.document or "")
                if document is not None:
                    docs.append(Labeled(f"{subject}#{slot}", document))
                elif state.document:
                    docs.append(Labeled(unreadable_label(state), _NOTHING))
                else:
                    complete = False
            elif state.kind == "attachment" and state.target:
                managed, known, extra = self._managed(state.target, time, f"{subject}#attached:")
                extrapolated = extrapolated or extra
                if managed:
                    docs.append(managed)
                complete = complete and known
        return docs, complete, extrapolated

    def identity(self, principal: str, time: str) -> tuple[PolicySet, bool, bool]:
        """(policy set with identity and boundary filled, identity complete?, extrapolated?)."""
        if not self.timeline.known(principal):
            return PolicySet(identity=None), False, False
        docs, complete, extrapolated = self._identity_docs(principal, time)
        for resolved in self.timeline.subject_at(principal, time, "group:").values():
            if resolved.state is not None and resolved.state.kind == "membership" and resolved.state.target:
                group_docs, group_complete, group_extra = self._identity_docs(resolved.state.target, time)
                docs += group_docs
                complete = complete and group_complete
                extrapolated = extrapolated or group_extra or resolved.extrapolated
        boundary = None
        resolved = self.timeline.slot_at(principal, "boundary", time)
        if resolved is not None and resolved.state is not None and resolved.state.target:
            managed, known, extra = self._managed(resolved.state.target, time, f"{principal}#boundary:")
            extrapolated = extrapolated or extra or resolved.extrapolated
            boundary = (managed,) if managed else ()
            complete = complete and known
        return PolicySet(identity=tuple(docs), boundary=boundary), complete, extrapolated

    @cached_property
    def _policies_at_level(self) -> dict[str, tuple[str, ...]]:
        """OU or root id -> the org policies with a `target:<id>` slot (built once per model)."""
        index: dict[str, list[str]] = defaultdict(list)
        for subject, slots in self.timeline.slots_of.items():
            for slot in slots:
                if slot.startswith("target:"):
                    index[slot[len("target:"):]].append(subject)
        return {level: tuple(sorted(policies)) for level, policies in index.items()}

    @cached_property
    def _roots(self) -> frozenset[str]:
        """The organisation roots (`r-...`) the evidence names: as attachment targets or as parents."""
        return frozenset({level for level in self._policies_at_level if level.startswith("r-")} | {
            s.target for s in self.timeline.states.values()
            if s.kind == "org-parent" and s.target and s.target.startswith("r-")})

    def _parent(self, subject: str, time: str) -> tuple[str | None, bool]:
        """(parent id or None, known?) of an account or OU at `time`. Before a MoveAccount (the slot's first
        observation) the account was where the move took it from."""
        resolved = self.timeline.slot_at(subject, "parent", time)
        if resolved is None:
            return None, False
        state = resolved.state
        if resolved.extrapolated and state is None:
            return None, False  # removed from the organisation later: where it was before is not known
        if resolved.extrapolated and state.document:
            source = (settings_object(state.document) or {}).get("from")
            if isinstance(source, str) and source:
                return source, True
        return (state.target if state is not None else None), True

    def _chain(self, account: str, time: str) -> tuple[str, ...] | None:
        """The account's ancestors at `time`, root first; None when nothing is known of its place; () when it
        is in no organisation (removed from it)."""
        parent, known = self._parent(account, time)
        if not known:
            return None
        chain: list[str] = []
        while parent and parent not in chain:
            chain.append(parent)
            if parent.startswith("r-"):
                break
            parent, _known = self._parent(parent, time)
        if not chain:
            return ()
        if not chain[-1].startswith("r-") and len(self._roots) == 1:
            chain.append(next(iter(self._roots)))  # an organisation has one root: the unknown top is it
        return tuple(reversed(chain))

    def _level_docs(self, level: str, kind: str, time: str, account: bool) -> tuple[list[Labeled], bool, bool]:
        """(documents attached to the level at `time`, complete?, unknown?): complete when a snapshot listed
        the level's attachments, or the FullAWSAccess default is known attached (it need not be assumed then)
        or known detached (an allow-list without it allows only what the other attachments allow); unknown
        when `time` is earlier than the log window (the timeline's first instant) and an attachment is known
        only from a later Attach/DetachPolicy: what it says of "just before" does not reach back that far.

        Accounts hold their attachments as `org-policy:<id>` slots, OUs and roots as `target:<id>` slots of
        the policy; both read the same way (`_attached`)."""
        if account:
            pairs = [(slot[len("org-policy:"):], resolved)
                     for slot, resolved in self.timeline.subject_at(level, time, "org-policy:").items()]
        else:
            pairs = [(policy, resolved) for policy in self._policies_at_level.get(level, ())
                     if (resolved := self.timeline.slot_at(policy, f"target:{level}", time)) is not None]
        docs: list[Labeled] = []
        complete = unknown = False
        before_window = self.timeline.before_window(time)
        for policy, resolved in pairs:
            if resolved.state is not None and resolved.state.evidence == "snapshot" and not resolved.extrapolated:
                complete = True
            attached = _attached(resolved)
            if self.org_policy_types.get(policy, AWS_MANAGED.get(policy)) != kind:
                continue
            if before_window and resolved.extrapolated and (
                    resolved.state is None or resolved.state.evidence == "event"):
                unknown = True
            if AWS_MANAGED.get(policy) == kind:
                complete = True  # FullAWSAccess attached, or known detached: no default to assume either way
            if not attached:
                continue
            content = self.timeline.slot_at(policy, "content", time)
            document = parsed_document(content.state.document or "") if content and content.state else None
            if AWS_MANAGED.get(policy) == kind:
                document = document or _ALLOW_ALL  # FullAWSAccess / RCPFullAWSAccess: allow everything
            if document is not None:
                docs.append(Labeled(f"{kind}:{policy}@{level}", document))
            elif content and content.state and content.state.document:
                docs.append(Labeled(unreadable_label(content.state), _NOTHING))
        return docs, complete, unknown

    def _org_levels(self, account: str | None, kind: str, time: str) -> tuple[tuple[Labeled, ...], ...]:
        """The SCPs or RCPs in force for the account at `time`: one level per node of its place in the
        organisation (root, OUs, the account), each level the policies attached there.

        A level whose attachments the evidence does not list completely (CloudTrail shows the changes,
        rarely the FullAWSAccess attached when the organisation was made) also gets the FullAWSAccess
        default, so a Deny there applies and an allow-list is applied together with an allow-all. When
        nothing is known of the account's place, only the policies attached to it directly apply
        (as one level, with FullAWSAccess assumed above it). Cached per (account, kind) while its states hold.
        """
        return self._org_state(account, kind, time)[0]

    def org_unknown(self, account: str | None, kind: str, time: str) -> bool:
        """Whether an SCP/RCP attachment the answer rests on is not known at `time` (see `_level_docs`)."""
        return self._org_state(account, kind, time)[1]

    def _org_state(self, account: str | None, kind: str, time: str) -> tuple[tuple[tuple[Labeled, ...], ...], bool]:
        if not account or account in self.management_accounts:
            return (), False
        return self._org_cache.get((account, kind), time, lambda: self._org_levels_uncached(account, kind, time))

    def _org_levels_uncached(self, account: str, kind: str, time: str
                             ) -> tuple[tuple[tuple[Labeled, ...], ...], bool]:
        chain = self._chain(account, time)
        if chain == ():
            return (), False  # not in an organisation: no SCP or RCP applies
        levels = []
        real = any_unknown = False
        for level in (*(chain or ()), account):
            docs, complete, unknown = self._level_docs(level, kind, time, level == account)
            real = real or bool(docs) or complete
            any_unknown = any_unknown or unknown
            if not complete:
                docs.append(Labeled(f"{kind}:assumed-FullAWSAccess@{level}", _ALLOW_ALL))
            levels.append(tuple(docs))
        if not real:
            return (), any_unknown  # only assumed allow-alls: as if no SCP applied
        return tuple(levels), any_unknown

    def scp_limits(self, principal: str, kind: str) -> bool:
        """Whether the principal's account's SCPs limit it: IAM users and roles of a member account, and its
        account root, which stands for whoever the account lets in (the root user included); never a
        service-linked role (path /aws-service-role/, names AWSServiceRoleFor...: AWS Organizations user
        guide, "Service control policies", tasks and entities not restricted by SCPs). The management
        account is left out by `_org_levels`."""
        if kind not in ("role", "user", "root"):
            return False
        if kind == "role":
            path = self.role_paths.get(principal, "")
            if path.startswith(SERVICE_LINKED_PATH) or principal.rsplit("/", 1)[-1].startswith("AWSServiceRoleFor"):
                return False
        return True

    def rcp_limits(self, action: str, target: Target) -> bool:
        """Whether RCPs take part: only for the services RCPs support (RCP_SERVICES), and never on an AWS
        managed KMS key. Resources of the management account are left out by `_org_levels`."""
        if action.split(":", 1)[0].lower() not in RCP_SERVICES:
            return False
        return not (target.kind == "kms" and (target.policy_subject or target.arn) in self.aws_managed_keys)

    # --- organisation membership: what aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:ResourceOrgID are ---

    @cached_property
    def _org_index(self) -> dict[str, str]:
        """Account -> organisation id, to resolve a membership recorded as "the organisation of account X":
        management accounts (from ARNs), and every account a membership state names the organisation of."""
        index = dict(self.organizations)
        for state in self.timeline.states.values():
            if state.kind == "org-membership" and state.target and not state.deleted:
                index.setdefault(state.subject, state.target)
                via = (settings_object(state.document) or {}).get("via")
                if isinstance(via, str):
                    index.setdefault(via, state.target)
        return index

    def organization_of(self, account: str | None, time: str) -> tuple[str | None, bool]:
        """(organisation id or None for none, known?) of the account at `time`, from its `organization` states.

        Before the first evidence the membership is unknown, unless that evidence starts it (a created or
        invited account was in no organisation before). A membership whose organisation id no evidence gives
        stays unknown. A management account is in the organisation its policies' ARNs name."""
        if not account:
            return None, False
        resolved = self.timeline.slot_at(account, "organization", time)
        if resolved is None:
            if account in self.management_accounts and account in self._org_index:
                return self._org_index[account], True
            return None, False
        state = resolved.state
        if resolved.extrapolated:
            joined = state is not None and (settings_object(state.document) or {}).get("joined")
            if state is not None and state.evidence == "event" and joined:
                return None, True
            return None, False
        if state is None:
            return None, True  # removed, or left: in no organisation
        org = state.target or self._org_index.get(str((settings_object(state.document) or {}).get("via")))
        return (org, True) if org else (None, False)

    def org_context(self, kind: str, principal_account: str | None, resource_account: str | None,
                    time: str) -> dict[str, Any]:
        """The organisation condition keys the evidence settles at `time` (None: known to be absent, the
        account being in no organisation); a key whose value is not known is left out (stays unsettled).
        aws:PrincipalOrgPaths needs the account's whole path from the root (`o-.../r-.../ou-.../`)."""
        context: dict[str, Any] = {}
        if kind in ("role", "user", "root") and principal_account:
            org, known = self.organization_of(principal_account, time)
            if known:
                context["aws:PrincipalOrgID"] = org
                chain = self._chain(principal_account, time) if org else None
                if not org:
                    context["aws:PrincipalOrgPaths"] = None
                elif chain and chain[0].startswith("r-"):
                    context["aws:PrincipalOrgPaths"] = [f"{org}/{'/'.join(chain)}/"]
        if resource_account:
            org, known = self.organization_of(resource_account, time)
            if known:
                context["aws:ResourceOrgID"] = org
        return context

    # --- the resource's side -----------------------------------------------------------------------

    def resource_docs(self, target: Target, time: str) -> tuple[list[Labeled], bool, bool]:
        """(resource policy documents, known?, extrapolated?) for the target.

        A bucket, key or trust policy is known when a state of it was seen (a deletion or a pull that found
        none included) or the subject's creation was (it started with none, or with the documented default
        key policy); otherwise it is unknown, and `decide` tries it both ways. So is a Comprehend model policy
        (set at creation or later). Registry group policies are taken as absent when never seen (same-account
        access does not need them).
        """
        subject = target.policy_subject
        if subject is None:
            return [], True, False
        if target.kind == "kms":
            return self._key_docs(subject, time)
        slot = RESOURCE_SLOTS.get(target.kind, "group-policy")
        resolved = self.timeline.slot_at(subject, slot, time)
        if resolved is None:
            return [], target.kind not in RESOURCE_SLOTS or self.timeline.created_by(subject, time), False
        if resolved.state is None:
            return [], True, resolved.extrapolated
        return self._read(resolved.state, f"{slot}:{subject}"), bool(resolved.state.document), resolved.extrapolated

    @staticmethod
    def _read(state: State, label: str) -> list[Labeled]:
        """A resource policy's document under its label; unreadable, it stands as such (see UNREADABLE);
        a state with no document is a policy known to be absent."""
        if not state.document:
            return []
        document = parsed_document(state.document)
        return [Labeled(label, document) if document is not None else Labeled(unreadable_label(state), _NOTHING)]

    def _key_docs(self, key: str, time: str) -> tuple[list[Labeled], bool, bool]:
        """The key policy and the grants in force (a grant allows whatever the key policy says)."""
        docs: list[Labeled] = []
        resolved = self.timeline.slot_at(key, "key-policy", time)
        known = resolved is not None and resolved.state is not None
        extrapolated = bool(resolved and resolved.extrapolated)
        if known and resolved and resolved.state:
            docs += self._read(resolved.state, f"key-policy:{key}")
            if not resolved.state.document:
                known = False
        for slot, grant in self.timeline.subject_at(key, time, "grant:").items():
            try:
                rendered = grant_document(grant)
            except PolicyError:
                if grant.state is not None:
                    docs.append(Labeled(unreadable_label(grant.state), _NOTHING))
                continue
            if rendered:
                docs.append(Labeled(f"{slot}:{key}", rendered))
        return docs, known, extrapolated

    def unreadable_settings(self, subject: str | None, slot: str, time: str) -> str | None:
        """The UNREADABLE label of the settings state in force in the slot (key state, Block Public Access,
        Object Ownership, ACL) when its document does not have its shape: what it says is not known."""
        resolved = self.timeline.slot_at(subject, slot, time) if subject else None
        if resolved is None or resolved.state is None or not state_error(resolved.state):
            return None
        return unreadable_label(resolved.state)

    def key_disabled(self, key: str, time: str) -> str | None:
        resolved = self.timeline.slot_at(key, "key-state", time)
        if resolved is None or resolved.state is None:
            return None
        state = (settings_object(resolved.state.document) or {}).get("KeyState")
        return state if state in ("PendingDeletion", "Disabled", "PendingReplicaDeletion") else None

    # --- decisions ---------------------------------------------------------------------------------

    def decide_at(self, principal: str, target: Target, time: str = END_OF_TIME) -> Outcome:
        """The principal's access to the target at `time` (kept while the states it rests on hold)."""
        return self._decisions.get((principal, target), time, lambda: self._decide(principal, target, time))

    def _decide(self, principal: str, target: Target, time: str) -> Outcome:
        outcome = self._decide_one(principal, target, target.actions[0], target.arn, time)
        if RANK[outcome.access] == 0:
            return outcome
        allowed = [a for a in target.actions[1:]
                   if RANK[self._decide_one(principal, target, a, _resource_for(a, target), time).access] > 0]
        outcome.actions = [target.actions[0], *allowed]
        if target.kms_key:
            key_target = Target("KMSKey", target.kms_key, "CAN_DECRYPT", (_kms_action(target.edge),), target.kms_key,
                                account_of(target.kms_key), "kms", target.kms_key)
            gate = self._decide_one(principal, key_target, key_target.actions[0], target.kms_key, time)
            outcome = _combine(outcome, gate)
        return outcome

    def _decide_one(self, principal: str, target: Target, action: str, resource: str, time: str) -> Outcome:
        kind = principal_kind(principal, self.principal_labels.get(principal, ()))
        if kind == "anyone" or kind in ("root", "service", "federated"):
            policies, complete, extrapolated = PolicySet(identity=()), True, False
        elif account_of(principal) not in self.known_accounts:
            policies, complete, extrapolated = PolicySet(identity=(Labeled(
                f"identity-not-known:{account_of(principal)}", _ALLOW_ALL),)), True, False
        else:
            policies, complete, extrapolated = self.identity(principal, time)
        resource_docs, resource_known, resource_extra = self.resource_docs(target, time)
        if target.kind == "kms":
            disabled = self.key_disabled(target.policy_subject or "", time)
            if disabled:
                return Outcome("deny", [f"key-state:{disabled}"], explicit_deny=True)
        principal_account = account_of(principal) if kind != "anyone" else None
        scp, rcp = self.scp_limits(principal, kind), self.rcp_limits(action, target)
        policies = replace(
            policies, resource=tuple(resource_docs), resource_kind=target.kind,
            unseen_resource=None if resource_known else f"{UNSEEN_DOCUMENT[target.kind]}:{target.policy_subject}",
            scp_levels=self._org_levels(principal_account, "scp", time) if scp else (),
            rcp_levels=self._org_levels(target.account, "rcp", time) if rcp else (),
        )
        org_unknown = (scp and self.org_unknown(principal_account, "scp", time)) or (
            rcp and self.org_unknown(target.account, "rcp", time))
        request = Request(principal=principal, action=action, resource=resource,
                          resource_account=target.account, principal_account=principal_account,
                          context={**self.org_context(kind, principal_account, target.account, time),
                                   **_s3_context(target)})
        layers, point_extra = self.access_point_layers(target, resource, policies, time)
        resource_extra = resource_extra or point_extra
        decision: EffectiveDecision = decide_layers(request, policies, layers) if layers else decide(request, policies)
        outcome = Outcome(_access(decision.outcome), list(decision.via), list(decision.conditions),
                          explicit_deny=decision.outcome == "deny")
        if outcome.access == "deny" and decision.denied_by:
            outcome.via = list(decision.denied_by)
        elif layers and RANK[outcome.access] > 0:
            outcome.via = sorted({*outcome.via, f"access-point:{target.access_point}"})
        if RANK[outcome.access] == 0 and decision.outcome == "implicit-deny" and not complete:
            outcome.access = "unknown"  # a policy whose document is not known might have allowed it
        if (extrapolated or resource_extra) and RANK[outcome.access] > 1:
            outcome.access = "unknown"  # the states used were only known later than `time`
        if org_unknown and (RANK[outcome.access] > 1 or any(v.startswith(("scp:", "rcp:")) for v in outcome.via)):
            # before the log window: whether an SCP/RCP seen attached or detached later was attached then is unknown
            outcome = Outcome("unknown", list(decision.via), outcome.conditions)
        unreadable = _unreadable(policies, layers)
        if target.kind == "kms":  # a key state that cannot be read may be Disabled
            unreadable += filter(None, [self.unreadable_settings(target.policy_subject, "key-state", time)])
        if unreadable and decision.outcome != "deny":
            # a policy that cannot be read may allow or deny: only a Deny the readable ones prove stands
            outcome = Outcome("unknown", sorted({*outcome.via, *unreadable}), outcome.conditions)
        return outcome

    # --- requests through an S3 access point ---------------------------------------------------------

    def access_point_policy(self, point: str, time: str) -> tuple[list[Labeled], bool, bool]:
        """(access point policy documents, known?, extrapolated?): known when a state was seen (a deletion
        included) or the access point's creation was (it starts with no policy)."""
        resolved = self.timeline.slot_at(point, ACCESS_POINT_POLICY, time)
        if resolved is None:
            return [], self.timeline.created_by(point, time), False
        if resolved.state is None:
            return [], True, resolved.extrapolated
        return (self._read(resolved.state, f"{ACCESS_POINT_POLICY}:{point}"), bool(resolved.state.document),
                resolved.extrapolated)

    def access_point_layers(self, target: Target, resource: str, policies: PolicySet,
                            time: str) -> tuple[tuple[Layer, ...], bool]:
        """(layers, extrapolated?) of a request through the target's access point: the access point policy on
        `accesspoint/<name>/object/<key>` (or the access point itself, for listing) in the access point's
        account, then the bucket policy on the bucket's ARN in the bucket owner's (S3 User Guide,
        "Configuring IAM policies for using access points"). Both know the access point, so a bucket policy
        delegating with `s3:DataAccessPointAccount` / `s3:DataAccessPointArn` is settled. () for other targets."""
        point = ids.parse_access_point_arn(target.access_point)
        if point is None or target.kind != "s3":
            return (), False
        docs, known, extrapolated = self.access_point_policy(point.arn, time)
        bucket_part = resource.split(":::", 1)[-1]  # `<bucket>/<key>`, or `<bucket>` when listing
        via_point = f"{point.arn}/object/{bucket_part.split('/', 1)[1]}" if "/" in bucket_part else point.arn
        context = _s3_context(target)
        return (Layer(via_point, point.account or None, tuple(docs), "s3",
                      None if known else f"{ACCESS_POINT_POLICY}:{point.arn}", context),
                Layer(resource, target.account, policies.resource, "s3", policies.unseen_resource, context)), \
            extrapolated

    # --- public access, as AWS judges it -----------------------------------------------------------

    def public_block(self, bucket: str, account: str | None, time: str) -> dict[str, bool]:
        """Block Public Access in force for the bucket: bucket and account settings combined (either wins)."""
        flags = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                 "RestrictPublicBuckets": False}
        for subject in (bucket, account):
            if not subject:
                continue
            resolved = self.timeline.slot_at(subject, "public-access-block", time)
            if resolved is None or resolved.state is None:
                continue
            for name, value in (settings_object(resolved.state.document) or {}).items():
                if name in flags and value is True:
                    flags[name] = True
        return flags

    def acls_disabled(self, bucket: str, time: str) -> bool:
        resolved = self.timeline.slot_at(bucket, "ownership", time)
        if resolved is None or resolved.state is None:
            return False
        return (settings_object(resolved.state.document) or {}).get("ObjectOwnership") == "BucketOwnerEnforced"

    def public_acl_grants(self, subject: str, time: str) -> list[str]:
        """Permissions an ACL gives to everyone (AllUsers) or to any AWS account (AuthenticatedUsers)."""
        resolved = self.timeline.slot_at(subject, "acl", time)
        if resolved is None or resolved.state is None:
            return []
        grants = (settings_object(resolved.state.document) or {}).get("Grants")
        out = []
        for grant in grants if isinstance(grants, list) else ():
            grantee = grant.get("Grantee") if isinstance(grant, Mapping) else None
            if isinstance(grantee, Mapping) and grantee.get("URI") in (ALL_USERS, AUTHENTICATED_USERS):
                out.append(f"{grantee['URI'].rsplit('/', 1)[-1]}:{grant.get('Permission')}")
        return sorted(out)


def _unreadable(policies: PolicySet, layers: tuple[Layer, ...]) -> list[str]:
    """The labels of the unreadable policies taking part in a decision (see UNREADABLE)."""
    groups: list[tuple[Labeled, ...]] = [policies.identity or (), policies.boundary or (), policies.resource,
                                         *policies.scp_levels, *policies.rcp_levels,
                                         *(layer.documents for layer in layers)]
    return sorted({d.label for group in groups for d in group if d.label.startswith(UNREADABLE)})


def _attached(resolved: Resolved) -> bool:
    """Whether an SCP/RCP attachment slot holds at the resolved time. Before the slot's first observation,
    when that is a change event, the change tells what held before it: a successful AttachPolicy proves the
    policy was not attached just before (attaching it again fails with DuplicatePolicyAttachmentException,
    AWS Organizations API reference, AttachPolicy), a DetachPolicy that it was (PolicyNotAttachedException).
    A snapshot seen first is extrapolated as it is."""
    attached = resolved.state is not None
    if resolved.extrapolated and (resolved.state is None or resolved.state.evidence == "event"):
        return not attached
    return attached


ACCESS_POINT_POLICY = "access-point-policy"


def _s3_context(target: Target) -> dict[str, Any]:
    """What an S3 request knows of access points: the one it goes through, or (a request to the bucket
    itself) that there is none, so a condition on them is settled either way."""
    if target.kind != "s3":
        return {}
    point = ids.parse_access_point_arn(target.access_point)
    return {"s3:DataAccessPointArn": point.arn if point else None,
            "s3:DataAccessPointAccount": (point.account or None) if point else None}


def _resource_for(action: str, target: Target) -> str:
    """Listing is asked of the bucket (`s3:prefix` then stays an unknown condition key), the rest of the target."""
    if action == "s3:ListBucket" and target.bucket:
        return ids.s3_bucket_arn(target.bucket)
    return target.arn


def _kms_action(edge: str) -> str:
    return "kms:GenerateDataKey" if edge == "CAN_WRITE" else "kms:Decrypt"


def _access(outcome: str) -> str:
    return {"allow": "allow", "conditional": "conditional", "unknown": "unknown"}.get(outcome, "deny")
