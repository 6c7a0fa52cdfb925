"""What a Python body's yielded operation may hold: fields of the declared types, expressions the kernel
can evaluate, numbers in the range of values, durations of at most 100 digits (simulator.program.python
checks each yield with these and names the problem in a `misuse` or `overflow` violation)."""

from __future__ import annotations

import attrs

from simulator.program.expressions import (
    EXPRESSION_TYPES,
    MAX_EXPRESSION_DEPTH,
    MAX_EXPRESSION_LENGTH,
    Binary,
    Expression,
    Number,
    Register,
    Unary,
    Variable,
    in_range,
    numbers,
)
from simulator.program.operations import Primitive

#: A number of nanoseconds a Python body may give (a duration, a timeout) has fewer digits than this, as one
#: written in a scenario file: past it, durations cost more to add than a run should.
_MAX_DURATION = 10**100
#: The operators an expression node may hold (simulator.program.expressions).
_BINARY_OPS = frozenset({"or", "and", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "//", "%"})
_UNARY_OPS = frozenset({"-", "not"})
#: The operations an `atomic` step may do.
ATOMIC_OPS = ("add", "sub", "set", "swap", "cas", "load")


def field_problem(operation: Primitive) -> str | None:
    """What is wrong with the types of an operation's fields, as a body may build it (`Compute("5")`, a
    hand-made `Binary` with a string in it), else None. Flags and distributions are not checked."""
    for field in attrs.fields(type(operation)):
        kind = field.type if isinstance(field.type, str) else ""
        value = getattr(operation, field.name)
        if value is None and kind.endswith(" | None"):
            continue
        kind = kind.removesuffix(" | None")
        if kind == "str" and not isinstance(value, str):
            return f"{field.name} must be a str, got {type(value).__name__}"
        if kind == "int" and field.name != "line":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"{field.name} must be an int (nanoseconds), got {type(value).__name__}"
            if not -_MAX_DURATION < value < _MAX_DURATION:
                return f"{field.name} has more than 100 digits"
        if kind == "Expression":
            problem = expression_problem(value)
            if problem is not None:
                return f"{field.name}: {problem}"
    return None


def expression_problem(expression: object) -> str | None:
    """What makes `expression` one the kernel cannot evaluate (a node of the wrong type, an unknown operator,
    too deep or too big), else None. Walked without recursion, and at most MAX_EXPRESSION_LENGTH nodes."""
    pending: list[tuple[object, int]] = [(expression, 0)]
    seen = 0
    while pending:
        node, depth = pending.pop()
        seen += 1
        if seen > MAX_EXPRESSION_LENGTH:
            return f"an expression of more than {MAX_EXPRESSION_LENGTH:,} nodes"
        if depth > MAX_EXPRESSION_DEPTH:
            return f"an expression nested more than {MAX_EXPRESSION_DEPTH} operations deep"
        kind = type(node)
        # The evaluator tells nodes apart by their exact class: a subclass of one is refused.
        if isinstance(node, EXPRESSION_TYPES) and kind not in EXPRESSION_TYPES:
            base = next(base for base in EXPRESSION_TYPES if isinstance(node, base))
            return f"an expression node must be a {base.__name__} itself, not a subclass ({kind.__name__})"
        if isinstance(node, Number):
            if isinstance(node.value, bool) or not isinstance(node.value, int):
                return f"a Number holds an int, not {type(node.value).__name__}"
        elif isinstance(node, Register | Variable):
            if not isinstance(node.name, str):
                return f"a {type(node).__name__} is named by a str, not {type(node.name).__name__}"
        elif isinstance(node, Unary) and node.op in _UNARY_OPS:
            pending.append((node.operand, depth + 1))
        elif isinstance(node, Binary) and node.op in _BINARY_OPS:
            pending += [(node.right, depth + 1), (node.left, depth + 1)]
        elif isinstance(node, Unary | Binary):
            return f"unknown operator {node.op!r}"
        else:
            return f"expected an expression (an int, an expression's text or an Expression), got {type(node).__name__}"
    return None


def out_of_range(operation: Primitive) -> int | None:
    """The first number in the operation's expressions that no program may hold, if any: a Python body may
    write any int (`Store("x", 10**100)`), a YAML program only ones in range."""
    for field in operation.spec.touches.expressions:
        expression: Expression | None = getattr(operation, field)
        if expression is None:
            continue
        for number in numbers(expression):
            if not in_range(number):
                return number
    return None


def shown_int(value: int) -> str:
    """An int for a message: its digits, or its size when it has too many to show (or for str() to make)."""
    if value.bit_length() <= 128:
        return str(value)
    return f"{'-' if value < 0 else ''}2**{value.bit_length() - 1} or more in magnitude"


def known_names(names: object) -> str:
    listed = sorted(str(name) for name in names)  # type: ignore[attr-defined]
    if not listed:
        return ""
    shown = ", ".join(listed[:8]) + (", ..." if len(listed) > 8 else "")
    return f" (it has {shown})"
