"""A short way to build a scenario in Python, validated as a scenario file is.

    machine = Machine(cpus=2, policy="rr:quantum=4")
    bank = Process("bank", memory={"a": 100, "b": 100}, sync={"ma": "mutex", "mb": "mutex"})
    bank.thread("T1", program=[{"lock": "ma"}, {"lock": "mb"}, {"unlock": "mb"}, {"unlock": "ma"}])
    scenario = build(machine, bank, expect=["no_deadlock"])

Every argument takes what the same key of a scenario file takes (SPEC sections 1 to 3): durations are
numbers in the scenario's `time_unit` (ms unless `build` is told otherwise) or text such as `"5us"`; a
policy is `"rr"`, `"rr:quantum=4"`, `{"name": "rr", "quantum": 4}` or a `PolicySpec`; `sync` maps names to
kinds as a file's does (`{"s": {"semaphore": 2}}`). A program is either a file's program data (a list of
`{"load": {"var": "x", "into": "r"}}`-style items, or YAML text of one) or a list of operation objects
(`simulator.program.operations`).

`build` checks everything with the loader's own rules and raises `ScenarioError` (from
`simulator.validation`) naming every field at fault and the line of your code whose builder call made it:

    machine.cpus: cpus must be at least 1, got 0 (made at test_bank.py:12)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs
import yaml

from simulator.errors import InputErrors
from simulator.program.operations import OPERATION_TYPES, Operation
from simulator.program.python import as_program
from simulator.scenario.loader import scenario_from_source
from simulator.scenario.model import PolicySpec, Scenario, user_site
from simulator.scenario.source import Source
from simulator.validation import PYTHON_SOURCE, Problem, ScenarioError, checked, located, parse_path, remember

Path = tuple[str | int, ...]


def _given(**values: object) -> dict[str, object]:
    """The keys given (not None): those left out take the file format's defaults."""
    return {key: value for key, value in values.items() if value is not None}


class Machine:
    """A scenario's `machine` section: CPUs, policy, context-switch cost, devices, ipc objects and the rest."""

    def __init__(
        self,
        cpus: int = 1,
        policy: str | Mapping[str, object] | PolicySpec = "fcfs",
        *,
        context_switch: int | str | None = None,
        devices: Mapping[str, object] | None = None,
        ipc: Mapping[str, object] | None = None,
        tiebreak: str | None = None,
        same_instant: str | None = None,
        queues: str | None = None,
        balance_interval: int | str | None = None,
        stealing: str | None = None,
        peek_interval: int | str | None = None,
        migration_cost: int | str | None = None,
        cache: Mapping[str, object] | None = None,
    ) -> None:
        if isinstance(policy, PolicySpec):
            # A spec's durations are in ns whatever the scenario's unit: say so to the loader.
            policy = {"name": policy.name, **{key: _in_ns(value) for key, value in policy.params}}
        self.data = _given(cpus=cpus, policy=policy, context_switch=context_switch, devices=devices, ipc=ipc,
                           tiebreak=tiebreak, same_instant=same_instant, queues=queues,
                           balance_interval=balance_interval, stealing=stealing, peek_interval=peek_interval,
                           migration_cost=migration_cost, cache=None if cache is None else dict(cache))  # fmt: skip
        self.made_at = user_site()


def _in_ns(value: object) -> object:
    """A policy parameter of a spec, for the loader: durations (ints, and lists of them) marked as ns."""
    if isinstance(value, tuple):
        return [f"{item}ns" for item in value]
    return f"{value}ns" if isinstance(value, int) and not isinstance(value, bool) else value


class Process:
    """A process: its memory (variable names to initial integers), its synchronization objects and, added
    with `thread`, its threads."""

    def __init__(
        self,
        name: str,
        memory: Mapping[str, int] | None = None,
        sync: Mapping[str, object] | None = None,
        *,
        arrival: int | str | None = None,
        start: str | None = None,
        gil: bool | Mapping[str, object] | None = None,
        priority: int | None = None,
        tickets: int | None = None,
        nice: int | None = None,
        affinity: Sequence[int] | int | None = None,
    ) -> None:
        self.data = _given(name=name, memory=None if memory is None else dict(memory),
                           sync=None if sync is None else dict(sync), arrival=arrival, start=start, gil=gil,
                           priority=priority, tickets=tickets, nice=nice,
                           affinity=list(affinity) if isinstance(affinity, (list, tuple)) else affinity)  # fmt: skip
        self.made_at = user_site()
        self.threads: list[dict[str, object]] = []
        self.thread_made_at: list[str] = []
        #: Per thread, its program as operation objects (None: given as file data).
        self.operations: list[tuple[Operation, ...] | None] = []

    def thread(
        self,
        name: str,
        program: Sequence[object] | str | Callable[..., object] | None = None,
        *,
        burst: int | str | None = None,
        arrival: int | str | None = None,
        start: str | None = None,
        priority: int | None = None,
        tickets: int | None = None,
        nice: int | None = None,
        affinity: Sequence[int] | int | None = None,
        working_set: int | None = None,
    ) -> Process:
        """Add a thread running `program` (file data, YAML text of it, operation objects, or a generator
        function: a thread written in Python, see simulator.ops) or a plain CPU `burst`; returns the process,
        so that calls chain."""
        operations: tuple[Operation, ...] | None = None
        if callable(program):
            operations = as_program(program)  # type: ignore[arg-type]  # as_program checks it is a generator function
            program = []
        elif isinstance(program, str):
            program = yaml.safe_load(program)
        if isinstance(program, (list, tuple)) and program and all(isinstance(op, OPERATION_TYPES) for op in program):
            operations = tuple(program)
            program = []
        elif isinstance(program, (list, tuple)) and any(isinstance(op, OPERATION_TYPES) for op in program):
            raise TypeError(f"thread {name!r}: give a program either as file data or as operation objects, not both")
        cpus = list(affinity) if isinstance(affinity, (list, tuple)) else affinity
        given = None if program is None else list(program)  # type: ignore[arg-type]  # callables became []
        self.threads.append(_given(name=name, program=given, burst=burst,
                                   arrival=arrival, start=start, priority=priority, tickets=tickets, nice=nice,
                                   affinity=cpus, working_set=working_set))  # fmt: skip
        self.thread_made_at.append(user_site())
        self.operations.append(operations)
        return self


def build(
    machine: Machine,
    *processes: Process,
    name: str = "scenario",
    seed: int = 0,
    time_unit: str = "ms",
    description: str = "",
    expect: Sequence[str] = (),
) -> Scenario:
    """The scenario of `machine` and `processes`, validated (raises ScenarioError naming each field at
    fault and the builder call that made it). `expect` lists end-of-run checks as a file's `expect` does:
    `"bank.a + bank.b == 200"`, `"no_deadlock"`, `"no_data_race"`."""
    made_at: dict[Path, str] = {("machine",): machine.made_at, (): user_site()}
    raw_processes = []
    for index, process in enumerate(processes):
        made_at[("processes", index)] = process.made_at
        for thread_index, where in enumerate(process.thread_made_at):
            made_at[("processes", index, "threads", thread_index)] = where
        raw_processes.append({**process.data, "threads": list(process.threads)})
    data: dict[str, object] = {"name": name, "seed": seed, "time_unit": time_unit, "machine": machine.data,
                               "processes": raw_processes}  # fmt: skip
    if description:
        data["description"] = description
    if expect:
        data["expect"] = list(expect)
    try:
        scenario = scenario_from_source(Source(PYTHON_SOURCE, data, positions={}), name)
    except InputErrors as errors:
        problems = []
        for error in errors.errors:
            path = parse_path(error.location.path)
            problems.append((path, Problem(error.location.path, error.message)))
        raise ScenarioError([located(problem, path, made_at) for path, problem in problems]) from None
    if any(operations is not None for process in processes for operations in process.operations):
        scenario = attrs.evolve(scenario, processes=tuple(
            attrs.evolve(spec, threads=tuple(
                thread if operations is None else attrs.evolve(thread, program=operations)
                for thread, operations in zip(spec.threads, process.operations, strict=True)
            ))
            for spec, process in zip(scenario.processes, processes, strict=True)
        ))  # fmt: skip
        scenario = checked(scenario, made_at)
    return remember(scenario)
