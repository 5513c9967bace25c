"""The derivation's two shortcuts change no answer: pairs skipped as refused (graphgov.access.pruning) and answers
kept while the states they rest on hold (graphgov.access.memo).

A plain derivation (no pair skipped, every answer computed at every time it is asked) and the real one must give
the same edges, on the generator's platform (trust policies naming only a service, a bucket open to everyone for
reading, execution roles created over time, a trust policy changed again and again) and on a small timeline
built here. The unit tests pin the interval an answer holds over, which the memo relies on.
"""

from __future__ import annotations

import json

import pytest

from graphgov.access import derivation
from graphgov.access.memo import HeldAnswers
from graphgov.access.pruning import Pruner
from graphgov.access.timeline import AFTER_ALL, State, Timeline
from graphgov.generate import generate
from graphgov.ingest.pipeline import load_paths
from graphgov.ingest.readers import expand_paths
from graphgov.stores.embedded import EmbeddedStore


def _derived(store: EmbeddedStore) -> tuple[list[str], int]:
    """Every derived edge (as text) and the number of pairs evaluated."""
    facts = derivation._read_facts(store)
    deriver = derivation._Deriver(facts)
    edges = deriver.current_edges(deriver.timeline.as_of or "") + derivation.job_edges(deriver,
                                                                                        sorted(facts.job_inputs))
    assert deriver.errors == []
    return [json.dumps([e.type, e.src, e.dst, e.props], sort_keys=True) for e in edges], deriver.decisions


@pytest.fixture(scope="module")
def platform_store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    root = tmp_path_factory.mktemp("platform")
    generate(root / "in", seed=1, records=60000)
    store = EmbeddedStore(root / "graph.db")
    load_paths(expand_paths([root / "in"]), store, root / "quarantine.jsonl")
    return store


def test_skipped_pairs_and_kept_answers_change_no_derived_edge(platform_store, monkeypatch):
    edges, decisions = _derived(platform_store)
    monkeypatch.setenv("GRAPHGOV_CHECK_HELD", "1")  # every kept answer served is computed again and compared
    assert _derived(platform_store)[0] == edges
    monkeypatch.delenv("GRAPHGOV_CHECK_HELD")
    monkeypatch.setattr(Pruner, "target_allows_pruning", lambda *args: None)
    monkeypatch.setattr(HeldAnswers, "get", lambda self, key, time, compute: compute())
    plain, plain_decisions = _derived(platform_store)
    assert len(edges) == 794
    assert edges == plain
    # pairs evaluated: the real derivation decides each (principal, target) once while its states hold, and
    # skips pairs a key or trust policy refuses and writes a read-only grant to everyone does not cover
    assert (decisions, plain_decisions) == (1232, 6992)


def test_skipping_alone_leaves_this_many_pairs(platform_store, monkeypatch):
    """Skipping alone, every answer computed at every time asked."""
    monkeypatch.setattr(HeldAnswers, "get", lambda self, key, time, compute: compute())
    _edges, decisions = _derived(platform_store)
    assert decisions == 1709


# --- how long an answer holds --------------------------------------------------------------------------------

def _state(subject: str, slot: str, time: str, document: str = "{}", kind: str = "inline",
           evidence: str = "event") -> State:
    return State(f"{subject}|{slot}|{time}", subject, "AWSRole", slot, kind, document, None, False, evidence, (time,))


ROLE = "arn:aws:iam::111111111111:role/R"


@pytest.fixture()
def timeline() -> Timeline:
    return Timeline([_state(ROLE, "inline:a", "2026-01-02T00:00:00Z", '{"v": 1}'),
                     _state(ROLE, "inline:a", "2026-01-04T00:00:00Z", '{"v": 2}'),
                     _state(ROLE, "lifecycle", "2026-01-01T00:00:00Z", kind="lifecycle"),
                     _state("other", "trust", "2026-01-03T00:00:00Z")])


def test_an_answer_holds_between_the_observations_around_the_time_asked(timeline):
    def read(time: str) -> str | None:
        resolved = timeline.slot_at(ROLE, "inline:a", time)
        return resolved.state.document if resolved and resolved.state else None
    assert timeline.held(lambda: read("2026-01-03T00:00:00Z")) == ('{"v": 1}', "2026-01-02T00:00:00Z",
                                                                    "2026-01-04T00:00:00Z")
    assert timeline.held(lambda: read("2026-01-04T00:00:00Z")) == ('{"v": 2}', "2026-01-04T00:00:00Z", AFTER_ALL)
    # before the slot's first observation: absent, as the role's creation was seen; that holds until the first
    # observation, and from the creation on (before it the role's slots are not known to have started empty)
    assert timeline.held(lambda: read("2026-01-01T12:00:00Z")) == (None, "2026-01-01T00:00:00Z",
                                                                   "2026-01-02T00:00:00Z")
    assert timeline.held(lambda: timeline.slot_at(ROLE, "missing", "2026-01-03T00:00:00Z")) == (None, "", AFTER_ALL)
    assert timeline.held(lambda: timeline.before_window("2025-12-31T00:00:00Z")) == (True, "", "2026-01-01T00:00:00Z")


def test_a_nested_answer_narrows_the_enclosing_one_and_an_aside_does_not(timeline):
    def outer() -> tuple:
        timeline.slot_at("other", "trust", "2026-01-03T12:00:00Z")  # holds from 01-03 on
        inner = timeline.held(lambda: timeline.slot_at(ROLE, "inline:a", "2026-01-03T12:00:00Z"))[1:]
        timeline.aside(lambda: timeline.slot_at(ROLE, "inline:a", "2026-01-01T00:00:00Z"))  # another time
        return inner
    assert timeline.held(outer) == (("2026-01-02T00:00:00Z", "2026-01-04T00:00:00Z"), "2026-01-03T00:00:00Z",
                                    "2026-01-04T00:00:00Z")


def test_a_kept_answer_serves_the_times_it_holds_for_and_only_those(timeline):
    computed: list[str] = []
    answers: HeldAnswers[str, object] = HeldAnswers(timeline)

    def ask(time: str) -> object:
        def compute() -> object:
            computed.append(time)
            resolved = timeline.slot_at(ROLE, "inline:a", time)
            return resolved.state.document if resolved and resolved.state else None
        return answers.get("key", time, compute)
    assert [ask(t) for t in ("2026-01-02T06:00:00Z", "2026-01-03T23:00:00Z", "2026-01-04T00:00:00Z",
                             "2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-01T06:00:00Z")] == [
        '{"v": 1}', '{"v": 1}', '{"v": 2}', '{"v": 1}', '{"v": 2}', None]
    assert computed == ["2026-01-02T06:00:00Z", "2026-01-04T00:00:00Z", "2026-01-01T06:00:00Z"]


def test_the_check_finds_an_answer_that_reads_time_outside_the_timeline(timeline, monkeypatch):
    monkeypatch.setenv("GRAPHGOV_CHECK_HELD", "1")
    answers: HeldAnswers[str, str] = HeldAnswers(timeline)
    assert answers.get("k", "2026-01-05T00:00:00Z", lambda: "2026-01-05T00:00:00Z"[:10]) == "2026-01-05"
    with pytest.raises(AssertionError, match="kept answer for 'k' at 2026-01-06T00:00:00Z differs"):
        answers.get("k", "2026-01-06T00:00:00Z", lambda: "2026-01-06T00:00:00Z"[:10])



# --- the two skip rules, against the evaluator ------------------------------------------------------------------

ACCOUNT = "111111111111"
TARGET_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Target"
CALLER = f"arn:aws:iam::{ACCOUNT}:role/Caller"
OUTSIDER = "arn:aws:iam::222222222222:role/Outsider"
T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"


def _policy(subject_type: str, subject: str, slot: str, kind: str, document: dict, time: str) -> State:
    from graphgov.core.policy_facts import policy_state
    node, _ = policy_state(subject_type, subject, slot, kind, time=time, event_id=f"e-{subject}-{slot}-{time}",
                           document=json.dumps(document))
    return State.from_node({**node.props, "first_seen": time, "last_seen": time})


def _allow(principal: object, action: str, resource: str | None = None) -> dict:
    statement = {"Effect": "Allow", "Action": action, **({"Principal": principal} if principal else {})}
    return {"Version": "2012-10-17", "Statement": [{**statement, **({"Resource": resource} if resource else {})}]}


def _pair(states: list[State], target_kind: str, time: str) -> tuple[bool, str]:
    """(skipped?, the evaluator's answer) for CALLER or OUTSIDER on TARGET_ROLE or the bucket's object."""
    from graphgov.access.model import AccessModel, Target
    timeline = Timeline(states)
    principals = {CALLER: ("AWSRole",), TARGET_ROLE: ("AWSRole",), OUTSIDER: ("AWSRole",)}
    model = AccessModel(timeline, principals, known_accounts={ACCOUNT, "222222222222"})
    pruner = Pruner(model, principals, ())
    if target_kind == "trust":
        target = Target("AWSPrincipal", TARGET_ROLE, "CAN_ASSUME", ("sts:AssumeRole",), TARGET_ROLE, ACCOUNT,
                        "trust", TARGET_ROLE)
        caller = CALLER
    else:
        target = Target("Dataset", "s3://b/p/", "CAN_WRITE", ("s3:PutObject",), "arn:aws:s3:::b/p/x", ACCOUNT, "s3",
                        "b")
        caller = OUTSIDER if target_kind == "s3-outsider" else CALLER
    docs, known, _ = model.resource_docs(target, time)
    prunable = pruner.target_allows_pruning(target, docs, known, time)
    skipped = prunable is not None and pruner.needless(caller, target, time, prunable)
    return skipped, model.decide_at(caller, target, time).access


def test_a_trust_policy_naming_only_a_service_refuses_every_role_whatever_its_identity_policies():
    trust = _policy("AWSRole", TARGET_ROLE, "trust", "trust", _allow({"Service": "sagemaker.amazonaws.com"},
                                                                     "sts:AssumeRole"), T0)
    identity = _policy("AWSRole", CALLER, "inline:p", "identity", _allow(None, "sts:AssumeRole", "*"), T1)
    # the caller's identity policy allows AssumeRole everywhere; asked before it was seen, it is extrapolated
    assert _pair([trust, identity], "trust", T2) == (True, "deny")
    assert _pair([trust, identity], "trust", T0) == (True, "deny")
    # naming the account delegates to the identity side, which allows: evaluated, and allowed
    by_account = _policy("AWSRole", TARGET_ROLE, "trust", "trust", _allow({"AWS": ACCOUNT}, "sts:AssumeRole"), T0)
    assert _pair([by_account, identity], "trust", T2) == (False, "allow")
    # an unreadable identity policy makes the refusal `unknown`: not skipped
    broken = State(**{**identity.__dict__, "document": "{not json"})
    assert _pair([trust, broken], "trust", T2) == (False, "unknown")


def test_an_allow_to_everyone_keeps_only_the_actions_it_covers_from_being_skipped():
    read_only = _policy("S3Bucket", "b", "bucket-policy", "resource",
                        _allow("*", "s3:GetObject", "arn:aws:s3:::b/*"), T0)
    no_write = _policy("AWSRole", CALLER, "inline:p", "identity", _allow(None, "s3:GetObject", "*"), T0)
    outsider = _policy("AWSRole", OUTSIDER, "inline:p", "identity", _allow(None, "s3:GetObject", "*"), T0)
    assert _pair([read_only, no_write, outsider], "s3", T1) == (True, "deny")  # the grant to everyone reads only
    open_write = _policy("S3Bucket", "b", "bucket-policy", "resource",
                         _allow("*", "s3:PutObject", "arn:aws:s3:::b/*"), T0)
    # within the account an Allow to everyone grants by itself: the caller is evaluated, and allowed
    assert _pair([open_write, no_write, outsider], "s3", T1) == (False, "allow")
    # another account's role also needs its own identity policy, which allows no write: skipped, and refused
    assert _pair([open_write, no_write, outsider], "s3-outsider", T1) == (True, "deny")


def test_skipping_a_group_at_a_time_keeps_exactly_whom_the_pair_rule_keeps(platform_store):
    """Pruner.worth_asking (principals grouped by their identity statements) against Pruner.needless (one pair
    at a time), for every target and account, now and at every job's start."""
    from graphgov.access.model import principals_named
    from graphgov.access.timeline import END_OF_TIME
    facts = derivation._read_facts(platform_store)
    deriver = derivation._Deriver(facts)
    pruner = deriver.pruner
    compared = skipped = 0
    for time in (END_OF_TIME, *sorted(set(facts.job_starts.values()))):
        for target in deriver.targets(time) + [deriver.role_target(r) for r in deriver.roles()]:
            docs, known, _ = deriver.model.resource_docs(target, time)
            prunable = pruner.target_allows_pruning(target, docs, known, time)
            if prunable is None:
                continue
            named = principals_named(d.document for d in docs)[0]
            for account, members in deriver.principals_of.items():
                grouped = set(pruner.worth_asking(account, members, target, time, prunable)) - named
                one_by_one = {p for p in members if not pruner.needless(p, target, time, prunable)} - named
                assert grouped == one_by_one, (target, account, time)
                compared += len(members)
                skipped += len(members) - len(grouped)
    assert (compared, skipped) == (168144, 113872)
