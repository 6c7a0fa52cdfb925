"""Static footprints of thread programs: which shared variables a thread may read or write, and which
synchronization objects it may touch. Exploration uses them for partial-order reduction: a step that can
conflict with no step of any other thread commutes with all of them, so switching threads just before it
only reorders independent steps, and need not be a decision point.

Two steps conflict when they are in different threads and touch the same variable with at least one write,
or the same synchronization object. spawn, join, fork and wait_process always count as conflicting.
Footprints are by process declaration (a forked instance shares its template's), which is conservative.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from simulator.program.expressions import Expression, variables
from simulator.program.operations import (
    Acquire,
    Assert,
    Atomic,
    BarrierWait,
    Check,
    Fork,
    Get,
    If,
    Incr,
    Join,
    Let,
    Load,
    Lock,
    Notify,
    Operation,
    Put,
    Release,
    Repeat,
    SetEvent,
    Spawn,
    Store,
    Unlock,
    Wait,
    WaitEvent,
    WaitProcess,
    While,
)
from simulator.scenario.model import Scenario

_OBJECT_OPERATIONS = (Lock, Unlock, Acquire, Release, Wait, Notify, SetEvent, WaitEvent, BarrierWait, Put, Get)
_ALWAYS_CONFLICTING = (Spawn, Join, Fork, WaitProcess)


@attrs.frozen
class Footprint:
    """Variables read and written, and objects touched; `everything` when it may conflict with anything."""

    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    objects: frozenset[str] = frozenset()
    everything: bool = False

    def __or__(self, other: Footprint) -> Footprint:
        return Footprint(self.reads | other.reads, self.writes | other.writes, self.objects | other.objects,
                         self.everything or other.everything)  # fmt: skip

    def conflicts(self, other: Footprint) -> bool:
        """Whether some step with this footprint may conflict with some step with the other."""
        if self.everything or other.everything:
            return True
        return bool(self.writes & (other.reads | other.writes) or self.reads & other.writes
                    or self.objects & other.objects)  # fmt: skip


def _reads(expression: Expression | None) -> frozenset[str]:
    return frozenset(variable.name for variable in variables(expression)) if expression is not None else frozenset()


def step_footprint(operation: Operation) -> Footprint:
    """The footprint of one step (for structured operations: of everything inside)."""
    if isinstance(operation, Load):
        return Footprint(reads=frozenset({operation.var}))
    if isinstance(operation, Store):
        return Footprint(reads=_reads(operation.value), writes=frozenset({operation.var}))
    if isinstance(operation, Incr):
        return Footprint(reads=frozenset({operation.var}) | _reads(operation.by), writes=frozenset({operation.var}))
    if isinstance(operation, Atomic):
        return Footprint(reads=_reads(operation.value) | _reads(operation.expected), writes=frozenset({operation.var}))
    if isinstance(operation, Let):
        return Footprint(reads=_reads(operation.value))
    if isinstance(operation, Check | Assert):
        return Footprint(reads=_reads(operation.cond))
    if isinstance(operation, _OBJECT_OPERATIONS):
        return Footprint(objects=frozenset({operation.obj}))
    if isinstance(operation, _ALWAYS_CONFLICTING):
        return Footprint(everything=True)
    if isinstance(operation, Repeat):
        return program_footprint(operation.body)
    if isinstance(operation, While):
        return Footprint(reads=_reads(operation.cond)) | program_footprint(operation.body)
    if isinstance(operation, If):
        return Footprint(reads=_reads(operation.cond)) | program_footprint(operation.then + operation.otherwise)
    return Footprint()


def program_footprint(program: Iterable[Operation]) -> Footprint:
    """Everything a program may touch."""
    total = Footprint()
    for operation in program:
        total = total | step_footprint(operation)
    return total


class Footprints:
    """For each thread (by declared name), the union of the footprints of every other thread that shares
    memory or objects with it: a step of the thread that conflicts with none of that is independent."""

    def __init__(self, scenario: Scenario) -> None:
        ipc = frozenset(spec.name for spec in scenario.machine.ipc)
        # Variables and process objects are per process; machine ipc objects are shared by all.
        own = {(spec.name, thread.name): program_footprint(thread.program)
               for spec in scenario.processes for thread in spec.threads}  # fmt: skip
        forked = {spec.name for spec in scenario.processes if spec.start == "forked"}
        self.others: dict[str, Footprint] = {}
        for (process, name), mine in own.items():
            # Other instances of a forked process run this same program, sharing the machine's ipc objects.
            combined = Footprint(objects=mine.objects & ipc) if process in forked else Footprint()
            for (other_process, other_name), footprint in own.items():
                if other_name == name:
                    continue
                if other_process == process:
                    combined = combined | footprint
                else:  # another process shares only the machine's ipc objects (and nothing if it forks us)
                    combined = combined | Footprint(objects=footprint.objects & ipc, everything=footprint.everything)
            self.others[name] = combined

    def independent(self, template_name: str, operation: Operation) -> bool:
        """Whether this step of thread `template_name` can conflict with no step of any other thread."""
        others = self.others.get(template_name)
        return others is not None and not step_footprint(operation).conflicts(others)


# -- visibility: where exploration may decide ------------------------------------------------------------------

# Imported here rather than at the top so that visibility stays a self-contained addition to this module.
from simulator.program.operations import Compute, Exit, Io, Primitive, Sleep, Yield  # noqa: E402

_INVISIBLE = (Compute, Sleep, Yield, Io, Exit)


def is_visible(operation: Primitive) -> bool:
    """Whether a step can affect or observe another thread: it touches shared memory or a synchronization
    object. Only before such steps can a switch of threads change what anyone computes; exploration
    decides there, and nowhere else (and, among those, only where `Footprints.independent` says it may
    conflict)."""
    if isinstance(operation, _INVISIBLE):
        return False
    if isinstance(operation, Let | Check | Assert):
        expression = operation.value if isinstance(operation, Let) else operation.cond
        return any(True for _ in variables(expression))
    return True
