"""Reading one account for `pull iam`: its clients, each call's failure told apart, and the account's walk.

A call AWS refuses is a signal, not a stop: `Skipped` (denied, gone: a named skip), `Failed` (anything
else: quarantined), `Absent` (the configuration is not set: a state). Refused credentials are a PullError.
`AccountReader.one` turns an object's signal into its record, so one object never stops the pull.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from graphgov.aws.clients import pull_client
from graphgov.aws.pullers.iam.principals import group_delta, is_aws_managed, policy_delta, role_delta, user_delta
from graphgov.aws.pullers.iam.resources import (
    BucketConfig,
    access_point_delta,
    account_public_access_block_delta,
    bucket_delta,
    key_delta,
)
from graphgov.aws.pullers.iam.subject import PullContext
from graphgov.aws.session import (
    ACCESS_DENIED_CODES,
    CREDENTIAL_CODES,
    GONE_CODES,
    Clock,
    PullError,
    error_code,
    error_message,
    iso_time,
)
from graphgov.core import ids
from graphgov.core.delta import GraphDelta
from graphgov.ingest.readers import RawRecord

# Services whose calls here are list calls under account-wide request quotas: their clients retry adaptively.
RATE_LIMITED = frozenset({"iam", "organizations"})


class Skipped(Exception):  # noqa: N818 - a control-flow signal
    """A read AWS refused (denied) or whose object is gone: the object is skipped with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Failed(Exception):  # noqa: N818
    """Any other failed read: the object is quarantined with the error."""


class Absent(Exception):  # noqa: N818
    """The configuration asked for is not set: a state to record, not an error."""


PARTS = ("account", "organization")  # what one pull reads: the account's own policies; the organisation's tree


class AccountReader:
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
        """One client per (service, Region); IAM's and Organizations' list calls are rate limited (adaptive)."""
        region = region or self.regions[0]
        client = self._clients.get((service, region))
        if client is None:
            client = self._clients[(service, region)] = pull_client(
                self.session, service, region, rate_limited=service in RATE_LIMITED)
        return client

    def call(self, client: BaseClient, operation: str, absent: str | None = None, **params: Any) -> Any:
        """One API call; `Absent` when it answers the error code `absent` (the configuration is not set)."""
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
            return Absent()
        if code in CREDENTIAL_CODES:
            return PullError(f"AWS refused the credentials ({code}): {error_message(exc)}")
        if code in ACCESS_DENIED_CODES:
            return Skipped(f"access_denied:{name}")
        if code in GONE_CODES:
            return Skipped(f"gone:{name}")
        return Failed(f"{name} failed: {code or 'error'}: {error_message(exc)}")

    def absent_or(self, client: BaseClient, operation: str, absent: str, **params: Any) -> Any:
        try:
            return self.call(client, operation, absent=absent, **params)
        except Absent:
            return None

    def one(self, kind: str, location: str, record: Any, build: Callable[[], GraphDelta]
            ) -> tuple[str, GraphDelta | RawRecord]:
        """Build one object's delta; its failure becomes a skipped or quarantined record, never a stop."""
        try:
            return kind, build()
        except Skipped as skip:
            return kind, RawRecord(kind, record, location, skip=skip.reason)
        except Failed as failed:
            return kind, RawRecord(kind, record, location, error=str(failed))
        except PullError:
            raise
        except Exception as exc:  # noqa: BLE001 - a mapping bug must not lose the object or stop the pull
            return kind, RawRecord(kind, record, location, error=f"pull error {type(exc).__name__}: {exc}")

    # --- the walk --------------------------------------------------------------------------------------
    def identify(self) -> PullContext:
        """Who is being read (GetCallerIdentity) and when: the context every delta of this pull carries."""
        sts = self.client("sts")
        try:
            identity = self.call(sts, "get_caller_identity")
        except (Skipped, Failed) as exc:
            raise PullError(f"cannot identify the AWS caller: {exc}") from None
        account = identity["Account"]
        reading = self.clock()
        time = iso_time(reading)  # every delta of one pull has this time
        fraction = reading.microsecond  # the pull's name keeps what the graph's whole-second times drop
        self.ctx = PullContext(account, ids.parse_arn(identity["Arn"]).partition, time,
                               time[:-1] + f".{fraction:06d}Z" if fraction else time)
        return self.ctx

    def account_items(self) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        """The account's own policies: principals and managed policies, keys, buckets, access points."""
        yield from self._iam()
        for region in self.regions:
            yield from self._kms(region)
        yield from self._s3()
        for region in self.regions:
            yield from self._access_points(region)

    def listing(self, kind: str, location: str, pages: Iterator[dict[str, Any]],
                 each: Callable[[dict[str, Any]], Iterator[tuple[str, GraphDelta | RawRecord]]]
                 ) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        """Walk a listing's pages; a listing that fails counts as one record of the kind it lists."""
        try:
            for page in pages:
                yield from each(page)
        except Skipped as skip:
            yield kind, RawRecord(kind, None, location, skip=skip.reason)
        except Failed as failed:
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

        yield from self.listing("authorization-details", f"iam:{ctx.account}", pages, each)

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

        yield from self.listing("key", f"kms:ListKeys:{region}", self.paginate(kms, "list_keys"), each)

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
            (self.absent_or(s3control, "get_public_access_block", "NoSuchPublicAccessBlockConfiguration",
                             AccountId=ctx.account) or {}).get("PublicAccessBlockConfiguration"), ctx))
        s3 = self.client("s3")

        def each(page: dict[str, Any]) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
            for bucket in page.get("Buckets") or ():
                yield self.one("bucket", ids.s3_bucket_arn(bucket["Name"], ctx.partition), bucket,
                               lambda b=bucket: self._bucket(s3, b))

        yield from self.listing("bucket", "s3:ListBuckets", self.paginate(s3, "list_buckets"), each)

    def _access_points(self, region: str) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
        ctx = self.ctx
        assert ctx is not None
        s3control = self.client("s3control", region)

        def each(page: dict[str, Any]) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
            for point in page.get("AccessPointList") or ():
                location = point.get("AccessPointArn") or f"s3control:{region}:{point.get('Name')}"
                yield self.one("access-point", location, point,
                               lambda p=point: self._access_point(s3control, p, region))

        yield from self.listing("access-point", f"s3control:ListAccessPoints:{region}",
                                 self.paginate(s3control, "list_access_points", AccountId=ctx.account), each)

    def _access_point(self, s3control: BaseClient, point: Mapping[str, Any], region: str) -> GraphDelta:
        assert self.ctx is not None
        name, account = point["Name"], self.ctx.account
        details = self.call(s3control, "get_access_point", AccountId=account, Name=name)
        policy = self.absent_or(s3control, "get_access_point_policy", "NoSuchAccessPointPolicy", AccountId=account,
                                 Name=name)
        return access_point_delta({**point, **details}, (policy or {}).get("Policy"), self.ctx, region)

    def _bucket(self, s3: BaseClient, bucket: Mapping[str, Any]) -> GraphDelta:
        assert self.ctx is not None
        name = bucket["Name"]
        policy = self.absent_or(s3, "get_bucket_policy", "NoSuchBucketPolicy", Bucket=name)
        acl = self.call(s3, "get_bucket_acl", Bucket=name)
        pab = self.absent_or(s3, "get_public_access_block", "NoSuchPublicAccessBlockConfiguration", Bucket=name)
        ownership = self.absent_or(s3, "get_bucket_ownership_controls", "OwnershipControlsNotFoundError", Bucket=name)
        encryption = self.absent_or(s3, "get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError",
                                     Bucket=name)
        config = BucketConfig(
            acl=acl,
            policy=policy.get("Policy") if policy else None,
            public_access_block=pab.get("PublicAccessBlockConfiguration") if pab else None,
            ownership=ownership.get("OwnershipControls") if ownership else None,
            encryption=encryption.get("ServerSideEncryptionConfiguration") if encryption else None,
        )
        return bucket_delta(name, config, self.ctx, lambda ref: self.key_arn(ref, bucket.get("BucketRegion")))

    def key_arn(self, key_ref: str, region: str | None) -> str | None:
        """The key a bucket's default encryption names: a key ARN, or a key id of a key read by this pull
        (or in the bucket's Region); aliases are left unresolved."""
        assert self.ctx is not None
        if key_ref in self.key_arns:
            return self.key_arns[key_ref]
        if ids.is_arn(key_ref) or region:
            return ids.kms_key_arn(key_ref, self.ctx.partition, region or "", self.ctx.account)
        return None
