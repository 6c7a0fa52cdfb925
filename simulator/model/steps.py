"""The steps of thread programs that touch memory or synchronize, and blocking itself.

`ProgramSteps` is mixed into the Kernel: each `_step_*` method runs one operation for the thread running
on `cpu` and returns True when the thread goes on (the step took no time) or False when it left the CPU.
It also implements the `Host` interface of simulator.model.sync (park, unpark, misuse) and finds deadlock cycles
as they form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from simulator.analysis.races import Access, RaceDetector, join
from simulator.analysis.violations import Violation
from simulator.engine import PRIORITY_WAKE, Engine
from simulator.model.processes import Process
from simulator.model.sync import Barrier, Channel, Condition, Event, Mutex, Semaphore, SyncObject, WaitQueue
from simulator.model.threads import BLOCKED, Thread
from simulator.program.expressions import EvaluationError, Expression, Register, Variable, evaluate, variables
from simulator.program.operations import (
    Acquire,
    Assert,
    Atomic,
    BarrierWait,
    Check,
    Fork,
    Get,
    Join,
    Let,
    Load,
    Lock,
    Notify,
    Put,
    Release,
    SetEvent,
    Spawn,
    Store,
    Unlock,
    Wait,
    WaitEvent,
    WaitProcess,
)

SyncKind = TypeVar("SyncKind", bound=SyncObject)

if TYPE_CHECKING:
    from simulator.model.cpus import Cpu
    from simulator.scenario.model import Scenario


class ProgramSteps:
    """Memory, control and synchronization steps; blocking and waking; deadlock cycles."""

    __slots__ = ()

    # Provided by the Kernel.
    engine: Engine
    scenario: Scenario
    races: RaceDetector
    violations: list[Violation]
    threads: list[Thread]
    ipc: dict[str, SyncObject]
    _listeners: tuple[Any, ...]
    _emit: Callable[..., None]
    _leave: Callable[..., None]
    _wake: Callable[[Thread], None]
    _schedule: Callable[..., None]
    _create_thread: Callable[..., Thread]
    _fork: Callable[[Process, str], Process]
    _violation: Callable[..., None]

    def _step_handlers(self) -> dict[type, Callable[[Cpu, Thread, Any], bool]]:
        return {
            Load: self._step_load, Store: self._step_store, Let: self._step_let, Atomic: self._step_atomic,
            Check: self._step_check, Assert: self._step_assert, Lock: self._step_lock, Unlock: self._step_unlock,
            Acquire: self._step_acquire, Release: self._step_release, Wait: self._step_wait,
            Notify: self._step_notify, SetEvent: self._step_set_event, WaitEvent: self._step_wait_event,
            BarrierWait: self._step_barrier, Put: self._step_put, Get: self._step_get, Spawn: self._step_spawn,
            Join: self._step_join, Fork: self._step_fork, WaitProcess: self._step_wait_process,
        }  # fmt: skip

    # -- memory ----------------------------------------------------------------------------------------------

    def _read(self, thread: Thread, variable: str, line: int, op: str = "load") -> int:
        process = thread.proc
        value = process.memory[variable]
        self.races.access(thread.index, process.name, variable, Access(self.engine.now, thread.name, op, line, False))
        if self._listeners:
            self._emit(thread.cpu_index(), thread.name, "load", ("var", variable), ("value", value),
                       ("line", line))  # fmt: skip
        return value

    def _write(self, thread: Thread, variable: str, value: int, line: int, op: str = "store") -> None:
        process = thread.proc
        process.memory[variable] = value
        self.races.access(thread.index, process.name, variable, Access(self.engine.now, thread.name, op, line, True))
        if self._listeners:
            self._emit(thread.cpu_index(), thread.name, op, ("var", variable), ("value", value),
                       ("line", line))  # fmt: skip

    def _evaluate(self, thread: Thread, expression: Expression, line: int) -> int:
        def read(node: Expression) -> int:
            if isinstance(node, Register):
                return thread.registers.get(node.name, 0)
            assert isinstance(node, Variable)
            return self._read(thread, node.name, line)

        try:
            return evaluate(expression, read)
        except EvaluationError as error:
            self.misuse(thread, f"{error} at line {line}; the result is taken as 0")
            return 0

    def _step_load(self, cpu: Cpu, thread: Thread, op: Load) -> bool:
        thread.registers[op.into] = self._read(thread, op.var, op.line)
        return True

    def _step_store(self, cpu: Cpu, thread: Thread, op: Store) -> bool:
        self._write(thread, op.var, self._evaluate(thread, op.value, op.line), op.line)
        return True

    def _step_let(self, cpu: Cpu, thread: Thread, op: Let) -> bool:
        thread.registers[op.reg] = self._evaluate(thread, op.value, op.line)
        return True

    def _step_atomic(self, cpu: Cpu, thread: Thread, op: Atomic) -> bool:
        process = thread.proc
        if process.atomic_clocks is None:
            process.atomic_clocks = {}
        clock = process.atomic_clocks.setdefault(op.var, {})
        self.races.acquire(thread.index, clock)
        value = self._evaluate(thread, op.value, op.line)
        old = process.memory[op.var]
        if op.op == "add":
            new = old + value
        elif op.op == "sub":
            new = old - value
        elif op.op == "cas":
            assert op.expected is not None
            new = value if old == self._evaluate(thread, op.expected, op.line) else old
        else:  # set, swap
            new = value
        if op.into is not None:
            thread.registers[op.into] = old
        process.memory[op.var] = new
        access = Access(self.engine.now, thread.name, f"atomic {op.op}", op.line, True)
        self.races.access(thread.index, process.name, op.var, access)
        self.races.release(thread.index, clock)
        if self._listeners:
            self._emit(thread.cpu_index(), thread.name, "atomic", ("var", op.var), ("op", op.op),
                       ("old", old), ("value", new), ("line", op.line))  # fmt: skip
        return True

    def _step_check(self, cpu: Cpu, thread: Thread, op: Check) -> bool:
        thread.result = int(bool(self._evaluate(thread, op.cond, op.line)))
        return True

    def _step_assert(self, cpu: Cpu, thread: Thread, op: Assert) -> bool:
        if not self._evaluate(thread, op.cond, op.line):
            names = dict.fromkeys(str(v) for v in variables(op.cond))
            shown = ", ".join(f"{name} = {thread.proc.memory[name]}" for name in names)
            values = f" ({shown})" if shown else ""
            self._violation("assert", thread, f"assert {op.text} failed at line {op.line}{values}")
        return True

    # -- synchronization -------------------------------------------------------------------------------------

    def _object(self, thread: Thread, name: str, kind: type[SyncKind]) -> SyncKind:
        """The object `name` the thread can see (its process's, else the machine's ipc), of the kind the
        loader checked it is."""
        found = thread.proc.sync.get(name)
        obj = found if found is not None else self.ipc[name]
        assert isinstance(obj, kind), "the loader checks each operation's object kind"
        return obj

    def _step_lock(self, cpu: Cpu, thread: Thread, op: Lock) -> bool:
        mutex = self._object(thread, op.obj, Mutex)
        was_free = mutex.owner is None
        going_on = mutex.lock(self, thread)
        if was_free and self._listeners:
            self._emit(cpu.index, thread.name, "lock", ("object", mutex.name))
        return going_on

    def _step_unlock(self, cpu: Cpu, thread: Thread, op: Unlock) -> bool:
        mutex = self._object(thread, op.obj, Mutex)
        if mutex.owner is thread and self._listeners:
            self._emit(cpu.index, thread.name, "unlock", ("object", mutex.name))
        return mutex.unlock(self, thread)

    def _step_acquire(self, cpu: Cpu, thread: Thread, op: Acquire) -> bool:
        semaphore = self._object(thread, op.obj, Semaphore)
        return semaphore.acquire(self, thread)

    def _step_release(self, cpu: Cpu, thread: Thread, op: Release) -> bool:
        semaphore = self._object(thread, op.obj, Semaphore)
        return semaphore.release(self, thread)

    def _step_wait(self, cpu: Cpu, thread: Thread, op: Wait) -> bool:
        condition = self._object(thread, op.obj, Condition)
        return condition.wait(self, thread, op.timeout)

    def _step_notify(self, cpu: Cpu, thread: Thread, op: Notify) -> bool:
        condition = self._object(thread, op.obj, Condition)
        return condition.notify(self, thread, op.all)

    def _step_set_event(self, cpu: Cpu, thread: Thread, op: SetEvent) -> bool:
        event = self._object(thread, op.obj, Event)
        return event.set(self, thread, not op.clear)

    def _step_wait_event(self, cpu: Cpu, thread: Thread, op: WaitEvent) -> bool:
        event = self._object(thread, op.obj, Event)
        return event.wait(self, thread)

    def _step_barrier(self, cpu: Cpu, thread: Thread, op: BarrierWait) -> bool:
        barrier = self._object(thread, op.obj, Barrier)
        return barrier.arrive(self, thread)

    def _step_put(self, cpu: Cpu, thread: Thread, op: Put) -> bool:
        channel = self._object(thread, op.obj, Channel)
        return channel.put(self, thread, self._evaluate(thread, op.value, op.line))

    def _step_get(self, cpu: Cpu, thread: Thread, op: Get) -> bool:
        channel = self._object(thread, op.obj, Channel)
        thread.receive_into = op.into
        if channel.get(self, thread):
            self._deliver(thread)
            return True
        return False

    def _deliver(self, thread: Thread) -> None:
        """Put a received item in the register the get asked for."""
        if thread.receive_into is not None and thread.received is not None:
            thread.registers[thread.receive_into] = thread.received
        thread.received = None
        thread.receive_into = None

    def _step_spawn(self, cpu: Cpu, thread: Thread, op: Spawn) -> bool:
        process = thread.proc
        if op.thread in process.threads:
            self.misuse(thread, f"{thread.name} spawns thread {op.thread + process.suffix}, which was already started")
            return True
        spec = next(spec for spec in process.spec.threads if spec.name == op.thread)
        self._create_thread(spec, process, self.engine.now, self.races.snapshot(thread.index))
        return True

    def _step_join(self, cpu: Cpu, thread: Thread, op: Join) -> bool:
        target = thread.proc.threads.get(op.thread)
        if target is thread:
            self.misuse(thread, f"{thread.name} joins itself")
            return True
        if target is None:
            self.misuse(thread, f"{thread.name} joins thread {op.thread + thread.proc.suffix}, which was never started")
            return True
        done = target.ending()
        if target.completion is not None and not done.done:  # it ended before anyone asked
            done.clock = dict(self.races.clock(target.index))
            done.done = True
        return done.wait(self, thread)

    def _step_fork(self, cpu: Cpu, thread: Thread, op: Fork) -> bool:
        child = self._fork(thread.proc, op.process)
        if thread.forked is None:
            thread.forked = {}
        thread.forked[op.process] = child
        clock = self.races.snapshot(thread.index)
        for spec in child.spec.threads:
            if spec.start == "arrival":
                self._create_thread(spec, child, self.engine.now, clock)
        return True

    def _step_wait_process(self, cpu: Cpu, thread: Thread, op: WaitProcess) -> bool:
        child = thread.forked.get(op.process) if thread.forked is not None else None
        if child is None:
            self.misuse(thread, f"{thread.name} waits for process {op.process}, which it never forked")
            return True
        completion = child.completion
        if child.live == 0 and not completion.done:  # every thread of it ended before anyone asked
            for member in child.threads.values():
                join(completion.clock, self.races.clock(member.index))
            completion.done = True
        return completion.wait(self, thread)

    # -- blocking and waking (the Host interface of simulator.model.sync) ------------------------------------------

    def park(self, thread: Thread, queue: WaitQueue, obj: SyncObject, reason: str, timeout: int | None = None) -> None:
        """Block the running `thread` in `queue`, waiting for `obj`; optionally only for `timeout` ns."""
        cpu = thread.cpu
        assert cpu is not None
        self._leave(cpu, thread, BLOCKED)
        thread.voluntary_switches += 1
        queue.park(thread)
        thread.waiting_on = obj
        thread.waiting_reason = reason
        thread.wait_serial += 1
        if self._listeners:
            self._emit(cpu.index, thread.name, "block", ("object", obj.name), ("kind", obj.kind), ("reason", reason))
        if timeout is not None:
            self._schedule(self.engine.now + timeout, PRIORITY_WAKE, self._timeout,
                           (thread, thread.wait_serial, queue, obj))  # fmt: skip
        self._check_cycle(thread)

    def rewait(self, thread: Thread, obj: SyncObject, reason: str) -> None:
        """A blocked thread now waits for something else (a notified waiter queued for its mutex)."""
        thread.waiting_on = obj
        thread.waiting_reason = reason
        thread.wait_serial += 1
        if self._listeners:
            self._emit(None, thread.name, "rewait", ("object", obj.name), ("kind", obj.kind), ("reason", reason))
        self._check_cycle(thread)

    def unpark(self, thread: Thread) -> None:
        """A blocked thread may go on: it becomes ready."""
        thread.waiting_on = None
        thread.waiting_reason = ""
        thread.wait_serial += 1
        self._deliver(thread)
        self._wake(thread)

    def handoff(self, obj: SyncObject, giver: Thread, taker: Thread) -> None:
        """Ownership of `obj` passed straight from `giver` to `taker` (a trace event only)."""
        if self._listeners:
            self._emit(None, taker.name, "handoff", ("object", obj.name), ("from", giver.name))

    def misuse(self, thread: Thread, message: str) -> None:
        """A thread used an object wrongly: a violation; the step has no effect and the thread goes on."""
        self._violation("misuse", thread, message)

    def _timeout(self, event: tuple[Thread, int, WaitQueue, SyncObject]) -> None:
        thread, serial, queue, obj = event
        if thread.wait_serial != serial or not queue.remove(thread):
            return
        if self._listeners:
            self._emit(None, thread.name, "timeout", ("object", obj.name))
        assert isinstance(obj, Condition)
        obj.wake(self, thread)

    # -- deadlocks ---------------------------------------------------------------------------------------------

    def _check_cycle(self, thread: Thread) -> None:
        """Follow who `thread` waits for; if that leads back to it through blocked threads, report the cycle.

        Only waits with one known holder (a mutex's owner, a joined thread) are followed: a semaphore, queue
        or event could be released by anyone, and a timed wait ends by itself, so neither closes a cycle.
        """
        path = [thread]
        current = thread
        while True:
            obj = current.waiting_on
            holders = obj.holders() if obj is not None else []
            if len(holders) != 1:
                return
            holder = holders[0]
            if holder is thread:
                break
            if holder in path or holder.state is not BLOCKED:
                return
            path.append(holder)
            current = holder
        names = frozenset(member.name for member in path)
        if names in self._reported_cycles:
            return
        self._reported_cycles.add(names)
        self._deadlocked.update(names)
        links = "; ".join(f"{member.name} waits for {_current_reason(member)}" for member in path)
        self._violation("deadlock", None, f"deadlock cycle: {links}")

    _reported_cycles: set[frozenset[str]]
    _deadlocked: set[str]

    def _report_stuck(self) -> None:
        """Nothing can run any more, yet threads remain: report those not already in a reported cycle."""
        stuck = [t for t in self.threads if t.state is BLOCKED and t.name not in self._deadlocked]
        if stuck:
            links = "; ".join(f"{t.name} waits for {_current_reason(t)}" for t in stuck)
            self._violation("deadlock", None, f"stuck: nothing can run any more: {links}")


def _current_reason(thread: Thread) -> str:
    """What a blocked thread waits for, as of now: a mutex may have changed hands since it parked."""
    obj = thread.waiting_on
    if isinstance(obj, Mutex) and obj.owner is not None:
        return f"mutex {obj.name} held by {obj.owner.name}"
    return thread.waiting_reason
