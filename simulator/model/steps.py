"""The steps of thread programs that touch memory, synchronize, or start threads and processes.

The kernel runs compute, sleep, I/O, yield and exit itself (its hot path); every other primitive operation is
one `_step_*` method of `ProgramSteps`, found through the table `handlers()` returns. A handler runs the
operation for the thread running on `cpu` and returns True when the thread goes on (the step took no time)
or False when it left the CPU (it blocked: simulator.model.blocking). Synchronization steps hand the work
to the object (simulator.model.sync), with the run's `Host`.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from simulator.analysis.races import Access
from simulator.model.blocking import Blocking, deliver
from simulator.model.locks import Mutex, Semaphore
from simulator.model.sync import Barrier, Channel, Condition, Event
from simulator.model.threads import Thread
from simulator.model.wait_queue import SyncObject
from simulator.program.expressions import (
    EvaluationError,
    Expression,
    Register,
    ValueOverflow,
    Variable,
    evaluate,
    in_range,
    variables,
)
from simulator.program.operations import (
    Acquire,
    Assert,
    Atomic,
    BarrierWait,
    Check,
    Exit,
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
    SpanMark,
    Spawn,
    Store,
    Unlock,
    Wait,
    WaitEvent,
    WaitProcess,
)
from simulator.scenario import limits

SyncKind = TypeVar("SyncKind", bound=SyncObject)

if TYPE_CHECKING:
    from simulator.model.cpus import Cpu
    from simulator.model.creation import Creator
    from simulator.model.kernel import Kernel


#: How many span marks in a row run inside one another (each takes its next step at once, by recursion)
#: before one goes through the engine instead: the stack stays shallow whatever the program.
_SPAN_DEPTH = 64


class ProgramSteps:
    """Memory, control, synchronization, spawn and fork steps, for one kernel run."""

    __slots__ = ("engine", "races", "ipc", "host", "chooser", "spans", "_span_starts", "_span_depth", "_listeners",
                 "_emit", "_violation", "_create_thread", "_fork", "_advance", "_started",
                 "_starts_at_fork")  # fmt: skip

    def __init__(self, kernel: Kernel, host: Blocking, creator: Creator) -> None:
        self.engine = kernel.engine
        self.races = kernel.races
        self.ipc = kernel.ipc
        #: What synchronization objects call back into (parking, waking, misuse).
        self.host = host
        #: Draws a wait's timeout when it is a distribution.
        self.chooser = kernel.chooser
        #: Each span's pass durations (ns), in the order the passes ended (the kernel's own dict), and the
        #: instants at which each thread entered the spans it is in (innermost last; made when first needed).
        self.spans = kernel.spans
        self._span_starts: dict[int, list[int]] = {}
        #: How many span marks in a row are being taken at once, one inside the other (see _step_span).
        self._span_depth = 0
        # Bound once (the kernel's own methods): steps call them without a lookup through the kernel.
        self._listeners = kernel._listeners
        self._emit = kernel._emit
        self._violation = kernel._violation
        self._create_thread = creator.create_thread
        self._fork = creator.fork
        self._advance = kernel._advance
        # What spawn and fork have started so far (threads and process instances together: past
        # limits.MAX_STARTED, they are refused), and how many threads a fork of each process starts.
        self._started = 0
        self._starts_at_fork = {spec.name: sum(thread.start == "arrival" for thread in spec.threads)
                                for spec in kernel.scenario.processes if spec.start == "forked"}  # fmt: skip

    def handlers(self) -> dict[type, Callable[[Cpu, Thread, Any], bool]]:
        """The step for each operation type, bound to this run."""
        return {
            Load: self._step_load, Store: self._step_store, Let: self._step_let, Atomic: self._step_atomic,
            Check: self._step_check, Assert: self._step_assert, Lock: self._step_lock, Unlock: self._step_unlock,
            Acquire: self._step_acquire, Release: self._step_release, Wait: self._step_wait,
            Notify: self._step_notify, SetEvent: self._step_set_event, WaitEvent: self._step_wait_event,
            BarrierWait: self._step_barrier, Put: self._step_put, Get: self._step_get, Spawn: self._step_spawn,
            Join: self._step_join, Fork: self._step_fork, WaitProcess: self._step_wait_process,
            SpanMark: self._step_span,
        }  # fmt: skip

    # -- spans -----------------------------------------------------------------------------------------------

    def _step_span(self, cpu: Cpu, thread: Thread, op: SpanMark) -> bool:
        """Note entering a span; on leaving it, record the pass's duration. Spans nest within a thread's
        program (they are structured), so the innermost entry is the one being left. A pass that never
        leaves (the thread exits inside it, or the run stops) is not recorded.

        The mark touches nothing any other thread can see, so the thread's next step runs at once, as the
        step after a compute does, instead of as a new CPU event: a span costs no event of its own (a
        40,000-request queue would otherwise pay 80,000 more)."""
        now = self.engine.now
        starts = self._span_starts.get(thread.index)
        if not op.leave:
            if starts is None:
                starts = self._span_starts[thread.index] = []
            starts.append(now)
        else:
            assert starts, "a span is left only after it was entered"
            durations = self.spans.get(op.name)
            if durations is None:
                # Eight bytes a pass: 40,000 requests keep 320 kB, not 40,000 int objects.
                durations = self.spans[op.name] = array("q")
            durations.append(now - starts.pop())
        if self._span_depth >= _SPAN_DEPTH:
            return True  # marks in a row: the next step is a CPU event of this instant (no deeper recursion)
        self._span_depth += 1
        try:
            self._advance(cpu, thread)
        finally:
            self._span_depth -= 1
        return False  # the next step has been taken (it asked for its own next event, or left the CPU)

    # -- memory ----------------------------------------------------------------------------------------------

    def _read(self, thread: Thread, variable: str, line: int, op: str = "load") -> int:
        process = thread.proc
        value = process.memory[variable]
        races = self.races
        if not races.ignores_accesses:
            races.access(thread.index, process.name, variable, Access(self.engine.now, thread.name, op, line, False))
        if self._listeners:
            self._emit(thread.cpu_index(), thread.name, "load", ("var", variable), ("value", value),
                       ("line", line))  # fmt: skip
        return value

    def _write(self, thread: Thread, variable: str, value: int, line: int, op: str = "store") -> None:
        process = thread.proc
        process.memory[variable] = value
        races = self.races
        if not races.ignores_accesses:
            races.access(thread.index, process.name, variable, Access(self.engine.now, thread.name, op, line, True))
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
        except ValueOverflow:
            raise  # the step has no effect: its handler stops the thread (_overflow)
        except EvaluationError as error:
            self.host.misuse(thread, f"{error} at line {line}; the result is taken as 0", (str(line), "evaluate"))
            return 0

    def _overflow(self, thread: Thread, overflow: ValueOverflow, line: int) -> bool:
        """A value out of range (simulator.program.expressions): an `overflow` violation, the step has no
        effect, and the thread stops there, as if its next operation were `exit` (what it holds stays held).
        True: the thread goes on, to that exit."""
        self._violation("overflow", thread, f"{overflow.describe(f' at line {line}')}; {thread.name} stops",
                        (str(line), overflow.written))  # fmt: skip
        thread.next_op = Exit(line=line)
        return True

    # A handler that evaluates catches ValueOverflow itself (free in Python 3.11 until raised), so the steps
    # of programs that never overflow pay nothing for the check.

    def _step_load(self, cpu: Cpu, thread: Thread, op: Load) -> bool:
        thread.registers[op.into] = self._read(thread, op.var, op.line)
        return True

    def _step_store(self, cpu: Cpu, thread: Thread, op: Store) -> bool:
        try:
            value = self._evaluate(thread, op.value, op.line)
        except ValueOverflow as overflow:
            return self._overflow(thread, overflow, op.line)
        self._write(thread, op.var, value, op.line)
        return True

    def _step_let(self, cpu: Cpu, thread: Thread, op: Let) -> bool:
        try:
            thread.registers[op.reg] = self._evaluate(thread, op.value, op.line)
        except ValueOverflow as overflow:
            return self._overflow(thread, overflow, op.line)
        return True

    def _step_atomic(self, cpu: Cpu, thread: Thread, op: Atomic) -> bool:
        process = thread.proc
        if process.atomic_clocks is None:
            process.atomic_clocks = {}
        clock = process.atomic_clocks.setdefault(op.var, {})
        self.races.acquire(thread.index, clock)
        old = process.memory[op.var]
        if op.op == "load":  # an atomic read: ordered with the other atomics of the variable, writes nothing
            if op.into is not None:
                thread.registers[op.into] = old
            self.races.access(thread.index, process.name, op.var,
                              Access(self.engine.now, thread.name, "atomic load", op.line, False))  # fmt: skip
            self.races.release(thread.index, clock)
            if self._listeners:
                self._emit(thread.cpu_index(), thread.name, "atomic", ("var", op.var), ("op", "load"),
                           ("old", old), ("value", old), ("line", op.line))  # fmt: skip
            return True
        try:
            value = self._evaluate(thread, op.value, op.line)
            if op.op == "add":
                new = old + value
            elif op.op == "sub":
                new = old - value
            elif op.op == "cas":
                assert op.expected is not None
                new = value if old == self._evaluate(thread, op.expected, op.line) else old
            else:  # set, swap
                new = value
            if not in_range(new):
                sign = "+" if op.op == "add" else "-"
                raise ValueOverflow(f"atomic {op.op} {op.var}", f"{old} {sign} {value} = {new}", new)
        except ValueOverflow as overflow:
            self.races.release(thread.index, clock)
            return self._overflow(thread, overflow, op.line)
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
        try:
            thread.result = int(bool(self._evaluate(thread, op.cond, op.line)))
        except ValueOverflow as overflow:
            return self._overflow(thread, overflow, op.line)
        return True

    def _step_assert(self, cpu: Cpu, thread: Thread, op: Assert) -> bool:
        try:
            holds = self._evaluate(thread, op.cond, op.line)
        except ValueOverflow as overflow:
            return self._overflow(thread, overflow, op.line)
        if not holds:
            names = dict.fromkeys(str(v) for v in variables(op.cond))
            shown = ", ".join(f"{name} = {thread.proc.memory[name]}" for name in names)
            values = f" ({shown})" if shown else ""
            subject = (str(op.line), op.text) if op.text else (str(op.line),)
            self._violation("assert", thread, f"assert {op.text} failed at line {op.line}{values}", subject)
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
        going_on = mutex.lock(self.host, thread)
        if was_free and self._listeners:
            self._emit(cpu.index, thread.name, "lock", ("object", mutex.name))
        return going_on

    def _step_unlock(self, cpu: Cpu, thread: Thread, op: Unlock) -> bool:
        mutex = self._object(thread, op.obj, Mutex)
        if mutex.owner is thread and self._listeners:
            self._emit(cpu.index, thread.name, "unlock", ("object", mutex.name))
        return mutex.unlock(self.host, thread)

    # Each synchronization step is a trace event when someone listens (before the wake-ups it causes, which
    # follow as `wake` or `rewait` events): what it did, and whom it woke (a list of names, [] for nobody). A
    # step that blocks is the `block` event Host.park emits instead.

    def _step_acquire(self, cpu: Cpu, thread: Thread, op: Acquire) -> bool:
        semaphore = self._object(thread, op.obj, Semaphore)
        going_on = semaphore.acquire(self.host, thread)
        if going_on and self._listeners:
            self._emit(cpu.index, thread.name, "acquire", ("object", semaphore.name), ("count", semaphore.count))
        return going_on

    def _step_release(self, cpu: Cpu, thread: Thread, op: Release) -> bool:
        semaphore = self._object(thread, op.obj, Semaphore)
        if self._listeners:
            woken = _names(semaphore.waiters.first(1))
            count = semaphore.count + (0 if woken else 1)
            self._emit(cpu.index, thread.name, "release", ("object", semaphore.name), ("count", count),
                       ("woke", woken))  # fmt: skip
        return semaphore.release(self.host, thread)

    def _step_wait(self, cpu: Cpu, thread: Thread, op: Wait) -> bool:
        condition = self._object(thread, op.obj, Condition)
        timeout = op.timeout if op.timeout_distribution is None else self.chooser.draw(op.timeout_distribution)
        return condition.wait(self.host, thread, timeout)

    def _step_notify(self, cpu: Cpu, thread: Thread, op: Notify) -> bool:
        condition = self._object(thread, op.obj, Condition)
        if self._listeners:
            woken = _names(condition.waiters.first(None if op.all else 1))
            self._emit(cpu.index, thread.name, "notify_all" if op.all else "notify", ("object", condition.name),
                       ("woke", woken))  # fmt: skip
        return condition.notify(self.host, thread, op.all)

    def _step_set_event(self, cpu: Cpu, thread: Thread, op: SetEvent) -> bool:
        event = self._object(thread, op.obj, Event)
        if self._listeners:
            woken = [] if op.clear else _names(event.waiters.first())
            self._emit(cpu.index, thread.name, "clear_event" if op.clear else "set_event", ("object", event.name),
                       ("woke", woken))  # fmt: skip
        return event.set(self.host, thread, not op.clear)

    def _step_wait_event(self, cpu: Cpu, thread: Thread, op: WaitEvent) -> bool:
        event = self._object(thread, op.obj, Event)
        going_on = event.wait(self.host, thread)
        if going_on and self._listeners:
            self._emit(cpu.index, thread.name, "wait_event", ("object", event.name))  # it was set: no wait
        return going_on

    def _step_barrier(self, cpu: Cpu, thread: Thread, op: BarrierWait) -> bool:
        barrier = self._object(thread, op.obj, Barrier)
        if self._listeners:
            waiting = barrier.waiters.first()
            releases = len(waiting) + 1 >= barrier.parties
            self._emit(cpu.index, thread.name, "barrier", ("object", barrier.name),
                       ("arrived", len(waiting) + 1), ("parties", barrier.parties),
                       ("woke", _names(waiting) if releases else []))  # fmt: skip
        return barrier.arrive(self.host, thread)

    def _step_put(self, cpu: Cpu, thread: Thread, op: Put) -> bool:
        channel = self._object(thread, op.obj, Channel)
        try:
            value = self._evaluate(thread, op.value, op.line)
        except ValueOverflow as overflow:
            return self._overflow(thread, overflow, op.line)
        if self._listeners:
            getter = _names(channel.getters.first(1))
            if getter or len(channel.items) < channel.capacity:  # else it blocks: the block event says so
                self._emit(cpu.index, thread.name, "put", ("object", channel.name), ("value", value),
                           ("woke", getter))  # fmt: skip
        return channel.put(self.host, thread, value)

    def _step_get(self, cpu: Cpu, thread: Thread, op: Get) -> bool:
        channel = self._object(thread, op.obj, Channel)
        thread.receive_into = op.into
        if self._listeners and channel.items:
            putter = channel.putters.first(1)
            self._emit(cpu.index, thread.name, "get", ("object", channel.name), ("value", channel.items[0][0]),
                       ("woke", _names(putter)))  # fmt: skip
            if putter and putter[0].pending is not None:  # the woken putter's item goes in now
                self._emit(None, putter[0].name, "put", ("object", channel.name),
                           ("value", putter[0].pending[0]), ("woke", []))  # fmt: skip
        if channel.get(self.host, thread):
            deliver(thread)
            return True
        return False

    def _step_spawn(self, cpu: Cpu, thread: Thread, op: Spawn) -> bool:
        process = thread.proc
        if op.thread in process.threads:
            message = f"{thread.name} spawns thread {op.thread + process.suffix}, which was already started"
            self.host.misuse(thread, message, (op.thread, "spawn"))
            return True
        if self._started >= limits.MAX_STARTED:
            self.host.misuse(thread, f"{thread.name} spawns thread {op.thread + process.suffix}, past the "
                             f"{limits.MAX_STARTED:,} threads and process instances spawn and fork may start in "
                             "a run (the limit); the spawn has no effect", (op.thread, "spawn"))  # fmt: skip
            return True
        self._started += 1
        spec = next(spec for spec in process.spec.threads if spec.name == op.thread)
        self._create_thread(spec, process, self.engine.now, self.races.snapshot(thread.index))
        return True

    def _step_join(self, cpu: Cpu, thread: Thread, op: Join) -> bool:
        target = thread.proc.threads.get(op.thread)
        if target is thread:
            self.host.misuse(thread, f"{thread.name} joins itself", (op.thread, "join"))
            return True
        if target is None:
            message = f"{thread.name} joins thread {op.thread + thread.proc.suffix}, which was never started"
            self.host.misuse(thread, message, (op.thread, "join"))
            return True
        return target.ending().wait(self.host, thread)

    def _step_fork(self, cpu: Cpu, thread: Thread, op: Fork) -> bool:
        starts = 1 + self._starts_at_fork[op.process]  # the instance and its threads
        if self._started + starts > limits.MAX_STARTED:
            self.host.misuse(thread, f"{thread.name} forks {op.process}, past the {limits.MAX_STARTED:,} threads "
                             "and process instances spawn and fork may start in a run (the limit); the fork has "
                             "no effect", (op.process, "fork"))  # fmt: skip
            return True
        self._started += starts
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
            message = f"{thread.name} waits for process {op.process}, which it never forked"
            self.host.misuse(thread, message, (op.process, "wait_process"))
            return True
        return child.completion.wait(self.host, thread)


def _names(threads: list[Thread]) -> list[str]:
    """Thread names, for an event's `woke` detail."""
    return [thread.name for thread in threads]
