"""Turning exact internal values into report values: times in the scenario's unit, rounded averages."""

from __future__ import annotations

from fractions import Fraction

from simulator.policies import POLICIES, describe_value
from simulator.scenario.model import PolicySpec
from simulator.timeunits import NS_PER_UNIT, from_ns


def time_value(ns: int | None, unit: str) -> int | float | None:
    """A time for a report: in `unit`, exact (SPEC section 1)."""
    return None if ns is None else from_ns(ns, unit)


def rounded(value: Fraction | None, unit_ns: int = 1, places: int = 3) -> int | float | None:
    """`value / unit_ns` rounded to `places` decimals (half to even); an int when whole."""
    if value is None:
        return None
    result = round(value / unit_ns, places)
    return int(result) if result.denominator == 1 else float(result)


def average_value(value: Fraction | None, unit: str) -> int | float | None:
    """An average time (ns) for a report, in `unit`, rounded to 3 decimals."""
    return rounded(value, NS_PER_UNIT[unit])


def policy_parameters(spec: PolicySpec, unit: str) -> dict[str, object]:
    """A policy's parameters for reports, durations in `unit`."""
    by_name = {parameter.name: parameter for parameter in POLICIES[spec.name].parameters}
    return {name: describe_value(by_name[name], value, unit) for name, value in spec.params}


def policy_text(spec: PolicySpec, unit: str) -> str:
    """The `--policy` text that selects this policy, e.g. `rr:quantum=4`."""
    params = policy_parameters(spec, unit)
    if not params:
        return spec.name
    shown = ",".join(f"{name}={str(value).lower() if isinstance(value, bool) else value}"
                     for name, value in params.items())  # fmt: skip
    return f"{spec.name}:{shown}"


def human_duration(ns: int) -> str:
    """A duration with the largest unit that shows it whole: 10000000 -> '10ms'."""
    for unit in ("s", "ms", "us"):
        if ns and ns % NS_PER_UNIT[unit] == 0:
            return f"{ns // NS_PER_UNIT[unit]}{unit}"
    return f"{ns}ns"
