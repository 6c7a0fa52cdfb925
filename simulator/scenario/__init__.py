"""Scenario files: the frozen model (`simulator.scenario.model`, its classes also exported here), loading and
validation (`simulator.scenario.loader`).

The classes are imported on first use (see simulator.lazy): the command line reads `simulator.scenario.limits`
for its help without importing the model.
"""

from typing import TYPE_CHECKING

from simulator.lazy import lazy_exports

if TYPE_CHECKING:
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

_EXPORTS = {
    "simulator.scenario.model": (
        "DeviceSpec",
        "Expectation",
        "MachineSpec",
        "PolicySpec",
        "ProcessSpec",
        "Scenario",
        "SyncSpec",
        "ThreadSpec",
    )
}

__all__ = [
    "DeviceSpec",
    "Expectation",
    "MachineSpec",
    "PolicySpec",
    "ProcessSpec",
    "Scenario",
    "SyncSpec",
    "ThreadSpec",
]

if not TYPE_CHECKING:  # hidden from type checkers, which would otherwise take any unknown name for Any
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
