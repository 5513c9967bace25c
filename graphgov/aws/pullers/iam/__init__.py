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

The package, by concern: `subject` (a Subject's rows and snapshot states, the pull's context),
`principals` (users, groups, roles, managed policies), `resources` (buckets, access points, keys, the
account's Block Public Access), `organization` (the tree, SCPs and RCPs), `reader` (clients, calls and
their failures, the account's walk) and `pull` (the run and its summary).
"""

from __future__ import annotations

from graphgov.aws.pullers.iam.organization import (
    ORG_POLICY_FILTERS,
    org_account_delta,
    org_membership_delta,
    org_policy_delta,
    org_unit_delta,
)
from graphgov.aws.pullers.iam.principals import group_delta, is_aws_managed, policy_delta, role_delta, user_delta
from graphgov.aws.pullers.iam.pull import iam_deltas, pull_iam, pull_iam_accounts
from graphgov.aws.pullers.iam.reader import PARTS
from graphgov.aws.pullers.iam.resources import (
    BUCKET_PAB_FLAGS,
    BucketConfig,
    access_point_delta,
    account_public_access_block_delta,
    acl_document,
    bucket_delta,
    encryption_document,
    key_delta,
    public_access_block_document,
)
from graphgov.aws.pullers.iam.subject import INVENTORIED_SLOTS, SOURCE, PullContext

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

__all__ = [
    "AWS_CALLS", "BUCKET_PAB_FLAGS", "INVENTORIED_SLOTS", "ORG_POLICY_FILTERS", "PARTS", "SOURCE", "BucketConfig",
    "PullContext", "access_point_delta", "account_public_access_block_delta", "acl_document", "bucket_delta",
    "encryption_document", "group_delta", "iam_deltas", "is_aws_managed", "key_delta", "org_account_delta",
    "org_membership_delta", "org_policy_delta", "org_unit_delta", "policy_delta", "public_access_block_document",
    "pull_iam", "pull_iam_accounts", "role_delta", "user_delta",
]
