"""Shortest job first (sjf, non-preemptive) and shortest remaining time first (srtf, preemptive)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policies.base import Parameter
from simulator.policies.ordered import OrderedPolicy
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread

_ESTIMATE = Parameter(
    "estimate", "choice", "remaining",
    "what 'shortest' measures: remaining (CPU time the program still needs) or next_burst (its next compute)",
    choices=("remaining", "next_burst"),
)  # fmt: skip


class Sjf(OrderedPolicy):
    """Runs the ready thread with the least CPU demand left; a running thread is never preempted."""

    name = "sjf"
    summary = "shortest job first: least remaining CPU demand first, non-preemptive"
    parameters = (_ESTIMATE,)

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.next_burst = spec.param("estimate") == "next_burst"
        self.lazy_keys = self.next_burst  # the look-ahead happens at the next decision, as it always did

    def key(self, thread: Thread) -> int:
        if self.next_burst:
            return self.context.next_burst(thread)
        return self.context.remaining_demand(thread)


class Srtf(Sjf):
    """SJF that preempts: a thread that becomes ready with strictly less left than the running one takes
    its CPU (at equal demand the running thread keeps it)."""

    name = "srtf"
    summary = "shortest remaining time first (STCF): preemptive SJF"
    preemptive = True

    def should_preempt(self, running: Thread) -> bool:
        best = self.best_waiting()
        return best is not None and best < self.key(running)
