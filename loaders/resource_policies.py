"""CloudTrail resource-side access changes -> policy states: S3 bucket policies, ACLs, Block Public Access,
Object Ownership and default encryption; KMS key policies, grants and key states; SageMaker model
package group policies.

Bucket-level S3 calls are management events delivered to the bucket owner, so `recipientAccountId`
names the owner: this is where the graph learns whose bucket it is. Documents are kept in the shape
the matching read API returns (get_bucket_acl, get_public_access_block...), whatever XML-derived shape
the request had, so snapshot states (`pull`) and event states compare equal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, Malformed, NodeRow, Skip
from graphgov.core.times import to_utc_iso
from loaders import fields
from loaders.iam_changes import account_rows, add_state, as_bool, as_object, required, text
from loaders.identity import Principal
from loaders.sagemaker import place_of

Handler = Callable[[Mapping[str, Any], Principal, list, list], None]

# --- S3 -----------------------------------------------------------------------------------------------

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
CANNED_ACLS: dict[str, list[tuple[str, str]]] = {
    "private": [],
    "public-read": [(ALL_USERS, "READ")],
    "public-read-write": [(ALL_USERS, "READ"), (ALL_USERS, "WRITE")],
    "authenticated-read": [(AUTHENTICATED_USERS, "READ")],
}
PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")
GRANT_HEADERS = {f"x-amz-grant-{p.lower().replace('_', '-')}": p for p in PERMISSIONS}
GRANTEE_TYPES = {"canonicaluser": "CanonicalUser", "group": "Group", "amazoncustomerbyemail": "AmazonCustomerByEmail"}
_GRANTEE_ID = {"CanonicalUser": "ID", "Group": "URI", "AmazonCustomerByEmail": "EmailAddress"}
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _bucket_name(record: Mapping[str, Any]) -> str:
    bucket = text(fields.params(record), "bucketName")
    if not bucket:
        for res in fields.resources(record):
            arn = fields.get_ci(res, "ARN")
            if fields.get_ci(res, "type") == "AWS::S3::Bucket" and ids.is_arn(arn):
                bucket = ids.parse_s3_uri(arn).bucket
                break
    if not bucket:
        raise Malformed(f"{record.get('eventName')}: no bucket in requestParameters or resources")
    return bucket


def _resource_owner(record: Mapping[str, Any], bucket: str) -> str | None:
    for res in fields.resources(record):
        arn = fields.get_ci(res, "ARN")
        is_bucket = fields.get_ci(res, "type") == "AWS::S3::Bucket" and ids.is_arn(arn)
        if is_bucket and ids.parse_s3_uri(arn).bucket == bucket:
            account = fields.get_ci(res, "accountId")
            return str(account) if account else None
    return None


def bucket_rows(bucket: str, account: str | None, partition: str, nodes: list, edges: list) -> str:
    """The bucket node (with its owner when known) and the owner's RESOURCE edge."""
    props = {"id": bucket, "name": bucket, "arn": ids.s3_bucket_arn(bucket, partition)}
    if account:
        props["account_id"] = account
    nodes.append(NodeRow("S3Bucket", bucket, props))
    account_rows(account, "S3Bucket", bucket, nodes, edges)
    return bucket


def _managed_bucket(record: Mapping[str, Any], nodes: list, edges: list) -> str:
    """The bucket of a bucket-level (management) call; its owner is the account that received the event."""
    bucket = _bucket_name(record)
    owner = _resource_owner(record, bucket) or text(record, "recipientAccountId")
    return bucket_rows(bucket, owner, fields.partition(record), nodes, edges)


def _body(params: Mapping[str, Any], *names: str) -> Mapping[str, Any] | None:
    """An XML request body rendered as an object. Found by object value, not key alone: S3 also logs the
    sub-resource query marker under the same name in other case (`ownershipControls: ""` beside
    `OwnershipControls: {...}`), so a case-insensitive lookup by key could pick the marker."""
    wanted = {n.lower() for n in names}
    for key, value in params.items():
        value = as_object(value)
        if str(key).lower() in wanted and isinstance(value, Mapping):
            return value
    return None


def _grantee(raw: Any) -> dict[str, str] | None:
    """One XML-derived Grantee -> {"Type", "ID"|"URI"|"EmailAddress"}; the `xsi:type` key is spelled many ways."""
    raw = as_object(raw)
    if not isinstance(raw, Mapping):
        return None
    kind = None
    for key, value in raw.items():
        name = str(key).lower().lstrip("@")
        if isinstance(value, str) and (name in ("type", "xsi:type", "xsitype", "xsi_type") or name.endswith(":type")):
            kind = GRANTEE_TYPES.get(value.split(":")[-1].lower())
    values = {field: text(raw, field) for field in ("ID", "URI", "EmailAddress")}
    values["EmailAddress"] = values["EmailAddress"] or text(raw, "emailAddress", "email")
    if kind is None:  # no type attribute: the identifying element says which kind it is
        kind = next((k for k, field in _GRANTEE_ID.items() if values[field]), None)
    if kind is None or not values[_GRANTEE_ID[kind]]:
        return None
    return {"Type": kind, _GRANTEE_ID[kind]: values[_GRANTEE_ID[kind]]}


def _listed(value: Any) -> list:
    value = as_object(value)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _header_grants(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`x-amz-grant-read: id="...", uri="...", emailAddress="..."` headers -> grants."""
    grants = []
    for header, permission in GRANT_HEADERS.items():
        for value in _listed(fields.get_ci(params, header)):
            for kind, ident in re.findall(r'(id|uri|emailAddress)\s*=\s*"?([^",]+)"?', str(value), re.IGNORECASE):
                grant_type = {"id": "CanonicalUser", "uri": "Group", "emailaddress": "AmazonCustomerByEmail"}[
                    kind.lower()]
                grants.append({"Grantee": {"Type": grant_type, _GRANTEE_ID[grant_type]: ident.strip()},
                               "Permission": permission})
    return grants


def _sorted_grants(grants: list[dict[str, Any]]) -> dict[str, Any]:
    """Grants in the stable order `pull iam` writes, so an event state and a snapshot of one ACL hash alike."""
    def order(grant: dict[str, Any]) -> tuple[str, ...]:
        grantee = grant["Grantee"]
        return (grantee.get("Type", ""), grantee.get("ID", ""), grantee.get("URI", ""),
                grantee.get("EmailAddress", ""), grant["Permission"])
    return {"Grants": sorted(grants, key=order)}


def acl_document(record: Mapping[str, Any]) -> dict[str, Any]:
    """The ACL a Put{Bucket,Object}Acl set, as get_bucket_acl returns it without Owner.

    A canned ACL (`x-amz-acl`) expands to the grants it gives beyond the owner (whose canonical id the
    log does not hold); canned ACLs that name the bucket owner only (bucket-owner-read...) keep their
    name in `Canned`. Explicit grants come from the AccessControlPolicy body or `x-amz-grant-*` headers.
    """
    params = fields.params(record)
    canned = next((str(v).strip() for v in _listed(fields.get_ci(params, "x-amz-acl")) if str(v).strip()), None)
    if canned:
        if canned.lower() in CANNED_ACLS:
            return _sorted_grants([{"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}
                                   for uri, permission in CANNED_ACLS[canned.lower()]])
        return {"Grants": [], "Canned": canned}
    policy = _body(params, "AccessControlPolicy")
    acl = _body(policy, "AccessControlList") if policy is not None else None
    if policy is not None:
        grants = []
        holder = acl if acl is not None else policy  # boto-style renderings put Grants beside Owner
        raw_grants = fields.get_ci(holder, "Grant", "Grants")
        for raw in _listed(raw_grants):
            raw = as_object(raw)
            if not isinstance(raw, Mapping):
                continue
            grantee = _grantee(fields.get_ci(raw, "Grantee"))
            permission = text(raw, "Permission")
            if grantee is None or not permission or permission.upper() not in PERMISSIONS:
                raise Malformed(f"{record.get('eventName')}: unreadable ACL grant {raw!r}")
            grants.append({"Grantee": grantee, "Permission": permission.upper()})
        return _sorted_grants(grants)
    grants = _header_grants(params)
    if grants:
        return _sorted_grants(grants)
    raise Malformed(f"{record.get('eventName')}: no x-amz-acl, AccessControlPolicy or x-amz-grant-* in the request")


def _bucket_policy(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    deleted = record.get("eventName") == "DeleteBucketPolicy"
    document = None
    if not deleted:
        document = fields.get_ci(fields.params(record), "bucketPolicy")
        if document in (None, "", [""]):
            raise Malformed("PutBucketPolicy: no bucketPolicy in requestParameters")
    bucket = _managed_bucket(record, nodes, edges)
    add_state(record, principal, nodes, edges, "S3Bucket", bucket, "bucket-policy", "resource", document=document,
              deleted=deleted)


def _bucket_acl(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    bucket = _managed_bucket(record, nodes, edges)
    add_state(record, principal, nodes, edges, "S3Bucket", bucket, "acl", "acl", document=acl_document(record))


def _object_key(record: Mapping[str, Any], bucket: str) -> str:
    key = text(fields.params(record), "key")
    if key:
        return key  # CloudTrail keys are raw: never URL-decode them
    for res in fields.resources(record):
        arn = fields.get_ci(res, "ARN")
        if fields.get_ci(res, "type") == "AWS::S3::Object" and ids.is_arn(arn):
            loc = ids.parse_s3_uri(arn)
            if loc.bucket == bucket and loc.key:
                return loc.key
    raise Malformed(f"{record.get('eventName')}: no object key")


def _object_acl(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """PutObjectAcl is a data event, possibly the requester's copy: the owner comes from resources[] only."""
    bucket = _bucket_name(record)
    partition = fields.partition(record)
    bucket_rows(bucket, _resource_owner(record, bucket), partition, nodes, edges)
    key = _object_key(record, bucket)
    arn = ids.s3_object_arn(bucket, key, partition)
    nodes.append(NodeRow("S3Object", arn, {"arn": arn, "bucket": bucket, "key": key}))
    edges.append(EdgeRow("CONTAINS", "S3Bucket", bucket, "S3Object", arn))
    add_state(record, principal, nodes, edges, "S3Object", arn, "acl", "acl", document=acl_document(record))


def _public_access_block_document(record: Mapping[str, Any]) -> dict[str, bool]:
    params = fields.params(record)
    config = _body(params, "PublicAccessBlockConfiguration", "PublicAccessBlock")
    if config is None and any(fields.get_ci(params, f) is not None for f in PUBLIC_ACCESS_FLAGS):
        config = params  # some exporters flatten the configuration into requestParameters
    if config is None:
        raise Malformed(f"{record.get('eventName')}: no PublicAccessBlockConfiguration in requestParameters")
    # S3 treats an omitted flag as false.
    return {flag: bool(as_bool(fields.get_ci(config, flag))) for flag in PUBLIC_ACCESS_FLAGS}


def _bucket_public_access_block(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    deleted = record.get("eventName") == "DeleteBucketPublicAccessBlock"
    document = None if deleted else _public_access_block_document(record)
    bucket = _managed_bucket(record, nodes, edges)
    add_state(record, principal, nodes, edges, "S3Bucket", bucket, "public-access-block", "public-access-block",
              document=document, deleted=deleted)


def _account_public_access_block(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """Put/DeleteAccountPublicAccessBlock (S3 Control): the account named by the call, else the recipient."""
    deleted = record.get("eventName") == "DeleteAccountPublicAccessBlock"
    document = None if deleted else _public_access_block_document(record)
    params = fields.params(record)
    account = (text(params, "accountId", "x-amz-account-id") or text(record, "recipientAccountId")
               or principal.account)
    if not account:
        raise Malformed(f"{record.get('eventName')}: no account")
    nodes.append(NodeRow("AWSAccount", account, {"id": account}))
    add_state(record, principal, nodes, edges, "AWSAccount", account, "public-access-block", "public-access-block",
              document=document, deleted=deleted)


def _first_rule(config: Any, *names: str) -> Mapping[str, Any] | None:
    """`Rule` (one object, as XML flattens a single element) or `Rules` (a list): the first rule."""
    config = as_object(config)
    if not isinstance(config, Mapping):
        return None
    for rule in _listed(fields.get_ci(config, *names)):
        rule = as_object(rule)
        if isinstance(rule, Mapping):
            return rule
    return None


def _ownership(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    deleted = record.get("eventName") == "DeleteBucketOwnershipControls"
    document = None
    if not deleted:
        params = fields.params(record)
        rule = _first_rule(_body(params, "OwnershipControls"), "Rule", "Rules")
        value = text(rule, "ObjectOwnership") if rule else None
        if not value:
            raise Malformed("PutBucketOwnershipControls: no OwnershipControls.Rule.ObjectOwnership")
        document = {"ObjectOwnership": value}
    bucket = _managed_bucket(record, nodes, edges)
    add_state(record, principal, nodes, edges, "S3Bucket", bucket, "ownership", "ownership", document=document,
              deleted=deleted)


def _encryption(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """Default encryption; the target is the key ARN when the key id resolves (aliases do not)."""
    if record.get("eventName") == "DeleteBucketEncryption":
        bucket = _managed_bucket(record, nodes, edges)
        add_state(record, principal, nodes, edges, "S3Bucket", bucket, "encryption", "encryption", deleted=True)
        return
    params = fields.params(record)
    rule = _first_rule(_body(params, "ServerSideEncryptionConfiguration"), "Rule", "Rules")
    default = as_object(fields.get_ci(rule, "ApplyServerSideEncryptionByDefault")) if rule else None
    algorithm = text(default, "SSEAlgorithm") if isinstance(default, Mapping) else None
    if not algorithm:
        raise Malformed("PutBucketEncryption: no SSEAlgorithm in ServerSideEncryptionConfiguration.Rule"
                        ".ApplyServerSideEncryptionByDefault")
    key_ref = text(default, "KMSMasterKeyID")
    document: dict[str, Any] = {"SSEAlgorithm": algorithm,
                                "BucketKeyEnabled": bool(as_bool(fields.get_ci(rule, "BucketKeyEnabled")))}
    if key_ref:
        document["KMSMasterKeyID"] = key_ref
    bucket = _managed_bucket(record, nodes, edges)
    owner = text(record, "recipientAccountId") or ""
    region = text(record, "awsRegion") or ""
    key_arn = None
    if key_ref and (ids.is_arn(key_ref) or (region and owner)):
        key_arn = ids.kms_key_arn(key_ref, fields.partition(record), region, owner)
    if key_arn:
        key_rows(key_arn, nodes, edges)
    add_state(record, principal, nodes, edges, "S3Bucket", bucket, "encryption", "encryption", document=document,
              target=key_arn)


S3_HANDLERS: dict[str, Handler] = {
    "PutBucketPolicy": _bucket_policy,
    "DeleteBucketPolicy": _bucket_policy,
    "PutBucketAcl": _bucket_acl,
    "PutObjectAcl": _object_acl,
    "PutBucketPublicAccessBlock": _bucket_public_access_block,
    "DeleteBucketPublicAccessBlock": _bucket_public_access_block,
    "PutAccountPublicAccessBlock": _account_public_access_block,
    "DeleteAccountPublicAccessBlock": _account_public_access_block,
    "PutBucketOwnershipControls": _ownership,
    "DeleteBucketOwnershipControls": _ownership,
    "PutBucketEncryption": _encryption,
    "DeleteBucketEncryption": _encryption,
}

# --- KMS ----------------------------------------------------------------------------------------------

KEY_STATES = {"DisableKey": "Disabled", "EnableKey": "Enabled", "CancelKeyDeletion": "Disabled"}
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_JAVA_DATE_RE = re.compile(
    r"^(?P<mon>[A-Za-z]{3})[a-z]* (?P<day>\d{1,2}), (?P<year>\d{4}),? (?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})"
    r"(?: ?(?P<ampm>[AaPp][Mm]))?$")


def response_time(value: Any) -> str | None:
    """A responseElements timestamp as ISO-8601 UTC: ISO and epoch forms, and the Java rendering
    CloudTrail uses there (`Jan 1, 2019 12:00:00 AM`, `Nov 2, 2021, 11:25:25 PM`; even `18:58:30 PM`).
    None when it cannot be read."""
    try:
        return to_utc_iso(value)
    except ValueError:
        pass
    match = _JAVA_DATE_RE.match(value.strip()) if isinstance(value, str) else None
    if not match or match["mon"].lower() not in _MONTHS:
        return None
    hour, ampm = int(match["h"]), (match["ampm"] or "").upper()
    if hour <= 12 and ampm == "PM" and hour != 12:
        hour += 12
    elif hour == 12 and ampm == "AM":
        hour = 0
    iso = (f"{match['year']}-{_MONTHS[match['mon'].lower()]:02d}-{int(match['day']):02d}T"
           f"{hour:02d}:{match['m']}:{match['s']}Z")
    try:
        return to_utc_iso(iso)
    except ValueError:
        return None


def key_rows(key_arn: str, nodes: list, edges: list) -> str:
    """The key node as the data-key loader writes it, and its owner's RESOURCE edge."""
    arn = ids.parse_arn(key_arn)
    nodes.append(NodeRow("KMSKey", key_arn, {"arn": key_arn, "id": arn.resource.split("/", 1)[-1],
                                             "region": arn.region, "account_id": arn.account}))
    account_rows(arn.account or None, "KMSKey", key_arn, nodes, edges)
    return key_arn


def _key_arn(record: Mapping[str, Any]) -> str:
    """The key: CreateKey's reported ARN, else resources[] (resolved by KMS), else the key ARN a response
    reported, else keyId with the event's Region and account."""
    if record.get("eventName") == "CreateKey":
        reported = fields.dig(fields.section(record, "responseElements"), "keyMetadata", "arn")
        if ids.is_arn(reported) and ":key/" in reported:
            return reported
    for res in fields.resources(record):
        arn = fields.get_ci(res, "ARN")
        if ids.arn_service(arn) == "kms" and ":key/" in arn:
            return arn
    reported = text(fields.section(record, "responseElements"), "keyId")  # ScheduleKeyDeletion, PutKeyPolicy...
    if ids.is_arn(reported) and ":key/" in reported:
        return reported
    key_ref = text(fields.params(record), "keyId")
    if not key_ref:
        raise Malformed(f"{record.get('eventName')}: no key in resources or requestParameters.keyId")
    region, account = text(record, "awsRegion") or "", text(record, "recipientAccountId") or ""
    key_arn = ids.kms_key_arn(key_ref, fields.partition(record), region, account) if (
        ids.is_arn(key_ref) or (region and account)) else None
    if not key_arn:
        raise Skip("kms_key_unresolved")  # an alias alone cannot name a key
    return key_arn


def default_key_policy(partition: str, account: str) -> dict[str, Any]:
    """The policy KMS gives a key created without one: the account (its IAM policies) may use it."""
    return {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": ids.account_root_arn(partition, account)}, "Action": "kms:*", "Resource": "*"}]}


def _create_key(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    key = key_rows(_key_arn(record), nodes, edges)
    arn = ids.parse_arn(key)
    add_state(record, principal, nodes, edges, "KMSKey", key, "lifecycle", "lifecycle")
    policy = fields.get_ci(fields.params(record), "policy")
    if policy in (None, ""):
        policy = default_key_policy(arn.partition, arn.account)
    add_state(record, principal, nodes, edges, "KMSKey", key, "key-policy", "key-policy", document=policy)
    state = text(fields.dig(fields.section(record, "responseElements"), "keyMetadata"), "keyState")
    if state:
        add_state(record, principal, nodes, edges, "KMSKey", key, "key-state", "key-state",
                  document={"KeyState": state})


def _put_key_policy(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    policy = fields.get_ci(fields.params(record), "policy")
    if policy in (None, ""):
        raise Malformed("PutKeyPolicy: no policy in requestParameters")
    key = key_rows(_key_arn(record), nodes, edges)
    add_state(record, principal, nodes, edges, "KMSKey", key, "key-policy", "key-policy", document=policy)


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _create_grant(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """CreateGrant: `grant:<id>` holding grantee, operations and constraints in the ListGrants shape."""
    params = fields.params(record)
    grant_id = text(fields.section(record, "responseElements"), "grantId")
    if not grant_id:
        raise Malformed("CreateGrant: no grantId in responseElements")
    grantee = required(params, record, "granteePrincipal")
    operations = as_object(fields.get_ci(params, "operations"))
    operations = operations if isinstance(operations, list) else _listed(operations)
    document: dict[str, Any] = {"GranteePrincipal": grantee, "Operations": sorted(str(o) for o in operations)}
    retiring = text(params, "retiringPrincipal")
    if retiring:
        document["RetiringPrincipal"] = retiring
    constraints = as_object(fields.get_ci(params, "constraints"))
    if isinstance(constraints, Mapping) and constraints:
        document["Constraints"] = {_pascal(str(k)): v for k, v in constraints.items()}  # context keys kept as is
    key = key_rows(_key_arn(record), nodes, edges)
    add_state(record, principal, nodes, edges, "KMSKey", key, f"grant:{grant_id}", "grant", document=document)


def _end_grant(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """RetireGrant / RevokeGrant: the grant id is in the request, or (RetireGrant) additionalEventData."""
    grant_id = text(fields.params(record), "grantId") or text(fields.section(record, "additionalEventData"),
                                                                  "grantId")
    if not grant_id:
        raise Skip("grant_unidentified")  # retired by grant token: the log does not say which grant
    key = key_rows(_key_arn(record), nodes, edges)
    add_state(record, principal, nodes, edges, "KMSKey", key, f"grant:{grant_id}", "grant", deleted=True)


def _key_state(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """ScheduleKeyDeletion / CancelKeyDeletion / DisableKey / EnableKey: the `key-state` slot."""
    name = str(record.get("eventName"))
    key = key_rows(_key_arn(record), nodes, edges)
    if name == "ScheduleKeyDeletion":
        response = fields.section(record, "responseElements")
        document = {"KeyState": text(response, "keyState") or "PendingDeletion"}
        raw_date = fields.get_ci(response, "deletionDate")
        if raw_date not in (None, ""):
            document["DeletionDate"] = response_time(raw_date) or raw_date  # unreadable: kept as logged
    else:
        document = {"KeyState": KEY_STATES[name]}
    add_state(record, principal, nodes, edges, "KMSKey", key, "key-state", "key-state", document=document)


KMS_HANDLERS: dict[str, Handler] = {
    "CreateKey": _create_key,
    "PutKeyPolicy": _put_key_policy,
    "CreateGrant": _create_grant,
    "RetireGrant": _end_grant,
    "RevokeGrant": _end_grant,
    "ScheduleKeyDeletion": _key_state,
    "CancelKeyDeletion": _key_state,
    "DisableKey": _key_state,
    "EnableKey": _key_state,
}

# --- SageMaker model registry -------------------------------------------------------------------------


def _group_policy(record: Mapping[str, Any], principal: Principal, nodes: list, edges: list) -> None:
    """Put/DeleteModelPackageGroupPolicy: who may read the group's packages (cross-account registries)."""
    params = fields.params(record)
    group_ref = required(params, record, "modelPackageGroupName")
    deleted = record.get("eventName") == "DeleteModelPackageGroupPolicy"
    policy = None if deleted else fields.get_ci(params, "resourcePolicy")
    if not deleted and policy in (None, ""):
        raise Malformed("PutModelPackageGroupPolicy: no resourcePolicy in requestParameters")
    if ids.is_arn(group_ref):
        place = place_of(record, group_ref)
        group = group_ref
        name = group_ref.rsplit("/", 1)[-1].lower()
    else:
        place = place_of(record)
        group = place.arn("model-package-group", group_ref)
        name = group_ref.lower()
    nodes.append(NodeRow("ModelPackageGroup", group, {"arn": group, "name": name, "account_id": place.account,
                                                      "region": place.region}))
    add_state(record, principal, nodes, edges, "ModelPackageGroup", group, "group-policy", "resource",
              document=policy, deleted=deleted)


SAGEMAKER_HANDLERS: dict[str, Handler] = {
    "PutModelPackageGroupPolicy": _group_policy,
    "DeleteModelPackageGroupPolicy": _group_policy,
}
