"""Who makes a call, and from where: the platform's people and workloads as `Actor`s (role
sessions or IAM users with an IP and a user agent), drawn from the run's random generator."""

from __future__ import annotations

from graphgov.generate.constants import (
    DATA,
    SERVE,
    TRAIN,
    UA_BOTO,
    UA_CLI,
    UA_CONSOLE,
    UA_JAVA,
    UA_SM_SDK,
    UA_TERRAFORM,
)
from graphgov.generate.estate import Actor
from graphgov.generate.part import Part
from graphgov.generate.projects import Project


class Cast(Part):
    """Picks the actor of a call: an engineer, a pipeline, an analyst, an administrator, a training job."""

    def corp_ip(self) -> str:
        """An office IP (a documentation range)."""
        return f"203.0.113.{self.rng.randrange(10, 60)}"

    def actor(self, which: str) -> Actor:
        """A session of one of the platform's roles: engineer, pipeline, analyst, ml or mlops."""
        rng = self.rng
        choice = rng.choice
        if which == "engineer":
            return Actor(self.estate.data_engineer, choice(("maria.garcia", "tom.nguyen", "priya.shah")),
                         self.corp_ip(), choice((UA_BOTO, UA_CLI)))
        if which == "pipeline":
            return Actor(self.estate.pipeline, choice(("airflow-worker-1", "airflow-worker-2", "glue-job-ingest")),
                         f"10.20.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_BOTO)
        if which == "analyst":
            return Actor(self.estate.analyst, choice(("jdoe", "asmith")), self.corp_ip(), UA_CONSOLE)
        if which == "ml":
            return Actor(self.estate.ml_engineer, choice(("bob.ml", "li.wei", "sagemaker-studio-ada")), self.corp_ip(),
                         UA_SM_SDK)
        if which == "mlops":
            return Actor(self.estate.mlops, choice(("carol.ops", "deploy-pipeline")), self.corp_ip(), UA_SM_SDK)
        raise KeyError(which)  # pragma: no cover

    def exec_actor(self, project: Project) -> Actor:
        """A project's training job, calling as its execution role."""
        rng = self.rng
        return Actor(project.exec_role, "SageMaker", f"10.30.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}",
                     UA_JAVA)

    def admin(self, account: str, console: bool = False) -> Actor:
        """The account's administrator (an IAM user): Terraform from a laptop, or the console."""
        user = {DATA: self.estate.alice, TRAIN: self.estate.bob, SERVE: self.estate.carol}[account]
        return Actor(user, None, self.corp_ip(), UA_CONSOLE if console else UA_TERRAFORM)
