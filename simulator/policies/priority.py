"""Priority scheduling: lower number = more urgent, optionally preemptive and with aging."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policies.base import Parameter
from simulator.policies.ordered import OrderedPolicy
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class Priority(OrderedPolicy):
    """The most urgent ready thread runs; equal priorities go first come, first served.

    With `aging` A, a thread's priority number drops by 1 for every A it has waited ready, so it cannot
    starve. With `preemptive`, a thread that becomes ready more urgent than a running one takes its CPU.
    """

    name = "priority"
    summary = "priority: lowest priority number first; preemptive or not; aging"
    parameters = (
        Parameter("preemptive", "boolean", True, "a more urgent ready thread takes the CPU at once"),
        Parameter("aging", "duration", 0, "every this much waiting makes a thread 1 more urgent (0: no aging)"),
    )

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.preemptive = bool(spec.param("preemptive"))  # type: ignore[misc]  # per instance, read once
        self.aging = int(spec.param("aging"))

    def key(self, thread: Thread) -> int:
        aging = self.aging
        since = self.ready_since.get(thread.index)
        if not aging or since is None or thread not in self.ready:
            return thread.priority
        return thread.priority - (self.context.now - since) // aging

    def should_preempt(self, running: Thread) -> bool:
        best = self.best_waiting()
        return best is not None and best < running.priority
