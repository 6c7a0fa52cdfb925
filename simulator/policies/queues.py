"""The queue layer: a run's ready queues under the machine's policy, as the kernel's dispatch sees them.

One global queue is the policy itself. `queues: per_cpu` gives each CPU a queue of its own, balanced and
stolen from (simulator.policies.per_cpu); a global queue with pinned threads checks who may run where
(simulator.policies.affinity). The kernel asks every layout the same questions (`pick`, `candidates`,
`has_waiting`), so affinity is this layer's business, not the dispatch loop's.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.policies.affinity import PinnedQueue
from simulator.policies.base import Policy
from simulator.policies.per_cpu import PerCpuQueues
from simulator.policies.registry import make_policy
from simulator.scenario.model import MachineSpec


def ready_queues(machine: MachineSpec, pinned: bool, busy: Callable[[int], bool]) -> Policy:
    """Fresh ready queues for one run on `machine`; `pinned`: some thread is pinned to some CPUs; `busy(cpu)`:
    whether that CPU runs a thread now (per-CPU balancing asks)."""
    if machine.queues == "per_cpu":
        return PerCpuQueues(machine.policy, make_policy, machine.cpus, machine.balance_interval, busy,
                            stealing=machine.stealing, peek_interval=machine.peek_interval)  # fmt: skip
    policy = make_policy(machine.policy)
    return PinnedQueue(policy) if pinned else policy
