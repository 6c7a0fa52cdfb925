"""The scenario's processes and threads (SPEC section 2): names, arrivals, memory, sync objects, the GIL,
scheduling attributes, and each thread's program (checked by `simulator.scenario.programs`)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from simulator.errors import did_you_mean
from simulator.model.gil import DEFAULT_SWITCH_INTERVAL, DEFAULT_VERSION, FREE_THREADED, VERSIONS
from simulator.program.distributions import Distribution
from simulator.program.operations import Compute, Fork, Join, Operation, Spawn, walk
from simulator.scenario.checking import Checker, is_identifier
from simulator.scenario.distributions import duration_field
from simulator.scenario.limits import MAX_THREADS
from simulator.scenario.model import ProcessSpec, ThreadSpec
from simulator.scenario.objects import SYNC_KINDS, check_sync_objects
from simulator.scenario.programs import ProgramParser, Scope, raw_operations
from simulator.scenario.source import PathKey
from simulator.timeunits import type_name

_PROCESS_KEYS = (
    "name",
    "arrival",
    "threads",
    "memory",
    "sync",
    "start",
    "priority",
    "tickets",
    "nice",
    "gil",
    "affinity",
    "count",
    "interarrival",
)
_THREAD_KEYS = (
    "name",
    "arrival",
    "priority",
    "program",
    "burst",
    "start",
    "tickets",
    "nice",
    "affinity",
    "count",
    "interarrival",
    "working_set",
)


def check_processes(checker: Checker, data: Mapping[str, object]) -> tuple[ProcessSpec, ...]:
    """The `processes` and the top-level `threads` (each a process of its own), with their programs."""
    processes: list[ProcessSpec] = []
    process_names: dict[str, PathKey] = {}
    thread_names: dict[str, PathKey] = {}

    def claim(names: dict[str, PathKey], name: str, path: PathKey, what: str) -> None:
        if "#" in name:  # fork names its instances P#2, P#3 and their threads T#2, T#3: they would clash
            checker.fail(path, f"a {what} name cannot contain '#': fork names the instances it makes NAME#2, "
                               f"NAME#3, ... (got {name!r})")  # fmt: skip
        if name in names:
            first = checker.source.location(names[name])
            checker.fail(path, f"duplicate {what} name {name!r} (first declared at line {first.line})")
        else:
            names[name] = path

    raw_processes = checker.sequence(data, (), "processes")
    declared = sum(len(raw["threads"]) for raw in raw_processes
                   if isinstance(raw, dict) and isinstance(raw.get("threads"), list))  # fmt: skip
    top_threads = data.get("threads")
    declared += len(top_threads) if isinstance(top_threads, list) else 0
    if declared > MAX_THREADS:  # refused before checking a million programs
        checker.fail(("processes",) if raw_processes else ("threads",),
                     f"{declared:,} threads declared; a scenario declares at most {MAX_THREADS:,}")  # fmt: skip
        return ()
    survey = Survey(raw_processes)
    for index, raw in enumerate(raw_processes):
        path: PathKey = ("processes", index)
        if not isinstance(raw, dict):
            checker.fail(path, f"a process must be a mapping, got {type_name(raw)}")
            continue
        checker.keys(raw, path, _PROCESS_KEYS, "process")
        name = checker.name(raw, path)
        start = checker.choice(raw, path, "start", ("arrival", "forked"), "arrival")
        if start == "forked" and "memory" in raw:
            checker.fail((*path, "memory"), "a forked process declares no memory: it starts with a copy of the "
                                         "memory of the process that forks it")  # fmt: skip
        if start == "forked" and "arrival" in raw:
            checker.fail((*path, "arrival"), "a forked process starts when it is forked: it has no arrival")
        arrival, arrival_distribution = duration_field(checker, raw, path, "arrival", 0)
        replicas = _replicas(checker, raw, path, start == "arrival", "a forked process")
        if name is not None:
            claim(process_names, name, (*path, "name"), "process")
        memory = _memory(checker, raw.get("memory", {}), (*path, "memory")) if start == "arrival" else ()
        sync = check_sync_objects(checker, raw.get("sync", {}), (*path, "sync"), SYNC_KINDS)
        for spec in sync:
            if any(spec.name == ipc.name for ipc in checker.ipc):
                checker.fail((*path, "sync", spec.name), f"{spec.name!r} is also a machine ipc object: rename one")
        variables = frozenset(dict(memory)) if start == "arrival" else survey.forked_variables(name or "")
        raw_threads = checker.sequence(raw, path, "threads")
        if not raw_threads and "threads" in raw:
            checker.fail((*path, "threads"), "a process needs at least one thread")
        elif "threads" not in raw:
            checker.fail(path, "a process needs 'threads'")
        scope = Scope(
            variables=variables,
            objects={**{spec.name: spec.kind for spec in checker.ipc}, **{spec.name: spec.kind for spec in sync}},
            threads=frozenset(survey.threads.get(index, {})),
            spawned=frozenset(n for n, how in survey.threads.get(index, {}).items() if how == "spawned"),
            forkable=survey.forkable,
        )
        defaults = _scheduling_defaults(checker, raw, path, _Defaults())
        threads = []
        for thread_index, raw_thread in enumerate(raw_threads):
            thread_path: PathKey = (*path, "threads", thread_index)
            thread = _thread(checker, raw_thread, thread_path, name or "?", arrival, scope, defaults,
                             arrival_distribution is not None)  # fmt: skip
            if thread is not None:
                claim(thread_names, thread.name, (*thread_path, "name"), "thread")
                threads.append(thread)
        gil = _gil(checker, raw.get("gil", False), (*path, "gil"))
        _check_replicated_targets(checker, threads, path)
        if name is not None:
            processes.append(ProcessSpec(name, arrival, tuple(threads), memory, sync, start, gil, *replicas,
                                         arrival_distribution))  # fmt: skip

    empty = Scope(frozenset(), {spec.name: spec.kind for spec in checker.ipc}, frozenset(), frozenset(),
                  survey.forkable)  # fmt: skip
    for index, raw in enumerate(checker.sequence(data, (), "threads")):
        path = ("threads", index)
        thread = _thread(checker, raw, path, None, 0, empty, _Defaults())
        if thread is None:
            continue
        claim(process_names, thread.name, (*path, "name"), "process")
        claim(thread_names, thread.name, (*path, "name"), "thread")
        processes.append(ProcessSpec(thread.name, thread.arrival, (thread,)))
    if not processes and not checker.errors:
        checker.fail((), "a scenario needs 'processes' or 'threads'")
    _check_thread_total(checker, processes)
    _check_copy_names(checker, processes, thread_names)
    _check_process_copy_names(checker, processes, process_names)
    return tuple(processes)


def _check_process_copy_names(checker: Checker, processes: list[ProcessSpec],
                              process_names: dict[str, PathKey]) -> None:  # fmt: skip
    """A process copy's name (`P-2`) must not be the name of a declared process (it would take its place)."""
    copies = {process.name: process.count for process in processes if process.count is not None}
    for name, path in process_names.items():
        base, dash, number = name.rpartition("-")
        if dash and number.isascii() and number.isdigit() and number[0] != "0" and int(number) <= copies.get(base, 0):
            checker.fail(path, f"process name {name!r} is also the name of a copy of {base!r} (count): rename one")


def _replicas(checker: Checker, raw: Mapping[str, object], path: PathKey, allowed: bool,
              what: str) -> tuple[int | None, int, Distribution | None]:  # fmt: skip
    """`count` and `interarrival` of a thread or a process: (count or None, interarrival, its distribution)."""
    count: int | None = None
    if "count" in raw:
        count = checker.integer(raw, path, "count", 1, minimum=1)
        if count > MAX_THREADS:
            checker.fail((*path, "count"), f"count must be at most {MAX_THREADS:,}, got {count:,}")
            count = 1
        if not allowed:
            checker.fail((*path, "count"), f"{what} cannot have copies (count): it starts when it is "
                                           f"{'spawned' if what.endswith('thread') else 'forked'}")  # fmt: skip
            count = None
    if "interarrival" in raw and "count" not in raw:
        checker.fail((*path, "interarrival"), "interarrival spaces the copies made by count: give count too")
    interarrival, distribution = duration_field(checker, dict(raw), path, "interarrival", 0)
    return count, interarrival, distribution


def _check_thread_total(checker: Checker, processes: list[ProcessSpec]) -> None:
    """At most MAX_THREADS threads, every copy counted."""
    total = sum(process.copies * sum(thread.copies for thread in process.threads) for process in processes)
    if total > MAX_THREADS:
        checker.fail((), f"the scenario starts {total:,} threads (copies made by count included); "
                         f"at most {MAX_THREADS:,} are allowed")  # fmt: skip


def _check_copy_names(checker: Checker, processes: list[ProcessSpec], thread_names: dict[str, PathKey]) -> None:
    """A copy's name (`worker-2`) must not be the name of a declared thread."""
    for process in processes:
        suffixes = [""] if process.count is None else [f"-{k}" for k in range(1, process.count + 1)]
        for thread in process.threads:
            if thread.count is None and process.count is None:
                continue
            copies = [""] if thread.count is None else [f"-{k}" for k in range(1, thread.count + 1)]
            clash = next((name for suffix in suffixes for copy in copies
                          if (name := f"{thread.name}{suffix}{copy}") in thread_names), None)  # fmt: skip
            if clash is not None:
                checker.fail(thread_names[clash], f"thread name {clash!r} is also the name of a copy of "
                                                  f"{thread.name!r} (count): rename one")  # fmt: skip


def _check_replicated_targets(checker: Checker, threads: list[ThreadSpec], path: PathKey) -> None:
    """A spawn or join must name one thread: not one with copies."""
    replicated = {thread.name for thread in threads if thread.count is not None}
    if not replicated:
        return
    for index, thread in enumerate(threads):
        for operation in walk(thread.program):
            if isinstance(operation, (Spawn, Join)) and operation.thread in replicated:
                keyword = "spawn" if isinstance(operation, Spawn) else "join"
                checker.fail((*path, "threads", index), f"line {operation.line}: {keyword} {operation.thread!r} "
                             f"names a thread with copies (count): name one thread")  # fmt: skip


def _thread(checker: Checker, raw: object, path: PathKey, process: str | None, process_arrival: int,
           scope: Scope, defaults: _Defaults, process_drawn: bool = False) -> ThreadSpec | None:  # fmt: skip
    if not isinstance(raw, dict):
        checker.fail(path, f"a thread must be a mapping, got {type_name(raw)}")
        return None
    checker.keys(raw, path, _THREAD_KEYS, "thread")
    name = checker.name(raw, path)
    start = checker.choice(raw, path, "start", ("arrival", "spawned"), "arrival")
    if start == "spawned" and process is None:
        checker.fail((*path, "start"), "only a thread of a process (under 'processes') can be spawned")
    if start == "spawned" and "arrival" in raw:
        checker.fail((*path, "arrival"), "a spawned thread starts when it is spawned: it has no arrival")
    arrival, arrival_distribution = duration_field(checker, raw, path, "arrival", process_arrival)
    if process is not None and arrival_distribution is not None and (process_arrival or process_drawn):
        checker.fail((*path, "arrival"), "a thread's arrival can be drawn only in a process that arrives at 0")
    elif process_drawn and "arrival" in raw:
        checker.fail((*path, "arrival"), "the threads of a process whose arrival is drawn arrive with it: "
                                         "give no arrival")  # fmt: skip
    elif process is not None and arrival < process_arrival:
        checker.fail((*path, "arrival"), "a thread cannot arrive before its process")
    count, interarrival, interarrival_distribution = _replicas(checker, raw, path, start == "arrival",
                                                               "a spawned thread")  # fmt: skip
    own = _scheduling_defaults(checker, raw, path, defaults)
    program: tuple[Operation, ...] = ()
    if "burst" in raw and "program" in raw:
        checker.fail((*path, "burst"), "give either 'burst' or 'program', not both")
    elif "burst" in raw:
        line = checker.source.location((*path, "burst")).line
        nominal, distribution = duration_field(checker, raw, path, "burst", 0)
        program = (Compute(nominal, distribution=distribution, line=line),)
    elif "program" in raw:
        program = ProgramParser(checker, scope).program(raw["program"], (*path, "program"))
    else:
        checker.fail(path, "a thread needs a 'program' or a 'burst'")
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
        working_set=checker.integer(raw, path, "working_set", 0, minimum=0),
        count=count,
        interarrival=interarrival,
        interarrival_distribution=interarrival_distribution,
        arrival_distribution=arrival_distribution,
        line=checker.source.location(path).line,
    )


def _memory(checker: Checker, raw: object, path: PathKey) -> tuple[tuple[str, int], ...]:
    if not isinstance(raw, dict):
        checker.fail(path, f"memory must be a mapping of variable names to integers, got {type_name(raw)}")
        return ()
    variables = []
    for name, value in raw.items():
        if not is_identifier(name):
            checker.fail((*path, name), f"{name!r} is not a variable name (letters, digits, _)", at_key=True)
        elif isinstance(value, bool) or not isinstance(value, int):
            checker.fail((*path, name), f"a variable's initial value must be an integer, got {type_name(value)}")
        else:
            variables.append((name, value))
    return tuple(variables)


def _gil(checker: Checker, raw: object, path: PathKey) -> int | None:
    """`gil: true`, `gil: false` or `gil: {switch_interval: D, version: V}`: the switch interval, or None (no
    GIL: `false`, or the free-threaded build, version "3.13t")."""
    if raw is False or raw is None:
        return None
    if raw is True:
        return DEFAULT_SWITCH_INTERVAL
    if isinstance(raw, dict):
        keys = ["switch_interval", "version"]
        for key in raw:
            if key not in keys:
                hint = did_you_mean(key, keys)
                checker.fail((*path, key), f"unknown key {key!r} in gil{hint}", at_key=True)
        version = raw.get("version", DEFAULT_VERSION)
        if not isinstance(version, str) or version not in VERSIONS:
            # YAML reads 3.11 unquoted as a number: say so rather than "got float".
            number = not isinstance(version, (str, bool)) and isinstance(version, (int, float, Decimal))
            shown = (
                f"{version} (a number: quote it)"
                if number
                else str(version)
                if isinstance(version, str)
                else type_name(version)
            )
            checker.fail((*path, "version"), f"gil version must be one of {', '.join(VERSIONS)}, got {shown}")
            version = DEFAULT_VERSION
        interval = checker.duration(raw, path, "switch_interval", DEFAULT_SWITCH_INTERVAL)
        if interval <= 0:
            checker.fail((*path, "switch_interval"), "switch_interval must be positive")
            return DEFAULT_SWITCH_INTERVAL
        return None if version == FREE_THREADED else interval
    checker.fail(path, f"gil must be true, false or {{switch_interval: D, version: V}}, got {type_name(raw)}")
    return None


def _scheduling_defaults(checker: Checker, raw: Mapping[str, object], path: PathKey, inherited: _Defaults) -> _Defaults:
    """priority, tickets and nice of a process (for its threads) or of a thread (over its process's)."""
    nice = checker.integer(raw, path, "nice", inherited.nice)
    if not -20 <= nice <= 19:
        checker.fail((*path, "nice"), f"nice must be between -20 and 19, got {nice}")
        nice = inherited.nice
    return _Defaults(checker.integer(raw, path, "priority", inherited.priority),
                     checker.integer(raw, path, "tickets", inherited.tickets, minimum=1), nice,
                     _affinity(checker, raw, path, inherited.affinity))  # fmt: skip


def _affinity(checker: Checker, raw: Mapping[str, object], path: PathKey,
             inherited: tuple[int, ...] | None) -> tuple[int, ...] | None:  # fmt: skip
    """`affinity: [0, 2]`: the CPUs a thread may run on."""
    if "affinity" not in raw:
        return inherited
    value = raw["affinity"]
    here = (*path, "affinity")
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value:
        checker.fail(here, f"affinity must be a non-empty list of CPU numbers such as [0, 2], got {type_name(value)}")
        return inherited
    cpus = []
    for index, cpu in enumerate(value):
        if isinstance(cpu, bool) or not isinstance(cpu, int) or not 0 <= cpu < checker.cpus:
            checker.fail((*here, index), f"not a CPU of this machine (CPUs 0 to {checker.cpus - 1}): {cpu!r}")
        else:
            cpus.append(cpu)
    return tuple(sorted(set(cpus))) or inherited


@attrs.frozen
class _Defaults:
    """Scheduling attributes a thread takes from its process unless it gives its own."""

    priority: int = 0
    tickets: int = 100
    nice: int = 0
    affinity: tuple[int, ...] | None = None


class Survey:
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
    def from_specs(cls, processes: tuple[ProcessSpec, ...]) -> Survey:
        """The same survey made from checked processes (for the expectations, read after them)."""
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
