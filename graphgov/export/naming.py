"""OpenLineage namespaces and names for the graph's nodes.

S3 data follows OpenLineage's naming spec: namespace `s3://<bucket>`, name the key or prefix (without
its trailing `/`; the bucket itself is `/`). The spec names no SageMaker or Bedrock resource, so an ARN
is split where the resource starts: namespace `arn:<partition>:<service>:<region>:<account>`, name the
resource (`training-job/x`, `model/x`, `endpoint/x`, `model-customization-job/x`, ...). Namespace, `:`
and name give the ARN back, and one account's region keeps its jobs and models together in Marquez.
"""

from __future__ import annotations

S3_SCHEME = "s3://"


class NamingError(ValueError):
    """A node key that is neither an S3 URI nor an ARN."""


def s3_name(uri: str) -> tuple[str, str]:
    """`s3://bucket/key/` -> (`s3://bucket`, `key`); `s3://bucket` -> (`s3://bucket`, `/`)."""
    bucket, _, key = uri[len(S3_SCHEME):].partition("/")
    return S3_SCHEME + bucket, key.rstrip("/") or "/"


def arn_name(arn: str) -> tuple[str, str]:
    """`arn:aws:sagemaker:eu-west-1:111:model/x` -> (`arn:aws:sagemaker:eu-west-1:111`, `model/x`)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
        raise NamingError(f"not an ARN: {arn!r}")
    return ":".join(parts[:5]), parts[5]


def node_name(key: str) -> tuple[str, str]:
    """The namespace and name of a dataset or job node by its key (an S3 URI or an ARN)."""
    if key.startswith(S3_SCHEME):
        return s3_name(key)
    if key.startswith("arn:s3:") or key.startswith("arn:aws:s3:::"):  # an S3 ARN names the same data
        return s3_name(S3_SCHEME + key.split(":::", 1)[1])
    return arn_name(key)


def step_name(verb: str, key: str) -> tuple[str, str]:
    """A step the graph implies but AWS names no job for (deploying a model, an endpoint): the
    resource's namespace and `<verb>/<resource>`, e.g. `deploy/endpoint/fraud-endpoint`."""
    namespace, name = arn_name(key)
    return namespace, f"{verb}/{name}"
