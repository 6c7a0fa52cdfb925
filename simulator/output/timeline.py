"""`--timeline PATH`: the registry of timeline formats, each chosen by the file's extension (SPEC section 6).

Each writer is a trace listener: opened before the run, called with every event, and closed after the run
with its metrics. Writers stream: what they keep in memory does not grow with the length of the run (the
text chart and the SVG/HTML charts keep a bounded summary; see each module).

`TIMELINE_FORMATS` is the one list of formats: the extension matching, the CLI's `--timeline` help and the
error for an unknown extension are all derived from it. To add a format, write a module with a writer class
taking `(stream, info)` (see `simulator.output.writer`) and add one line here, naming it by `module:name`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import attrs

from simulator.output.files import OutputError, TimelineFile
from simulator.output.writer import TimelineInfo, TimelineWriter

if TYPE_CHECKING:
    from simulator.analysis.metrics import RunMetrics
    from simulator.trace import TraceEvent

__all__ = [
    "TIMELINE_FORMATS",
    "OutputError",
    "TimelineFormat",
    "TimelineInfo",
    "TimelineSink",
    "TimelineWriter",
    "commit_all",
    "discard_all",
    "open_timeline",
    "open_timelines",
    "timeline_format",
    "timeline_help",
]


@attrs.frozen
class TimelineFormat:
    """A timeline format: the extension that selects it, what it is (one line), and where its writer's factory
    is, as `module:name`: the module is imported only when a file of this format is opened, so that the help
    and a run without timelines do not import every writer."""

    extension: str
    description: str
    writer_path: str

    @property
    def writer(self) -> Callable[[IO[str], TimelineInfo], TimelineWriter]:
        """The writer's factory, taking `(stream, info)` (imports its module on first use)."""
        module, _, name = self.writer_path.partition(":")
        factory: Callable[[IO[str], TimelineInfo], TimelineWriter] = getattr(importlib.import_module(module), name)
        return factory


#: Every timeline format, in the order the help and the error message list them.
TIMELINE_FORMATS: tuple[TimelineFormat, ...] = (
    TimelineFormat(
        ".trace.json",
        "Chrome trace for Perfetto UI and chrome://tracing",
        "simulator.output.chrome_trace:ChromeTraceWriter",
    ),  # fmt: skip
    TimelineFormat(".jsonl", "event log, one JSON object per event", "simulator.output.event_log:EventLogWriter"),
    TimelineFormat(".csv", "one row per thread state interval", "simulator.output.csv_timeline:CsvWriter"),
    TimelineFormat(".svg", "standalone Gantt chart", "simulator.output.svg_chart:SvgChartWriter"),
    TimelineFormat(".html", "Gantt chart page with tooltips and zoom", "simulator.output.html_chart:HtmlChartWriter"),
    TimelineFormat(".txt", "text Gantt chart", "simulator.output.gantt:GanttTextWriter"),
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


class TimelineSink:
    """A writer bound to its file: the trace listener a run is given. Write errors become OutputError."""

    def __init__(self, file: TimelineFile, writer: TimelineWriter) -> None:
        self.file = file
        self.writer = writer

    def __call__(self, event: TraceEvent) -> None:
        try:
            self.writer(event)
        except OSError as error:
            raise self.file.error(error) from None

    def finish(self, metrics: RunMetrics) -> None:
        """Let the writer write its end (into the temporary file), then close the file; not yet renamed."""
        try:
            self.writer.close(metrics)
        except OSError as error:
            raise self.file.error(error) from None
        self.file.finish()

    def close(self, metrics: RunMetrics) -> None:
        """Finish and rename into place: the file appears whole (for one timeline; see commit_all for several)."""
        try:
            self.finish(metrics)
            self.file.commit()
        except BaseException:
            self.file.discard()
            raise


def open_timeline(path: str, info: TimelineInfo) -> TimelineSink:
    """Open a writer for `path`, writing into a temporary file beside it (see `simulator.output.files`).

    Raises ValueError for an unknown format, OSError if the file can't be created. The file appears at
    `path` only when it is complete: through its `close(metrics)`, or `commit_all` for several at once.
    """
    entry = find_format(path)
    try:
        file = TimelineFile(path)
    except OSError as error:  # name the user's path, not the temporary file's
        raise OSError(error.errno, error.strerror, path) from None
    try:
        return TimelineSink(file, entry.writer(file.stream, info))
    except OSError as error:
        file.discard()
        raise file.error(error) from None
    except BaseException:
        file.discard()
        raise


def open_timelines(paths: Sequence[str], info: TimelineInfo) -> list[TimelineSink]:
    """Open every path (see open_timeline); if one fails, the ones already open are discarded."""
    sinks: list[TimelineSink] = []
    try:
        for path in paths:
            sinks.append(open_timeline(path, info))
    except BaseException:
        discard_all(sinks)
        raise
    return sinks


def commit_all(sinks: Sequence[TimelineSink], metrics: RunMetrics) -> None:
    """Finish every timeline, then rename each into place: every file is written, or none is changed.

    Raises OutputError (after discarding every temporary file) if one can't be written.
    """
    try:
        for sink in sinks:
            sink.finish(metrics)
        for sink in sinks:
            sink.file.commit()
    except BaseException:
        discard_all(sinks)
        raise


def discard_all(sinks: Sequence[TimelineSink]) -> None:
    """Remove the temporary file of every timeline not yet renamed into place (after an error or Ctrl-C)."""
    for sink in sinks:
        sink.file.discard()
