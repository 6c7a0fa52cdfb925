"""The simulated operating system: threads on CPUs, driven by a policy, on top of the engine.

The kernel turns each thread's program into events. A running thread takes one step per event: the step
that follows a compute (or a dispatch) runs at once, and each further zero-time step is a new CPU event at
the same instant, so that steps of threads running on different CPUs at one instant interleave, as real
parallel threads do. A compute step becomes one CPU event at its end; sleeping and I/O become wake-up
events. A quantum expiry is
an event only while some thread is waiting for a CPU: a quantum that ends with nobody else ready changes
nothing (SPEC section 4), so a thread computing alone for 10^12 ms costs what one computing for 10 ms costs.
Quantum boundaries stay on the grid `slice_start + k * quantum` from the dispatch, like a timer tick.

The kernel keeps the hot path: running a thread's program on its CPU (compute and quantum expiry, sleep,
yield, I/O requests, a thread's end) here, and giving the CPUs out (arrival and wake-up, dispatch, context
switches, preemption, the refill shortcut) in simulator.model.dispatch, the part of the kernel it derives
from. The rest lives where its name says:
the other steps in simulator.model.steps, blocking and waking in simulator.model.blocking (the `Host` that
synchronization objects and the GIL call back into), the GIL's rules in simulator.model.gil, device service
in simulator.model.devices, making processes and threads in simulator.model.creation, arming expiries and
the policy's timer in simulator.model.slices, what policies see in simulator.model.policy_view, the queue
layout in simulator.policies.queues, violations, run bounds and the end of a run in simulator.model.outcome
(livelocks found by simulator.analysis.livelock, deadlock cycles by simulator.analysis.deadlock, the
end-of-run expectations by simulator.analysis.expectations), exploration's visibility test in
simulator.analysis.footprints.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from simulator.analysis.footprints import Footprints, is_visible
from simulator.analysis.races import RaceDetector
from simulator.analysis.violations import ViolationLog
from simulator.bounds import DEFAULT_MAX_INSTANT_STEPS, EVENTS_PER_STEP
from simulator.chooser import Chooser, Strategy
from simulator.engine import PRIORITY_CPU, PRIORITY_CPU_FIRST, PRIORITY_WAKE, Engine
from simulator.model.blocking import Blocking
from simulator.model.caches import Caches
from simulator.model.control import Control
from simulator.model.cpus import Cpu
from simulator.model.creation import Creator
from simulator.model.devices import make_devices
from simulator.model.dispatch import Dispatch
from simulator.model.outcome import Outcome
from simulator.model.policy_view import PolicyView
from simulator.model.processes import Process, make_sync_objects
from simulator.model.slices import Slices
from simulator.model.steps import ProgramSteps
from simulator.model.sync import thread_ended
from simulator.model.threads import BLOCKED, DONE, READY, RUNNING, SLEEPING, State, Thread
from simulator.policies import Policy
from simulator.policies.queues import ready_queues
from simulator.program.operations import Compute, Exit, Io, Sleep, Yield
from simulator.scenario.model import Scenario
from simulator.trace import Listener, TraceEvent


class Kernel(Dispatch):
    """Runs one scenario once. Build it, call `run()`, then read its threads, CPUs and violations.

    A scenario with a cache model (`machine.cache`) makes a `CachingKernel`, which has the cache's hooks, so
    that runs without one pay nothing for them."""

    # Slots, not an instance dict: the hot path reads these attributes on every event, and CPython 3.11
    # reads slots faster than the attributes of an instance with this many of them (about 9% on make bench).
    __slots__ = (
        "scenario", "chooser", "engine", "policy", "context_switch", "migration_cost", "cpus", "devices",
        "max_steps", "max_events", "steps", "violations", "races", "end_time", "complete", "step_bound_hit",
        "threads", "processes", "ipc", "_controlled", "_control", "_controlled_picks", "_footprints",
        "_creator", "_blocking", "_steps_by_type", "_finished", "_preemptive", "_slice", "_handover",
        "_anyone_fits", "_timed", "_slices", "_cpu_priority", "_tracks_slices", "_holds_io", "caches",
        "_schedule", "_defer", "_dispatch_callback", "_on_cpu_event", "_on_wake", "_listeners",
        "max_instant_steps", "_instant", "_instant_steps", "_outcome", "_violation", "spans",
    )  # fmt: skip

    def __new__(cls, scenario: Scenario, **_: object) -> Kernel:
        if cls is Kernel and scenario.machine.cache is not None:
            cls = CachingKernel
        return object.__new__(cls)

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int,
        listeners: Sequence[Listener] = (),
        max_steps: int | None = None,
        strategy: Strategy | None = None,
        footprints: Footprints | None = None,
        max_instant_steps: int | None = DEFAULT_MAX_INSTANT_STEPS,
        detect_races: bool = True,
    ) -> None:
        """`max_steps` bounds the steps of the run, and its engine events (simulator.bounds.EVENTS_PER_STEP
        per step; None: no bound); `max_instant_steps` the steps one thread
        may take at one instant before the run stops as a livelock (None: never; see
        simulator.analysis.livelock); without `detect_races`, no data race is looked for (an explorer's
        schedule of a scenario that does not expect `no_data_race`)."""
        machine = scenario.machine
        self.scenario = scenario
        self.chooser = Chooser(seed, strategy)
        self.engine = Engine(self.chooser.tiebreak if machine.tiebreak == "random" else None)
        #: An explorer's strategy makes scheduling decisions: the kernel asks before visible steps that may
        #: conflict with another thread's (the others commute with everything: see simulator.analysis.footprints).
        self._controlled = self.chooser.controlled
        self._footprints = footprints or (Footprints(scenario) if self._controlled else None)
        #: Some thread is pinned to some CPUs (the queue layer then checks who may run where).
        pinned = any(spec.affinity is not None for spec in scenario.threads())
        self.policy: Policy = ready_queues(machine, pinned, lambda cpu: self.cpus[cpu].thread is not None)
        #: Any ready thread may run on any CPU (one global queue, nobody pinned): see _waiting_for.
        self._anyone_fits = machine.queues != "per_cpu" and not pinned
        self.migration_cost = machine.migration_cost
        self.context_switch = machine.context_switch
        self.cpus = [Cpu(index) for index in range(machine.cpus)]
        self.devices = make_devices(machine)
        self.max_steps = max_steps
        #: The engine's events are bounded with the steps (see simulator.bounds.EVENTS_PER_STEP).
        self.max_events = None if max_steps is None else max_steps * EVENTS_PER_STEP
        self.steps = 0
        #: Livelock: the instant of the last step and the steps taken since the clock moved; once those pass
        #: max_instant_steps, each thread's are counted (Outcome.spins).
        self.max_instant_steps = max_instant_steps if max_instant_steps is not None else 1 << 62
        self._instant = -1
        self._instant_steps = 0
        self.context_switches = 0
        #: How many times a CPU was given to a thread, and how many sleeping or blocked threads woke.
        self.dispatches = 0
        self.wakeups = 0
        self.violations = ViolationLog()  # capped per kind and subject
        self.races = RaceDetector.for_run(scenario, self._footprints, detect_races)
        self.end_time = 0
        self.complete = False
        self.step_bound_hit = False
        self.threads: list[Thread] = []
        #: Process instances by name, in the order they started.
        self.processes: dict[str, Process] = {}
        self.ipc = make_sync_objects(machine.ipc)
        self._finished = 0
        self._dispatch_pending = False
        #: A dispatch is giving out CPUs (see _refill).
        self._dispatching = False
        #: Threads in the policy's ready queue (kept here: the hot path asks often).
        self._ready = 0
        #: Some running CPU may be computing under a time slice with no expiry armed (nobody was waiting).
        self._unarmed = False
        #: Whether running threads are asked `should_preempt` at dispatches: a ranking policy's, or a timed one's
        #: (rr's global timer ends every running slice at its tick).
        self._preemptive = self.policy.preemptive or self.policy.timed
        #: Idle CPUs (no thread running or being switched to).
        self._idle = machine.cpus
        self._slice = self.policy.time_slice(None) if self.policy.constant_time_slice else -1  # type: ignore[arg-type]
        #: The policy has a timer (mlfq's boost, rr's global timer): see simulator.model.slices.
        self._timed = self.policy.timed
        self._tracks_slices = self.policy.tracks_slices
        #: A thread that starts an I/O keeps its CPU, idle, until the I/O ends (fcfs's `io_wait: hold`).
        self._holds_io = self.policy.holds_cpu_for_io
        #: The CPUs' events' same-instant priority: after arrivals and wake-ups, or (`cpu_first`) before them.
        self._cpu_priority = PRIORITY_CPU if machine.same_instant == "wakeups_first" else PRIORITY_CPU_FIRST
        #: A vacated CPU can go straight to the next ready thread when nothing else is due at that instant (see
        #: _refill): with one global queue, no pinning, no ranking preemption, no explorer.
        self._handover = self._anyone_fits and not (self._preemptive or self._controlled)
        #: Exploration chooses among ready threads, unless the policy ranks them and preempts for the best (it
        #: would take the CPU straight back, at the same instant, for ever: see Policy.ranks).
        self._controlled_picks = self._controlled and not (self.policy.preemptive and self.policy.ranks)
        self._control = (Control(self, self.chooser, self._footprints)
                         if self._controlled and self._footprints is not None else None)  # fmt: skip
        self._schedule = self.engine.schedule
        self._defer = self.engine.defer
        # Bound once: `self._cpu_event` would build a new bound-method object at every schedule.
        self._dispatch_callback = self._dispatch
        self._on_cpu_event = self._cpu_event
        self._on_wake = self._wake
        #: Arms quantum expiries off the per-event path, and the policy's timer.
        self._slices = Slices(self)
        #: The CPUs' caches of working sets (machine.cache; None: no cache model).
        self.caches = Caches(self, machine.cache) if machine.cache is not None else None
        self.policy.attach(PolicyView(self.engine, self.chooser, self._slices))
        self._listeners = tuple(listeners)
        #: Records the violations as they are found, stops the run at its bounds, and closes it at the end.
        self._outcome = Outcome(self, self._emit if self._listeners else None)
        self._violation = self._outcome.violation
        #: Parks and wakes threads for the synchronization objects (their Host); the other steps' table.
        self._blocking = Blocking(self.engine, self.races, self._emit if self._listeners else None, self._leave,
                                  self._wake, self._violation, self._interrupt_compute)  # fmt: skip
        #: The durations (ns) of each span's passes, in the order they ended (see ProgramSteps._step_span).
        self.spans: dict[str, array[int]] = {}
        self._blocking.reprioritize = self._reprioritize
        #: Makes the process instances and threads: those there from their arrival now, spawn's and fork's later.
        self._creator = Creator(self, self._arrive)
        self._steps_by_type = ProgramSteps(self, self._blocking, self._creator).handlers()
        self._creator.populate()

    # -- running -----------------------------------------------------------------------------------------

    def run(self, until: int | None = None) -> None:
        """Run to the end, to `until` (ns), or to the step bound, whichever comes first.

        When nothing can happen any more but threads remain blocked, they are reported as stuck. The
        expectations are checked when the run ended by itself (not at `until` or the step bound).
        """
        if self.threads:
            engine = self.engine
            engine.run(until, self.max_events)
            control = self._control
            while control is not None and control.delayed and engine.idle and not engine.stopped:
                control.release()  # nothing else can happen: the delayed threads go on
                engine.run(until, self.max_events)
            if engine.bounded:
                self._outcome.event_bound()
        self._outcome.end(until, self._blocking)

    def _emit(self, cpu: int | None, thread: str | None, event: str, *details: tuple[str, object]) -> None:
        trace_event = TraceEvent(self.engine.now, cpu, thread, event, details)
        for listener in self._listeners:
            listener(trace_event)

    # -- running a thread's program ----------------------------------------------------------------------

    def _advance(self, cpu: Cpu, thread: Thread) -> None:
        """Run `thread`'s next step on `cpu` now. A step that takes no time and leaves the thread running
        goes on to the following one at this same instant: at once when nothing else is due before it (the
        engine says so, and no dispatch is under way), else as a new CPU event, after the steps other CPUs
        already have due now."""
        engine = self.engine
        while True:
            now = engine.now
            if thread.remaining:
                self._compute(cpu, thread, now)
                return
            if self.max_steps is not None and self.steps >= self.max_steps:
                self._outcome.step_bound(thread)
                return
            operation = thread.next_op
            if operation is None:
                operation = thread.next_operation()
                if operation is None:
                    self._finish(cpu, thread)
                    return
            else:
                thread.next_op = None
            # Livelock: one compare per step while the clock moves; the rest only at an instant of many steps.
            if now == self._instant:
                self._instant_steps += 1
                if self._instant_steps >= self.max_instant_steps and self._outcome.spins(
                    thread, operation, self._instant_steps
                ):
                    return
            else:
                self._instant = now
                self._instant_steps = 0
            if self._controlled and is_visible(operation):
                assert self._control is not None
                if self._control.before_step(cpu, thread, operation):
                    return  # preempted or delayed: it takes this step when it runs again
            self.steps += 1
            if isinstance(operation, Compute):
                duration = operation.duration
                if operation.varies:
                    if operation.distribution is not None:
                        duration = self.chooser.draw(operation.distribution)
                    else:
                        duration = self.chooser.integer(duration - operation.jitter, duration + operation.jitter)
                thread.remaining = duration
                thread.cpu_at_step_end += duration
                thread.preemptible = operation.preemptible
                gil = thread.gil
                if gil is not None:
                    thread.needs_gil = not operation.releases_gil
                    if operation.releases_gil and gil.holder is thread:
                        gil.release(self._blocking)  # C code that drops the GIL while it runs
                if duration:
                    self._compute(cpu, thread, now)
                    return
            elif isinstance(operation, Sleep):
                self._vacate(cpu, thread, SLEEPING, now)
                thread.voluntary_switches += 1
                duration = operation.duration
                if operation.distribution is not None:
                    duration = self.chooser.draw(operation.distribution)
                if self._listeners:
                    self._emit(cpu.index, thread.name, "sleep", ("duration", duration))
                self._schedule(now + duration, PRIORITY_WAKE, self._on_wake, thread)
                self._refill(cpu, now)
                return
            elif isinstance(operation, Io):
                if self._holds_io:
                    self._hold(cpu, thread, now)
                else:
                    self._vacate(cpu, thread, BLOCKED, now)
                    thread.voluntary_switches += 1
                duration = operation.duration
                if operation.distribution is not None:
                    duration = self.chooser.draw(operation.distribution)
                thread.blocked_on = "blocked_io"
                if self._listeners:
                    self._emit(
                        cpu.index, thread.name, "block",
                        ("device", operation.device), ("duration", duration),
                    )  # fmt: skip
                self.devices[operation.device].request(self._blocking, thread, duration)
                if not self._holds_io:
                    self._refill(cpu, now)
                return
            elif isinstance(operation, Yield):
                if self._ready:
                    if self._controlled:
                        self.chooser.yielded(thread)  # PCT lowers a yielder, so a spin-with-yield loop lets others run
                    self._leave(cpu, thread, READY)
                    thread.voluntary_switches += 1
                    if self._listeners:
                        self._emit(cpu.index, thread.name, "yield")
                    self._enqueue(thread, "yield")
                    return
                # Nobody else is ready: continue at once, with the rest of the quantum.
            elif isinstance(operation, Exit):
                self._finish(cpu, thread)
                return
            elif not self._steps_by_type[type(operation)](cpu, thread, operation):
                return  # it blocked
            # The step took no time and the thread goes on (not during a dispatch: it has more to do after).
            cpu.segment_start = now
            cpu.expiry = None
            cpu.token += 1
            if not self._dispatching and engine.would_run_next(self._cpu_priority):
                engine.events += 1  # counted as the CPU event it stands for
                continue
            self._schedule(now, self._cpu_priority, self._on_cpu_event, (cpu, cpu.token))
            return

    def _compute(self, cpu: Cpu, thread: Thread, now: int) -> None:
        """`thread` is about to (go on) computing: preempt it if its quantum is over, else schedule its CPU
        event: the compute's end, or the quantum's if that comes first and someone is waiting."""
        if thread.needs_gil and not thread.gil.take(self._blocking, cpu, thread):  # type: ignore[union-attr]
            return
        time_slice = cpu.time_slice
        end = now + thread.remaining
        if time_slice is None:
            cpu.expiry = None
        else:
            waiting = self._ready and (self._anyone_fits or self._waiting_for(cpu))
            if now - cpu.slice_start >= time_slice:
                if waiting:
                    self.preempt(cpu, thread)
                    return
                # Nobody is waiting: the quantum is renewed in place, on the timer's grid (or as the policy
                # says, when slices change as a thread runs: mlfq's after a demotion).
                if self._slice == -1:
                    cpu.slice_start, time_slice = self.policy.renew_slice(thread, cpu.slice_start, time_slice, now)
                    cpu.time_slice = time_slice
                else:
                    cpu.slice_start += time_slice * ((now - cpu.slice_start) // time_slice)
            if not thread.preemptible:
                cpu.expiry = None
            elif waiting:
                # The quantum has begun at most one slice ago (renewed above): its boundary is the next.
                expiry = cpu.expiry = cpu.slice_start + time_slice
                if expiry < end:
                    end = expiry
            else:
                cpu.expiry = None
                self._unarmed = True  # the next dispatch that leaves a thread waiting arms it
        cpu.segment_start = now
        cpu.token += 1
        self._schedule(end, self._cpu_priority, self._on_cpu_event, (cpu, cpu.token))
        if self._timed:
            self._slices.arm_timer(now, end)

    def _cpu_event(self, event: tuple[Cpu, int]) -> None:
        """A compute step ended, or the quantum of the thread computing on this CPU expired."""
        cpu, token = event
        if token != cpu.token:
            return
        thread = cpu.thread
        assert thread is not None
        now = self.engine.now
        thread.remaining -= now - cpu.segment_start
        cpu.segment_start = now
        if thread.remaining == 0:
            cpu.expiry = None
            self._advance(cpu, thread)
            return
        # The armed quantum expired in the middle of a compute step.
        cpu.expiry = None
        if self._ready and (self._anyone_fits or self._waiting_for(cpu)):
            self.preempt(cpu, thread)
        else:
            self._compute(cpu, thread, now)

    def _account_segment(self, cpu: Cpu, thread: Thread) -> None:
        now = self.engine.now
        thread.remaining -= now - cpu.segment_start
        cpu.segment_start = now

    # -- leaving the CPU ---------------------------------------------------------------------------------

    def _leave(self, cpu: Cpu, thread: Thread, state: State) -> None:
        """Take `thread` off `cpu` into `state`; the CPU becomes idle and will dispatch."""
        self._vacate(cpu, thread, state, self.engine.now)
        # Idle CPUs look once, at the end of the instant, if anyone is ready (whoever becomes ready later in
        # the instant asks for a dispatch then).
        if self._ready and not self._dispatch_pending:
            self._dispatch_pending = True
            self._defer(self._dispatch_callback)

    def _vacate(self, cpu: Cpu, thread: Thread, state: State, now: int) -> None:
        """Take `thread` off `cpu` into `state` at `now`, leaving the CPU idle."""
        gil = thread.gil
        if gil is not None and state is not READY and gil.holder is thread:
            gil.release(self._blocking)  # sleeping, I/O, blocking and ending release the GIL
        if self._tracks_slices and cpu.time_slice is not None and now - cpu.slice_start > cpu.time_slice:
            self.policy.left_cpu(thread, cpu.slice_start, cpu.time_slice, now)  # it ran alone past its slice
        if thread.state is RUNNING:  # inline Thread.transition, checked: any state may follow (nothing to charge)
            thread.since = now
            thread.state = state
        else:
            thread.transition(state, now)
        cpu.busy += now - cpu.run_start
        cpu.thread = None
        self._idle += 1
        cpu.expiry = None
        cpu.token += 1
        thread.cpu = None
        thread.last_cpu = cpu.index

    def unfinished(self) -> int:
        """How many threads have not ended (those not yet arrived included)."""
        return len(self.threads) - self._finished

    def _finish(self, cpu: Cpu, thread: Thread) -> None:
        """`thread` ends on `cpu` (the last thing its event does: the CPU is refilled at the end)."""
        now = self.engine.now
        self._vacate(cpu, thread, DONE, now)
        thread.completion = now
        if self._listeners:
            self._emit(cpu.index, thread.name, "exit")
        thread_ended(self._blocking, thread)  # whoever joins it, or waits for its process, may go on
        self._finished += 1
        if self._finished == len(self.threads):
            self.engine.stop()
        self._refill(cpu, now)

    def _interrupt_compute(self, thread: Thread) -> None:
        """The running `thread` stops its compute now, if it has time left, and goes on with it at once, as
        from a dispatch: so it first re-checks what it needs to compute (a GIL it was asked to drop)."""
        cpu = thread.cpu
        assert cpu is not None
        now = self.engine.now
        if thread.remaining - (now - cpu.segment_start) > 0:
            self._account_segment(cpu, thread)
            cpu.expiry = None
            cpu.token += 1
            self._compute(cpu, thread, now)


class CachingKernel(Kernel):
    """The kernel of a run with a cache model (simulator.model.caches): it tells the caches when a thread
    (re)starts computing, before the GIL check (a thread that then waits for the GIL leaves at once), and
    when a thread leaves its CPU."""

    __slots__ = ()

    def _compute(self, cpu: Cpu, thread: Thread, now: int) -> None:
        self.caches.computing(cpu, thread, now)  # type: ignore[union-attr]  # warm here: `remaining` is warm time
        super()._compute(cpu, thread, now)

    def _vacate(self, cpu: Cpu, thread: Thread, state: State, now: int) -> None:
        self.caches.leave(cpu, thread)  # type: ignore[union-attr]
        super()._vacate(cpu, thread, state, now)
