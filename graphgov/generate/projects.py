"""The ML projects: each one a dataset (train/validation/test splits), a training job, model(s), an
endpoint configuration and an endpoint, opened one after another as the run goes on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphgov.generate.constants import SERVE, START, TRAIN
from graphgov.generate.encoding import fmt
from graphgov.generate.estate import ALGOS, DATASETS, TEAMS, Role, dataset_bucket
from graphgov.generate.part import Part

if TYPE_CHECKING:
    from graphgov.generate.platform import Platform


class Project:
    """One ML project: a dataset (train/validation/test), a training job, model(s), a config, an endpoint."""

    def __init__(self, p: int, team: str, version: int, start: int, length: int, serving_account: str,
                 exec_role: Role) -> None:
        self.p, self.team, self.start, self.length = p, team, start, length
        self.exec_role = exec_role  # its own SageMaker execution role, created when the project opens
        self.title = team.capitalize()
        self.algo = ALGOS[team]
        self.bucket = dataset_bucket(p)
        self.dataset = f"{DATASETS[team]}-v{version}"
        self.prefix = f"{team}/{self.dataset}/"
        self.date = fmt(START + start, "%Y-%m-%d")
        self.has_test = p % 4 != 3
        self.manifest = self.has_test and p % 3 == 2
        self.https_validation = p % 2 == 0
        self.splits = ("train", "validation", "test") if self.has_test else ("train", "validation")
        self.written = dict.fromkeys(self.splits, 0)
        self.job_name = f"{self.title}-{self.algo}-{self.date.replace('-', '')}-{p:03d}"
        self.kms = p % 3 != 1  # mistake to find: a job whose model artifacts have no KMS key
        self.eventbridge = p % 4 != 1  # some jobs have no state-change events (artifact only inferred)
        self.account = serving_account  # where the model, configuration and endpoint live
        self.capture = p % 2 == 0  # mistake to find: endpoint configurations without data capture
        self.capture_kms = p % 4 == 0
        self.config_kms = p % 3 == 0
        self.manual = p % 5 == 2 and serving_account == SERVE  # a model with no training job behind it
        self.model_name = f"{self.title}-{self.algo}-Model-{p:03d}"
        self.manual_model = f"{self.title}-Manual-Model-{p:03d}"
        self.manual_key = f"manual-upload/{team}/{p:03d}/model.tar.gz"
        self.job_created = False
        self.created_t = START + start  # set to the CreateTrainingJob time when it is called
        self.custom_created_t = START + start
        self.config_name = ""
        self.secondary = 0  # next SECONDARY status to announce while the job runs
        self.done = False

    def key(self, split: str, k: int) -> str:
        """The S3 key of object k of a split, in the team's file layout."""
        if self.team == "support":
            return f"{self.prefix}{split}/batch {k:04d}.jsonl"
        if self.team == "credit":
            return f"{self.prefix}{split}/part-{k:05d}.csv"
        return f"{self.prefix}{split}/dt={self.date}/part-{k:05d}.parquet"

    def size_range(self) -> tuple[int, int]:
        """The range of object sizes in the team's datasets."""
        return {"support": (200_000, 12_000_000), "credit": (500_000, 40_000_000)}.get(
            self.team, (8_000_000, 96_000_000))


class Projects(Part):
    """The projects open now (bounded: only those still written, read or deployed) and the running job."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.by_index: dict[int, Project] = {}
        self.next_project = 0
        self.team_versions: dict[str, int] = {}
        self.training: Project | None = None  # the project whose job last started (its data is being read)

    def exec_role(self, p: int) -> Role:
        """Project p's SageMaker execution role, named (as the console names them) for when it was made."""
        stamp = fmt(START + self.seg_start(p), "%Y%m%dT%H%M%S")
        return Role(TRAIN, f"AmazonSageMaker-ExecutionRole-{stamp}", "/service-role/")

    def current(self) -> Project:
        """The project whose job runs now, else the newest one opened."""
        return self.training or self.project(min(self.next_project - 1, self.platform.P - 1))

    def seg_start(self, p: int) -> int:
        """The record index project p opens at (projects share the run equally)."""
        return p * self.platform.N // self.platform.P

    def project(self, p: int) -> Project:
        """Project p, made when first asked for (older projects are dropped: memory stays bounded)."""
        project = self.by_index.get(p)
        if project is None:
            team = TEAMS[p % len(TEAMS)]
            version = self.team_versions.get(team, 0) + 1
            self.team_versions[team] = version
            start = self.seg_start(p)
            length = self.seg_start(p + 1) - start
            project = Project(p, team, version, start, length, TRAIN if p % 3 == 1 else SERVE, self.exec_role(p))
            self.by_index[p] = project
            for old in [q for q in self.by_index if q < p - 2]:
                del self.by_index[old]  # bounded: only the projects still being written, read or deployed
        return project

    def write_project(self) -> Project:
        """The project whose data is being written now: the current one, then (after its job) the next."""
        p = min(self.next_project - 1, self.platform.P - 1)
        project = self.project(p)
        if self.out.n >= project.start + int(0.45 * project.length) and p + 1 < self.platform.P:
            return self.project(p + 1)
        return project
