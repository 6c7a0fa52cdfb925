"""A process instance at run time: its memory, its synchronization objects, and when it ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.analysis.races import Clock
from simulator.model.gil import Gil
from simulator.model.locks import Mutex, ProtocolMutex, Semaphore
from simulator.model.sync import Barrier, Channel, Completion, Condition, Event
from simulator.model.wait_queue import SyncObject
from simulator.scenario.model import ProcessSpec, SyncSpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


def make_sync_objects(specs: tuple[SyncSpec, ...]) -> dict[str, SyncObject]:
    """Fresh objects for a process (or for the machine's `ipc`), mutexes first so conditions can bind."""
    objects: dict[str, SyncObject] = {}
    for spec in sorted(specs, key=lambda spec: spec.kind != "mutex"):
        if spec.kind == "mutex":
            objects[spec.name] = (
                Mutex(spec.name) if not spec.protocol else ProtocolMutex(spec.name, spec.protocol, spec.ceiling)
            )
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

    __slots__ = (
        "spec",
        "name",
        "suffix",
        "memory",
        "atomic_clocks",
        "sync",
        "_completion",
        "threads",
        "live",
        "gil",
        "replica",
    )

    def __init__(self, spec: ProcessSpec, name: str, memory: dict[str, int], suffix: str) -> None:
        self.spec = spec
        self.name = name
        #: Appended to the names of this instance's threads ('' for the first instance).
        self.suffix = suffix
        self.memory = memory
        #: Per variable, the clock that atomic operations on it acquire and release (made when first needed:
        #: most processes of a large run never use one).
        self.atomic_clocks: dict[str, Clock] | None = None
        self.sync = make_sync_objects(spec.sync) if spec.sync else {}
        self._completion: Completion | None = None
        self.threads: dict[str, Thread] = {}  # by declared name
        #: Threads started and not ended yet (the instance ends when this comes back to 0).
        self.live = 0
        #: The process's global interpreter lock, if it is a Python process (`gil: true`).
        self.gil = Gil(name, spec.gil) if spec.gil is not None else None
        #: Its number among the copies of its declaration (`count`), 0 when it has none.
        self.replica = 0

    @property
    def has_completion(self) -> bool:
        """Whether anyone has asked for this instance's completion yet."""
        return self._completion is not None

    @property
    def completion(self) -> Completion:
        """The end of this instance, which wait_process waits for (made when first needed)."""
        if self._completion is None:
            self._completion = Completion(self.name, "process", lambda: list(self.threads.values()))
        return self._completion
