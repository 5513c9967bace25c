"""The platform: the composition root of the story. It owns what every part shares (the one random
generator, the output, the estate, the run's size) and one instance of each part; `run` hands over to
the timeline.

The access history (category ACCESS) and issue 11's situations (PLANT) are story steps only and count
toward no share of MIX, so the categories of MIX keep their proportions to each other at every size.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from random import Random

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
from graphgov.generate.projects import Projects
from graphgov.generate.timeline import Timeline


class Platform:
    """The estate, its projects and the record mix; writes through `Output` as it goes."""

    def __init__(self, outdir: Path, seed: int, records: int) -> None:
        self.rng = Random(seed)
        self.N = records
        self.out = Output(outdir, self.rng)
        self.hkey = hashlib.sha256(f"graphgov-generate:{seed}".encode()).digest()  # keys object facts, Bedrock ids
        self.P = max(3, records // 4000)  # the number of projects
        self.estate = Estate()
        self.cast = Cast(self)
        self.trail = CloudTrailRecords(self)
        self.projects = Projects(self)
        self.s3 = S3Activity(self)
        self.notifications = NotificationActivity(self)
        self.sts = StsActivity(self)
        self.noise = NoiseActivity(self)
        self.sagemaker = SageMakerActivity(self)
        self.bedrock = BedrockActivity(self)
        self.access = AccessHistory(self)
        self.mistakes = PlantedMistakes(self)
        self.faults = PlantedFaults(self)
        self.plants = PlantedSituations(self)
        self.preparation = DataPreparation(self)
        self.timeline = Timeline(self)

    @property
    def done(self) -> dict[str, int]:
        """Records written per category (MIX's, ACCESS and PLANT)."""
        return self.timeline.done

    def run(self) -> None:
        """Write the whole run."""
        self.timeline.run()
