"""`.jsonl`: the event log, one JSON object per event, written as the run goes."""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import IO

from simulator.analysis.metrics import RunMetrics
from simulator.output.numbers import dumps, time_number
from simulator.output.writer import TimelineInfo
from simulator.states import State
from simulator.timeunits import NS_PER_UNIT, format_time
from simulator.trace import EVENT_STATE, TraceEvent

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
#: The JSON text of the state after each event kind (`null` for kinds not listed).
_EVENT_STATE_JSON: dict[str, str] = {kind: _STATE_JSON[state] for kind, state in EVENT_STATE.items()}


class EventLogWriter:
    """Writes each event as one line of compact JSON; keeps nothing in memory but a cache of encoded names.

    The line is assembled directly (the same bytes `numbers.dumps(event_record(...), separators=(",", ":"))`
    gives, which a test checks): the event log of a long run is written once per event, and json.dumps
    per line was most of its cost. So are the details, when every key is a distinct string and every value
    a string, an int, None or a time (json.dumps of the rest: lists, floats, booleans).
    """

    def __init__(self, stream: IO[str], info: TimelineInfo) -> None:
        self.stream = stream
        self.write = stream.write
        self.unit = info.time_unit
        self.per_unit = NS_PER_UNIT[info.time_unit]
        # Separate caches: State.READY == 1 would find CPU 1's entry in a shared one.
        self._names: dict[str | None, str] = {None: "null"}
        self._cpus: dict[int | None, str] = {None: "null"}
        #: Each detail key's `"key":`, and each event kind's `"event":"kind","state":...`.
        self._keys: dict[str, str] = {}
        self._kinds: dict[str, str] = {}

    def __call__(self, event: TraceEvent) -> None:
        now = event.time
        time = now // self.per_unit if not now % self.per_unit else format_time(now, self.unit)
        names = self._names
        thread = names.get(event.thread)
        if thread is None:
            thread = names[event.thread] = json.dumps(event.thread)
        kind = self._kinds.get(event.event)
        if kind is None:
            kind = self._kinds[event.event] = (f'"event":{json.dumps(event.event)},'
                                               f'"state":{_EVENT_STATE_JSON.get(event.event, "null")}')  # fmt: skip
        cpu = self._cpus.get(event.cpu)
        if cpu is None:
            cpu = self._cpus[event.cpu] = json.dumps(event.cpu)
        details = self._details(event) if event.details else "{}"
        self.write(f'{{"time":{time},"cpu":{cpu},"thread":{thread},{kind},"details":{details}}}\n')

    def _details(self, event: TraceEvent) -> str:
        """The details' JSON text: assembled here for strings, ints, None and times, else json.dumps."""
        parts = []
        keys = self._keys
        for key, value in event.details:
            prefix = keys.get(key)
            if prefix is None:
                if type(key) is not str:
                    return self._dumped(event)
                prefix = keys[key] = encode_basestring_ascii(key) + ":"
            kind = type(value)
            if key in TIME_DETAILS and isinstance(value, int):
                # time_number's JSON text is the exact decimal (an int, a float whose repr it is, or a Decimal).
                parts.append(prefix + format_time(value, self.unit))
            elif isinstance(value, str) and kind is str:
                parts.append(prefix + encode_basestring_ascii(value))
            elif kind is int:
                parts.append(prefix + int.__repr__(value))
            elif value is None:
                parts.append(prefix + "null")
            else:
                return self._dumped(event)
        if len(parts) > 1 and len({key for key, _ in event.details}) < len(parts):
            return self._dumped(event)  # a repeated key: the dict keeps the last value, at the first place
        return "{" + ",".join(parts) + "}"

    def _dumped(self, event: TraceEvent) -> str:
        return dumps(event_details(event, self.unit), separators=(",", ":"))

    def close(self, metrics: RunMetrics) -> None:
        """Nothing to add at the end: every line is written already (the stream stays open)."""
