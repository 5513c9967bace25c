"""`graphgov pull iam`: a snapshot of the policies in force in one AWS account, read with boto3.

CloudTrail says what changed and when; only the account itself says what holds now, including what
was set before the trail began. Each pull reads the current state of every policy slot (the slots of
graphgov.core.policy_facts) and records it as a snapshot PolicyState, keyed by its value: pulling an
unchanged account again adds nothing (the same states, a later `last_seen`), and a changed policy
adds a new state beside the old one, so the history of values stays.

One GraphDelta per API object read (a user, group, role, managed policy, bucket, key, the account's
Block Public Access), with evidence keys unique per (pull, object), a pull being named by the clock's
full reading (microseconds), so a later pull is never mistaken for a duplicate of an earlier one, even
within the same second. Every object but the account also gets a `lifecycle`
state (it exists) and an `inventory` state listing the slots it had, so a slot that is gone is known
to be gone. The access timeline applies an inventory to every slot of its subject, whatever its
source, so the pull reads every slot family the table gives for those subjects (INVENTORIED_SLOTS),
users' access keys included. The account gets no inventory (its Block Public Access and its
Organizations slots are read apart). The fixed slots of a bucket and the account's Block Public
Access get a `deleted` state when they are not set.

An object whose read fails is not loaded: AccessDenied (and an object gone while being read) is
skipped with a named reason (`access_denied:s3:GetBucketAcl`; a denial is also a gap of the pull, see
graphgov.aws.pullers._gaps), any other error quarantines it with the error. A failed listing counts as
one record of the kind it lists. Credentials or an endpoint that cannot be used at all stop the pull
with a PullError (one line for the user).

When the caller may read the organisation (ListRoots answers: the management or a delegated
administrator account), the pull also reads its tree and its SCPs and RCPs: each root and OU (an
AWSOrganizationalUnit with its `parent`), each account's `parent`, its `organization` (the id
DescribeOrganization gives) and the policies attached to it (`org-policy:<id>`), and each SCP/RCP attached
anywhere (its `content` and a `target:<ou-/r- id>` per
OU or root it is attached to; an inventory only when the whole tree was read). An organisation not in
use, or not readable, is one skipped record (`organizations_not_in_use`, `access_denied:...`). Any
account may describe its own organisation, so every pull first records the pulled account's membership
(`org-membership`: DescribeOrganization's id, or none when AWSOrganizationsNotInUseException says the
account is in no organisation), which settles aws:PrincipalOrgID and aws:ResourceOrgID for it.

S3 access points are read per Region (s3control ListAccessPoints, then GetAccessPoint and
GetAccessPointPolicy for each): the access point, its bucket, its Block Public Access and its
`access-point-policy` (deleted when it has none), so access through it is decided on its policy rather
than left `unknown`.

SageMaker model package group policies are not read: moto (the test server) does not implement
GetModelPackageGroupPolicy, so that code could not be tested.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from graphgov.aws.pullers._gaps import Gaps
from graphgov.aws.session import (
    ACCESS_DENIED_CODES,
    CREDENTIAL_CODES,
    GONE_CODES,
    Clock,
    PullError,
    PullSummary,
    error_code,
    error_message,
    iso_time,
    merged,
    unprefix_local_endpoint,
    utc_now,
)
from graphgov.core import ids
from graphgov.core.delta import EdgeRow, GraphDelta, NodeRow
from graphgov.core.policy_facts import group_row, policy_row, policy_state
from graphgov.ingest.pipeline import load_deltas
from graphgov.ingest.readers import RawRecord
from graphgov.stores.base import Store
from loaders.access_points import POLICY_SLOT as ACCESS_POINT_POLICY
from loaders.access_points import access_point_rows, public_access_block
from loaders.identity import principal_node, role_rows, with_principal_id

SOURCE = "pull:iam"

# Every AWS API operation the pull makes, as (botocore service, operation): `graphgov setup policy` turns
# them into the IAM actions to grant, and the tests check that the pull calls nothing else.
AWS_CALLS: frozenset[tuple[str, str]] = frozenset({
    ("sts", "GetCallerIdentity"),
    ("iam", "GetAccountAuthorizationDetails"), ("iam", "ListAccessKeys"),
    ("kms", "ListKeys"), ("kms", "DescribeKey"), ("kms", "GetKeyPolicy"), ("kms", "ListGrants"),
    ("s3control", "GetPublicAccessBlock"), ("s3control", "ListAccessPoints"), ("s3control", "GetAccessPoint"),
    ("s3control", "GetAccessPointPolicy"),
    ("s3", "ListBuckets"), ("s3", "GetBucketPolicy"), ("s3", "GetBucketAcl"), ("s3", "GetPublicAccessBlock"),
    ("s3", "GetBucketOwnershipControls"), ("s3", "GetBucketEncryption"),
    ("organizations", "ListRoots"), ("organizations", "ListOrganizationalUnitsForParent"),
    ("organizations", "ListAccountsForParent"), ("organizations", "ListPoliciesForTarget"),
    ("organizations", "DescribePolicy"), ("organizations", "DescribeOrganization"),
})
ORG_POLICY_FILTERS = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")

# The slot families a pull reads for each subject type: an `inventory` state vouches for these (and
# lifecycle: the subject exists), so the access timeline may take a slot missing from it as gone.
INVENTORIED_SLOTS: dict[str, tuple[str, ...]] = {
    "AWSUser": ("lifecycle", "inline:", "attached:", "group:", "boundary", "access-key:"),
    "AWSRole": ("lifecycle", "inline:", "attached:", "boundary", "trust"),
    "AWSGroup": ("lifecycle", "inline:", "attached:"),
    "AWSPolicy": ("lifecycle", "version:", "default", "content", "target:"),
    "AWSOrganizationalUnit": ("lifecycle", "parent"),
    "S3Bucket": ("lifecycle", "bucket-policy", "acl", "public-access-block", "ownership", "encryption"),
    "KMSKey": ("lifecycle", "key-policy", "grant:", "key-state"),
    "S3AccessPoint": ("lifecycle", "access-point-policy", "public-access-block"),
}

BUCKET_PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@dataclass(frozen=True)
class PullContext:
    """Who was read and when: the account, its partition and the pull time (UTC ISO-8601)."""

    account: str
    partition: str
    time: str
    pull_id: str = ""  # `time` with the clock's microseconds: two pulls within one second are two pulls


# --- the objects as graph rows (pure: API responses in, one delta out) --------------------------------


class _Subject:
    """The rows of one object: its own nodes and edges, then one snapshot state per slot read."""

    def __init__(self, ctx: PullContext, subject_type: str, key: str, nodes: Iterable[NodeRow] = (),
                 edges: Iterable[EdgeRow] = ()) -> None:
        self.ctx, self.subject_type, self.key = ctx, subject_type, key
        self.nodes, self.edges = list(nodes), list(edges)
        self.present: list[str] = []

    def state(self, slot: str, kind: str, *, document: Any = None, target: str | None = None,
              deleted: bool = False) -> None:
        node, edge = policy_state(self.subject_type, self.key, slot, kind, evidence="snapshot", time=self.ctx.time,
                                  document=document, target=target, deleted=deleted)
        self.nodes.append(node)
        self.edges.append(edge)
        if not deleted:
            self.present.append(slot)

    def delta(self, inventory: bool = True, name: str | None = None) -> GraphDelta:
        if inventory:
            families = INVENTORIED_SLOTS[self.subject_type]
            stray = [slot for slot in self.present if not slot.startswith(families)]
            if stray:  # an inventory vouches only for the families it names
                raise ValueError(f"{self.subject_type} slots {stray} are not in INVENTORIED_SLOTS")
            self.state("inventory", "inventory", document=sorted(self.present))
        key = f"pull-iam:{self.ctx.account}:{self.ctx.pull_id or self.ctx.time}:{name or self.key}"
        return GraphDelta(SOURCE, key, key, key, self.ctx.time, tuple(self.nodes), tuple(self.edges))


def _account_rows(account: str | None, node_type: str, key: str) -> tuple[list[NodeRow], list[EdgeRow]]:
    if not account:
        return [], []
    return ([NodeRow("AWSAccount", account, {"id": account})],
            [EdgeRow("RESOURCE", "AWSAccount", account, node_type, key)])


def _identity_states(subject: _Subject, inline: Iterable[Mapping[str, Any]],
                     attached: Iterable[Mapping[str, Any]], boundary: Mapping[str, Any] | None) -> None:
    for policy in inline:
        subject.state(f"inline:{policy['PolicyName']}", "identity", document=policy.get("PolicyDocument"))
    for policy in attached:
        subject.state(f"attached:{policy['PolicyArn']}", "attachment", target=policy["PolicyArn"])
    if boundary and boundary.get("PermissionsBoundaryArn"):
        subject.state("boundary", "boundary", target=boundary["PermissionsBoundaryArn"])


def user_delta(detail: Mapping[str, Any], ctx: PullContext,
               access_keys: Iterable[Mapping[str, Any]] = ()) -> GraphDelta:
    """A GetAccountAuthorizationDetails UserDetail (and the user's ListAccessKeys entries)."""
    key, path = ids.canonical_iam_arn(detail["Arn"])
    nodes = principal_node("AWSUser", key, ctx.account, name=detail["UserName"], principal_type="IAMUser",
                           path=path or detail.get("Path"), partition=ctx.partition,
                           principal_id=detail.get("UserId"))
    acct_nodes, acct_edges = _account_rows(ctx.account, "AWSUser", key)
    subject = _Subject(ctx, "AWSUser", key, (*nodes, *acct_nodes), acct_edges)
    subject.state("lifecycle", "lifecycle")
    _identity_states(subject, detail.get("UserPolicyList") or (), detail.get("AttachedManagedPolicies") or (),
                     detail.get("PermissionsBoundary"))
    for group in detail.get("GroupList") or ():
        group_arn = ids.iam_arn(ctx.partition, ctx.account, "group", group)
        subject.state(f"group:{group_arn}", "membership", target=group_arn)
    for access_key in access_keys:
        subject.state(f"access-key:{access_key['AccessKeyId']}", "credential",
                      document={"AccessKeyId": access_key["AccessKeyId"], "Status": access_key.get("Status")})
    return subject.delta()


def group_delta(detail: Mapping[str, Any], ctx: PullContext) -> GraphDelta:
    """A GroupDetail; the group's key is its path-less ARN, as users' memberships name it."""
    key = ids.iam_arn(ctx.partition, ctx.account, "group", detail["GroupName"])
    acct_nodes, acct_edges = _account_rows(ctx.account, "AWSGroup", key)
    subject = _Subject(ctx, "AWSGroup", key, (group_row(key, ctx.account, detail["GroupName"], detail.get("Path")),
                                              *acct_nodes), acct_edges)
    subject.state("lifecycle", "lifecycle")
    _identity_states(subject, detail.get("GroupPolicyList") or (), detail.get("AttachedManagedPolicies") or (), None)
    return subject.delta()


def role_delta(detail: Mapping[str, Any], ctx: PullContext) -> GraphDelta:
    """A RoleDetail: trust policy, inline and attached policies, boundary."""
    role = with_principal_id(role_rows(detail["Arn"], ctx.account), detail.get("RoleId"))
    subject = _Subject(ctx, "AWSRole", role.key, role.nodes, role.edges)
    subject.state("lifecycle", "lifecycle")
    subject.state("trust", "trust", document=detail.get("AssumeRolePolicyDocument"))
    _identity_states(subject, detail.get("RolePolicyList") or (), detail.get("AttachedManagedPolicies") or (),
                     detail.get("PermissionsBoundary"))
    return subject.delta()


def is_aws_managed(policy_arn: str) -> bool:
    return ids.parse_arn(policy_arn).account == "aws"


def policy_delta(detail: Mapping[str, Any], ctx: PullContext) -> GraphDelta:
    """A ManagedPolicyDetail: every version's document, and the default version (document and id)."""
    arn = detail["Arn"]
    aws_managed = is_aws_managed(arn)
    owner = None if aws_managed else ctx.account  # AWS managed policies belong to no account
    node = policy_row(arn, "aws-managed" if aws_managed else "managed", arn=arn, name=detail.get("PolicyName"),
                      account=owner)
    acct_nodes, acct_edges = _account_rows(owner, "AWSPolicy", arn)
    subject = _Subject(ctx, "AWSPolicy", arn, (node, *acct_nodes), acct_edges)
    subject.state("lifecycle", "lifecycle")
    default_id, default_document = detail.get("DefaultVersionId"), None
    for version in detail.get("PolicyVersionList") or ():
        subject.state(f"version:{version['VersionId']}", "policy-version", document=version.get("Document"))
        if version["VersionId"] == default_id or (default_id is None and version.get("IsDefaultVersion")):
            default_id, default_document = version["VersionId"], version.get("Document")
    if default_id:
        subject.state("default", "default-version", document=default_document, target=default_id)
    return subject.delta()


def _bucket_subject(name: str, ctx: PullContext) -> _Subject:
    props = {"id": name, "name": name, "arn": ids.s3_bucket_arn(name, ctx.partition), "account_id": ctx.account}
    acct_nodes, acct_edges = _account_rows(ctx.account, "S3Bucket", name)
    return _Subject(ctx, "S3Bucket", name, (NodeRow("S3Bucket", name, props), *acct_nodes), acct_edges)


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
    subject = _Subject(ctx, "S3AccessPoint", ref.arn, nodes, edges)
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
    subject = _Subject(ctx, "AWSAccount", ctx.account, (NodeRow("AWSAccount", ctx.account, {"id": ctx.account}),))
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
    acct_nodes, acct_edges = _account_rows(parsed.account, "KMSKey", arn)
    subject = _Subject(ctx, "KMSKey", arn, (NodeRow("KMSKey", arn, props), *acct_nodes), acct_edges)
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


def org_unit_delta(unit: Mapping[str, Any], parent: str | None, ctx: PullContext) -> GraphDelta:
    """A root (no parent) or an OU from ListRoots / ListOrganizationalUnitsForParent, with its parent."""
    props = {"id": unit["Id"], "name": unit.get("Name"), "arn": unit.get("Arn")}
    subject = _Subject(ctx, "AWSOrganizationalUnit", unit["Id"],
                       (NodeRow("AWSOrganizationalUnit", unit["Id"], {k: v for k, v in props.items() if v}),))
    subject.state("lifecycle", "lifecycle")
    if parent:
        subject.state("parent", "org-parent", target=parent)
    return subject.delta(name=f"org:{unit['Id']}")


def org_account_delta(account: str, parent: str, policies: Iterable[str] | None, ctx: PullContext,
                      org_id: str | None = None) -> GraphDelta:
    """An account's place in the tree, its organisation (when DescribeOrganization answered) and the SCPs/RCPs
    attached to it (None: they could not be read)."""
    subject = _Subject(ctx, "AWSAccount", account, (NodeRow("AWSAccount", account, {"id": account}),))
    subject.state("parent", "org-parent", target=parent)
    if org_id:
        subject.state("organization", "org-membership", target=org_id)
    for policy in sorted(policies or ()):
        subject.state(f"org-policy:{policy}", "org-attachment", target=policy)
    return subject.delta(inventory=False, name=f"org:{account}")


def org_membership_delta(account: str, org_id: str | None, ctx: PullContext) -> GraphDelta:
    """The pulled account's own organisation (DescribeOrganization), or none (AWSOrganizationsNotInUseException)."""
    subject = _Subject(ctx, "AWSAccount", account, (NodeRow("AWSAccount", account, {"id": account}),))
    if org_id:
        subject.state("organization", "org-membership", target=org_id)
    else:
        subject.state("organization", "org-membership", deleted=True)
    return subject.delta(inventory=False, name=f"org-membership:{account}")


def org_policy_delta(policy: Mapping[str, Any], targets: Iterable[str], ctx: PullContext,
                     inventory: bool) -> GraphDelta:
    """A DescribePolicy answer: the SCP or RCP's content, and the roots and OUs it is attached to."""
    summary = policy.get("PolicySummary") or {}
    policy_id = summary["Id"]
    policy_type = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"}[summary["Type"]]
    arn = summary.get("Arn")
    owner = ids.parse_arn(arn).account if ids.is_arn(arn) else None
    node = policy_row(policy_id, policy_type, arn=arn, name=summary.get("Name"), account=owner or None)
    subject = _Subject(ctx, "AWSPolicy", policy_id, (node,))
    subject.state("lifecycle", "lifecycle")
    subject.state("content", "org-policy", document=policy.get("Content"))
    for target in sorted(set(targets)):
        subject.state(f"target:{target}", "org-attachment", target=target)
    return subject.delta(inventory=inventory, name=f"org:{policy_id}")


# --- reading the account -------------------------------------------------------------------------------


class _Skipped(Exception):  # noqa: N818 - a control-flow signal
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Failed(Exception):  # noqa: N818
    pass


class _Absent(Exception):  # noqa: N818 - the configuration is not set: a state, not an error
    pass


PARTS = ("account", "organization")  # what one pull reads: the account's own policies; the organisation's tree


class _Pull:
    """One pull of one account: the clients, the pull's context and the objects read, as (kind, item)."""

    def __init__(self, session: boto3.Session, regions: Iterable[str] | None, clock: Clock,
                 parts: Iterable[str] = PARTS) -> None:
        self.session, self.parts = session, frozenset(parts)
        if not self.parts or not self.parts <= set(PARTS):
            raise ValueError(f"parts must be some of {PARTS}, got {sorted(self.parts)}")
        self.regions = list(dict.fromkeys(regions or ())) or ([session.region_name] if session.region_name else [])
        if not self.regions:
            raise PullError("no AWS region: pass --region or set AWS_REGION (or a profile's region)")
        self.clock = clock
        self.ctx: PullContext | None = None
        self._clients: dict[tuple[str, str], BaseClient] = {}
        self.key_arns: dict[str, str] = {}

    def client(self, service: str, region: str | None = None) -> BaseClient:
        region = region or self.regions[0]
        client = self._clients.get((service, region))
        if client is None:
            try:
                client = self.session.client(service, region_name=region,
                                             config=Config(user_agent_extra="graphgov-pull"))
            except BotoCoreError as exc:
                raise PullError(f"cannot create the AWS {service} client: {exc}") from None
            if service == "s3control":
                client.meta.events.register("before-sign.s3-control", unprefix_local_endpoint)
            self._clients[(service, region)] = client
        return client

    def call(self, client: BaseClient, operation: str, absent: str | None = None, **params: Any) -> Any:
        """One API call; `_Absent` when it answers the error code `absent` (the configuration is not set)."""
        try:
            response = getattr(client, operation)(**params)
        except ClientError as exc:
            raise self._classify(client, exc, absent) from None
        except BotoCoreError as exc:
            raise PullError(f"cannot read AWS: {exc}") from None
        response.pop("ResponseMetadata", None)
        return response

    def paginate(self, client: BaseClient, operation: str, absent: str | None = None,
                 **params: Any) -> Iterator[dict[str, Any]]:
        try:
            if client.can_paginate(operation):
                yield from client.get_paginator(operation).paginate(**params)
            else:  # an older botocore without this paginator (ListBuckets was not paginated before 2024)
                yield getattr(client, operation)(**params)
        except ClientError as exc:
            raise self._classify(client, exc, absent) from None
        except BotoCoreError as exc:
            raise PullError(f"cannot read AWS: {exc}") from None

    def _classify(self, client: BaseClient, exc: ClientError, absent: str | None) -> Exception:
        code = error_code(exc)
        name = f"{client.meta.service_model.service_name}:{exc.operation_name}"
        if absent and code == absent:
            return _Absent()
        if code in CREDENTIAL_CODES:
            return PullError(f"AWS refused the credentials ({code}): {error_message(exc)}")
        if code in ACCESS_DENIED_CODES:
            return _Skipped(f"access_denied:{name}")
        if code in GONE_CODES:
            return _Skipped(f"gone:{name}")
        return _Failed(f"{name} failed: {code or 'error'}: {error_message(exc)}")

    def _absent_or(self, client: BaseClient, operation: str, absent: str, **params: Any) -> Any:
        try:
            return self.call(client, operation, absent=absent, **params)
        except _Absent:
            return None

    def one(self, kind: str, location: str, record: Any, build: Callable[[], GraphDelta]
            ) -> tuple[str, GraphDelta | RawRecord]:
        """Build one object's delta; its failure becomes a skipped or quarantined record, never a stop."""
        try:
            return kind, build()
        except _Skipped as skip:
            return kind, RawRecord(kind, record, location, skip=skip.reason)
        except _Failed as failed:
            return kind, RawRecord(kind, record, location, error=str(failed))
        except PullError:
            raise
        except Exception as exc:  # noqa: BLE001 - a mapping bug must not lose the object or stop the pull
            return kind, RawRecord(kind, record, location, error=f"pull error {type(exc).__name__}: {exc}")

    # --- the walk --------------------------------------------------------------------------------------

    def items(self) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        sts = self.client("sts")
        try:
            identity = self.call(sts, "get_caller_identity")
        except (_Skipped, _Failed) as exc:
            raise PullError(f"cannot identify the AWS caller: {exc}") from None
        account = identity["Account"]
        reading = self.clock()
        time = iso_time(reading)  # every delta of one pull has this time
        fraction = reading.microsecond  # the pull's name keeps what the graph's whole-second times drop
        self.ctx = PullContext(account, ids.parse_arn(identity["Arn"]).partition, time,
                               time[:-1] + f".{fraction:06d}Z" if fraction else time)
        if "account" in self.parts:
            yield from self._iam()
            for region in self.regions:
                yield from self._kms(region)
            yield from self._s3()
            for region in self.regions:
                yield from self._access_points(region)
        if "organization" in self.parts:
            yield from self._organization()

    def _listing(self, kind: str, location: str, pages: Iterator[dict[str, Any]],
                 each: Callable[[dict[str, Any]], Iterator[tuple[str, GraphDelta | RawRecord]]]
                 ) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        """Walk a listing's pages; a listing that fails counts as one record of the kind it lists."""
        try:
            for page in pages:
                yield from each(page)
        except _Skipped as skip:
            yield kind, RawRecord(kind, None, location, skip=skip.reason)
        except _Failed as failed:
            yield kind, RawRecord(kind, None, location, error=str(failed))

    def _iam(self) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        iam, ctx = self.client("iam"), self.ctx
        assert ctx is not None
        pages = self.paginate(iam, "get_account_authorization_details",
                              Filter=["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"])

        def each(page: dict[str, Any]) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
            for user in page.get("UserDetailList") or ():
                yield self.one("user", user["Arn"], user, lambda u=user: user_delta(u, ctx, self._access_keys(u)))
            for group in page.get("GroupDetailList") or ():
                yield self.one("group", group["Arn"], group, lambda g=group: group_delta(g, ctx))
            for role in page.get("RoleDetailList") or ():
                yield self.one("role", role["Arn"], role, lambda r=role: role_delta(r, ctx))
            for policy in page.get("Policies") or ():
                if is_aws_managed(policy["Arn"]) and not (policy.get("AttachmentCount")
                                                          or policy.get("PermissionsBoundaryUsageCount")):
                    yield "policy", RawRecord("policy", None, policy["Arn"], skip="aws_managed_policy_unused")
                    continue
                yield self.one("policy", policy["Arn"], policy, lambda p=policy: policy_delta(p, ctx))

        yield from self._listing("authorization-details", f"iam:{ctx.account}", pages, each)

    def _access_keys(self, user: Mapping[str, Any]) -> list[dict[str, Any]]:
        pages = self.paginate(self.client("iam"), "list_access_keys", UserName=user["UserName"])
        return [key for page in pages for key in page.get("AccessKeyMetadata") or ()]

    def _kms(self, region: str) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        kms, ctx = self.client("kms", region), self.ctx
        assert ctx is not None

        def each(page: dict[str, Any]) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
            for entry in page.get("Keys") or ():
                arn = entry.get("KeyArn") or f"arn:{ctx.partition}:kms:{region}:{ctx.account}:key/{entry['KeyId']}"
                self.key_arns[entry["KeyId"]] = arn
                yield self.one("key", arn, entry, lambda e=entry: self._key(kms, e["KeyId"]))

        yield from self._listing("key", f"kms:ListKeys:{region}", self.paginate(kms, "list_keys"), each)

    def _key(self, kms: BaseClient, key_id: str) -> GraphDelta:
        assert self.ctx is not None
        metadata = self.call(kms, "describe_key", KeyId=key_id)["KeyMetadata"]
        policy = self.call(kms, "get_key_policy", KeyId=key_id, PolicyName="default").get("Policy")
        grants = [g for page in self.paginate(kms, "list_grants", KeyId=key_id) for g in page.get("Grants") or ()]
        return key_delta(metadata, policy, grants, self.ctx)

    def _s3(self) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        ctx = self.ctx
        assert ctx is not None
        s3control = self.client("s3control")
        yield self.one("account", f"s3control:{ctx.account}", None, lambda: account_public_access_block_delta(
            (self._absent_or(s3control, "get_public_access_block", "NoSuchPublicAccessBlockConfiguration",
                             AccountId=ctx.account) or {}).get("PublicAccessBlockConfiguration"), ctx))
        s3 = self.client("s3")

        def each(page: dict[str, Any]) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
            for bucket in page.get("Buckets") or ():
                yield self.one("bucket", ids.s3_bucket_arn(bucket["Name"], ctx.partition), bucket,
                               lambda b=bucket: self._bucket(s3, b))

        yield from self._listing("bucket", "s3:ListBuckets", self.paginate(s3, "list_buckets"), each)

    def _access_points(self, region: str) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        ctx = self.ctx
        assert ctx is not None
        s3control = self.client("s3control", region)

        def each(page: dict[str, Any]) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
            for point in page.get("AccessPointList") or ():
                location = point.get("AccessPointArn") or f"s3control:{region}:{point.get('Name')}"
                yield self.one("access-point", location, point,
                               lambda p=point: self._access_point(s3control, p, region))

        yield from self._listing("access-point", f"s3control:ListAccessPoints:{region}",
                                 self.paginate(s3control, "list_access_points", AccountId=ctx.account), each)

    def _access_point(self, s3control: BaseClient, point: Mapping[str, Any], region: str) -> GraphDelta:
        assert self.ctx is not None
        name, account = point["Name"], self.ctx.account
        details = self.call(s3control, "get_access_point", AccountId=account, Name=name)
        policy = self._absent_or(s3control, "get_access_point_policy", "NoSuchAccessPointPolicy", AccountId=account,
                                 Name=name)
        return access_point_delta({**point, **details}, (policy or {}).get("Policy"), self.ctx, region)

    def _bucket(self, s3: BaseClient, bucket: Mapping[str, Any]) -> GraphDelta:
        assert self.ctx is not None
        name = bucket["Name"]
        policy = self._absent_or(s3, "get_bucket_policy", "NoSuchBucketPolicy", Bucket=name)
        acl = self.call(s3, "get_bucket_acl", Bucket=name)
        pab = self._absent_or(s3, "get_public_access_block", "NoSuchPublicAccessBlockConfiguration", Bucket=name)
        ownership = self._absent_or(s3, "get_bucket_ownership_controls", "OwnershipControlsNotFoundError", Bucket=name)
        encryption = self._absent_or(s3, "get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError",
                                     Bucket=name)
        config = BucketConfig(
            acl=acl,
            policy=policy.get("Policy") if policy else None,
            public_access_block=pab.get("PublicAccessBlockConfiguration") if pab else None,
            ownership=ownership.get("OwnershipControls") if ownership else None,
            encryption=encryption.get("ServerSideEncryptionConfiguration") if encryption else None,
        )
        return bucket_delta(name, config, self.ctx, lambda ref: self._key_arn(ref, bucket.get("BucketRegion")))

    def _organization(self) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        """The organisation's tree, and its SCPs and RCPs with what each is attached to (see the module doc)."""
        org, ctx = self.client("organizations"), self.ctx
        assert ctx is not None
        org_id = None
        try:  # any member may describe its organisation: its id is what aws:PrincipalOrgID of its accounts is
            found = self.call(org, "describe_organization", absent="AWSOrganizationsNotInUseException")
            org_id = (found.get("Organization") or {}).get("Id")
        except _Absent:  # the caller's account is in no organisation: a fact, which settles org conditions
            yield self.one("org-membership", ctx.account, None, lambda: org_membership_delta(ctx.account, None, ctx))
            yield "organization", RawRecord("organization", None, "organizations:DescribeOrganization",
                                            skip="organizations_not_in_use")
            return
        except (_Skipped, _Failed) as exc:
            yield "organization", self._org_failure(exc, "organizations:DescribeOrganization")
        if org_id:
            yield self.one("org-membership", ctx.account, None,
                           lambda: org_membership_delta(ctx.account, org_id, ctx))
        try:
            roots = self.call(org, "list_roots", absent="AWSOrganizationsNotInUseException").get("Roots") or []
        except _Absent:
            yield "organization", RawRecord("organization", None, "organizations:ListRoots",
                                            skip="organizations_not_in_use")
            return
        except _Skipped as skip:
            yield "organization", RawRecord("organization", None, "organizations:ListRoots", skip=skip.reason)
            return
        except _Failed as failed:
            yield "organization", RawRecord("organization", None, "organizations:ListRoots", error=str(failed))
            return
        complete = True
        units: list[tuple[Mapping[str, Any], str | None]] = [(root, None) for root in roots]
        accounts: list[tuple[Mapping[str, Any], str]] = []
        index = 0
        while index < len(units):  # breadth first: every OU is listed after its parent
            parent_id = units[index][0]["Id"]
            index += 1
            for operation, member, found in (
                    ("list_organizational_units_for_parent", "OrganizationalUnits", units),
                    ("list_accounts_for_parent", "Accounts", accounts)):
                try:
                    for page in self.paginate(org, operation, ParentId=parent_id):
                        found.extend((item, parent_id) for item in page.get(member) or ())
                except (_Skipped, _Failed) as exc:
                    complete = False
                    yield "organization", self._org_failure(exc, f"organizations:{operation}:{parent_id}")
        attached: dict[str, list[str] | None] = {}
        summaries: dict[str, Mapping[str, Any]] = {}
        for target in [u["Id"] for u, _ in units] + [a["Id"] for a, _ in accounts]:
            found_ids: list[str] | None = []
            for policy_filter in ORG_POLICY_FILTERS:
                try:
                    for page in self.paginate(org, "list_policies_for_target", absent="PolicyTypeNotEnabledException",
                                              TargetId=target, Filter=policy_filter):
                        for summary in page.get("Policies") or ():
                            summaries[summary["Id"]] = summary
                            if found_ids is not None:
                                found_ids.append(summary["Id"])
                except _Absent:
                    continue  # the policy type is not enabled: nothing of it is attached
                except (_Skipped, _Failed) as exc:
                    complete, found_ids = False, None
                    yield "organization", self._org_failure(exc, f"organizations:ListPoliciesForTarget:{target}")
            attached[target] = found_ids
        for unit, parent in units:
            yield self.one("org-unit", unit["Id"], unit, lambda u=unit, p=parent: org_unit_delta(u, p, ctx))
        for account, parent in accounts:
            yield self.one("org-account", account["Id"], account,
                           lambda a=account, p=parent: org_account_delta(a["Id"], p, attached.get(a["Id"]), ctx,
                                                                         org_id))
        targets_of: dict[str, list[str]] = {policy: [] for policy in summaries}
        for unit, _parent in units:
            for policy in attached.get(unit["Id"]) or ():
                targets_of[policy].append(unit["Id"])
        for policy, summary in sorted(summaries.items()):
            yield self.one("org-policy", policy, summary, lambda p=policy: org_policy_delta(
                self.call(org, "describe_policy", PolicyId=p)["Policy"], targets_of[p], ctx, complete))

    @staticmethod
    def _org_failure(exc: Exception, location: str) -> RawRecord:
        if isinstance(exc, _Skipped):
            return RawRecord("organization", None, location, skip=exc.reason)
        return RawRecord("organization", None, location, error=str(exc))

    def _key_arn(self, key_ref: str, region: str | None) -> str | None:
        """The key a bucket's default encryption names: a key ARN, or a key id of a key read by this pull
        (or in the bucket's Region); aliases are left unresolved."""
        assert self.ctx is not None
        if key_ref in self.key_arns:
            return self.key_arns[key_ref]
        if ids.is_arn(key_ref) or region:
            return ids.kms_key_arn(key_ref, self.ctx.partition, region or "", self.ctx.account)
        return None


def _items(session: boto3.Session, regions: Iterable[str] | None, clock: Clock, parts: Iterable[str] = PARTS
           ) -> tuple[_Pull, Iterator[tuple[str, GraphDelta | RawRecord]]]:
    pull = _Pull(session, regions, clock, parts)
    return pull, pull.items()


def iam_deltas(session: boto3.Session, regions: Iterable[str] | None = None, clock: Clock = utc_now
               ) -> Iterator[GraphDelta | RawRecord]:
    """The snapshot as deltas, one per object read; objects that could not be read come as RawRecords
    with a `skip` reason or an `error`, so `load_deltas` accounts for them."""
    _, items = _items(session, regions, clock)
    for _kind, item in items:
        yield item


def pull_iam(session: boto3.Session, store: Store, quarantine_path: Path, regions: Iterable[str] | None = None,
             clock: Clock = utc_now, parts: Iterable[str] = PARTS) -> PullSummary:
    """Pull one account's policies (`account`) and the organisation it can read (`organization`) into
    `store`; the summary adds the objects read, per kind."""
    pull, items = _items(session, regions, clock, parts)
    objects: Counter = Counter()
    gaps = Gaps()

    def counted() -> Iterator[GraphDelta | RawRecord]:
        for kind, item in items:
            objects[kind] += 1
            gaps.observe(item)
            yield item

    loaded = load_deltas(counted(), store, quarantine_path)
    summary = PullSummary(**vars(loaded), objects=objects, gaps=gaps.as_list())
    if pull.ctx is not None:
        summary.account, summary.time = pull.ctx.account, pull.ctx.time
    return summary


def pull_iam_accounts(sessions: Iterable[boto3.Session], store: Store, quarantine_path: Path,
                      regions: Iterable[str] | None = None, organization_session: boto3.Session | None = None,
                      clock: Clock = utc_now) -> PullSummary:
    """Pull each account in turn, merged into one summary. With `organization_session` (the caller of an
    organisation-wide pull, the management or a delegated account) the organisation is read once through
    it, not once per account, where members would only be refused."""
    regions = list(regions or ())
    pulls = []
    if organization_session is not None:
        pulls.append(pull_iam(organization_session, store, quarantine_path, regions, clock, parts=("organization",)))
    parts = ("account",) if organization_session is not None else PARTS
    pulls += [pull_iam(session, store, quarantine_path, regions, clock, parts=parts) for session in sessions]
    return merged(pulls)
