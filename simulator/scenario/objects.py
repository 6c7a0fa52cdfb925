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
    if kind in ("mutex", "event"):
        if value is not None:
            checker.fail(path, f"a {kind} takes no value")
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
