"""CloudTrail changes to trails that can stop or narrow logging: StopLogging, DeleteTrail, and
PutEventSelectors that leave a trail recording no data events.

Each becomes an aggregated `CHANGED_TRAIL` edge from the caller to the trail (operations say which
call), read by the logging-coverage question. The trail is named by ARN, or by name in the Region and
account that received the event (a trail is changed by name from its home Region). Whether the trail
logs now is the configuration snapshot's business (`graphgov pull config`); these edges are the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, Malformed, NodeRow, Skip
from loaders import fields
from loaders.identity import Principal

SOURCE = "cloudtrail.amazonaws.com"


def _trail_arn(record: Mapping[str, Any]) -> str:
    ref = fields.get_ci(fields.params(record), "name", "trailName")
    if not isinstance(ref, str) or not ref:
        raise Malformed(f"{record.get('eventName')}: no trail name in requestParameters")
    if ids.is_arn(ref):
        return ref
    region = record.get("awsRegion")
    account = record.get("recipientAccountId") or fields.dig(record, "userIdentity", "accountId")
    if not region or not account:
        raise Malformed(f"{record.get('eventName')}: no Region or account to name the trail {ref!r}")
    return f"arn:{fields.partition(record)}:cloudtrail:{region}:{account}:trail/{ref}"


def _records_data_events(request: Mapping[str, Any]) -> bool:
    """Whether the new selectors record any data events (basic data resources, or an advanced Data selector)."""
    for selector in fields.list_ci(request, "eventSelectors"):
        if isinstance(selector, Mapping) and fields.get_ci(selector, "dataResources"):
            return True
    for selector in fields.list_ci(request, "advancedEventSelectors"):
        for condition in fields.list_ci(selector, "fieldSelectors") if isinstance(selector, Mapping) else []:
            if isinstance(condition, Mapping) and fields.get_ci(condition, "field") == "eventCategory" \
                    and "Data" in fields.list_ci(condition, "equals"):
                return True
    return False


def trail_change(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    name = str(record.get("eventName"))
    if name == "PutEventSelectors" and _records_data_events(fields.params(record)):
        raise Skip("trail_still_records_data_events")
    arn = _trail_arn(record)
    trail = ids.parse_arn(arn)
    nodes.append(NodeRow("CloudTrailTrail", arn, {"arn": arn, "name": trail.resource.split("/", 1)[-1],
                                                  "account_id": trail.account, "home_region": trail.region}))
    edges.append(EdgeRow("CHANGED_TRAIL", principal.node_type, principal.key, "CloudTrailTrail", arn, {}, name))


HANDLERS = {name: trail_change for name in ("StopLogging", "DeleteTrail", "PutEventSelectors")}
