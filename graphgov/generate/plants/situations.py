"""The situations issue 11's rules judge (category PLANT): organization members and an SCP,
replication to a partner, an image invocation logging does not deliver, a writer no trail shows, and a
personal-data copy into a training prefix."""

from __future__ import annotations

import base64
from typing import Any

from graphgov.generate.activity.s3 import ObjectWrite
from graphgov.generate.constants import DATA, MGMT, ORG, PARTNER, S3_XMLNS, SCP_ID, UA_BOTO, UA_CONSOLE, UA_JAVA, US
from graphgov.generate.encoding import dumps, human, iso, stable_id
from graphgov.generate.estate import Actor, Role
from graphgov.generate.part import Part
from graphgov.generate.policy_documents import policy_doc


class PlantedSituations(Part):
    """One story step or call per situation."""

    def org_call(self, name: str, params: dict[str, Any], response: Any) -> None:
        """An Organizations call by the management account's security administrator (console, us-east-1)."""
        actor = Actor(self.estate.security_admin, None, self.cast.corp_ip(), UA_CONSOLE)
        self.trail.emit(self.trail.api(actor, self.now, "organizations", name, US, params, response,
                                       host=f"organizations.{US}.amazonaws.com"))

    def create_scp(self) -> None:
        """CreatePolicy: an SCP stopping the analysts' SSO role from reading the credit datasets
        (Organizations API reference, CreatePolicy; SCP syntax: conditions on aws:PrincipalArn)."""
        content = dumps(policy_doc({
            "Sid": "NoAnalystReadsOfCreditData", "Effect": "Deny", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-data-2/credit/*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*AWSReservedSSO_DataAnalyst_*"}}}))
        summary = {"id": SCP_ID, "arn": f"arn:aws:organizations::{MGMT}:policy/{ORG}/service_control_policy/{SCP_ID}",
                   "name": "DenyAnalystCreditReads", "description": "Analysts use the anonymised credit extracts",
                   "type": "SERVICE_CONTROL_POLICY", "awsManaged": False}
        self.org_call("CreatePolicy", {"content": content, "description": summary["description"],
                                       "name": summary["name"], "type": "SERVICE_CONTROL_POLICY"},
                      {"policy": {"policySummary": summary, "content": content}})

    def attach_scp(self) -> None:
        """AttachPolicy of that SCP to the data account, after earlier credit jobs started: their
        access-at-training-time keeps the analysts; jobs that start later do not."""
        self.org_call("AttachPolicy", {"policyId": SCP_ID, "targetId": DATA}, None)

    def create_account_result(self, account: str) -> None:
        """CreateAccountResult (AwsServiceEvent, management account trail, us-east-1): the member was vended
        by the organization (Organizations user guide, "Logging ... with AWS CloudTrail")."""
        t = self.now
        rec: dict[str, Any] = {
            "eventVersion": "1.11", "userIdentity": {"accountId": MGMT, "invokedBy": "AWS Internal"},
            "eventTime": iso(t), "eventSource": "organizations.amazonaws.com", "eventName": "CreateAccountResult",
            "awsRegion": US, "sourceIPAddress": "AWS Internal", "userAgent": "AWS Internal",
            "requestParameters": None, "responseElements": None, "eventID": self.out.uuid(), "readOnly": False,
            "eventType": "AwsServiceEvent", "managementEvent": True, "recipientAccountId": MGMT,
            "serviceEventDetails": {"createAccountStatus": {
                "id": "car-" + stable_id(f"car:{account}", 20).lower(), "state": "SUCCEEDED", "accountName": "****",
                "accountId": account, "requestedTimestamp": human(t - 60), "completedTimestamp": human(t)}},
            "eventCategory": "Management"}
        self.trail.emit(rec)

    def step_image_invocation(self, remaining: int) -> None:
        """The support bot renders an image while its Region's logging delivers text only: not logged."""
        rng = self.rng
        actor = Actor(self.estate.support_bot, "support-bot-handler",
                      f"10.41.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_BOTO)
        self.trail.emit(self.trail.api(actor, self.now, "bedrock", "InvokeModel", US,
                                       {"modelId": "amazon.titan-image-generator-v2:0"}, None, read_only=True,
                                       host=f"bedrock-runtime.{US}.amazonaws.com"))

    def replicate_to_partner(self) -> None:
        """PutBucketReplication: the fraud prefix of acme-data-1 replicated to an analytics partner's bucket in
        its own account, the partner owning the replicas (S3 API reference, PutBucketReplication;
        ReplicationConfiguration as CloudTrail records it)."""
        bucket = self.estate.buckets["acme-data-1"]
        self.access.bucket_call(self.cast.admin(DATA, console=True), bucket, "PutBucketReplication", {
            "replication": "", "ReplicationConfiguration": {
                "xmlns": S3_XMLNS, "Role": f"arn:aws:iam::{DATA}:role/service-role/s3crr_role_for_acme-data-1",
                "Rule": [{"ID": "partner-fraud-feed", "Priority": 1, "Status": "Enabled",
                          "Filter": {"Prefix": "fraud/"},
                          "DeleteMarkerReplication": {"Status": "Disabled"},
                          "Destination": {"Bucket": "arn:aws:s3:::acme-partner-fraud-landing", "Account": PARTNER,
                                          "AccessControlTranslation": {"Owner": "Destination"}}}]}})

    def step_unresolved_writer(self, remaining: int) -> None:
        """An S3 notification for a training object written by a role no CloudTrail record reveals (a
        legacy exporter whose trail is elsewhere): the writer is known only by its principal id."""
        project = self.projects.write_project()
        k = project.written["train"]
        project.written["train"] = k + 1
        bucket = self.estate.buckets[project.bucket]
        key = project.key("train", k)
        lo, hi = project.size_range()
        size, etag, version = self.s3.facts(bucket.name, key, lo, hi)
        rng = self.rng
        actor = Actor(Role(DATA, "LegacyExporter", "/legacy/"), "nightly-export", "10.99.0.17", UA_JAVA)
        write = ObjectWrite(bucket, key, size, etag, version, f"{rng.getrandbits(64):016X}", self.now,
                            rng.randrange(1000), actor, "ObjectCreated:Put", "PutObject",
                            base64.b64encode(rng.randbytes(56)).decode())
        self.notifications.notify(write, "sns-sqs" if bucket.name == "acme-data-2" else "sqs")

    def step_pii_copy(self, remaining: int) -> None:
        """A landing export is tagged as personal data (PutObjectTagging pii=true), then copied into the
        current training prefix (CopyObject; the default tagging directive COPY carries the tag): 2 records."""
        if not self.s3.landing:
            self.s3.landing_write()  # nothing landed yet: the export comes first (1 record)
            return
        source = self.s3.landing[-1]
        landing = self.estate.buckets["acme-data-1"]
        tagger = self.cast.actor("engineer")
        self.s3.data_event(tagger, "PutObjectTagging", landing, source, self.now, params={
            "tagging": "", "Tagging": {"xmlns": S3_XMLNS, "TagSet": {"Tag": [{"Key": "pii", "Value": "true"}]}}})
        if remaining >= 2:
            self.s3.copy_landing(source)
