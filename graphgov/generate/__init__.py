"""A deterministic, streaming generator of the logs a multi-account AI platform on AWS writes.

`generate(outdir, seed, records)` writes `records` log records in the formats and delivery layouts AWS
uses, for one synthetic estate:

- a data account 111111111111 (dataset buckets, data engineers, an SSO analyst, a cross-account
  data-access role), a training account 222222222222 (SageMaker training jobs, the model bucket,
  Bedrock customization), a serving account 333333333333 (models, endpoint configurations, endpoints,
  Bedrock-backed applications) and a "shadow" account 444444444444 that nobody governs but that invokes
  Bedrock; Regions eu-west-1 and us-east-1.
- CloudTrail organization-trail delivery files and hourly digest files, EventBridge events as JSON Lines,
  S3 event notifications (raw, SQS, SNS-in-SQS, EventBridge), Bedrock model-invocation logs in S3 and in
  CloudWatch Logs subscription payloads.

The story runs at every size: datasets written and read, training jobs (with and without a KMS key for
their output), models (one with no training job behind it), endpoint configurations (with and without
data capture), endpoints created then updated, a cross-account AssumeRole seen from both accounts,
Bedrock invocation logging switched on in some account/Regions but not in one where models are invoked,
prompts with e-mail addresses and phone numbers, duplicate deliveries and a few malformed records.
Larger sizes add projects (datasets, jobs, models, endpoint versions), objects and invocations.

The access history is in the same trails (IAM in us-east-1, S3 and KMS in the resource's Region, each
in the account it changes). Before anything uses them, each account's administrator (alice.admin,
bob.ml, carol.ops, with Terraform) creates every long-lived role with its trust policy (the services,
users, roles or identity providers the AssumeRole calls show) and a least-privilege inline policy
(and AWS managed policies where usual); IAM Identity Center provisions the analysts' SSO role (trust:
the SAML provider; analysts sign in with AssumeRoleWithSAML) with the customer managed policy
DatasetReadOnly; users etl-bot and contractor-upload get a group with a group policy and an access
key; the KMS keys are created with policies delegating to the account and naming the roles that use
them; the dataset and model buckets get default encryption (SSE-KMS with the account's key for
datasets), Block Public Access (all but acme-models-training-use1), BucketOwnerEnforced and a policy
denying non-TLS access (plus the cross-account grants: Bedrock customization reads the transcripts,
the serving account reads model artifacts). Each project gets its own SageMaker execution role
(CreateRole, PutRolePolicy, AttachRolePolicy of SageMakerTrainingBase) when it opens, and the data
account's TrainingDataAccess trust policy is updated to the execution roles of the jobs that may
still run; halfway through, DatasetReadOnly gets a v2 (CreatePolicyVersion, setAsDefault). So the
number of roles and IAM changes grows with the platform.

Planted access mistakes, each found by a saved question (tests/test_generate.py asserts them):
1. At N/6 alice.admin (console) adds to acme-data-1's bucket policy a grant of `fraud/*` (training
   datasets) to the shadow account 444444444444, and adds that account to the data key's policy
   (PutKeyPolicy) so the reads would work: cross-account-exposure, training-data-readers.
2. In project 2, after the contractor uploads a model by hand, carol.ops (console) deletes
   acme-models-serving's Block Public Access (DeleteBucketPublicAccessBlock) and puts a bucket policy
   letting Principal "*" read `manual-upload/*` with no condition: public-ai-data.
3. In project 0, after its training job started, bob.ml (console) adds an inline policy DebugS3Access
   (`s3:*` on every acme-* bucket) to that project's execution role: iam-changes-on-ai-roles.
4. At N/4 alice.admin creates LabelingVendorAccess, whose trust lets the vendor account 555555555555
   assume it on an sts:ExternalId condition, with read on acme-data-2 `credit/*`; the vendor assumes
   it once. Conditional access to training data: training-data-readers, cross-account-exposure.

Situations issue 11's rules judge (category PLANT, story steps outside MIX like the access history):
- project 1 prepares its data: a baseline training job on `s3://acme-data-prepared/<prefix>prepared/train/`
  before any processing ran (not a consumer), CreateProcessingJob (input: the raw train split; output:
  `.../prepared/`), the job's writes, the training job on `.../prepared/{train,validation}/` (the
  consumer), its model and a staging endpoint. acme-data-prepared and its KMS key predate the logs (no
  CreateKey, key policy or bucket setup): readers are `unknown`, except TrainingDataAccess, whose GetObject
  and S3's kms:Decrypt on its behalf succeed (`observed`);
- the serving account's us-east-1 gets text-only invocation logging at the start (the support bot's calls
  are logged), an image model is invoked at N/3 (not delivered), and logging is deleted at N/2;
- the management account 999999999999 records CreateAccountResult (SUCCEEDED) for the four members, and at
  3N/5 its security admin creates an SCP denying the analysts' SSO role the credit data and attaches it to
  the data account (jobs that started before keep the analysts in access-at-training-time);
- at N/5 acme-data-1's `fraud/` prefix is replicated to an analytics partner's bucket (account 666666666666);
- at 2N/5 an S3 notification announces a training object written by a role no CloudTrail record shows;
- at 3N/5 a landing export is tagged `pii=true` (PutObjectTagging) and copied into a training prefix.

Memory does not grow with `records`: records are written as they are produced; only bounded buffers (one
CloudTrail file per account and Region, one digest hour, small batches) and the state of the current
projects are held. Output depends only on `seed` and `records` (one `random.Random(seed)`, gzip with
mtime 0, no clock).

Record accounting (the returned counts): every log record written counts once, under the kind a reader
gives it. "cloudtrail": each element of a CloudTrail file's `Records` (duplicate deliveries and the
record without an eventID included); "eventbridge": each line of `eventbridge/*.jsonl` (state changes,
S3 "Object Created" events, the truncated line); "s3_notification": each S3 event record under
`s3-notifications/`; "bedrock_invocation_log": each ModelInvocationLog record, in S3 files or CloudWatch
Logs payloads (the truncated line included). These four add up to `records` exactly. "files" counts the
files written, digest files included (digests hold no log records).

Where the code is: `estate` (what exists: principals, buckets, keys, teams and their datasets),
`projects` (the ML projects as they open), `timeline` (what happens when: the schedule of story steps
and the record mix), `activity/` (one part per service: S3, notifications, STS, noise, SageMaker,
Bedrock, and the access history), `plants/` (the planted mistakes, the deliberate faults and issue 11's
situations), `actors` and `cloudtrail_records` (who calls, and the shape of a CloudTrail record),
`output/` (one module per output format, behind one writer) and `platform`, the composition root the
parts reach each other through (`part` states the conventions they share). Every part draws from the
one `random.Random(seed)` in the order the calls happen: that order is the output, so a refactor must
keep it (tests/test_generate_identity.py pins the bytes).
"""

from __future__ import annotations

from pathlib import Path

from graphgov.generate.constants import KINDS, MALFORMED, MIN_RECORDS, SIZES
from graphgov.generate.encoding import form_encode_key
from graphgov.generate.platform import Platform

__all__ = ["KINDS", "MALFORMED", "MIN_RECORDS", "SIZES", "GenerateError", "Platform", "form_encode_key", "generate",
           "parse_size"]

_Platform = Platform  # the name tests used before the package split


class GenerateError(ValueError):
    """Bad arguments: too few records, an unknown size, an output directory that is not empty."""


def parse_size(text: str | int) -> int:
    """`small`, `medium`, `large` or a number of records (underscores and commas allowed)."""
    if isinstance(text, int):
        return text
    value = str(text).strip().lower()
    if value in SIZES:
        return SIZES[value]
    digits = value.replace("_", "").replace(",", "")
    if not digits.isdigit():
        raise GenerateError(f"size must be small, medium, large or a number of records, not {text!r}")
    return int(digits)


def generate(outdir: Path, seed: int = 0, records: int = 2000) -> dict[str, int]:
    """Write `records` log records into `outdir` (which must be empty or absent); counts per output kind."""
    if not isinstance(records, int) or records < MIN_RECORDS:
        raise GenerateError(f"records must be an integer >= {MIN_RECORDS} (the platform story needs them)")
    outdir = Path(outdir)
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise GenerateError(f"output directory is not empty: {outdir}")
    outdir.mkdir(parents=True, exist_ok=True)
    platform = Platform(outdir, seed, records)
    platform.run()
    counts = {kind: platform.out.counts[kind] for kind in KINDS}
    if sum(counts.values()) != records:  # pragma: no cover - an internal invariant
        raise RuntimeError(f"generated {sum(counts.values())} records, expected {records}")
    counts["files"] = platform.out.files
    return counts
