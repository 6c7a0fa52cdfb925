"""threadsim: a deterministic thread-scheduling simulator.

The public API: load a scenario, run it, read its metrics and trace events, render reports.

    >>> from simulator import load_scenario, simulate
    >>> metrics = simulate(load_scenario("scenarios/rr-textbook.yaml"))
"""

from simulator.analysis.metrics import CpuMetrics, GilMetrics, RunMetrics, ThreadMetrics
from simulator.analysis.violations import Violation
from simulator.errors import InputError, InputErrors, Location
from simulator.model.kernel import Kernel
from simulator.policies import POLICIES, Policy, PolicyError, parse_policy_text
from simulator.program.interpreter import ProgramGenerator, run_program
from simulator.program.operations import Compute, Exit, Io, Operation, Repeat, Sleep, Yield
from simulator.scenario import (
    DeviceSpec,
    MachineSpec,
    PolicySpec,
    ProcessSpec,
    Scenario,
    ThreadSpec,
)
from simulator.scenario.loader import load_scenario, parse_scenario
from simulator.simulation import DEFAULT_MAX_STEPS, simulate, with_overrides
from simulator.states import State
from simulator.trace import TraceEvent

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_STEPS",
    "POLICIES",
    "Compute",
    "CpuMetrics",
    "GilMetrics",
    "DeviceSpec",
    "Exit",
    "InputError",
    "InputErrors",
    "Io",
    "Kernel",
    "Location",
    "MachineSpec",
    "Operation",
    "Policy",
    "PolicyError",
    "PolicySpec",
    "ProcessSpec",
    "ProgramGenerator",
    "Repeat",
    "RunMetrics",
    "Scenario",
    "Sleep",
    "State",
    "ThreadMetrics",
    "ThreadSpec",
    "TraceEvent",
    "Violation",
    "Yield",
    "__version__",
    "load_scenario",
    "parse_policy_text",
    "parse_scenario",
    "run_program",
    "simulate",
    "with_overrides",
]
