"""The planted access mistakes the saved questions must find (see the package docstring, 1-4)."""

from __future__ import annotations

from graphgov.generate.constants import DATA, EU, SERVE, SHADOW, TRAIN, UA_BOTO, VENDOR, VENDOR_EXTERNAL_ID
from graphgov.generate.encoding import dumps, stable_id
from graphgov.generate.part import Part
from graphgov.generate.policy_documents import allow, key_policy, policy_doc, trust_statement
from graphgov.generate.projects import Project


class PlantedMistakes(Part):
    """A shadow-account share, a vendor role on an external id, a debug policy, a public bucket."""

    def step_shadow_share(self, remaining: int) -> None:
        """Mistake: the fraud datasets' prefix is shared with the ungoverned hackathon account, in the bucket
        policy and (so that the reads would work) in the key policy (2 records)."""
        actor = self.cast.admin(DATA, console=True)
        shadow = f"arn:aws:iam::{SHADOW}:root"
        self.access.put_bucket_policy(actor, "acme-data-1", [
            {"Sid": "HackathonFraudSampleRead", "Effect": "Allow", "Principal": {"AWS": shadow},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-data-1/fraud/*"},
            {"Sid": "HackathonFraudSampleList", "Effect": "Allow", "Principal": {"AWS": shadow},
             "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme-data-1",
             "Condition": {"StringLike": {"s3:prefix": "fraud/*"}}}])
        if remaining < 2:
            return
        estate = self.estate
        key = estate.buckets["acme-data-1"].kms_key
        policy = key_policy(DATA, [estate.data_engineer.arn, estate.pipeline.arn, estate.data_access.arn], {
            "Sid": "AllowHackathonDecrypt", "Effect": "Allow", "Principal": {"AWS": shadow},
            "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"})
        self.access.kms(actor, key, "PutKeyPolicy", {"keyId": key.rsplit("/", 1)[1], "policyName": "default",
                                                     "policy": dumps(policy), "bypassPolicyLockoutSafetyCheck": False},
                        None)

    def step_vendor_role(self, remaining: int) -> None:
        """Mistake (conditional access): a labelling vendor's account may assume a role that reads the credit
        datasets, on an external id alone (2 records)."""
        actor = self.cast.admin(DATA)
        role = self.estate.vendor_role
        self.access.create_role(actor, role, policy_doc(trust_statement(
            "LabelingVendor", {"AWS": f"arn:aws:iam::{VENDOR}:root"},
            condition={"StringEquals": {"sts:ExternalId": VENDOR_EXTERNAL_ID}})), "Labelling vendor access")
        if remaining < 2:
            return
        self.access.put_role_policy(actor, role, "VendorLabelingRead", policy_doc(
            allow("ReadCreditDatasets", "s3:GetObject", "arn:aws:s3:::acme-data-2/credit/*"),
            allow("ListCreditDatasets", "s3:ListBucket", "arn:aws:s3:::acme-data-2",
                  Condition={"StringLike": {"s3:prefix": "credit/*"}}),
            allow("DecryptDatasets", "kms:Decrypt", self.estate.buckets["acme-data-2"].kms_key)))

    def step_vendor_assume(self, remaining: int) -> None:
        """The vendor assumes the role: only the data account's copy is in the organization trail."""
        t = self.now
        role, session = self.estate.vendor_role, "labeling-batch-0001"
        identity = {"type": "AWSAccount", "principalId": "AIDA" + stable_id(f"user:{VENDOR}:labeling-sync"),
                    "accountId": VENDOR}
        self.trail.emit(self.trail.record(
            identity=identity, t=t, source="sts.amazonaws.com", name="AssumeRole", region=EU, ip="203.0.113.201",
            ua=UA_BOTO, params={"roleArn": role.arn, "roleSessionName": session, "durationSeconds": 3600,
                                "externalId": VENDOR_EXTERNAL_ID},
            response=self.trail.assume_response(role, session, t), recipient=DATA, read_only=True,
            host=f"sts.{EU}.amazonaws.com", resources=self.trail.role_resource(role), shared=self.out.uuid()))

    def debug_policy(self, project: Project) -> None:
        """Mistake: an engineer, by hand, broadens a training role's S3 access after its job started."""
        document = policy_doc(
            allow("DebugReadWriteAnyBucket", "s3:*", ["arn:aws:s3:::acme-*", "arn:aws:s3:::acme-*/*"]))
        self.access.put_role_policy(self.cast.admin(TRAIN, console=True), project.exec_role, "DebugS3Access", document)

    def step_public_share(self, remaining: int) -> None:
        """Mistake: the serving account's model bucket loses Block Public Access and gets a policy letting
        anyone download the manually uploaded models (2 records)."""
        actor = self.cast.admin(SERVE, console=True)
        self.access.bucket_call(actor, self.estate.buckets["acme-models-serving"], "DeleteBucketPublicAccessBlock",
                                {"publicAccessBlock": [""]})
        if remaining >= 2:
            self.access.put_bucket_policy(actor, "acme-models-serving", [
                {"Sid": "PublicReadManualModels", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::acme-models-serving/manual-upload/*"}])
