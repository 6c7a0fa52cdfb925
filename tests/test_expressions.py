"""Tests of simulator.program.expressions: the parser, its errors, and evaluation."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.program.expressions import (
    VALUE_MAX,
    VALUE_MIN,
    Binary,
    EvaluationError,
    ExpressionError,
    Number,
    Register,
    Unary,
    ValueOverflow,
    Variable,
    evaluate,
    numbers,
    parse_expression,
    variables,
    written,
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


@pytest.mark.parametrize(
    ("text", "values", "computed"),
    [
        ("r * r", {"r": 3037000500}, "3037000500 * 3037000500 = 9223372037000250000"),
        ("r + 1", {"r": VALUE_MAX}, f"{VALUE_MAX} + 1 = {VALUE_MAX + 1}"),
        ("r - 1", {"r": VALUE_MIN}, f"{VALUE_MIN} - 1 = {VALUE_MIN - 1}"),
        ("r // -1", {"r": VALUE_MIN}, f"{VALUE_MIN} // -1 = {-VALUE_MIN}"),
        ("-r", {"r": VALUE_MIN}, f"-({VALUE_MIN}) = {-VALUE_MIN}"),
        ("(r * 2) + 0", {"r": 2**62}, f"{2**62} * 2 = {2**63}"),
    ],
)  # fmt: skip
def test_a_result_past_64_bits_raises_value_overflow(text: str, values: dict[str, int], computed: str) -> None:
    """Each operation that can leave the signed 64-bit range raises ValueOverflow, naming the operation as
    written (the innermost one that overflowed) and the values it met; nothing is wrapped around."""
    with pytest.raises(ValueOverflow) as caught:
        value(text, **values)
    assert caught.value.computed == computed
    assert caught.value.written == text.split(" + 0")[0].strip("()")
    assert isinstance(caught.value, EvaluationError)  # an expectation reports it as "cannot be checked"


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("r * r", {"r": 3037000499}, 3037000499**2), ("r + 1", {"r": VALUE_MAX - 1}, VALUE_MAX),
        ("r - 1", {"r": VALUE_MIN + 1}, VALUE_MIN), ("-r", {"r": VALUE_MAX}, -VALUE_MAX),
        ("r % -1", {"r": VALUE_MIN}, 0), ("r // 1", {"r": VALUE_MIN}, VALUE_MIN), ("r < s", {"r": VALUE_MIN}, 1),
    ],
)  # fmt: skip
def test_results_at_the_ends_of_the_range_are_values(text: str, values: dict[str, int], expected: int) -> None:
    """The range is exactly -2**63 .. 2**63 - 1, both ends included."""
    assert value(text, **values) == expected


def test_overflow_messages_say_which_bound() -> None:
    """Above the top and below the bottom are told apart."""
    with pytest.raises(ValueOverflow, match=r"r \+ 1 overflows: .* is above 2\*\*63 - 1 \(values are signed 64-bit\)"):
        value("r + 1", r=VALUE_MAX)
    with pytest.raises(ValueOverflow, match=r"is below -2\*\*63"):
        value("0 - r - 2", r=VALUE_MAX)


_expressions = st.recursive(
    st.builds(Number, st.integers(0, 10**6)) | st.builds(Register, st.sampled_from(["r", "s", "%x"])),
    lambda inner: (
        st.builds(Unary, st.sampled_from(["-", "not"]), inner)
        | st.builds(Binary, st.sampled_from(["or", "and", "==", "<", "+", "-", "*", "//", "%"]), inner, inner)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_expressions)
def test_written_parses_back_to_the_same_expression(expression: Unary | Binary) -> None:
    """`written` puts parentheses exactly where the grammar needs them (hidden registers lose their %), except
    that a chained comparison is never written."""
    shown = written(expression)
    if shown.endswith(" characters)"):
        return  # too long to show whole: `written` cut it (to at most 80 characters), so it cannot parse back
    back = parse_expression(shown, lambda name: False)
    assert written(back) == shown
    assert back == _without_percent(expression)


def _without_percent(expression: object) -> object:
    if isinstance(expression, Register):
        return Register(expression.name.lstrip("%"))
    if isinstance(expression, Unary):
        return Unary(expression.op, _without_percent(expression.operand))  # type: ignore[arg-type]
    if isinstance(expression, Binary):
        return Binary(expression.op, _without_percent(expression.left), _without_percent(expression.right))  # type: ignore[arg-type]
    return expression


def test_written_cuts_long_expressions() -> None:
    """A long expression is shown by its first 60 characters and its length."""
    long = parse_expression(" + ".join(["r"] * 100), SHARED)
    assert written(long) == "r + " * 15 + "... (397 characters)"


def test_numbers_lists_the_literals_left_to_right() -> None:
    """What a Python body's operation is checked with: every number written in it."""
    assert list(numbers(parse_expression("1 + -(r * 20) < 3", SHARED))) == [1, 20, 3]
