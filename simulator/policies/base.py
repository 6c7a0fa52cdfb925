"""The interface every scheduling policy implements, and its parameters.

The kernel owns threads, CPUs and time; a policy only decides *who runs next* and *for how long*:

- `add(thread, reason)`: a thread became ready (`arrival`, `wakeup`, `preempted` or `yield`);
- `pick(cpu)`: remove and return the thread that CPU `cpu` should run next, or None;
- `__len__()`: how many threads are ready;
- `time_slice(thread)`: how long `thread` may run before the kernel asks again (None: until it leaves);
- `should_preempt(running)`: whether a ready thread should displace `running` now (preemptive policies);
- `renew_slice(thread, start, length, now)`: the slice a thread alone on its CPU goes on with once its slice
  is over (policies whose slices change as a thread runs, like mlfq's after a demotion, answer anew);
- `left_cpu(thread, start, length, now)`: such a thread leaves its CPU (if `tracks_slices`);
- `next_timer(now)` and `on_timer(running)`: a policy with `timed` set asks to be called at instants of its
  own (mlfq's boost), with the threads then running;
- `ready_threads()` and `take(thread)`: the ready threads in pick order, and removing one, for an explorer
  that decides which thread runs next (`candidates(cpu)`: those of them allowed on a CPU).

Affinity is the queue layer's business, not the kernel's: `pick(cpu)` and `has_waiting(cpu)` answer for
CPU `cpu`, with per-CPU queues (per_cpu.py) or, for one global queue with pinned threads, the wrapper in
affinity.py.

The kernel calls `should_preempt` only while some thread is ready (and only if `preemptive` is true), and
applies a time slice only while some thread is ready: a slice that ends with nobody waiting changes nothing
and costs nothing (SPEC section 4). The kernel counts ready threads itself; `__len__` is for the policy's
own use and for tests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

import attrs

from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread

ReadyReason = Literal["arrival", "wakeup", "preempted", "yield"]
ParameterKind = Literal["duration", "durations", "integer", "boolean", "choice"]
#: A parameter's value: durations in ns; a list of durations ("durations") is a tuple, empty when not given.
ParameterValue = int | bool | str | tuple[int, ...]


class PolicyError(ValueError):
    """A bad policy name or parameter; `key` is the parameter at fault (None: the name).

    `unknown_key` is true when the parameter's name itself is wrong (not its value).
    """

    def __init__(self, key: str | None, message: str, *, unknown_key: bool = False) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.unknown_key = unknown_key


@attrs.frozen
class Parameter:
    """A policy parameter: its kind, default (durations in ns), a line of help, and for a choice the
    values allowed; `minimum` and `maximum` (None: no bound) for integers and durations (for a list of
    durations, `maximum` bounds its length). `always_shown`: reports and reproduce lines name it even at its
    default (parameters added later, for rules few runs use, are named only when set)."""

    name: str
    kind: ParameterKind
    default: ParameterValue
    help: str
    choices: tuple[str, ...] = ()
    minimum: int = 0
    maximum: int | None = None
    always_shown: bool = True


class PolicyContext(Protocol):
    """What a policy may ask the kernel about."""

    @property
    def now(self) -> int:
        """The current time (ns)."""
        ...

    @property
    def pending_timer(self) -> int:
        """The instant the policy's timer is scheduled for and has not yet gone off (-1: none)."""
        ...

    def cpu_time(self, thread: Thread) -> int:
        """CPU time `thread` has used so far, its current run included."""
        ...

    def remaining_demand(self, thread: Thread) -> int:
        """CPU time `thread`'s program still needs (from its compute steps; see docs/policies.md)."""
        ...

    def next_burst(self, thread: Thread) -> int:
        """The CPU time of `thread`'s current or next compute step (0 if its next step is not a compute)."""
        ...

    def draw(self, count: int) -> int:
        """A uniform integer in [0, count), from the run's seed (recorded by the chooser)."""
        ...


class Policy(ABC):
    """Base class of scheduling policies. Subclasses set `name`, `summary` and `parameters`."""

    name: ClassVar[str]
    summary: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    #: Whether `should_preempt` can ever say yes; the kernel skips asking policies that never preempt.
    preemptive: ClassVar[bool] = False
    #: Whether its preemptions rank the threads (a better-ranked ready thread displaces a running one at any
    #: dispatch): a thread an explorer picks instead would lose its CPU straight back, at the same instant,
    #: for ever, so exploration leaves the picks to such a policy. Read only when `preemptive`; a policy that
    #: preempts once for an event instead (fcfs's `wakeup: preempt`) says False.
    ranks: ClassVar[bool] = True
    #: Whether `time_slice` is the same for every thread (the kernel then asks once).
    constant_time_slice: ClassVar[bool] = False
    #: Whether the policy has timers: the kernel then calls `on_timer` at the instants `next_timer` gives.
    timed: bool = False
    #: Whether, when its timer goes off, the kernel asks `should_preempt` of every running thread at once, in
    #: CPU order, whether or not a thread is waiting (rr's global timer re-queues them all, as multi.py does).
    timer_preempts: bool = False
    #: Whether the kernel calls `left_cpu` when a thread that ran alone past its slice leaves its CPU.
    tracks_slices: bool = False
    #: Whether a thread that starts an I/O keeps its CPU, which waits for it idle (fcfs's `io_wait: hold`).
    holds_cpu_for_io: bool = False

    def __init__(self, spec: PolicySpec) -> None:
        self.spec = spec
        self.context: PolicyContext = None  # type: ignore[assignment]  # set by attach()

    @classmethod
    def build(cls, spec: PolicySpec) -> Policy:
        """A fresh policy for one run of `spec` (a policy may hand specs that set rarely used rules to a
        subclass that has them: fcfs's process-run.py rules)."""
        return cls(spec)

    def setting(self, name: str) -> ParameterValue:
        """The spec's value of parameter `name`, or its default: a spec built in code before the parameter
        existed may leave it out (a loaded or validated one has them all)."""
        for key, value in self.spec.params:
            if key == name:
                return value
        return next(parameter.default for parameter in self.parameters if parameter.name == name)

    def attach(self, context: PolicyContext) -> None:
        """Called once by the kernel before the run."""
        self.context = context

    def describe(self) -> dict[str, object]:
        """Policy state worth showing in reports (stride's strides, say); empty for most policies."""
        return {}

    @abstractmethod
    def add(self, thread: Thread, reason: ReadyReason) -> None:
        """`thread` became ready."""

    @abstractmethod
    def pick(self, cpu: int) -> Thread | None:
        """Remove and return the next thread for CPU `cpu`, or None if none may run there."""

    @abstractmethod
    def __len__(self) -> int:
        """The number of ready threads."""

    @abstractmethod
    def ready_threads(self) -> Sequence[Thread]:
        """The ready threads, in the order this policy would pick them (used by exploration)."""

    @abstractmethod
    def take(self, thread: Thread) -> None:
        """Remove a ready `thread` chosen by exploration instead of by `pick`."""

    def time_slice(self, thread: Thread) -> int | None:
        """How long `thread` may run, from its dispatch, before it can be preempted (None: no limit)."""
        return None

    def renew_slice(self, thread: Thread, start: int, length: int, now: int) -> tuple[int, int]:
        """`thread` has run alone on its CPU (nobody waited) past the end of its slice [start, start + length)
        and goes on at `now`: the slice in progress, as (begin, length) with begin <= now < begin + length.
        By default the same length again and again, on the grid from `start`, like a timer tick."""
        return start + length * ((now - start) // length), length

    def left_cpu(self, thread: Thread, start: int, length: int, now: int) -> None:
        """`thread` leaves its CPU at `now`, having run alone past the end of its slice [start, start +
        length) (called only if `tracks_slices`): the policy may work out the slice it was in."""
        return None

    def next_timer(self, now: int) -> int | None:
        """The first instant at or after `now` at which the policy's timer goes off (None: never). The kernel
        calls `on_timer` there while some thread computes across it; a policy must do lazily, when asked,
        what a timer nobody saw would have done."""
        return None

    def on_timer(self, running: Sequence[Thread]) -> None:
        """The timer of `next_timer` went off; `running` are the threads computing on CPUs, in CPU order
        (their `remaining` up to now). The kernel then gives each a new slice (`time_slice`), if
        `renews_slices`, and asks whether to preempt them."""
        return None

    def renews_slices(self) -> bool:
        """Whether the timer that just went off gives the running threads new slices: yes, but a timer of the
        queue layer's own (per-CPU peeking) does not, unless the policy's went off with it."""
        return True

    def preempts_at_timer(self, running: Thread) -> bool:
        """Asked of each running thread, in CPU order, when the timer that just went off ends running slices
        (`timer_preempts`): whether `running` leaves its CPU now. By default `should_preempt`."""
        return self.should_preempt(running)

    def timer_changed(self) -> bool:
        """Whether the timer that just went off changed anything a dispatch must look at (the queues, the
        slices): then the kernel dispatches at this instant, asking running threads `should_preempt` too. A
        per-CPU peek that moved nobody changed nothing, and must not be a preemption point of its own."""
        return True

    @classmethod
    def complete(cls, values: dict[str, ParameterValue], given: Collection[str]) -> None:
        """Check the parameters together, and fill in those that follow from others (`given`: the names the
        user set); raise PolicyError. Most policies have nothing to check."""
        return None

    def candidates(self, cpu: int) -> list[Thread]:
        """The ready threads allowed on CPU `cpu` (affinity), in pick order: what exploration chooses among."""
        return [thread for thread in self.ready_threads() if thread.affinity is None or cpu in thread.affinity]

    def has_waiting(self, cpu: int) -> bool:
        """Whether some ready thread waits for CPU `cpu` (per-CPU queues answer for that CPU's queue)."""
        return len(self) > 0

    def should_preempt(self, running: Thread) -> bool:
        """Whether some ready thread should take the CPU from `running` at once."""
        return False

    def adopt(self, thread: Thread, donor: Policy) -> None:
        """`thread` was just taken from `donor`, another CPU's queue (per-CPU queues: stealing, balancing),
        and now belongs to this one: move over what the policy keeps about it (cfs's vruntime, say).
        Policies that keep nothing per queue need nothing here."""
        return None
