"""Each CPU's cache, as OSTEP's multi.py models it (`machine.cache`, and each thread's `working_set`).

A CPU's cache holds the working sets of the threads *warm* on it, up to `size` units. A thread that computes
on a CPU where it is not warm warms up there: once it has computed for `warmup` there (counted over all its
runs on that CPU, and kept while it runs elsewhere), it is warm there, the most recently warmed; while the
working sets then exceed the size, the least recently warmed thread is evicted (the one just warmed too,
last, if its own working set is larger than the cache) and must warm up there again from the start, for
`warmup` but at least one `tick`. With `warmup: 0` a thread is warm on a CPU the first time it computes
there. A warm thread computes `warm_rate` times as fast: what would take D of CPU time takes D / warm_rate,
in whole ticks when `tick` is set (multi.py's clock: a warm tick with less work left still takes the
tick). A thread that ends keeps its place in the caches, as in multi.py.

How the kernel sees it: while a thread computes warm on a CPU its `remaining` is CPU time at the warm rate
(its `cpu_at_step_end` moves by the difference, so that `cpu_time` stays the time it ran, and the CPU's
busy time is the time it was busy); when it leaves that CPU in mid-compute, its `remaining` is work again,
as CPU time at the cold rate. A warm-up that ends in mid-compute is an event, at which the compute goes on
at the warm rate (Kernel._interrupt_compute). The kernel (a CachingKernel) calls `computing` whenever a
thread (re)starts computing and `leave` when a thread leaves its CPU; a run without a cache never comes
here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.model.cpus import Cpu
from simulator.model.threads import RUNNING, Thread
from simulator.scenario.model import CacheSpec

if TYPE_CHECKING:
    from simulator.model.kernel import Kernel


class Caches:
    """The caches of one kernel run's CPUs, and the warm computes in progress."""

    __slots__ = ("_kernel", "_schedule", "_priority", "size", "warmup", "rewarm", "rate", "tick",
                 "warm", "used", "warming", "marks", "scaled", "serial", "warm_time")  # fmt: skip

    def __init__(self, kernel: Kernel, spec: CacheSpec) -> None:
        cpus = len(kernel.cpus)
        self._kernel = kernel
        self._schedule = kernel.engine.schedule
        self._priority = kernel._cpu_priority
        self.size = spec.size
        self.warmup = spec.warmup
        #: How long an evicted thread takes to warm up again: at least a tick (multi.py's clock).
        self.rewarm = max(spec.warmup, spec.tick)
        self.rate = spec.warm_rate
        self.tick = spec.tick
        #: Per CPU: the threads warm there (index -> working set), least recently warmed first, and the sum.
        self.warm: list[dict[int, int]] = [{} for _ in range(cpus)]
        self.used = [0] * cpus
        #: Per CPU: the threads warming up there (index -> CPU time still to run there).
        self.warming: list[dict[int, int]] = [{} for _ in range(cpus)]
        #: Per CPU: the thread warming up while it computes there now, with its cpu_time then.
        self.marks: list[tuple[Thread, int] | None] = [None] * cpus
        #: The warm computes: thread index -> (CPU, work when it went warm, CPU time for it, the thread's
        #: cpu_at_step_end then: once that moves, the compute has ended and the thread is on to another).
        self.scaled: dict[int, tuple[int, int, int, int]] = {}
        #: Per CPU: bumped whenever its pending warm-up event is superseded.
        self.serial = [0] * cpus
        #: Per CPU: the time it ran threads warm at a warm rate above 1 (multi.py's "warm" figure).
        self.warm_time = [0] * cpus

    def computing(self, cpu: Cpu, thread: Thread, now: int) -> None:
        """`thread` (re)starts computing on `cpu` at `now`, its `remaining` up to date: go on warm, or warm up
        (scheduling the event at which the warm-up ends, if that comes before the compute's end)."""
        index = cpu.index
        self._settle(index, thread)
        self.serial[index] += 1
        key = thread.index
        if key in self.scaled:
            self._go_cold(thread)  # a warm compute that ended (or, on a GIL wait, one that goes on after it)
        if key in self.warm[index]:
            self._go_warm(index, thread)
            return
        warming = self.warming[index]
        left = warming.get(key)
        if left is None:
            if not self.warmup:
                self._warmed_up(index, thread)
                if key in self.warm[index]:
                    self._go_warm(index, thread)
                    return
                left = warming[key]
            else:
                left = warming[key] = self.warmup
        self.marks[index] = (thread, thread.cpu_time)
        if 0 < left < thread.remaining:
            self._schedule(now + left, self._priority, self._warm_event, (cpu, self.serial[index]))

    def leave(self, cpu: Cpu, thread: Thread) -> None:
        """`thread` leaves `cpu` (its `remaining` up to date): its warm-up there so far is kept, and what is
        left of a warm compute is work again."""
        index = cpu.index
        self._settle(index, thread)
        self.serial[index] += 1
        if thread.index in self.scaled:
            self._go_cold(thread)

    def _settle(self, index: int, thread: Thread) -> None:
        """Count the time `thread` computed on CPU `index` since its mark towards its warm-up there."""
        mark = self.marks[index]
        if mark is None:
            return
        self.marks[index] = None
        since = mark[1]
        left = self.warming[index].get(thread.index)
        if left is None or mark[0] is not thread:
            return
        ran = thread.cpu_time - since
        if ran >= left and ran > 0:
            self._warmed_up(index, thread)
        else:
            self.warming[index][thread.index] = left - ran

    def _warmed_up(self, index: int, thread: Thread) -> None:
        """`thread` is warm on CPU `index`, the most recently warmed; the least recently warmed are evicted
        while the working sets exceed the cache (this one too, last)."""
        self.warming[index].pop(thread.index, None)
        warm = self.warm[index]
        warm[thread.index] = thread.working_set
        self.used[index] += thread.working_set
        while self.used[index] > self.size:
            evicted = next(iter(warm))
            self.used[index] -= warm.pop(evicted)
            self.warming[index][evicted] = self.rewarm

    def _go_warm(self, index: int, thread: Thread) -> None:
        """The compute of `thread`, warm on CPU `index`, goes on at the warm rate."""
        rate = self.rate
        work = thread.remaining
        if rate == 1 or not work:
            return
        tick = self.tick
        time = -(-work // (rate * tick)) * tick if tick else -(-work // rate)
        thread.cpu_at_step_end += time - work
        thread.remaining = time
        self.scaled[thread.index] = (index, work, time, thread.cpu_at_step_end)

    def _go_cold(self, thread: Thread) -> None:
        """A warm compute stops (it ended, or the thread leaves its CPU, or goes on computing where the warm
        rate is recomputed): what is left is work again."""
        index, work, time, marker = self.scaled.pop(thread.index)
        if marker != thread.cpu_at_step_end:  # it ended, and a new compute step began
            self.warm_time[index] += time
            return
        left = thread.remaining
        elapsed = time - left
        self.warm_time[index] += elapsed
        if left:
            rest = max(0, work - elapsed * self.rate)
            thread.cpu_at_step_end += rest - left
            thread.remaining = rest

    def _warm_event(self, event: tuple[Cpu, int]) -> None:
        """A warm-up ends while the thread computes: it goes on at the warm rate from now."""
        cpu, serial = event
        thread = cpu.thread
        if serial != self.serial[cpu.index] or thread is None or thread.state is not RUNNING:
            return
        self._kernel._interrupt_compute(thread)
