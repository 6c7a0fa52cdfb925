"""Lottery scheduling (Waldspurger and Weihl): each quantum goes to a ticket drawn from the run's seed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.policies.base import Parameter, Policy, ReadyReason
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class Lottery(Policy):
    """At each dispatch a winning ticket is drawn uniformly among the ready threads' tickets; the winner
    runs for a quantum. The draws come from the run's seed, so a seed replays the same lotteries."""

    name = "lottery"
    summary = "lottery: a random ticket (from the seed) picks who runs each quantum"
    parameters = (Parameter("quantum", "duration", 10_000_000, "time slice"),)

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.ready: list[Thread] = []
        self.quantum = int(spec.param("quantum"))

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.ready.append(thread)

    def pick(self, cpu: int) -> Thread | None:
        if not self.ready:
            return None
        ticket = self.context.draw(sum(thread.tickets for thread in self.ready))
        for index, thread in enumerate(self.ready):
            if ticket < thread.tickets:
                return self.ready.pop(index)
            ticket -= thread.tickets
        raise AssertionError("the winning ticket is always held by a ready thread")

    def ready_threads(self) -> Sequence[Thread]:
        return list(self.ready)

    def take(self, thread: Thread) -> None:
        self.ready.remove(thread)

    def __len__(self) -> int:
        return len(self.ready)

    def time_slice(self, thread: Thread) -> int | None:
        return self.quantum
