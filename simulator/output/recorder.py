"""Turn the stream of trace events into state intervals per thread and per CPU.

`IntervalTracker` hands each interval to a sink as soon as it closes, so that timeline writers can stream;
`IntervalRecorder` keeps them in lists (for the text Gantt chart, which needs them all at the end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import overload

import attrs

from simulator.states import State
from simulator.trace import EVENT_STATE, TraceEvent

_READY_REASONS = {"arrive": "arrival", "preempt": "preempted", "delay": "delayed", "yield": "yield", "wake": "wakeup"}


# Not frozen, for the reason TraceEvent is not (simulator.trace): a run closes an interval at nearly every
# trace event, and a frozen class's fields cost three times as much to set. Read-only by convention.
@attrs.define(slots=True, frozen=False, unsafe_hash=True)
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


#: Called with (thread, start, end, state, cpu, reason) as a thread's interval closes: the fields of its
#: Interval, which a sink makes only if it keeps the interval (a run closes millions; most outputs write
#: them out at once).
IntervalSink = Callable[[str, int, int, State, "int | None", "str | None"], None]
#: Called with (cpu, start, end, state, thread) as a CPU's interval closes.
CpuIntervalSink = Callable[[int, int, int, State, str], None]


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


#: For each thread event: its state; the reason its interval gets when the event does not need its details
#: to say (see _reason); whether the state is on a CPU; whether the interval's reason is read from the
#: details (blocked, switching); whether it ends the thread (no interval opens); whether it is an arrival.
_FAST: dict[str, tuple[State, str | None, bool, bool, bool, bool]] = {
    kind: (
        state,
        _READY_REASONS.get(kind) if state is State.READY else "sleep" if state is State.SLEEPING else None,
        state in (State.RUNNING, State.SWITCHING),
        state in (State.BLOCKED, State.SWITCHING),
        state is State.DONE,
        kind == "arrive",
    )
    for kind, state in EVENT_STATE.items()
}


class IntervalTracker:
    """A trace listener that calls `on_thread` and `on_cpu` with each interval's fields as it closes (see
    IntervalSink and CpuIntervalSink).

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
        # The hot path of every interval-based output: one call per trace event, so the closing of the
        # thread's and the CPU's intervals is written inline (see _close_thread and _close_cpu).
        fast = _FAST.get(event.event)
        name = event.thread
        if fast is None or name is None:
            return
        state, reason, on_cpu, detailed, done, arrival = fast
        now = event.time
        if arrival and self.on_arrive is not None:
            self.on_arrive(name, str(dict(event.details).get("process", name)))
        open_intervals = self._open
        opened = open_intervals.pop(name, None)
        if opened is not None and opened[0] < now:
            self.on_thread(name, opened[0], now, opened[1], opened[2], opened[3])
        cpu = event.cpu
        if not done:
            if detailed:
                reason = _reason(event, state)
            open_intervals[name] = (now, state, cpu if on_cpu else None, reason)
        if cpu is None:
            return
        cpu_open = self._cpu_open
        cpu_opened = cpu_open[cpu]
        if cpu_opened is not None and cpu_opened[0] < now:
            self.on_cpu(cpu, cpu_opened[0], now, cpu_opened[1], cpu_opened[2])
        cpu_open[cpu] = (now, state, name) if on_cpu else None

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
            self.on_thread(name, start, now, state, cpu, reason)

    def _close_cpu(self, cpu: int, now: int) -> None:
        opened = self._cpu_open[cpu]
        self._cpu_open[cpu] = None
        if opened is not None and opened[0] < now:
            start, state, name = opened
            self.on_cpu(cpu, start, now, state, name)


#: What a recorded interval is besides its times: (state, cpu, thread, reason), Interval's other fields.
Kind = tuple[State, int | None, str | None, str | None]


class IntervalRecorder(IntervalTracker):
    """An IntervalTracker that keeps every interval: `threads[name]` and `cpu_rows[cpu]`, lists of Interval.

    A long run has millions of intervals, and kept as objects each one made work for the cycle collector
    at every young collection it lived through (a third of the recorder's cost). So each lane keeps plain
    ints, which the collector does not look into: each interval's start, end and the number of its kind in
    `kinds`. `threads[name]` and `cpu_rows[cpu]` make the Interval objects when read; `thread_lanes[name]`
    and `cpu_lanes[cpu]` are the flat lists themselves.
    """

    def __init__(self, thread_names: Sequence[str], cpus: int) -> None:
        self.thread_names = list(thread_names)
        #: Each thread's and each CPU's intervals: start, end and kind number, one after the other.
        self.thread_lanes: dict[str, list[int]] = {name: [] for name in thread_names}
        self.cpu_lanes: list[list[int]] = [[] for _ in range(cpus)]
        #: The kinds of interval seen, in order, and the number of each by its (state, cpu or thread, reason).
        self.kinds: list[Kind] = []
        self._thread_kinds: dict[tuple[State, int | None, str | None], int] = {}
        self._cpu_kinds: dict[tuple[State, int, str], int] = {}
        self.threads: Mapping[str, list[Interval]] = _IntervalLists(self.thread_lanes, self.kinds)
        self.cpu_rows: Sequence[list[Interval]] = _IntervalRows(self.cpu_lanes, self.kinds)
        super().__init__(cpus, self._keep_thread, self._keep_cpu, self._learn)

    def _keep_thread(self, name: str, start: int, end: int, state: State, cpu: int | None, reason: str | None) -> None:
        number = self._thread_kinds.get((state, cpu, reason))
        if number is None:
            number = self._thread_kinds[state, cpu, reason] = len(self.kinds)
            self.kinds.append((state, cpu, None, reason))
        self.thread_lanes[name].extend((start, end, number))

    def _keep_cpu(self, cpu: int, start: int, end: int, state: State, thread: str) -> None:
        number = self._cpu_kinds.get((state, cpu, thread))
        if number is None:
            number = self._cpu_kinds[state, cpu, thread] = len(self.kinds)
            self.kinds.append((state, cpu, thread, None))
        self.cpu_lanes[cpu].extend((start, end, number))

    def _learn(self, name: str, process: str) -> None:
        if name not in self.thread_lanes:
            self.thread_names.append(name)
            self.thread_lanes[name] = []


def _intervals(lane: list[int], kinds: list[Kind]) -> list[Interval]:
    return [Interval(lane[index], lane[index + 1], *kinds[lane[index + 2]]) for index in range(0, len(lane), 3)]


class _IntervalLists(Mapping[str, list[Interval]]):
    """Each thread's intervals, as Interval objects made from its flat lane when read."""

    def __init__(self, lanes: dict[str, list[int]], kinds: list[Kind]) -> None:
        self._lanes = lanes
        self._kinds = kinds

    def __getitem__(self, name: str) -> list[Interval]:
        return _intervals(self._lanes[name], self._kinds)

    def __iter__(self) -> Iterator[str]:
        return iter(self._lanes)

    def __len__(self) -> int:
        return len(self._lanes)


class _IntervalRows(Sequence[list[Interval]]):
    """Each CPU's intervals, as Interval objects made from its flat lane when read."""

    def __init__(self, lanes: list[list[int]], kinds: list[Kind]) -> None:
        self._lanes = lanes
        self._kinds = kinds

    @overload
    def __getitem__(self, index: int) -> list[Interval]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[list[Interval]]: ...

    def __getitem__(self, index: int | slice) -> list[Interval] | Sequence[list[Interval]]:
        if isinstance(index, slice):
            return [_intervals(lane, self._kinds) for lane in self._lanes[index]]
        return _intervals(self._lanes[index], self._kinds)

    def __len__(self) -> int:
        return len(self._lanes)
