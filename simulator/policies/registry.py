"""The known policies, and turning `rr:quantum=4` or `{name: rr, quantum: 4}` into a PolicySpec."""

from __future__ import annotations

from collections.abc import Mapping

from simulator.errors import did_you_mean
from simulator.policies.base import Parameter, ParameterValue, Policy, PolicyError
from simulator.policies.cfs import Cfs
from simulator.policies.fcfs import Fcfs
from simulator.policies.lottery import Lottery
from simulator.policies.mlfq import Mlfq
from simulator.policies.priority import Priority
from simulator.policies.rr import RoundRobin
from simulator.policies.sjf import Sjf, Srtf
from simulator.policies.stride import Stride
from simulator.scenario.model import PolicySpec
from simulator.timeunits import TimeValueError, from_ns, to_ns, type_name

#: Every policy by name, in the order `threadsim policies` lists them.
POLICIES: dict[str, type[Policy]] = {
    policy.name: policy for policy in (Fcfs, RoundRobin, Sjf, Srtf, Priority, Mlfq, Lottery, Stride, Cfs)
}

#: Parameters that must be positive, and why, where the error should say (a quantum of 0 would never let a
#: thread run).
_POSITIVE = {
    "quantum": "",
    "min_granularity": " (a slice of 0 would switch threads at the same instant for ever)",
}


def make_policy(spec: PolicySpec) -> Policy:
    """A fresh policy object for one run."""
    return POLICIES[spec.name].build(spec)


def build_policy_spec(name: object, raw_params: Mapping[str, object], time_unit: str) -> PolicySpec:
    """Check a policy name and its parameters (durations in `time_unit`) and fill in defaults."""
    if not isinstance(name, str):
        raise PolicyError(None, f"policy name must be a string, got {type_name(name)}")
    if name not in POLICIES:
        known = ", ".join(POLICIES)
        raise PolicyError(None, f"unknown policy {name!r}{did_you_mean(name, POLICIES)} (known: {known})")
    policy = POLICIES[name]
    by_name = {parameter.name: parameter for parameter in policy.parameters}
    for key in raw_params:
        if key not in by_name:
            known = ", ".join(by_name) or "none"
            raise PolicyError(
                key,
                f"policy {name!r} has no parameter {key!r}{did_you_mean(key, by_name)} (parameters: {known})",
                unknown_key=True,
            )
    values: dict[str, ParameterValue] = {}
    for parameter in policy.parameters:
        if parameter.name in raw_params:
            values[parameter.name] = _convert(parameter, raw_params[parameter.name], time_unit)
        else:
            values[parameter.name] = parameter.default
    policy.complete(values, tuple(raw_params))
    # Parameters for rules few runs use are left out at their default (Policy.setting supplies it): specs
    # built before they existed stay complete, and reports name them only when set.
    optional = {parameter.name: parameter.default for parameter in policy.parameters if not parameter.always_shown}
    return PolicySpec(name, tuple((key, value) for key, value in values.items()
                                  if key not in optional or value != optional[key]))  # fmt: skip


def parse_policy_text(text: str, time_unit: str) -> PolicySpec:
    """Parse the command line's `--policy NAME[:KEY=VALUE,...]`."""
    name, _, rest = text.partition(":")
    params: dict[str, object] = {}
    if rest.strip():
        for item in rest.split(","):
            key, equals, value = item.partition("=")
            if not equals or not key.strip():
                raise PolicyError(None, f"expected KEY=VALUE in {text!r}, got {item!r}")
            if key.strip() in params:
                raise PolicyError(key.strip(), f"{key.strip()} is given twice in {text!r}")
            params[key.strip()] = value.strip()
    return build_policy_spec(name.strip(), params, time_unit)


def _convert(parameter: Parameter, raw: object, time_unit: str) -> ParameterValue:
    if parameter.kind == "durations":
        return _durations(parameter, raw, time_unit)
    if parameter.kind == "choice":
        if raw not in parameter.choices:
            shown = ", ".join(parameter.choices)
            raise PolicyError(parameter.name, f"{parameter.name} must be one of {shown}, got {raw!r}")
        return str(raw)
    if parameter.kind == "duration":
        try:
            value = to_ns(raw, time_unit)
        except TimeValueError as exc:
            raise PolicyError(parameter.name, str(exc)) from None
    elif parameter.kind == "integer":
        value = _integer(parameter.name, raw)
    else:
        return _boolean(parameter.name, raw)
    if parameter.name in _POSITIVE and value <= 0:
        raise PolicyError(parameter.name, f"{parameter.name} must be positive{_POSITIVE[parameter.name]}")
    if value < parameter.minimum:
        raise PolicyError(parameter.name, f"{parameter.name} must be at least {parameter.minimum}")
    if parameter.maximum is not None and value > parameter.maximum:
        raise PolicyError(parameter.name, f"{parameter.name} must be at most {parameter.maximum:,} (the limit), "
                                          f"got {value:,}")  # fmt: skip
    return value


def _durations(parameter: Parameter, raw: object, time_unit: str) -> tuple[int, ...]:
    """A list of durations: a YAML list, or on the command line values separated by `/` (`10/20/40`); an
    empty one is the parameter's default (not set)."""
    items: list[object]
    if isinstance(raw, str):
        items = [item.strip() for item in raw.split("/")] if raw.strip() else []
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        raise PolicyError(parameter.name, f"{parameter.name} must be a list of durations (or A/B/C), got {raw!r}")
    if parameter.maximum is not None and len(items) > parameter.maximum:
        raise PolicyError(parameter.name, f"{parameter.name} may have at most {parameter.maximum} values (the limit), "
                                          f"got {len(items)}")  # fmt: skip
    values = []
    for position, item in enumerate(items, 1):
        try:
            value = to_ns(item, time_unit)
        except TimeValueError as exc:
            raise PolicyError(parameter.name, f"{parameter.name} value {position}: {exc}") from None
        if value < parameter.minimum:
            raise PolicyError(parameter.name, f"{parameter.name} value {position} must be at least {parameter.minimum}")
        values.append(value)
    return tuple(values)


def _integer(key: str, raw: object) -> int:
    if isinstance(raw, bool):
        raise PolicyError(key, f"expected an integer, got {type_name(raw)}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw)
        except ValueError:
            pass
    raise PolicyError(key, f"expected an integer, got {raw!r}")


def _boolean(key: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false", "yes", "no", "1", "0"):
        return raw.lower() in ("true", "yes", "1")
    raise PolicyError(key, f"expected true or false, got {raw!r}")


def describe_value(parameter: Parameter, value: ParameterValue, time_unit: str) -> object:
    """A parameter value for reports: durations in `time_unit`."""
    if parameter.kind == "duration":
        assert isinstance(value, int)
        return from_ns(value, time_unit)
    if parameter.kind == "durations":
        assert isinstance(value, tuple)
        return [from_ns(item, time_unit) for item in value]
    return value
