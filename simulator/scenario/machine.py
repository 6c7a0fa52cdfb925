"""The scenario's `machine` section (SPEC section 1): CPUs, the policy, devices, queues and ipc objects."""

from __future__ import annotations

from simulator.errors import did_you_mean
from simulator.policies.registry import PolicyError, build_policy_spec, parse_policy_text
from simulator.scenario.checking import Checker
from simulator.scenario.limits import MAX_CPUS, MAX_SERVERS
from simulator.scenario.model import CacheSpec, DeviceSpec, MachineSpec, PolicySpec
from simulator.scenario.objects import IPC_KINDS, check_sync_objects
from simulator.scenario.source import PathKey
from simulator.timeunits import type_name

_MACHINE_KEYS = (
    "cpus",
    "policy",
    "context_switch",
    "devices",
    "ipc",
    "tiebreak",
    "same_instant",
    "queues",
    "balance_interval",
    "stealing",
    "peek_interval",
    "cache",
    "migration_cost",
)


def check_machine(checker: Checker, raw: object, path: PathKey) -> MachineSpec | None:
    """The `machine` section (None when it is unusable). Sets the checker's cpus, devices and ipc objects."""
    if not isinstance(raw, dict):
        checker.fail(path, f"machine must be a mapping, got {type_name(raw)}")
        return None
    checker.keys(raw, path, _MACHINE_KEYS, "machine")
    cpus = checker.integer(raw, path, "cpus", 1, minimum=1, maximum=MAX_CPUS)
    context_switch = checker.duration(raw, path, "context_switch", 0)
    devices = _devices(checker, raw.get("devices", {}), (*path, "devices"))
    checker.ipc = check_sync_objects(checker, raw.get("ipc", {}), (*path, "ipc"), IPC_KINDS)
    policy = _policy(checker, raw.get("policy", "fcfs"), (*path, "policy"))
    if policy is None:
        return None
    tiebreak = checker.choice(raw, path, "tiebreak", ("fifo", "random"), "fifo")
    same_instant = checker.choice(raw, path, "same_instant", ("wakeups_first", "cpu_first"), "wakeups_first")
    queues = checker.choice(raw, path, "queues", ("global", "per_cpu"), "global")
    balance = checker.duration(raw, path, "balance_interval", 4_000_000)  # 0: never
    stealing = checker.choice(raw, path, "stealing", ("idle", "never", "peek"), "idle")
    known = len(checker.errors)
    peek = checker.duration(raw, path, "peek_interval", 30_000_000)
    if peek <= 0 and len(checker.errors) == known:  # (a value refused already is not reported twice)
        checker.fail((*path, "peek_interval"), "peek_interval must be positive")
    checker.cpus = cpus
    return MachineSpec(cpus=cpus, policy=policy, context_switch=context_switch, devices=devices, ipc=checker.ipc,
                       tiebreak=tiebreak, same_instant=same_instant, queues=queues, balance_interval=balance,
                       stealing=stealing, peek_interval=max(peek, 1),
                       migration_cost=checker.duration(raw, path, "migration_cost", 0),
                       cache=_cache(checker, raw.get("cache"), (*path, "cache")))  # fmt: skip


_CACHE_KEYS = ("size", "warmup", "warm_rate", "tick")


def _cache(checker: Checker, raw: object, path: PathKey) -> CacheSpec | None:
    """`cache: {size: 100, warmup: 10, warm_rate: 2, tick: 1}` (OSTEP multi.py's -M, -w, -r; None: absent)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        checker.fail(path, f"cache must be a mapping such as {{size: 100, warmup: 10, warm_rate: 2}}, "
                           f"got {type_name(raw)}")  # fmt: skip
        return None
    checker.keys(raw, path, _CACHE_KEYS, "cache")
    default = CacheSpec()
    return CacheSpec(size=checker.integer(raw, path, "size", default.size, minimum=0),
                     warmup=checker.duration(raw, path, "warmup", default.warmup),
                     warm_rate=checker.integer(raw, path, "warm_rate", default.warm_rate, minimum=1),
                     tick=checker.duration(raw, path, "tick", default.tick))  # fmt: skip


def _policy(checker: Checker, raw: object, path: PathKey) -> PolicySpec | None:
    if isinstance(raw, str):
        if ":" in raw:  # the command line's NAME:KEY=VALUE,... works here too
            try:
                return parse_policy_text(raw, checker.time_unit)
            except PolicyError as error:
                checker.fail(path, error.message)
                return None
        name: object = raw
        params: dict[str, object] = {}
    elif isinstance(raw, dict):
        if "name" not in raw:
            checker.fail(path, "policy needs a name, e.g. {name: rr, quantum: 4}")
            return None
        name = raw["name"]
        params = {key: value for key, value in raw.items() if key != "name"}
    else:
        checker.fail(path, f"policy must be a name or a mapping with a name, got {type_name(raw)}")
        return None
    try:
        return build_policy_spec(name, params, checker.time_unit)
    except PolicyError as error:
        if error.key is not None:
            where: PathKey = (*path, error.key)
        else:
            where = (*path, "name") if isinstance(raw, dict) else path
        checker.fail(where, error.message, at_key=error.unknown_key)
        return None


def _devices(checker: Checker, raw: object, path: PathKey) -> tuple[DeviceSpec, ...]:
    if not isinstance(raw, dict):
        checker.fail(path, f"devices must be a mapping of name to settings, got {type_name(raw)}")
        return ()
    devices = []
    for name, settings in raw.items():
        here = (*path, name)
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            checker.fail(here, f"a device's settings must be a mapping such as {{servers: 1}}, "
                            f"got {type_name(settings)}")  # fmt: skip
            continue
        for key in settings:
            if key != "servers":
                checker.fail(
                    (*here, key), f"unknown key {key!r} in device{did_you_mean(key, ['servers'])}", at_key=True
                )
        servers: int | None = None
        if "servers" in settings and settings["servers"] != "unlimited":
            servers = checker.integer(settings, here, "servers", 1, minimum=1, maximum=MAX_SERVERS)
        checker.devices.add(name)
        devices.append(DeviceSpec(name, servers))
    return tuple(devices)
