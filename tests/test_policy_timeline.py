"""Replaying policy states: events, snapshots, inventories, creation, and what is unknown."""

from __future__ import annotations

from graphgov.access.timeline import State, Timeline
from graphgov.core.policy_facts import policy_state

ROLE = "arn:aws:iam::111111111111:role/Trainer"


def _state(slot: str, kind: str, *, time: str, evidence: str = "event", last: str | None = None, **kw) -> State:
    node, _ = policy_state("AWSRole", ROLE, slot, kind, evidence=evidence,
                           time=time if evidence == "event" else None,
                           event_id=f"e-{time}" if evidence == "event" else None, **kw)
    attrs = {**node.props, "first_seen": time, "last_seen": last or time}
    return State.from_node(attrs)


def test_event_states_replay_in_time_order_and_get_validity():
    v1 = _state("inline:Read", "identity", time="2026-01-01T00:00:00Z", document={"Statement": []})
    v2 = _state("inline:Read", "identity", time="2026-02-01T00:00:00Z", document={"Statement": [{"Sid": "x"}]})
    gone = _state("inline:Read", "identity", time="2026-03-01T00:00:00Z", deleted=True)
    timeline = Timeline([gone, v2, v1])
    assert timeline.slot_at(ROLE, "inline:Read", "2026-01-15T00:00:00Z").state == v1
    assert timeline.slot_at(ROLE, "inline:Read", "2026-02-01T00:00:00Z").state == v2
    assert timeline.slot_at(ROLE, "inline:Read", "2026-04-01T00:00:00Z").state is None
    assert timeline.validity() == {
        v1.id: {"valid_to": "2026-02-01T00:00:00Z", "current": False},
        v2.id: {"valid_to": "2026-03-01T00:00:00Z", "current": False},
        gone.id: {"valid_to": None, "current": True},
    }


def test_before_the_earliest_evidence_a_slot_is_unknown_unless_the_subject_was_created():
    later = _state("inline:Read", "identity", time="2026-02-01T00:00:00Z", document={"Statement": []})
    unknown = Timeline([later]).slot_at(ROLE, "inline:Read", "2026-01-01T00:00:00Z")
    assert (unknown.state, unknown.extrapolated) == (later, True)
    created = _state("lifecycle", "lifecycle", time="2025-12-01T00:00:00Z")
    absent = Timeline([later, created]).slot_at(ROLE, "inline:Read", "2026-01-01T00:00:00Z")
    assert (absent.state, absent.extrapolated) == (None, False)


def test_snapshot_values_are_observed_at_first_and_last_pull_and_inventory_drops_missing_slots():
    a = _state("inline:Read", "identity", time="2026-01-01T00:00:00Z", evidence="snapshot",
               last="2026-03-01T00:00:00Z", document={"Statement": []})
    b = _state("inline:Read", "identity", time="2026-02-01T00:00:00Z", evidence="snapshot",
               document={"Statement": [{"Sid": "b"}]})
    assert a.id.endswith("|snapshot|" + a.id.rsplit("|", 1)[1]) and a.observed == ("2026-01-01T00:00:00Z",
                                                                                     "2026-03-01T00:00:00Z")
    inventory = _state("inventory", "inventory", time="2026-04-01T00:00:00Z", evidence="snapshot", document=[])
    timeline = Timeline([a, b, inventory])
    assert timeline.slot_at(ROLE, "inline:Read", "2026-01-20T00:00:00Z").state == a
    assert timeline.slot_at(ROLE, "inline:Read", "2026-02-10T00:00:00Z").state == b  # A then B then A again
    assert timeline.slot_at(ROLE, "inline:Read", "2026-03-10T00:00:00Z").state == a
    assert timeline.slot_at(ROLE, "inline:Read", "2026-04-10T00:00:00Z").state is None  # gone by the last pull
    before = timeline.slot_at(ROLE, "inline:Read", "2025-12-01T00:00:00Z")
    assert (before.state, before.extrapolated) == (a, True)  # a snapshot has no known start
    # what slot_at answers at 01-20 holds from A's first pull until B's (graphgov.access.memo keeps it so long)
    assert timeline.held(lambda: timeline.slot_at(ROLE, "inline:Read", "2026-01-20T00:00:00Z"))[1:] == (
        "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")
