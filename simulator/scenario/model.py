"""A validated scenario: immutable values built once by `simulator.scenario.loader`.

All times are integer nanoseconds. Names refer to things that exist; nothing here needs checking again.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator
from types import FrameType

import attrs

from simulator.program.distributions import Distribution
from simulator.program.expressions import Expression
from simulator.program.interpreter import as_script, cpu_demand
from simulator.program.operations import Operation
from simulator.program.python import as_program, python_body


def _made_at() -> str:
    """`file:line` of the Python code that constructs a spec (called by attrs' `__init__` for its default),
    or "" when threadsim's own code does (the loader and the builder locate problems themselves). What a
    ScenarioError of `simulator.validate` says for a scenario built from the spec classes directly."""
    frame = sys._getframe(2)  # this factory <- the generated __init__ <- its caller
    if frame.f_globals.get("__name__", "").startswith("simulator."):
        return ""
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


#: threadsim's package folder: frames of files under it are threadsim's own.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_site() -> str:
    """`file:line` of the first frame, from the caller up, outside threadsim's package: the user's call of
    a builder or helper (simulator.builder, simulator.ops.with_thread) that makes specs for them."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE + os.sep):
        frame = frame.f_back
    return "" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _made_at_field() -> str:
    """The field holding the Python line that made a spec (not part of its value: equal specs made on two
    lines are equal)."""
    return attrs.field(factory=_made_at, eq=False, repr=False, kw_only=True)


@attrs.frozen
class PolicySpec:
    """A policy name and its parameters with every default filled in (durations in ns)."""

    name: str
    params: tuple[tuple[str, int | bool | str | tuple[int, ...]], ...] = ()

    def param(self, name: str) -> int | bool | str | tuple[int, ...]:
        """The value of parameter `name`."""
        return dict(self.params)[name]

    def number(self, name: str) -> int:
        """The value of parameter `name`, an integer or a duration (ns)."""
        value = self.param(name)
        assert isinstance(value, int), (name, value)
        return value


@attrs.frozen
class DeviceSpec:
    """An I/O device: a FIFO queue in front of `servers` servers (None: unlimited)."""

    name: str
    servers: int | None


@attrs.frozen
class SyncSpec:
    """A synchronization object: mutex (optionally with a priority `protocol`), semaphore (`value` = initial
    count), condition (bound to `mutex`), event, barrier (`value` = parties), queue or channel (`value` =
    capacity)."""

    name: str
    kind: str
    value: int = 0
    mutex: str = ""
    #: A mutex's priority protocol: "" (none), "inherit" or "ceiling" (with `ceiling`, a priority number).
    protocol: str = ""
    ceiling: int | None = None


@attrs.frozen
class CacheSpec:
    """Each CPU's cache (OSTEP multi.py's cache model): `size` units of threads' working sets; a thread warms
    up on a CPU after `warmup` of CPU time there, then computes `warm_rate` times as fast; `tick` (0: none)
    is multi.py's clock tick: a warm compute takes whole ticks."""

    size: int = 100
    warmup: int = 10_000_000
    warm_rate: int = 2
    tick: int = 0


@attrs.frozen
class MachineSpec:
    """The CPUs, the scheduling policy, the context-switch cost, the I/O devices and the IPC objects."""

    cpus: int
    policy: PolicySpec
    context_switch: int = 0
    devices: tuple[DeviceSpec, ...] = ()
    ipc: tuple[SyncSpec, ...] = ()
    #: "fifo": same-instant events of one priority run in the order they were scheduled; "random": the
    #: run's seed orders them.
    tiebreak: str = "fifo"
    #: "wakeups_first": at one instant, arrivals and wake-ups join the ready queue before the CPUs' events
    #: (a quantum's end, a compute's end); "cpu_first": the CPUs' events first (OSTEP's simulators).
    same_instant: str = "wakeups_first"
    #: "global": one ready queue; "per_cpu": one per CPU, balanced every `balance_interval` (ns; 0: never).
    queues: str = "global"
    balance_interval: int = 4_000_000
    #: per_cpu: when a CPU takes threads from another's queue: "idle" (whenever its own is empty), "never", or
    #: "peek" (every `peek_interval`, if its own is empty, from one other CPU's chosen at random: OSTEP multi.py).
    stealing: str = "idle"
    peek_interval: int = 30_000_000
    #: Time charged on a CPU before running a thread that last ran on another CPU (ns).
    migration_cost: int = 0
    #: Each CPU's cache of working sets (None: no cache model; see simulator.model.caches).
    cache: CacheSpec | None = None
    made_at: str = _made_at_field()


@attrs.frozen
class ThreadSpec:
    """A thread: its name, process, arrival instant, priority and program."""

    name: str
    process: str
    arrival: int
    #: Operations, or a generator function written in Python (made a one-operation program: see
    #: simulator.program.python).
    program: tuple[Operation, ...] = attrs.field(converter=as_program)
    priority: int = 0
    #: "arrival": exists from its arrival; "spawned": started by a `spawn` operation.
    start: str = "arrival"
    #: Lottery and stride tickets, and the CFS nice value (-20 to 19).
    tickets: int = 100
    nice: int = 0
    #: The CPUs it may run on (None: any).
    affinity: tuple[int, ...] | None = None
    #: Its working set, in the units of the machine's `cache` size.
    working_set: int = 0
    #: Replicas: `count` copies named NAME-1 ... NAME-count (None: one thread, named NAME), copy k arriving
    #: at the arrival plus k-1 interarrival times. The arrival and the interarrival time may be drawn.
    count: int | None = None
    interarrival: int = 0
    interarrival_distribution: Distribution | None = None
    arrival_distribution: Distribution | None = None
    line: int = attrs.field(default=0, eq=False, kw_only=True)
    made_at: str = _made_at_field()

    @property
    def copies(self) -> int:
        """How many threads this declaration makes (in each instance of its process)."""
        return 1 if self.count is None else self.count

    # Worked out once per declaration, not at each thread a run makes of it (an explorer makes them in every
    # schedule): the program as a script a thread steps through without a generator, and its CPU demand.

    @functools.cached_property
    def script(self) -> tuple[Operation, ...] | None:
        """The program, if a thread can step through it without a generator (simulator.program.interpreter's
        `as_script`); None for one with structure, or written in Python."""
        return as_script(self.program) if python_body(self.program) is None else None

    @functools.cached_property
    def demand(self) -> int:
        """The CPU time the program asks for (ns; `cpu_demand`)."""
        return cpu_demand(self.program)


@attrs.frozen
class ProcessSpec:
    """A process: its threads, its memory (variables and initial values) and its synchronization objects."""

    name: str
    arrival: int
    threads: tuple[ThreadSpec, ...]
    memory: tuple[tuple[str, int], ...] = ()
    sync: tuple[SyncSpec, ...] = ()
    #: "arrival": exists from its arrival; "forked": each `fork` starts a new instance.
    start: str = "arrival"
    #: A Python process's GIL switch interval (ns); None: no GIL (free-threaded).
    gil: int | None = None
    #: Replicas, as for a thread: `count` instances named NAME-1 ... NAME-count, each with its own memory
    #: and objects and its threads shifted by its arrival's offset.
    count: int | None = None
    interarrival: int = 0
    interarrival_distribution: Distribution | None = None
    arrival_distribution: Distribution | None = None
    made_at: str = _made_at_field()

    @property
    def copies(self) -> int:
        """How many instances of this process start at arrival."""
        return 1 if self.count is None else self.count


@attrs.frozen
class Expectation:
    """A check at the end of a run: an expression over `process.var`, or `no_deadlock` / `no_data_race`."""

    text: str
    expression: Expression | None = None
    line: int = attrs.field(default=0, eq=False)


@attrs.frozen
class Scenario:
    """A whole scenario, ready to run."""

    name: str
    time_unit: str
    seed: int
    machine: MachineSpec
    processes: tuple[ProcessSpec, ...]
    description: str = ""
    expect: tuple[Expectation, ...] = ()
    file: str = attrs.field(default="", eq=False)
    made_at: str = _made_at_field()

    def threads(self) -> Iterator[ThreadSpec]:
        """Every thread in declaration order (including those started later by spawn or fork)."""
        for process in self.processes:
            yield from process.threads

    def thread_instances(self) -> Iterator[tuple[str, str]]:
        """(thread name, process name) of every thread the run starts at arrival or may start later, with
        replicas expanded (`worker-1`, `worker-2`...; a copy of process `web` is `web-1`), in declaration
        order. Forked instances beyond the first are not known in advance."""
        for process in self.processes:
            process_names = ([(process.name, "")] if process.count is None
                             else [(f"{process.name}-{k}", f"-{k}") for k in range(1, process.count + 1)])  # fmt: skip
            for process_name, suffix in process_names:
                for thread in process.threads:
                    if thread.count is None:
                        yield thread.name + suffix, process_name
                    else:
                        for k in range(1, thread.count + 1):
                            yield f"{thread.name}{suffix}-{k}", process_name
