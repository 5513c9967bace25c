"""The personal-data question answered on the embedded (networkx) store, mirroring
`cypher/personal-data-in-training.cypher` row for row (the parity tests hold them to each other)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from graphgov.questions.embedded.chains import Chain, downstream, link, via
from graphgov.questions.embedded.registry import Rows, answers
from graphgov.questions.embedded.walk import edges_in as _in
from graphgov.stores.embedded_graph import GraphReads

TRAINING_READERS = ("TrainingJob", "TuningJob", "CustomizationJob")
PERSONAL_CLASSES = ("personal", "special-category")


def is_personal(classification: Any) -> bool:
    """`personal`, `special-category`, or a kind of either (`special-category:health`)."""
    return any(c in PERSONAL_CLASSES or c.startswith(tuple(f"{p}:" for p in PERSONAL_CLASSES))
               for c in classification or [])


def _derived_label(graph: nx.MultiDiGraph, chain: Chain) -> str:
    """`<job> derived from personal data via <processing jobs>`; `possibly` through a manifest input."""
    job = graph.nodes[chain.job].get("arn")
    if link(graph, chain) == "unknown":
        return (f"{job} possibly derived from personal data via {via(graph, chain)}"
                " (a manifest input: its keys were not read)")
    return f"{job} derived from personal data via {via(graph, chain)}"


@answers("personal-data-in-training", GraphReads(edges=("READS", "FEEDS", "CAN_READ"), labels=("Dataset",)))
def personal_data_in_training(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    rows = []
    for node, attrs in graph.nodes(data=True):
        if node[0] != "Dataset" or not is_personal(attrs.get("classification")):
            continue
        jobs = {graph.nodes[src].get("arn") for src, _, _ in _in(graph, node, "READS") if src[0] in TRAINING_READERS}
        derived = {_derived_label(graph, chain) for chain in downstream(graph, node)
                   if chain.producers and chain.job[0] in TRAINING_READERS}
        if not jobs and not derived:
            continue
        readers = {f"{graph.nodes[p].get('arn')} ({c['access']})" for p, _, c in _in(graph, node, "CAN_READ")
                   if p[0] == "AWSPrincipal"}
        rows.append({"dataset": node[1], "bucket": attrs.get("bucket"), "classification": attrs["classification"],
                     "jobs": sorted(jobs), "derived_jobs": sorted(derived), "readers": sorted(readers)})
    return rows
