"""The merge rules (graphgov.core.merge_rules): each one, on both stores, in both orders where order matters.

Every case writes the same node or edge twice, as two separate writes (a store's own fold: merge_attrs on
the embedded store, the generated Cypher on Neo4j), and checks the exact result; the same two deltas
folded in one chunk (the Aggregate's fold) must give the same. The schema tests fail when a property has
no rule, or a rule names a property the schema does not have.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from graphgov.core.delta import EdgeRow, GraphDelta, NodeRow
from graphgov.core.merge_rules import (
    EDGE_PROPERTY_CLASSES,
    EDGE_RULES,
    EDGE_WINDOW,
    LATEST,
    NODE_PROPERTY_CLASSES,
    NODE_RULES,
    NODE_WINDOW,
    Kind,
    Rule,
    _table,
    edge_rule,
    fold,
    folded_edge_props,
    node_rule,
)
from graphgov.core.schema import DERIVED_EDGE_TYPES, EDGE_TYPES, NODE_TYPES, EdgeType, NodeType
from graphgov.ingest.aggregate import Aggregate, merge_attrs
from graphgov.stores.base import DerivedEdge

T1, T2, T3 = "2026-03-01T00:00:00Z", "2026-03-05T00:00:00Z", "2026-03-09T00:00:00Z"
ROLE = "arn:aws:iam::111111111111:role/Trainer"
ROOT = "arn:aws:iam::111111111111:root"
OBJECT = "arn:aws:s3:::data/train.csv"
MODEL = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2"
JOB = "arn:aws:sagemaker:us-east-1:111111111111:training-job/train"
DATASET = "s3://data/train/"


def _delta(time: str, event: str, nodes: tuple[NodeRow, ...] = (), edges: tuple[EdgeRow, ...] = (),
           source: str = "cloudtrail") -> GraphDelta:
    return GraphDelta(source, event, f"key-{event}", f"action-{event}", time, nodes, edges)


def _role(time: str, event: str, node_type: str = "AWSRole", key: str = ROLE, source: str = "cloudtrail",
          **props: Any) -> GraphDelta:
    return _delta(time, event, (NodeRow(node_type, key, {"arn": key, **props}),), source=source)


def _principal_edge(edge_type: str, dst_type: str, dst: str, time: str, event: str, props: dict[str, Any] | None = None,
                    operation: str | None = None, size: int = 0, dst_props: dict[str, Any] | None = None) -> GraphDelta:
    nodes = (NodeRow("AWSRole", ROLE, {"arn": ROLE}), NodeRow(dst_type, dst, dst_props or {}))
    edge = EdgeRow(edge_type, "AWSRole", ROLE, dst_type, dst, props or {}, operation, size)
    return _delta(time, event, nodes, (edge,))


def _write_each(store: Any, deltas: list[GraphDelta]) -> None:
    for delta in deltas:
        store.write(Aggregate().extend([delta]), {})


def _node(store: Any, label: str, key: str) -> dict[str, Any]:
    return dict(store.scan_nodes(label))[key]


def _edge(store: Any, edge_type: str) -> dict[str, Any]:
    found = [attrs for _, _, attrs in store.scan_edges(edge_type)]
    assert len(found) == 1, found
    return found[0]


def _folded_node(deltas: list[GraphDelta], label: str, key: str) -> dict[str, Any]:
    return Aggregate().extend(deltas).nodes[(label, key)]


def _folded_edge(deltas: list[GraphDelta]) -> dict[str, Any]:
    edges = Aggregate().extend(deltas).edges
    assert len(edges) == 1
    return next(iter(edges.values()))


# --- node rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("newest_last", [True, False])
def test_latest_node_property_the_write_loaded_last_wins_and_null_never_replaces(store, newest_last):
    first, second = _role(T1, "e1", path="/a/"), _role(T2, "e2", path="/b/")
    _write_each(store, [first, second] if newest_last else [second, first])
    assert _node(store, "AWSPrincipal", ROLE)["path"] == ("/b/" if newest_last else "/a/")  # load order, not time
    _write_each(store, [_role(T3, "e3", path=None)])
    assert _node(store, "AWSPrincipal", ROLE)["path"] == ("/b/" if newest_last else "/a/")


@pytest.mark.parametrize("early_first", [True, False])
def test_node_window_labels_and_sources_are_min_max_and_sorted_unions(store, early_first):
    early = _role(T1, "e1", node_type="AWSPrincipal", source="iam")
    late = _role(T2, "e2", node_type="AWSRole", source="cloudtrail")
    deltas = [early, late] if early_first else [late, early]
    _write_each(store, deltas)
    expected = {"arn": ROLE, "labels": ["AWSPrincipal", "AWSRole"], "sources": ["cloudtrail", "iam"],
                "first_seen": T1, "last_seen": T2}
    assert _node(store, "AWSPrincipal", ROLE) == expected
    assert _folded_node(deltas, "AWSPrincipal", ROLE) == expected


@pytest.mark.parametrize("newest_first", [True, False])
def test_timed_node_property_takes_the_newest_event_state_and_its_stamp(store, newest_first):
    bucket = "training-data"

    def tags(time: str, event: str, value: list[str], at: str | None = None) -> GraphDelta:
        props = {"id": bucket, "tags": value, **({"tags_at": at} if at else {})}
        return _delta(time, event, (NodeRow("S3Bucket", bucket, props),))

    old, new = tags(T1, "e1", ["team=a"]), tags(T2, "e2", ["team=b"])
    deltas = [new, old] if newest_first else [old, new]
    _write_each(store, deltas)
    attrs = _node(store, "S3Bucket", bucket)
    assert (attrs["tags"], attrs["tags_at"]) == (["team=b"], T2)
    folded = _folded_node(deltas, "S3Bucket", bucket)
    assert (folded["tags"], folded["tags_at"]) == (["team=b"], T2)
    # a stated stamp (the event's own time) counts, not the delta's; a stamp alone (STAMP) sets nothing
    _write_each(store, [tags(T3, "e3", ["team=c"], at=T1), _delta(T3, "e4", (NodeRow("S3Bucket", bucket,
                                                                                     {"tags_at": T3}),))])
    attrs = _node(store, "S3Bucket", bucket)
    assert (attrs["tags"], attrs["tags_at"]) == (["team=b"], T2)


@pytest.mark.parametrize("root_first", [True, False])
def test_ranked_node_property_the_highest_rank_stands_whatever_the_order(store, root_first):
    root = _role(T1, "e1", node_type="AWSRootUser", key=ROOT, principal_type="Root")
    account = _role(T2, "e2", node_type="AWSPrincipal", key=ROOT, principal_type="AWSAccount")
    deltas = [root, account] if root_first else [account, root]
    _write_each(store, deltas)
    assert _node(store, "AWSPrincipal", ROOT)["principal_type"] == "Root"
    assert _folded_node(deltas, "AWSPrincipal", ROOT)["principal_type"] == "Root"


@pytest.mark.parametrize("policy_first", [True, False])
def test_a_policy_named_node_is_replaced_by_evidence_and_never_mixes_with_it(store, policy_first):
    named = _role(T1, "e1", source="policy", name="Trainer")
    evidence = _role(T2, "e2", path="/svc/")
    _write_each(store, [named, evidence] if policy_first else [evidence, named])
    assert _node(store, "AWSPrincipal", ROLE) == {
        "arn": ROLE, "path": "/svc/", "labels": ["AWSPrincipal", "AWSRole"], "sources": ["cloudtrail"],
        "first_seen": T2, "last_seen": T2}


def test_derived_node_properties_are_set_whole_by_the_derivation_and_kept_by_writes(store):
    state = "ps-1"
    write = _delta(T1, "e1", (NodeRow("PolicyState", state, {"id": state, "slot": "inline"}),))
    _write_each(store, [write])
    store.replace_derived([], [(("PolicyState", state), {"valid_to": T2, "current": False})])
    store.replace_derived([], [(("PolicyState", state), {"valid_to": None, "current": True})])
    _write_each(store, [_delta(T3, "e2", (NodeRow("PolicyState", state, {"id": state, "slot": "inline"}),))])
    attrs = _node(store, "PolicyState", state)
    assert ("valid_to" in attrs, attrs["current"], attrs["last_seen"]) == (False, True, T3)


# --- edge rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("early_first", [True, False])
def test_aggregated_edge_counts_bytes_operations_window_and_sources(store, early_first):
    early = _principal_edge("READ", "S3Object", OBJECT, T1, "e1", {"cross_account": False}, "GetObject", 10,
                            {"arn": OBJECT, "bucket": "data", "key": "train.csv"})
    late = _principal_edge("READ", "S3Object", OBJECT, T2, "e2", {"cross_account": True}, "CopyObject", 32,
                           {"arn": OBJECT, "bucket": "data", "key": "train.csv"})
    deltas = [early, late] if early_first else [late, early]
    _write_each(store, deltas)
    expected = {"count": 2, "bytes": 42, "operations": ["CopyObject", "GetObject"], "first_seen": T1,
                "last_seen": T2, "sources": ["cloudtrail"], "event_ids": ["e1", "e2"], "access_points": [],
                "cross_account": early_first}  # LATEST: the one loaded last
    assert _edge(store, "READ") == expected
    assert _folded_edge(deltas) == expected


@pytest.mark.parametrize("reverse", [True, False])
def test_event_ids_keep_the_smallest_sample_whatever_the_order(store, reverse):
    def call(event: str, time: str) -> GraphDelta:
        return _principal_edge("INVOKED", "BedrockModel", MODEL, time, event, {}, "InvokeModel", 0, {"arn": MODEL})

    deltas = [call(f"e{n}", T1 if n % 2 else T2) for n in (7, 3, 9, 1, 5, 8, 2)]
    firsts, seconds = deltas[:4], deltas[4:]
    for chunk in ([seconds, firsts] if reverse else [firsts, seconds]):
        store.write(Aggregate().extend(chunk), {})
    attrs = _edge(store, "INVOKED")
    assert (attrs["event_ids"], attrs["count"]) == (["e1", "e2", "e3", "e5", "e7"], 7)
    assert _folded_edge(deltas)["event_ids"] == ["e1", "e2", "e3", "e5", "e7"]


def test_additive_properties_add_up_and_a_row_without_one_keeps_the_sum(store):
    logged = {"count": 0, "logged_count": 2, "input_tokens": 30, "pii_types": ["email"]}
    deltas = [
        _principal_edge("INVOKED", "BedrockModel", MODEL, T1, "e1", {}, "InvokeModel", 0, {"arn": MODEL}),
        _principal_edge("INVOKED", "BedrockModel", MODEL, T2, "e2", logged, None, 0, {"arn": MODEL}),
        _principal_edge("INVOKED", "BedrockModel", MODEL, T3, "e3", {**logged, "input_tokens": 12,
                                                                      "pii_types": ["phone"]}, None, 0, {"arn": MODEL}),
        _principal_edge("INVOKED", "BedrockModel", MODEL, T3, "e4", {}, "Converse", 0, {"arn": MODEL}),
    ]
    _write_each(store, deltas)
    attrs = _edge(store, "INVOKED")
    summed = {k: attrs.get(k) for k in ("count", "logged_count", "input_tokens", "output_tokens", "pii_types")}
    assert summed == {"count": 2, "logged_count": 4, "input_tokens": 42, "output_tokens": None,
                      "pii_types": ["email", "phone"]}
    folded = _folded_edge(deltas)
    assert {k: folded.get(k) for k in summed} == summed


@pytest.mark.parametrize("train_first", [True, False])
def test_structural_edge_union_property_is_a_sorted_union_without_counts(store, train_first):
    def reads(event: str, time: str, channel: str) -> GraphDelta:
        nodes = (NodeRow("TrainingJob", JOB, {"arn": JOB}),
                 NodeRow("Dataset", DATASET, {"uri": DATASET, "bucket": "data", "prefix": "train/"}))
        edge = EdgeRow("READS", "TrainingJob", JOB, "Dataset", DATASET, {"channels": [channel]})
        return _delta(time, event, nodes, (edge,))

    train, validation = reads("e1", T2, "train"), reads("e2", T1, "validation")
    deltas = [train, validation] if train_first else [validation, train]
    _write_each(store, deltas)
    expected = {"channels": ["train", "validation"], "first_seen": T1, "last_seen": T2, "sources": ["cloudtrail"],
                "event_ids": ["e1", "e2"]}
    assert _edge(store, "READS") == expected
    assert _folded_edge(deltas) == expected


@pytest.mark.parametrize("old_first", [True, False])
def test_endpoint_history_is_derived_from_the_configurations_times_whatever_the_order(store, old_first):
    endpoint = "arn:aws:sagemaker:us-east-1:111111111111:endpoint/serve"
    configs = [f"arn:aws:sagemaker:us-east-1:111111111111:endpoint-config/c{n}" for n in (1, 2)]

    def uses(config: str, time: str, event: str) -> GraphDelta:
        nodes = (NodeRow("Endpoint", endpoint, {"arn": endpoint}), NodeRow("EndpointConfig", config, {"arn": config}))
        return _delta(time, event, nodes, (EdgeRow("USES_CONFIG", "Endpoint", endpoint, "EndpointConfig", config),))

    first, second = uses(configs[0], T1, "e1"), uses(configs[1], T2, "e2")
    _write_each(store, [first, second] if old_first else [second, first])
    history = sorted((dst[1], attrs["since"], attrs.get("until"), attrs["current"])
                     for _, dst, attrs in store.scan_edges("USES_CONFIG"))
    assert history == [(configs[0], T1, T2, False), (configs[1], T2, None, True)]


def test_derived_edges_are_replaced_whole_never_folded(store):
    _write_each(store, [_principal_edge("READ", "S3Object", OBJECT, T1, "e1", {}, "GetObject", 1,
                                        {"arn": OBJECT, "bucket": "data", "key": "train.csv"})])
    src, dst = ("AWSPrincipal", ROLE), ("S3Object", OBJECT)
    store.replace_derived([DerivedEdge("CAN_READ", src, dst, {"access": "potential", "via": ["a"]})], [])
    store.replace_derived([DerivedEdge("CAN_READ", src, dst, {"access": "observed", "via": ["b"]})], [])
    assert _edge(store, "CAN_READ") == {"access": "observed", "via": ["b"]}


# --- the table itself -------------------------------------------------------------------------------------


def _schema_node_props() -> set[str]:
    return {p for t in NODE_TYPES.values() for p in t.props} | set(NODE_WINDOW) | {"labels"}


def _schema_edge_props() -> set[str]:
    return {p for e in EDGE_TYPES.values()
            for p in (*e.props, *e.union_props, *e.additive_props, *folded_edge_props(e))}


def test_every_schema_property_has_a_rule_or_falls_into_the_default_explicitly():
    for name in sorted(_schema_node_props()):
        assert node_rule(name, strict=True).kind in Kind
    for name in sorted(_schema_edge_props()):
        assert edge_rule(name, strict=True).kind in Kind
    with pytest.raises(KeyError, match="no_such_property"):
        node_rule("no_such_property", strict=True)
    with pytest.raises(KeyError, match="no_such_property"):
        edge_rule("no_such_property", strict=True)
    assert node_rule("no_such_property") is LATEST  # a loader's extra property folds as it always has


def test_every_property_class_of_the_schema_has_a_rule():
    # a field of NodeType / EdgeType listing property names is a class of properties: its rule must be declared
    # (NodeType.labels lists labels, not properties)
    classes = {t: {f.name for f in fields(t) if f.type == "tuple[str, ...]"} - {"labels"} for t in (NodeType, EdgeType)}
    assert classes == {NodeType: set(NODE_PROPERTY_CLASSES), EdgeType: set(EDGE_PROPERTY_CLASSES)}
    assert (NODE_PROPERTY_CLASSES["props"], EDGE_PROPERTY_CLASSES["union_props"].kind,
            EDGE_PROPERTY_CLASSES["additive_props"].kind) == (LATEST, Kind.UNION, Kind.SUM)


def test_every_rule_names_a_property_of_the_schema():
    assert set(NODE_RULES) - _schema_node_props() == set()
    assert set(EDGE_RULES) - _schema_edge_props() == set()


def test_the_declared_rules_exactly():
    declared = {name: (r.kind.value, r.partner or dict(r.ranks) or r.by) for name, r in NODE_RULES.items()
                if r is not LATEST}
    assert declared == {
        "labels": ("union", None), "first_seen": ("min", None), "last_seen": ("max", None),
        "sources": ("union", None), "principal_type": ("ranked", {"AWSAccount": 1, "Root": 2}),
        "tags": ("timed", "tags_at"), "encryption": ("timed", "encryption_at"),
        "principal_id": ("timed", "principal_id_at"), "tags_at": ("stamp", "tags"),
        "encryption_at": ("stamp", "encryption"), "principal_id_at": ("stamp", "principal_id"),
        "valid_to": ("derived", "graphgov.access.derivation"), "current": ("derived", "graphgov.access.derivation")}
    kinds: dict[str, set[str]] = {}
    for name, rule in EDGE_RULES.items():
        kinds.setdefault(rule.kind.value, set()).add(name)
    assert {kind: len(names) for kind, names in kinds.items()} == {
        "min": 1, "max": 1, "union": 26, "sample": 1, "sum": 23, "derived": 12, "latest": 7}
    assert kinds["latest"] == {"cross_account", "keys_unknown", "replicated_at", "destination_bucket",
                               "destination_account", "destination_principal", "owner_override"}
    assert {name for name, r in NODE_RULES.items() if r is LATEST} >= {"name", "arn", "path", "document", "evidence"}
    assert kinds["sample"] == {"event_ids"} and EDGE_RULES["event_ids"].limit == 5
    assert {"count", "bytes", "logged_count", "pii_email"} <= kinds["sum"]
    assert {"sources", "operations", "channels", "evidence", "access_points"} <= kinds["union"]
    assert {"since", "until", "current", "access", "via", "chain"} <= kinds["derived"]
    assert all(EDGE_RULES[p].kind is Kind.DERIVED for name in DERIVED_EDGE_TYPES for p in EDGE_TYPES[name].props)
    assert {r.kind for r in (*NODE_RULES.values(), *EDGE_RULES.values())} | {Kind.LATEST} == set(Kind)


def test_a_name_declared_with_two_rules_is_refused():
    with pytest.raises(ValueError, match="'channels' is declared with two merge rules"):
        _table([(("channels",), Rule(Kind.UNION)), (("channels",), Rule(Kind.SUM))])


@pytest.mark.parametrize(("rule", "current", "incoming", "expected"), [
    (LATEST, "a", "b", "b"), (LATEST, "a", None, "a"),
    (Rule(Kind.MIN), T2, T1, T1), (Rule(Kind.MIN), None, T2, T2), (Rule(Kind.MIN), T1, None, T1),
    (Rule(Kind.MAX), T1, T2, T2), (Rule(Kind.MAX), T2, T1, T2),
    (Rule(Kind.SUM), 3, 4, 7), (Rule(Kind.SUM), None, 4, 4), (Rule(Kind.SUM), 3, None, 3),
    (Rule(Kind.UNION), ["b", "a"], ["c", "a"], ["a", "b", "c"]),
    (Rule(Kind.SAMPLE, limit=2), ["c", "a"], ["b"], ["a", "b"]),
    (NODE_RULES["principal_type"], "Root", "AWSAccount", "Root"),
    (NODE_RULES["principal_type"], "AWSAccount", "Root", "Root"),
    (NODE_RULES["principal_type"], "IAMUser", "SAMLUser", "SAMLUser"),
    (NODE_RULES["principal_type"], "SAMLUser", "IAMUser", "SAMLUser"),
])
def test_fold_of_each_rule_kind(rule, current, incoming, expected):
    assert fold(rule, current, incoming) == expected


def test_every_edge_folds_its_window():
    assert set(EDGE_WINDOW) <= set(folded_edge_props(EDGE_TYPES["IN_BUCKET"]))


def test_merge_attrs_keeps_the_newer_timed_state_and_skips_nulls():
    current = {"tags": ["team=b"], "tags_at": T2, "name": "x"}
    merge_attrs(current, {"tags": ["team=a"], "tags_at": T1, "name": None, "sources": ["iam"]}, NODE_RULES)
    assert current == {"tags": ["team=b"], "tags_at": T2, "name": "x", "sources": ["iam"]}


