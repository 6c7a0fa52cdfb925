"""Turning exact internal values into report values: times in the scenario's unit, rounded averages."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from simulator.output.numbers import Number, number_text, rounded_number, time_number
from simulator.policies import POLICIES, describe_value
from simulator.scenario.model import PolicySpec
from simulator.timeunits import NS_PER_UNIT


def time_value(ns: int | None, unit: str) -> Number | None:
    """A time for a report: in `unit`, exact at any size (SPEC section 1); a Decimal only when a float can't
    hold it (see simulator.output.numbers)."""
    return None if ns is None else time_number(ns, unit)


def rounded(value: Fraction | None, unit_ns: int = 1, places: int = 3) -> Number | None:
    """`value / unit_ns` rounded to `places` decimals (half to even); an int when whole."""
    if value is None:
        return None
    return rounded_number(Fraction(value) / unit_ns, places)


def average_value(value: Fraction | None, unit: str) -> Number | None:
    """An average time (ns) for a report, in `unit`, rounded to 3 decimals."""
    return rounded(value, NS_PER_UNIT[unit])


def shown(value: Number | None) -> str:
    """A report number as text ('-' for none), never in exponent form."""
    return "-" if value is None else number_text(value)


def policy_parameters(spec: PolicySpec, unit: str) -> dict[str, object]:
    """A policy's parameters for reports, durations in `unit` (exact); those not `always_shown` only when
    they are not at their default."""
    by_name = {parameter.name: parameter for parameter in POLICIES[spec.name].parameters}
    shown: dict[str, object] = {}
    for name, value in spec.params:
        parameter = by_name[name]
        if not parameter.always_shown and value == parameter.default:
            continue
        if parameter.kind == "duration" and isinstance(value, int):
            shown[name] = time_number(value, unit)
        elif parameter.kind == "durations" and isinstance(value, tuple):
            shown[name] = [time_number(item, unit) for item in value]
        else:
            shown[name] = describe_value(parameter, value, unit)
    return shown


def policy_text(spec: PolicySpec, unit: str) -> str:
    """The `--policy` text that selects this policy, e.g. `rr:quantum=4`."""
    params = policy_parameters(spec, unit)
    if not params:
        return spec.name
    text = ",".join(f"{name}={_parameter_text(value)}" for name, value in params.items())
    return f"{spec.name}:{text}"


def _parameter_text(value: object) -> str:
    if isinstance(value, list):
        return "/".join(_parameter_text(item) for item in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float | Decimal):
        return number_text(value)
    return str(value)


def human_duration(ns: int) -> str:
    """A duration with the largest unit that shows it whole: 10000000 -> '10ms'."""
    for unit in ("s", "ms", "us"):
        if ns and ns % NS_PER_UNIT[unit] == 0:
            return f"{ns // NS_PER_UNIT[unit]}{unit}"
    return f"{ns}ns"
