"""Threads becoming ready and getting CPUs: arrival and wake-up, the policy's ready queue, dispatch (idle
CPUs pick in index order, then running threads are asked whether to yield to a waiting one), context
switches and migrations, preemption (the policy's, and an explorer's preemptions and delays), the refill
shortcut, a CPU held through an I/O (`io_wait: hold`) and re-filing a thread whose priority changed.

`Dispatch` is a part of the kernel (simulator.model.kernel.Kernel derives from it), kept in its own module
as the other half of the kernel's hot path: the kernel runs a thread's program on its CPU, this gives the
CPUs out. A mixin rather than an object of its own, so that the hot path pays no extra call or attribute
hop; the names it reads of the kernel are declared below, for readers and type checkers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from simulator.model.threads import BLOCKED, READY, RUNNING, SLEEPING, SWITCHING, Thread

if TYPE_CHECKING:
    from simulator.chooser import Chooser
    from simulator.engine import Engine
    from simulator.model.blocking import Blocking
    from simulator.model.cpus import Cpu
    from simulator.model.slices import Slices
    from simulator.policies import Policy, ReadyReason
    from simulator.trace import Listener


class Dispatch:
    """The dispatching half of the kernel (see the module docstring)."""

    # Its own state (the kernel's __init__ sets it up with the rest): threads dispatched, context switches
    # and wake-ups counted, threads in the ready queue, idle CPUs, whether a dispatch is pending (at the end
    # of the instant) or running, and whether some running CPU may compute under a slice with no expiry armed.
    __slots__ = ("dispatches", "context_switches", "wakeups", "_ready", "_idle", "_dispatch_pending",
                 "_dispatching", "_unarmed")  # fmt: skip
    dispatches: int
    context_switches: int
    wakeups: int
    _ready: int
    _idle: int
    _dispatch_pending: bool
    _dispatching: bool
    _unarmed: bool

    # What it reads of the kernel (simulator.model.kernel.Kernel sets them up).
    engine: Engine
    policy: Policy
    chooser: Chooser
    cpus: list[Cpu]
    context_switch: int
    migration_cost: int
    _preemptive: bool
    _controlled_picks: bool
    _handover: bool
    _holds_io: bool
    _slice: int | None  # -1: ask the policy at each dispatch
    _cpu_priority: int
    _slices: Slices
    _blocking: Blocking
    _listeners: Sequence[Listener]
    _schedule: Callable[..., None]
    _defer: Callable[[Callable[[], None]], None]
    _dispatch_callback: Callable[[], None]
    _on_cpu_event: Callable[[tuple[Cpu, int]], None]
    _emit: Callable[..., None]
    _advance: Callable[[Cpu, Thread], None]
    _compute: Callable[[Cpu, Thread, int], None]
    _vacate: Callable[..., None]
    _account_segment: Callable[[Cpu, Thread], None]

    def _arrive(self, thread: Thread) -> None:
        thread.transition(READY, self.engine.now)
        if self._listeners:
            self._emit(None, thread.name, "arrive", ("process", thread.process))
        self._enqueue(thread, "arrival")

    def _enqueue(self, thread: Thread, reason: ReadyReason) -> None:
        """Hand a thread that just became ready to the policy; idle CPUs look at the end of the instant."""
        self.policy.add(thread, reason)
        self._ready += 1
        # Idle CPUs look once, at the end of the instant; running ones, if an expiry may need arming or the
        # newcomer may preempt. Otherwise the dispatch would find nothing to do.
        if not self._dispatch_pending and (self._idle or self._unarmed or self._preemptive):
            self._dispatch_pending = True
            self._defer(self._dispatch_callback)

    def _dispatch(self) -> None:
        """Idle CPUs pick threads in index order; then running threads learn that others are waiting."""
        self._dispatch_pending = False
        self._dispatching = True
        try:
            self._dispatch_now()
        finally:
            self._dispatching = False

    def _dispatch_now(self) -> None:
        policy = self.policy
        now = self.engine.now
        if self._ready and self._idle:
            for cpu in self.cpus:
                if cpu.thread is None:
                    chosen: Thread | None
                    # A pick only when someone is left waiting: otherwise every ready thread gets a CPU now, and
                    # which one gets which changes nothing that a delay (see simulator.model.control) does not.
                    if self._controlled_picks and self._ready > self._idle:
                        candidates = policy.candidates(cpu.index)  # affinity: the queue layer's business
                        if not candidates:
                            continue
                        chosen = candidates[self.chooser.pick(candidates) if len(candidates) > 1 else 0]
                        policy.take(chosen)
                    else:
                        chosen = policy.pick(cpu.index)
                    if chosen is not None:
                        self._ready -= 1
                        self._start(cpu, chosen, now)
                        if not self._ready or not self._idle:
                            break
        if not self._ready or not (self._unarmed or self._preemptive):
            return
        self._unarmed = False
        for cpu in self.cpus:
            thread = cpu.thread
            # A thread being switched in, or in a non-preemptible call, is looked at when that ends.
            if thread is None or thread.state is not RUNNING or not thread.preemptible:
                continue
            if self._preemptive and policy.should_preempt(thread):
                self._account_segment(cpu, thread)
                if self._slice == -1 and cpu.time_slice is not None:
                    self._slices.renew_past(cpu, thread, now)
                self.preempt(cpu, thread)
            elif cpu.time_slice is not None and cpu.expiry is None:
                self._slices.arm_expiry(cpu, now)

    def _start(self, cpu: Cpu, thread: Thread, now: int, switched: bool = False) -> None:
        """Give `cpu` to `thread` at `now`, paying a context switch if the CPU last ran another thread; once
        the switch is over (`switched`), the thread runs. One function for both halves: most dispatches pay
        nothing and go straight on, and this is the hot path."""
        if not switched:
            self.dispatches += 1
            self._idle -= 1
            cpu.thread = thread
            thread.cpu = cpu
            last_cpu = thread.last_cpu
            migrated = last_cpu is not None and last_cpu != cpu.index
            if migrated:
                thread.migrations += 1
            previous = cpu.last_thread
            cpu.last_thread = thread
            cost = 0
            if previous is not None and previous is not thread:
                self.context_switches += 1
                cost = self.context_switch
            elif previous is thread and cpu.preempted is thread and cpu.preempted_at == now:
                # The policy gave the CPU straight back to the thread it just preempted (cfs, lottery, mlfq
                # when it is still the best): it never left the CPU for another thread, so that was no
                # involuntary switch, as no context switch is counted for it.
                thread.involuntary_switches -= 1
            if migrated and self.migration_cost:
                cost += self.migration_cost
            if cost:
                thread.transition(SWITCHING, now)
                cpu.switch_start = now
                cpu.token += 1
                if self._listeners:
                    self._emit(cpu.index, thread.name, "switch", ("from", previous.name if previous else None))
                self._schedule(now + cost, self._cpu_priority, self._switched, (cpu, cpu.token))
                return
        if thread.state is READY:  # inline Thread.transition, checked: it is the hot path (nothing to charge)
            thread.state = RUNNING  # and since is left alone: see Thread.since
        else:
            thread.transition(RUNNING, now)
        if thread.first_run is None:
            thread.first_run = now
        cpu.run_start = now
        cpu.segment_start = now
        if self._listeners:  # after segment_start: listeners may read the thread's times
            self._emit(cpu.index, thread.name, "run")
        cpu.time_slice = self.policy.time_slice(thread) if self._slice == -1 else self._slice
        cpu.slice_start = now
        if thread.remaining:
            self._compute(cpu, thread, now)  # resuming a preempted compute, with a fresh quantum
        else:
            cpu.expiry = None
            self._advance(cpu, thread)

    def _switched(self, event: tuple[Cpu, int]) -> None:
        cpu, token = event
        if token != cpu.token:
            return
        assert cpu.thread is not None
        now = self.engine.now
        cpu.switching += now - cpu.switch_start
        self._start(cpu, cpu.thread, now, switched=True)

    def _waiting_for(self, cpu: Cpu) -> bool:
        """Whether a ready thread could take this CPU (someone is ready at all: checked by the caller)."""
        return self.policy.has_waiting(cpu.index)  # per-CPU queues and pinning: the queue layer answers

    def dispatch_soon(self) -> None:
        """If anyone is ready, idle CPUs look once, at the end of the instant (and running ones learn that
        others wait)."""
        if self._ready and not self._dispatch_pending:
            self._dispatch_pending = True
            self._defer(self._dispatch_callback)

    def preempt(self, cpu: Cpu, thread: Thread) -> None:
        """Take `cpu` from the running `thread`, back to the ready queue (a policy's or an explorer's
        preemption)."""
        now = self.engine.now
        self._vacate(cpu, thread, READY, now)
        thread.involuntary_switches += 1
        cpu.preempted = thread
        cpu.preempted_at = now
        if self._listeners:
            self._emit(cpu.index, thread.name, "preempt", ("remaining", thread.remaining))
        self.policy.add(thread, "preempted")
        self._ready += 1
        self._refill(cpu, now)

    def delay(self, cpu: Cpu, thread: Thread) -> None:
        """Take `cpu` from the running `thread`, into no queue (an explorer's delay: see simulator.model.control);
        `undelay` makes it ready again."""
        now = self.engine.now
        self._vacate(cpu, thread, READY, now)
        thread.involuntary_switches += 1
        if self._listeners:
            self._emit(cpu.index, thread.name, "delay")
        self._refill(cpu, now)

    def undelay(self, thread: Thread) -> None:
        """A delayed thread is ready again."""
        self._enqueue(thread, "preempted")

    def _refill(self, cpu: Cpu, now: int) -> None:
        """`cpu` has been vacated, and its event has nothing else to do: give it the next ready thread now
        if that is exactly what the end-of-instant dispatch would do, else leave it to the dispatch.

        It is exactly that when nothing else is due at this instant, no dispatch is pending or running, and
        there is one global queue with nobody pinned, no ranking preemption and no explorer: an idle CPU and
        a ready thread never coexist without a pending dispatch, so every other CPU is busy and the dispatch
        would give this one the policy's pick. Doing it now saves the round trip through the engine, on
        every quantum expiry, sleep, I/O request and thread end under load.
        """
        if self._dispatch_pending or not self._ready:
            return  # a dispatch is due anyway, or would find nobody (whoever becomes ready asks for one)
        if self._handover and not self._dispatching and self.engine.quiet():
            following = self.policy.pick(cpu.index)
            assert following is not None
            self._ready -= 1
            self._dispatching = True
            self._start(cpu, following, now)
            self._dispatching = False
            if self._dispatch_pending or not self._unarmed:
                return  # else running CPUs may need their expiry armed: the dispatch does that
        self._dispatch_pending = True
        self._defer(self._dispatch_callback)

    def _wake(self, thread: Thread) -> None:
        self.wakeups += 1
        now = self.engine.now
        if thread.state is SLEEPING:  # inline Thread.transition, checked: a sleeper may become ready
            thread.sleeping += now - thread.since
            thread.since = now
            thread.state = READY
        else:
            thread.transition(READY, now)
        if self._listeners:
            self._emit(None, thread.name, "wake")
        if self._holds_io and thread.cpu is not None:  # its CPU waited for its I/O: it goes on there at once
            self._resume(thread.cpu, thread, now)
            return
        self._enqueue(thread, "wakeup")

    def _hold(self, cpu: Cpu, thread: Thread, now: int) -> None:
        """`thread` starts an I/O and keeps `cpu`, which waits for it, idle and given to nobody else
        (`io_wait: hold`); `_resume` goes on with it when the I/O ends."""
        gil = thread.gil
        if gil is not None and gil.holder is thread:
            gil.release(self._blocking)
        thread.transition(BLOCKED, now)
        cpu.busy += now - cpu.run_start
        cpu.expiry = None
        cpu.token += 1

    def _resume(self, cpu: Cpu, thread: Thread, now: int) -> None:
        """The I/O of a thread whose CPU waited for it is over: it runs again there (no dispatch, no switch),
        its next step a CPU event of this instant."""
        thread.transition(RUNNING, now)
        cpu.run_start = now
        cpu.segment_start = now
        if self._listeners:
            self._emit(cpu.index, thread.name, "run")
        cpu.token += 1
        self._schedule(now, self._cpu_priority, self._on_cpu_event, (cpu, cpu.token))
        if self._preemptive:
            self.dispatch_soon()  # a thread that woke while this one held the CPU may preempt it now

    def _reprioritize(self, thread: Thread) -> None:
        """`thread.priority` changed (a priority protocol): a ready thread is taken out of the policy's queue
        and added again (a policy that files threads by priority, in a heap say, puts it where it now
        belongs; it goes behind the threads of its new priority), and a preemptive policy looks again at
        who should run (a holder raised above a running thread, or lowered below a ready one)."""
        if thread.state is READY:
            self.policy.take(thread)
            self.policy.add(thread, "preempted")
        if self._preemptive and self._ready and not self._dispatch_pending:
            self._dispatch_pending = True
            self._defer(self._dispatch_callback)
