"""threadsim: a deterministic thread-scheduling simulator.

The public API: load a scenario, run it, read its metrics and trace events, render reports; write threads
in Python with the operations of `simulator.ops` (also exported here).

    >>> from simulator import load_scenario, simulate
    >>> metrics = simulate(load_scenario("scenarios/rr-textbook.yaml"))
"""

from simulator.analysis.metrics import CpuMetrics, DeviceMetrics, LockMetrics, RunMetrics, ThreadMetrics
from simulator.analysis.violations import Violation
from simulator.api import explore, replay
from simulator.builder import Machine, Process, build
from simulator.errors import InputError, InputErrors, Location
from simulator.model.kernel import Kernel
from simulator.ops import (
    Acquire,
    Assert,
    Barrier,
    CasResult,
    Check,
    ClearEvent,
    Fork,
    Get,
    Join,
    Let,
    Load,
    Lock,
    Notify,
    NotifyAll,
    Put,
    Release,
    SetEvent,
    Spawn,
    Store,
    ThreadContext,
    Unlock,
    Wait,
    WaitEvent,
    WaitProcess,
    assert_that,
    atomic_add,
    atomic_set,
    atomic_sub,
    cas,
    incr,
    ms,
    ns,
    swap,
    us,
    with_thread,
)
from simulator.policies import POLICIES, Policy, PolicyError, parse_policy_text
from simulator.program.interpreter import ProgramGenerator, run_program
from simulator.program.operations import Compute, Exit, Io, Operation, Repeat, Sleep, Yield
from simulator.program.python import NondeterministicBodyError
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
from simulator.validation import ScenarioError, validate

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_STEPS",
    "POLICIES",
    "Acquire",
    "Assert",
    "Barrier",
    "CasResult",
    "Check",
    "ClearEvent",
    "Compute",
    "CpuMetrics",
    "DeviceMetrics",
    "LockMetrics",
    "DeviceSpec",
    "Exit",
    "Fork",
    "Get",
    "InputError",
    "InputErrors",
    "Io",
    "Join",
    "Kernel",
    "Let",
    "Load",
    "Machine",
    "Location",
    "NondeterministicBodyError",
    "Lock",
    "MachineSpec",
    "Notify",
    "NotifyAll",
    "Operation",
    "Policy",
    "PolicyError",
    "PolicySpec",
    "Process",
    "ProcessSpec",
    "ProgramGenerator",
    "Put",
    "Release",
    "Repeat",
    "RunMetrics",
    "Scenario",
    "SetEvent",
    "ScenarioError",
    "Sleep",
    "Spawn",
    "State",
    "Store",
    "ThreadContext",
    "ThreadMetrics",
    "ThreadSpec",
    "TraceEvent",
    "Unlock",
    "Violation",
    "Wait",
    "WaitEvent",
    "WaitProcess",
    "Yield",
    "__version__",
    "assert_that",
    "atomic_add",
    "atomic_set",
    "atomic_sub",
    "cas",
    "incr",
    "build",
    "explore",
    "load_scenario",
    "ms",
    "ns",
    "parse_policy_text",
    "parse_scenario",
    "replay",
    "run_program",
    "simulate",
    "swap",
    "us",
    "validate",
    "with_overrides",
    "with_thread",
]
