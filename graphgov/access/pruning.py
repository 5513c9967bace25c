"""Pairs not worth deciding: a principal whose own policies allow none of the target's actions, on a target
whose policies do not name it.

Without this the derivation asks every principal of the target's account about every target (principals x
targets decisions, most of them an implicit deny), which grows with the square of the estate. The answer of
such a pair is known without evaluating it: no Allow statement of the identity side covers the target's
first action on its resource (the one that decides whether there is an edge), and the
resource side grants the principal nothing by itself (it does not name the principal nor everyone), so
every evaluation path of graphgov.access.effective ends in a deny, which the derivation drops. A pair is
skipped only when nothing could turn that deny into an edge: the principal's identity policies are all known,
readable and not extrapolated; the target's policies are known and readable; the organisation's SCPs and RCPs
involved are readable and known at the time; no call of the principal on the target was observed.

Two more pairs are known refused without reading the identity side's grants: on a KMS key or a role, a
principal the key or trust policy names neither directly nor through its account (those policies must grant
it: "Role trust policies", "Key policies in AWS KMS"); and an Allow to everyone that does not cover the
target's action (a bucket open for reading keeps no one from being skipped for writing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from graphgov.access.effective import Labeled
from graphgov.access.memo import HeldAnswers
from graphgov.access.model import UNREADABLE, AccessModel, Target, account_of, principal_kind
from graphgov.access.policy import CompiledStatement, PrincipalSet, compiled

NAMING_KINDS = ("kms", "trust")  # a key or trust policy must name the principal or its account (effective.py)


@dataclass(frozen=True)
class Prunable:
    """What a target's own policies leave to prune. `own_account_kept`: an Allow to everyone covers the
    target's action, and grants a principal of the target's own account by itself, so only principals of
    other accounts (which also need their own identity policy: IAM User Guide, "Cross-account policy
    evaluation logic") can be skipped. `grants`: for a key or role, whom the Allow statements covering the
    action name; a principal none of them names, nor its account, is refused whatever its identity policies
    say (None for other targets, where the identity side alone can grant within the account)."""

    own_account_kept: bool = False
    grants: tuple[PrincipalSet, ...] | None = None


@dataclass(frozen=True)
class _AccountPlan:
    """An account's principals at a time: those whose identity side is not settled (never skipped), and the
    others grouped by their identity Allow statements (None: settled, but what they grant is not)."""

    unsettled: tuple[str, ...]
    settled: dict[tuple[CompiledStatement, ...] | None, tuple[str, ...]]
    group_of: dict[str, tuple[CompiledStatement, ...] | None]  # settled principal -> its group
    # action -> resource matcher -> the groups holding a statement that allows the action on what it matches
    _index: dict[str, dict[Callable[[str], bool], set[tuple[CompiledStatement, ...]]]] = field(
        default_factory=dict, compare=False)

    def covered(self, action: str, resource: str) -> set[tuple[CompiledStatement, ...] | None]:
        """The groups with a statement covering the action on the resource (None, not settled, counts as
        covered). Each distinct Resource list is matched once, however many groups share it."""
        index = self._index.get(action)
        if index is None:
            index = self._index[action] = {}
            for allows in self.settled:
                for statement in allows or ():
                    if statement.action is not None and statement.action(action):
                        index.setdefault(statement.resource, set()).add(allows)
        out: set[tuple[CompiledStatement, ...] | None] = {None}
        for matches, groups in index.items():
            if matches(resource):
                out |= groups
        return out


class Pruner:
    """Decides, with answers kept while their states hold, which (principal, target) pairs need no evaluation."""

    def __init__(self, model: AccessModel, principals: Mapping[str, tuple[str, ...]],
                 observed: Iterable[tuple[str, str, str]]) -> None:
        self.model = model
        self.principals = principals
        self.observed = set(observed)
        self._identity: HeldAnswers[str, tuple[bool, tuple[CompiledStatement, ...] | None]] = \
            HeldAnswers(model.timeline)
        self._plans: HeldAnswers[str, _AccountPlan] = HeldAnswers(model.timeline)
        self._observed_on: dict[tuple[str, str], set[str]] = {}  # (label, key) -> principals seen calling it
        for principal, label, key in self.observed:
            self._observed_on.setdefault((label, key), set()).add(principal)
        self._org: HeldAnswers[tuple[str | None, str], bool] = HeldAnswers(model.timeline)

    def target_allows_pruning(self, target: Target, docs: Iterable[Labeled], known: bool,
                              time: str) -> Prunable | None:
        """Which unnamed principals the target's side can never grant anything by itself (see `Prunable`);
        None: no principal can be skipped."""
        if not known or target.account is None:
            return None
        own_account_kept = False
        grants: list[PrincipalSet] = []
        for document in docs:
            if document.label.startswith(UNREADABLE):
                return None
            for statement in document.document.statements:
                if statement.effect != "Allow":
                    continue
                if statement.not_principals:
                    return None
                form = compiled(statement)
                if not form.covers(target.actions[0], target.arn):
                    continue
                if form.principals is None:  # a resource policy statement naming no one: not read here
                    return None
                grants.append(form.principals)
                own_account_kept = own_account_kept or form.principals.anyone
        if target.kind == "kms" and self.model.unreadable_settings(target.policy_subject, "key-state", time):
            return None
        if not self._org_clean(target.account, "rcp", time):
            return None
        return Prunable(own_account_kept, tuple(grants) if target.kind in NAMING_KINDS else None)

    def needless(self, principal: str, target: Target, time: str, prunable: Prunable) -> bool:
        """Whether the pair is an implicit deny whatever the evaluation (see the module docstring); call only on
        a target `target_allows_pruning` accepted (`prunable`: what it answered), for a principal its policies
        do not name. The rule one pair at a time: the derivation asks `worth_asking`, which a test holds to it."""
        if (principal, target.label, target.key) in self.observed or target.access_point:
            return False
        kind = principal_kind(principal, self.principals.get(principal, ()))
        account = account_of(principal)
        if kind not in ("role", "user") or account not in self.model.known_accounts:
            return False
        if prunable.own_account_kept and account == target.account:
            return False
        settled, allows = self._identity.get(principal, time, lambda: self._identity_side(principal, time))
        if not settled:  # not known, or not readable: anything may be
            return False
        if prunable.grants is not None and not any(g.level(principal, principal, account) for g in prunable.grants):
            return self._org_clean(account, "scp", time)  # the key or trust policy names neither it nor its account
        if allows is None:
            return False
        # only the first action decides whether there is an edge (graphgov.access.model.AccessModel._decide)
        action = target.actions[0]
        return not any(statement.covers(action, target.arn) for statement in allows) and self._org_clean(
            account, "scp", time)

    def worth_asking(self, account: str | None, principals: Sequence[str], target: Target, time: str,
                     prunable: Prunable) -> list[str]:
        """The account's principals `needless` keeps, found a group at a time: principals whose identity policies
        hold the same Allow statements share their answer, and a target matches each distinct Resource list
        allowing its action once (`_AccountPlan.covered`), not each principal's statements."""
        if target.access_point or account not in self.model.known_accounts or (
                prunable.own_account_kept and account == target.account) or not self._org_clean(account, "scp", time):
            return list(principals)  # `needless` keeps every one of them
        plan = self._plans.get(account or "", time, lambda: self._plan(principals, time))
        observed = self._observed_on.get((target.label, target.key), set())
        covered = plan.covered(target.actions[0], target.arn)  # the first action decides whether there is an edge
        grants = prunable.grants
        kept = list(plan.unsettled)
        if grants is None or any(g.anyone or account in g.accounts for g in grants):
            for allows, members in plan.settled.items():
                if allows in covered:
                    kept += members
            kept += [p for p in observed if p in plan.group_of and plan.group_of[p] not in covered]
        else:  # a key or trust policy naming neither everyone nor the account: only whom it names directly
            named = {p for g in grants for p in g.arns | g.others}
            kept += [p for p in observed | named
                     if p in plan.group_of and (p in observed or plan.group_of[p] in covered)]
        return kept

    def _plan(self, principals: Sequence[str], time: str) -> _AccountPlan:
        unsettled: list[str] = []
        settled: dict[tuple[CompiledStatement, ...] | None, list[str]] = {}
        for principal in principals:
            if principal_kind(principal, self.principals.get(principal, ())) not in ("role", "user"):
                unsettled.append(principal)
                continue
            ok, allows = self._identity.get(principal, time, lambda: self._identity_side(principal, time))  # noqa: B023 - called at once
            if ok:
                settled.setdefault(allows, []).append(principal)
            else:
                unsettled.append(principal)
        return _AccountPlan(tuple(unsettled), {allows: tuple(members) for allows, members in settled.items()},
                            {p: allows for allows, members in settled.items() for p in members})

    def _identity_side(self, principal: str, time: str) -> tuple[bool, tuple[CompiledStatement, ...] | None]:
        """(settled, allows): settled when the principal's identity and boundary policies at `time` are all known
        and readable (an implicit deny stays a deny; otherwise the evaluator answers `unknown`); allows: their
        Allow statements as the evaluator matches them, or None when they were extrapolated from a later state
        or a resource names a policy variable (what they grant then is not settled here)."""
        policies, complete, extrapolated = self.model.identity(principal, time)
        if policies.identity is None or not complete:
            return False, None
        if any(d.label.startswith(UNREADABLE) for d in (*policies.identity, *(policies.boundary or ()))):
            return False, None
        if extrapolated:
            return True, None
        allows = []
        for document in policies.identity:
            for statement in document.document.statements:
                if statement.effect != "Allow":
                    continue
                if any("${" in r for r in (*statement.resources, *statement.not_resources)):
                    return True, None
                allows.append(compiled(statement))
        return True, tuple(allows)

    def _org_clean(self, account: str | None, kind: str, time: str) -> bool:
        """No SCP/RCP of the account is unreadable or unknown at `time` (either could make a deny unknown)."""
        def clean() -> bool:
            levels = self.model._org_levels(account, kind, time)
            return not self.model.org_unknown(account, kind, time) and not any(
                d.label.startswith(UNREADABLE) for level in levels for d in level)
        return self._org.get((account, kind), time, clean)

