"""`--timeline PATH`: timeline files, their format chosen by the file's extension (SPEC section 6).

Each writer is a trace listener: opened before the run, called with every event, and closed after the run
with its metrics. Writers stream: what they keep in memory does not grow with the length of the run (the
text chart and the SVG/HTML charts keep a bounded summary; see each module).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

import attrs

from simulator.analysis.metrics import RunMetrics
from simulator.trace import TraceEvent


@attrs.frozen
class TimelineInfo:
    """What a timeline writer knows before the run: the scenario's shape."""

    scenario: str
    time_unit: str
    cpus: int
    #: (thread, process) pairs in declaration order.
    threads: tuple[tuple[str, str], ...]
    width: int = 80
    header: str = ""

    @property
    def thread_names(self) -> list[str]:
        """Thread names in declaration order."""
        return [name for name, _ in self.threads]

    @property
    def processes(self) -> list[str]:
        """Process names in order of first appearance."""
        return list(dict.fromkeys(process for _, process in self.threads))


class TimelineWriter(Protocol):
    """A timeline format: receives every trace event, then `close` with the run's metrics."""

    def __call__(self, event: TraceEvent) -> None: ...

    def close(self, metrics: RunMetrics) -> None: ...


def _formats() -> dict[str, Callable[[IO[str], TimelineInfo], TimelineWriter]]:
    # Imported here: each format module imports this one for TimelineInfo.
    from simulator.output.chrome_trace import ChromeTraceWriter
    from simulator.output.csv_timeline import CsvWriter
    from simulator.output.event_log import EventLogWriter
    from simulator.output.gantt import GanttTextWriter
    from simulator.output.html_chart import HtmlChartWriter
    from simulator.output.svg_chart import SvgChartWriter

    return {
        ".trace.json": ChromeTraceWriter,
        ".jsonl": EventLogWriter,
        ".csv": CsvWriter,
        ".svg": SvgChartWriter,
        ".html": HtmlChartWriter,
        ".txt": GanttTextWriter,
    }


#: Known extensions, longest first so that `.trace.json` is matched before any shorter suffix.
FORMATS = (".trace.json", ".jsonl", ".csv", ".svg", ".html", ".txt")


def timeline_format(path: str) -> str:
    """The extension that selects `path`'s format. Raises ValueError for an unknown one."""
    name = Path(path).name.lower()
    for extension in FORMATS:
        if name.endswith(extension):
            return extension
    raise ValueError(f"cannot tell the timeline format of {path!r}: use one of {', '.join(FORMATS)}")


def open_timeline(path: str, info: TimelineInfo) -> TimelineWriter:
    """Open a writer for `path`. Raises ValueError for an unknown format, OSError if it can't be written."""
    extension = timeline_format(path)
    stream = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - the writer closes it
    return _formats()[extension](stream, info)
