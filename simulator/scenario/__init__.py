"""Scenario files: the frozen model (here), loading and validation (`simulator.scenario.loader`)."""

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
