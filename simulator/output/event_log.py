"""`.jsonl`: the event log, one JSON object per event, written as the run goes."""

from __future__ import annotations

import json
from typing import IO

from simulator.metrics import RunMetrics
from simulator.output.timeline import TimelineInfo
from simulator.timeunits import from_ns
from simulator.trace import TraceEvent

#: Detail keys whose values are times (ns inside, the scenario's unit in files).
TIME_DETAILS = frozenset({"duration", "remaining"})


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


class EventLogWriter:
    """Writes each event as one line of compact JSON; keeps nothing in memory."""

    def __init__(self, stream: IO[str], info: TimelineInfo) -> None:
        self.stream = stream
        self.unit = info.time_unit

    def __call__(self, event: TraceEvent) -> None:
        self.stream.write(json.dumps(event_record(event, self.unit), separators=(",", ":")) + "\n")

    def close(self, metrics: RunMetrics) -> None:
        self.stream.close()
