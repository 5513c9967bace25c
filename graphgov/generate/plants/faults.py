"""Deliberate faults in the delivered logs: a record without an eventID, duplicate deliveries and
truncated lines, which a loader must quarantine or deduplicate."""

from __future__ import annotations

from graphgov.generate.constants import EU, UA_BOTO, UA_CLI
from graphgov.generate.estate import Actor
from graphgov.generate.part import Part


class PlantedFaults(Part):
    """Each fault once, at a fixed fraction of the run."""

    def step_missing_event_id(self, remaining: int) -> None:
        """A modelled event (an AssumeRole) without its eventID: the loader must quarantine it."""
        t = self.now
        role = self.estate.data_engineer
        rec = self.trail.api(Actor(self.estate.alice, None, self.cast.corp_ip(), UA_CLI), t, "sts", "AssumeRole", EU,
                             {"roleArn": role.arn, "roleSessionName": "alice.admin", "durationSeconds": 3600},
                             self.trail.assume_response(role, "alice.admin", t), read_only=True,
                             resources=self.trail.role_resource(role))
        del rec["eventID"]
        self.trail.emit(rec)

    def step_duplicate_noise(self, remaining: int) -> None:
        """A modelled management event (KMS Decrypt, else an AssumeRole) delivered twice."""
        if self.s3.last_read is not None:
            self.trail.emit(self.s3.kms_for_read(), duplicate=remaining >= 2)
            return
        role = self.estate.data_engineer
        t = self.now
        actor = Actor(self.estate.alice, None, self.cast.corp_ip(), UA_CLI)
        self.trail.emit(self.trail.api(actor, t, "sts", "AssumeRole", EU,
                                       {"roleArn": role.arn, "roleSessionName": "alice.admin", "durationSeconds": 3600},
                                       self.trail.assume_response(role, "alice.admin", t), read_only=True,
                                       resources=self.trail.role_resource(role)), duplicate=remaining >= 2)

    def step_duplicate_read(self, remaining: int) -> None:
        """An analyst's dataset read delivered twice (a landing write if nothing is written yet)."""
        project = self.projects.training or self.projects.write_project()
        if any(project.written.values()):
            self.s3.read_dataset(project, self.cast.actor("analyst"), duplicate=remaining >= 2)
        else:
            self.s3.landing_write()

    def step_truncated_eventbridge(self, remaining: int) -> None:
        """Two S3 Object Created events on one day's file, the second cut short (2 records)."""
        now = self.now  # one arrival day for both: the cut line must not open a file
        for truncate in (False, True):
            if not self.s3.recent_writes:
                self.s3.landing_write()
            self.notifications.notify(self.s3.recent_writes.pop(), "eventbridge", truncate=truncate, now=now)

    def step_truncated_invocation_log(self, remaining: int) -> None:
        """Two logged invocations in one S3 log file, the second record cut short (4 records)."""
        actor = Actor(self.estate.app, "i-0a1b2c3d4e5f60718", "10.40.1.17", UA_BOTO)
        self.bedrock.unit(remaining, forced=(actor, EU))
        self.bedrock.unit(remaining - 2, forced=(actor, EU), truncate=True)
