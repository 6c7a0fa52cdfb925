"""`.csv`: one row per thread state interval: thread, process, cpu, state, start, end, reason.

Text cells that start like a spreadsheet formula (`=`, `+`, `-`, `@`, tab, carriage return) get a leading
`'` (OWASP's advice against CSV injection), so opening the file never runs a name as a formula.

Rows are written as intervals end (each thread's rows are in time order); memory does not grow with the run.
"""

from __future__ import annotations

import csv
from typing import IO

from simulator.analysis.metrics import RunMetrics
from simulator.output.escaping import csv_cell
from simulator.output.recorder import IntervalTracker
from simulator.output.writer import TimelineInfo
from simulator.states import State
from simulator.timeunits import format_time
from simulator.trace import TraceEvent

COLUMNS = ("thread", "process", "cpu", "state", "start", "end", "reason")
_STATE_TEXT = {state: str(state) for state in State}


def _ignore_cpu(cpu: int, start: int, end: int, state: State, thread: str) -> None:
    """CPU intervals: the CSV has thread rows only."""


class CsvWriter:
    """Streams thread intervals as CSV rows (times in the scenario's unit; empty cells for none)."""

    def __init__(self, stream: IO[str], info: TimelineInfo) -> None:
        self.stream = stream
        self.unit = info.time_unit
        self.process_of = dict(info.threads)
        self.rows = csv.writer(stream, lineterminator="\n")
        self.rows.writerow(COLUMNS)
        self.writerow = self.rows.writerow
        #: Each thread's first two cells (its name and process, made safe), made at its first row.
        self._cells: dict[str, tuple[str, str]] = {}
        self._reasons: dict[str | None, str] = {None: ""}
        self.tracker = IntervalTracker(info.cpus, self._write, _ignore_cpu, self._learn)

    def _learn(self, name: str, process: str) -> None:
        self.process_of.setdefault(name, process)

    def __call__(self, event: TraceEvent) -> None:
        self.tracker(event)

    def _write(self, name: str, start: int, end: int, state: State, cpu: int | None, reason: str | None) -> None:
        # A row per interval, a million in a long run: the text of names, states and reasons is made once.
        cells = self._cells.get(name)
        if cells is None:
            cells = self._cells[name] = (csv_cell(name), csv_cell(self.process_of[name]))
        reason_cell = self._reasons.get(reason)
        if reason_cell is None:
            reason_cell = self._reasons[reason] = csv_cell(reason or "")
        unit = self.unit
        self.writerow((cells[0], cells[1], "" if cpu is None else cpu, _STATE_TEXT[state], format_time(start, unit),
                       format_time(end, unit), reason_cell))  # fmt: skip

    def close(self, metrics: RunMetrics) -> None:
        self.tracker.finish(metrics.end_time)
