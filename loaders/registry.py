"""The record kind the readers detect -> its loader's parse, checked at the edge.

Kept out of `loaders/__init__.py` so that importing any one parser never imports every other one (the
parsers import the package; the package imports none of them). Adding a source is one line in SOURCES
(naming the loader's `unmodelled` when it skips some records by their dispatch fields alone).

`unmodelled` is the load path's cheap test before parsing: the records no loader models, decided from the
fields a loader dispatches on, with the skip reason the full parse gives (each loader's `parse` decides with
the same function, so the two cannot disagree).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphgov.core.delta import GraphDelta, Malformed, validate
from loaders import bedrock_invocation, cloudtrail, eventbridge, s3_notification, shapes

Parser = Callable[[Mapping[str, Any]], GraphDelta]
Relevance = Callable[[Mapping[str, Any]], "str | None"]


def _at_the_edge(parser: Parser, spec: shapes.Spec) -> Parser:
    """`parser` with its input's envelope shape checked first and its delta checked storable after, so a
    field of an unexpected type is quarantined as Malformed, never a crash in aggregation or a store write."""
    @functools.wraps(parser)  # `__wrapped__` names the loader's own parse
    def parse(record: Mapping[str, Any]) -> GraphDelta:
        if not isinstance(record, Mapping):
            raise Malformed("record is not a JSON object")
        shapes.check(record, spec)
        return validate(parser(record))

    return parse



@dataclass(frozen=True)
class Source:
    """One record kind: its loader's parse, the envelope shape checked before it, and the loader's test of the
    records it does not model by their dispatch fields alone (None: it models every record of its kind)."""

    parse: Parser
    spec: shapes.Spec
    unmodelled: Relevance | None = None


SOURCES: dict[str, Source] = {
    cloudtrail.SOURCE: Source(cloudtrail.parse, shapes.CLOUDTRAIL_DISPATCH, cloudtrail.unmodelled),
    eventbridge.SOURCE: Source(eventbridge.parse, shapes.EVENTBRIDGE, eventbridge.unmodelled),
    s3_notification.SOURCE: Source(s3_notification.parse, shapes.S3_NOTIFICATION),
    bedrock_invocation.SOURCE: Source(bedrock_invocation.parse, shapes.BEDROCK_LOG, bedrock_invocation.unmodelled),
}
REGISTRY: dict[str, Parser] = {kind: _at_the_edge(source.parse, source.spec) for kind, source in SOURCES.items()}


def unmodelled(kind: str | None, record: Any) -> str | None:
    """The skip reason the full parse of this record would give because no loader models it, decided without
    parsing; None when it must be parsed (modelled, or of a shape only the full parse can judge)."""
    source = SOURCES.get(kind or "")
    if source is None:
        return f"unsupported_source:{kind}"
    if source.unmodelled is None or not isinstance(record, Mapping):
        return None
    try:
        shapes.check(record, source.spec)
    except Malformed:
        return None  # quarantined by the full parse, not skipped
    return source.unmodelled(record)
