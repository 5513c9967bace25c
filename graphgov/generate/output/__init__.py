"""Every file the generator writes, in the layouts AWS delivers, with counts per record kind: one
writer for the files and one module per output format, flushed together in a fixed order."""

from __future__ import annotations

from pathlib import Path
from random import Random
from typing import Any

from graphgov.generate.output.cloudtrail import CloudTrailFiles
from graphgov.generate.output.eventbridge import EventBridgeFiles
from graphgov.generate.output.invocation_logs import InvocationLogFiles
from graphgov.generate.output.s3_notifications import S3NotificationFiles
from graphgov.generate.output.writer import FileWriter


class Output:
    """The formats share one writer (counts, files) and the run's random generator, in call order."""

    def __init__(self, outdir: Path, rng: Random) -> None:
        self.writer = FileWriter(outdir, rng)
        self.trail = CloudTrailFiles(self.writer)
        self.events = EventBridgeFiles(self.writer)
        self.notifications = S3NotificationFiles(self.writer)
        self.invocations = InvocationLogFiles(self.writer)

    @property
    def n(self) -> int:
        """Records written so far, all kinds: the run's clock (record i happens at START + i s)."""
        return self.writer.n

    @property
    def counts(self) -> dict[str, int]:
        """Records written per kind."""
        return self.writer.counts

    @property
    def files(self) -> int:
        """Files written, digests included."""
        return self.writer.files

    def uuid(self) -> str:
        """A UUID v4 from the run's generator."""
        return self.writer.uuid()

    def hex(self, nbytes: int) -> str:
        """`nbytes` random bytes as hex, from the run's generator."""
        return self.writer.hex(nbytes)

    def cloudtrail(self, account: str, region: str, text: str, t: int, now: int, duplicate: bool = False) -> None:
        """One CloudTrail record (its JSON text) for the account/Region's trail file."""
        self.trail.record(account, region, text, t, now, duplicate)

    def eventbridge(self, event: dict[str, Any], now: int, truncate: bool = False) -> None:
        """One EventBridge event line."""
        self.events.event(event, now, truncate)

    def notification(self, wrapper: str, record: dict[str, Any], t: int, ms: int) -> None:
        """One S3 event notification record, in the given wrapper."""
        self.notifications.record(wrapper, record, t, ms)

    def invocation_log(self, destination: str, account: str, region: str, text: str, t: int, now: int,
                       keep: bool = False) -> None:
        """One ModelInvocationLog record (its JSON text), to S3 or CloudWatch Logs."""
        self.invocations.record(destination, account, region, text, t, now, keep)

    def sweep(self, now: int) -> None:
        """Deliver what AWS would have delivered by `now` (time-based flushes), in a fixed order."""
        self.trail.sweep(now)
        self.notifications.sweep(now)
        self.invocations.sweep(now)

    def close(self, now: int) -> None:
        """Deliver everything still held, in a fixed order."""
        self.trail.close(now)
        self.notifications.close()
        self.invocations.close()
        self.events.close()
