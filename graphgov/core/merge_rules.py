"""How a property combines when the same node or edge is written again: each rule declared once, here.

Both stores are driven from these tables: the Python fold (graphgov.ingest.aggregate's `Aggregate` and
`merge_attrs`, which the embedded store uses, and the provenance answer of graphgov.stores.base) dispatches
on a property's rule kind, and the Neo4j write statements (graphgov.stores.schema_cypher) generate one SET
item per rule kind, so a rule cannot be changed in one store and not the other.

The tables are keyed by property name, per scope (node or edge), and hold every property the schema
declares: each property class of the schema (a NodeType / EdgeType field listing properties: plain
`props`, an edge type's `union_props` and `additive_props`) maps to a rule, plain ones to the default,
LATEST, explicitly; named properties override it (the schema's TIMED_PROPS and their stamps, RANKED_PROPS,
the derived ones), and so do the bookkeeping properties every node (`labels`, `sources`, `first_seen`,
`last_seen`) or edge (also `event_ids`; `count`, `bytes`, `operations` on aggregated ones) carries. A name
declared with two rules (e.g. a union on one edge type, plain on another) is refused at import.

One rule concerns a whole node: a principal the access derivation wrote only because a policy names it
(`sources == [NAMED_ONLY_SOURCE]`) is replaced by its first evidence, a policy-named row leaves an
evidenced node alone, and each derivation's own row replaces a policy-named node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any

from graphgov.core.delta import INT64
from graphgov.core.schema import (
    DERIVED_EDGE_TYPES,
    EDGE_TYPES,
    EVENT_ID_SAMPLE,
    NODE_TYPES,
    TIMED_PROPS,
    EdgeType,
)


class Kind(Enum):
    """What a second write of a property does to the value already held."""

    LATEST = "latest"  # the newest non-null value loaded wins (the default)
    MIN = "min"  # the smaller (ISO times: the earlier)
    MAX = "max"  # the greater (the later)
    SUM = "sum"  # numbers add up (integers stop at the int64 ceiling: `add`); a write without it keeps the sum
    UNION = "union"  # sorted union of string lists
    SAMPLE = "sample"  # sorted union kept to its `limit` smallest, the same whatever the order of arrival
    RANKED = "ranked"  # the highest-ranked value (`ranks`, unranked values 0), then the greatest
    TIMED = "timed"  # the value of the newest event, by the event time held in its `partner` (`<prop>_at`)
    STAMP = "stamp"  # the event time of the TIMED property `partner`, set only alongside it
    DERIVED = "derived"  # recomputed whole by `by` after writes, never folded (a write would take it as LATEST)


@dataclass(frozen=True)
class Rule:
    """One merge rule: its kind and the parameter that kind takes."""

    kind: Kind
    limit: int | None = None  # SAMPLE
    ranks: tuple[tuple[str, int], ...] = ()  # RANKED: (value, rank) pairs
    partner: str | None = None  # TIMED: its stamp property; STAMP: the property it stamps
    by: str | None = None  # DERIVED: what computes it

    @cached_property
    def _rank_of(self) -> dict[str, int]:
        return dict(self.ranks)

    def rank(self, value: Any) -> int:
        """A RANKED value's rank (0: unranked)."""
        return self._rank_of.get(value, 0)


LATEST = Rule(Kind.LATEST)
MIN, MAX, SUM, UNION = Rule(Kind.MIN), Rule(Kind.MAX), Rule(Kind.SUM), Rule(Kind.UNION)

# The source of principal nodes the access derivation writes because a policy names them
# (graphgov.access.derivation): the whole-node rule of this module's docstring.
NAMED_ONLY_SOURCE = "policy"

# Values two kinds of evidence may state differently for one node, and which stands whatever the load
# order (or a concurrent load's commit order): `arn:aws:iam::<acct>:root` is the root user when it acted
# (Root), else the account as a caller or a policy's grantee (AWSAccount).
RANKED_PROPS: dict[str, dict[str, int]] = {"principal_type": {"Root": 2, "AWSAccount": 1}}

# Bookkeeping every node carries, and every edge read from evidence (aggregated edges also count, bytes,
# operations); they travel beside a store row's `props` and are folded by their own SET items in Cypher.
NODE_WINDOW = ("first_seen", "last_seen", "sources")
EDGE_WINDOW = ("first_seen", "last_seen", "sources", "event_ids")
AGGREGATED_FIELDS = ("count", "bytes", "operations")

# Each property class of the schema's node and edge types (a field of NodeType / EdgeType listing
# properties), and its rule: a plain property takes the default, LATEST, explicitly. A test fails when a type
# grows a class that is not here.
NODE_PROPERTY_CLASSES: dict[str, Rule] = {"props": LATEST}
EDGE_PROPERTY_CLASSES: dict[str, Rule] = {"props": LATEST, "union_props": UNION, "additive_props": SUM}

_BY_DERIVATION = Rule(Kind.DERIVED, by="graphgov.access.derivation")
# Edge types whose plain properties are never folded but recomputed after writes: the derived access edges
# (replaced whole by each derivation) and USES_CONFIG's since/until/current (the stores' endpoint history).
_RECOMPUTED_EDGE_TYPES: dict[str, Rule] = {**{name: _BY_DERIVATION for name in DERIVED_EDGE_TYPES},
                                           "USES_CONFIG": Rule(Kind.DERIVED, by="graphgov.stores (endpoint history)")}


def _table(declarations: Iterable[tuple[Iterable[str], Rule]]) -> dict[str, Rule]:
    """Name -> rule, refusing a name declared with two different rules (the tables are keyed by name)."""
    table: dict[str, Rule] = {}
    for names, rule in declarations:
        for name in names:
            if table.setdefault(name, rule) != rule:
                raise ValueError(f"property {name!r} is declared with two merge rules: {table[name]} and {rule}")
    return table


def _edge_class_rule(edge_type: EdgeType, property_class: str) -> Rule:
    rule = EDGE_PROPERTY_CLASSES[property_class]
    return _RECOMPUTED_EDGE_TYPES.get(edge_type.name, rule) if rule is LATEST else rule


NODE_RULES: dict[str, Rule] = {
    **_table((getattr(t, c), rule) for t in NODE_TYPES.values() for c, rule in NODE_PROPERTY_CLASSES.items()),
    **_table([  # the rules that override the class's for a named property
        (("labels",), UNION),  # on Neo4j, the node's labels
        (("first_seen",), MIN),
        (("last_seen",), MAX),
        (("sources",), UNION),
        *(((name,), Rule(Kind.RANKED, ranks=tuple(sorted(ranks.items())))) for name, ranks in RANKED_PROPS.items()),
        *(((prop,), Rule(Kind.TIMED, partner=at)) for prop, at in TIMED_PROPS.items()),
        *(((at,), Rule(Kind.STAMP, partner=prop)) for prop, at in TIMED_PROPS.items()),
        (("valid_to", "current"), _BY_DERIVATION),  # PolicyState validity (Store.replace_derived)
    ]),
}

EDGE_RULES: dict[str, Rule] = _table([
    (("first_seen",), MIN),
    (("last_seen",), MAX),
    (("sources",), UNION),
    (("event_ids",), Rule(Kind.SAMPLE, limit=EVENT_ID_SAMPLE)),
    (("count", "bytes"), SUM),
    (("operations",), UNION),
    *((getattr(e, c), _edge_class_rule(e, c)) for e in EDGE_TYPES.values() for c in EDGE_PROPERTY_CLASSES),
])


def node_rule(name: str, strict: bool = False) -> Rule:
    """The rule of a node property; one neither the schema nor the rules name is LATEST (a loader's extra
    property folds as it always has), or with `strict` a KeyError."""
    rule = NODE_RULES.get(name)
    if rule is None and strict:
        raise KeyError(f"node property {name!r} is neither in the schema nor in the merge rules")
    return rule or LATEST


def edge_rule(name: str, strict: bool = False) -> Rule:
    """The rule of an edge property, as `node_rule`."""
    rule = EDGE_RULES.get(name)
    if rule is None and strict:
        raise KeyError(f"edge property {name!r} is neither in the schema nor in the merge rules")
    return rule or LATEST


def folded_edge_props(edge_type: EdgeType) -> tuple[str, ...]:
    """The properties of an edge type a write folds by a rule other than LATEST, in SET order: the
    window, the type's unions and additive counters, and an aggregated edge's count, bytes, operations."""
    return (*EDGE_WINDOW, *edge_type.union_props, *edge_type.additive_props,
            *(AGGREGATED_FIELDS if edge_type.aggregated else ()))


def timed_pairs(names: Iterable[str]) -> list[tuple[str, str]]:
    """(property, its stamp) for each TIMED node property among `names`, sorted."""
    return sorted((name, NODE_RULES[name].partner or "") for name in set(names)
                  if NODE_RULES.get(name, LATEST).kind is Kind.TIMED)


def ranked_props(names: Iterable[str]) -> list[str]:
    """The RANKED node properties among `names`, sorted."""
    return sorted(name for name in set(names) if NODE_RULES.get(name, LATEST).kind is Kind.RANKED)


def outranks(rule: Rule, value: Any, current: Any) -> bool:
    """Whether `value` replaces `current` under a RANKED rule: higher rank, then greater value."""
    return current is None or (rule.rank(value), str(value)) > (rule.rank(current), str(current))


def fold(rule: Rule, current: Any, incoming: Any) -> Any:
    """The value a property holds after `incoming` is written over `current` (None: absent), for the
    rules that depend on the two values alone (TIMED and STAMP also need the stamp: see `merge_attrs`)."""
    kind = rule.kind
    if kind is Kind.UNION:
        return sorted(set(current or ()) | set(incoming or ()))
    if kind is Kind.SAMPLE:
        return sorted(set(current or ()) | set(incoming or ()))[:rule.limit]
    if kind is Kind.SUM:
        return add(current or 0, incoming) if incoming is not None else current
    if kind is Kind.MIN:
        return current if incoming is None else min(current or incoming, incoming)
    if kind is Kind.MAX:
        return current if incoming is None else max(current or incoming, incoming)
    if kind is Kind.RANKED:
        return incoming if incoming is not None and outranks(rule, incoming, current) else current
    return current if incoming is None else incoming  # LATEST, TIMED, STAMP, DERIVED


def add(total: Any, value: Any) -> Any:
    """A counter plus a value; integers stay within what both stores hold (Neo4j's are signed 64-bit), so a
    sum past it (byte counts of hostile or absurd records add up fast: each may be 2**63 - 1) stays at the
    ceiling, meaning "at least this", instead of failing the Neo4j write of the whole chunk."""
    summed = total + value
    if type(summed) is int and not -INT64 <= summed < INT64:
        return INT64 - 1 if summed > 0 else -INT64
    return summed


def named_only(attrs: Mapping[str, Any]) -> bool:
    """A node the access derivation made only because a policy names it. Evidence and such rows never
    mix: the first evidence replaces the node, a policy-named row leaves an evidenced node alone and
    replaces a policy-named one, so the graph is the same whether derivation ran before the evidence came
    (an earlier or a concurrent load) or after (the same load)."""
    return attrs.get("sources") == [NAMED_ONLY_SOURCE]
