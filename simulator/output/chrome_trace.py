"""`.trace.json`: the Chrome trace event format (JSON object form), which Perfetto UI and chrome://tracing open.

Tracks: a "CPUs" process (pid 1) with a track per CPU (tid = CPU index + 1) showing who ran; then a process
per simulated process (pid 2, 3, ...) with a track per thread (tid = its declaration index + 1) showing
its states as slices (`ph: "X"`): running, ready, blocked (with the reason), sleeping, switching.
Every other event of a thread (wake-ups, lock, unlock and hand-offs, condition waits and timeouts, memory
accesses, GIL steps, and whatever synchronization step the model reports) is a thread-scoped instant event
(`ph: "i"`, `s: "t"`) named after the event and its object or variable (`lock m`, `store counter`), with
the event's details as `args`; violations are global instant events (`s: "g"`). Times (`ts`, `dur`) are
in microseconds, as the format requires, exact to the nanosecond (three decimals) at any size. Events
are written as their slices end: viewers sort them. Threads of a second forked instance get their
tracks when they start.
"""

from __future__ import annotations

import json
from typing import IO

from simulator import __version__
from simulator.analysis.metrics import RunMetrics
from simulator.output.event_log import event_details
from simulator.output.numbers import Number, dumps, time_number
from simulator.output.recorder import IntervalTracker
from simulator.output.writer import TimelineInfo
from simulator.states import State
from simulator.timeunits import format_time
from simulator.trace import EVENT_STATE, TraceEvent

#: Events that are not instants: state changes are slices (except `wake`, also marked as an instant), and
#: violations are written once, as global instants, at the end.
_NOT_INSTANTS = frozenset(EVENT_STATE) - {"wake"} | {"violation"}
#: pid and tid 0 are avoided: trace viewers treat them as the kernel's idle task.
CPU_PID = 1


def micros(ns: int) -> Number:
    """ns as exact microseconds (at any size)."""
    return time_number(ns, "us")


def micros_text(ns: int) -> str:
    """The JSON text of `micros(ns)`: its exact decimal digits (as `numbers.dumps` writes each kind of Number)."""
    return format_time(ns, "us")


def _slice_parts(name: str, category: str, pid: int, tid: int, args: dict[str, object]) -> tuple[str, str]:
    """A slice record's JSON text before its `ts` value and after its `dur` value."""
    head = dumps({"name": name, "cat": category, "ph": "X", "ts": 0}, separators=(",", ":"))
    tail = dumps({"pid": pid, "tid": tid, "args": args}, separators=(",", ":"))
    return head[:-2], "," + tail[1:]


class ChromeTraceWriter:
    """Streams a Chrome trace: metadata first, then slices and instants as they happen."""

    def __init__(self, stream: IO[str], info: TimelineInfo) -> None:
        self.stream = stream
        self.info = info
        self.pid = {process: index + 2 for index, process in enumerate(info.processes)}
        self.tid = {name: index + 1 for index, (name, _) in enumerate(info.threads)}
        self.process_of = dict(info.threads)
        self.first = True
        header = {
            "displayTimeUnit": "ns" if info.time_unit in ("ns", "us") else "ms",
            "otherData": {"generator": f"threadsim {__version__}", "scenario": info.scenario,
                          "time_unit": info.time_unit, "run": info.header},
        }  # fmt: skip
        stream.write(json.dumps(header, separators=(",", ":"))[:-1] + ',"traceEvents":[\n')
        self._metadata()
        #: The text around a slice's times, by (thread, state, reason, cpu) and by (cpu, state, thread); the
        #: end of a wake-up instant, by thread.
        self._thread_parts: dict[tuple[str, State, str | None, int | None], tuple[str, str]] = {}
        self._cpu_parts: dict[tuple[int, State, str], tuple[str, str]] = {}
        self._ids: dict[str, str] = {}
        self.tracker = IntervalTracker(info.cpus, self._thread_slice, self._cpu_slice, self._new_thread)

    def _emit(self, record: dict[str, object]) -> None:
        prefix = "" if self.first else ",\n"
        self.first = False
        self.stream.write(prefix + dumps(record, separators=(",", ":")))

    def _metadata(self) -> None:
        self._emit({"name": "process_name", "ph": "M", "pid": CPU_PID, "args": {"name": "CPUs"}})
        self._emit({"name": "process_sort_index", "ph": "M", "pid": CPU_PID, "args": {"sort_index": CPU_PID}})
        for cpu in range(self.info.cpus):
            tid = cpu + 1
            self._emit({"name": "thread_name", "ph": "M", "pid": CPU_PID, "tid": tid, "args": {"name": f"CPU{cpu}"}})
            self._emit({"name": "thread_sort_index", "ph": "M", "pid": CPU_PID, "tid": tid,
                        "args": {"sort_index": tid}})  # fmt: skip
        for process, pid in self.pid.items():
            self._emit({"name": "process_name", "ph": "M", "pid": pid, "args": {"name": process}})
            self._emit({"name": "process_sort_index", "ph": "M", "pid": pid, "args": {"sort_index": pid}})
        for name, process in self.info.threads:
            tid = self.tid[name]
            self._emit({"name": "thread_name", "ph": "M", "pid": self.pid[process], "tid": tid, "args": {"name": name}})
            self._emit({"name": "thread_sort_index", "ph": "M", "pid": self.pid[process], "tid": tid,
                        "args": {"sort_index": tid}})  # fmt: skip

    def __call__(self, event: TraceEvent) -> None:
        self.tracker(event)
        kind, name = event.event, event.thread
        if name is None or kind in _NOT_INSTANTS or name not in self.tid:
            return
        if kind == "wake":  # the common instant, written directly: the bytes of the record below
            ids = self._ids.get(name)
            if ids is None:
                ids = self._ids[name] = f',"pid":{self.pid[self.process_of[name]]},"tid":{self.tid[name]}}}'
            self._write_record(f'{{"name":"wake","cat":"thread","ph":"i","s":"t","ts":{micros_text(event.time)}{ids}')
            return
        record: dict[str, object] = {"name": kind, "cat": "thread", "ph": "i", "s": "t", "ts": micros(event.time),
                                     "pid": self.pid[self.process_of[name]], "tid": self.tid[name]}  # fmt: skip
        if kind == "handoff":
            details = dict(event.details)
            record["name"] = f"handoff of {details['object']}"
            record["args"] = {"object": details["object"], "from": details["from"]}
        else:
            details = event_details(event, self.info.time_unit)
            subject = details.get("object", details.get("var"))
            if subject is not None:
                record["name"] = f"{kind} {subject}"
            if details:
                record["args"] = details
        self._emit(record)

    def _new_thread(self, name: str, process: str) -> None:
        """A thread of a second forked instance: give it (and its process instance) a track."""
        if name in self.tid:
            return
        if process not in self.pid:
            self.pid[process] = len(self.pid) + 2
            self._emit({"name": "process_name", "ph": "M", "pid": self.pid[process], "args": {"name": process}})
        self.process_of[name] = process
        self.tid[name] = len(self.tid) + 1
        self._emit({"name": "thread_name", "ph": "M", "pid": self.pid[process], "tid": self.tid[name],
                    "args": {"name": name}})  # fmt: skip

    # Slices are most of a trace (one per interval): each is written as the bytes `_emit` would write for its
    # record (keys in the same order, times as exact decimals), with the text around the times made once
    # per thread and state (and reason and CPU) or CPU and thread.

    def _thread_slice(self, name: str, start: int, end: int, state: State, cpu: int | None, reason: str | None) -> None:
        key = (name, state, reason, cpu)
        parts = self._thread_parts.get(key)
        if parts is None:
            args: dict[str, object] = {}
            if reason:
                args["reason"] = reason
            if cpu is not None:
                args["cpu"] = cpu
            label = str(state)
            if state is State.BLOCKED and reason:
                label = f"blocked: {reason}"
            parts = self._thread_parts[key] = _slice_parts(label, str(state), self.pid[self.process_of[name]],
                                                           self.tid[name], args)  # fmt: skip
        self._write_record(f'{parts[0]}{micros_text(start)},"dur":{micros_text(end - start)}{parts[1]}')

    def _cpu_slice(self, cpu: int, start: int, end: int, state: State, thread: str) -> None:
        name = thread or "?"
        key = (cpu, state, name)
        parts = self._cpu_parts.get(key)
        if parts is None:
            switching = state is State.SWITCHING
            parts = _slice_parts(f"switch to {name}" if switching else name, str(state), CPU_PID, cpu + 1,
                                 {"thread": name, "process": self.process_of.get(name, "")})  # fmt: skip
            if name in self.process_of:  # known now for good (a thread's process is learned when it starts)
                self._cpu_parts[key] = parts
        self._write_record(f'{parts[0]}{micros_text(start)},"dur":{micros_text(end - start)}{parts[1]}')

    def _write_record(self, text: str) -> None:
        """What `_emit` writes for a record whose JSON text is `text`."""
        if self.first:
            self.first = False
            self.stream.write(text)
        else:
            self.stream.write(",\n" + text)

    def close(self, metrics: RunMetrics) -> None:
        self.tracker.finish(metrics.end_time)
        for violation in metrics.violations:
            self._emit({"name": violation.kind, "cat": "violation", "ph": "i", "s": "g",
                        "ts": micros(violation.time), "pid": CPU_PID, "tid": 1,
                        "args": {"message": violation.message, "thread": violation.thread}})  # fmt: skip
        self.stream.write("\n]}\n")
