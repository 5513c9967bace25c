"""IAM policy documents and their statements, as the access history writes them (identity, trust, bucket
and key policies)."""

from __future__ import annotations

from typing import Any


def policy_doc(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document of the given statements."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(sid: str, actions: str | list[str], resources: str | list[str], **extra: Any) -> dict[str, Any]:
    """An Allow statement of an identity policy."""
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def trust_statement(sid: str, principal: dict[str, Any], action: str | list[str] = "sts:AssumeRole",
                    condition: dict[str, Any] | None = None) -> dict[str, Any]:
    """A statement of a trust policy: who may assume the role, and on what condition."""
    statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return statement


def deny_insecure_transport(bucket: str) -> dict[str, Any]:
    """The usual bucket-policy statement denying requests without TLS."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def key_policy(account: str, users: list[str], *extra: dict[str, Any]) -> dict[str, Any]:
    """The usual key policy: the account (its IAM policies) administers and may use the key, and
    the roles that encrypt and decrypt with it are named."""
    statements = [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}]
    if users:
        statements.append({"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": users},
                           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                      "kms:DescribeKey"], "Resource": "*"})
    return policy_doc(*statements, *extra)
