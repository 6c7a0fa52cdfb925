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

Bounds, checked when the expression is parsed (docs/scenarios.md, "Limits"): at most MAX_EXPRESSION_LENGTH
characters, operations nested at most MAX_EXPRESSION_DEPTH deep (so evaluating never runs out of stack, and
`validate` accepts only what `run` can evaluate), parentheses, `not` and unary `-` nested at most
MAX_EXPRESSION_NESTING deep, and integer literals at most 2**63 - 1.

Values are signed 64-bit, as a machine word and as integers in a scenario file: VALUE_MIN to VALUE_MAX. An
operation whose result would be outside that range raises ValueOverflow (for the kernel to report) instead of
giving a value; since every operand is in range, a result is at most 127 bits before it is checked, and the
language has no power or shift operator, so no operation can build a huge integer first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import attrs

MAX_EXPRESSION_LENGTH = 10_000
MAX_EXPRESSION_DEPTH = 100
MAX_EXPRESSION_NESTING = 32
MAX_LITERAL = 2**63 - 1
#: The range of every value a program holds or computes (registers, shared variables, queue items).
VALUE_MIN = -(2**63)
VALUE_MAX = 2**63 - 1


class ExpressionError(ValueError):
    """A syntax error at `offset` (0-based) in the expression's text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class EvaluationError(ArithmeticError):
    """An expression that cannot be evaluated (division by zero)."""


class ValueOverflow(EvaluationError):
    """An operation whose result is outside VALUE_MIN..VALUE_MAX: `written` is the operation as written
    (`"r * r"`, the same in every run, for a violation's subject) and `computed` the values it met
    (`"3037000500 * 3037000500 = 9223372037000250000"`)."""

    def __init__(self, written: str, computed: str, result: int) -> None:
        self.written = written
        self.computed = computed
        self.bound = "above 2**63 - 1" if result > 0 else "below -2**63"
        super().__init__(self.describe())

    def describe(self, where: str = "") -> str:
        """The message, with `where` (`" at line 7"`) after the operation."""
        return f"{self.written} overflows{where}: {self.computed} is {self.bound} (values are signed 64-bit)"


def in_range(value: int) -> bool:
    """Whether `value` is a value a program may hold (VALUE_MIN..VALUE_MAX)."""
    return VALUE_MIN <= value <= VALUE_MAX


@attrs.frozen(cache_hash=True)
class Number:
    value: int


@attrs.frozen(cache_hash=True)
class Register:
    name: str


@attrs.frozen(cache_hash=True)
class Variable:
    """A shared variable: `name` in the thread's own process, or in `process` (for expectations)."""

    name: str
    process: str | None = None

    def __str__(self) -> str:
        return f"{self.process}.{self.name}" if self.process else self.name


@attrs.frozen(cache_hash=True)
class Unary:
    op: str
    operand: Expression


@attrs.frozen(cache_hash=True)
class Binary:
    op: str
    left: Expression
    right: Expression


Expression = Number | Register | Variable | Unary | Binary
#: The classes of an expression's nodes. `evaluate` tells them apart by exact class: no subclass is an
#: expression (the checks of programs built in Python refuse one).
EXPRESSION_TYPES: tuple[type[Expression], ...] = (Number, Register, Variable, Unary, Binary)

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(//|==|!=|<=|>=|[-+*%<>().]))")
_KEYWORDS = {"and", "or", "not"}
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


@attrs.frozen(cache_hash=True)
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
        self.depths: dict[int, int] = {}  # id(node) -> operations nested in it (a leaf: 0, not stored)
        self.nesting = 0  # open parentheses, `not`s and unary `-`s: the parser's own recursion

    def node(self, node: Unary | Binary, at: _Token, *children: Expression) -> Expression:
        """`node`, refused when its tree would be deeper than MAX_EXPRESSION_DEPTH."""
        depth = 1 + max(self.depths.get(id(child), 0) for child in children)
        if depth > MAX_EXPRESSION_DEPTH:
            raise ExpressionError(f"the expression nests more than {MAX_EXPRESSION_DEPTH} operations deep "
                                  "(split it with let)", at.offset)  # fmt: skip
        self.depths[id(node)] = depth
        return node

    def enter(self, at: _Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_EXPRESSION_NESTING:
            raise ExpressionError(f"parentheses, 'not' and '-' nest more than {MAX_EXPRESSION_NESTING} deep",
                                  at.offset)  # fmt: skip

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
        while token := self.take("or"):
            right = self.and_()
            left = self.node(Binary("or", left, right), token, left, right)
        return left

    def and_(self) -> Expression:
        left = self.not_()
        while token := self.take("and"):
            right = self.not_()
            left = self.node(Binary("and", left, right), token, left, right)
        return left

    def not_(self) -> Expression:
        if token := self.take("not"):
            self.enter(token)
            operand = self.not_()
            self.nesting -= 1
            return self.node(Unary("not", operand), token, operand)
        return self.compare()

    def compare(self) -> Expression:
        left = self.sum()
        token = self.take(*_COMPARISONS)
        if token is None:
            return left
        right = self.sum()
        if self.token.kind == "op" and self.token.text in _COMPARISONS:
            raise ExpressionError("chained comparisons are not supported; use 'and'", self.token.offset)
        return self.node(Binary(token.text, left, right), token, left, right)

    def sum(self) -> Expression:
        left = self.product()
        while token := self.take("+", "-"):
            right = self.product()
            left = self.node(Binary(token.text, left, right), token, left, right)
        return left

    def product(self) -> Expression:
        left = self.unary()
        while token := self.take("*", "//", "%"):
            right = self.unary()
            left = self.node(Binary(token.text, left, right), token, left, right)
        return left

    def unary(self) -> Expression:
        if token := self.take("-"):
            self.enter(token)
            operand = self.unary()
            self.nesting -= 1
            return self.node(Unary("-", operand), token, operand)
        return self.atom()

    def atom(self) -> Expression:
        token = self.token
        if token.kind == "int":
            self.index += 1
            # compared as text first: int() of a 5,000-digit literal is itself an error (Python's limit)
            if len(token.text.lstrip("0")) > len(str(MAX_LITERAL)) or int(token.text) > MAX_LITERAL:
                shown = token.text if len(token.text) <= 30 else f"{token.text[:12]}... ({len(token.text):,} digits)"
                raise ExpressionError(f"integer {shown} is out of range (at most 2**63 - 1)", token.offset)
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
            self.enter(token)
            inner = self.or_()
            if not self.take(")"):
                raise ExpressionError("expected ')'", self.token.offset)
            self.nesting -= 1
            return inner
        if token.kind == "end":
            raise ExpressionError("the expression ends too early", token.offset)
        raise ExpressionError(f"unexpected {token.text!r}", token.offset)


def parse_expression(text: str, is_variable: Callable[[str], bool], *, qualified: bool = False) -> Expression:
    """Parse `text`. `is_variable(name)` tells shared variables from registers. With `qualified`, names
    must be `process.variable` (as in `expect`). Raises ExpressionError with the offset of the problem."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"the expression is {len(text):,} characters long; at most "
                              f"{MAX_EXPRESSION_LENGTH:,} are allowed", 0)  # fmt: skip
    return _Parser(text, is_variable, qualified).parse()


def evaluate(expression: Expression, read: Callable[[Expression], int]) -> int:
    """The value of `expression`; `read` gives the value of a Register or Variable (a tracked read)."""
    # By exact type, the leaves first: the commonest nodes, and cheaper to tell apart than with isinstance
    # (nothing derives from these classes).
    kind = type(expression)
    if kind is Number:
        return expression.value  # type: ignore[union-attr]
    if kind is Register or kind is Variable:
        return read(expression)
    if isinstance(expression, Unary):
        value = evaluate(expression.operand, read)
        if expression.op == "not":
            return int(not value)
        if value == VALUE_MIN:  # the one value whose negation is out of range
            raise ValueOverflow(written(expression), f"-({value}) = {-value}", -value)
        return -value
    binary: Binary = expression  # type: ignore[assignment]  # what is left
    op = binary.op
    left = evaluate(binary.left, read)
    if op == "and":
        return int(bool(left) and bool(evaluate(binary.right, read)))
    if op == "or":
        return int(bool(left) or bool(evaluate(binary.right, read)))
    right = evaluate(binary.right, read)
    if op in ("//", "%") and right == 0:
        raise EvaluationError("division by zero")
    result = _BINARY[op](left, right)
    # Operands are in range, so `result` has at most 127 bits; comparisons give 1 or 0.
    if VALUE_MIN <= result <= VALUE_MAX:
        return result
    raise ValueOverflow(written(binary), f"{left} {op} {right} = {result}", result)


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


#: How tightly each binary operator binds (the grammar's levels), for `written`.
_PRECEDENCE = {"or": 1, "and": 2, **dict.fromkeys(("==", "!=", "<", "<=", ">", ">="), 4), "+": 5, "-": 5,
               "*": 6, "//": 6, "%": 6}  # fmt: skip
#: Longer than this, `written` shows the start and the length.
_WRITTEN_LENGTH = 80


def written(expression: Expression) -> str:
    """The expression as text that parses back to it (parentheses only where needed), for messages. A hidden
    register (`%x`, into which `incr: x` loads x) is shown without its `%`. At most 80 characters, else cut."""
    text = _written(expression)
    if len(text) > _WRITTEN_LENGTH:
        text = f"{text[:60]}... ({len(text):,} characters)"
    return text


def _written(expression: Expression, context: int = 0) -> str:
    if isinstance(expression, Number):
        return str(expression.value)
    if isinstance(expression, Register):
        return expression.name.lstrip("%")
    if isinstance(expression, Variable):
        return str(expression)
    if isinstance(expression, Unary):
        # `not` binds looser than a comparison; `-` tighter than everything
        if expression.op == "not":
            text, level = f"not {_written(expression.operand, 3)}", 3
        else:
            text, level = f"-{_written(expression.operand, 7)}", 7
    else:
        level = _PRECEDENCE[expression.op]
        # Left-associative: a right operand of the same level needs parentheses (`a - (b - c)`); so does a
        # comparison inside a comparison, which the grammar does not chain.
        left_level = level + 1 if level == 4 else level
        text = f"{_written(expression.left, left_level)} {expression.op} {_written(expression.right, level + 1)}"
    return f"({text})" if level < context else text


def variables(expression: Expression) -> Iterator[Variable]:
    """Every shared variable an expression reads, left to right."""
    if isinstance(expression, Variable):
        yield expression
    elif isinstance(expression, Unary):
        yield from variables(expression.operand)
    elif isinstance(expression, Binary):
        yield from variables(expression.left)
        yield from variables(expression.right)


def numbers(expression: Expression) -> Iterator[int]:
    """Every number written in an expression, left to right."""
    if isinstance(expression, Number):
        yield expression.value
    elif isinstance(expression, Unary):
        yield from numbers(expression.operand)
    elif isinstance(expression, Binary):
        yield from numbers(expression.left)
        yield from numbers(expression.right)
