"""Validating a scenario built in Python exactly as a scenario file is validated.

`validate(scenario)` turns the scenario's machine and processes back into the data a scenario file holds
(durations in ns) and runs the loader's own checks over it (`simulator.scenario.loader`), so that a
`MachineSpec(cpus=0)` fails with the message a file with `cpus: 0` gets, at the same field path:

    machine.cpus: cpus must be at least 1, got 0

Programs built from operation objects are checked against the process they run in: every variable,
synchronization object (of the right kind) and device they name must exist, and durations must not be
negative. Expectations are read again from their text. Every problem is reported at once, in one
`ScenarioError`.

Numbers are held to the limits a file's are (docs/scenarios.md, "Limits"), which a file's reader applies
before the loader's checks and so are checked here: integers signed 64-bit (`seed`, `priority`, memory
values, a semaphore's count, an expression's numbers...), durations at most 10**100 ns, nested repeats at
most MAX_REPEATS passes, expressions nested at most as deep as the expression parser allows:

    processes[0].memory.x: integer 1000000000000000000000 is out of range (integers in a scenario are
    signed 64-bit: -2**63 to 2**63-1)

`validate` returns the scenario ready to run: the same object when nothing needed filling in, else a copy
whose policy has its parameters' defaults filled in (`PolicySpec("rr")` runs as `policy: rr` does).
A scenario once validated is remembered by identity (for as long as it lives), so that `simulate` can
validate what it is given without checking a scenario that thousands of runs share again and again; this
changes only how often the check runs, never a run's result.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from simulator.errors import InputErrors
from simulator.program.distributions import Distribution
from simulator.program.expressions import EXPRESSION_TYPES, Binary, Expression, Number, Unary, variables
from simulator.program.operations import OPERATION_TYPES, Compute, Io, Operation, Repeat, Sleep, Wait, children
from simulator.program.python import python_body
from simulator.scenario.checking import Checker
from simulator.scenario.limits import INT_MAX, INT_MIN, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_NESTING, MAX_REPEATS
from simulator.scenario.loader import expectations_of, scenario_from_source
from simulator.scenario.model import MachineSpec, ProcessSpec, Scenario, ThreadSpec
from simulator.scenario.processes import Survey
from simulator.scenario.source import Source, format_path
from simulator.scenario.to_data import scenario_data

#: The file name the loader's checks see for a scenario built in Python.
PYTHON_SOURCE = "<python>"


@attrs.frozen
class Problem:
    """One thing wrong with a scenario: the field at fault (`machine.cpus`, `processes[0].threads[1].name`),
    what is wrong with it, and where in the caller's Python code the builder call that made it is (or "")."""

    field: str
    message: str
    made_at: str = ""

    def __str__(self) -> str:
        where = f" (made at {self.made_at})" if self.made_at else ""
        return f"{self.field}: {self.message}{where}"


class ScenarioError(ValueError):
    """A scenario built in Python that a scenario file with the same content would not pass: one line per
    problem, each `FIELD: MESSAGE`. `problems` lists them; `field` and `message` are the first one's."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
        self.field = self.problems[0].field if self.problems else ""
        self.message = self.problems[0].message if self.problems else ""


#: id of a validated scenario -> (a weak reference to it, the scenario ready to run, or None when that is the
#: scenario itself). The weak reference's callback drops the entry when the scenario dies, so that a later
#: object with the same id is never taken for it. Never a strong reference to the scenario itself: that
#: would keep every scenario ever validated alive (a test session grew to gigabytes and slowed to a crawl).
_validated: dict[int, tuple[weakref.ref[Scenario], Scenario | None]] = {}


def validate(scenario: Scenario) -> Scenario:
    """Check `scenario` as the loader checks a file; the scenario ready to run (see the module docstring).
    Raises ScenarioError naming every field at fault."""
    known = _validated.get(id(scenario))
    if known is not None and known[0]() is scenario:
        return scenario if known[1] is None else known[1]
    if not isinstance(scenario, Scenario):
        raise TypeError(f"expected a Scenario, got {type(scenario).__name__}")
    ready = checked(scenario)
    _remember(scenario, ready)
    return ready


def remember(scenario: Scenario) -> Scenario:
    """Record `scenario`, just checked and ready to run, as validated (the builder's `build` does)."""
    _remember(scenario, scenario)
    return scenario


def remember_variant(original: Scenario, variant: Scenario) -> Scenario:
    """Record `variant` as validated if `original` was and the variant changes nothing the checks of its
    maker did not cover but its policy (checked here: complete, as a loaded one is). For
    `with_overrides`, so that a sweep does not check every variant again."""
    from simulator.policies.registry import PolicyError, build_policy_spec

    known = _validated.get(id(original))
    if known is None or known[0]() is not original or known[1] is not None:
        return variant
    policy = variant.machine.policy
    try:
        complete = build_policy_spec(policy.name, dict(policy.params), "ns") == policy
    except (PolicyError, TypeError, ValueError):
        complete = False
    return remember(variant) if complete else variant


def _remember(scenario: Scenario, ready: Scenario) -> None:
    key = id(scenario)
    table = _validated  # bound here: at interpreter exit the module's globals may be gone before the callback

    def forget(_: weakref.ref[Scenario]) -> None:
        table.pop(key, None)

    _validated[key] = (weakref.ref(scenario, forget), None if ready is scenario else ready)


def checked(scenario: Scenario, made_at: Mapping[tuple[str | int, ...], str] | None = None) -> Scenario:
    """`validate` without the memory of scenarios checked before. `made_at` maps a field path's start
    (`("machine",)`, `("processes", 0)`, `("processes", 0, "threads", 1)`) to the Python source line that
    made it, for the messages; the longest matching start wins."""
    problems = [*_check_specs(scenario), *_check_programs(scenario)]
    if problems:
        sites = made_at if made_at is not None else _construction_sites(scenario)
        raise ScenarioError([located(problem, path, sites) for path, problem in problems])
    return _ready(scenario)


def _construction_sites(scenario: Scenario) -> dict[tuple[str | int, ...], str]:
    """Where the caller's code constructed the scenario's spec objects (their `made_at`), by field path."""
    sites: dict[tuple[str | int, ...], str] = {(): scenario.made_at, ("machine",): scenario.machine.made_at}
    for index, process in enumerate(scenario.processes):
        sites[("processes", index)] = process.made_at
        for thread_index, thread in enumerate(process.threads):
            sites[("processes", index, "threads", thread_index)] = thread.made_at
    return sites


def located(problem: Problem, path: tuple[str | int, ...], made_at: Mapping[tuple[str | int, ...], str]) -> Problem:
    """`problem` with the Python line that made the longest start of `path` that `made_at` knows."""
    for length in range(len(path), -1, -1):
        if made_at.get(path[:length]):
            return attrs.evolve(problem, made_at=made_at[path[:length]])
    return problem


def _ready(scenario: Scenario) -> Scenario:
    """The scenario with its policy's defaults filled in (the checks passed, so this cannot fail)."""
    from simulator.policies.registry import build_policy_spec

    policy = scenario.machine.policy
    full = build_policy_spec(policy.name, dict(policy.params), "ns")
    if full == policy:
        return scenario
    return attrs.evolve(scenario, machine=attrs.evolve(scenario.machine, policy=full))


# -- the specs, through the loader's checks -------------------------------------------------------------------


def _check_specs(scenario: Scenario) -> Iterator[tuple[tuple[str | int, ...], Problem]]:
    """The loader's checks of the machine, processes, threads and expectations."""
    data = scenario_data(scenario)
    # Out of range first, as a file's reader finds it first; the loader's checks then say nothing more of it.
    problems: list[tuple[tuple[str | int, ...], Problem]] = list(_out_of_range(data))
    reported = {path for path, _ in problems}
    try:
        scenario_from_source(Source(PYTHON_SOURCE, data, positions={}), scenario.name or "scenario")
    except InputErrors as errors:
        for error in errors.errors:
            path = parse_path(error.location.path)
            if path not in reported:
                problems.append((path, Problem(error.location.path, error.message)))
    if isinstance(scenario.processes, tuple) and all(isinstance(p, ProcessSpec) for p in scenario.processes):
        checker = Checker(Source(PYTHON_SOURCE, {"expect": [e.text for e in scenario.expect]}, positions={}))
        with contextlib.suppress(AttributeError, TypeError):  # a malformed process: the checks above report it
            expectations_of(checker, checker.source.data, scenario.processes)  # type: ignore[arg-type]
        for error in checker.errors:
            problems.append((parse_path(error.location.path), Problem(error.location.path, error.message)))
    yield from problems


#: Keys of the data whose values are durations (at most 10**100 ns, checked by the loader's checks as a
#: file's are), not integers (signed 64-bit); a policy's duration parameters are added to them.
_DURATION_KEYS = frozenset({"arrival", "context_switch", "balance_interval", "migration_cost", "switch_interval",
                            "interarrival"})  # fmt: skip
#: Keys under which names are the user's (variables, objects, devices), never settings.
_NAMED = frozenset({"memory", "sync", "ipc", "devices"})


def _duration_keys() -> frozenset[str]:
    from simulator.policies.registry import POLICIES

    policy_durations = {parameter.name for policy in POLICIES.values() for parameter in policy.parameters
                        if parameter.kind in ("duration", "durations")}  # fmt: skip
    return _DURATION_KEYS | policy_durations


def _out_of_range(data: dict[str, object]) -> Found:
    """Every integer of `data` out of the signed 64-bit range (but in a duration), and every duration past
    10**100 ns: what a file's reader and its duration parser refuse (simulator.scenario.source,
    simulator.timeunits). Each is replaced by 0 in `data`, for the loader's checks that follow (which would
    take seconds, or raise, over a number of thousands of digits)."""
    durations = _duration_keys()
    # A loop, not recursion: the data of a scenario built in Python may nest deeply.
    pending: list[tuple[Any, str | int, tuple[str | int, ...], bool, bool]] = [
        (data, key, (key,), key in durations, key in _NAMED) for key in reversed(list(data))
    ]
    while pending:
        container, key, here, duration, named = pending.pop()
        value = container[key]
        if isinstance(value, dict):
            for inner in reversed(list(value)):
                is_duration = duration or (not named and inner in durations)
                pending.append((value, inner, (*here, inner), is_duration, not named and inner in _NAMED))
        elif isinstance(value, list):
            pending.extend((value, index, (*here, index), duration, False) for index in reversed(range(len(value))))
        elif isinstance(value, int) and not isinstance(value, bool):
            message = _duration_too_long(value) if duration else _integer_out_of_range(value)
            if message is not None:
                container[key] = 0
                yield here, Problem(format_path(here), message)


def _shown(value: int) -> str:
    """An integer as the file reader's messages show a long one."""
    if value.bit_length() > 14_000:  # past str()'s 4,300 digits
        return f"of about {int(value.bit_length() * 0.30103):,} digits"
    text = str(value)
    return text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text):,} characters)"


def _integer_out_of_range(value: int) -> str | None:
    """The file reader's message for an integer out of range (simulator.scenario.source), or None."""
    if INT_MIN <= value <= INT_MAX:
        return None
    return f"integer {_shown(value)} is out of range (integers in a scenario are signed 64-bit: -2**63 to 2**63-1)"


def _duration_too_long(value: int) -> str | None:
    """The duration parser's message for a duration (ns) past 10**100 (simulator.timeunits), or None."""
    if abs(value) <= _MAX_DURATION:
        return None
    return f"duration {_shown(value)} is too long (at most 10**100 in any unit)"


#: The longest duration, in ns: the duration parser's bound (simulator.timeunits: 101 digits).
_MAX_DURATION = 10**101 - 1


def parse_path(text: str) -> tuple[str | int, ...]:
    """`processes[0].threads[1]` -> `('processes', 0, 'threads', 1)` (format_path's inverse)."""
    parts: list[str | int] = []
    for piece in text.replace("[", ".[").split("."):
        if piece.startswith("[") and piece.endswith("]") and piece[1:-1].isdigit():
            parts.append(int(piece[1:-1]))
        elif piece and piece != "(top)":
            parts.append(piece)
    return tuple(parts)


def _check_programs(scenario: Scenario) -> Iterator[tuple[tuple[str | int, ...], Problem]]:
    """Every operation of every program names things its process has, with durations that are not negative."""
    if not isinstance(scenario.processes, tuple) or not all(isinstance(p, ProcessSpec) for p in scenario.processes):
        return
    if not isinstance(scenario.machine, MachineSpec):
        return
    survey = Survey.from_specs(scenario.processes)
    devices = {"io"} | {device.name for device in scenario.machine.devices}
    for index, process in enumerate(scenario.processes):
        memory = (frozenset(name for name, _ in process.memory) if process.start != "forked"
                  else survey.forked_variables(process.name))  # fmt: skip
        objects = {spec.name: spec.kind for spec in (*scenario.machine.ipc, *process.sync)}
        for thread_index, thread in enumerate(process.threads):
            program = thread.program if isinstance(thread, ThreadSpec) else None
            if not isinstance(program, tuple) or python_body(program) is not None:
                continue  # a Python generator body (checked as it runs), or a malformed thread reported above
            path: tuple[str | int, ...] = ("processes", index, "threads", thread_index, "program")
            yield from _check_body(program, path, memory, objects, devices, 1)


Found = Iterator[tuple[tuple[str | int, ...], Problem]]


def _check_body(program: tuple[object, ...], path: tuple[str | int, ...], memory: frozenset[str],
                objects: Mapping[str, str], devices: set[str], repeats: int) -> Found:  # fmt: skip
    """`repeats`: the product of the `times` of the repeats around `program` (at most MAX_REPEATS)."""
    for position, operation in enumerate(program):
        here = (*path, position)
        if not isinstance(operation, OPERATION_TYPES):
            yield here, Problem(format_path(here), f"not an operation: {operation!r} (use the classes of "
                                                   f"simulator.program.operations)")  # fmt: skip
            continue
        for message in _operation_problems(operation, memory, objects, devices):
            yield here, Problem(format_path(here), message)
        inner = repeats
        if isinstance(operation, Repeat):
            times = operation.times
            if isinstance(times, bool) or not isinstance(times, int):
                yield here, Problem(format_path(here), f"times must be an integer, got {type(times).__name__}")
                continue
            if times < 0:
                yield here, Problem(format_path(here), f"times must be at least 0, got {times}")
                continue
            if repeats * times > MAX_REPEATS:
                runs = f"{repeats * times:,}" if times <= INT_MAX else _shown(repeats * times)
                yield here, Problem(format_path(here), f"times: repeats nested here run {runs} times; nested "
                                                       f"repeats run at most {MAX_REPEATS:,} times (the product "
                                                       f"of their times)")  # fmt: skip
                continue
            inner = repeats * max(times, 1)
        fields = list(operation.spec.bodies.values())
        for field, body in zip(fields, children(operation), strict=True):
            yield from _check_body(body, (*here, field), memory, objects, devices, inner)


def _distribution_problems(field: str, distribution: object) -> Iterator[str]:
    """A distribution's parameters are durations (ns): integers, not negative, at most 10**100."""
    if not isinstance(distribution, Distribution):
        yield f"{field}: expected a Distribution (simulator.program.distributions), got {type(distribution).__name__}"
        return
    for position, value in enumerate(distribution.parameters, 1):
        if isinstance(value, bool) or not isinstance(value, int):
            yield f"{field}: parameter {position} must be an integer number of ns, got {type(value).__name__}"
        elif value < 0:
            yield f"{field}: parameter {position} must not be negative, got {_shown(value)}"
        elif (too_long := _duration_too_long(value)) is not None:
            yield f"{field}: parameter {position}: {too_long}"


def _expression_problem(expression: Expression) -> str | None:
    """What a file's expression parser would refuse in an expression built in Python: operations nested
    more than MAX_EXPRESSION_DEPTH deep, `not` and `-` nested more than MAX_EXPRESSION_NESTING deep, a
    number out of the signed 64-bit range (evaluating stays within Python's stack and the value range)."""
    pending: list[tuple[Expression, int, int]] = [(expression, 0, 0)]  # a loop: the tree may be deep
    while pending:
        node, depth, nesting = pending.pop()
        if type(node) not in EXPRESSION_TYPES:  # the evaluator tells nodes by their exact type
            names = ", ".join(kind.__name__ for kind in EXPRESSION_TYPES)
            return f"an expression node must be one of {names} (not a subclass), got {type(node).__name__}"
        if isinstance(node, Number):
            value = node.value
            if isinstance(value, int) and not isinstance(value, bool):
                message = _integer_out_of_range(value)
                if message is not None:
                    return message
        elif isinstance(node, Unary):
            if nesting + 1 > MAX_EXPRESSION_NESTING:
                return f"'not' and '-' nest more than {MAX_EXPRESSION_NESTING} deep"
            if depth + 1 > MAX_EXPRESSION_DEPTH:
                return f"the expression nests more than {MAX_EXPRESSION_DEPTH} operations deep (split it with let)"
            pending.append((node.operand, depth + 1, nesting + 1))
        elif isinstance(node, Binary):
            if depth + 1 > MAX_EXPRESSION_DEPTH:
                return f"the expression nests more than {MAX_EXPRESSION_DEPTH} operations deep (split it with let)"
            pending.append((node.right, depth + 1, nesting))
            pending.append((node.left, depth + 1, nesting))
    return None


def _operation_problems(operation: Operation, memory: frozenset[str], objects: Mapping[str, str],
                        devices: set[str]) -> Iterator[str]:  # fmt: skip
    """What is wrong with one operation (its own fields, not its sub-programs)."""
    touches = operation.spec.touches
    for field in (*touches.reads, *touches.writes):
        name = getattr(operation, field)
        if name not in memory:
            known = ", ".join(sorted(memory)) or "none"
            yield f"{field}: the process has no variable {name!r} (variables: {known})"
    for field in touches.expressions:
        expression = getattr(operation, field)
        if expression is None:
            continue
        if not isinstance(expression, EXPRESSION_TYPES):
            yield (
                f"{field}: expected an expression (simulator.program.expressions: Number, Register, Variable, "
                f"... or parse_expression's result), got {type(expression).__name__}"
            )
            continue
        problem = _expression_problem(expression)
        if problem is not None:
            yield f"{field}: {problem}"
            continue
        for variable in variables(expression):
            if variable.process is None and variable.name not in memory:
                known = ", ".join(sorted(memory)) or "none"
                yield f"{field}: the process has no variable {variable.name!r} (variables: {known})"
    for field in touches.objects:
        name = getattr(operation, field)
        kind = objects.get(name)
        wanted = operation.spec.kinds
        if kind is None:
            known = ", ".join(sorted(objects)) or "none"
            yield f"{field}: no synchronization object {name!r} in this process or the machine's ipc (objects: {known})"
        elif wanted and kind not in wanted:
            yield f"{field}: {name!r} is a {kind}, not a {' or '.join(wanted)}"
    for field in ("duration", "jitter", "timeout"):
        value = getattr(operation, field, None) if isinstance(operation, (Compute, Sleep, Io, Wait)) else None
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            yield f"{field} must be an integer number of ns, got {type(value).__name__}"
        elif value < 0:
            yield f"{field} must not be negative, got {_shown(value)}"
        elif (too_long := _duration_too_long(value)) is not None:
            yield f"{field}: {too_long}"
    for field in ("distribution", "timeout_distribution"):
        distribution = getattr(operation, field, None)
        if distribution is not None:
            yield from _distribution_problems(field, distribution)
    if isinstance(operation, Io) and operation.device not in devices:
        yield f"device: unknown device {operation.device!r} (devices: {', '.join(sorted(devices))})"
