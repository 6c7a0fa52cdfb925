"""Exact numbers in reports: times and rounded values as decimals exact at any size, and JSON that keeps them.

A float holds about 15.9 significant digits, so 2**53 ns and more in `ms` or `s` would lose nanoseconds.
Report values are therefore made from integers and fractions: `json_number` gives an int when whole, a
float when the float's shortest text is the exact decimal (every value of an ordinary run: it keeps the
C-speed json encoder), else a `Decimal`, which `dumps` writes as its exact digits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction
from json.encoder import encode_basestring, encode_basestring_ascii

from simulator.timeunits import NS_PER_UNIT, decimal_text, format_time

#: A number for a JSON report: exact, whatever its size.
Number = int | float | Decimal


def json_number(text: str) -> Number:
    """The exact decimal `text` as the cheapest exact JSON value: int, float when exact, else Decimal."""
    if "." not in text:
        return int(text)
    value = float(text)
    return value if repr(value) == text else Decimal(text)


def time_number(ns: int, unit: str) -> Number:
    """A time in `unit` for a JSON output, exact to the nanosecond."""
    per_unit = NS_PER_UNIT[unit]
    whole, rest = divmod(ns, per_unit)
    return whole if not rest else json_number(format_time(ns, unit))


def rounded_number(value: Fraction, places: int) -> Number:
    """`value` rounded to `places` decimals (half to even), exact."""
    return json_number(decimal_text(round(value * 10**places), places))


def number_text(value: Number) -> str:
    """A report number as text, never in exponent form."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


class _NeedsExact(Exception):
    """A Decimal was met: the slower, exact encoder takes over."""


def _refuse(value: object) -> object:
    if isinstance(value, Decimal):
        raise _NeedsExact
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: object, *, indent: int | None = None, separators: tuple[str, str] | None = None,
          ensure_ascii: bool = True) -> str:  # fmt: skip
    """json.dumps that also writes Decimal values, as their exact digits; otherwise the same text."""
    try:
        return json.dumps(value, default=_refuse, indent=indent, separators=separators, ensure_ascii=ensure_ascii)
    except _NeedsExact:
        pass
    if separators is None:
        separators = (", ", ": ") if indent is None else (",", ": ")
    text = encode_basestring_ascii if ensure_ascii else encode_basestring
    return "".join(_encode(value, indent, separators, text, 0))


def _encode(value: object, indent: int | None, separators: tuple[str, str], text: Callable[[str], str],
            level: int) -> Iterator[str]:  # fmt: skip
    """What json.dumps writes, piece by piece, with Decimal as a number (for the rare exact case)."""
    if isinstance(value, str):
        yield text(value)
    elif value is None or isinstance(value, bool | int | float):
        yield json.dumps(value)
    elif isinstance(value, Decimal):
        yield format(value, "f")
    elif isinstance(value, dict | list | tuple):
        is_dict = isinstance(value, dict)
        opening, closing = ("{", "}") if is_dict else ("[", "]")
        items = list(value.items()) if isinstance(value, dict) else list(value)
        if not items:
            yield opening + closing
            return
        item_separator, key_separator = separators
        if indent is not None:
            item_separator = item_separator + "\n" + " " * (indent * (level + 1))
            yield opening + "\n" + " " * (indent * (level + 1))
        else:
            yield opening
        for index, item in enumerate(items):
            if index:
                yield item_separator
            if is_dict:
                key, item = item
                yield text(key if isinstance(key, str) else json.dumps(key))  # as json.dumps: 1 -> "1", None -> "null"
                yield key_separator
            yield from _encode(item, indent, separators, text, level + 1)
        yield ("\n" + " " * (indent * level) if indent is not None else "") + closing
    else:
        _refuse(value)
