"""Turn the stream of trace events into state intervals per thread and per CPU (for Gantt charts)."""

from __future__ import annotations

import attrs

from simulator.threads import State
from simulator.trace import EVENT_STATE, TraceEvent

_ON_CPU = (State.RUNNING, State.SWITCHING)


@attrs.frozen
class Interval:
    """[start, end) in ns, in `state`; `cpu` for on-CPU states; `thread` on CPU rows."""

    start: int
    end: int
    state: State
    cpu: int | None = None
    thread: str | None = None


class IntervalRecorder:
    """A trace listener that records each thread's and each CPU's intervals. Call `finish(end)` last."""

    def __init__(self, thread_names: list[str], cpus: int) -> None:
        self.thread_names = list(thread_names)
        self.cpus = cpus
        self.threads: dict[str, list[Interval]] = {name: [] for name in thread_names}
        self.cpu_rows: list[list[Interval]] = [[] for _ in range(cpus)]
        self._open: dict[str, tuple[int, State, int | None]] = {}
        self._cpu_open: list[tuple[int, State, str] | None] = [None] * cpus

    def __call__(self, event: TraceEvent) -> None:
        state = EVENT_STATE.get(event.event)
        name = event.thread
        if state is None or name is None:
            return
        now = event.time
        self._close_thread(name, now)
        if state is not State.DONE:
            self._open[name] = (now, state, event.cpu if state in _ON_CPU else None)
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
            start, state, cpu = opened
            self.threads[name].append(Interval(start, now, state, cpu))

    def _close_cpu(self, cpu: int, now: int) -> None:
        opened = self._cpu_open[cpu]
        self._cpu_open[cpu] = None
        if opened is not None and opened[0] < now:
            start, state, name = opened
            self.cpu_rows[cpu].append(Interval(start, now, state, cpu, name))
