"""Per-CPU ready queues (`machine.queues: per_cpu`): one instance of the chosen policy per CPU.

- **Placement.** A thread that becomes ready joins the queue of the CPU it last ran on, if its affinity
  allows; otherwise (and when new) the queue of the least loaded allowed CPU (load: ready threads there,
  plus one if the CPU is busy), lowest index first.
- **Work stealing.** A CPU whose queue is empty takes a thread from the most loaded other queue: the first
  one, in that queue's order, allowed to run on it.
- **Load balancing.** When at least `balance_interval` has passed since the last balance, the next time a
  thread becomes ready or a CPU picks, threads move from the most loaded queues to the least loaded ones
  (those allowed there, from the back of the queue) until no two queues differ by more than one
  (`balance_interval: 0`: never).
- **Stealing** is `machine.stealing`: `idle` (above), `never`, or `peek`, OSTEP multi.py's `-P`: at every
  multiple of `peek_interval`, each CPU whose queue is empty, in CPU order, looks at the queue of one other
  CPU, drawn at random (the run's chooser), and moves the first thread there allowed on it to its own
  queue. As in multi.py, a thread whose slice the policy's timer (rr's `timer: global`) ends at that
  instant counts as at the back of its CPU's queue: a peek can take it off its CPU.

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
                 balance_interval: int, busy: Callable[[int], bool], *, stealing: str = "idle",
                 peek_interval: int = 0) -> None:  # fmt: skip
        super().__init__(spec)
        self.queues = [make(spec) for _ in range(cpus)]
        self.balance_interval = balance_interval
        self.busy = busy
        self.last_balance = 0
        self.where: dict[int, int] = {}  # thread index -> the queue it waits in
        self.steals = stealing == "idle"
        #: `stealing: peek`: the period (0: no peeking); whether the policy's own timer went off with the
        #: last timer; the running threads a peek took, by index, and the CPU whose queue each goes to.
        self.peek_interval = peek_interval if stealing == "peek" and cpus > 1 else 0
        self.inner_ticked = True
        #: The last peek moved a thread to another CPU's queue (else the timer changed nothing: no dispatch).
        self.peek_moved = False
        self.moving: dict[int, int] = {}
        self.timed = self.queues[0].timed or bool(self.peek_interval)
        self.timer_preempts = self.queues[0].timer_preempts or bool(self.peek_interval)
        self.tracks_slices = self.queues[0].tracks_slices
        self.holds_cpu_for_io = self.queues[0].holds_cpu_for_io
        self.ranks = self.queues[0].ranks  # type: ignore[misc]  # the inner policy's (see Policy.ranks)

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
        if self.moving and thread.index in self.moving:
            target = self.moving.pop(thread.index)  # taken off its CPU by a peek
            self.queues[target].adopt(thread, self.queues[last if last is not None else target])
        elif last is not None and self.allowed(thread, last):
            target = last
        else:
            choices = [cpu for cpu in range(len(self.queues)) if self.allowed(thread, cpu)]
            target = min(choices, key=lambda cpu: (self.load(cpu), cpu))
        self.queues[target].add(thread, reason)
        self.where[thread.index] = target

    def pick(self, cpu: int) -> Thread | None:
        self.balance()
        own = self.queues[cpu]
        thread = own.pick(cpu) if len(own) else self.steal(cpu) if self.steals else None
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
        if len(self.queues) < 2 or not self.balance_interval or now - self.last_balance < self.balance_interval:
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
        at = self.queues[0].next_timer(now)  # the same policy on every CPU
        period = self.peek_interval
        if period:
            peek = max(1, -(-now // period)) * period
            at = peek if at is None else min(at, peek)
        return at

    def on_timer(self, running: Sequence[Thread]) -> None:
        now = self.context.now
        inner = self.queues[0]
        self.inner_ticked = not self.peek_interval or (inner.timed and inner.next_timer(now) == now)
        if self.inner_ticked:
            for cpu, queue in enumerate(self.queues):
                queue.on_timer([thread for thread in running if thread.cpu is not None and thread.cpu.index == cpu])
        if self.peek_interval and now % self.peek_interval == 0:
            self.peek(running)

    def renews_slices(self) -> bool:
        return self.inner_ticked

    def preempts_at_timer(self, running: Thread) -> bool:
        # At a peek alone only a thread the peek moves leaves its CPU (the policy's timer did not go off).
        if self.moving and running.index in self.moving:
            return True
        return self.inner_ticked and self.should_preempt(running)

    def timer_changed(self) -> bool:
        return self.inner_ticked or self.peek_moved

    def peek(self, running: Sequence[Thread]) -> None:
        """multi.py's peek: each CPU whose queue is empty, in CPU order, takes the first thread allowed on it
        from the queue of one other CPU drawn at random. The running threads whose slice the policy's timer
        ends now count as at the back of their CPU's queue (multi.py has just put them there): one taken is
        marked in `moving`, and should_preempt takes it off its CPU, into the new queue."""
        self.peek_moved = False
        lines = [list(queue.ready_threads()) for queue in self.queues]
        if self.inner_ticked and self.queues[0].timer_preempts:
            for thread in running:
                if thread.remaining and thread.preemptible and thread.cpu is not None:
                    lines[thread.cpu.index].append(thread)
        cpus = len(self.queues)
        for cpu in range(cpus):
            if lines[cpu]:
                continue
            donor = self.context.draw(cpus - 1)
            donor += donor >= cpu  # one of the other CPUs
            for thread in lines[donor]:
                if self.allowed(thread, cpu):
                    lines[donor].remove(thread)
                    lines[cpu].append(thread)
                    self.peek_moved = True
                    if thread.cpu is not None:
                        self.moving[thread.index] = cpu
                    else:
                        self.queues[donor].take(thread)
                        self.queues[cpu].adopt(thread, self.queues[donor])
                        self.queues[cpu].add(thread, "preempted")
                        self.where[thread.index] = cpu
                    break

    def should_preempt(self, running: Thread) -> bool:
        if self.moving and running.index in self.moving:
            return True
        cpu = running.cpu.index if running.cpu is not None else 0
        return len(self.queues[cpu]) > 0 and self.queues[cpu].should_preempt(running)

    def describe(self) -> dict[str, object]:
        details: dict[str, object] = {}
        for queue in self.queues:
            details.update(queue.describe())
        return details
