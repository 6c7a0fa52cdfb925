"""Scheduling strategies: who decides, at each decision point, whether to preempt and whom to run.

Decision points come before *visible* steps that may conflict (see simulator.model.control): *preempt?* while
another thread is ready, *delay?* while nobody is ready but another thread goes on by itself; and *pick* at
each dispatch that leaves someone waiting. Every strategy is deterministic given its seed.
`on_yield` hears of a thread that yields the CPU while others are ready (PCT lowers it).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.model.threads import Thread

#: Mixed into seeds so that exploration draws never repeat the run's own (jitter) draws.
_SALT = 0x7A3B_C5E1


class DefaultStrategy:
    """Never preempts, keeps the policy's order: a controlled run that behaves like a plain one. It counts
    visible steps (PCT's k, an upper bound on the decision points of a run of the same program)."""

    #: Asked about delays (see simulator.model.control).
    offers_delays = True

    def __init__(self) -> None:
        self.steps = 0

    def on_step(self) -> None:
        self.steps += 1

    def on_yield(self, thread: Thread) -> None:
        pass

    def preempt(self, point: int, running: Thread, ready: Sequence[Thread]) -> bool:
        return False

    def delay(self, point: int, running: Thread, others: Sequence[Thread]) -> bool:
        return False

    def pick(self, point: int, ready: Sequence[Thread]) -> int:
        return 0


class RandomStrategy(DefaultStrategy):
    """Preempts or delays with probability `probability` at each such decision point; picks a ready thread
    uniformly."""

    def __init__(self, seed: int, probability: float = 0.2) -> None:
        super().__init__()
        self.random = random.Random(seed ^ _SALT)
        self.probability = probability

    def preempt(self, point: int, running: Thread, ready: Sequence[Thread]) -> bool:
        return self.random.random() < self.probability

    def delay(self, point: int, running: Thread, others: Sequence[Thread]) -> bool:
        return self.random.random() < self.probability

    def pick(self, point: int, ready: Sequence[Thread]) -> int:
        return self.random.randrange(len(ready))


class PctStrategy(DefaultStrategy):
    """Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010).

    Each thread gets a random initial priority above `depth - 1`, distinct from every other's. `depth - 1`
    change points are drawn among 1..`steps` (k: the visible steps of the default schedule); they count the
    steps where a switch can matter (a visible step that may conflict, while another thread is ready: the
    decision points), and change point i, counted from the last, gives the thread *taking that step*
    priority i, below every initial priority. So a thread demoted later ends
    below every thread demoted earlier, as in the paper, Coyote and Shuttle. The highest-priority ready
    thread always runs: the running one is preempted as soon as a ready thread outranks it, and delayed
    (nobody being ready) while a thread that goes on by itself outranks it (on several CPUs, the way to let the
    higher one go first). A thread that
    yields drops below every priority given so far (as Shuttle does), so that a spin-with-yield loop lets
    the thread it waits for run.

    A bug of depth d (d orderings of steps make it show) is found with probability at least
    1/(n * k^(d-1)) per run, for n threads and k = `steps`.
    """

    def __init__(self, seed: int, depth: int, steps: int) -> None:
        super().__init__()
        self.random = random.Random(seed ^ _SALT)
        self.depth = depth
        points = range(1, max(steps, depth) + 1)
        chosen = sorted(self.random.sample(points, depth - 1)) if depth > 1 else []
        #: Step number -> the priority the thread taking that step drops to (the last change point gets 1).
        self.change_points = {step: float(depth - 1 - order) for order, step in enumerate(chosen)}
        self.priorities: dict[int, float] = {}
        #: The lowest priority given so far (a yielder goes below it).
        self.lowest = 1.0
        #: Decision points before steps met so far: the step numbers change points refer to.
        self.taken = 0

    def priority(self, thread: Thread) -> float:
        if thread.index not in self.priorities:
            # Distinct initial priorities above every change point's (1 .. depth-1), in a random order.
            self.priorities[thread.index] = self.depth + self.random.random()
        return self.priorities[thread.index]

    def on_yield(self, thread: Thread) -> None:
        self.lowest -= 1.0
        self.priorities[thread.index] = self.lowest

    def preempt(self, point: int, running: Thread, ready: Sequence[Thread]) -> bool:
        return self._outranked(running, ready)

    def delay(self, point: int, running: Thread, others: Sequence[Thread]) -> bool:
        return self._outranked(running, others)

    def _outranked(self, running: Thread, others: Sequence[Thread]) -> bool:
        """Count a step (a change point demotes `running`), then whether one of `others` outranks it."""
        self.taken += 1
        change = self.change_points.get(self.taken)
        if change is not None:
            self.priorities[running.index] = change
        return max(self.priority(thread) for thread in others) > self.priority(running)

    def pick(self, point: int, ready: Sequence[Thread]) -> int:
        return max(range(len(ready)), key=lambda index: self.priority(ready[index]))


class ReplayStrategy(DefaultStrategy):
    """Replays recorded decisions {point: value}; every other point takes the default. `delays=False` for a
    token recorded before delays existed (format ts1): the run then meets no delay points."""

    def __init__(self, decisions: Mapping[int, int], delays: bool = True) -> None:
        super().__init__()
        self.decisions = dict(decisions)
        self.applied = 0
        self.offers_delays = delays

    def preempt(self, point: int, running: Thread, ready: Sequence[Thread]) -> bool:
        return self.recorded_switch(point)

    def delay(self, point: int, running: Thread, others: Sequence[Thread]) -> bool:
        return self.recorded_switch(point)

    def recorded_switch(self, point: int) -> bool:
        """Whether the record preempts or delays at `point` (counted as applied if so)."""
        if self.decisions.get(point) == 1:
            self.applied += 1
            return True
        return False

    def pick(self, point: int, ready: Sequence[Thread]) -> int:
        value = self.decisions.get(point, 0)
        if 0 < value < len(ready):
            self.applied += 1
            return value
        return 0


class DfsStrategy(DefaultStrategy):
    """One run of a bound's depth-first search: follows `prefix` (one value per decision point), then
    preempts (or delays) at every decision point it can until the run has `bound` of them (a delay counts
    like a preemption), taking the policy's pick
    everywhere else. It records every point it meets as (number of alternatives, value taken, is it a
    preemption) for the explorer to find the next run from. Preempting first makes each run of the search
    for bound b have b preemptions, so that no run repeats a schedule of a smaller bound (a run that finds
    fewer places to preempt is one, and the explorer does not count it again)."""

    def __init__(self, prefix: Sequence[int], bound: int) -> None:
        super().__init__()
        self.prefix = list(prefix)
        self.bound = bound
        self.preemptions = 0
        self.trail: list[tuple[int, int, bool]] = []

    def preempt(self, point: int, running: Thread, ready: Sequence[Thread]) -> bool:
        # Past the prefix: preempt while the bound allows, so that this run has `bound` preemptions.
        value = self.prefix[point] if point < len(self.prefix) else int(self.preemptions < self.bound)
        self.preemptions += value
        self.trail.append((2, value, True))
        return value == 1

    def delay(self, point: int, running: Thread, others: Sequence[Thread]) -> bool:
        return self.preempt(point, running, others)

    def pick(self, point: int, ready: Sequence[Thread]) -> int:
        value = self.prefix[point] if point < len(self.prefix) else 0
        self.trail.append((len(ready), value, False))
        return value
