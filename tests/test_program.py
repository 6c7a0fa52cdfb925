"""Tests of simulator.program and simulator.chooser: programs as coroutines, recorded choices."""

from simulator.chooser import Chooser
from simulator.operations import Compute, Exit, Repeat, Sleep, Yield
from simulator.program import run_program


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


def test_the_chooser_is_seeded_and_records_every_choice() -> None:
    """Same seed, same choices; every choice is recorded; a degenerate range draws nothing."""
    first, second = Chooser(9), Chooser(9)
    draws = [first.integer(0, 100) for _ in range(20)]
    assert draws == [second.integer(0, 100) for _ in range(20)]
    assert first.choices == draws
    assert Chooser(10).integer(0, 10**9) != Chooser(9).integer(0, 10**9)
    assert Chooser(1).integer(5, 5) == 5
