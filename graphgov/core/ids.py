"""Identity normalisation: the one place that decides what a node's key is.

Every loader turns the many spellings AWS uses for one thing (session ARNs, role ARNs with and without
a path, `s3://` and `https://` URIs, mixed-case SageMaker names) into one canonical key here, so that
evidence from different log sources lands on the same node.

Canonical forms
- IAM users and roles: `arn:<partition>:iam::<account>:role/<name>` **without the path**. Role and user
  names are unique within an account whatever their path, and several sources (assumed-role session
  ARNs, Bedrock invocation logs) lose the path, so a path-less key is the only one every source can
  produce. The path is kept as a property when a source knows it.
- Assumed-role sessions: `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`; their role is
  derived from it (or taken from `sessionIssuer`).
- S3: buckets by name, objects by `arn:<partition>:s3:::<bucket>/<key>` with the key exactly as stored.
- SageMaker resource names are lower-cased, as AWS does in their ARNs.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import unquote, unquote_plus

ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.*)$"
)


class IdentityError(ValueError):
    """A value that should name an AWS thing does not parse as one."""


F = TypeVar("F", bound=Callable[..., Any])


def _texts(func: F) -> F:
    """Refuse non-string values for the parameters annotated `str` with IdentityError (a record field of
    another type, say a list or NaN, would otherwise fail in a string method or an unhashable cache key)."""
    params = list(inspect.signature(func).parameters.items())
    names = frozenset(name for name, param in params if param.annotation == "str")
    positions = tuple((index, name) for index, (name, _) in enumerate(params) if name in names)

    def refuse(name: str, value: Any) -> IdentityError:
        return IdentityError(f"{func.__name__}: {name} is not a string ({type(value).__name__})")

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for index, name in positions:
            if index < len(args) and type(args[index]) is not str and not isinstance(args[index], str):
                raise refuse(name, args[index])
        for name, value in kwargs.items():
            if name in names and not isinstance(value, str):
                raise refuse(name, value)
        return func(*args, **kwargs)

    return checked  # type: ignore[return-value]


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(value: str) -> Arn:
    """Split an ARN into its parts; raises IdentityError when it is not one (cached: ARNs repeat a lot)."""
    if type(value) is not str and not isinstance(value, str):  # checked inline: the hottest call of a load
        raise IdentityError(f"parse_arn: value is not a string ({type(value).__name__})")
    return _parse_arn(value)


@lru_cache(maxsize=8192)
def _parse_arn(value: str) -> Arn:
    match = ARN_RE.match(value or "")
    if not match:
        raise IdentityError(f"not an ARN: {value!r}")
    return Arn(**match.groupdict())


def is_arn(value: object) -> bool:
    return isinstance(value, str) and ARN_RE.match(value) is not None


def arn_service(value: object) -> str | None:
    """The service an ARN names (`kms`, `comprehend`...); None for anything that is not an ARN (an S3 URI...)."""
    return parse_arn(value).service if is_arn(value) else None  # type: ignore[arg-type] - is_arn: a str


def _strip_path(rest: str) -> tuple[str, str]:
    """`service-role/x/Name` -> (`/service-role/x/`, `Name`)."""
    parts = rest.split("/")
    name = parts[-1]
    path = "/" + "/".join(parts[:-1]) + "/" if len(parts) > 1 else "/"
    return path, name


@_texts
def partition_of_region(region: str) -> str:
    """The ARN partition a Region belongs to (`aws`, `aws-cn`, `aws-us-gov`)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@_texts
def iam_arn(partition: str, account: str, kind: str, name: str) -> str:
    return f"arn:{partition}:iam::{account}:{kind}/{name}"


@_texts
@lru_cache(maxsize=8192)
def canonical_iam_arn(value: str) -> tuple[str, str | None]:
    """Canonical (path-less) IAM role/user ARN and the path it carried, if any.

    Other IAM ARNs (root, groups, policies, providers) are returned unchanged.
    """
    arn = parse_arn(value)
    if arn.service != "iam":
        return value, None
    kind, _, rest = arn.resource.partition("/")
    if kind not in ("role", "user") or not rest:
        return value, None
    path, name = _strip_path(rest)
    return iam_arn(arn.partition, arn.account, kind, name), path


@_texts
def role_arn_from_session(session_arn: str) -> str:
    """`arn:aws:sts::A:assumed-role/R/S` -> `arn:aws:iam::A:role/R` (the role's canonical key)."""
    arn = parse_arn(session_arn)
    kind, _, rest = arn.resource.partition("/")
    if arn.service != "sts" or kind != "assumed-role" or "/" not in rest:
        raise IdentityError(f"not an assumed-role session ARN: {session_arn!r}")
    role_name = rest.split("/", 1)[0]
    return iam_arn(arn.partition, arn.account, "role", role_name)


@_texts
def session_name_from_session(session_arn: str) -> str:
    parts = parse_arn(session_arn).resource.split("/", 2)
    if len(parts) < 3 or parts[0] != "assumed-role" or not parts[2]:
        raise IdentityError(f"assumed-role ARN without a session name: {session_arn!r}")
    return parts[2]


def is_session_arn(value: object) -> bool:
    """A well-formed `arn:…:sts::<acct>:assumed-role/<role>/<session>`."""
    if not is_arn(value) or ":assumed-role/" not in value:
        return False
    try:
        session_name_from_session(value)
    except IdentityError:
        return False
    return True


@_texts
def canonical_principal_arn(value: str) -> str:
    """Key of the principal node a user-supplied ARN refers to (sessions map to their role)."""
    if is_arn(value) and ":assumed-role/" in value:
        return role_arn_from_session(value)
    if is_arn(value):
        return canonical_iam_arn(value)[0]
    return value


@_texts
def account_root_arn(partition: str, account: str) -> str:
    """The IAM way to name a whole account as a principal."""
    return f"arn:{partition}:iam::{account}:root"


# --- S3 ---------------------------------------------------------------------------------------------

_VHOST_RE = re.compile(r"^(?P<bucket>.+)\.s3(?:[.-](?:dualstack\.)?(?:[a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$")
_PATH_HOST_RE = re.compile(r"^s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str  # "" for the bucket itself or a bucket-wide prefix

    def object_arn(self, partition: str = "aws") -> str:
        return s3_object_arn(self.bucket, self.key, partition)

    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@_texts
def s3_bucket_arn(bucket: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}"


@_texts
def s3_object_arn(bucket: str, key: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}/{key}"


@_texts
def parse_s3_uri(uri: str) -> S3Location:
    """Parse `s3://b/k`, virtual-hosted and path-style `https://` URLs, and S3 ARNs.

    `https://` URLs carry percent-encoded keys and are decoded; `s3://` URIs and ARNs hold raw keys.
    """
    if not isinstance(uri, str) or not uri:
        raise IdentityError(f"not an S3 location: {uri!r}")
    if uri.startswith("s3://"):
        bucket, _, key = uri[5:].partition("/")
        if not bucket:
            raise IdentityError(f"S3 URI without a bucket: {uri!r}")
        return S3Location(bucket, key)
    if uri.startswith("arn:"):
        point = parse_access_point_arn(uri)
        if point is not None:  # resolved to its bucket later (graphgov.ingest.access_points), never a bucket node
            return S3Location(point.arn, point.key)
        arn = parse_arn(uri)
        if arn.service != "s3":
            raise IdentityError(f"not an S3 ARN: {uri!r}")
        bucket, _, key = arn.resource.partition("/")
        return S3Location(bucket, key)
    for scheme in ("https://", "http://"):
        if uri.startswith(scheme):
            host, _, path = uri[len(scheme):].partition("/")
            host = host.split(":")[0].lower()
            path = path.split("?", 1)[0]
            vhost = _VHOST_RE.match(host)
            if vhost and not _PATH_HOST_RE.match(host):
                return S3Location(vhost.group("bucket"), unquote(path))
            if _PATH_HOST_RE.match(host):
                bucket, _, key = path.partition("/")
                if not bucket:
                    raise IdentityError(f"S3 URL without a bucket: {uri!r}")
                return S3Location(unquote(bucket), unquote(key))
            raise IdentityError(f"not an S3 URL: {uri!r}")
    raise IdentityError(f"not an S3 location: {uri!r}")


@_texts
def decode_notification_key(key: str) -> str:
    """S3 event notifications form-encode object keys (space -> '+'); CloudTrail keys are raw."""
    return unquote_plus(key)


ACCESS_POINT_ALIAS_SUFFIX = "-s3alias"


@dataclass(frozen=True)
class AccessPointRef:
    """An S3 access point named by ARN (`arn:aws:s3:<region>:<account>:accesspoint/<name>[/object/<key>]`)."""

    arn: str  # the access point's own ARN, without the object part
    partition: str
    region: str
    account: str
    name: str
    key: str  # "" when the ARN names the access point itself


def parse_access_point_arn(value: object) -> AccessPointRef | None:
    """The access point an ARN names (None for any other value, bucket ARNs included)."""
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    try:
        arn = parse_arn(value)
    except IdentityError:
        return None
    if arn.service != "s3" or not arn.resource.startswith("accesspoint/"):
        return None
    name, _, rest = arn.resource[len("accesspoint/"):].partition("/")
    key = rest[len("object/"):] if rest.startswith("object/") else rest
    if not name:
        return None
    base = f"arn:{arn.partition}:s3:{arn.region}:{arn.account}:accesspoint/{name}"
    return AccessPointRef(base, arn.partition, arn.region, arn.account, name, key)


def is_access_point_alias(name: object) -> bool:
    """An access point alias (`<name>-<random>-s3alias`), usable wherever a bucket name is accepted."""
    return isinstance(name, str) and name.endswith(ACCESS_POINT_ALIAS_SUFFIX)


def is_access_point_name(name: object) -> bool:
    """A bucket position holding an access point (alias or ARN) rather than a bucket."""
    return is_access_point_alias(name) or parse_access_point_arn(name) is not None


def principal_id_ref(value: object) -> str | None:
    """A principal id as S3 notifications write it (`AWS:AROA…:session`, `AIDA…`), without the `AWS:` tag."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    return value[4:] if value.startswith("AWS:") else value


def unique_principal_id(value: object) -> str | None:
    """The role's or user's unique id in a principal id: `AROA…:session` -> `AROA…`."""
    ref = principal_id_ref(value)
    return ref.split(":", 1)[0] or None if ref else None


@_texts
def parse_copy_source(value: str) -> S3Location:
    """`x-amz-copy-source`: `bucket/key[?versionId=...]`, optionally URL-encoded, optionally `/`-led."""
    raw = unquote(value.split("?versionId=", 1)[0]).lstrip("/")
    point = parse_access_point_arn(raw)
    if point is not None:
        if not point.key:
            raise IdentityError(f"copy source without object key: {value!r}")
        return S3Location(point.arn, point.key)
    bucket, _, key = raw.partition("/")
    if not bucket or not key:
        raise IdentityError(f"copy source without bucket and key: {value!r}")
    return S3Location(bucket, key)


# --- SageMaker / KMS ----------------------------------------------------------------------------------


@_texts
def sagemaker_arn(partition: str, region: str, account: str, resource_type: str, name: str) -> str:
    """SageMaker ARNs carry the resource name lower-cased (request `MyEndpoint` -> `endpoint/myendpoint`)."""
    return f"arn:{partition}:sagemaker:{region}:{account}:{resource_type}/{name.lower()}"


@_texts
def model_package_group_arn(package_arn: str) -> str | None:
    """The group of a versioned model package ARN (`model-package/<group>/<version>`), in the package's
    account; None for an unversioned package, which belongs to no group."""
    arn = parse_arn(package_arn)
    parts = arn.resource.split("/")
    if len(parts) != 3 or parts[0] != "model-package" or not parts[2].isdigit():
        return None
    return sagemaker_arn(arn.partition, arn.region, arn.account, "model-package-group", parts[1])


_KEY_ID_RE = re.compile(r"^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


@_texts
def kms_key_arn(key_ref: str, partition: str, region: str, account: str) -> str | None:
    """A key ARN from a key ARN or bare key id; aliases cannot be resolved from a log alone (None)."""
    if is_arn(key_ref):
        arn = parse_arn(key_ref)
        return key_ref if arn.resource.startswith("key/") else None
    if _KEY_ID_RE.match(key_ref or ""):
        return f"arn:{partition}:kms:{region}:{account}:key/{key_ref}"
    return None
