"""The interface every scheduling policy implements, and its parameters.

The kernel owns threads, CPUs and time; a policy only decides *who runs next* and *for how long*:

- `add(thread, reason)`: a thread became ready (`arrival`, `wakeup`, `preempted` or `yield`);
- `pick(cpu)`: remove and return the thread that CPU `cpu` should run next, or None;
- `__len__()`: how many threads are ready;
- `time_slice(thread)`: how long `thread` may run before the kernel asks again (None: until it leaves);
- `should_preempt(running)`: whether a ready thread should displace `running` now (preemptive policies);
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
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

import attrs

from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread

ReadyReason = Literal["arrival", "wakeup", "preempted", "yield"]
ParameterKind = Literal["duration", "integer", "boolean", "choice"]
ParameterValue = int | bool | str


@attrs.frozen
class Parameter:
    """A policy parameter: its kind, default (durations in ns), a line of help, and for a choice the
    values allowed; `minimum` and `maximum` (None: no bound) for integers and durations."""

    name: str
    kind: ParameterKind
    default: ParameterValue
    help: str
    choices: tuple[str, ...] = ()
    minimum: int = 0
    maximum: int | None = None


class PolicyContext(Protocol):
    """What a policy may ask the kernel about."""

    @property
    def now(self) -> int:
        """The current time (ns)."""
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
    #: Whether `time_slice` is the same for every thread (the kernel then asks once).
    constant_time_slice: ClassVar[bool] = False

    def __init__(self, spec: PolicySpec) -> None:
        self.spec = spec
        self.context: PolicyContext = None  # type: ignore[assignment]  # set by attach()

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
