"""Scenario files: the frozen model (here), loading and validation (`simulator.scenario.loader`)."""

from simulator.scenario.model import DeviceSpec, MachineSpec, PolicySpec, ProcessSpec, Scenario, ThreadSpec

__all__ = ["DeviceSpec", "MachineSpec", "PolicySpec", "ProcessSpec", "Scenario", "ThreadSpec"]
