"""Per-CPU ready queues (`machine.queues: per_cpu`): one instance of the chosen policy per CPU.

- **Placement.** A thread that becomes ready joins the queue of the CPU it last ran on, if its affinity
  allows; otherwise (and when new) the queue of the least loaded allowed CPU (load: ready threads there,
  plus one if the CPU is busy), lowest index first.
- **Work stealing.** A CPU whose queue is empty takes a thread from the most loaded other queue: the first
  one, in that queue's order, allowed to run on it.
- **Load balancing.** When at least `balance_interval` has passed since the last balance, the next time a
  thread becomes ready or a CPU picks, threads move from the most loaded queues to the least loaded ones
  (those allowed there, from the back of the queue) until no two queues differ by more than one.

A thread that moves to another queue (stolen or balanced) takes with it what the policy keeps about it
(`Policy.adopt`: cfs's vruntime, kept relative to each queue's min_vruntime, as Linux does). Each CPU's
policy decides order, time slices and preemption for its own queue only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Policy, PolicyContext, ReadyReason
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class PerCpuQueues(Policy):
    """A policy made of one policy per CPU."""

    name = "per_cpu"
    summary = "one ready queue per CPU, with load balancing and work stealing"

    def __init__(self, spec: PolicySpec, make: Callable[[PolicySpec], Policy], cpus: int,
                 balance_interval: int, busy: Callable[[int], bool]) -> None:  # fmt: skip
        super().__init__(spec)
        self.queues = [make(spec) for _ in range(cpus)]
        self.balance_interval = balance_interval
        self.busy = busy
        self.last_balance = 0
        self.where: dict[int, int] = {}  # thread index -> the queue it waits in
        self.timed = self.queues[0].timed
        self.timer_preempts = self.queues[0].timer_preempts
        self.tracks_slices = self.queues[0].tracks_slices
        self.holds_cpu_for_io = self.queues[0].holds_cpu_for_io

    @property
    def preemptive(self) -> bool:  # type: ignore[override]
        return self.queues[0].preemptive

    def attach(self, context: PolicyContext) -> None:
        super().attach(context)
        for queue in self.queues:
            queue.attach(context)

    def load(self, cpu: int) -> int:
        return len(self.queues[cpu]) + (1 if self.busy(cpu) else 0)

    def allowed(self, thread: Thread, cpu: int) -> bool:
        return thread.affinity is None or cpu in thread.affinity

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.balance()
        last = thread.last_cpu
        if last is not None and self.allowed(thread, last):
            target = last
        else:
            choices = [cpu for cpu in range(len(self.queues)) if self.allowed(thread, cpu)]
            target = min(choices, key=lambda cpu: (self.load(cpu), cpu))
        self.queues[target].add(thread, reason)
        self.where[thread.index] = target

    def pick(self, cpu: int) -> Thread | None:
        self.balance()
        own = self.queues[cpu]
        thread = own.pick(cpu) if len(own) else self.steal(cpu)
        if thread is not None:
            self.where.pop(thread.index, None)
        return thread

    def steal(self, cpu: int) -> Thread | None:
        """A thread from the most loaded other queue that may run on `cpu`."""
        donors = sorted((other for other in range(len(self.queues)) if other != cpu and len(self.queues[other])),
                        key=lambda other: (-len(self.queues[other]), other))  # fmt: skip
        for donor in donors:
            for thread in self.queues[donor].ready_threads():
                if self.allowed(thread, cpu):
                    self.queues[donor].take(thread)
                    self.queues[cpu].adopt(thread, self.queues[donor])
                    return thread
        return None

    def balance(self) -> None:
        """Even out queue lengths, at most once per balance_interval."""
        now = self.context.now
        if len(self.queues) < 2 or now - self.last_balance < self.balance_interval:
            return
        self.last_balance = now
        for _ in range(sum(len(queue) for queue in self.queues)):
            order = sorted(range(len(self.queues)), key=lambda cpu: (self.load(cpu), cpu))
            idlest, busiest = order[0], order[-1]
            if self.load(busiest) - self.load(idlest) <= 1:
                return
            movable = [t for t in reversed(self.queues[busiest].ready_threads()) if self.allowed(t, idlest)]
            if not movable:
                return
            self.queues[busiest].take(movable[0])
            self.queues[idlest].adopt(movable[0], self.queues[busiest])
            self.queues[idlest].add(movable[0], "preempted")
            self.where[movable[0].index] = idlest

    def ready_threads(self) -> Sequence[Thread]:
        return [thread for queue in self.queues for thread in queue.ready_threads()]

    def take(self, thread: Thread) -> None:
        self.queues[self.where.pop(thread.index)].take(thread)

    def __len__(self) -> int:
        return sum(len(queue) for queue in self.queues)

    def has_waiting(self, cpu: int) -> bool:
        return len(self.queues[cpu]) > 0

    def time_slice(self, thread: Thread) -> int | None:
        cpu = thread.cpu.index if thread.cpu is not None else 0
        return self.queues[cpu].time_slice(thread)

    def renew_slice(self, thread: Thread, start: int, length: int, now: int) -> tuple[int, int]:
        cpu = thread.cpu.index if thread.cpu is not None else 0
        return self.queues[cpu].renew_slice(thread, start, length, now)

    def left_cpu(self, thread: Thread, start: int, length: int, now: int) -> None:
        cpu = thread.cpu.index if thread.cpu is not None else 0
        self.queues[cpu].left_cpu(thread, start, length, now)

    def next_timer(self, now: int) -> int | None:
        return self.queues[0].next_timer(now)  # the same policy on every CPU

    def on_timer(self, running: Sequence[Thread]) -> None:
        for cpu, queue in enumerate(self.queues):
            queue.on_timer([thread for thread in running if thread.cpu is not None and thread.cpu.index == cpu])

    def should_preempt(self, running: Thread) -> bool:
        cpu = running.cpu.index if running.cpu is not None else 0
        return len(self.queues[cpu]) > 0 and self.queues[cpu].should_preempt(running)

    def describe(self) -> dict[str, object]:
        details: dict[str, object] = {}
        for queue in self.queues:
            details.update(queue.describe())
        return details
