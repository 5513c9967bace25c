"""The progress line itself, drawn with rich's progress display (refreshed from its own thread a few times a
second, so the load never waits on the terminal); graphgov.report.progress decides whether there is one."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Column
from rich.text import Text

REFRESH_PER_SECOND = 4
WIDE = 110  # columns from which the line names everything; narrower, it drops the words and keeps the numbers


class _Records(ProgressColumn):
    """Records so far (wide terminals) and their mean rate since the start."""

    def __init__(self, wide: bool, table_column: Column) -> None:
        super().__init__(table_column)
        self.wide = wide

    def render(self, task: Task) -> Text:
        records = task.fields.get("records", 0)
        elapsed = task.elapsed or 0.0
        rate = f"{records / elapsed:,.0f} records/s" if elapsed > 0.5 else ""
        return Text(f"{records:,} records  {rate}".rstrip() if self.wide else rate)


class _Units(ProgressColumn):
    """Units done (S3 objects), and of how many listed so far when the puller lists as it goes."""

    def __init__(self, unit: str, wide: bool, table_column: Column) -> None:
        super().__init__(table_column)
        self.unit, self.wide = unit, wide

    def render(self, task: Task) -> Text:
        units, listed = task.fields.get("units", 0), task.fields.get("listed", 0)
        if not listed:
            return Text(f"{units:,} {self.unit}")
        return Text(f"{units:,} of {listed:,} {self.unit} listed so far" if self.wide
                    else f"{units:,}/{listed:,} {self.unit}")


class TerminalProgress:
    """A `graphgov.ingest.progress.Progress` drawn on a console: a bar over bytes when the total is known
    (`graphgov load`), over the units listed so far, or pulsing, when it is not (the pulls). One line at any
    width: narrower than WIDE it keeps the numbers (progress, MB/s, records/s, ETA) and drops the words."""

    def __init__(self, console: Console, action: str, unit: str | None, by_bytes: bool) -> None:
        self.by_bytes = by_bytes
        wide = console.width >= WIDE
        def cell() -> Column:  # crop, never wrap: a wrapped line redraws as two
            return Column(no_wrap=True)

        columns: list[ProgressColumn] = [TextColumn("{task.description}", table_column=cell()),
                                         BarColumn(bar_width=24 if wide else 10, table_column=cell())]
        if by_bytes:
            columns += [TaskProgressColumn(table_column=cell()), DownloadColumn(table_column=cell()),
                        TransferSpeedColumn(table_column=cell()), _Records(wide, cell()),
                        TextColumn("ETA", table_column=cell()), TimeRemainingColumn(table_column=cell())]
        else:
            columns += [*([_Units(unit, wide, cell())] if unit else []), _Records(True, cell()),
                        TimeElapsedColumn(table_column=cell())]
        self.display = Progress(*columns, console=console, refresh_per_second=REFRESH_PER_SECOND)
        # hidden until the first report, so the line never shows an unknown total it is about to learn
        self.task = self.display.add_task(action, total=None, records=0, units=0, listed=0, visible=False)

    def total(self, total_bytes: int) -> None:
        self.display.update(self.task, total=total_bytes, visible=True)

    def update(self, records: int, bytes_done: int | None = None, units: int | None = None,
               listed: int | None = None) -> None:
        fields: dict[str, int | bool] = {"records": records, "visible": True}
        if units is not None:
            fields["units"] = units
        if listed is not None:
            fields["listed"] = listed
        if self.by_bytes:  # the bar: bytes of the known total
            self.display.update(self.task, completed=bytes_done, **fields)
        else:  # the bar: units of those listed so far (it pulses until a listing says how many)
            self.display.update(self.task, completed=units, total=listed, **fields)

    def phase(self, name: str) -> None:
        self.display.update(self.task, description=name)
