"""The metrics of one run (SPEC section 5), computed from the kernel once the run is over.

Times here are integer nanoseconds; reports convert them to the scenario's time unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any, TypeVar

import attrs

from simulator.analysis.races import Race
from simulator.analysis.violations import Violation
from simulator.model.devices import IMPLICIT_DEVICE
from simulator.model.kernel import Kernel
from simulator.model.locks import Mutex, Semaphore
from simulator.model.wait_queue import SyncObject
from simulator.program.operations import Span, walk
from simulator.scenario.model import PolicySpec, Scenario

_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


class _FrozenMapping(Mapping[_Key, _Value]):
    """A read-only mapping that keeps its items' order, hashable (a set of runs' memories works)."""

    __slots__ = ("_items", "_by_key")

    def __init__(self, items: Iterable[tuple[_Key, _Value]] = ()) -> None:
        self._items = tuple(items)
        self._by_key = dict(self._items)

    def __getitem__(self, key: _Key) -> _Value:
        return self._by_key[key]

    def __iter__(self) -> Iterator[_Key]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:  # equal to any mapping with the same items (a dict too)
        return dict(self.items()) == dict(other.items()) if isinstance(other, Mapping) else NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._by_key!r})"

    def __reduce__(self) -> tuple[object, ...]:  # pickled by its items (runs come back from --jobs workers)
        return (type(self), (self._items,))


class ProcessMemory(_FrozenMapping[str, int]):
    """One process instance's shared variables at the end of a run: variable name -> value, in declaration
    order. Read-only; `dict(memory)` gives a plain dict."""

    __slots__ = ()


class Memory(_FrozenMapping[str, ProcessMemory]):
    """`RunMetrics.memory`: the final memory of each process instance that has any, by instance name (`app`,
    a copy's `web-2`, a fork's `child#2`), in the order the instances started. Read-only and hashable:
    `metrics.memory["app"]["counter"]`, `for process, variables in metrics.memory.items()`."""

    __slots__ = ()


@attrs.frozen
class ThreadMetrics:
    """One thread's times (ns) and switch counts. `switching` is time spent being switched in. `blocked` is
    split by what the thread waited for: `io` (device I/O, its queueing included), `sync` (a mutex, semaphore,
    condition, event, barrier, queue, pipe, or a join or wait_process) and `gil` (a process's GIL);
    blocked = io + sync + gil."""

    name: str
    process: str
    arrival: int
    first_run: int | None
    completion: int | None
    cpu_time: int
    waiting: int
    blocked: int
    io: int
    sync: int
    gil: int
    sleeping: int
    switching: int
    voluntary_switches: int
    involuntary_switches: int
    migrations: int

    @property
    def response(self) -> int | None:
        """first_run - arrival, or None if the thread never ran."""
        return None if self.first_run is None else self.first_run - self.arrival

    @property
    def turnaround(self) -> int | None:
        """completion - arrival, or None if the thread did not finish."""
        return None if self.completion is None else self.completion - self.arrival


@attrs.frozen
class CpuMetrics:
    """One CPU's busy, idle and switching time (ns) over the run; `warm`: with a cache model
    (`machine.cache`), the part of `busy` spent running threads warm at a warm rate above 1 (None: no cache)."""

    cpu: int
    busy: int
    idle: int
    switching: int
    warm: int | None = None

    def utilization(self, end_time: int) -> Fraction:
        """The fraction of the run this CPU spent running threads."""
        return Fraction(self.busy, end_time) if end_time else Fraction(0)


@attrs.frozen
class DeviceMetrics:
    """One I/O device's figures over the run (times in ns). `servers` None: unlimited (the implicit `io`)."""

    name: str
    servers: int | None
    #: Requests made (those still queued or in service at the end included).
    requests: int
    #: Server-time spent serving requests.
    busy: int
    #: Request-time spent waiting for a server (the area under the queue's length).
    queued: int
    max_queue: int

    def utilization(self, end_time: int) -> Fraction | None:
        """busy / (servers x run time); None for unlimited servers (no capacity to divide by: busy / run
        time is then the mean number of requests in service)."""
        if self.servers is None:
            return None
        return Fraction(self.busy, self.servers * end_time) if end_time else Fraction(0)

    def mean_wait(self) -> Fraction | None:
        """The mean time a request waited before its service started, or None with no requests."""
        return Fraction(self.queued, self.requests) if self.requests else None

    def mean_queue(self, end_time: int) -> Fraction:
        """The time-average number of requests waiting (not in service)."""
        return Fraction(self.queued, end_time) if end_time else Fraction(0)


@attrs.frozen
class LockMetrics:
    """One mutex's or semaphore's figures over the run (times in ns). `process` None: the machine's ipc."""

    name: str
    process: str | None
    kind: str
    acquisitions: int
    #: Acquisitions that had to wait.
    contended: int
    #: Thread-time spent waiting for it (threads still waiting at the end counted up to the end).
    total_wait: int
    max_waiters: int

    def mean_wait(self) -> Fraction | None:
        """The total wait over the acquisitions (contended or not), or None with none."""
        return Fraction(self.total_wait, self.acquisitions) if self.acquisitions else None


@attrs.frozen
class GilMetrics:
    """One Python process's GIL over the run: time held, total time its threads waited for it (ns),
    switches (hand-overs to a different thread) and forced drops (drops on a waiter's request)."""

    process: str
    held: int
    waited: int
    switches: int
    forced_drops: int


@attrs.frozen
class SpanMetrics:
    """The passes through one span (ns): how many, their total, and percentiles by nearest rank.

    The p-th percentile of n sorted durations x_1 <= ... <= x_n is x_k with k = ceil(p * n / 100): the
    smallest duration that at least p% of the passes do not exceed (always one of the durations measured).
    None when no pass ended.
    """

    name: str
    count: int
    total: int
    p50: int | None
    p90: int | None
    p99: int | None
    max: int | None

    @property
    def mean(self) -> Fraction | None:
        """The mean pass duration (ns), exact; None without passes."""
        return Fraction(self.total, self.count) if self.count else None

    @classmethod
    def of(cls, name: str, durations: Sequence[int]) -> SpanMetrics:
        """The figures of the durations measured for span `name`."""
        ordered = sorted(durations)
        count = len(ordered)

        def percentile(p: int) -> int | None:
            return ordered[-(-p * count // 100) - 1] if count else None  # rank ceil(p*n/100), from 1

        return cls(name, count, sum(ordered), percentile(50), percentile(90), percentile(99),
                   ordered[-1] if count else None)  # fmt: skip


def span_names(scenario: Scenario) -> list[str]:
    """The scenario's span names in the order they are first written."""
    names = (operation.name for thread in scenario.threads() for operation in walk(thread.program)
             if isinstance(operation, Span))  # fmt: skip
    return list(dict.fromkeys(names))


@attrs.frozen
class RunMetrics:
    """Everything a report shows about one run."""

    scenario: str
    seed: int
    time_unit: str
    policy: PolicySpec
    cpus: int
    context_switch: int
    end_time: int
    complete: bool
    threads: tuple[ThreadMetrics, ...]
    cpu_stats: tuple[CpuMetrics, ...]
    context_switches: int
    steps: int
    violations: tuple[Violation, ...]
    #: Final memory of each process instance that has any: `metrics.memory["app"]["counter"]` (see Memory).
    memory: Memory = attrs.field(factory=Memory)
    #: Every racing pair of accesses found (a violation only under `expect: [no_data_race]`).
    races: tuple[Race, ...] = ()
    #: What the policy reports about itself (stride's strides, say), as JSON-ready values.
    policy_details: tuple[tuple[str, object], ...] = ()
    #: The declared devices, in declaration order, then the implicit `io` if anything used it.
    devices: tuple[DeviceMetrics, ...] = ()
    #: Every mutex and semaphore: each process instance's (in the order they started), then the ipc ones.
    locks: tuple[LockMetrics, ...] = ()
    #: Each Python process's GIL figures, in process order (empty when no process has a GIL).
    gil: tuple[GilMetrics, ...] = ()
    #: Each span's figures, in the order the scenario first writes them (none without spans).
    spans: tuple[SpanMetrics, ...] = ()

    def average(self, field: str) -> Fraction | None:
        """The mean of a per-thread time (ns) over the threads that have one, or None."""
        values = [value for value in (getattr(thread, field) for thread in self.threads) if value is not None]
        return Fraction(sum(values), len(values)) if values else None

    @property
    def completed(self) -> int:
        """How many threads finished."""
        return sum(1 for thread in self.threads if thread.completion is not None)

    def throughput(self) -> Fraction | None:
        """Completed threads per nanosecond of the run, or None for a run of no time."""
        return Fraction(self.completed, self.end_time) if self.end_time else None

    # -- notebooks and data (simulator.notebook) ------------------------------------------------------------

    def _repr_html_(self) -> str:
        """A notebook's view: a summary, the threads table and the interactive Gantt chart."""
        from simulator.notebook import run_html

        return run_html(self)

    def to_records(self, table: str = "threads") -> list[dict[str, object]]:
        """The rows of table "threads", "cpus" or "intervals" (state intervals) as dicts; times in ns."""
        from simulator.notebook import to_records

        return to_records(self, table)

    def to_dataframe(self, table: str = "threads") -> Any:
        """`to_records(table)` as a pandas DataFrame (needs the `pandas` extra)."""
        from simulator.notebook import to_dataframe, to_records

        return to_dataframe(to_records(self, table))


def collect_metrics(kernel: Kernel, *, seed: int) -> RunMetrics:
    """Read the metrics off a kernel whose run is over."""
    threads = tuple(
        ThreadMetrics(
            name=thread.name,
            process=thread.process,
            arrival=thread.arrival,
            first_run=thread.first_run,
            completion=thread.completion,
            cpu_time=thread.cpu_time,
            waiting=thread.waiting,
            blocked=thread.blocked,
            io=thread.blocked_io,
            sync=thread.blocked_sync,
            gil=thread.blocked_gil,
            sleeping=thread.sleeping,
            switching=thread.switching,
            voluntary_switches=thread.voluntary_switches,
            involuntary_switches=thread.involuntary_switches,
            migrations=thread.migrations,
        )
        for thread in kernel.threads
    )
    end = kernel.end_time
    warm = kernel.caches.warm_time if kernel.caches is not None else [None] * len(kernel.cpus)
    cpus = tuple(CpuMetrics(cpu.index, cpu.busy, end - cpu.busy - cpu.switching, cpu.switching, warm[cpu.index])
                 for cpu in kernel.cpus)  # fmt: skip
    scenario = kernel.scenario
    return RunMetrics(
        scenario=scenario.name,
        seed=seed,
        time_unit=scenario.time_unit,
        policy=scenario.machine.policy,
        cpus=scenario.machine.cpus,
        context_switch=scenario.machine.context_switch,
        end_time=end,
        complete=kernel.complete,
        threads=threads,
        cpu_stats=cpus,
        context_switches=kernel.context_switches,
        steps=kernel.steps,
        violations=tuple(kernel.violations),
        memory=Memory(
            (process.name, ProcessMemory(process.memory.items()))
            for process in kernel.processes.values()
            if process.memory
        ),
        races=tuple(kernel.races.races),
        policy_details=tuple(kernel.policy.describe().items()),
        devices=device_metrics(kernel),
        locks=lock_metrics(kernel),
        gil=tuple(
            GilMetrics(process.name, *process.gil.figures(end), process.gil.switches, process.gil.forced_drops)
            for process in kernel.processes.values()
            if process.gil is not None
        ),
        spans=tuple(SpanMetrics.of(name, kernel.spans.get(name, ())) for name in span_names(scenario)),
    )


def device_metrics(kernel: Kernel) -> tuple[DeviceMetrics, ...]:
    """Each device's figures, read off its counters (simulator.model.devices.Device)."""
    end = kernel.end_time
    devices = [device for name, device in kernel.devices.items() if name != IMPLICIT_DEVICE]
    implicit = kernel.devices[IMPLICIT_DEVICE]
    if implicit.requests:
        devices.append(implicit)
    figures = []
    for device in devices:
        busy, queued = device.figures(end)
        figures.append(DeviceMetrics(device.name, device.servers, device.requests, busy, queued, device.max_queue))
    return tuple(figures)


def lock_metrics(kernel: Kernel) -> tuple[LockMetrics, ...]:
    """Each mutex's and semaphore's figures, read off its counters (simulator.model.locks.LockFigures)."""
    end = kernel.end_time
    owned: list[tuple[str | None, SyncObject]] = [
        (process.name, obj) for process in kernel.processes.values() for obj in process.sync.values()
    ]
    owned.extend((None, obj) for obj in kernel.ipc.values())
    locks = []
    for process, obj in owned:
        if isinstance(obj, Mutex | Semaphore):
            figures = obj.figures
            locks.append(LockMetrics(obj.name, process, obj.kind, figures.acquisitions, figures.contended,
                                     figures.total_wait(end, len(obj.waiters)), figures.max_waiters))  # fmt: skip
    return tuple(locks)
