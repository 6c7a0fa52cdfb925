"""Tests of simulator.program.interpreter and simulator.chooser: programs as coroutines, recorded choices."""

from hypothesis import given
from hypothesis import strategies as st

from simulator.chooser import Chooser
from simulator.model.threads import Thread
from simulator.program.expressions import Number
from simulator.program.interpreter import as_script, run_program
from simulator.program.operations import Compute, Exit, If, Incr, Operation, Repeat, Sleep, Span, While, Yield


def test_run_program_unrolls_nested_repeats_lazily() -> None:
    """Repeat bodies are replayed in order, nested ones too, without building the whole list."""
    program = (Compute(1), Repeat(2, (Sleep(2), Repeat(2, (Yield(),)))), Repeat(0, (Exit(),)), Exit())
    assert list(run_program(program)) == [
        Compute(1), Sleep(2), Yield(), Yield(), Sleep(2), Yield(), Yield(), Exit(),
    ]  # fmt: skip
    huge = run_program((Repeat(10**15, (Compute(1),)),))
    assert [next(huge) for _ in range(3)] == [Compute(1)] * 3


def test_a_program_is_driven_with_send() -> None:
    """The kernel sends each operation's result; a hand-written generator can drive a thread the same way."""

    def python_program():  # type: ignore[no-untyped-def]
        result = yield Compute(5)
        assert result is None
        yield Sleep(1)

    generator = python_program()
    assert generator.send(None) == Compute(5)
    assert generator.send(None) == Sleep(1)


def test_the_chooser_is_seeded() -> None:
    """Same seed, same choices; a degenerate range draws nothing."""
    first, second = Chooser(9), Chooser(9)
    draws = [first.integer(0, 100) for _ in range(20)]
    assert draws == [second.integer(0, 100) for _ in range(20)]
    assert Chooser(10).integer(0, 10**9) != Chooser(9).integer(0, 10**9)
    assert Chooser(1).integer(5, 5) == 5


primitives = st.sampled_from([Compute(1), Compute(2), Sleep(3), Yield(), Exit(), Incr("x", Number(1))])
flat_programs = st.lists(
    primitives | st.builds(Repeat, st.integers(0, 3), st.lists(primitives, max_size=3).map(tuple)), max_size=6
).map(tuple)


def stepped(program: tuple[Operation, ...]) -> list[Operation]:
    """The operations a thread takes from `program` when it steps through it as a script."""
    script = as_script(program)
    assert script is not None
    thread = Thread(0, "T", "P", 0, 0, None, script)
    taken = []
    while (operation := thread.next_operation()) is not None:
        taken.append(operation)
    assert thread.next_operation() is None  # an ended script stays ended
    return taken


@given(flat_programs)
def test_a_script_steps_through_the_same_operations_as_the_generator(program: tuple[Operation, ...]) -> None:
    assert stepped(program) == list(run_program(program))


def test_programs_with_conditions_spans_or_nested_repeats_need_a_generator() -> None:
    assert as_script((Compute(1), Repeat(2, (Sleep(1),)))) is not None
    assert as_script((While(Number(0), (Compute(1),)),)) is None
    assert as_script((If(Number(1), (Compute(1),), ()),)) is None
    assert as_script((Span("s", (Compute(1),)),)) is None
    assert as_script((Repeat(2, (Repeat(2, (Compute(1),)),)),)) is None


def test_an_increment_is_its_two_steps_in_a_script() -> None:
    """incr is structure only in that it is two steps: a script holds them in its place, also in a repeat."""
    incr = Incr("x", Number(1))
    assert as_script((incr, Compute(1))) == (incr.load, incr.store, Compute(1))
    repeat = Repeat(3, (incr, Compute(1)))
    assert repeat.steps == (incr.load, incr.store, Compute(1))
    assert as_script((repeat,)) == (repeat,)
