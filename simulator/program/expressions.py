"""The expression language of thread programs and expectations (SPEC section 3), parsed, never eval'd.

    expr    := or
    or      := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?
    sum     := product (('+' | '-') product)*
    product := unary (('*' | '//' | '%') unary)*
    unary   := '-' unary | atom
    atom    := INTEGER | NAME | NAME '.' NAME | '(' expr ')'

Values are integers; comparisons and `and`/`or`/`not` give 1 or 0 (`and` and `or` short-circuit). A NAME is
a shared variable when the process's memory declares it, otherwise a register of the thread; `P.X` names
variable X of process P (in `expect`). `//` and `%` round toward negative infinity, as in Python; dividing
by zero is an error at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import attrs


class ExpressionError(ValueError):
    """A syntax error at `offset` (0-based) in the expression's text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class EvaluationError(ArithmeticError):
    """An expression that cannot be evaluated (division by zero)."""


@attrs.frozen
class Number:
    value: int


@attrs.frozen
class Register:
    name: str


@attrs.frozen
class Variable:
    """A shared variable: `name` in the thread's own process, or in `process` (for expectations)."""

    name: str
    process: str | None = None

    def __str__(self) -> str:
        return f"{self.process}.{self.name}" if self.process else self.name


@attrs.frozen
class Unary:
    op: str
    operand: Expression


@attrs.frozen
class Binary:
    op: str
    left: Expression
    right: Expression


Expression = Number | Register | Variable | Unary | Binary

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(//|==|!=|<=|>=|[-+*%<>().]))")
_KEYWORDS = {"and", "or", "not"}
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


@attrs.frozen
class _Token:
    kind: str  # "int", "name", "op", "end"
    text: str
    offset: int


def _tokens(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            offset = position + (len(text[position:]) - len(text[position:].lstrip()))
            raise ExpressionError(f"unexpected character {text[offset]!r}", offset)
        number, name, op = match.groups()
        start = match.start(match.lastindex or 0)
        if number is not None:
            tokens.append(_Token("int", number, start))
        elif name is not None:
            tokens.append(_Token("op" if name in _KEYWORDS else "name", name, start))
        else:
            tokens.append(_Token("op", op, start))
        position = match.end()
    tokens.append(_Token("end", "", len(text.rstrip())))
    return tokens


class _Parser:
    def __init__(self, text: str, is_variable: Callable[[str], bool], qualified: bool) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.is_variable = is_variable
        self.qualified = qualified

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def take(self, *texts: str) -> _Token | None:
        token = self.token
        if token.kind == "op" and token.text in texts:
            self.index += 1
            return token
        return None

    def parse(self) -> Expression:
        if self.token.kind == "end":
            raise ExpressionError("empty expression", 0)
        expression = self.or_()
        if self.token.kind != "end":
            raise ExpressionError(f"unexpected {self.token.text!r}", self.token.offset)
        return expression

    def or_(self) -> Expression:
        left = self.and_()
        while self.take("or"):
            left = Binary("or", left, self.and_())
        return left

    def and_(self) -> Expression:
        left = self.not_()
        while self.take("and"):
            left = Binary("and", left, self.not_())
        return left

    def not_(self) -> Expression:
        if self.take("not"):
            return Unary("not", self.not_())
        return self.compare()

    def compare(self) -> Expression:
        left = self.sum()
        token = self.take(*_COMPARISONS)
        if token is None:
            return left
        right = self.sum()
        if self.token.kind == "op" and self.token.text in _COMPARISONS:
            raise ExpressionError("chained comparisons are not supported; use 'and'", self.token.offset)
        return Binary(token.text, left, right)

    def sum(self) -> Expression:
        left = self.product()
        while token := self.take("+", "-"):
            left = Binary(token.text, left, self.product())
        return left

    def product(self) -> Expression:
        left = self.unary()
        while token := self.take("*", "//", "%"):
            left = Binary(token.text, left, self.unary())
        return left

    def unary(self) -> Expression:
        if self.take("-"):
            return Unary("-", self.unary())
        return self.atom()

    def atom(self) -> Expression:
        token = self.token
        if token.kind == "int":
            self.index += 1
            return Number(int(token.text))
        if token.kind == "name":
            self.index += 1
            if self.take("."):
                member = self.token
                if member.kind != "name":
                    raise ExpressionError("expected a variable name after '.'", member.offset)
                self.index += 1
                if not self.qualified:
                    raise ExpressionError(f"'{token.text}.{member.text}': a thread can only use its own "
                                          "process's variables (write just the name)", token.offset)  # fmt: skip
                return Variable(member.text, token.text)
            if self.qualified:
                raise ExpressionError(f"write PROCESS.{token.text} to name a variable", token.offset)
            return Variable(token.text) if self.is_variable(token.text) else Register(token.text)
        if self.take("("):
            inner = self.or_()
            if not self.take(")"):
                raise ExpressionError("expected ')'", self.token.offset)
            return inner
        if token.kind == "end":
            raise ExpressionError("the expression ends too early", token.offset)
        raise ExpressionError(f"unexpected {token.text!r}", token.offset)


def parse_expression(text: str, is_variable: Callable[[str], bool], *, qualified: bool = False) -> Expression:
    """Parse `text`. `is_variable(name)` tells shared variables from registers. With `qualified`, names
    must be `process.variable` (as in `expect`). Raises ExpressionError with the offset of the problem."""
    return _Parser(text, is_variable, qualified).parse()


def evaluate(expression: Expression, read: Callable[[Expression], int]) -> int:
    """The value of `expression`; `read` gives the value of a Register or Variable (a tracked read)."""
    if isinstance(expression, Number):
        return expression.value
    if isinstance(expression, Register | Variable):
        return read(expression)
    if isinstance(expression, Unary):
        value = evaluate(expression.operand, read)
        return int(not value) if expression.op == "not" else -value
    op = expression.op
    left = evaluate(expression.left, read)
    if op == "and":
        return int(bool(left) and bool(evaluate(expression.right, read)))
    if op == "or":
        return int(bool(left) or bool(evaluate(expression.right, read)))
    right = evaluate(expression.right, read)
    if op in ("//", "%") and right == 0:
        raise EvaluationError("division by zero")
    return _BINARY[op](left, right)


_BINARY: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
    "==": lambda a, b: int(a == b),
    "!=": lambda a, b: int(a != b),
    "<": lambda a, b: int(a < b),
    "<=": lambda a, b: int(a <= b),
    ">": lambda a, b: int(a > b),
    ">=": lambda a, b: int(a >= b),
}


def variables(expression: Expression) -> Iterator[Variable]:
    """Every shared variable an expression reads, left to right."""
    if isinstance(expression, Variable):
        yield expression
    elif isinstance(expression, Unary):
        yield from variables(expression.operand)
    elif isinstance(expression, Binary):
        yield from variables(expression.left)
        yield from variables(expression.right)

