"""The base of every part of the story: a reference to the platform, and a named door to each other part.

Parts call each other through these properties (`self.trail.emit(...)`, `self.s3.put_object(...)`), so
a reader sees which concern a call belongs to, and every part shares the one random generator in the
order the calls happen (the output depends on that order).

Conventions: `unit` methods write one unit of a category of the record mix; `step_*` methods are story
steps the timeline schedules; both take `remaining` (the records still to write) first and write at
least one record and never more than remain.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING

from graphgov.generate.constants import START

if TYPE_CHECKING:
    from graphgov.generate.activity.access_history import AccessHistory
    from graphgov.generate.activity.bedrock import BedrockActivity
    from graphgov.generate.activity.noise import NoiseActivity
    from graphgov.generate.activity.notifications import NotificationActivity
    from graphgov.generate.activity.s3 import S3Activity
    from graphgov.generate.activity.sagemaker import SageMakerActivity
    from graphgov.generate.activity.sts import StsActivity
    from graphgov.generate.actors import Cast
    from graphgov.generate.cloudtrail_records import CloudTrailRecords
    from graphgov.generate.estate import Estate
    from graphgov.generate.output import Output
    from graphgov.generate.plants.faults import PlantedFaults
    from graphgov.generate.plants.mistakes import PlantedMistakes
    from graphgov.generate.plants.preparation import DataPreparation
    from graphgov.generate.plants.situations import PlantedSituations
    from graphgov.generate.platform import Platform
    from graphgov.generate.projects import Projects
    from graphgov.generate.timeline import Timeline


class Part:
    """One concern of the platform's story; its state lives on it, everything shared on the platform."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    @property
    def rng(self) -> Random:
        return self.platform.rng

    @property
    def out(self) -> Output:
        return self.platform.out

    @property
    def now(self) -> int:
        return START + self.platform.out.n

    @property
    def estate(self) -> Estate:
        return self.platform.estate

    @property
    def cast(self) -> Cast:
        return self.platform.cast

    @property
    def trail(self) -> CloudTrailRecords:
        return self.platform.trail

    @property
    def projects(self) -> Projects:
        return self.platform.projects

    @property
    def timeline(self) -> Timeline:
        return self.platform.timeline

    @property
    def s3(self) -> S3Activity:
        return self.platform.s3

    @property
    def notifications(self) -> NotificationActivity:
        return self.platform.notifications

    @property
    def sts(self) -> StsActivity:
        return self.platform.sts

    @property
    def noise(self) -> NoiseActivity:
        return self.platform.noise

    @property
    def sagemaker(self) -> SageMakerActivity:
        return self.platform.sagemaker

    @property
    def bedrock(self) -> BedrockActivity:
        return self.platform.bedrock

    @property
    def access(self) -> AccessHistory:
        return self.platform.access

    @property
    def mistakes(self) -> PlantedMistakes:
        return self.platform.mistakes

    @property
    def faults(self) -> PlantedFaults:
        return self.platform.faults

    @property
    def plants(self) -> PlantedSituations:
        return self.platform.plants

    @property
    def preparation(self) -> DataPreparation:
        return self.platform.preparation
