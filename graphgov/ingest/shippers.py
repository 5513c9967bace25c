"""CloudTrail records re-exported by log shippers, mapped back to CloudTrail's own shape.

Logstash, Elastic, Splunk and Microsoft Sentinel hand CloudTrail records on in envelopes of their own:
the record may sit in a field (as an object or a JSON string), be renamed field by field, or have lost
`eventTime` to the shipper's time field. `ENVELOPES` declares every accepted shape once; `from_envelope`
applies it. Three rules hold for all of them:

- the record's own fields win: a shipper field fills a CloudTrail field only when the record lacks it;
- a shipper's time fills `eventTime` only when the record has none (Filebeat's `@timestamp` is the
  time it read the file, not the time of the call), and only a time that reads as one;
- what the envelope held but is not a CloudTrail record goes back to the readers (e.g. a Filebeat
  `message` holding a Bedrock invocation log).

Sources of the shapes (fixtures in tests/fixtures/shippers cite them again):
- Logstash `cloudtrail` codec (logstash-plugins/logstash-codec-cloudtrail, lib/logstash/codecs/cloudtrail.rb):
  each record at the top level, `eventTime` moved to `@timestamp`.
- Filebeat `aws-s3` input and the Elastic AWS integration (elastic/integrations, packages/aws/data_stream/
  cloudtrail/elasticsearch/ingest_pipeline/default.yml; Filebeat "AWS fields" reference): the record as a
  JSON string in `message`, then `event.original`, parsed into `json`; the indexed document renames it
  to ECS and `aws.cloudtrail.*` (the `ELASTIC_RENAMES` below) and sets `@timestamp` from `eventTime`.
  Elasticsearch hits wrap documents in `_source`.
- Splunk (REST API Reference, search/jobs/export and the results endpoints with output_mode=json; the
  Splunk Add-on for AWS `aws:cloudtrail` source type): rows with the record as a JSON string in `_raw`
  and the event time in `_time`, one `{"result": row}` per line, or `{"results": [rows]}`.
- Microsoft Sentinel, table AWSCloudTrail (Azure Monitor Logs reference, tables/awscloudtrail): one
  PascalCase column per CloudTrail field (`SENTINEL_RENAMES`), nested blocks as JSON strings, the time
  in `TimeGenerated`; the Log Analytics query API returns `{"tables": [{"columns", "rows"}]}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphgov.core.times import to_utc_iso
from loaders.cloudtrail import looks_like_cloudtrail
from loaders.iam_changes import as_object  # blocks shippers store as JSON text

SELF = ""  # an `originals` entry: the envelope object itself (its dotted keys unflattened)


def _elastic_resources(value: Any) -> Any:
    """Elastic renames `resources[].ARN/accountId` to `arn/account_id`: back to CloudTrail's names."""
    names = {"arn": "ARN", "account_id": "accountId"}
    items = value if isinstance(value, list) else [value] if isinstance(value, Mapping) else None
    if items is None:
        return value
    return [{names.get(k, k): v for k, v in item.items()} if isinstance(item, Mapping) else item for item in items]


Rename = tuple[str, str, Callable[[Any], Any] | None]  # (shipper field, CloudTrail field, value conversion)


@dataclass(frozen=True)
class Envelope:
    """One shipper's shape: how to recognise it, where the record is, which fields it renamed."""

    name: str
    requires: tuple[tuple[str, ...], ...]  # alternatives: the envelope matches when all fields of one are present
    originals: tuple[str, ...]  # where the record may be (object or JSON string), first found wins; SELF = itself
    renames: tuple[Rename, ...] = ()
    times: tuple[str, ...] = ()  # the shipper's time fields, for a record without eventTime


ELASTIC_RENAMES: tuple[Rename, ...] = (
    ("event.action", "eventName", None),
    ("event.provider", "eventSource", None),
    ("event.id", "eventID", None),
    ("cloud.region", "awsRegion", None),
    ("source.address", "sourceIPAddress", None),
    ("user_agent.original", "userAgent", None),
    ("user.id", "userIdentity.principalId", None),
    ("cloud.account.id", "userIdentity.accountId", None),
    ("aws.cloudtrail.event_version", "eventVersion", None),
    ("aws.cloudtrail.event_type", "eventType", None),
    ("aws.cloudtrail.event_category", "eventCategory", None),
    ("aws.cloudtrail.recipient_account_id", "recipientAccountId", None),
    ("aws.cloudtrail.request_id", "requestID", None),
    ("aws.cloudtrail.shared_event_id", "sharedEventID", None),
    ("aws.cloudtrail.vpc_endpoint_id", "vpcEndpointId", None),
    ("aws.cloudtrail.api_version", "apiVersion", None),
    ("aws.cloudtrail.read_only", "readOnly", None),
    ("aws.cloudtrail.management_event", "managementEvent", None),
    ("aws.cloudtrail.error_code", "errorCode", None),
    ("aws.cloudtrail.error_message", "errorMessage", None),
    ("aws.cloudtrail.resources", "resources", _elastic_resources),
    ("aws.cloudtrail.flattened.request_parameters", "requestParameters", None),
    ("aws.cloudtrail.flattened.response_elements", "responseElements", None),
    ("aws.cloudtrail.flattened.additional_eventdata", "additionalEventData", None),
    ("aws.cloudtrail.flattened.service_event_details", "serviceEventDetails", None),
    ("aws.cloudtrail.user_identity.type", "userIdentity.type", None),
    ("aws.cloudtrail.user_identity.arn", "userIdentity.arn", None),
    ("aws.cloudtrail.user_identity.access_key_id", "userIdentity.accessKeyId", None),
    ("aws.cloudtrail.user_identity.invoked_by", "userIdentity.invokedBy", None),
    ("aws.cloudtrail.user_identity.session_context.mfa_authenticated",
     "userIdentity.sessionContext.attributes.mfaAuthenticated", None),
    ("aws.cloudtrail.user_identity.session_context.creation_date",
     "userIdentity.sessionContext.attributes.creationDate", None),
    ("aws.cloudtrail.user_identity.session_context.session_issuer.type",
     "userIdentity.sessionContext.sessionIssuer.type", None),
    ("aws.cloudtrail.user_identity.session_context.session_issuer.principal_id",
     "userIdentity.sessionContext.sessionIssuer.principalId", None),
    ("aws.cloudtrail.user_identity.session_context.session_issuer.arn",
     "userIdentity.sessionContext.sessionIssuer.arn", None),
    ("aws.cloudtrail.user_identity.session_context.session_issuer.account_id",
     "userIdentity.sessionContext.sessionIssuer.accountId", None),
    # `user.name` is not mapped back: Elastic writes userIdentity.userName or sessionIssuer.userName there.
)

SENTINEL_RENAMES: tuple[Rename, ...] = (
    ("AwsEventId", "eventID", None),
    ("EventVersion", "eventVersion", None),
    ("EventSource", "eventSource", None),
    ("EventName", "eventName", None),
    ("EventTypeName", "eventType", None),
    ("Category", "eventCategory", None),
    ("AWSRegion", "awsRegion", None),
    ("SourceIpAddress", "sourceIPAddress", None),
    ("UserAgent", "userAgent", None),
    ("ErrorCode", "errorCode", None),
    ("ErrorMessage", "errorMessage", None),
    ("RecipientAccountId", "recipientAccountId", None),
    ("SharedEventId", "sharedEventID", None),
    ("VpcEndpointId", "vpcEndpointId", None),
    ("APIVersion", "apiVersion", None),
    ("ReadOnly", "readOnly", None),
    ("ManagementEvent", "managementEvent", None),
    ("AwsRequestId_", "requestID", None),
    ("AwsRequestId", "requestID", None),
    ("RequestParameters", "requestParameters", as_object),
    ("ResponseElements", "responseElements", as_object),
    ("AdditionalEventData", "additionalEventData", as_object),
    ("ServiceEventDetails", "serviceEventDetails", as_object),
    ("Resources", "resources", as_object),
    ("UserIdentityType", "userIdentity.type", None),
    ("UserIdentityPrincipalid", "userIdentity.principalId", None),
    ("UserIdentityArn", "userIdentity.arn", None),
    ("UserIdentityAccountId", "userIdentity.accountId", None),
    ("UserIdentityAccessKeyId", "userIdentity.accessKeyId", None),
    ("UserIdentityUserName", "userIdentity.userName", None),
    ("UserIdentityInvokedBy", "userIdentity.invokedBy", None),
    ("SessionMfaAuthenticated", "userIdentity.sessionContext.attributes.mfaAuthenticated", None),
    ("SessionCreationDate", "userIdentity.sessionContext.attributes.creationDate", None),
    ("SessionIssuerType", "userIdentity.sessionContext.sessionIssuer.type", None),
    ("SessionIssuerPrincipalId", "userIdentity.sessionContext.sessionIssuer.principalId", None),
    ("SessionIssuerArn", "userIdentity.sessionContext.sessionIssuer.arn", None),
    ("SessionIssuerAccountId", "userIdentity.sessionContext.sessionIssuer.accountId", None),
    ("SessionIssuerUserName", "userIdentity.sessionContext.sessionIssuer.userName", None),
)

# Checked in order; the first whose `requires` holds is the envelope.
ENVELOPES: tuple[Envelope, ...] = (
    Envelope("splunk", requires=(("_raw",), ("_time", "eventName")), originals=("_raw", SELF), times=("_time",)),
    Envelope("sentinel", requires=(("EventName", "EventSource", "AwsEventId"),),
             originals=(), renames=SENTINEL_RENAMES, times=("TimeGenerated",)),
    Envelope("logstash-elastic", requires=(("@timestamp",),),
             originals=("event.original", "message", "json", "aws.cloudtrail", SELF),
             renames=ELASTIC_RENAMES, times=("@timestamp",)),
)


# --- containers: exports that hold many rows ---------------------------------------------------------


def rows(obj: Mapping[str, Any]) -> tuple[str, list[Any]] | None:
    """The rows of an export page (label, rows), or None when `obj` is not one.

    Splunk `{"result": row}` lines and `{"results": [...]}` pages, Elasticsearch `{"hits": {"hits": [...]}}`
    responses and `{"_source": doc}` hits, Log Analytics `{"tables": [{"columns", "rows"}]}` responses.
    """
    if isinstance(obj.get("result"), Mapping) and ("preview" in obj or "offset" in obj or "lastrow" in obj):
        return "result", [obj["result"]]
    if isinstance(obj.get("results"), list) and ("preview" in obj or "fields" in obj or "init_offset" in obj):
        return "results", obj["results"]
    hits = obj.get("hits")
    if isinstance(hits, Mapping) and isinstance(hits.get("hits"), list):
        return "hits", hits["hits"]
    if isinstance(obj.get("_source"), Mapping) and ("_index" in obj or "_id" in obj):
        return "_source", [obj["_source"]]
    tables = obj.get("tables")
    if isinstance(tables, list) and tables and all(isinstance(t, Mapping) and "rows" in t for t in tables):
        return "tables", [row for table in tables for row in _table_rows(table)]
    return None


def _table_rows(table: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    names = [c.get("name") if isinstance(c, Mapping) else c for c in table.get("columns") or []]
    for row in table.get("rows") or []:
        yield dict(zip(names, row, strict=False)) if isinstance(row, list) else row


# --- envelopes ---------------------------------------------------------------------------------------


def get_path(obj: Any, path: str) -> Any:
    """`a.b.c` in nested objects, or under a literal dotted key (`"a.b": {"c": ...}`, `"a.b.c": ...`)."""
    if not isinstance(obj, Mapping):
        return None
    if path in obj:
        return obj[path]
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in obj:
            found = get_path(obj[head], ".".join(parts[cut:]))
            if found is not None:
                return found
    return None


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _set_missing(record: dict[str, Any], path: str, value: Any) -> None:
    """Set `path` in `record` unless the record already has it (the record's own fields win)."""
    *heads, last = path.split(".")
    node = record
    for head in heads:
        child = node.get(head)
        if child is not None and not isinstance(child, Mapping):
            return  # the record holds something else there: it wins
        child = node[head] = dict(child or {})  # a copy: the input object is never changed
        node = child
    if not _present(node.get(last)):
        node[last] = value


def unflatten(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys (`"userIdentity.arn": …`, as Splunk and CSV-to-JSON exports write them) nested again."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(key, str) and "." in key:
            continue
        out[key] = value
    for key, value in obj.items():
        if isinstance(key, str) and "." in key and _present(value):
            _set_missing(out, key, value)
    return out


def match(obj: Mapping[str, Any]) -> Envelope | None:
    """The shipper envelope `obj` is in, or None."""
    for envelope in ENVELOPES:
        if any(all(get_path(obj, field) is not None for field in fields) for fields in envelope.requires):
            return envelope
    return None


@dataclass(frozen=True)
class Unwrapped:
    """What an envelope held: a CloudTrail record (`record`, with a `note` when it has no usable time);
    else something for the readers to look at (`inner`), an embedded text that is not JSON (`text`), or
    one that starts as JSON but does not parse (`broken`, a truncated record: quarantined, not dropped)."""

    record: dict[str, Any] | None = None
    note: str | None = None
    inner: Any = None
    text: str | None = None
    broken: str | None = None


def _cloudtrail_like(value: Any) -> bool:
    """A CloudTrail record, or part of one the renames complete (not another AWS source's event)."""
    if not isinstance(value, Mapping):
        return False
    source = value.get("eventSource", "amazonaws.com")
    return looks_like_cloudtrail(value) or (
        isinstance(source, str) and source.endswith("amazonaws.com") and ("eventName" in value or "eventID" in value))


def _originals(obj: Mapping[str, Any], envelope: Envelope) -> tuple[Mapping[str, Any] | None, Unwrapped]:
    """The CloudTrail record the envelope holds (parsed), else the first other thing it holds."""
    other: Unwrapped | None = None
    for where in envelope.originals:
        value = unflatten(obj) if where == SELF else get_path(obj, where)
        if isinstance(value, str):
            stripped = value.strip()
            if not stripped.startswith("{"):
                other = other or Unwrapped(text=value)
                continue
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError:
                other = other or Unwrapped(broken=value)
                continue
        if _cloudtrail_like(value) and (where != SELF or looks_like_cloudtrail(value)):
            return value, Unwrapped()
        if isinstance(value, Mapping) and where != SELF:
            other = other or Unwrapped(inner=value)
    return None, other or Unwrapped()


def from_envelope(obj: Mapping[str, Any], envelope: Envelope) -> Unwrapped:
    """The CloudTrail record inside `obj`, rebuilt by the envelope's declared mapping."""
    original, other = _originals(obj, envelope)
    record: dict[str, Any] = dict(original) if original is not None else {}
    for source, target, convert in envelope.renames:
        value = get_path(obj, source)
        if _present(value):
            _set_missing(record, target, convert(value) if convert else value)
    if not looks_like_cloudtrail(record):
        return other  # not CloudTrail: e.g. a Bedrock invocation log in a Filebeat `message`
    if _present(record.get("eventTime")):
        return Unwrapped(record=record)
    tried = []
    for field in envelope.times:
        value = get_path(obj, field)
        if not _present(value):
            tried.append(f"{field} absent")
            continue
        try:
            to_utc_iso(value)
        except ValueError:
            tried.append(f"{field} unreadable: {value!r}")
            continue
        record["eventTime"] = value
        return Unwrapped(record=record)
    return Unwrapped(record=record, note=f"{envelope.name} envelope, no usable time field: "
                                          f"{', '.join(tried) or 'none declared'}")
