"""A validated scenario: immutable values built once by `simulator.scenario.loader`.

All times are integer nanoseconds. Names refer to things that exist; nothing here needs checking again.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from simulator.operations import Operation


@attrs.frozen
class PolicySpec:
    """A policy name and its parameters with every default filled in (durations in ns)."""

    name: str
    params: tuple[tuple[str, int | bool], ...] = ()

    def param(self, name: str) -> int | bool:
        """The value of parameter `name`."""
        return dict(self.params)[name]


@attrs.frozen
class DeviceSpec:
    """An I/O device: a FIFO queue in front of `servers` servers (None: unlimited)."""

    name: str
    servers: int | None


@attrs.frozen
class MachineSpec:
    """The CPUs, the scheduling policy, the context-switch cost and the I/O devices."""

    cpus: int
    policy: PolicySpec
    context_switch: int = 0
    devices: tuple[DeviceSpec, ...] = ()


@attrs.frozen
class ThreadSpec:
    """A thread: its name, process, arrival instant, priority and program."""

    name: str
    process: str
    arrival: int
    program: tuple[Operation, ...]
    priority: int = 0
    line: int = attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class ProcessSpec:
    """A process and the threads it starts with."""

    name: str
    arrival: int
    threads: tuple[ThreadSpec, ...]


@attrs.frozen
class Scenario:
    """A whole scenario, ready to run."""

    name: str
    time_unit: str
    seed: int
    machine: MachineSpec
    processes: tuple[ProcessSpec, ...]
    description: str = ""
    file: str = attrs.field(default="", eq=False)

    def threads(self) -> Iterator[ThreadSpec]:
        """Every thread in declaration order."""
        for process in self.processes:
            yield from process.threads
