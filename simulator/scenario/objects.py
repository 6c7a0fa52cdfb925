"""Declarations of synchronization objects (SPEC section 2): a process's `sync` and the machine's `ipc`."""

from __future__ import annotations

from simulator.errors import did_you_mean
from simulator.scenario.checking import Checker, is_identifier
from simulator.scenario.model import SyncSpec
from simulator.scenario.source import PathKey
from simulator.timeunits import type_name

#: Object kinds a process's `sync` can declare, and those the machine's `ipc` can.
SYNC_KINDS = ("mutex", "semaphore", "condition", "event", "barrier", "queue")
IPC_KINDS = ("channel", "mutex", "semaphore", "event", "queue")


def check_sync_objects(checker: Checker, raw: object, path: PathKey, kinds: tuple[str, ...]) -> tuple[SyncSpec, ...]:
    """A process's `sync` or the machine's `ipc`: object names to kinds (`kinds`: those allowed there)."""
    if not isinstance(raw, dict):
        checker.fail(path, f"expected a mapping of object names to kinds, got {type_name(raw)}")
        return ()
    specs: list[SyncSpec] = []
    for name, declaration in raw.items():
        here = (*path, name)
        if not is_identifier(name):
            checker.fail(here, f"{name!r} is not an object name (letters, digits, _)", at_key=True)
            continue
        if isinstance(declaration, str):
            kind, value = declaration, None
        elif isinstance(declaration, dict) and len(declaration) == 1:
            ((kind, value),) = declaration.items()
            here = (*here, kind)
        else:
            checker.fail(here, f"declare an object as a kind ({', '.join(kinds)}), e.g. 'mutex' or "
                            f"{{semaphore: 1}}, got {type_name(declaration)}")  # fmt: skip
            continue
        if kind not in kinds:
            hint = did_you_mean(str(kind), kinds)
            checker.fail(here, f"unknown object kind {kind!r}{hint} (kinds: {', '.join(kinds)})")
            continue
        spec = _sync_spec(checker, name, kind, value, here, specs)
        if spec is not None:
            specs.append(spec)
    return tuple(specs)


def _sync_spec(checker: Checker, name: str, kind: str, value: object, path: PathKey,
               earlier: list[SyncSpec]) -> SyncSpec | None:  # fmt: skip
    if kind == "mutex" and isinstance(value, dict):
        return _protocol_mutex(checker, name, value, path)
    if kind in ("mutex", "event"):
        if value is not None:
            hint = " (a mutex takes {protocol: inherit} or {protocol: ceiling, ceiling: P})" if kind == "mutex" else ""
            checker.fail(path, f"a {kind} takes no value{hint}")
        return SyncSpec(name, kind)
    if kind == "condition":
        mutexes = [spec.name for spec in earlier if spec.kind == "mutex"]
        if value not in mutexes:
            hint = did_you_mean(str(value), mutexes)
            known = ", ".join(mutexes) or "none"
            checker.fail(path, f"a condition needs the name of a mutex declared before it{hint} (mutexes: {known})")
            return None
        return SyncSpec(name, kind, mutex=str(value))
    minimum = 0 if kind == "semaphore" else 1
    what = {"semaphore": "initial count", "barrier": "number of parties"}.get(kind, "capacity")
    if value is None and kind == "semaphore":
        value = 0
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        checker.fail(path, f"a {kind} needs its {what}: an integer of at least {minimum}, got {value!r}")
        return None
    return SyncSpec(name, kind, value)


#: A mutex's priority protocols (see simulator.model.locks.ProtocolMutex).
PROTOCOLS = ("inherit", "ceiling")


def _protocol_mutex(checker: Checker, name: str, value: dict[object, object], path: PathKey) -> SyncSpec | None:
    """`{mutex: {protocol: inherit}}` or `{mutex: {protocol: ceiling, ceiling: P}}`."""
    for key in value:
        if key not in ("protocol", "ceiling"):
            hint = did_you_mean(str(key), ("protocol", "ceiling"))
            checker.fail((*path, str(key)), f"unknown mutex setting {key!r}{hint} (settings: protocol, ceiling)",
                         at_key=True)  # fmt: skip
            return None
    protocol = value.get("protocol")
    if "protocol" not in value:
        checker.fail(path, "a mutex's settings need a protocol: inherit or ceiling ({mutex: {protocol: inherit}}; "
                           "a plain mutex is just `mutex`)")  # fmt: skip
        return None
    if protocol not in PROTOCOLS:
        hint = did_you_mean(str(protocol), PROTOCOLS)
        checker.fail((*path, "protocol") if "protocol" in value else path,
                     f"a mutex's protocol is inherit or ceiling{hint}, got {protocol!r}")  # fmt: skip
        return None
    ceiling = value.get("ceiling")
    if protocol == "inherit":
        if "ceiling" in value:
            checker.fail((*path, "ceiling"), "only protocol: ceiling takes a ceiling", at_key=True)
            return None
        return SyncSpec(name, "mutex", protocol="inherit")
    if isinstance(ceiling, bool) or not isinstance(ceiling, int):
        message = f"protocol: ceiling needs `ceiling`, a priority number (lower: more urgent), got {ceiling!r}"
        checker.fail((*path, "ceiling") if "ceiling" in value else path, message)
        return None
    return SyncSpec(name, "mutex", protocol="ceiling", ceiling=ceiling)
