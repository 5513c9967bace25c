"""Resources and their policies as `pull iam` deltas: buckets (policy, ACL, Block Public Access, ownership,
default encryption), S3 access points, KMS keys (state, key policy, grants) and the account's Block Public
Access."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphgov.aws.pullers.iam.subject import PullContext, Subject, account_rows
from graphgov.aws.session import iso_time
from graphgov.core import ids
from graphgov.core.delta import EdgeRow, GraphDelta, NodeRow
from loaders.access_points import POLICY_SLOT as ACCESS_POINT_POLICY
from loaders.access_points import access_point_rows, public_access_block

BUCKET_PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _bucket_subject(name: str, ctx: PullContext) -> Subject:
    props = {"id": name, "name": name, "arn": ids.s3_bucket_arn(name, ctx.partition), "account_id": ctx.account}
    acct_nodes, acct_edges = account_rows(ctx.account, "S3Bucket", name)
    return Subject(ctx, "S3Bucket", name, (NodeRow("S3Bucket", name, props), *acct_nodes), acct_edges)


def acl_document(acl: Mapping[str, Any]) -> dict[str, Any]:
    """GetBucketAcl without the owner and display names (they change nothing about access), in a stable order."""
    grants = []
    for grant in acl.get("Grants") or ():
        grantee = grant.get("Grantee") or {}
        kept = {k: grantee[k] for k in ("Type", "ID", "URI", "EmailAddress") if grantee.get(k) is not None}
        grants.append({"Grantee": kept, "Permission": grant.get("Permission")})
    grants.sort(key=lambda g: (g["Grantee"].get("Type", ""), g["Grantee"].get("ID", ""), g["Grantee"].get("URI", ""),
                               g["Grantee"].get("EmailAddress", ""), g["Permission"] or ""))
    return {"Grants": grants}


def public_access_block_document(config: Mapping[str, Any]) -> dict[str, bool]:
    return {flag: bool(config.get(flag)) for flag in BUCKET_PAB_FLAGS}


def encryption_document(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first rule's default encryption (S3 applies one); None when no rule sets a default."""
    for rule in config.get("Rules") or ():
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default:
            doc = {"SSEAlgorithm": default.get("SSEAlgorithm"), "KMSMasterKeyID": default.get("KMSMasterKeyID"),
                   "BucketKeyEnabled": rule.get("BucketKeyEnabled")}
            return {k: v for k, v in doc.items() if v is not None}
    return None


@dataclass(frozen=True)
class BucketConfig:
    """What S3 answered for one bucket; None where the configuration is not set."""

    acl: Mapping[str, Any]
    policy: str | None = None
    public_access_block: Mapping[str, Any] | None = None
    ownership: Mapping[str, Any] | None = None
    encryption: Mapping[str, Any] | None = None


def bucket_delta(name: str, config: BucketConfig, ctx: PullContext,
                 key_arn: Callable[[str], str | None] = lambda _ref: None) -> GraphDelta:
    """A bucket's policy, ACL, Block Public Access, ownership and default encryption (absent ones deleted)."""
    subject = _bucket_subject(name, ctx)
    subject.state("lifecycle", "lifecycle")
    if config.policy is None:
        subject.state("bucket-policy", "resource", deleted=True)
    else:
        subject.state("bucket-policy", "resource", document=config.policy)
    subject.state("acl", "acl", document=acl_document(config.acl))
    if config.public_access_block is None:
        subject.state("public-access-block", "public-access-block", deleted=True)
    else:
        subject.state("public-access-block", "public-access-block",
                      document=public_access_block_document(config.public_access_block))
    rules = (config.ownership or {}).get("Rules") or ()
    if not rules:
        subject.state("ownership", "ownership", deleted=True)
    else:
        subject.state("ownership", "ownership", document={"ObjectOwnership": rules[0].get("ObjectOwnership")})
    encryption = encryption_document(config.encryption or {})
    if encryption is None:
        subject.state("encryption", "encryption", deleted=True)
    else:
        key_ref = encryption.get("KMSMasterKeyID")
        subject.state("encryption", "encryption", document=encryption,
                      target=key_arn(key_ref) if key_ref else None)
    return subject.delta()


def access_point_delta(point: Mapping[str, Any], policy: str | None, ctx: PullContext, region: str) -> GraphDelta:
    """An access point (ListAccessPoints entry, with what GetAccessPoint adds), its bucket, its Block Public
    Access when reported, and its policy (deleted when it has none)."""
    arn = point.get("AccessPointArn") or f"arn:{ctx.partition}:s3:{region}:{ctx.account}:accesspoint/{point['Name']}"
    ref = ids.parse_access_point_arn(arn)
    if ref is None:
        raise ValueError(f"not an access point ARN: {arn!r}")
    nodes: list[NodeRow] = []
    edges: list[EdgeRow] = []
    access_point_rows(ref, point.get("Bucket"), point.get("BucketAccountId"), point.get("Alias"), nodes, edges)
    subject = Subject(ctx, "S3AccessPoint", ref.arn, nodes, edges)
    subject.state("lifecycle", "lifecycle")
    if isinstance(point.get("PublicAccessBlockConfiguration"), Mapping):
        subject.state("public-access-block", "public-access-block",
                      document=public_access_block(point["PublicAccessBlockConfiguration"]))
    if policy is None:
        subject.state(ACCESS_POINT_POLICY, "resource", deleted=True)
    else:
        subject.state(ACCESS_POINT_POLICY, "resource", document=policy)
    return subject.delta()


def account_public_access_block_delta(config: Mapping[str, Any] | None, ctx: PullContext) -> GraphDelta:
    """The account-wide Block Public Access (deleted when not set). No inventory: see the module doc."""
    subject = Subject(ctx, "AWSAccount", ctx.account, (NodeRow("AWSAccount", ctx.account, {"id": ctx.account}),))
    if config is None:
        subject.state("public-access-block", "public-access-block", deleted=True)
    else:
        subject.state("public-access-block", "public-access-block",
                      document=public_access_block_document(config))
    return subject.delta(inventory=False)


def key_delta(metadata: Mapping[str, Any], policy: str | None, grants: Iterable[Mapping[str, Any]],
              ctx: PullContext) -> GraphDelta:
    """A KMS key: its state, its key policy and one state per grant."""
    arn = metadata["Arn"]
    parsed = ids.parse_arn(arn)
    props = {"arn": arn, "id": metadata.get("KeyId") or parsed.resource.split("/", 1)[-1], "region": parsed.region,
             "account_id": parsed.account}
    if metadata.get("KeyManager") in ("AWS", "CUSTOMER"):
        props["key_manager"] = metadata["KeyManager"]
    acct_nodes, acct_edges = account_rows(parsed.account, "KMSKey", arn)
    subject = Subject(ctx, "KMSKey", arn, (NodeRow("KMSKey", arn, props), *acct_nodes), acct_edges)
    subject.state("lifecycle", "lifecycle")
    state = {"KeyState": metadata.get("KeyState")}
    if metadata.get("DeletionDate"):
        state["DeletionDate"] = iso_time(metadata["DeletionDate"])
    subject.state("key-state", "key-state", document=state)
    if policy is not None:
        subject.state("key-policy", "key-policy", document=policy)
    for grant in grants:
        doc = {"GranteePrincipal": grant.get("GranteePrincipal"), "RetiringPrincipal": grant.get("RetiringPrincipal"),
               "Operations": sorted(grant.get("Operations") or ()), "Constraints": grant.get("Constraints")}
        subject.state(f"grant:{grant['GrantId']}", "grant", document={k: v for k, v in doc.items() if v is not None})
    return subject.delta()
