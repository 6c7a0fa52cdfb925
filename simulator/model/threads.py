"""A thread at run time: its state, its program and its accounting.

Every state change is checked against the allowed transitions. Leaving switching, blocked or sleeping charges
the time spent there. CPU time is not charged at each change but counted from the compute steps (the CPU
time of those started, less what is left of the current one), and waiting is what remains of the thread's
time: so turnaround = cpu_time + waiting + blocked + sleeping + switching by construction (and blocked =
blocked_io + blocked_sync + blocked_gil: a blocked spell is charged to both), and a dispatch
and a preemption, the commonest changes, update no time total (a total last written a hundred thousand
dispatches earlier is a cache miss; see docs/design.md). `Thread.transition` checks and charges; the
kernel's hot path inlines the commonest changes where it knows the state being left, and calls it otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.program.interpreter import ProgramDriver, ProgramGenerator
from simulator.program.operations import Operation, Primitive, Repeat
from simulator.states import State

if TYPE_CHECKING:
    from simulator.analysis.races import Clock
    from simulator.model.cpus import Cpu
    from simulator.model.gil import Gil
    from simulator.model.locks import ProtocolMutex
    from simulator.model.processes import Process
    from simulator.model.sync import Completion
    from simulator.model.wait_queue import SyncObject


# Module-level names for the members: looking up `State.RUNNING` costs ten times a global in CPython 3.11,
# and the kernel's hot path does it several times per event.
NEW, READY, SWITCHING, RUNNING, BLOCKED, SLEEPING, DONE = State

_ALLOWED: dict[State, frozenset[State]] = {
    State.NEW: frozenset({State.READY}),
    State.READY: frozenset({State.SWITCHING, State.RUNNING}),
    State.SWITCHING: frozenset({State.RUNNING}),
    State.RUNNING: frozenset({State.READY, State.BLOCKED, State.SLEEPING, State.DONE}),
    State.BLOCKED: frozenset({State.READY}),
    State.SLEEPING: frozenset({State.READY}),
    State.DONE: frozenset(),
}
# Bit masks of _ALLOWED: the check sits on the hot path.
_ALLOWED_MASK = tuple(sum(1 << int(target) for target in _ALLOWED[State(s)]) for s in range(len(State)))

#: The attribute charged with the time spent in each state, indexed by State. None for new and done (a thread
#: leaves `new` at its arrival, and never leaves `done`), and for running and ready, which are derived (see
#: Thread.cpu_time and Thread.waiting).
_CHARGED: tuple[str | None, ...] = tuple(
    {SWITCHING: "switching", BLOCKED: "blocked", SLEEPING: "sleeping"}.get(state) for state in State
)


class TransitionError(RuntimeError):
    """The kernel tried a state change that the model forbids: a bug in threadsim, not user input."""


class Thread:
    """A thread's run-time state. Created by the kernel from a ThreadSpec."""

    __slots__ = (
        "index", "name", "process", "arrival", "priority", "program",
        "state", "since", "cpu_at_step_end", "switching", "blocked", "sleeping",
        "blocked_io", "blocked_sync", "blocked_gil", "blocked_on",
        "cpu", "last_cpu", "remaining", "preemptible",
        "first_run", "completion", "voluntary_switches", "involuntary_switches", "migrations",
        "proc", "registers", "result", "waiting_on", "waiting_reason", "wait_serial", "pending", "received",
        "receive_into", "done", "forked", "next_op", "demand", "tickets", "nice", "needs_gil", "gil", "affinity",
        "template", "held_back", "script", "pc", "body", "body_pc", "repeats", "timed_out", "base_priority",
        "boosting", "working_set",
    )  # fmt: skip

    def __init__(
        self,
        index: int,
        name: str,
        process: str,
        arrival: int,
        priority: int,
        program: ProgramGenerator | ProgramDriver | None,
        script: tuple[Operation, ...] | None = None,
    ) -> None:
        """Its program is a generator (`program`), or a program of primitive operations and repeats of them
        that it steps through itself (`script`, see simulator.program.interpreter.as_script)."""
        self.index = index
        self.name = name
        self.process = process
        self.arrival = arrival
        #: Its priority as policies see it: its own (`base_priority`), or more urgent while it holds a mutex
        #: with a priority protocol (simulator.model.locks.ProtocolMutex).
        self.priority = priority
        self.base_priority = priority
        #: The mutexes with a priority protocol it holds, in locking order (None until it takes one).
        self.boosting: list[ProtocolMutex] | None = None
        self.program = program
        #: A script, and where the thread is in it: the next operation's index, and in a repeat, its body,
        #: the next operation's index in the body, and the passes left (this one included).
        self.script = script
        self.pc = 0
        self.body: tuple[Operation, ...] | None = None
        self.body_pc = 0
        self.repeats = 0
        self.state = State.NEW
        #: When it entered its current state. Not while it runs: nothing is charged for running, so the kernel's
        #: dispatch leaves since alone (writing it there let go of a time last written ~100,000 dispatches
        #: earlier under RR with 100,000 threads, a cache miss, 3% of make bench at that size).
        self.since = arrival
        #: The CPU time it will have used when its current compute step ends: the durations of the compute steps
        #: it has started (so cpu_time = cpu_at_step_end - remaining).
        self.cpu_at_step_end = 0
        #: Time spent switching in, blocked and sleeping (Thread.transition charges them).
        self.switching = 0
        self.blocked = 0
        self.sleeping = 0
        #: The blocked time split by what it waited for: device I/O, a synchronization object, a GIL (their
        #: sum is `blocked`). `blocked_on` names the one the current (or last) blocked spell is charged to:
        #: whoever blocks the thread sets it (one store per block, nothing per event).
        self.blocked_io = 0
        self.blocked_sync = 0
        self.blocked_gil = 0
        self.blocked_on = "blocked_sync"
        self.cpu: Cpu | None = None
        self.last_cpu: int | None = None
        #: CPU time left in the current compute step (as of its CPU's segment_start, while it computes).
        self.remaining = 0
        self.preemptible = True
        self.first_run: int | None = None
        self.completion: int | None = None
        self.voluntary_switches = 0
        self.involuntary_switches = 0
        self.migrations = 0
        #: The process instance it belongs to (set by the kernel).
        self.proc: Process = None  # type: ignore[assignment]
        #: Private integer registers, 0 until set.
        self.registers: dict[str, int] = {}
        #: What the kernel sends into the program at the next step (a condition's value).
        self.result: int | None = None
        #: While blocked on synchronization: the object and a sentence saying why.
        self.waiting_on: SyncObject | None = None
        self.waiting_reason = ""
        #: Bumped at each park and wake, so a stale timeout can tell it is stale.
        self.wait_serial = 0
        #: A put that waits for room: the item and its clock. A get's item, and the register it goes to.
        self.pending: tuple[int, Clock] | None = None
        self.received: int | None = None
        self.receive_into: str | None = None
        #: The thread's end, which join waits for (made when first needed).
        self.done: Completion | None = None
        #: The last instance of each process this thread forked (for wait_process; made by the first fork).
        self.forked: dict[str, Process] | None = None
        #: The next operation, already taken from the program (a preemption came before it, or a policy
        #: looked at the next burst).
        self.next_op: Primitive | None = None
        #: The CPU time its program asks for, and its tickets and nice value (set by the kernel).
        self.demand = 0
        self.tickets = 100
        self.nice = 0
        #: Its working set, in the units of the machine's cache (simulator.model.caches).
        self.working_set = 0
        #: Its current compute runs Python code in a process with a GIL.
        self.needs_gil = False
        #: Its process's GIL, if it has one (proc.gil, kept here: the hot path asks at every CPU release).
        self.gil: Gil | None = None
        #: The CPUs it may run on (None: any).
        self.affinity: frozenset[int] | None = None
        #: Its name as declared (a forked instance's threads are named `T#2`...).
        self.template = name
        #: The kernel's step count when an explorer last held it back before a step (it is not asked again
        #: before that step until the count moves: simulator.model.control).
        self.held_back: int | None = None
        #: Its last timed wait ended by timing out (read by a Python body's driver, which sends it back).
        self.timed_out = False

    @property
    def cpu_time(self) -> int:
        """Time spent running: the CPU time of the compute steps it has started, less what is left of the
        current one (time passes on a CPU only in compute steps). While it computes on a CPU, this is as of
        the CPU's last event (`cpu.segment_start`): the kernel's policy view adds the segment in progress."""
        return self.cpu_at_step_end - self.remaining

    @property
    def waiting(self) -> int:
        """Time spent ready, in the ready spells that have ended: its time since arrival less its time in every
        other state, up to when it entered its current state (or, while it runs, up to its CPU's last event:
        it has been computing since its dispatch, and cpu_time goes that far)."""
        if self.state is NEW:
            return 0
        end = self.cpu.segment_start if self.state is RUNNING and self.cpu is not None else self.since
        return end - self.arrival - self.cpu_time - self.switching - self.blocked - self.sleeping

    def transition(self, new: State, now: int) -> None:
        """Move to state `new` at `now`, charging the time spent in the current state."""
        old = self.state
        if not (_ALLOWED_MASK[old] >> new) & 1:
            raise TransitionError(f"thread {self.name}: {old} -> {new} is not a valid transition")
        charged = _CHARGED[old]
        if charged is not None:
            spent = now - self.since
            setattr(self, charged, getattr(self, charged) + spent)
            if old is BLOCKED:
                setattr(self, self.blocked_on, getattr(self, self.blocked_on) + spent)
        self.since = now
        self.state = new

    def next_operation(self) -> Primitive | None:
        """Take the program's next primitive operation (None: the program has ended). A generator is sent
        the result of the last operation (a condition's value); a Python body's driver reads the other
        results itself (simulator.program.python)."""
        body = self.body
        if body is not None:  # in a repeat of primitive operations
            index = self.body_pc
            operation = body[index]
            index += 1
            if index == len(body):
                index = 0
                self.repeats -= 1
                if not self.repeats:
                    self.body = None
            self.body_pc = index
            return operation  # type: ignore[return-value]
        script = self.script
        if script is None:
            assert self.program is not None
            result, self.result = self.result, None
            try:
                return self.program.send(result)
            except StopIteration:
                return None
        while self.pc < len(script):
            operation = script[self.pc]
            self.pc += 1
            if not isinstance(operation, Repeat):
                return operation  # type: ignore[return-value]
            if operation.times and operation.steps:
                self.body, self.body_pc, self.repeats = operation.steps, 0, operation.times
                return self.next_operation()
        return None

    def ending(self) -> Completion:
        """The thread's end, which join waits for."""
        if self.done is None:
            from simulator.model.sync import Completion

            self.done = Completion(self.name, "thread", lambda: [self])
        return self.done

    def cpu_index(self) -> int | None:
        """The CPU it runs on, if any."""
        return self.cpu.index if self.cpu is not None else None

    def close(self, now: int) -> None:
        """Charge the time in the current state up to `now` (a run stopped before the thread ended)."""
        charged = _CHARGED[self.state]
        if charged is not None:
            spent = now - self.since
            setattr(self, charged, getattr(self, charged) + spent)
            if self.state is BLOCKED:
                setattr(self, self.blocked_on, getattr(self, self.blocked_on) + spent)
        self.since = now

    def __repr__(self) -> str:
        return f"<Thread {self.name} {self.state}>"
