"""Inference profiles on the embedded (networkx) store, shared by the model questions: a profile is judged as
the foundation model behind it (ROUTES_TO), the twin of the Cypher `ROUTES_TO*1..2` steps."""

from __future__ import annotations

import networkx as nx

from graphgov.questions.embedded.walk import Node
from graphgov.questions.embedded.walk import edges_out as _out

PROFILE_KINDS = ("inference-profile", "application-inference-profile")


def foundation_behind(graph: nx.MultiDiGraph, model: Node) -> Node | None:
    """The foundation model an inference profile invokes (ROUTES_TO, at most two steps: an application
    profile may copy a system profile), or None."""
    frontier = [model]
    for _ in range(2):
        frontier = [target for node in frontier for target, _, _ in _out(graph, node, "ROUTES_TO")]
        found = sorted(n for n in frontier if graph.nodes[n].get("kind") == "foundation-model")
        if found:
            return found[0]
    return None


def judged_model(graph: nx.MultiDiGraph, model: Node) -> tuple[Node, str | None]:
    """The model a question judges (the foundation model behind a profile, else the model itself) and the
    profile's ARN when there is one."""
    behind = foundation_behind(graph, model)
    attrs = graph.nodes[model]
    profile = attrs.get("arn") if behind is not None or attrs.get("kind") in PROFILE_KINDS else None
    return behind or model, profile
