"""The embedded twins' shared lookups (questions.embedded.estate, walk.typed_edges) and the registry's GC pause:
the speed work must give the lookups the re-walks gave, and leave the interpreter as it found it."""

from __future__ import annotations

import gc

import networkx as nx

from graphgov.questions.embedded.core import IMPLEMENTATIONS
from graphgov.questions.embedded.estate import Estate
from graphgov.questions.embedded.walk import typed_edges

ROLE_A, ROLE_B, ROLE_C = (("AWSPrincipal", f"arn:aws:iam::111111111111:role/{name}") for name in "ABC")
USER = ("AWSPrincipal", "arn:aws:iam::111111111111:user/u")
TRAIN, OTHER = ("Dataset", "s3://b/train/"), ("Dataset", "s3://b/other/")


def _graph() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    graph.add_node(("TrainingJob", "job"))
    graph.add_node(("ProcessingJob", "prep"))
    for dataset in (TRAIN, OTHER):
        graph.add_node(dataset)
    for n, key in enumerate(["train/a", "train/b", "other/a"]):
        graph.add_node(("S3Object", f"arn:aws:s3:::b/{key}"), bucket="b", key=key, n=n)
    graph.add_node(("S3Object", "arn:aws-cn:s3:::b/train/a"), bucket="b", key="train/a")  # same place, other key
    graph.add_node(("ModelArtifact", "s3://b/train/a"), bucket="b", key="train/a")
    graph.add_edge(("TrainingJob", "job"), TRAIN, key="READS")
    graph.add_edge(("ProcessingJob", "prep"), OTHER, key="READS")  # not a training reader
    for role in (ROLE_A, ROLE_B, ROLE_C, USER):
        graph.add_node(role, arn=role[1])
    graph.add_edge(ROLE_B, ROLE_A, key="CAN_ASSUME", access="potential")
    graph.add_edge(ROLE_C, ROLE_B, key="CAN_ASSUME", access="conditional")
    graph.add_edge(ROLE_A, ROLE_C, key="CAN_ASSUME", access="potential")  # a cycle: paths never revisit a node
    graph.add_edge(USER, ROLE_A, key="ASSUMED_ROLE")
    graph.add_edge(USER, TRAIN, key="CAN_READ", access="potential")
    return graph


def test_training_datasets_are_the_ones_a_training_tuning_or_customization_job_reads():
    estate = Estate(_graph())
    assert estate.training_datasets() == {TRAIN}
    assert (estate.is_training_data(TRAIN), estate.is_training_data(OTHER)) == (True, False)


def test_objects_at_finds_every_object_node_of_a_bucket_and_key_and_artifacts_are_indexed_by_place():
    estate = Estate(_graph())
    assert estate.objects_at("b", "train/a") == [("S3Object", "arn:aws:s3:::b/train/a"),
                                                 ("S3Object", "arn:aws-cn:s3:::b/train/a")]
    assert estate.objects_at("b", "nowhere") == []
    assert estate.artifact_locations() == {("b", "train/a")}


def test_chains_are_simple_can_assume_paths_of_up_to_three_steps_walked_once_per_reader():
    estate = Estate(_graph())
    chains = estate.chains(ROLE_A)
    assert [(start, roles, [e["access"] for e in edges]) for start, roles, edges in chains] == [
        (ROLE_B, [ROLE_A], ["potential"]),
        (ROLE_C, [ROLE_B, ROLE_A], ["conditional", "potential"])]  # ROLE_A again would close the cycle
    assert estate.chains(ROLE_A) is chains


def test_memo_computes_once_per_key():
    estate = Estate(_graph())
    calls = []
    assert estate.memo("k", lambda: calls.append(1) or 7) == 7
    assert estate.memo("k", lambda: calls.append(1) or 8) == 7
    assert calls == [1]


def test_typed_edges_are_the_edges_of_those_types_in_graph_order():
    graph = _graph()
    wanted = ("CAN_ASSUME", "ASSUMED_ROLE")
    assert list(typed_edges(graph, *wanted)) == [
        (src, dst, key, attrs) for src, dst, key, attrs in graph.edges(keys=True, data=True) if key in wanted]
    assert len(list(typed_edges(graph, *wanted))) == 4


class _Watched(nx.MultiDiGraph):
    """A graph that notes whether the cyclic GC was on each time a twin asks whether it holds a node."""

    def __init__(self) -> None:
        super().__init__()
        self.gc_on: list[bool] = []

    def __contains__(self, node: object) -> bool:
        self.gc_on.append(gc.isenabled())
        return super().__contains__(node)


def test_a_twin_runs_with_the_cyclic_gc_paused_and_restores_it_as_it_was():
    graph = _Watched()
    assert gc.isenabled()
    assert IMPLEMENTATIONS["public-ai-data"](graph, {}) == []
    assert graph.gc_on == [False] and gc.isenabled()
    gc.disable()
    try:
        IMPLEMENTATIONS["public-ai-data"](graph, {})
        assert graph.gc_on == [False, False] and not gc.isenabled()  # left off: it was off before
    finally:
        gc.enable()
