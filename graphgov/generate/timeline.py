"""The timeline: what happens when. The main loop emits, at each step, either a story step that has
come due (scheduled per project at fractions of the project's share of the run) or one unit of the
category furthest behind its share of MIX."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphgov.generate.constants import ACCESS, DATA, EU, MIX, PLANT, SERVE, SHADOW, START, TRAIN, US
from graphgov.generate.part import Part
from graphgov.generate.projects import Project

if TYPE_CHECKING:
    from graphgov.generate.platform import Platform


class Timeline(Part):
    """The schedule (a heap of due story steps) and the record mix's accounting per category."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.done = dict.fromkeys((*(c for c, _ in MIX), ACCESS, PLANT), 0)
        self.heap: list[tuple[int, int, str, Callable[..., None], tuple]] = []
        self.seq = 0
        self.customizations = 0

    def run(self) -> None:
        """Emit records until N are written (sweeping time-based deliveries every 60), then close the output."""
        self.schedule_globals()
        next_sweep = 60
        projects = self.projects
        while self.out.n < self.platform.N:
            n = self.out.n
            while projects.next_project < self.platform.P and n >= projects.seg_start(projects.next_project):
                self.open_project(projects.next_project)
                projects.next_project += 1
            if n >= next_sweep:
                self.out.sweep(self.now)
                next_sweep = n - n % 60 + 60
            remaining = self.platform.N - n
            if self.heap and self.heap[0][0] <= n:
                _, _, category, step, args = heapq.heappop(self.heap)
            else:
                category = self.pick(n)
                step, args = self.units()[category], ()
            step(remaining, *args)
            self.done[category] += self.out.n - n
        self.out.close(START + self.platform.N + 60)

    def units(self) -> dict[str, Callable[[int], None]]:
        """The unit of each category of MIX: writes at least one and at most `remaining` records."""
        return {"s3": self.s3.unit, "bedrock": self.bedrock.unit, "noise": self.noise.unit,
                "notif": self.notifications.unit, "sts": self.sts.unit, "control": self.noise.unit_control}

    def pick(self, n: int) -> str:
        """The category of MIX furthest behind its share (with a little noise)."""
        rng = self.rng.random
        n -= self.done[ACCESS] + self.done[PLANT]  # the shares are of the records MIX accounts for
        best, best_score = "s3", -1e18
        for category, share in MIX:
            score = share * (n + 1) - self.done[category] + 2 * rng()
            if score > best_score:
                best, best_score = category, score
        return best

    def at(self, due: int, category: str, step: Callable[..., Any], *args: Any) -> None:
        """Schedule a story step at record index `due` (steps due together keep their order)."""
        self.seq += 1
        heapq.heappush(self.heap, (due, self.seq, category, step, args))

    def schedule_globals(self) -> None:
        """The run-wide story: the estate's setup, logging, the planted mistakes and faults."""
        n = self.platform.N
        for make in self.access.estate_setup():  # first of all: the estate every later call relies on
            self.at(0, ACCESS, self.step_call, make)
        self.at(0, "control", self.bedrock.step_logging_config, SERVE, EU)
        self.at(0, "control", self.bedrock.step_logging_config, TRAIN, US)
        self.at(n // 4, "noise", self.faults.step_duplicate_noise)
        self.at(n // 3, "noise", self.faults.step_missing_event_id)
        self.at(n // 2, "notif", self.faults.step_truncated_eventbridge)
        self.at(n // 2 + 5, "bedrock", self.faults.step_truncated_invocation_log)
        self.at(3 * n // 4, "s3", self.faults.step_duplicate_read)
        self.at(n // 6, ACCESS, self.mistakes.step_shadow_share)
        self.at(n // 4, ACCESS, self.mistakes.step_vendor_role)
        self.at(n // 4 + 40, "sts", self.mistakes.step_vendor_assume)
        self.at(n // 2, ACCESS, self.step_call, self.access.dataset_policy_v2)
        self.schedule_plants()

    def open_project(self, p: int) -> None:
        """Schedule a project's story at fractions of its share of the run."""
        project = self.projects.project(p)
        at = lambda f: project.start + int(f * project.length)  # noqa: E731
        for make in (self.access.create_exec_role, self.access.exec_role_policy, self.access.exec_role_attach,
                     self.access.data_access_trust):
            self.at(at(0.0), ACCESS, self.step_call, make, project)
        self.at(at(0.02), "s3", self.s3.step_seed_write, project, "train")
        self.at(at(0.03), "s3", self.s3.step_seed_write, project, "validation")
        if project.has_test:
            self.at(at(0.04), "s3", self.s3.step_seed_write, project, "test")
        if project.manifest:
            self.at(at(0.05), "s3", self.s3.step_manifest, project)
        if p % 5 in (0, 1):
            c = self.customizations
            self.customizations += 1
            self.at(at(0.10), "s3", self.s3.step_transcripts, c, "train")
            self.at(at(0.11), "s3", self.s3.step_transcripts, c, "validation")
            self.at(at(0.20), "control", self.bedrock.step_customization_job, c, project)
            self.at(at(0.21), "sts", self.sts.step_service_assume, "bedrock.amazonaws.com", self.estate.bedrock_role,
                    "bedrock-customization", US)
            self.at(at(0.60), "control", self.bedrock.step_customization_done, c, project)
            if c % 2 == 0:
                self.at(at(0.62), "control", self.bedrock.step_provisioned_throughput, c)
        self.at(at(0.45), "control", self.sagemaker.step_training_job, project)
        self.at(at(0.46), "sts", self.sts.step_service_assume, "sagemaker.amazonaws.com", project.exec_role,
                "SageMaker", EU)
        self.at(at(0.47), "sts", self.sts.step_cross_account, project.job_name.lower(), project)
        if project.eventbridge:
            self.at(at(0.50), "control", self.sagemaker.step_training_state, project, "InProgress", "Starting")
        self.at(at(0.72), "s3", self.sagemaker.step_artifact, project)
        if project.eventbridge:
            self.at(at(0.73), "control", self.sagemaker.step_training_state, project, "Completed", "Completed")
        if project.manual:
            self.at(at(0.78), "s3", self.sagemaker.step_manual_artifact, project)
        if p == 0:
            self.at(at(0.60), ACCESS, self.step_call, self.mistakes.debug_policy, project)
        if p == 2:
            self.at(at(0.79), ACCESS, self.mistakes.step_public_share)
        if p == 1:
            self.schedule_preparation(project, at)
        self.at(at(0.80), "control", self.sagemaker.step_create_model, project, False)
        if project.manual:
            self.at(at(0.81), "control", self.sagemaker.step_create_model, project, True)
        self.at(at(0.85), "control", self.sagemaker.step_endpoint_config, project)
        self.at(at(0.90), "control", self.sagemaker.step_endpoint, project)

    def schedule_plants(self) -> None:
        """The situations issue 11's rules judge, at fixed fractions of the run (project 1 adds the data
        preparation, see `_schedule_preparation`)."""
        n = self.platform.N
        for account in (DATA, TRAIN, SERVE, SHADOW):  # the members' creation, in the management trail
            self.at(0, PLANT, self.step_call, self.plants.create_account_result, account)
        self.at(0, PLANT, self.bedrock.step_logging_config, SERVE, US, True)
        self.at(n // 5, PLANT, self.step_call, self.plants.replicate_to_partner)
        self.at(n // 3, PLANT, self.plants.step_image_invocation)
        self.at(2 * n // 5, PLANT, self.plants.step_unresolved_writer)
        self.at(n // 2 + 10, PLANT, self.step_call, self.bedrock.delete_logging_config, SERVE, US)
        self.at(3 * n // 5, PLANT, self.plants.step_pii_copy)
        self.at(3 * n // 5 + 20, PLANT, self.step_call, self.plants.create_scp)
        self.at(3 * n // 5 + 21, PLANT, self.step_call, self.plants.attach_scp)

    def schedule_preparation(self, project: Project, at: Callable[[float], int]) -> None:
        """Project 1's data preparation: a baseline job on the prepared prefix before the processing job
        ran (not its consumer), the processing job (input: the raw train split; output: `.../prepared/` in a
        bucket whose key and policy predate the logs), its writes, the job training on `.../prepared/train/`
        (its consumer), an observed kms:Decrypt of that key, the artifact and a model from it."""
        self.at(at(0.15), PLANT, self.preparation.step_prepared_job, project, "Baseline")
        self.at(at(0.25), PLANT, self.preparation.step_processing_job, project)
        self.at(at(0.30), PLANT, self.preparation.step_prepared_write, project, "train")
        self.at(at(0.31), PLANT, self.preparation.step_prepared_write, project, "validation")
        self.at(at(0.40), PLANT, self.preparation.step_prepared_job, project, "Prepared")
        self.at(at(0.41), PLANT, self.preparation.step_prepared_read, project)
        self.at(at(0.43), PLANT, self.preparation.step_prepared_artifact, project)
        self.at(at(0.44), PLANT, self.preparation.step_prepared_model, project)
        self.at(at(0.445), PLANT, self.preparation.step_prepared_endpoint, project, "CreateEndpointConfig")
        self.at(at(0.447), PLANT, self.preparation.step_prepared_endpoint, project, "CreateEndpoint")

    def step_call(self, remaining: int, make: Callable[..., None], *args: Any) -> None:
        """A story step that is one call (one record)."""
        make(*args)
