"""Shape checks at the edge: the envelope fields a loader reads must have the JSON type AWS documents.

A field that should be a string arriving as a list, an object, a number or NaN would otherwise reach
set membership, hashing, sorting or string methods deep in a handler and crash the load. Checked once,
before any handler runs, each misfit becomes `Malformed` naming the field and the type found, so the
record is quarantined with that error. Absent and null fields pass (absence is each loader's business).
Fields are looked up by the names AWS writes; a resource entry's fields also in the other spelling the
loaders read case-insensitively (`ARN`/`arn`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

from graphgov.core.delta import Malformed

TEXT = "a string"
OBJECT = "an object"  # a mapping; a falsy value ("", [], {}) is taken as absent, as the loaders do
SECTION = "an object or a JSON string"  # nested blocks some exporters deliver as JSON text (fields.section)

Spec = Mapping[str, Union[str, "Spec", list]]  # field -> kind, nested spec, or [spec] for a list of objects

SESSION_ISSUER: Spec = {name: TEXT for name in ("type", "principalId", "arn", "accountId", "userName")}
USER_IDENTITY: Spec = {
    **{name: TEXT for name in ("type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy",
                               "identityProvider", "credentialId")},
    "sessionContext": {"sessionIssuer": SESSION_ISSUER, "attributes": OBJECT, "sourceIdentity": TEXT,
                       "webIdFederationData": OBJECT},
    "onBehalfOf": {"userId": TEXT, "identityStoreArn": TEXT},
}
RESOURCE: Spec = {"ARN": TEXT, "arn": TEXT, "type": TEXT, "accountId": TEXT}
CLOUDTRAIL_DISPATCH: Spec = {name: TEXT for name in ("eventSource", "eventName", "eventType", "eventCategory")}
CLOUDTRAIL: Spec = {
    **{name: TEXT for name in ("eventVersion", "eventSource", "eventName", "eventID", "eventType", "eventCategory",
                               "awsRegion", "recipientAccountId", "sharedEventID", "errorCode", "requestID")},
    "userIdentity": USER_IDENTITY,
    "resources": [RESOURCE],
    "requestParameters": SECTION, "responseElements": SECTION, "additionalEventData": SECTION,
    "serviceEventDetails": SECTION,
}
EVENTBRIDGE: Spec = {**{name: TEXT for name in ("id", "detail-type", "account", "region")}, "detail": OBJECT}
S3_NOTIFICATION: Spec = {
    **{name: TEXT for name in ("eventName", "eventSource", "awsRegion")},
    "s3": {"bucket": {"name": TEXT, "arn": TEXT, "ownerIdentity": {"principalId": TEXT}},
           "object": {"key": TEXT, "versionId": TEXT, "eTag": TEXT, "sequencer": TEXT}},
    "userIdentity": {"principalId": TEXT},
    "responseElements": {"x-amz-request-id": TEXT},
}
BEDROCK_LOG: Spec = {**{name: TEXT for name in ("operation", "requestId", "region", "accountId", "modelId")},
                     "identity": {"arn": TEXT}}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float) and value != value:
        return "NaN"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _is_object(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # the decoder's dict first: an ABC check is slow


def check(value: Mapping[str, Any], spec: Spec, where: str = "") -> None:
    """Raise Malformed for the first field of `value` whose type does not fit `spec`."""
    for name, kind in spec.items():
        item = value.get(name)
        if item is None or (kind == TEXT and type(item) is str):
            continue  # absent, null, or the common case
        path = f"{where}{name}"
        if kind == TEXT:
            raise Malformed(f"{path}: expected a string, got {_kind(item)}")
        if kind == SECTION:
            if not (type(item) is str or _is_object(item)):
                raise Malformed(f"{path}: expected an object, got {_kind(item)}")
        elif kind == OBJECT or type(kind) is dict:
            if not item:
                continue
            if not _is_object(item):
                raise Malformed(f"{path}: expected an object, got {_kind(item)}")
            if type(kind) is dict:
                check(item, kind, f"{path}.")
        elif type(kind) is list:
            if type(item) is not list:
                raise Malformed(f"{path}: expected a list, got {_kind(item)}")
            for index, element in enumerate(item):  # other entries are ignored (Panther writes ARN strings)
                if _is_object(element):
                    check(element, kind[0], f"{path}[{index}].")
