"""The one owner of every random choice and scheduling decision in a run (SPEC section 7).

Two kinds of choice, kept apart so that either can be replayed without disturbing the other:

- *Random draws* (duration jitter and distributions, and same-instant ties under `machine.tiebreak: random`) come from a
  private generator seeded by the run's seed: the same seed gives the same draws, so they need no record.
- *Scheduling decisions* (preempt the running thread before its next step? delay it, when nobody is ready?
  which ready thread runs next?) come from a `Strategy`: the default one never preempts nor delays and keeps
  the policy's order; an explorer's strategy decides otherwise. Decision points are numbered in the order
  they occur, and every decision that differs from the default is recorded as (point, value).

A run is therefore a pure function of (scenario, seed, recorded decisions): replaying the decisions with the
same seed reproduces it exactly. Nothing else in threadsim draws random numbers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from simulator.program.distributions import Distribution, to_duration

if TYPE_CHECKING:
    from simulator.model.threads import Thread


class Strategy(Protocol):
    """Makes the scheduling decisions of a controlled run."""

    #: Whether the run meets delay points at all (a replay of a token recorded before delays existed does not:
    #: its points are numbered without them).
    offers_delays: bool

    def on_step(self) -> None:
        """A visible step (one that touches shared memory or a synchronization object) is about to run."""
        ...

    def on_yield(self, thread: Thread) -> None:
        """`thread` yields the CPU while other threads are ready (it goes back among them)."""
        ...

    def preempt(self, point: int, running: Thread, ready: Sequence[Thread]) -> bool:
        """Whether to take the CPU from `running` before its next (visible) step; `ready` could run instead."""
        ...

    def delay(self, point: int, running: Thread, others: Sequence[Thread]) -> bool:
        """Whether to hold `running` off its CPU before its next (visible) step, nobody being ready, until one
        of `others` (threads that go on by themselves) takes a step (see simulator.model.control)."""
        ...

    def pick(self, point: int, ready: Sequence[Thread]) -> int:
        """Which of `ready` (in the policy's order; 0 is the policy's own pick) an idle CPU runs next."""
        ...


class Chooser:
    """Seeded draws, strategy decisions, and the record of the decisions."""

    def __init__(self, seed: int, strategy: Strategy | None = None) -> None:
        self.seed = seed
        # A private generator: never the global `random`, whose state other code can touch. Made at the first
        # draw (`_generator`): most explored schedules draw nothing, and seeding one costs a few microseconds.
        self._random: random.Random | None = None
        self.strategy = strategy
        #: Decision points met so far, and the non-default decisions as (point, value).
        self.points = 0
        self.decisions: list[tuple[int, int]] = []
        #: How many of the decisions are preemptions and how many delays (the others pick a thread other than
        #: the policy's).
        self.preemptions = 0
        self.delays = 0

    def _generator(self) -> random.Random:
        self._random = random.Random(self.seed)
        return self._random

    @property
    def controlled(self) -> bool:
        """Whether a strategy makes scheduling decisions (otherwise the kernel never asks)."""
        return self.strategy is not None

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high] from the seed (the same seed draws the same integers)."""
        return low if low == high else (self._random or self._generator()).randint(low, high)

    def draw(self, distribution: Distribution) -> int:
        """A duration (ns) drawn from `distribution` with the seed: the float draw rounded half to even to
        the nanosecond, then at least 0 (`simulator.program.distributions.to_duration`). Each draw takes
        the generator's next numbers, so a run's draws depend on the order the kernel makes them in, which
        is itself fixed by the seed: the same seed replays the same draws."""
        kind = distribution.kind
        parameters = distribution.parameters
        generator = self._random or self._generator()
        if kind == "exponential":
            return to_duration(generator.expovariate(1 / parameters[0]))
        if kind == "uniform":
            return to_duration(generator.uniform(parameters[0], parameters[1]))
        if kind == "normal":
            # normalvariate, not gauss: gauss keeps a second value cached between calls.
            return to_duration(generator.normalvariate(parameters[0], parameters[1]))
        if kind == "lognormal":
            mu, sigma = distribution.lognormal_parameters()
            return to_duration(generator.lognormvariate(mu, sigma))
        assert kind == "choice", kind
        return parameters[self.integer(0, len(parameters) - 1)]

    def tiebreak(self) -> int:
        """A random key that orders events scheduled for the same instant and priority."""
        return (self._random or self._generator()).getrandbits(31)

    def preempt(self, running: Thread, ready: Sequence[Thread]) -> bool:
        """Ask the strategy whether to preempt `running` now."""
        assert self.strategy is not None
        if self._switch(self.strategy.preempt, running, ready):
            self.preemptions += 1
            return True
        return False

    @property
    def offers_delays(self) -> bool:
        """Whether the strategy is asked about delays (see Strategy.offers_delays)."""
        return self.strategy is not None and self.strategy.offers_delays

    def delay(self, running: Thread, others: Sequence[Thread]) -> bool:
        """Ask the strategy whether to delay `running` now."""
        assert self.strategy is not None
        if self._switch(self.strategy.delay, running, others):
            self.delays += 1
            return True
        return False

    def _switch(self, ask: Callable[[int, Thread, Sequence[Thread]], bool], running: Thread,
                others: Sequence[Thread]) -> bool:  # fmt: skip
        """A new decision point: ask whether `running` leaves its CPU, and record a yes as (point, 1)."""
        point = self.points
        self.points += 1
        if ask(point, running, others):
            self.decisions.append((point, 1))
            return True
        return False

    def yielded(self, thread: Thread) -> None:
        """Tell the strategy that `thread` yields the CPU to the ready threads (the kernel calls it for a
        `yield` step of a controlled run while others are ready)."""
        assert self.strategy is not None
        self.strategy.on_yield(thread)

    def pick(self, ready: Sequence[Thread]) -> int:
        """Ask the strategy which ready thread runs next (an index into `ready`)."""
        assert self.strategy is not None
        point = self.points
        self.points += 1
        index = self.strategy.pick(point, ready)
        if not 0 <= index < len(ready):
            index = 0
        if index:
            self.decisions.append((point, index))
        return index
