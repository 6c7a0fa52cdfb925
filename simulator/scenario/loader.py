"""Turn a scenario file into a validated, frozen `Scenario` (SPEC sections 1 to 3).

Validation happens once, here. Every problem found becomes an `InputError` pointing at the file, line,
column and path of the value at fault; the checker keeps going after an error so that one pass reports
as many problems as it can, and raises them together as `InputErrors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

import attrs

from simulator.errors import InputError, InputErrors, Location, did_you_mean
from simulator.model.gil import DEFAULT_SWITCH_INTERVAL
from simulator.policies.registry import PolicyError, build_policy_spec, parse_policy_text
from simulator.program.expressions import ExpressionError, parse_expression, variables
from simulator.program.operations import Compute, Fork, Operation, walk
from simulator.scenario.model import (
    DeviceSpec,
    Expectation,
    MachineSpec,
    PolicySpec,
    ProcessSpec,
    Scenario,
    SyncSpec,
    ThreadSpec,
)
from simulator.scenario.programs import ProgramParser, Scope, is_identifier, raw_operations
from simulator.scenario.source import PathKey, Source, load_source, parse_source
from simulator.timeunits import NS_PER_UNIT, TimeValueError, to_ns, type_name

T = TypeVar("T")

_TOP_KEYS = ("version", "name", "description", "time_unit", "seed", "machine", "processes", "threads", "expect")
_MACHINE_KEYS = ("cpus", "policy", "context_switch", "devices", "ipc", "tiebreak", "queues", "balance_interval",
                 "migration_cost")
_PROCESS_KEYS = ("name", "arrival", "threads", "memory", "sync", "start", "priority", "tickets", "nice", "gil",
                 "affinity")
_THREAD_KEYS = ("name", "arrival", "priority", "program", "burst", "start", "tickets", "nice", "affinity")
#: Object kinds a process's `sync` can declare, and those the machine's `ipc` can.
_SYNC_KINDS = ("mutex", "semaphore", "condition", "event", "barrier", "queue")
_IPC_KINDS = ("channel", "mutex", "semaphore", "event", "queue")
_CHECKS = ("no_deadlock", "no_data_race")


def load_scenario(path: str | Path, *, display_name: str | None = None) -> Scenario:
    """Load and validate the scenario file at `path`. Raises InputErrors listing every problem found."""
    try:
        source = load_source(path, display_name=display_name)
    except InputError as error:
        raise InputErrors([error]) from None
    default_name = Path(path).stem
    return _Checker(source).scenario(default_name)


def parse_scenario(text: str, file: str = "<scenario>") -> Scenario:
    """Validate a scenario given as YAML text (named `file` in messages)."""
    try:
        source = parse_source(text, file)
    except InputError as error:
        raise InputErrors([error]) from None
    return _Checker(source).scenario(Path(file).stem)


class _Checker:
    """Walks one parsed file, building specs and collecting errors."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.errors: list[InputError] = []
        self.time_unit = "ms"
        self.devices: set[str] = {"io"}
        self.ipc: tuple[SyncSpec, ...] = ()
        self.cpus = 1

    def fail(self, path: PathKey, message: str, *, at_key: bool = False) -> None:
        self.errors.append(self.source.error(path, message, at_key=at_key))

    def fail_at(self, location: Location, message: str) -> None:
        self.errors.append(InputError(location, message))

    # -- the whole file ----------------------------------------------------------------------------------

    def scenario(self, default_name: str) -> Scenario:
        data = self.source.data
        if not isinstance(data, dict):
            self.fail((), f"a scenario is a YAML mapping, got {type_name(data)}")
            raise InputErrors(self.errors)
        self.keys(data, (), _TOP_KEYS, "scenario")
        version = data.get("version", 1)
        if version != 1 or isinstance(version, bool):
            self.fail(("version",), f"unsupported version {version!r} (this threadsim reads version 1)")
        name = self.string(data, (), "name", default_name)
        description = self.string(data, (), "description", "")
        unit = data.get("time_unit", "ms")
        if not isinstance(unit, str) or unit not in NS_PER_UNIT:
            self.fail(("time_unit",), f"time_unit must be one of {', '.join(NS_PER_UNIT)}, got {unit!r}")
        else:
            self.time_unit = unit
        seed = self.integer(data, (), "seed", 0, minimum=0)
        machine = self.machine(data.get("machine", {}), ("machine",))
        processes = self.processes(data)
        expect = self.expectations(data, processes)
        if self.errors or machine is None:
            raise InputErrors(self.errors)
        return Scenario(
            name=name,
            description=description,
            time_unit=self.time_unit,
            seed=seed,
            machine=machine,
            processes=processes,
            expect=expect,
            file=self.source.file,
        )

    def keys(self, mapping: Mapping[str, object], path: PathKey, allowed: tuple[str, ...], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.fail((*path, key), f"unknown key {key!r} in {what}{did_you_mean(key, allowed)}", at_key=True)

    # -- the machine -------------------------------------------------------------------------------------

    def machine(self, raw: object, path: PathKey) -> MachineSpec | None:
        if not isinstance(raw, dict):
            self.fail(path, f"machine must be a mapping, got {type_name(raw)}")
            return None
        self.keys(raw, path, _MACHINE_KEYS, "machine")
        cpus = self.integer(raw, path, "cpus", 1, minimum=1)
        context_switch = self.duration(raw, path, "context_switch", 0)
        devices = self.device_specs(raw.get("devices", {}), (*path, "devices"))
        self.ipc = self.sync_specs(raw.get("ipc", {}), (*path, "ipc"), _IPC_KINDS)
        policy = self.policy(raw.get("policy", "fcfs"), (*path, "policy"))
        if policy is None:
            return None
        tiebreak = self.choice(raw, path, "tiebreak", ("fifo", "random"), "fifo")
        queues = self.choice(raw, path, "queues", ("global", "per_cpu"), "global")
        balance = self.duration(raw, path, "balance_interval", 4_000_000)
        if balance <= 0:
            self.fail((*path, "balance_interval"), "balance_interval must be positive")
        self.cpus = cpus
        return MachineSpec(cpus=cpus, policy=policy, context_switch=context_switch, devices=devices, ipc=self.ipc,
                           tiebreak=tiebreak, queues=queues, balance_interval=max(balance, 1),
                           migration_cost=self.duration(raw, path, "migration_cost", 0))  # fmt: skip

    def policy(self, raw: object, path: PathKey) -> PolicySpec | None:
        if isinstance(raw, str):
            if ":" in raw:  # the command line's NAME:KEY=VALUE,... works here too
                try:
                    return parse_policy_text(raw, self.time_unit)
                except PolicyError as error:
                    self.fail(path, error.message)
                    return None
            name: object = raw
            params: dict[str, object] = {}
        elif isinstance(raw, dict):
            if "name" not in raw:
                self.fail(path, "policy needs a name, e.g. {name: rr, quantum: 4}")
                return None
            name = raw["name"]
            params = {key: value for key, value in raw.items() if key != "name"}
        else:
            self.fail(path, f"policy must be a name or a mapping with a name, got {type_name(raw)}")
            return None
        try:
            return build_policy_spec(name, params, self.time_unit)
        except PolicyError as error:
            if error.key is not None:
                where: PathKey = (*path, error.key)
            else:
                where = (*path, "name") if isinstance(raw, dict) else path
            self.fail(where, error.message, at_key=error.unknown_key)
            return None

    def device_specs(self, raw: object, path: PathKey) -> tuple[DeviceSpec, ...]:
        if not isinstance(raw, dict):
            self.fail(path, f"devices must be a mapping of name to settings, got {type_name(raw)}")
            return ()
        devices = []
        for name, settings in raw.items():
            here = (*path, name)
            if settings is None:
                settings = {}
            if not isinstance(settings, dict):
                self.fail(here, f"a device's settings must be a mapping such as {{servers: 1}}, "
                                f"got {type_name(settings)}")  # fmt: skip
                continue
            for key in settings:
                if key != "servers":
                    self.fail((*here, key), f"unknown key {key!r} in device{did_you_mean(key, ['servers'])}",
                              at_key=True)
            servers: int | None = None
            if "servers" in settings and settings["servers"] != "unlimited":
                servers = self.integer(settings, here, "servers", 1, minimum=1)
            self.devices.add(name)
            devices.append(DeviceSpec(name, servers))
        return tuple(devices)

    # -- processes and threads ---------------------------------------------------------------------------

    def processes(self, data: Mapping[str, object]) -> tuple[ProcessSpec, ...]:
        processes: list[ProcessSpec] = []
        process_names: dict[str, PathKey] = {}
        thread_names: dict[str, PathKey] = {}

        def claim(names: dict[str, PathKey], name: str, path: PathKey, what: str) -> None:
            if name in names:
                first = self.source.location(names[name])
                self.fail(path, f"duplicate {what} name {name!r} (first declared at line {first.line})")
            else:
                names[name] = path

        raw_processes = self.sequence(data, (), "processes")
        survey = _Survey(raw_processes)
        for index, raw in enumerate(raw_processes):
            path: PathKey = ("processes", index)
            if not isinstance(raw, dict):
                self.fail(path, f"a process must be a mapping, got {type_name(raw)}")
                continue
            self.keys(raw, path, _PROCESS_KEYS, "process")
            name = self.name(raw, path)
            start = self.choice(raw, path, "start", ("arrival", "forked"), "arrival")
            if start == "forked" and "memory" in raw:
                self.fail((*path, "memory"), "a forked process declares no memory: it starts with a copy of the "
                                             "memory of the process that forks it")  # fmt: skip
            if start == "forked" and "arrival" in raw:
                self.fail((*path, "arrival"), "a forked process starts when it is forked: it has no arrival")
            arrival = self.duration(raw, path, "arrival", 0)
            if name is not None:
                claim(process_names, name, (*path, "name"), "process")
            memory = self.memory(raw.get("memory", {}), (*path, "memory")) if start == "arrival" else ()
            sync = self.sync_specs(raw.get("sync", {}), (*path, "sync"), _SYNC_KINDS)
            for spec in sync:
                if any(spec.name == ipc.name for ipc in self.ipc):
                    self.fail((*path, "sync", spec.name), f"{spec.name!r} is also a machine ipc object: rename one")
            variables = frozenset(dict(memory)) if start == "arrival" else survey.forked_variables(name or "")
            raw_threads = self.sequence(raw, path, "threads")
            if not raw_threads and "threads" in raw:
                self.fail((*path, "threads"), "a process needs at least one thread")
            elif "threads" not in raw:
                self.fail(path, "a process needs 'threads'")
            scope = Scope(
                variables=variables,
                objects={**{spec.name: spec.kind for spec in self.ipc}, **{spec.name: spec.kind for spec in sync}},
                threads=frozenset(survey.threads.get(index, {})),
                spawned=frozenset(n for n, how in survey.threads.get(index, {}).items() if how == "spawned"),
                forkable=survey.forkable,
            )
            defaults = self.scheduling_defaults(raw, path, _Defaults())
            threads = []
            for thread_index, raw_thread in enumerate(raw_threads):
                thread_path: PathKey = (*path, "threads", thread_index)
                thread = self.thread(raw_thread, thread_path, name or "?", arrival, scope, defaults)
                if thread is not None:
                    claim(thread_names, thread.name, (*thread_path, "name"), "thread")
                    threads.append(thread)
            gil = self.gil(raw.get("gil", False), (*path, "gil"))
            if name is not None:
                processes.append(ProcessSpec(name, arrival, tuple(threads), memory, sync, start, gil))

        empty = Scope(frozenset(), {spec.name: spec.kind for spec in self.ipc}, frozenset(), frozenset(),
                      survey.forkable)  # fmt: skip
        for index, raw in enumerate(self.sequence(data, (), "threads")):
            path = ("threads", index)
            thread = self.thread(raw, path, None, 0, empty, _Defaults())
            if thread is None:
                continue
            claim(process_names, thread.name, (*path, "name"), "process")
            claim(thread_names, thread.name, (*path, "name"), "thread")
            processes.append(ProcessSpec(thread.name, thread.arrival, (thread,)))
        if not processes and not self.errors:
            self.fail((), "a scenario needs 'processes' or 'threads'")
        return tuple(processes)

    def thread(self, raw: object, path: PathKey, process: str | None, process_arrival: int,
               scope: Scope, defaults: _Defaults) -> ThreadSpec | None:  # fmt: skip
        if not isinstance(raw, dict):
            self.fail(path, f"a thread must be a mapping, got {type_name(raw)}")
            return None
        self.keys(raw, path, _THREAD_KEYS, "thread")
        name = self.name(raw, path)
        start = self.choice(raw, path, "start", ("arrival", "spawned"), "arrival")
        if start == "spawned" and process is None:
            self.fail((*path, "start"), "only a thread of a process (under 'processes') can be spawned")
        if start == "spawned" and "arrival" in raw:
            self.fail((*path, "arrival"), "a spawned thread starts when it is spawned: it has no arrival")
        arrival = self.duration(raw, path, "arrival", process_arrival)
        if process is not None and arrival < process_arrival:
            self.fail((*path, "arrival"), "a thread cannot arrive before its process")
        own = self.scheduling_defaults(raw, path, defaults)
        program: tuple[Operation, ...] = ()
        if "burst" in raw and "program" in raw:
            self.fail((*path, "burst"), "give either 'burst' or 'program', not both")
        elif "burst" in raw:
            line = self.source.location((*path, "burst")).line
            program = (Compute(self.duration(raw, path, "burst", 0), line=line),)
        elif "program" in raw:
            program = ProgramParser(self, scope).program(raw["program"], (*path, "program"))
        else:
            self.fail(path, "a thread needs a 'program' or a 'burst'")
        if name is None:
            return None
        return ThreadSpec(
            name=name,
            process=process if process is not None else name,
            arrival=arrival,
            program=program,
            priority=own.priority,
            start=start,
            tickets=own.tickets,
            nice=own.nice,
            affinity=own.affinity,
            line=self.source.location(path).line,
        )

    # -- memory, synchronization objects, expectations ---------------------------------------------------

    def memory(self, raw: object, path: PathKey) -> tuple[tuple[str, int], ...]:
        if not isinstance(raw, dict):
            self.fail(path, f"memory must be a mapping of variable names to integers, got {type_name(raw)}")
            return ()
        variables = []
        for name, value in raw.items():
            if not is_identifier(name):
                self.fail((*path, name), f"{name!r} is not a variable name (letters, digits, _)", at_key=True)
            elif isinstance(value, bool) or not isinstance(value, int):
                self.fail((*path, name), f"a variable's initial value must be an integer, got {type_name(value)}")
            else:
                variables.append((name, value))
        return tuple(variables)

    def sync_specs(self, raw: object, path: PathKey, kinds: tuple[str, ...]) -> tuple[SyncSpec, ...]:
        if not isinstance(raw, dict):
            self.fail(path, f"expected a mapping of object names to kinds, got {type_name(raw)}")
            return ()
        specs: list[SyncSpec] = []
        for name, declaration in raw.items():
            here = (*path, name)
            if not is_identifier(name):
                self.fail(here, f"{name!r} is not an object name (letters, digits, _)", at_key=True)
                continue
            if isinstance(declaration, str):
                kind, value = declaration, None
            elif isinstance(declaration, dict) and len(declaration) == 1:
                ((kind, value),) = declaration.items()
                here = (*here, kind)
            else:
                self.fail(here, f"declare an object as a kind ({', '.join(kinds)}), e.g. 'mutex' or "
                                f"{{semaphore: 1}}, got {type_name(declaration)}")  # fmt: skip
                continue
            if kind not in kinds:
                hint = did_you_mean(str(kind), kinds)
                self.fail(here, f"unknown object kind {kind!r}{hint} (kinds: {', '.join(kinds)})")
                continue
            spec = self.sync_spec(name, kind, value, here, specs)
            if spec is not None:
                specs.append(spec)
        return tuple(specs)

    def sync_spec(self, name: str, kind: str, value: object, path: PathKey, earlier: list[SyncSpec]) -> SyncSpec | None:
        if kind in ("mutex", "event"):
            if value is not None:
                self.fail(path, f"a {kind} takes no value")
            return SyncSpec(name, kind)
        if kind == "condition":
            mutexes = [spec.name for spec in earlier if spec.kind == "mutex"]
            if value not in mutexes:
                hint = did_you_mean(str(value), mutexes)
                known = ", ".join(mutexes) or "none"
                self.fail(path, f"a condition needs the name of a mutex declared before it{hint} (mutexes: {known})")
                return None
            return SyncSpec(name, kind, mutex=str(value))
        minimum = 0 if kind == "semaphore" else 1
        what = {"semaphore": "initial count", "barrier": "number of parties"}.get(kind, "capacity")
        if value is None and kind == "semaphore":
            value = 0
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(path, f"a {kind} needs its {what}: an integer of at least {minimum}, got {value!r}")
            return None
        return SyncSpec(name, kind, value)

    def expectations(self, data: Mapping[str, object], processes: tuple[ProcessSpec, ...]) -> tuple[Expectation, ...]:
        raw = self.sequence(data, (), "expect")
        memory = {process.name: {name for name, _ in process.memory} for process in processes}
        for process in processes:
            if process.start == "forked":
                memory[process.name] = set(_Survey.from_specs(processes).forked_variables(process.name))
        expectations = []
        for index, item in enumerate(raw):
            path: PathKey = ("expect", index)
            if item in _CHECKS:
                expectations.append(Expectation(str(item), None, self.source.location(path).line))
                continue
            if not isinstance(item, str):
                self.fail(path, f"an expectation is an expression such as 'app.counter == 2' or one of "
                                f"{', '.join(_CHECKS)}, got {type_name(item)}")  # fmt: skip
                continue
            try:
                expression = parse_expression(item, lambda _: True, qualified=True)
            except ExpressionError as error:
                self.fail_at(self.source.text_location(path, error.offset), f"{error.message} in expectation {item!r}")
                continue
            for variable in variables(expression):
                assert variable.process is not None
                if variable.process not in memory:
                    self.fail(path, f"unknown process {variable.process!r} in {item!r}"
                                    f"{did_you_mean(variable.process, memory)}")  # fmt: skip
                elif variable.name not in memory[variable.process]:
                    known = ", ".join(sorted(memory[variable.process])) or "none"
                    hint = did_you_mean(variable.name, memory[variable.process])
                    self.fail(path, f"process {variable.process!r} has no variable {variable.name!r}{hint} "
                                    f"(variables: {known})")  # fmt: skip
            expectations.append(Expectation(item, expression, self.source.location(path).line))
        return tuple(expectations)

    def gil(self, raw: object, path: PathKey) -> int | None:
        """`gil: true`, `gil: false` or `gil: {switch_interval: D}`: the switch interval, or None."""
        if raw is False or raw is None:
            return None
        if raw is True:
            return DEFAULT_SWITCH_INTERVAL
        if isinstance(raw, dict):
            for key in raw:
                if key != "switch_interval":
                    hint = did_you_mean(key, ["switch_interval"])
                    self.fail((*path, key), f"unknown key {key!r} in gil{hint}", at_key=True)
            interval = self.duration(raw, path, "switch_interval", DEFAULT_SWITCH_INTERVAL)
            if interval <= 0:
                self.fail((*path, "switch_interval"), "switch_interval must be positive")
                return DEFAULT_SWITCH_INTERVAL
            return interval
        self.fail(path, f"gil must be true, false or {{switch_interval: D}}, got {type_name(raw)}")
        return None

    def scheduling_defaults(self, raw: Mapping[str, object], path: PathKey, inherited: _Defaults) -> _Defaults:
        """priority, tickets and nice of a process (for its threads) or of a thread (over its process's)."""
        nice = self.integer(raw, path, "nice", inherited.nice)
        if not -20 <= nice <= 19:
            self.fail((*path, "nice"), f"nice must be between -20 and 19, got {nice}")
            nice = inherited.nice
        return _Defaults(self.integer(raw, path, "priority", inherited.priority),
                         self.integer(raw, path, "tickets", inherited.tickets, minimum=1), nice,
                         self.affinity(raw, path, inherited.affinity))  # fmt: skip

    def affinity(self, raw: Mapping[str, object], path: PathKey,
                 inherited: tuple[int, ...] | None) -> tuple[int, ...] | None:  # fmt: skip
        """`affinity: [0, 2]`: the CPUs a thread may run on."""
        if "affinity" not in raw:
            return inherited
        value = raw["affinity"]
        here = (*path, "affinity")
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not value:
            self.fail(here, f"affinity must be a non-empty list of CPU numbers such as [0, 2], got {type_name(value)}")
            return inherited
        cpus = []
        for index, cpu in enumerate(value):
            if isinstance(cpu, bool) or not isinstance(cpu, int) or not 0 <= cpu < self.cpus:
                self.fail((*here, index), f"not a CPU of this machine (CPUs 0 to {self.cpus - 1}): {cpu!r}")
            else:
                cpus.append(cpu)
        return tuple(sorted(set(cpus))) or inherited

    def choice(self, raw: Mapping[str, object], path: PathKey, key: str, choices: tuple[str, ...], default: str) -> str:
        value = raw.get(key, default)
        if value not in choices:
            self.fail((*path, key), f"{key} must be one of {', '.join(choices)}, got {value!r}")
            return default
        return str(value)

    # -- values ------------------------------------------------------------------------------------------

    def name(self, raw: Mapping[str, object], path: PathKey) -> str | None:
        if "name" not in raw:
            self.fail(path, "missing 'name'")
            return None
        name = raw["name"]
        if not isinstance(name, str) or not name.strip():
            self.fail((*path, "name"), f"a name must be a non-empty string, got {type_name(name)}")
            return None
        return name

    def string(self, raw: Mapping[str, object], path: PathKey, key: str, default: str) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str):
            self.fail((*path, key), f"{key} must be a string, got {type_name(value)}")
            return default
        return value

    def integer(self, raw: Mapping[str, object], path: PathKey, key: str, default: int,
                minimum: int | None = None) -> int:  # fmt: skip
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail((*path, key), f"{key} must be an integer, got {type_name(value)}")
            return default
        if minimum is not None and value < minimum:
            self.fail((*path, key), f"{key} must be at least {minimum}, got {value}")
            return default
        return value

    def boolean(self, raw: Mapping[str, object], path: PathKey, key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.fail((*path, key), f"{key} must be true or false, got {type_name(value)}")
            return default
        return value

    def duration(self, raw: Mapping[str, object], path: PathKey, key: str, default: int) -> int:
        if key not in raw:
            return default
        return self.duration_value(raw[key], (*path, key))

    def duration_value(self, value: object, path: PathKey) -> int:
        try:
            return to_ns(value, self.time_unit)
        except TimeValueError as error:
            self.fail(path, str(error))
            return 0

    def sequence(self, raw: Mapping[str, object], path: PathKey, key: str) -> list[object]:
        return self.checked(raw, path, key, list, "a list", [])

    def checked(self, raw: Mapping[str, object], path: PathKey, key: str, kind: type[T], shown: str,
                default: T) -> T:  # fmt: skip
        value = raw.get(key, default)
        if not isinstance(value, kind):
            self.fail((*path, key), f"{key} must be {shown}, got {type_name(value)}")
            return default
        return value



@attrs.frozen
class _Defaults:
    """Scheduling attributes a thread takes from its process unless it gives its own."""

    priority: int = 0
    tickets: int = 100
    nice: int = 0
    affinity: tuple[int, ...] | None = None


class _Survey:
    """What the checker needs to know about all processes before it reads any program: each process's
    threads (and how they start), which processes are forked, and which processes fork which."""

    def __init__(self, raw_processes: list[object]) -> None:
        self.threads: dict[int, dict[str, str]] = {}
        self.memory: dict[str, set[str]] = {}
        self.forks: dict[str, set[str]] = {}  # process -> processes it forks
        forkable = set()
        for index, raw in enumerate(raw_processes):
            if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
                continue
            name = raw["name"]
            if raw.get("start") == "forked":
                forkable.add(name)
            memory = raw.get("memory")
            self.memory[name] = {key for key in memory if is_identifier(key)} if isinstance(memory, dict) else set()
            threads = raw.get("threads")
            self.threads[index] = {}
            self.forks[name] = set()
            for thread in threads if isinstance(threads, list) else []:
                if isinstance(thread, dict) and isinstance(thread.get("name"), str):
                    start = thread.get("start")
                    self.threads[index][thread["name"]] = start if isinstance(start, str) else "arrival"
                    self.forks[name].update(value for kind, value in raw_operations(thread.get("program"))
                                            if kind == "fork" and isinstance(value, str))  # fmt: skip
        self.forkable = frozenset(forkable)

    @classmethod
    def from_specs(cls, processes: tuple[ProcessSpec, ...]) -> _Survey:
        survey = cls([])
        survey.forkable = frozenset(p.name for p in processes if p.start == "forked")
        for process in processes:
            survey.memory[process.name] = {name for name, _ in process.memory}
            survey.forks[process.name] = {op.process for thread in process.threads
                                          for op in walk(thread.program) if isinstance(op, Fork)}  # fmt: skip
        return survey

    def forked_variables(self, name: str) -> frozenset[str]:
        """A forked process's variables: those of the processes that fork it (through other forks too)."""
        seen: set[str] = set()
        variables: set[str] = set()
        frontier = [name]
        while frontier:
            target = frontier.pop()
            for parent, children in self.forks.items():
                if target in children and parent not in seen:
                    seen.add(parent)
                    variables |= self.memory.get(parent, set())
                    frontier.append(parent)
        return frozenset(variables)

