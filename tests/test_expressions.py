"""Tests of simulator.program.expressions: the parser, its errors, and evaluation."""

import pytest

from simulator.program.expressions import (
    Binary,
    EvaluationError,
    ExpressionError,
    Number,
    Register,
    Variable,
    evaluate,
    parse_expression,
    variables,
)

SHARED = {"counter", "flag"}.__contains__


def value(text: str, **values: int) -> int:
    """Evaluate `text` with registers and variables taken from `values` (0 when absent)."""
    return evaluate(parse_expression(text, SHARED), lambda node: values.get(node.name, 0))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("7 // 2", 3), ("-7 // 2", -4), ("7 % 3", 1), ("-3 - -2", -1),
        ("2 < 3", 1), ("2 >= 3", 0), ("1 == 1 and 2 != 2", 0), ("0 or 5", 1), ("not 0", 1), ("not 1 + 1", 0),
        ("1 < 2 and 3 < 4 or 0", 1),
    ],
)  # fmt: skip
def test_arithmetic_comparison_and_logic(text: str, expected: int) -> None:
    """Integers, Python-style floor division, and 1/0 truth values with the usual precedence."""
    assert value(text) == expected


def test_names_are_variables_or_registers() -> None:
    """A name the process's memory declares is a shared variable; any other is a register."""
    expression = parse_expression("counter + r1", SHARED)
    assert expression.left == Variable("counter") and expression.right == Register("r1")  # type: ignore[union-attr]
    assert [str(v) for v in variables(parse_expression("counter + flag * counter", SHARED))] == [
        "counter", "flag", "counter"]  # fmt: skip
    assert value("counter + r1", counter=3, r1=4) == 7


def test_and_or_short_circuit() -> None:
    """The right side of `and`/`or` is not read when the left decides (so it is no tracked read)."""
    reads: list[str] = []

    def read(node):  # type: ignore[no-untyped-def]
        reads.append(node.name)
        return 0

    evaluate(parse_expression("flag and counter", SHARED), read)
    assert reads == ["flag"]


def test_qualified_names_for_expectations() -> None:
    """In `expect`, names are process.variable."""
    assert parse_expression("app.counter == 2", SHARED, qualified=True).left == Variable("counter", "app")  # type: ignore[union-attr]
    parsed = parse_expression("app.x + 1 == 2", SHARED, qualified=True)
    assert parsed == Binary("==", Binary("+", Variable("x", "app"), Number(1)), Number(2))


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("", "empty expression", 0),
        ("1 +", "the expression ends too early", 3),
        ("x $ 1", "unexpected character '$'", 2),
        ("(1 + 2", "expected ')'", 6),
        ("1 2", "unexpected '2'", 2),
        ("a < b < c", "chained comparisons are not supported; use 'and'", 6),
        ("app.counter", "'app.counter': a thread can only use its own process's variables (write just the name)", 0),
    ],
)
def test_errors_say_what_and_where(text: str, message: str, offset: int) -> None:
    """Each syntax error has a message and the offset of the problem in the text."""
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text, SHARED)
    assert (caught.value.message, caught.value.offset) == (message, offset)


def test_division_by_zero_is_an_evaluation_error() -> None:
    """Dividing by zero cannot crash a run: it raises EvaluationError for the kernel to report."""
    with pytest.raises(EvaluationError, match="division by zero"):
        evaluate(parse_expression("1 // (2 - 2)", SHARED), lambda node: 0)
    assert evaluate(Number(5), lambda node: 0) == 5
