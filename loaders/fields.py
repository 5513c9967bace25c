"""Reading CloudTrail record fields tolerantly: shared by every CloudTrail service handler.

CloudTrail renders API members in lowerCamelCase, some exporters change key case or deliver nested
blocks as JSON strings, and older records omit fields: these helpers absorb that in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import Malformed


def partition(record: Mapping[str, Any]) -> str:
    return ids.partition_of_region(str(record.get("awsRegion") or ""))


def section(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A nested block; some exporters deliver it as a JSON string, which is parsed."""
    value = record.get(name)
    if type(value) is dict:
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, Mapping) else {}


def params(record: Mapping[str, Any]) -> Mapping[str, Any]:
    return section(record, "requestParameters")


def get_ci(mapping: Mapping[str, Any], *names: str) -> Any:
    """Case-insensitive lookup: CloudTrail spells some keys differently across services and versions.
    None when `mapping` is not an object (a list or a string where an object belongs holds no member)."""
    if type(mapping) is not dict and not isinstance(mapping, Mapping):
        return None
    wanted = [name.lower() for name in names]
    found: dict[str, Any] = {}
    for key, value in mapping.items():  # the last key of each spelling wins, as in a lower-cased copy
        lowered = (key if type(key) is str else str(key)).lower()
        if lowered in wanted:
            found[lowered] = value
    for name in wanted:
        if name in found:
            return found[name]
    return None


def is_unicode(text: str) -> bool:
    """Whether `text` can be written as UTF-8: JSON's `\\udXXX` escapes can produce lone surrogates, which
    no store, hash or file write accepts."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def list_ci(mapping: Mapping[str, Any], *names: str) -> list[Any]:
    """A list-valued field (case-insensitive); [] when absent or null. Malformed when it holds something else:
    a selector or statement list of another shape is unknown, never taken as empty."""
    return _as_list(get_ci(mapping, *names), names[0])


def dig_list(mapping: Any, *path: str) -> list[Any]:
    """`dig` for a list-valued field: [] when absent, null or empty; Malformed when it holds something else."""
    return _as_list(dig(mapping, *path), ".".join(path))


def _as_list(value: Any, name: str) -> list[Any]:
    if not value:
        return []
    if not isinstance(value, list):
        raise Malformed(f"{name}: expected a list, got {type(value).__name__}")
    return value


def resources(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    resources = record.get("resources")
    return [r for r in resources if type(r) is dict or isinstance(r, Mapping)] if isinstance(resources, list) else []


def resource(record: Mapping[str, Any], resource_type: str) -> Mapping[str, Any] | None:
    for res in resources(record):
        if get_ci(res, "type") == resource_type:
            return res
    return None


def cross(principal_account: str | None, resource_account: str | None) -> dict[str, bool]:
    """`cross_account` when both accounts are known; unknown stays absent (never guessed)."""
    if not principal_account or not resource_account:
        return {}
    return {"cross_account": principal_account != resource_account}


def bytes(record: Mapping[str, Any], field: str) -> int:
    value = section(record, "additionalEventData").get(field)
    try:
        return min(max(int(float(value)), 0), 2**63 - 1) if value is not None else 0
    except (TypeError, ValueError, OverflowError):  # unreadable, NaN or infinite: no byte count, as when absent
        return 0


def dig(mapping: Any, *path: str) -> Any:
    """`mapping[path[0]][path[1]]...` with case-insensitive keys; None when any step is missing."""
    value = mapping
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = get_ci(value, name)
    return value


def event_place(record: Mapping[str, Any], purpose: str = "") -> tuple[str, str, str]:
    """(partition, Region, account) where the call acted: its Region, and the account whose trail recorded it
    (else the caller's): where a resource it names by name alone lives. `purpose` ends the Malformed message."""
    region = str(record.get("awsRegion") or "")
    account = str(record.get("recipientAccountId") or dig(record, "userIdentity", "accountId") or "")
    if not region or not account:
        raise Malformed(f"{record.get('eventName')}: no Region or account{' ' + purpose if purpose else ''}")
    return partition(record), region, account
