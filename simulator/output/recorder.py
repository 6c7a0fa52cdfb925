"""Turn the stream of trace events into state intervals per thread and per CPU.

`IntervalTracker` hands each interval to a sink as soon as it closes, so that timeline writers can stream;
`IntervalRecorder` keeps them in lists (for the text Gantt chart, which needs them all at the end).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from simulator.states import State
from simulator.trace import EVENT_STATE, TraceEvent

_ON_CPU = (State.RUNNING, State.SWITCHING)
_READY_REASONS = {"arrive": "arrival", "preempt": "preempted", "delay": "delayed", "yield": "yield", "wake": "wakeup"}


@attrs.frozen
class Interval:
    """[start, end) in ns in `state`. `cpu` for on-CPU states; `thread` names who ran, on CPU lanes.

    `reason` says why: for ready, what made the thread ready (arrival, preempted, delayed, yield, wakeup); for blocked,
    what it waits for; for switching, the thread switched from.
    """

    start: int
    end: int
    state: State
    cpu: int | None = None
    thread: str | None = None
    reason: str | None = None


IntervalSink = Callable[[str, Interval], None]
CpuIntervalSink = Callable[[int, Interval], None]


def _reason(event: TraceEvent, state: State) -> str | None:
    if state is State.READY:
        return _READY_REASONS.get(event.event)
    details = dict(event.details)
    if state is State.BLOCKED and "device" in details:
        return f"I/O on {details['device']}"
    if state is State.BLOCKED and "reason" in details:
        return str(details["reason"])
    if state is State.SWITCHING and "from" in details:
        return f"switch from {details['from']}"
    if state is State.SLEEPING:
        return "sleep"
    return None


class IntervalTracker:
    """A trace listener that calls `on_thread(name, interval)` and `on_cpu(cpu, interval)` as intervals close.

    Memory stays proportional to the number of threads and CPUs, not to the length of the run.
    Call `finish(end)` after the run to close what is still open.
    """

    def __init__(self, cpus: int, on_thread: IntervalSink, on_cpu: CpuIntervalSink,
                 on_arrive: Callable[[str, str], None] | None = None) -> None:  # fmt: skip
        self.cpus = cpus
        self.on_thread = on_thread
        self.on_cpu = on_cpu
        #: Called with (thread, process) when a thread arrives: threads of a second forked instance are not
        #: declared in the scenario, so writers learn of them here.
        self.on_arrive = on_arrive
        self._open: dict[str, tuple[int, State, int | None, str | None]] = {}
        self._cpu_open: list[tuple[int, State, str] | None] = [None] * cpus

    def __call__(self, event: TraceEvent) -> None:
        state = EVENT_STATE.get(event.event)
        name = event.thread
        if state is None or name is None:
            return
        now = event.time
        if event.event == "arrive" and self.on_arrive is not None:
            self.on_arrive(name, str(dict(event.details).get("process", name)))
        self._close_thread(name, now)
        if state is not State.DONE:
            cpu = event.cpu if state in _ON_CPU else None
            self._open[name] = (now, state, cpu, _reason(event, state))
        if event.cpu is None:
            return
        self._close_cpu(event.cpu, now)
        if state in _ON_CPU:
            self._cpu_open[event.cpu] = (now, state, name)

    def finish(self, end: int) -> None:
        """Close every open interval at `end` (the end of the run)."""
        for name in list(self._open):
            self._close_thread(name, end)
        for cpu in range(self.cpus):
            self._close_cpu(cpu, end)

    def _close_thread(self, name: str, now: int) -> None:
        opened = self._open.pop(name, None)
        if opened is not None and opened[0] < now:
            start, state, cpu, reason = opened
            self.on_thread(name, Interval(start, now, state, cpu, reason=reason))

    def _close_cpu(self, cpu: int, now: int) -> None:
        opened = self._cpu_open[cpu]
        self._cpu_open[cpu] = None
        if opened is not None and opened[0] < now:
            start, state, name = opened
            self.on_cpu(cpu, Interval(start, now, state, cpu, name))


class IntervalRecorder(IntervalTracker):
    """An IntervalTracker that keeps every interval: `threads[name]` and `cpu_rows[cpu]`."""

    def __init__(self, thread_names: Sequence[str], cpus: int) -> None:
        self.thread_names = list(thread_names)
        self.threads: dict[str, list[Interval]] = {name: [] for name in thread_names}
        self.cpu_rows: list[list[Interval]] = [[] for _ in range(cpus)]
        super().__init__(
            cpus,
            lambda name, interval: self.threads[name].append(interval),
            lambda cpu, interval: self.cpu_rows[cpu].append(interval),
            self._learn,
        )

    def _learn(self, name: str, process: str) -> None:
        if name not in self.threads:
            self.thread_names.append(name)
            self.threads[name] = []
