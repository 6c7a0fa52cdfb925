"""threadsim: a deterministic thread-scheduling simulator.

The public API: load a scenario, run it, read its metrics and trace events, render reports; write threads
in Python with the operations of `simulator.ops` (also exported here).

    >>> from simulator import load_scenario, simulate
    >>> metrics = simulate(load_scenario("scenarios/rr-textbook.yaml"))

Every name is imported on first use (PEP 562), so `threadsim --help` and a small `threadsim run` do not pay
for the explorer, the notebook helpers or the chart writers; `from simulator import X` works as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.lazy import lazy_exports

if TYPE_CHECKING:  # the real imports, for type checkers and editors (tests/test_lazy_imports.py: the same as _EXPORTS)
    from simulator.analysis.metrics import (
        CpuMetrics,
        DeviceMetrics,
        GilMetrics,
        LockMetrics,
        Memory,
        ProcessMemory,
        RunMetrics,  # fmt: skip
        ThreadMetrics,
    )
    from simulator.analysis.violations import Violation
    from simulator.api import explore, replay
    from simulator.bounds import DEFAULT_MAX_STEPS
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
        atomic_load,
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
    from simulator.program.determinism import NondeterministicBodyError
    from simulator.program.interpreter import ProgramGenerator, run_program
    from simulator.program.operations import Compute, Exit, Io, Operation, Repeat, Sleep, Yield
    from simulator.scenario.loader import load_scenario, parse_scenario
    from simulator.scenario.model import (
        CacheSpec,
        DeviceSpec,
        MachineSpec,
        PolicySpec,
        ProcessSpec,
        Scenario,
        ThreadSpec,
    )
    from simulator.simulation import simulate, with_overrides
    from simulator.states import State
    from simulator.trace import TraceEvent
    from simulator.validation import ScenarioError, validate

__version__ = "0.1.0"

#: Where each public name lives: the module imported when the name is first read.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "simulator.analysis.metrics": (
        "CpuMetrics",
        "DeviceMetrics",
        "GilMetrics",
        "LockMetrics",
        "Memory",
        "ProcessMemory",
        "RunMetrics",
        "ThreadMetrics",
    ),
    "simulator.analysis.violations": ("Violation",),
    "simulator.api": ("explore", "replay"),
    "simulator.bounds": ("DEFAULT_MAX_STEPS",),
    "simulator.builder": ("Machine", "Process", "build"),
    "simulator.errors": ("InputError", "InputErrors", "Location"),
    "simulator.model.kernel": ("Kernel",),
    "simulator.ops": (
        "Acquire",
        "Assert",
        "Barrier",
        "CasResult",
        "Check",
        "ClearEvent",
        "Fork",
        "Get",
        "Join",
        "Let",
        "Load",
        "Lock",
        "Notify",
        "NotifyAll",
        "Put",
        "Release",
        "SetEvent",
        "Spawn",
        "Store",
        "ThreadContext",
        "Unlock",
        "Wait",
        "WaitEvent",
        "WaitProcess",
        "assert_that",
        "atomic_add",
        "atomic_load",
        "atomic_set",
        "atomic_sub",
        "cas",
        "incr",
        "ms",
        "ns",
        "swap",
        "us",
        "with_thread",
    ),
    "simulator.policies": ("POLICIES", "Policy", "PolicyError", "parse_policy_text"),
    "simulator.program.interpreter": ("ProgramGenerator", "run_program"),
    "simulator.program.operations": ("Compute", "Exit", "Io", "Operation", "Repeat", "Sleep", "Yield"),
    "simulator.program.determinism": ("NondeterministicBodyError",),
    "simulator.scenario.model": (
        "CacheSpec",
        "DeviceSpec",
        "MachineSpec",
        "PolicySpec",
        "ProcessSpec",
        "Scenario",
        "ThreadSpec",
    ),
    "simulator.scenario.loader": ("load_scenario", "parse_scenario"),
    "simulator.simulation": ("simulate", "with_overrides"),
    "simulator.states": ("State",),
    "simulator.trace": ("TraceEvent",),
    "simulator.validation": ("ScenarioError", "validate"),
}

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
    "GilMetrics",
    "Memory",
    "ProcessMemory",
    "CacheSpec",
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
    "atomic_load",
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


if not TYPE_CHECKING:  # hidden from type checkers, which would otherwise take any unknown name for Any
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
