"""The record kind the readers detect -> its loader's parse, checked at the edge.

Kept out of `loaders/__init__.py` so that importing any one parser never imports every other one (the
parsers import the package; the package imports none of them). Adding a source is one line in REGISTRY.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from graphgov.core.delta import GraphDelta, Malformed, validate
from loaders import bedrock_invocation, cloudtrail, eventbridge, s3_notification, shapes

Parser = Callable[[Mapping[str, Any]], GraphDelta]


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


REGISTRY: dict[str, Parser] = {
    cloudtrail.SOURCE: _at_the_edge(cloudtrail.parse, shapes.CLOUDTRAIL_DISPATCH),
    eventbridge.SOURCE: _at_the_edge(eventbridge.parse, shapes.EVENTBRIDGE),
    s3_notification.SOURCE: _at_the_edge(s3_notification.parse, shapes.S3_NOTIFICATION),
    bedrock_invocation.SOURCE: _at_the_edge(bedrock_invocation.parse, shapes.BEDROCK_LOG),
}
