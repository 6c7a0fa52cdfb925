"""Round robin: a FIFO ready queue and a time slice (`quantum`) restarted at each dispatch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policies.base import Parameter
from simulator.policies.fcfs import Fcfs
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class RoundRobin(Fcfs):
    """FCFS order, but a thread that used up its quantum goes to the back of the ready queue.

    A preempted thread enters the queue after threads that arrived or woke at the same instant (SPEC
    section 4). A quantum that ends with nobody else ready is renewed in place: no switch is counted.
    """

    name = "rr"
    summary = "round robin: FIFO ready queue, preempted when the quantum ends and another thread is ready"
    parameters = (Parameter("quantum", "duration", 10_000_000, "time slice, restarted at each dispatch"),)

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        quantum = spec.param("quantum")
        assert isinstance(quantum, int) and quantum > 0, "validated by the policy spec parser"
        self.quantum = quantum

    def time_slice(self, thread: Thread) -> int | None:
        return self.quantum
