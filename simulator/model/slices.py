"""Time slices off the per-event path: a quantum's expiry armed once a thread waits, the slice a thread
preempted for a better one ran alone past, and the policy's timer (mlfq's boost, rr's global timer).

A quantum expiry is an event only while some thread is waiting for a CPU (SPEC section 4): the kernel's
compute step schedules it when someone waits already, and when someone starts waiting for a CPU whose thread
computes with no expiry armed, the dispatch arms it here. A policy's timer is an event only while some thread
computes across it: a timer nobody computes across changes nothing the policy cannot work out when next asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.engine import PRIORITY_CPU, PRIORITY_TIMER
from simulator.model.cpus import Cpu
from simulator.model.threads import RUNNING, Thread

if TYPE_CHECKING:
    from simulator.model.kernel import Kernel


class Slices:
    """Arms quantum expiries and the policy's timer for one kernel run."""

    __slots__ = ("_kernel", "_cpus", "_policy", "_engine", "_schedule", "_cpu_priority", "_on_cpu_event",
                 "_ends_now", "_renews", "timer_at", "_done")  # fmt: skip

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel  # preempts for a timer that ends running slices, and asks for a dispatch
        self._cpus = kernel.cpus
        self._policy = kernel.policy
        self._engine = kernel.engine
        self._schedule = kernel.engine.schedule
        #: The CPUs' events' same-instant priority (see Kernel) and the event a CPU's compute ends with.
        self._cpu_priority = kernel._cpu_priority
        self._on_cpu_event = kernel._on_cpu_event
        #: A thread that starts waiting at the instant a slice ends came first, under `same_instant:
        #: wakeups_first` (the default): that slice ends now, with it waiting (under `cpu_first` it had ended).
        self._ends_now = kernel._cpu_priority == PRIORITY_CPU
        #: The policy renews slices itself (their length changes as a thread runs: mlfq's after a demotion).
        self._renews = kernel._slice == -1
        #: The instant the policy's timer is scheduled for (-1: none), and the last instant it went off.
        self.timer_at = -1
        self._done = -1

    def arm_expiry(self, cpu: Cpu, now: int) -> None:
        """Schedule the running thread's next quantum boundary, because a thread is now waiting."""
        time_slice = cpu.time_slice
        thread = cpu.thread
        assert time_slice is not None and thread is not None
        # A slice that ends right now ended before the newcomer came, under `same_instant: cpu_first`: the
        # thread, alone then, went on with a new one. By default the newcomer came first: it ends now.
        ends_now = self._ends_now
        elapsed = now - cpu.slice_start
        if elapsed < time_slice or (elapsed == time_slice and ends_now):
            expiry = cpu.slice_start + time_slice  # the slice since the dispatch (or the last renewal) ends
        else:
            # It ran alone past the slice: the boundary is that of the slice in progress.
            if self._renews:
                begin, cpu.time_slice = self._policy.renew_slice(thread, cpu.slice_start, time_slice, now)
            else:
                begin = cpu.slice_start + time_slice * (elapsed // time_slice)
            cpu.slice_start = begin
            expiry = begin if begin == now and ends_now else begin + cpu.time_slice  # type: ignore[operator]
        cpu.expiry = expiry
        # The CPU's pending event is its compute's end, at segment_start + remaining. Only an expiry before
        # that replaces it: one at or after it changes nothing, and rescheduling the same event would move it
        # behind the other CPUs' events of that instant (so a quantum longer than every burst would not
        # give the same run as FCFS).
        if expiry < cpu.segment_start + thread.remaining:
            cpu.token += 1
            self._schedule(expiry, self._cpu_priority, self._on_cpu_event, (cpu, cpu.token))

    def renew_past(self, cpu: Cpu, thread: Thread, now: int) -> None:
        """`thread` is preempted for a better one, its slice unarmed: if it ran alone past the slice's end
        (or to it, when that end came first, under `same_instant: cpu_first`), the policy learns of the slice
        it was in (mlfq's `preempted: front` tells a thread preempted in mid-slice from one whose slice ended)."""
        time_slice = cpu.time_slice
        assert time_slice is not None
        elapsed = now - cpu.slice_start
        if elapsed > time_slice or (elapsed == time_slice and not self._ends_now):
            cpu.slice_start, cpu.time_slice = self._policy.renew_slice(thread, cpu.slice_start, time_slice, now)

    def arm_timer(self, now: int, end: int) -> None:
        """A thread computes from `now` to `end`: if the policy's timer goes off meanwhile (now and at `end`
        included: a slice begun then, or going on, starts afresh), schedule it. Only then is it an event: a
        timer nobody computes across changes nothing the policy cannot work out when next asked (and it
        would only lengthen a run whose threads have all ended)."""
        at = self._policy.next_timer(max(now, self._done + 1))
        if at is not None and at <= end and at != self.timer_at:
            self.timer_at = at
            self._schedule(at, PRIORITY_TIMER, self._timer, at)

    def _timer(self, at: int) -> None:
        """The policy's timer went off: tell it, with the threads computing; give each a new slice from now
        (its armed expiry moves with it); then let the dispatch ask whether to preempt them. A policy whose
        timer ends the running slices (`timer_preempts`: rr's global timer) is asked here, in CPU order."""
        self.timer_at = -1
        self._done = at
        now = self._engine.now
        running = []
        for cpu in self._cpus:
            thread = cpu.thread
            if thread is not None and thread.state is RUNNING:
                thread.remaining -= now - cpu.segment_start
                cpu.segment_start = now
                running.append(thread)
        policy = self._policy
        policy.on_timer(running)
        renews = policy.renews_slices()
        for cpu in self._cpus:
            thread = cpu.thread
            if thread is None or thread.state is not RUNNING:
                continue
            # A thread whose compute ends now (its next step is due at this instant) is not cut short.
            if policy.timer_preempts and thread.remaining and thread.preemptible and policy.preempts_at_timer(thread):
                self._kernel.preempt(cpu, thread)
                continue
            if renews:
                if cpu.time_slice is None:
                    continue
                cpu.time_slice = self._policy.time_slice(thread)
                cpu.slice_start = now
                if not thread.remaining:
                    continue  # between two steps: the next one comes at this instant
                if cpu.expiry is not None and cpu.time_slice is not None:
                    expiry = cpu.expiry = now + cpu.time_slice
                    cpu.token += 1
                    self._schedule(
                        min(expiry, now + thread.remaining), self._cpu_priority, self._on_cpu_event, (cpu, cpu.token)
                    )
            elif not thread.remaining:
                continue  # a timer that leaves slices alone (per-CPU peeking): the next step comes now
            self.arm_timer(now, now + thread.remaining)
        if policy.timer_changed():
            self._kernel.dispatch_soon()
