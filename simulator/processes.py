"""A process instance at run time: its memory, its synchronization objects, and when it ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.races import Clock
from simulator.scenario.model import ProcessSpec, SyncSpec
from simulator.sync import Barrier, Channel, Completion, Condition, Event, Mutex, Semaphore, SyncObject

if TYPE_CHECKING:
    from simulator.threads import Thread


def make_sync_objects(specs: tuple[SyncSpec, ...]) -> dict[str, SyncObject]:
    """Fresh objects for a process (or for the machine's `ipc`), mutexes first so conditions can bind."""
    objects: dict[str, SyncObject] = {}
    for spec in sorted(specs, key=lambda spec: spec.kind != "mutex"):
        if spec.kind == "mutex":
            objects[spec.name] = Mutex(spec.name)
        elif spec.kind == "semaphore":
            objects[spec.name] = Semaphore(spec.name, spec.value)
        elif spec.kind == "condition":
            mutex = objects[spec.mutex]
            assert isinstance(mutex, Mutex), "checked by the loader"
            objects[spec.name] = Condition(spec.name, mutex)
        elif spec.kind == "event":
            objects[spec.name] = Event(spec.name)
        elif spec.kind == "barrier":
            objects[spec.name] = Barrier(spec.name, spec.value)
        else:  # queue or channel
            objects[spec.name] = Channel(spec.name, spec.value, spec.kind)
    return {spec.name: objects[spec.name] for spec in specs}  # declaration order


class Process:
    """One instance of a declared process. A forked process's second instance is named `P#2`, and so on."""

    def __init__(self, spec: ProcessSpec, name: str, memory: dict[str, int], suffix: str) -> None:
        self.spec = spec
        self.name = name
        #: Appended to the names of this instance's threads ('' for the first instance).
        self.suffix = suffix
        self.memory = memory
        #: Per variable, the clock that atomic operations on it acquire and release.
        self.atomic_clocks: dict[str, Clock] = {}
        self.sync = make_sync_objects(spec.sync)
        self.completion = Completion(name, "process")
        self.threads: dict[str, Thread] = {}  # by declared name
        #: Declared threads not ended yet (a process ends when this reaches 0 after it started).
        self.live = 0
