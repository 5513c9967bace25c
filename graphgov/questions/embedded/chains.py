"""Processing chains on the embedded (networkx) store: the twin of the Cypher walks over FEEDS.

A step goes from a job that writes datasets (processing, batch transform, batch inference) over FEEDS
(its output contains or overlaps the dataset by S3 key-name prefix, graphgov.core.s3_containment) to a job
reading that dataset which started after it (its start is the earliest its output can exist). Walks
are bounded to five steps and, like a Cypher path, never use the same edge twice.
A later link between objects or datasets (e.g. a copy) becomes one more kind of step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx

from graphgov.core.s3_containment import WRITER_JOBS
from graphgov.questions.embedded.walk import Node, edges_in, edges_out

MAX_STEPS = 5
Edge = tuple[Node, Node, str]


@dataclass(frozen=True)
class Chain:
    """One walk: the job at its end, the READS edge it ends with, the processing jobs and fed datasets."""

    job: Node
    dataset: Node
    read: dict[str, Any]
    producers: tuple[Node, ...]
    fed: tuple[Node, ...]
    top_channels: tuple[str, ...] = ()


def _started_after(graph: nx.MultiDiGraph, consumer: Node, producer: Node) -> bool:
    later, earlier = graph.nodes[consumer].get("first_seen"), graph.nodes[producer].get("first_seen")
    return later is not None and earlier is not None and later > earlier


def via(graph: nx.MultiDiGraph, chain: Chain) -> str | None:
    """`a -> b`: the processing jobs of the chain in order, None for a direct read."""
    return " -> ".join(graph.nodes[p].get("arn") for p in chain.producers) or None


def link(graph: nx.MultiDiGraph, chain: Chain) -> str:
    """`direct`, `derived`, or `unknown` when a step reads a manifest (its listed keys were not read)."""
    if not chain.fed:
        return "direct"
    if any((graph.nodes[d].get("data_type") or "S3Prefix") != "S3Prefix" for d in chain.fed):
        return "unknown"
    return "derived"


def downstream(graph: nx.MultiDiGraph, start: Node) -> Iterator[Chain]:
    """Every job reading the dataset, then every job reading what processing jobs prepared from it."""

    def walk(job: Node, dataset: Node, read: dict, used: frozenset[Edge], producers: tuple,
             fed: tuple) -> Iterator[Chain]:
        yield Chain(job, dataset, read, producers, fed)
        if job[0] not in WRITER_JOBS or len(producers) >= MAX_STEPS:
            return
        for target, _, _ in edges_out(graph, job, "FEEDS"):
            feed = (job, target, "FEEDS")
            if feed in used:
                continue
            for reader, _, attrs in edges_in(graph, target, "READS"):
                edge = (reader, target, "READS")
                if edge not in used and _started_after(graph, reader, job):
                    yield from walk(reader, target, attrs, used | {feed, edge}, (*producers, job), (*fed, target))

    for reader, _, attrs in edges_in(graph, start, "READS"):
        yield from walk(reader, start, attrs, frozenset({(reader, start, "READS")}), (), ())


def upstream(graph: nx.MultiDiGraph, job: Node) -> Iterator[Chain]:
    """Every dataset the job reads, then every dataset read by the processing jobs that prepared them
    (nearest first in `producers`); `top_channels` are the job's own channels the chain starts from."""

    def walk(consumer: Node, used: frozenset[Edge], producers: tuple, fed: tuple, top: tuple) -> Iterator[Chain]:
        for dataset, _, attrs in edges_out(graph, consumer, "READS"):
            edge = (consumer, dataset, "READS")
            if edge in used:
                continue
            channels = top if producers else tuple(attrs.get("channels") or ())
            yield Chain(consumer, dataset, attrs, producers, fed, channels)
            if len(producers) >= MAX_STEPS:
                continue
            for producer, _, _ in edges_in(graph, dataset, "FEEDS"):
                feed = (producer, dataset, "FEEDS")
                if producer[0] in WRITER_JOBS and feed not in used and _started_after(graph, consumer, producer):
                    yield from walk(producer, used | {edge, feed}, (*producers, producer), (*fed, dataset), channels)

    yield from walk(job, frozenset(), (), (), ())
