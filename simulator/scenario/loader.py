"""Turn a scenario file into a validated, frozen `Scenario` (SPEC sections 1 to 3).

Validation happens once, here. Every problem found becomes an `InputError` pointing at the file, line,
column and path of the value at fault; the checker keeps going after an error so that one pass reports
as many problems as it can, and raises them together as `InputErrors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from simulator.errors import InputError, InputErrors, did_you_mean
from simulator.operations import Compute, Exit, Io, Operation, Repeat, Sleep, Yield
from simulator.policies.registry import PolicyError, build_policy_spec
from simulator.scenario.model import DeviceSpec, MachineSpec, PolicySpec, ProcessSpec, Scenario, ThreadSpec
from simulator.scenario.source import PathKey, Source, load_source, parse_source
from simulator.timeunits import NS_PER_UNIT, TimeValueError, to_ns, type_name

T = TypeVar("T")

#: Keys of the scenario language that later versions of threadsim implement (SPEC sections 2, 3 and 10).
#: They get a clear "not supported yet" instead of "unknown key".
_NOT_YET_KEYS = {
    "top": {"expect"},
    "machine": {"ipc", "queues", "balance_interval", "migration_cost", "tiebreak"},
    "process": {"memory", "sync", "gil", "affinity", "start", "tickets", "nice"},
    "thread": {"affinity", "start", "tickets", "nice"},
}
_NOT_YET_OPERATIONS = {
    "load", "store", "let", "incr", "atomic", "while", "if", "assert", "lock", "unlock", "acquire",
    "release", "wait", "notify", "notify_all", "set_event", "clear_event", "wait_event", "barrier", "put",
    "get", "send", "recv", "spawn", "join", "fork", "wait_process",
}  # fmt: skip
_OPERATIONS = ("compute", "sleep", "yield", "io", "exit", "repeat")
_BARE_OPERATIONS = ("yield", "exit")

_TOP_KEYS = ("version", "name", "description", "time_unit", "seed", "machine", "processes", "threads")
_MACHINE_KEYS = ("cpus", "policy", "context_switch", "devices")
_PROCESS_KEYS = ("name", "arrival", "threads")
_THREAD_KEYS = ("name", "arrival", "priority", "program", "burst")


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

    def fail(self, path: PathKey, message: str, *, at_key: bool = False) -> None:
        self.errors.append(self.source.error(path, message, at_key=at_key))

    # -- the whole file ----------------------------------------------------------------------------------

    def scenario(self, default_name: str) -> Scenario:
        data = self.source.data
        if not isinstance(data, dict):
            self.fail((), f"a scenario is a YAML mapping, got {type_name(data)}")
            raise InputErrors(self.errors)
        self.keys(data, (), _TOP_KEYS, "top", "scenario")
        version = data.get("version", 1)
        if version != 1 or isinstance(version, bool):
            self.fail(("version",), f"unsupported version {version!r} (this threadsim reads version 1)")
        name = self.string(data, (), "name", default_name)
        description = self.string(data, (), "description", "")
        unit = data.get("time_unit", "ms")
        if unit not in NS_PER_UNIT:
            self.fail(("time_unit",), f"time_unit must be one of {', '.join(NS_PER_UNIT)}, got {unit!r}")
        else:
            self.time_unit = unit
        seed = self.integer(data, (), "seed", 0, minimum=0)
        machine = self.machine(data.get("machine", {}), ("machine",))
        processes = self.processes(data)
        if self.errors or machine is None:
            raise InputErrors(self.errors)
        return Scenario(
            name=name,
            description=description,
            time_unit=self.time_unit,
            seed=seed,
            machine=machine,
            processes=processes,
            file=self.source.file,
        )

    def keys(self, mapping: Mapping[str, object], path: PathKey, allowed: tuple[str, ...], kind: str,
             what: str) -> None:  # fmt: skip
        not_yet = _NOT_YET_KEYS.get(kind, set())
        for key in mapping:
            if key in allowed:
                continue
            if key in not_yet:
                self.fail((*path, key), f"{key!r} is not supported yet by this version of threadsim", at_key=True)
            else:
                hint = did_you_mean(key, (*allowed, *not_yet))
                self.fail((*path, key), f"unknown key {key!r} in {what}{hint}", at_key=True)

    # -- the machine -------------------------------------------------------------------------------------

    def machine(self, raw: object, path: PathKey) -> MachineSpec | None:
        if not isinstance(raw, dict):
            self.fail(path, f"machine must be a mapping, got {type_name(raw)}")
            return None
        self.keys(raw, path, _MACHINE_KEYS, "machine", "machine")
        cpus = self.integer(raw, path, "cpus", 1, minimum=1)
        context_switch = self.duration(raw, path, "context_switch", 0)
        devices = self.device_specs(raw.get("devices", {}), (*path, "devices"))
        policy = self.policy(raw.get("policy", "fcfs"), (*path, "policy"))
        if policy is None:
            return None
        return MachineSpec(cpus=cpus, policy=policy, context_switch=context_switch, devices=devices)

    def policy(self, raw: object, path: PathKey) -> PolicySpec | None:
        if isinstance(raw, str):
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
        for index, raw in enumerate(raw_processes):
            path: PathKey = ("processes", index)
            if not isinstance(raw, dict):
                self.fail(path, f"a process must be a mapping, got {type_name(raw)}")
                continue
            self.keys(raw, path, _PROCESS_KEYS, "process", "process")
            name = self.name(raw, path)
            arrival = self.duration(raw, path, "arrival", 0)
            if name is not None:
                claim(process_names, name, (*path, "name"), "process")
            threads = []
            raw_threads = self.sequence(raw, path, "threads")
            if not raw_threads and "threads" in raw:
                self.fail((*path, "threads"), "a process needs at least one thread")
            elif "threads" not in raw:
                self.fail(path, "a process needs 'threads'")
            for thread_index, raw_thread in enumerate(raw_threads):
                thread_path: PathKey = (*path, "threads", thread_index)
                thread = self.thread(raw_thread, thread_path, name or "?", arrival)
                if thread is not None:
                    claim(thread_names, thread.name, (*thread_path, "name"), "thread")
                    threads.append(thread)
            if name is not None:
                processes.append(ProcessSpec(name, arrival, tuple(threads)))

        for index, raw in enumerate(self.sequence(data, (), "threads")):
            path = ("threads", index)
            thread = self.thread(raw, path, None, 0)
            if thread is None:
                continue
            claim(process_names, thread.name, (*path, "name"), "process")
            claim(thread_names, thread.name, (*path, "name"), "thread")
            processes.append(ProcessSpec(thread.name, thread.arrival, (thread,)))
        if not processes and not self.errors:
            self.fail((), "a scenario needs 'processes' or 'threads'")
        return tuple(processes)

    def thread(self, raw: object, path: PathKey, process: str | None, process_arrival: int) -> ThreadSpec | None:
        if not isinstance(raw, dict):
            self.fail(path, f"a thread must be a mapping, got {type_name(raw)}")
            return None
        self.keys(raw, path, _THREAD_KEYS, "thread", "thread")
        name = self.name(raw, path)
        arrival = self.duration(raw, path, "arrival", process_arrival)
        if process is not None and arrival < process_arrival:
            self.fail((*path, "arrival"), "a thread cannot arrive before its process")
        priority = self.integer(raw, path, "priority", 0)
        program: tuple[Operation, ...] = ()
        if "burst" in raw and "program" in raw:
            self.fail((*path, "burst"), "give either 'burst' or 'program', not both")
        elif "burst" in raw:
            line = self.source.location((*path, "burst")).line
            program = (Compute(self.duration(raw, path, "burst", 0), line=line),)
        elif "program" in raw:
            program = self.program(raw["program"], (*path, "program"))
        else:
            self.fail(path, "a thread needs a 'program' or a 'burst'")
        if name is None:
            return None
        return ThreadSpec(
            name=name,
            process=process if process is not None else name,
            arrival=arrival,
            program=program,
            priority=priority,
            line=self.source.location(path).line,
        )

    # -- programs ----------------------------------------------------------------------------------------

    def program(self, raw: object, path: PathKey) -> tuple[Operation, ...]:
        if not isinstance(raw, list):
            self.fail(path, f"a program must be a list of operations, got {type_name(raw)}")
            return ()
        operations = []
        for index, item in enumerate(raw):
            operation = self.operation(item, (*path, index))
            if operation is not None:
                operations.append(operation)
        return tuple(operations)

    def operation(self, raw: object, path: PathKey) -> Operation | None:
        line = self.source.location(path).line
        if isinstance(raw, str):
            if raw in _BARE_OPERATIONS:
                return Yield(line=line) if raw == "yield" else Exit(line=line)
            if raw in _OPERATIONS:
                self.fail(path, f"operation {raw!r} needs a value, e.g. '{raw}: 5'")
                return None
            self.unknown_operation(raw, path)
            return None
        if not isinstance(raw, dict) or len(raw) != 1:
            shown = f"a mapping with {len(raw)} keys" if isinstance(raw, dict) else type_name(raw)
            self.fail(path, f"an operation is a one-key mapping such as 'compute: 5' or a word such as "
                            f"'yield', got {shown}")  # fmt: skip
            return None
        ((kind, value),) = raw.items()
        here = (*path, kind)
        if kind == "compute":
            return self.compute(value, here, line)
        if kind == "sleep":
            return Sleep(self.duration_value(value, here), line=line)
        if kind == "io":
            return self.io(value, here, line)
        if kind in _BARE_OPERATIONS:
            if value is not None:
                self.fail(here, f"{kind!r} takes no value")
            return Yield(line=line) if kind == "yield" else Exit(line=line)
        if kind == "repeat":
            return self.repeat(value, here, line)
        self.unknown_operation(kind, path)
        return None

    def unknown_operation(self, kind: str, path: PathKey) -> None:
        if kind in _NOT_YET_OPERATIONS:
            self.fail(path, f"operation {kind!r} is not supported yet by this version of threadsim")
        else:
            hint = did_you_mean(kind, (*_OPERATIONS, *_NOT_YET_OPERATIONS))
            self.fail(path, f"unknown operation {kind!r}{hint}")

    def compute(self, value: object, path: PathKey, line: int) -> Compute | None:
        if not isinstance(value, dict):
            return Compute(self.duration_value(value, path), line=line)
        for key in value:
            if key not in ("duration", "jitter", "preemptible"):
                hint = did_you_mean(key, ("duration", "jitter", "preemptible"))
                self.fail((*path, key), f"unknown key {key!r} in compute{hint}", at_key=True)
        if "duration" not in value:
            self.fail(path, "compute needs a 'duration'")
            return None
        duration = self.duration(value, path, "duration", 0)
        jitter = self.duration(value, path, "jitter", 0)
        if jitter > duration:
            self.fail((*path, "jitter"), "jitter cannot exceed the duration (a duration is never negative)")
        preemptible = self.boolean(value, path, "preemptible", True)
        return Compute(duration, jitter, preemptible, line=line)

    def io(self, value: object, path: PathKey, line: int) -> Io | None:
        if not isinstance(value, dict):
            return Io("io", self.duration_value(value, path), line=line)
        for key in value:
            if key not in ("device", "duration"):
                hint = did_you_mean(key, ("device", "duration"))
                self.fail((*path, key), f"unknown key {key!r} in io{hint}", at_key=True)
        if "duration" not in value:
            self.fail(path, "io needs a 'duration'")
            return None
        device = self.string(value, path, "device", "io")
        if device not in self.devices:
            known = ", ".join(sorted(self.devices))
            self.fail((*path, "device"),
                      f"unknown device {device!r}{did_you_mean(device, self.devices)} (devices: {known})")  # fmt: skip
        return Io(device, self.duration(value, path, "duration", 0), line=line)

    def repeat(self, value: object, path: PathKey, line: int) -> Repeat | None:
        if not isinstance(value, dict):
            self.fail(path, f"repeat needs a mapping such as {{times: 3, do: [...]}}, got {type_name(value)}")
            return None
        for key in value:
            if key not in ("times", "do"):
                hint = did_you_mean(key, ("times", "do"))
                self.fail((*path, key), f"unknown key {key!r} in repeat{hint}", at_key=True)
        if "times" not in value or "do" not in value:
            self.fail(path, "repeat needs 'times' and 'do'")
            return None
        times = self.integer(value, path, "times", 0, minimum=0)
        body = self.program(value["do"], (*path, "do"))
        return Repeat(times, body, line=line)

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

