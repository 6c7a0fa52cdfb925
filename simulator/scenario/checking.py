"""The state shared by every part of the scenario checker: the file, the errors found so far, what the
machine section declared, and the checks of single values that every section uses.

The sections (`machine`, `objects`, `processes`, `programs`, and `loader` for the file as a whole) each take
a `Checker` and report through it; none of them keeps state of its own between calls. The checker keeps
going after an error so that one pass reports as many problems as it can (`InputErrors`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar

from simulator.errors import InputError, Location, did_you_mean
from simulator.scenario.model import SyncSpec
from simulator.scenario.source import PathKey, Source
from simulator.timeunits import TimeValueError, to_ns, type_name

T = TypeVar("T")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEYWORDS = {"and", "or", "not"}


def is_identifier(name: object) -> bool:
    """Whether `name` can name a variable or register."""
    return isinstance(name, str) and bool(_IDENTIFIER.match(name)) and name not in _KEYWORDS


class Checker:
    """One pass over one parsed file: where errors go, and what later sections need from earlier ones."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.errors: list[InputError] = []
        #: The file's time unit, for durations without one (set by the loader before anything is read).
        self.time_unit = "ms"
        #: Set by the machine section, read by programs (io devices), processes (ipc names) and affinity.
        self.devices: set[str] = {"io"}
        self.ipc: tuple[SyncSpec, ...] = ()
        self.cpus = 1

    def fail(self, path: PathKey, message: str, *, at_key: bool = False) -> None:
        """Record an error at the value at `path` (at its key, with `at_key`)."""
        self.errors.append(self.source.error(path, message, at_key=at_key))

    def fail_at(self, location: Location, message: str) -> None:
        """Record an error at an exact location (inside a scalar: an expression's offending character)."""
        self.errors.append(InputError(location, message))

    def keys(self, mapping: Mapping[str, object], path: PathKey, allowed: tuple[str, ...], what: str) -> None:
        """Report every key of `mapping` that is not `allowed` (with a did-you-mean)."""
        for key in mapping:
            if key not in allowed:
                self.fail((*path, key), f"unknown key {key!r} in {what}{did_you_mean(key, allowed)}", at_key=True)

    def choice(self, raw: Mapping[str, object], path: PathKey, key: str, choices: tuple[str, ...], default: str) -> str:
        """`raw[key]`, which must be one of `choices` (`default` when absent or wrong)."""
        value = raw.get(key, default)
        if value not in choices:
            self.fail((*path, key), f"{key} must be one of {', '.join(choices)}, got {value!r}")
            return default
        return str(value)

    # -- values ------------------------------------------------------------------------------------------

    def name(self, raw: Mapping[str, object], path: PathKey) -> str | None:
        """The mapping's `name`: a non-empty string, or None (reported) when missing or not one."""
        if "name" not in raw:
            self.fail(path, "missing 'name'")
            return None
        name = raw["name"]
        if not isinstance(name, str) or not name.strip():
            got = ("an empty string" if not name else "only spaces") if isinstance(name, str) else type_name(name)
            self.fail((*path, "name"), f"a name must be a non-empty string, got {got}")
            return None
        return name

    def string(self, raw: Mapping[str, object], path: PathKey, key: str, default: str) -> str:
        """`raw[key]` as a string (`default` when absent or wrong)."""
        value = raw.get(key, default)
        if not isinstance(value, str):
            self.fail((*path, key), f"{key} must be a string, got {type_name(value)}")
            return default
        return value

    def integer(self, raw: Mapping[str, object], path: PathKey, key: str, default: int,
                minimum: int | None = None, maximum: int | None = None) -> int:  # fmt: skip
        """`raw[key]` as an integer from `minimum` to `maximum` (`default` when absent or wrong; booleans are
        wrong). A `maximum` is one of the documented limits (docs/scenarios.md, "Limits")."""
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail((*path, key), f"{key} must be an integer, got {type_name(value)}")
            return default
        if minimum is not None and value < minimum:
            self.fail((*path, key), f"{key} must be at least {minimum}, got {value}")
            return default
        if maximum is not None and value > maximum:
            self.fail((*path, key), f"{key} must be at most {maximum:,} (the limit), got {value:,}")
            return default
        return value

    def boolean(self, raw: Mapping[str, object], path: PathKey, key: str, default: bool) -> bool:
        """`raw[key]` as true or false (`default` when absent or wrong)."""
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.fail((*path, key), f"{key} must be true or false, got {type_name(value)}")
            return default
        return value

    def duration(self, raw: Mapping[str, object], path: PathKey, key: str, default: int) -> int:
        """`raw[key]` as a duration in ns, read in the file's time unit unless it gives its own."""
        if key not in raw:
            return default
        return self.duration_value(raw[key], (*path, key))

    def duration_value(self, value: object, path: PathKey) -> int:
        """A duration value (a number or text such as `5us`) in ns; 0 after reporting a bad one."""
        try:
            return to_ns(value, self.time_unit)
        except TimeValueError as error:
            self.fail(path, str(error))
            return 0

    def sequence(self, raw: Mapping[str, object], path: PathKey, key: str) -> list[object]:
        """`raw[key]` as a list (empty when absent or wrong)."""
        return self.checked(raw, path, key, list, "a list", [])

    def checked(self, raw: Mapping[str, object], path: PathKey, key: str, kind: type[T], shown: str,
                default: T) -> T:  # fmt: skip
        """`raw[key]` if it is an instance of `kind` (described as `shown` in the message), else `default`."""
        value = raw.get(key, default)
        if not isinstance(value, kind):
            self.fail((*path, key), f"{key} must be {shown}, got {type_name(value)}")
            return default
        return value
