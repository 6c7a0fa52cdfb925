"""Exact simulated time: integer nanoseconds inside, a scenario's `time_unit` outside.

No float ever holds a time. Durations from a scenario are parsed from their text (an integer, a decimal
read exactly, or a string with a unit) and must come to a whole number of nanoseconds.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation

NS_PER_UNIT: dict[str, int] = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
UNIT_ALIASES: dict[str, str] = {"µs": "us", "μs": "us"}

#: A duration written as text is at most this many characters (docs/scenarios.md, "Limits"); times are
#: exact at any size below that (a 2**65 ns sleep is fine), and no conversion costs more than a few digits.
_MAX_TEXT = 100
#: Enough digits that converting any number a scenario may hold to ns is exact, never rounded.
_EXACT = Context(prec=250)

_DURATION_TEXT = re.compile(r"^\s*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*([a-zµμ]*)\s*$")


class TimeValueError(ValueError):
    """A duration or instant that is not a whole, non-negative number of nanoseconds."""


def to_ns(value: object, unit: str) -> int:
    """Convert a scenario value (int, Decimal, or text such as "250us") to integer nanoseconds.

    Bare numbers are in `unit`. Raises TimeValueError with a message meant for the user.
    """
    if isinstance(value, bool):
        raise TimeValueError(f"expected a duration, got {str(value).lower()}")
    if isinstance(value, int):
        amount, value_unit = Decimal(value), unit
    elif isinstance(value, Decimal):
        amount, value_unit = value, unit
    elif isinstance(value, str):
        amount, value_unit = _parse_text(value, unit)
    else:
        raise TimeValueError(f"expected a duration, got {type_name(value)}")
    if not amount.is_finite():
        raise TimeValueError(f"duration must be finite, got {value}")
    if amount < 0:
        raise TimeValueError(f"duration must not be negative, got {amount:f}")
    if amount and amount.adjusted() > _MAX_TEXT:  # a Decimal built elsewhere: refused before any arithmetic
        raise TimeValueError(f"duration {_short(value)} is too long (at most 10**{_MAX_TEXT} in any unit)")
    ns = _EXACT.multiply(amount, Decimal(NS_PER_UNIT[value_unit]))
    if ns != ns.to_integral_value():
        shown = value if isinstance(value, str) else f"{value:f} {unit}"
        raise TimeValueError(f"{shown} is not a whole number of nanoseconds")
    return int(ns)


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text):,} characters)"


def _parse_text(text: str, unit: str) -> tuple[Decimal, str]:
    if len(text) > _MAX_TEXT:
        raise TimeValueError(f"duration {_short(text)} is longer than {_MAX_TEXT} characters")
    match = _DURATION_TEXT.match(text)
    if match is None:
        raise TimeValueError(f'expected a duration such as 5, 0.4 or "250us", got {text!r}')
    number, suffix = match.groups()
    suffix = UNIT_ALIASES.get(suffix, suffix) or unit
    if suffix not in NS_PER_UNIT:
        known = ", ".join(NS_PER_UNIT)
        raise TimeValueError(f"unknown time unit {suffix!r} in {text!r} (known units: {known})")
    try:
        return Decimal(number), suffix
    except InvalidOperation as exc:  # the regex admits only digits, so this is defensive
        raise TimeValueError(f"cannot read {text!r} as a duration") from exc


def from_ns(ns: int, unit: str) -> int | float:
    """A time in `unit` for reports: an int when whole, else a decimal exact to the nanosecond."""
    per_unit = NS_PER_UNIT[unit]
    whole, rest = divmod(ns, per_unit)
    if rest == 0:
        return whole
    # Dividing two exact integers as a Decimal and converting once keeps the shortest exact repr
    # for every value a report can hold (at most 18 significant digits are ever needed for ns).
    return float(Decimal(ns) / Decimal(per_unit))


def format_time(ns: int, unit: str) -> str:
    """Text for a time in `unit`, exact at any size and never in exponent form: '24', '0.25', '0.000001'."""
    # decimal_text(ns, places), inline: outputs format two times per interval, a million intervals a run. The
    # fraction's digits, zero-padded, are those of per_unit + rest after its leading 1.
    per_unit = NS_PER_UNIT[unit]
    if ns < 0:
        return decimal_text(ns, len(str(per_unit)) - 1)
    rest = ns % per_unit
    if not rest:
        return str(ns // per_unit)
    return str(ns // per_unit) + "." + str(per_unit + rest)[1:].rstrip("0")


def decimal_text(scaled: int, places: int) -> str:
    """The exact decimal text of `scaled / 10**places`: no exponent, no trailing zeros ('-1.5', '3')."""
    sign = "-" if scaled < 0 else ""
    whole, rest = divmod(abs(scaled), 10**places)
    if not rest:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{rest:0{places}d}".rstrip("0")


def type_name(value: object) -> str:
    """The YAML-ish name of a Python value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, Decimal | float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
