"""Stride scheduling (Waldspurger and Weihl): deterministic proportional share by tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policies.base import Parameter, ReadyReason
from simulator.policies.ordered import ChargingPolicy
from simulator.scenario.model import PolicySpec

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class Stride(ChargingPolicy):
    """Each thread's stride is `big / tickets`; the ready thread with the lowest pass runs for a quantum,
    and its pass grows by its stride for each quantum of CPU it used (pro rata for less). A thread that
    arrives starts at the lowest pass among ready threads, so it cannot monopolize the CPU."""

    name = "stride"
    summary = "stride scheduling: lowest pass first, pass += stride per quantum used (stride = big / tickets)"
    parameters = (
        Parameter("quantum", "duration", 10_000_000, "time slice"),
        Parameter("big", "integer", 10_000, "the constant divided by tickets to give strides", minimum=1),
    )

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__(spec)
        self.passes: dict[int, int] = {}  # pass * quantum, exact
        self.strides: dict[str, int] = {}
        self.quantum = spec.number("quantum")
        self.big = spec.number("big")

    def stride(self, thread: Thread) -> int:
        return self.big // thread.tickets

    def key(self, thread: Thread) -> int:
        return self.passes[thread.index]

    def add(self, thread: Thread, reason: ReadyReason) -> None:
        self.strides[thread.name] = self.stride(thread)
        if thread.index not in self.passes:
            lowest = self.best_waiting()  # the lowest pass among ready threads
            self.passes[thread.index] = 0 if lowest is None else lowest
        else:
            self.passes[thread.index] += self.stride(thread) * self.used_since_pick(thread)
        super().add(thread, reason)

    def time_slice(self, thread: Thread) -> int | None:
        return self.quantum

    def describe(self) -> dict[str, object]:
        return {"strides": dict(self.strides)}
