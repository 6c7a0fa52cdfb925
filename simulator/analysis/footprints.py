"""Static footprints of thread programs: which shared variables a thread may read or write, and which
synchronization objects it may touch. Exploration uses them for partial-order reduction: a step that can
conflict with no step of any other thread commutes with all of them, so switching threads just before it
only reorders independent steps, and need not be a decision point.

Two steps conflict when they are in different threads and touch the same variable with at least one write,
or the same synchronization object. spawn, join, fork and wait_process always count as conflicting. What
each step touches is declared with its operation (`OperationSpec.touches` in simulator.program.operations).
Footprints are by process declaration (a forked instance shares its template's), which is conservative.
A thread written in Python has no static footprint: it counts as touching everything (its own steps are
judged one by one, by the operation each yield gives).

The race detector asks a narrower question of the same programs (`may_race`): whether two threads of one
process instance may access one of its variables, one of them writing. When none can, no run can report
a data race, and the detector keeps no vector clocks at all (simulator.analysis.races).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from operator import attrgetter

import attrs

from simulator.program.expressions import Binary, Expression, Number, Register, Unary, Variable, variables
from simulator.program.operation_spec import Touches
from simulator.program.operations import (
    OPERATION_TYPES,
    Assert,
    Check,
    Compute,
    Exit,
    Io,
    Let,
    Operation,
    Primitive,
    Sleep,
    SpanMark,
    Yield,
    walk,
)
from simulator.program.python import python_body
from simulator.scenario.model import Scenario


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


_EVERYTHING = Footprint(everything=True)
_NONE = Footprint()
_EMPTY: frozenset[str] = frozenset()


def _names(fields: tuple[str, ...]) -> Callable[[Operation], tuple[str, ...]] | None:
    """A getter of these fields' values as a tuple (None for no fields). attrgetter of one field gives the
    value itself and of several a tuple, so one field is asked for twice: the name just repeats."""
    if not fields:
        return None
    return attrgetter(*fields, *fields) if len(fields) == 1 else attrgetter(*fields)


def _footprinter(touches: Touches) -> Callable[[Operation], Footprint]:
    """The footprint of an operation's own step, from what its spec says it touches (its sub-programs not
    included). Made once per kind of operation: exploration asks for one at every visible step, so a step's
    footprint costs a few attribute reads, as a hand-written test of each kind would."""
    if touches.everything:
        return lambda operation: _EVERYTHING
    if touches == Touches():
        return lambda operation: _NONE
    reads, writes, objects = _names(touches.reads), _names(touches.writes), _names(touches.objects)
    expressions = tuple(attrgetter(field) for field in touches.expressions)

    def footprint(operation: Operation) -> Footprint:
        read = frozenset(reads(operation)) if reads is not None else _EMPTY
        for expression in expressions:
            read = read | _reads(expression(operation))
        return Footprint(read, frozenset(writes(operation)) if writes is not None else _EMPTY,
                         frozenset(objects(operation)) if objects is not None else _EMPTY)  # fmt: skip

    return footprint


def _structured_footprint(operation: Operation) -> Footprint:
    return program_footprint((operation,))


#: Each kind of operation's own footprint (without its sub-programs), and its footprint as a step (with them).
_OWN: dict[type, Callable[[Operation], Footprint]] = {}
_STEP: dict[type, Callable[[Operation], Footprint]] = {}


def _learn(kind: type[Operation]) -> None:
    _OWN[kind] = _footprinter(kind.spec.touches)
    _STEP[kind] = _structured_footprint if kind.spec.bodies else _OWN[kind]


for _kind in OPERATION_TYPES:
    _learn(_kind)
del _kind


def own_footprint(operation: Operation) -> Footprint:
    """The footprint of one operation itself, without its sub-programs (a `while`: only its condition)."""
    own = _OWN.get(type(operation))
    if own is None:  # a subclass made in Python: its spec is inherited or its own
        _learn(type(operation))
        own = _OWN[type(operation)]
    return own(operation)


def step_footprint(operation: Operation) -> Footprint:
    """The footprint of one step (for structured operations: of everything inside)."""
    step = _STEP.get(type(operation))
    if step is None:
        _learn(type(operation))
        step = _STEP[type(operation)]
    return step(operation)


def program_footprint(program: Iterable[Operation]) -> Footprint:
    """Everything a program may touch."""
    total = _NONE
    for operation in walk(tuple(program)):
        total = total | own_footprint(operation)
    return total


#: The most answers `Footprints.independent` keeps.
_KNOWN_LIMIT = 100_000


class Footprints:
    """For each thread (by declared name), the union of the footprints of every other thread that shares
    memory or objects with it: a step of the thread that conflicts with none of that is independent."""

    def __init__(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self._known: dict[tuple[str, Operation], bool] = {}
        ipc = frozenset(spec.name for spec in scenario.machine.ipc)
        # Variables and process objects are per process; machine ipc objects are shared by all.
        own = {(spec.name, thread.name): program_footprint(thread.program)
               for spec in scenario.processes for thread in spec.threads}  # fmt: skip
        forked = {spec.name for spec in scenario.processes if spec.start == "forked"}
        # Threads written in Python (simulator.program.python) may touch anything, their other instances too.
        python = {(spec.name, thread.name) for spec in scenario.processes for thread in spec.threads
                  if python_body(thread.program) is not None}  # fmt: skip
        self.others: dict[str, Footprint] = {}
        for (process, name), mine in own.items():
            # Other instances of a forked process run this same program, sharing the machine's ipc objects.
            combined = (Footprint(objects=mine.objects & ipc, everything=(process, name) in python)
                        if process in forked else Footprint())  # fmt: skip
            for (other_process, other_name), footprint in own.items():
                if other_name == name:
                    continue
                if other_process == process:
                    combined = combined | footprint
                else:  # another process shares only the machine's ipc objects (and nothing if it forks us)
                    combined = combined | Footprint(objects=footprint.objects & ipc, everything=footprint.everything)
            self.others[name] = combined

    def independent(self, template_name: str, operation: Operation) -> bool:
        """Whether this step of thread `template_name` can conflict with no step of any other thread (asked
        before every visible step of every explored schedule: each answer is kept, by the step's value)."""
        key = (template_name, operation)
        try:
            known = self._known.get(key)
        except TypeError:  # an operation made in Python that holds something unhashable: worked out each time
            return self._independent(template_name, operation)
        if known is None:
            if len(self._known) >= _KNOWN_LIMIT:  # operations made afresh at each yield: keep memory bounded
                self._known.clear()
            known = self._known[key] = self._independent(template_name, operation)
        return known

    def _independent(self, template_name: str, operation: Operation) -> bool:
        others = self.others.get(template_name)
        return others is not None and not step_footprint(operation).conflicts(others)

    @cached_property
    def may_race(self) -> bool:
        """`may_race` of the scenario, worked out once for every run that shares these footprints."""
        return may_race(self._scenario)


# -- races: whether any access could race -----------------------------------------------------------------

_EXPRESSIONS = (Number, Register, Variable, Unary, Binary)

#: For each kind of operation: the fields that name a variable it reads, those that name one it writes, and
#: the others that may hold an expression (all but its sub-programs, its objects and what is worked out from
#: the rest), whose values are looked at.
_ACCESS_FIELDS: dict[type, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}


def _access_fields(kind: type[Operation]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    found = _ACCESS_FIELDS.get(kind)
    if found is None:
        touches = kind.spec.touches
        known = {*kind.spec.bodies.values(), *touches.reads, *touches.writes, *touches.objects, "line"}
        others = tuple(field.name for field in attrs.fields(kind) if field.init and field.name not in known)
        found = _ACCESS_FIELDS[kind] = (touches.reads, touches.writes, others)
    return found


def memory_accesses(program: tuple[Operation, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The shared variables a program may read and may write. The reads are found from the values the
    operations hold (the variables of every expression among their fields), not only from what their specs
    declare: a read missed here would hide a race, where a read a footprint misses costs a reduction."""
    reads: set[str] = set()
    writes: set[str] = set()
    for operation in walk(program):
        read_fields, write_fields, others = _access_fields(type(operation))
        for name in read_fields:
            reads.add(getattr(operation, name))
        for name in write_fields:
            writes.add(getattr(operation, name))
        for name in others:
            value = getattr(operation, name)
            if isinstance(value, _EXPRESSIONS):
                reads.update(variable.name for variable in variables(value))
    return frozenset(reads), frozenset(writes)


def may_race(scenario: Scenario) -> bool:
    """Whether some run of `scenario` could report a data race: some process declares two thread instances
    (two declarations, or two copies of one) that may access one of its variables, one of them writing.
    Memory is per process instance (each copy and each forked instance has its own), so threads of
    different processes share none. A thread written in Python may access anything: then True."""
    for process in scenario.processes:
        read: frozenset[str] = frozenset()
        written: frozenset[str] = frozenset()
        for thread in process.threads:
            if python_body(thread.program) is not None:
                return True
            reads, writes = memory_accesses(thread.program)
            if writes & (read | written) or reads & written or (thread.copies > 1 and writes):
                return True
            read |= reads
            written |= writes
    return False


# -- visibility: where exploration may decide ------------------------------------------------------------------

# The steps that touch neither shared memory nor a synchronization object (an own footprint of nothing);
# a test checks this against `own_footprint` for every primitive. A tuple of classes: on the explorer's hot
# path, isinstance costs less than building and comparing a footprint.
_INVISIBLE = (Compute, Sleep, Yield, Io, Exit, SpanMark)


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
