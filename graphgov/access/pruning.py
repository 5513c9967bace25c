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
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping

from graphgov.access.effective import Labeled
from graphgov.access.model import UNREADABLE, AccessModel, Target, account_of, principal_kind
from graphgov.access.policy import CompiledStatement, compiled


class Pruner:
    """Decides, with caches per state epoch, which (principal, target) pairs need no evaluation."""

    def __init__(self, model: AccessModel, principals: Mapping[str, tuple[str, ...]],
                 observed: Iterable[tuple[str, str, str]]) -> None:
        self.model = model
        self.principals = principals
        self.observed = set(observed)
        self._allows: dict[tuple[str, int], tuple[CompiledStatement, ...] | None] = {}
        self._org: dict[tuple[str | None, str, int], bool] = {}
        self._instants: dict[str, list[str]] = {}

    def target_allows_pruning(self, target: Target, docs: Iterable[Labeled], known: bool, anyone: bool,
                              time: str) -> bool:
        """Whether the target's side can never grant an unnamed principal anything by itself."""
        if not known or anyone or target.account is None:
            return False
        for document in docs:
            if document.label.startswith(UNREADABLE):
                return False
            if any(s.effect == "Allow" and s.not_principals for s in document.document.statements):
                return False
        if target.kind == "kms" and self.model.unreadable_settings(target.policy_subject, "key-state", time):
            return False
        return self._org_clean(target.account, "rcp", time)

    def needless(self, principal: str, target: Target, time: str) -> bool:
        """Whether the pair is an implicit deny whatever the evaluation (see the module docstring); call only on
        a target `target_allows_pruning` accepted, for a principal its policies do not name."""
        if (principal, target.label, target.key) in self.observed or target.access_point:
            return False
        kind = principal_kind(principal, self.principals.get(principal, ()))
        account = account_of(principal)
        if kind not in ("role", "user") or account not in self.model.known_accounts:
            return False
        key = (principal, self._identity_epoch(principal, time))
        allows = self._allows.get(key)
        if allows is None:
            allows = self._allows[key] = self._identity_allows(principal, time)
        if allows is None:  # not known, or not readable: anything may be
            return False
        # only the first action decides whether there is an edge (graphgov.access.model.AccessModel._decide)
        action = target.actions[0]
        if any(statement.covers(action, target.arn) for statement in allows):
            return False
        return self._org_clean(account, "scp", time)

    def _identity_epoch(self, principal: str, time: str) -> int:
        """Where `time` falls among the instants the principal's identity side can change at (its own slots, its
        groups', and those of every managed policy ever attached to it, its groups or bounding it): the identity
        policies are the same at two times with the same position (slot_at and created_by read no other instant).
        A cache keyed on it serves every job start between two such changes."""
        instants = self._instants.get(principal)
        if instants is None:
            timeline = self.model.timeline
            subjects, frontier = {principal}, [principal]
            while frontier:
                for state in timeline.states_of(frontier.pop()):
                    linked = state.kind in ("membership", "attachment") or state.slot == "boundary"
                    if linked and state.target and state.target not in subjects:
                        subjects.add(state.target)
                        frontier.append(state.target)
            instants = self._instants[principal] = sorted({t for subject in subjects
                                                           for t in timeline.instants_of(subject)})
        return bisect.bisect_right(instants, time)

    def _identity_allows(self, principal: str, time: str) -> tuple[CompiledStatement, ...] | None:
        """The Allow statements of the principal's identity policies at `time`, as the evaluator matches them;
        None when they are not all known and readable (or a resource names a policy variable)."""
        policies, complete, extrapolated = self.model.identity(principal, time)
        if policies.identity is None or not complete or extrapolated:
            return None
        if any(d.label.startswith(UNREADABLE) for d in (*policies.identity, *(policies.boundary or ()))):
            return None
        allows = []
        for document in policies.identity:
            for statement in document.document.statements:
                if statement.effect != "Allow":
                    continue
                if any("${" in r for r in (*statement.resources, *statement.not_resources)):
                    return None
                allows.append(compiled(statement))
        return tuple(allows)

    def _org_clean(self, account: str | None, kind: str, time: str) -> bool:
        """No SCP/RCP of the account is unreadable or unknown at `time` (either could make a deny unknown)."""
        key = (account, kind, self.model.timeline.epoch(time))
        clean = self._org.get(key)
        if clean is None:
            levels = self.model._org_levels(account, kind, time)
            clean = not self.model.org_unknown(account, kind, time) and not any(
                d.label.startswith(UNREADABLE) for level in levels for d in level)
            self._org[key] = clean
        return clean
