"""CPython's global interpreter lock, modelled on Python/ceval_gil.h (3.11) and Python/ceval_gil.c (3.12+).

A process declared with `gil: true` (or `gil: {switch_interval: D, version: V}`) has one GIL. Its threads
need it to compute, except in a compute with `releases_gil: true` (C code that drops the lock). The rules,
as CPython's `take_gil` and `drop_gil` have them:

- The GIL is a flag behind a mutex and a condition variable. A thread that needs it while another holds
  it waits on the condition variable (blocked, reason "the GIL of P, held by H") with a timed wait of one
  switch interval (default 5 ms). When a wait times out and the GIL has not changed hands (`switch_number`
  unchanged) since that wait began, the waiter sets `gil_drop_request`: a holder that is computing drops
  the GIL at once; one that the OS has preempted drops it as soon as it runs again.
- Dropping unlocks the GIL and signals the condition variable: one waiter wakes, and which one is the OS's
  choice, here the run's chooser's (a seeded uniform draw; for the explorer a decision point whose default
  is the longest waiter). The woken waiter becomes ready; when it runs and finds the GIL free it takes it,
  and when it finds it taken (another thread got there first: passing-over) it waits again, with a fresh
  interval. Every wake-up restarts a waiter's interval.
- Forced switching (FORCE_SWITCHING): a thread that dropped the GIL on request waits (on `switch_cond`)
  until another thread has taken it, then competes again at once, as a waiter like the others.
- Sleeping, I/O, blocking on a lock or queue, ending, and C code that releases the GIL drop it voluntarily:
  it is unlocked and one waiter signalled, nothing more, so a thread coming back from I/O can find the GIL
  free and take it before the woken waiter runs.
- Taking the GIL back without anyone else having held it in between is not a switch.
- Steps that take no time (memory, synchronization) need no GIL in this model: only computing does.

One timer per GIL, not one per waiter: the drop request is due one switch interval after the later of the
last switch and the moment the first of the current waiters began its wait. This is CPython's rule exactly
when the switch was forced (the dropper starts waiting at the switch, so some waiter's interval is aligned
with it) or when every waiter began waiting after the switch; after a voluntary hand-over, waiters whose
intervals began before it would in CPython ask between one and two intervals after it (their old phase),
here after exactly one.

Processes never share a GIL; `gil: false` (the default) and `version: "3.13t"` are free-threaded.

The GIL is a synchronization object like the others: it holds these rules itself and calls back into the
run's `Host` (simulator.model.wait_queue) to park and wake threads, set its timer, and ask the kernel to
interrupt a computing holder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.engine import PRIORITY_WAKE
from simulator.model.wait_queue import Host, SyncObject, WaitQueue
from simulator.states import State

if TYPE_CHECKING:
    from simulator.chooser import Chooser
    from simulator.model.cpus import Cpu
    from simulator.model.threads import Thread

_RUNNING = State.RUNNING

#: CPython's default switch interval (sys.getswitchinterval()).
DEFAULT_SWITCH_INTERVAL = 5_000_000

#: The CPython versions `gil: {version: V}` accepts. 3.11, 3.12 and 3.13 follow the same rules in this
#: model (docs/policies.md says what differs in CPython and why it does not show here); 3.13t is the
#: free-threaded build: no GIL.
VERSIONS = ("3.11", "3.12", "3.13", "3.13t")
DEFAULT_VERSION = "3.12"
FREE_THREADED = "3.13t"


class _Waiters(WaitQueue):
    """The threads waiting on one of the GIL's condition variables, in the order they began waiting; the
    one to wake is chosen (by index), not always the first."""

    __slots__ = ("threads",)

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[Thread] = []

    def park(self, thread: Thread) -> None:
        self.threads.append(thread)

    def pop(self) -> Thread | None:
        return self.threads.pop(0) if self.threads else None

    def remove(self, thread: Thread) -> None:
        self.threads.remove(thread)

    def __len__(self) -> int:
        return len(self.threads)


class Gil(SyncObject):
    """One process's GIL, with its figures: time held, time threads waited for it, switches (hand-overs
    to a different thread) and forced drops."""

    kind = "GIL"

    def __init__(self, process: str, switch_interval: int) -> None:
        super().__init__(process)
        self.switch_interval = switch_interval
        self.holder: Thread | None = None
        #: The last thread that held the GIL (CPython's gil->last_holder): taking it back is no switch.
        self.last_holder: Thread | None = None
        #: Threads in take_gil's timed wait on gil_cond.
        self.waiters = _Waiters()
        #: Threads that dropped the GIL on request, waiting on switch_cond for another thread to take it.
        self.switching = _Waiters()
        #: A waiter asked the holder to drop the GIL (gil_drop_request), and the holder has not yet.
        self.drop_requested = False
        #: Hand-overs to a different thread (gil->switch_number).
        self.switches = 0
        #: Drops on request (the holder was asked to drop it and did).
        self.forced_drops = 0
        #: Total time (ns) the GIL was held, and total time threads waited for it (both waits).
        self.held = 0
        self.waited = 0
        #: The run's chooser: which waiter a signal wakes (the kernel sets it).
        self.chooser: Chooser | None = None
        self._taken_at = 0
        self._last_switch = 0
        self._since: dict[Thread, int] = {}
        #: Invalidates armed timers: only the timer armed last counts.
        self._timer = 0
        self._armed = False

    def figures(self, now: int) -> tuple[int, int]:
        """Time held and time waited for (ns) up to `now`, counting a hold or waits still in progress."""
        held = self.held + (now - self._taken_at if self.holder is not None else 0)
        return held, self.waited + sum(now - since for since in self._since.values())

    def holders(self) -> list[Thread]:
        return [self.holder] if self.holder is not None else []

    def reason(self) -> str:
        holder = self.holder.name if self.holder is not None else "nobody"
        return f"the GIL of {self.name}, held by {holder}"

    def take(self, host: Host, cpu: Cpu, thread: Thread) -> bool:
        """`thread`, running on `cpu`, is about to run Python code: whether it holds the GIL (taking it if it
        is free); if not, it is parked until it may try again."""
        holder = self.holder
        if holder is thread:
            if not self.drop_requested:
                return True
            # Asked to drop it (now, or while the OS had it preempted): drop it and wait for the switch.
            self.drop_requested = False
            if not self.waiters.threads:
                return True  # nobody is waiting any more (the woken waiter already went)
            self.forced_drops += 1
            self._drop(host, thread)
            host.park(thread, self.switching, self, f"the GIL of {self.name}, until another thread takes it")
            self._since[thread] = host.engine.now
            return False
        if holder is None:
            self._acquire(host, cpu, thread)
            return True
        host.park(thread, self.waiters, self, self.reason())
        now = host.engine.now
        self._since[thread] = now
        if len(self.waiters.threads) == 1 or not self._armed:
            # The first waiter since the last switch (or the others' request is already made): its interval.
            self._arm(host, max(now, self._last_switch))
        return False

    def release(self, host: Host) -> None:
        """The holder drops the GIL voluntarily (sleep, I/O, blocking, ending, C code that releases it): it
        is unlocked and one waiter is signalled."""
        holder = self.holder
        if holder is not None:
            self._drop(host, holder)

    # -- inside ----------------------------------------------------------------------------------------

    def _acquire(self, host: Host, cpu: Cpu, thread: Thread) -> None:
        now = host.engine.now
        self.holder = thread
        self._taken_at = now
        self.drop_requested = False
        if host.tracing:
            host.emit(cpu.index, thread.name, "gil", ("action", "take"), ("process", self.name))
        if thread is self.last_holder:
            return
        self.last_holder = thread
        self.switches += 1
        self._last_switch = now
        # The forced droppers may compete again; the waiters' intervals count from the switch.
        switching = self.switching.threads
        while switching:
            self._wake(host, switching.pop(0), now)
        if self.waiters.threads:
            self._arm(host, now)
        else:
            self._armed = False

    def _drop(self, host: Host, holder: Thread) -> None:
        """Unlock and signal the condition variable: the chooser picks which waiter wakes."""
        now = host.engine.now
        self.held += now - self._taken_at
        self.holder = None
        if host.tracing:
            host.emit(holder.cpu_index(), holder.name, "gil", ("action", "release"), ("process", self.name))
        if self.waiters.threads:
            self._signal(host, now)

    def _signal(self, host: Host, now: int) -> None:
        threads = self.waiters.threads
        index = 0
        if len(threads) > 1 and self.chooser is not None:
            chooser = self.chooser
            index = chooser.pick(threads) if chooser.controlled else chooser.integer(0, len(threads) - 1)
        self._wake(host, threads.pop(index), now)

    def _wake(self, host: Host, thread: Thread, now: int) -> None:
        self.waited += now - self._since.pop(thread)
        host.unpark(thread)

    def _arm(self, host: Host, start: int) -> None:
        """The drop request is due one switch interval after `start` (earlier timers no longer count)."""
        self._timer += 1
        self._armed = True
        engine = host.engine
        engine.schedule(start + self.switch_interval, PRIORITY_WAKE, self._interval, (host, self._timer))

    def _interval(self, event: tuple[Host, int]) -> None:
        """A full switch interval passed without a switch while threads waited: ask for the GIL."""
        host, timer = event
        if timer != self._timer or not self.waiters.threads:
            return
        self._armed = False
        holder = self.holder
        if holder is None:
            # Signalled, the woken waiter has not run yet: a timed-out waiter finds the GIL free.
            self._signal(host, host.engine.now)
            if self.waiters.threads:
                self._arm(host, host.engine.now)
            return
        self.drop_requested = True
        if host.tracing:
            host.emit(None, self.waiters.threads[0].name, "gil", ("action", "drop_request"),
                      ("holder", holder.name))  # fmt: skip
        if holder.cpu is None or holder.state is not _RUNNING or not holder.needs_gil:
            return  # not running Python code now: it drops the GIL when it next computes
        host.interrupt_compute(holder)
