"""Livelock: a thread that keeps taking steps while simulated time stands still.

Steps that take no time (memory, atomics, conditions, yields with nobody to yield to...) never move the
clock, so a loop made only of them (`while: {cond: flag == 0, do: []}`, a spin that yields) runs for ever at
one instant: nothing another thread could do at a later time ever happens. The kernel counts the steps taken
since the clock last moved (one compare per step); once an instant has seen `bound` of them it counts each
thread's, and the first thread to take `bound` steps there is reported, as a `livelock` violation naming the
thread, the loop it spins in and its line. This module counts (`LivelockDetector`) and writes that message.

Like the deadlock detector (simulator.analysis.deadlock), the detector only finds things: it returns what it
found, and the kernel records the violation and stops the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.program.expressions import Binary, Expression, Number, Register, Unary, Variable
from simulator.program.operations import Operation, Primitive, Repeat, While, children

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class LivelockDetector:
    """Each thread's steps at an instant that has seen `bound` steps, and the first to take `bound` there."""

    __slots__ = ("bound", "_counts")

    def __init__(self, bound: int) -> None:
        self.bound = bound
        #: Steps taken at this instant, by thread index, counted once the instant has seen `bound` steps.
        self._counts: dict[int, int] = {}

    def check(self, thread: Thread, operation: Primitive, instant_steps: int, time: str) -> str | None:
        """This instant has seen `instant_steps` (at least `bound`) steps, and `thread` is about to take
        `operation` at `time`: count its step; once it has taken `bound` here itself, the livelock message.
        The counts start afresh at each instant, so a thread is reported after at most twice the bound of
        steps at one instant."""
        counts = self._counts
        if instant_steps == self.bound:
            counts.clear()  # the first step past the bound at this instant: count from here
        taken = counts[thread.index] = counts.get(thread.index, 0) + 1
        if taken < self.bound:
            return None
        spec = next(spec for spec in thread.proc.spec.threads if spec.name == thread.template)
        if ends_by_itself(spec.program, operation.line):
            counts[thread.index] = 0  # a repeat of many passes at one instant: it ends, it is no livelock
            return None
        return livelock_message(thread.name, taken, time, spec.program, operation.line)


def expression_text(expression: Expression, nested: bool = False) -> str:
    """An expression as a user would write it (`flag == 0`); inner operations in parentheses."""
    if isinstance(expression, Number):
        return str(expression.value)
    if isinstance(expression, Register | Variable):
        return str(expression) if isinstance(expression, Variable) else expression.name
    if isinstance(expression, Unary):
        operand = expression_text(expression.operand, True)
        text = f"not {operand}" if expression.op == "not" else f"{expression.op}{operand}"
    else:
        assert isinstance(expression, Binary)
        text = f"{expression_text(expression.left, True)} {expression.op} {expression_text(expression.right, True)}"
    return f"({text})" if nested else text


def enclosing_loop(program: tuple[Operation, ...], line: int) -> Operation | None:
    """The innermost `while` or `repeat` of `program` whose own line or body holds an operation of `line`
    (None: no loop does, as in a program driven from Python)."""
    found: Operation | None = None

    def search(operations: tuple[Operation, ...]) -> bool:
        nonlocal found
        for operation in operations:
            inside = any(search(body) for body in children(operation))
            if isinstance(operation, While | Repeat) and (inside or operation.line == line):
                if found is None:
                    found = operation  # the innermost: inner loops are searched, and set it, first
                return True
            if inside or operation.line == line:
                return True
        return False

    if line:
        search(program)
    return found


def ends_by_itself(program: tuple[Operation, ...], line: int) -> bool:
    """Whether the operation of `line` runs inside loops that are all `repeat`s (at least one): a fixed
    count of passes always ends, so many steps at one instant there are no livelock (the step bound still
    covers a count too large to wait for)."""
    loops: list[list[Operation]] = []

    def search(operations: tuple[Operation, ...], around: list[Operation]) -> None:
        for operation in operations:
            inner = [*around, operation] if isinstance(operation, While | Repeat) else around
            if operation.line == line and not children(operation):
                loops.append(inner)
            for body in children(operation):
                search(body, inner)

    if line:
        search(program, [])
    return bool(loops) and all(around and all(isinstance(loop, Repeat) for loop in around) for around in loops)


def livelock_message(thread: str, steps: int, time: str, program: tuple[Operation, ...], line: int) -> str:
    """What a user reads: who spins, where, and how to model a spin that takes time on a real machine."""
    loop = enclosing_loop(program, line)
    if isinstance(loop, While):
        where = f"in the while loop at line {loop.line} (`while: {expression_text(loop.cond)}`)"
    elif isinstance(loop, Repeat):
        where = f"in the repeat at line {loop.line}"
    else:
        where = f"at line {line}" if line else "in its program"
    return (
        f"thread {thread} took {steps} steps at {time} without simulated time advancing, {where}; "
        "a loop that spins on a real machine takes time: give its body a cost (e.g. `compute: 1us`), or "
        "raise the bound with --max-steps-per-instant"
    )
