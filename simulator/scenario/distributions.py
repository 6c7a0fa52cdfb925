"""Durations that may be distributions (SPEC section 3, "Distributions"), checked at load time.

Wherever a duration goes (compute, sleep, io, arrival, interarrival, a wait's timeout) a scenario may write
a constant (`5`, `"250us"`) or a one-key mapping naming a distribution:

    {exponential: MEAN}   {uniform: [LOW, HIGH]}   {normal: {mean: M, sd: S}}
    {lognormal: {mean: M, sd: S}}   {choice: [D1, D2, ...]}

Every parameter is itself a duration (in the file's time unit unless it gives its own). A bad parameter is
reported at its own place in the file.
"""

from __future__ import annotations

from simulator.errors import did_you_mean
from simulator.program.distributions import KINDS, Distribution
from simulator.scenario.checking import Checker
from simulator.scenario.source import PathKey
from simulator.timeunits import type_name

#: What an error message shows of each kind's syntax.
_EXAMPLES = {
    "exponential": "{exponential: 5}",
    "uniform": "{uniform: [2, 8]}",
    "normal": "{normal: {mean: 5, sd: 1}}",
    "lognormal": "{lognormal: {mean: 5, sd: 2}}",
    "choice": "{choice: [1, 5, 20]}",
}


def is_distribution(value: object) -> bool:
    """Whether `value` is written as a distribution: a one-key mapping whose key is a distribution's name."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in KINDS


def duration_or_distribution(checker: Checker, value: object, path: PathKey) -> tuple[int, Distribution | None]:
    """A constant duration as (ns, None), or a distribution as (its mean rounded to the ns, the distribution).
    Errors are reported through `checker`; a bad value gives (0, None)."""
    if not isinstance(value, dict):
        return checker.duration_value(value, path), None
    if len(value) != 1 or not isinstance(next(iter(value)), str):
        checker.fail(path, f"a duration is a number, a text such as \"5ms\" or a distribution such as "
                           f"{{exponential: 5}}, got a mapping with {len(value)} keys")  # fmt: skip
        return 0, None
    ((kind, raw),) = value.items()
    here = (*path, kind)
    if kind not in KINDS:
        checker.fail(path, f"unknown distribution {kind!r}{did_you_mean(kind, KINDS)} (distributions: "
                           f"{', '.join(KINDS)})", at_key=True)  # fmt: skip
        return 0, None
    parameters = _parameters(checker, kind, raw, here)
    if parameters is None:
        return 0, None
    distribution = Distribution(kind, parameters)
    return distribution.mean, distribution


def duration_field(checker: Checker, raw: dict[str, object], path: PathKey, key: str,
                   default: int) -> tuple[int, Distribution | None]:  # fmt: skip
    """`raw[key]` as a duration or a distribution (`default` when absent)."""
    if key not in raw:
        return default, None
    return duration_or_distribution(checker, raw[key], (*path, key))


def _parameters(checker: Checker, kind: str, raw: object, path: PathKey) -> tuple[int, ...] | None:
    example = _EXAMPLES[kind]
    if kind == "exponential":
        if isinstance(raw, (dict, list)):
            checker.fail(path, f"exponential takes its mean, as in {example}, got {type_name(raw)}")
            return None
        mean = checker.duration_value(raw, path)
        if mean <= 0:
            checker.fail(path, "an exponential's mean must be positive")
            return None
        return (mean,)
    if kind in ("uniform", "choice"):
        if not isinstance(raw, list) or (kind == "uniform" and len(raw) != 2):
            shape = "[LOW, HIGH]" if kind == "uniform" else "a list of durations"
            checker.fail(path, f"{kind} takes {shape}, as in {example}, got {type_name(raw)}")
            return None
        if not raw:
            checker.fail(path, f"choice needs at least one duration, as in {example}")
            return None
        values = tuple(checker.duration_value(item, (*path, index)) for index, item in enumerate(raw))
        if kind == "uniform" and values[0] > values[1]:
            checker.fail(path, f"uniform needs LOW <= HIGH, got [{raw[0]}, {raw[1]}]")
            return None
        return values
    # normal, lognormal: {mean: M, sd: S}
    if not isinstance(raw, dict):
        checker.fail(path, f"{kind} takes {{mean: M, sd: S}}, as in {example}, got {type_name(raw)}")
        return None
    good = True
    for key in raw:
        if key not in ("mean", "sd"):
            checker.fail((*path, key), f"unknown key {key!r} in {kind}{did_you_mean(str(key), ('mean', 'sd'))}",
                         at_key=True)  # fmt: skip
            good = False
    for key in ("mean", "sd"):
        if key not in raw:
            checker.fail(path, f"{kind} needs {key!r}, as in {example}")
            good = False
    if not good:
        return None
    mean = checker.duration_value(raw["mean"], (*path, "mean"))
    sd = checker.duration_value(raw["sd"], (*path, "sd"))  # never negative: a duration
    if mean <= 0:
        checker.fail((*path, "mean"), f"a {kind}'s mean must be positive")
        return None
    return mean, sd
