"""Turn a scenario file into a validated, frozen `Scenario` (SPEC sections 1 to 3).

Validation happens once, here. Every problem found becomes an `InputError` pointing at the file, line,
column and path of the value at fault; the checker keeps going after an error so that one pass reports
as many problems as it can, and raises them together as `InputErrors`.

This module checks the file as a whole and its `expect` list; each other section has its own module:
`machine` (and `objects` for sync and ipc declarations), `processes` (processes and threads), `programs`
(thread programs). They share one `checking.Checker`: the file, the errors, and the checks of single values.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from simulator.errors import InputError, InputErrors, did_you_mean
from simulator.program.expressions import ExpressionError, parse_expression, variables
from simulator.scenario.checking import Checker
from simulator.scenario.machine import check_machine
from simulator.scenario.model import Expectation, ProcessSpec, Scenario
from simulator.scenario.processes import Survey, check_processes
from simulator.scenario.source import PathKey, Source, load_source, parse_source
from simulator.timeunits import NS_PER_UNIT, type_name

_TOP_KEYS = ("version", "name", "description", "time_unit", "seed", "machine", "processes", "threads", "expect")
_CHECKS = ("no_deadlock", "no_data_race")


def load_scenario(path: str | Path, *, display_name: str | None = None) -> Scenario:
    """Load and validate the scenario file at `path`. Raises InputErrors listing every problem found."""
    try:
        source = load_source(path, display_name=display_name)
    except InputError as error:
        raise InputErrors([error]) from None
    default_name = Path(path).stem
    return _check(Checker(source), default_name)


def parse_scenario(text: str, file: str = "<scenario>") -> Scenario:
    """Validate a scenario given as YAML text (named `file` in messages)."""
    try:
        source = parse_source(text, file)
    except InputError as error:
        raise InputErrors([error]) from None
    return _check(Checker(source), Path(file).stem)


def scenario_from_source(source: Source, default_name: str) -> Scenario:
    """Validate an already parsed file (`threadsim sweep` changes a parsed file and validates each variant).
    `default_name` names the scenario when the file gives no name."""
    return _check(Checker(source), default_name)


def _check(checker: Checker, default_name: str) -> Scenario:
    data = checker.source.data
    if not isinstance(data, dict):
        checker.fail((), f"a scenario is a YAML mapping, got {type_name(data)}")
        raise InputErrors(checker.errors)
    checker.keys(data, (), _TOP_KEYS, "scenario")
    version = data.get("version", 1)
    if version != 1 or isinstance(version, bool):
        checker.fail(("version",), f"unsupported version {version!r} (this threadsim reads version 1)")
    name = checker.string(data, (), "name", default_name)
    description = checker.string(data, (), "description", "")
    unit = data.get("time_unit", "ms")
    if not isinstance(unit, str) or unit not in NS_PER_UNIT:
        checker.fail(("time_unit",), f"time_unit must be one of {', '.join(NS_PER_UNIT)}, got {unit!r}")
    else:
        checker.time_unit = unit
    seed = checker.integer(data, (), "seed", 0, minimum=0)
    machine = check_machine(checker, data.get("machine", {}), ("machine",))
    processes = check_processes(checker, data)
    expect = expectations_of(checker, data, processes)
    if checker.errors or machine is None:
        raise InputErrors(checker.errors)
    scenario = Scenario(
        name=name,
        description=description,
        time_unit=checker.time_unit,
        seed=seed,
        machine=machine,
        processes=processes,
        expect=expect,
        file=checker.source.file,
    )
    from simulator.validation import remember  # here: simulator.validation imports this module

    return remember(scenario)  # checked just now: simulate() need not check it again


def expectations_of(checker: Checker, data: Mapping[str, object],
                  processes: tuple[ProcessSpec, ...]) -> tuple[Expectation, ...]:  # fmt: skip
    raw = checker.sequence(data, (), "expect")
    memory = {process.name: {name for name, _ in process.memory} for process in processes}
    for process in processes:
        if process.start == "forked":
            memory[process.name] = set(Survey.from_specs(processes).forked_variables(process.name))
    replicated = {process.name for process in processes if process.count is not None}
    expectations = []
    for index, item in enumerate(raw):
        path: PathKey = ("expect", index)
        if item in _CHECKS:
            expectations.append(Expectation(str(item), None, checker.source.location(path).line))
            continue
        if not isinstance(item, str):
            checker.fail(path, f"an expectation is an expression such as 'app.counter == 2' or one of "
                            f"{', '.join(_CHECKS)}, got {type_name(item)}")  # fmt: skip
            continue
        try:
            expression = parse_expression(item, lambda _: True, qualified=True)
        except ExpressionError as error:
            location = checker.source.text_location(path, error.offset)
            checker.fail_at(location, f"{error.message} in expectation {item!r}")
            continue
        for variable in variables(expression):
            assert variable.process is not None
            if variable.process in replicated:
                checker.fail(path, f"process {variable.process!r} has copies (count), {variable.process}-1 and "
                                f"on, each with its own memory: an expectation cannot name it")  # fmt: skip
            elif variable.process not in memory:
                checker.fail(path, f"unknown process {variable.process!r} in {item!r}"
                                f"{did_you_mean(variable.process, memory)}")  # fmt: skip
            elif variable.name not in memory[variable.process]:
                known = ", ".join(sorted(memory[variable.process])) or "none"
                hint = did_you_mean(variable.name, memory[variable.process])
                checker.fail(path, f"process {variable.process!r} has no variable {variable.name!r}{hint} "
                                f"(variables: {known})")  # fmt: skip
        expectations.append(Expectation(item, expression, checker.source.location(path).line))
    return tuple(expectations)
