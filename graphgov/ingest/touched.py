"""What a load wrote that the derivation steps before the access derivation read (graphgov.ingest.scoped): the
S3 objects written, copied, encrypted or contained, those whose tags were stated, the copies, the datasets and
whether an access point was written. Gathered from each chunk's aggregate before it is written
(graphgov.access.marker.LoadWrites), so it costs what the chunk costs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphgov.ingest.aggregate import Aggregate

OBJECT_EDGES = ("WROTE", "CONTAINS", "ENCRYPTS", "COPIED_FROM", "REPLICA_OF")  # edges whose S3Object ends it notes


@dataclass
class Touched:
    objects: set[str] = field(default_factory=set)  # S3Object keys written, or at an end of an OBJECT_EDGES edge
    tagged: set[str] = field(default_factory=set)  # S3Objects whose tags (or tag time) a row states
    copies: set[str] = field(default_factory=set)  # S3Objects a COPIED_FROM edge written starts from (the copies)
    datasets: set[str] = field(default_factory=set)  # Dataset keys written
    access_points: bool = False  # an S3AccessPoint node was written

    def add(self, aggregate: Aggregate) -> None:
        nodes, edges = aggregate.keys()
        for (label, key), props in nodes.items():
            if label == "S3Object":
                self.objects.add(key)
                if "tags" in props or "tags_at" in props:
                    self.tagged.add(key)
            elif label == "Dataset":
                self.datasets.add(key)
            elif label == "S3AccessPoint":
                self.access_points = True
        for edge_type, src, dst in edges:
            if edge_type in OBJECT_EDGES:
                self.objects.update(end[1] for end in (src, dst) if end[0] == "S3Object")
                if edge_type == "COPIED_FROM" and src[0] == "S3Object":
                    self.copies.add(src[1])


@dataclass
class StepScope:
    """What a derivation step may scope itself to: `base`, the steps' record the last derivation left when the
    graph is as it left it but for this load's writes (else None: the whole graph), what the load `touched`, and
    the `record` each step fills for the next load."""

    base: dict[str, Any] | None
    touched: Touched
    record: dict[str, Any] = field(default_factory=dict)

    def part(self, name: str) -> Any:
        """The step's own part of `base` (None: derive the whole graph)."""
        return None if self.base is None else self.base.get(name)
