"""Loaders: one module per log source, each a pure `parse(record) -> GraphDelta`.

The registry maps the record kind the readers detect to its parser. Adding a source is one module,
one line here, one fixture and one test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphgov.delta import GraphDelta
from loaders import bedrock_invocation, cloudtrail, eventbridge, s3_notification

Parser = Callable[[Mapping[str, Any]], GraphDelta]

REGISTRY: dict[str, Parser] = {
    cloudtrail.SOURCE: cloudtrail.parse,
    eventbridge.SOURCE: eventbridge.parse,
    s3_notification.SOURCE: s3_notification.parse,
    bedrock_invocation.SOURCE: bedrock_invocation.parse,
}
