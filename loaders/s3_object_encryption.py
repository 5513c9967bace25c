"""The encryption an S3 object write applied, read off its CloudTrail data event.

PutObject, CopyObject, POST Object and CreateMultipartUpload carry the requested encryption as header-named
request parameters (`x-amz-server-side-encryption`, `x-amz-server-side-encryption-aws-kms-key-id`), S3's
answer in `responseElements["x-amz-server-side-encryption"]`, and whether a bucket default applied in
`additionalEventData.SSEApplied` (`Default_SSE_S3`, `Default_SSE_KMS`, `SSE_S3`, `SSE_KMS`...). A key named by
the request is the writer's choice (a customer-managed key unless it is `alias/aws/s3`); SSE-KMS without one is
the AWS managed `aws/s3` key, unless a bucket default applied, which the bucket's own state answers. Since
January 2023 every new object is encrypted at least with SSE-S3, so a write that names nothing is judged by
its bucket's default too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loaders import fields

ALGORITHM = "x-amz-server-side-encryption"
KEY_ID = "x-amz-server-side-encryption-aws-kms-key-id"


def object_encryption(record: Mapping[str, Any]) -> str | None:
    """`customer-key`, `aws-managed-key` or `sse-s3`; None when the bucket default decides (or nothing says)."""
    request, response = fields.params(record), fields.section(record, "responseElements")
    applied = str(fields.get_ci(fields.section(record, "additionalEventData"), "SSEApplied") or "")
    if applied.startswith("Default_"):
        return None  # the bucket default encrypted it: judged by the bucket's state at the time
    key = fields.get_ci(request, KEY_ID)
    algorithm = str(fields.get_ci(response, ALGORITHM) or fields.get_ci(request, ALGORITHM) or "")
    if isinstance(key, str) and key.strip():
        return "aws-managed-key" if key.strip().endswith("alias/aws/s3") else "customer-key"
    if algorithm.startswith("aws:kms"):
        return "aws-managed-key"
    if algorithm == "AES256" or applied == "SSE_S3":
        return "sse-s3"
    return None
