"""`.jsonl`: the event log, one JSON object per event, written as the run goes."""

from __future__ import annotations

import json
from typing import IO

from simulator.analysis.metrics import RunMetrics
from simulator.output.numbers import dumps, time_number
from simulator.output.writer import TimelineInfo
from simulator.states import State
from simulator.timeunits import NS_PER_UNIT, format_time
from simulator.trace import TraceEvent

#: Detail keys whose values are times (ns inside, the scenario's unit in files).
TIME_DETAILS = frozenset({"duration", "remaining"})


def event_record(event: TraceEvent, unit: str) -> dict[str, object]:
    """An event as the event log writes it."""
    state = event.state
    return {
        "time": time_number(event.time, unit),
        "cpu": event.cpu,
        "thread": event.thread,
        "event": event.event,
        "state": None if state is None else str(state),
        "details": event_details(event, unit),
    }


def event_details(event: TraceEvent, unit: str) -> dict[str, object]:
    """An event's details as a dict, times in `unit` (exact)."""
    return {key: time_number(value, unit) if key in TIME_DETAILS and isinstance(value, int) else value
            for key, value in event.details}  # fmt: skip


#: The JSON text of each state name (and of no state).
_STATE_JSON: dict[State | None, str] = {None: "null", **{state: json.dumps(str(state)) for state in State}}


class EventLogWriter:
    """Writes each event as one line of compact JSON; keeps nothing in memory but a cache of encoded names.

    The line is assembled directly (the same bytes `numbers.dumps(event_record(...), separators=(",", ":"))`
    gives, which a test checks): the event log of a long run is written once per event, and json.dumps
    per line was most of its cost.
    """

    def __init__(self, stream: IO[str], info: TimelineInfo) -> None:
        self.stream = stream
        self.unit = info.time_unit
        self.per_unit = NS_PER_UNIT[info.time_unit]
        # Separate caches: State.READY == 1 would find CPU 1's entry in a shared one.
        self._names: dict[str | None, str] = {None: "null"}
        self._cpus: dict[int | None, str] = {None: "null"}

    def __call__(self, event: TraceEvent) -> None:
        whole, rest = divmod(event.time, self.per_unit)
        time = whole if not rest else format_time(event.time, self.unit)
        thread = self._names.get(event.thread)
        if thread is None:
            thread = self._names[event.thread] = json.dumps(event.thread)
        name = self._names.get(event.event)
        if name is None:
            name = self._names[event.event] = json.dumps(event.event)
        cpu = self._cpus.get(event.cpu)
        if cpu is None:
            cpu = self._cpus[event.cpu] = json.dumps(event.cpu)
        details = dumps(event_details(event, self.unit), separators=(",", ":")) if event.details else "{}"
        self.stream.write(f'{{"time":{time},"cpu":{cpu},"thread":{thread},"event":{name},'
                          f'"state":{_STATE_JSON[event.state]},"details":{details}}}\n')  # fmt: skip

    def close(self, metrics: RunMetrics) -> None:
        """Nothing to add at the end: every line is written already (the stream stays open)."""
