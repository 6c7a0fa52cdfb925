"""A scenario built in Python turned back into the data of a scenario file (durations in ns, programs left
empty), for the loader's own checks to read (simulator.validation): the inverse of the loader's building,
as far as the checks need it. Values of the wrong type are passed on as they are, for the checks to report.
"""

from __future__ import annotations

from collections.abc import Sequence

from simulator.program.distributions import Distribution
from simulator.scenario.model import CacheSpec, MachineSpec, ProcessSpec, Scenario, SyncSpec, ThreadSpec


def scenario_data(scenario: Scenario) -> dict[str, object]:
    """The scenario as the data of a scenario file (time unit ns), without the programs (each empty):
    what the loader's checks read. Values of the wrong type are passed on as they are, for the checks to
    report."""
    data: dict[str, object] = {
        "name": scenario.name,
        "description": scenario.description,
        "time_unit": "ns",
        "seed": scenario.seed,
        "machine": machine_data(scenario.machine),
    }
    processes = scenario.processes
    data["processes"] = [process_data(p) for p in processes] if isinstance(processes, tuple) else processes
    return data


def machine_data(machine: object) -> object:
    if not isinstance(machine, MachineSpec):
        return machine
    policy = machine.policy
    try:
        policy_data: object = {"name": policy.name, **dict(policy.params)}
    except (AttributeError, TypeError, ValueError):
        policy_data = policy
    return {
        "cpus": machine.cpus,
        "policy": policy_data,
        "context_switch": machine.context_switch,
        "devices": {
            device.name: ({} if device.servers is None else {"servers": device.servers}) for device in machine.devices
        },  # fmt: skip
        "ipc": sync_data(machine.ipc),
        "tiebreak": machine.tiebreak,
        "same_instant": machine.same_instant,
        "queues": machine.queues,
        "balance_interval": machine.balance_interval,
        "stealing": machine.stealing,
        "peek_interval": machine.peek_interval,
        "migration_cost": machine.migration_cost,
        **({} if machine.cache is None else {"cache": cache_data(machine.cache)}),
    }


def cache_data(cache: object) -> object:
    if not isinstance(cache, CacheSpec):
        return cache
    return {"size": cache.size, "warmup": cache.warmup, "warm_rate": cache.warm_rate, "tick": cache.tick}


def sync_data(objects: Sequence[SyncSpec]) -> dict[str, object]:
    declared: dict[str, object] = {}
    for spec in objects:
        if spec.kind == "mutex" and spec.protocol:
            settings: dict[str, object] = {"protocol": spec.protocol}
            if spec.ceiling is not None:
                settings["ceiling"] = spec.ceiling
            declared[spec.name] = {"mutex": settings}
        elif spec.kind in ("mutex", "event"):
            declared[spec.name] = spec.kind
        elif spec.kind == "condition":
            declared[spec.name] = {"condition": spec.mutex}
        else:
            declared[spec.name] = {spec.kind: spec.value}
    return declared


def process_data(process: object) -> object:
    if not isinstance(process, ProcessSpec):
        return process
    data: dict[str, object] = {"name": process.name, "start": process.start}
    if process.start != "forked":
        data["arrival"] = duration_data(process.arrival, process.arrival_distribution)
        data["memory"] = dict(process.memory)
    data["sync"] = sync_data(process.sync)
    data["gil"] = False if process.gil is None else {"switch_interval": process.gil}
    data.update(replica_data(process))
    data["threads"] = [thread_data(thread) for thread in process.threads]
    return data


def replica_data(spec: ProcessSpec | ThreadSpec) -> dict[str, object]:
    """`count` and `interarrival`, as a file gives them (neither when there are no copies)."""
    data: dict[str, object] = {}
    if spec.count is not None:
        data["count"] = spec.count
    if spec.count is not None or spec.interarrival or spec.interarrival_distribution is not None:
        data["interarrival"] = duration_data(spec.interarrival, spec.interarrival_distribution)
    return data


def duration_data(value: int, distribution: object) -> object:
    """A duration (ns) as a file gives it: the number, or its distribution (`{exponential: MEAN}`...)."""
    if distribution is None:
        return value
    if not isinstance(distribution, Distribution):
        return distribution  # the loader's checks report its type
    parameters: list[object] = list(distribution.parameters)
    if distribution.kind == "exponential" and len(parameters) == 1:
        return {"exponential": parameters[0]}
    if distribution.kind in ("normal", "lognormal") and len(parameters) == 2:
        return {distribution.kind: {"mean": parameters[0], "sd": parameters[1]}}
    return {distribution.kind: parameters}


def thread_data(thread: object) -> object:
    if not isinstance(thread, ThreadSpec):
        return thread
    data: dict[str, object] = {"name": thread.name, "start": thread.start}
    if thread.start != "spawned":
        data["arrival"] = duration_data(thread.arrival, thread.arrival_distribution)
    data.update(replica_data(thread))
    data.update(priority=thread.priority, tickets=thread.tickets, nice=thread.nice, program=[])
    if thread.affinity is not None:
        data["affinity"] = list(thread.affinity)
    if thread.working_set:
        data["working_set"] = thread.working_set
    return data


# -- programs built from operation objects -----------------------------------------------------------------
