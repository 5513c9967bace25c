"""What every object `pull iam` reads turns into: a Subject's rows, one snapshot state per policy slot read.

The pull's context (`PullContext`: account, partition, time) names each delta; INVENTORIED_SLOTS says which
slot families an `inventory` state vouches for (see graphgov.aws.pullers.iam).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphgov.core.delta import EdgeRow, GraphDelta, NodeRow
from graphgov.core.policy_facts import policy_state

SOURCE = "pull:iam"

# The slot families a pull reads for each subject type: an `inventory` state vouches for these (and
# lifecycle: the subject exists), so the access timeline may take a slot missing from it as gone.
INVENTORIED_SLOTS: dict[str, tuple[str, ...]] = {
    "AWSUser": ("lifecycle", "inline:", "attached:", "group:", "boundary", "access-key:"),
    "AWSRole": ("lifecycle", "inline:", "attached:", "boundary", "trust"),
    "AWSGroup": ("lifecycle", "inline:", "attached:"),
    "AWSPolicy": ("lifecycle", "version:", "default", "content", "target:"),
    "AWSOrganizationalUnit": ("lifecycle", "parent"),
    "S3Bucket": ("lifecycle", "bucket-policy", "acl", "public-access-block", "ownership", "encryption"),
    "KMSKey": ("lifecycle", "key-policy", "grant:", "key-state"),
    "S3AccessPoint": ("lifecycle", "access-point-policy", "public-access-block"),
}


@dataclass(frozen=True)
class PullContext:
    """Who was read and when: the account, its partition and the pull time (UTC ISO-8601)."""

    account: str
    partition: str
    time: str
    pull_id: str = ""  # `time` with the clock's microseconds: two pulls within one second are two pulls


class Subject:
    """The rows of one object: its own nodes and edges, then one snapshot state per slot read."""

    def __init__(self, ctx: PullContext, subject_type: str, key: str, nodes: Iterable[NodeRow] = (),
                 edges: Iterable[EdgeRow] = ()) -> None:
        self.ctx, self.subject_type, self.key = ctx, subject_type, key
        self.nodes, self.edges = list(nodes), list(edges)
        self.present: list[str] = []

    def state(self, slot: str, kind: str, *, document: Any = None, target: str | None = None,
              deleted: bool = False) -> None:
        node, edge = policy_state(self.subject_type, self.key, slot, kind, evidence="snapshot", time=self.ctx.time,
                                  document=document, target=target, deleted=deleted)
        self.nodes.append(node)
        self.edges.append(edge)
        if not deleted:
            self.present.append(slot)

    def delta(self, inventory: bool = True, name: str | None = None) -> GraphDelta:
        if inventory:
            families = INVENTORIED_SLOTS[self.subject_type]
            stray = [slot for slot in self.present if not slot.startswith(families)]
            if stray:  # an inventory vouches only for the families it names
                raise ValueError(f"{self.subject_type} slots {stray} are not in INVENTORIED_SLOTS")
            self.state("inventory", "inventory", document=sorted(self.present))
        key = f"pull-iam:{self.ctx.account}:{self.ctx.pull_id or self.ctx.time}:{name or self.key}"
        return GraphDelta(SOURCE, key, key, key, self.ctx.time, tuple(self.nodes), tuple(self.edges))


def account_rows(account: str | None, node_type: str, key: str) -> tuple[list[NodeRow], list[EdgeRow]]:
    if not account:
        return [], []
    return ([NodeRow("AWSAccount", account, {"id": account})],
            [EdgeRow("RESOURCE", "AWSAccount", account, node_type, key)])
