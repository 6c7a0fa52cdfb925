"""`--timeline PATH`: timeline files, their format chosen by the file's extension (SPEC section 6).

Each writer is a trace listener that is opened before the run and closed after it, so that formats which
can stream (the `.jsonl` event log) write each event as it happens and keep memory flat.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Protocol

from simulator.metrics import RunMetrics
from simulator.output.gantt import render_gantt
from simulator.output.recorder import IntervalRecorder
from simulator.timeunits import from_ns
from simulator.trace import TraceEvent

#: Detail keys whose values are times (ns inside, the scenario's unit in files).
TIME_DETAILS = frozenset({"duration", "remaining"})


class TimelineWriter(Protocol):
    """A timeline format: receives every trace event, then `close` with the run's metrics."""

    def __call__(self, event: TraceEvent) -> None: ...

    def close(self, metrics: RunMetrics) -> None: ...


class EventLogWriter:
    """`.jsonl`: one JSON object per event, written as the run goes."""

    def __init__(self, stream: IO[str], unit: str) -> None:
        self.stream = stream
        self.unit = unit

    def __call__(self, event: TraceEvent) -> None:
        self.stream.write(json.dumps(event_record(event, self.unit), separators=(",", ":")) + "\n")

    def close(self, metrics: RunMetrics) -> None:
        self.stream.close()


def event_record(event: TraceEvent, unit: str) -> dict[str, object]:
    """An event as the event log writes it."""
    state = event.state
    details = {key: from_ns(value, unit) if key in TIME_DETAILS and isinstance(value, int) else value
               for key, value in event.details}  # fmt: skip
    return {
        "time": from_ns(event.time, unit),
        "cpu": event.cpu,
        "thread": event.thread,
        "event": event.event,
        "state": None if state is None else str(state),
        "details": details,
    }


class GanttTextWriter:
    """`.txt`: the text Gantt chart alone."""

    def __init__(self, stream: IO[str], recorder: IntervalRecorder, width: int) -> None:
        self.stream = stream
        self.recorder = recorder
        self.width = width

    def __call__(self, event: TraceEvent) -> None:
        self.recorder(event)

    def close(self, metrics: RunMetrics) -> None:
        self.recorder.finish(metrics.end_time)
        self.stream.write("\n".join(render_gantt(self.recorder, metrics.end_time, metrics.time_unit,
                                                 self.width)) + "\n")  # fmt: skip
        self.stream.close()


#: Known extensions, longest first so that `.trace.json` can later win over `.json`.
FORMATS = (".jsonl", ".txt")


def timeline_format(path: str) -> str:
    """The extension that selects `path`'s format. Raises ValueError for an unknown one."""
    name = Path(path).name.lower()
    for extension in FORMATS:
        if name.endswith(extension):
            return extension
    raise ValueError(f"cannot tell the timeline format of {path!r}: use one of {', '.join(FORMATS)}")


def open_timeline(path: str, *, unit: str, thread_names: list[str], cpus: int, width: int) -> TimelineWriter:
    """Open a writer for `path`. Raises ValueError for an unknown format, OSError if it can't be written."""
    extension = timeline_format(path)
    stream = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed by the writer
    if extension == ".jsonl":
        return EventLogWriter(stream, unit)
    return GanttTextWriter(stream, IntervalRecorder(thread_names, cpus), width)
