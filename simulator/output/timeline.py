"""`--timeline PATH`: the registry of timeline formats, each chosen by the file's extension (SPEC section 6).

Each writer is a trace listener: opened before the run, called with every event, and closed after the run
with its metrics. Writers stream: what they keep in memory does not grow with the length of the run (the
text chart and the SVG/HTML charts keep a bounded summary; see each module).

`TIMELINE_FORMATS` is the one list of formats: the extension matching, the CLI's `--timeline` help and the
error for an unknown extension are all derived from it. To add a format, write a module with a writer class
taking `(stream, info)` (see `simulator.output.writer`) and add one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO

import attrs

from simulator.output.chrome_trace import ChromeTraceWriter
from simulator.output.csv_timeline import CsvWriter
from simulator.output.event_log import EventLogWriter
from simulator.output.gantt import GanttTextWriter
from simulator.output.html_chart import HtmlChartWriter
from simulator.output.svg_chart import SvgChartWriter
from simulator.output.writer import TimelineInfo, TimelineWriter

__all__ = ["TIMELINE_FORMATS", "TimelineFormat", "TimelineInfo", "TimelineWriter", "open_timeline",
           "timeline_format", "timeline_help"]  # fmt: skip


@attrs.frozen
class TimelineFormat:
    """A timeline format: the extension that selects it, what it is (one line), and its writer's factory."""

    extension: str
    description: str
    writer: Callable[[IO[str], TimelineInfo], TimelineWriter]


#: Every timeline format, in the order the help and the error message list them.
TIMELINE_FORMATS: tuple[TimelineFormat, ...] = (
    TimelineFormat(".trace.json", "Chrome trace for Perfetto UI and chrome://tracing", ChromeTraceWriter),
    TimelineFormat(".jsonl", "event log, one JSON object per event", EventLogWriter),
    TimelineFormat(".csv", "one row per thread state interval", CsvWriter),
    TimelineFormat(".svg", "standalone Gantt chart", SvgChartWriter),
    TimelineFormat(".html", "Gantt chart page with tooltips and zoom", HtmlChartWriter),
    TimelineFormat(".txt", "text Gantt chart", GanttTextWriter),
)

#: Known extensions, in the registry's order.
FORMATS = tuple(entry.extension for entry in TIMELINE_FORMATS)
#: Longest extension first, so that `.trace.json` is matched before any shorter suffix such as `.json`.
_BY_LENGTH = sorted(TIMELINE_FORMATS, key=lambda entry: -len(entry.extension))


def find_format(path: str) -> TimelineFormat:
    """The format that `path`'s extension selects (case-insensitive). Raises ValueError for an unknown one."""
    name = Path(path).name.lower()
    for entry in _BY_LENGTH:
        if name.endswith(entry.extension):
            return entry
    raise ValueError(f"cannot tell the timeline format of {path!r}: use one of {', '.join(FORMATS)}")


def timeline_format(path: str) -> str:
    """The extension that selects `path`'s format. Raises ValueError for an unknown one."""
    return find_format(path).extension


def timeline_help() -> str:
    """The CLI's help for `--timeline`, listing every format."""
    listed = ", ".join(f"{entry.extension} ({entry.description})" for entry in TIMELINE_FORMATS)
    return f"Write a timeline file; its extension picks the format: {listed}. Repeatable."


def open_timeline(path: str, info: TimelineInfo) -> TimelineWriter:
    """Open a writer for `path`. Raises ValueError for an unknown format, OSError if it can't be written."""
    entry = find_format(path)
    stream = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - the writer closes it
    return entry.writer(stream, info)
