"""Tests of simulator.program.operations: each operation is declared once, and every part of threadsim that
needs to know about one (the parser, the kernel, the footprints, the walks) knows about all of them."""

from __future__ import annotations

import attrs

from simulator.analysis.footprints import Footprint, step_footprint
from simulator.model.steps import ProgramSteps
from simulator.program import operations
from simulator.program.expressions import Number, Register, Variable
from simulator.program.operation_spec import Step
from simulator.program.operations import (
    KEYWORDS,
    OPERATION_TYPES,
    PRIMITIVE_TYPES,
    Atomic,
    Check,
    Compute,
    Exit,
    If,
    Io,
    Lock,
    Repeat,
    Sleep,
    SpanMark,
    Store,
    While,
    Yield,
    children,
    walk,
)
from simulator.scenario.programs import BARE_OPERATIONS, ProgramParser

#: The steps the kernel runs itself, in its dispatch loop (`Kernel._step`), because they take time or leave
#: the CPU; every other primitive goes through its step table (`ProgramSteps.handlers`).
KERNEL_OWN_STEPS = (Compute, Sleep, Yield, Io, Exit)


def declared_operations() -> list[type]:
    """Every operation class defined in simulator.program.operations."""
    return [kind for kind in vars(operations).values()
            if isinstance(kind, type) and issubclass(kind, Step) and kind is not Step]  # fmt: skip


def kernel_step_table() -> dict[type, object]:
    """The kernel's table of step handlers, read from the steps object itself (the handlers are only looked up)."""
    return ProgramSteps.__new__(ProgramSteps).handlers()


def test_every_operation_class_is_an_operation() -> None:
    """Each class in operations.py is in the `Operation` union, and the structured ones are the non-primitives."""
    assert sorted(kind.__name__ for kind in declared_operations()) == sorted(k.__name__ for k in OPERATION_TYPES)
    for kind in OPERATION_TYPES:
        assert kind.spec.structured == (kind not in PRIMITIVE_TYPES), kind.__name__


def test_every_primitive_has_a_parser_a_step_and_a_footprint() -> None:
    """The one table that keeps the parser, the kernel and the footprints in step with the operations."""
    table = kernel_step_table()
    for kind in PRIMITIVE_TYPES:
        name = kind.__name__
        assert "spec" in vars(kind), f"{name} declares no spec of its own"
        # A parser: every keyword has one (or is a bare word); only Check and SpanMark are made by the
        # interpreter instead.
        assert kind.spec.keywords or kind in (Check, SpanMark), f"{name} has no keyword"
        for keyword in kind.spec.keywords:
            assert keyword in BARE_OPERATIONS or hasattr(ProgramParser, f"op_{keyword}"), f"no parser for {keyword}"
        # A step: in the kernel's table, or one of the steps its dispatch loop runs itself.
        assert (kind in table) != (kind in KERNEL_OWN_STEPS), f"{name} has no step handler (or two)"
        # A footprint: what it touches names fields it has, of the right types.
        fields = attrs.fields_dict(kind)
        touches = kind.spec.touches
        for field in touches.reads + touches.writes + touches.objects:
            assert fields[field].type == "str", f"{name}.{field} names no variable or object"
        for field in touches.expressions:
            assert str(fields[field].type).startswith("Expression"), f"{name}.{field} holds no expression"
    assert set(table) <= set(PRIMITIVE_TYPES), "the kernel has a handler for something that is not a primitive"


def test_no_keyword_is_declared_twice() -> None:
    """Each YAML keyword belongs to one operation."""
    declared = [keyword for kind in OPERATION_TYPES for keyword in kind.spec.keywords]
    assert len(declared) == len(set(declared)) == len(KEYWORDS)


def test_every_parser_writes_a_declared_keyword() -> None:
    """No `op_` method of the parser is left over from a keyword that no operation declares."""
    parsers = {name.removeprefix("op_") for name in vars(ProgramParser) if name.startswith("op_")}
    assert parsers == set(KEYWORDS) - set(BARE_OPERATIONS)


def test_structured_operations_declare_their_bodies() -> None:
    """children() gives the sub-programs named in each spec; walk() visits them in written order."""
    inner = Repeat(2, (Compute(1),))
    branch = If(Number(1), (inner,), (Exit(),))
    assert children(branch) == ((inner,), (Exit(),))
    assert children(While(Number(0), (Yield(),))) == ((Yield(),),)
    assert children(Compute(1)) == ()
    assert list(walk((branch, Sleep(1)))) == [branch, inner, Compute(1), Exit(), Sleep(1)]


def test_footprints_follow_the_declared_fields() -> None:
    """A step's footprint reads its variable fields and the variables in its expressions."""
    cas = Atomic("x", "cas", Variable("y"), Variable("z"), "r")
    assert step_footprint(cas) == Footprint(reads=frozenset({"y", "z"}), writes=frozenset({"x"}))
    assert step_footprint(Store("x", Register("r"))) == Footprint(writes=frozenset({"x"}))
    loop = While(Variable("flag"), (Lock("m"), Compute(1)))
    assert step_footprint(loop) == Footprint(reads=frozenset({"flag"}), objects=frozenset({"m"}))


def test_line_is_shared_and_not_part_of_equality() -> None:
    """Every operation takes `line` by keyword; two operations differing only in it are equal."""
    assert Compute(5, line=3) == Compute(5, line=4)
    assert Compute(5, line=3).line == 3
    assert not hasattr(Compute(5), "__dict__"), "operations keep slots: the kernel reads them at every step"


def test_visibility_is_what_the_footprints_say() -> None:
    """is_visible (the explorer's fast check) holds exactly for the steps whose own footprint is not empty,
    over every primitive step of every shipped scenario."""
    from simulator import load_scenario
    from simulator.analysis.footprints import is_visible, own_footprint
    from tests.conftest import SCENARIOS

    seen: set[str] = set()
    for path in sorted(SCENARIOS.glob("*.yaml")):
        for thread in load_scenario(path).threads():
            for operation in walk(thread.program):
                if isinstance(operation, PRIMITIVE_TYPES):
                    seen.add(type(operation).__name__)
                    assert is_visible(operation) == (own_footprint(operation) != Footprint()), operation
    assert len(seen) >= 15, seen
