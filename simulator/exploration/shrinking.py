"""Shrinking a failing schedule to the fewest preemptions, then the fewest decisions, within a budget of
schedules and of steps (Explorer.shrink drives it; its docstring gives the order of the searches); and the
budgets that stop a search early."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from simulator.exploration.results import FailureKey, Outcome, Status
from simulator.exploration.strategies import ReplayStrategy

if TYPE_CHECKING:
    from simulator.exploration.explorer import Explorer

#: Steps shrinking may take for all failures together, at least (beyond that, as many as the search took).
SHRINK_STEP_FLOOR = 1_000_000


class Budget:
    """When to stop a search early: after `runs` schedules, or once `seconds` of wall-clock time have gone.

    Only *whether* and *where* the search stops depends on the clock, never what a schedule does: the report
    of a search cut short by time is exactly the report of a search given `--runs` equal to the schedules it
    ran, and it says that the time budget cut it short."""

    def __init__(self, runs: int | None = None, seconds: float | None = None) -> None:
        self.runs = runs
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def spent(self, runs: int) -> str | None:
        """Why to stop now, having run `runs` schedules ("runs" or "time_budget"), or None to go on."""
        if self.runs is not None and runs >= self.runs:
            return "runs"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "time_budget"
        return None


@attrs.frozen
class Shrunk:
    """A shrunk failing schedule: its decisions, how many are preemptions, how the search for fewer ended
    ("fewest": no schedule with fewer preemptions fails so; "budget": the budget ran out before that was
    known; "interrupted": Ctrl-C), how many schedules it ran, and the failure's message in this schedule."""

    decisions: tuple[tuple[int, int], ...]
    preemptions: int
    state: str
    runs: int
    message: str = ""
    #: How many of the decisions are delays (counted with the preemptions against a bound).
    delays: int = 0


class StepBudget:
    """The steps shrinking may still take, for every failure of a search together: as many as the search
    took, and at least `floor`, so that shrinking takes about as long as the search at most (steps, not
    seconds, so that the report does not depend on the machine). Spent steps are counted in `spent`."""

    def __init__(self, search_steps: int, floor: int = SHRINK_STEP_FLOOR) -> None:
        self.left = max(search_steps, floor)
        self.spent = 0

    def spend(self, steps: int) -> None:
        self.left -= steps
        self.spent += steps


class BudgetSpent(Exception):
    """Shrinking ran as many schedules as it may."""


class ShrinkInterrupted(Exception):
    """Ctrl-C during shrinking; carries the best schedule found before it."""

    def __init__(self, shrunk: Shrunk) -> None:
        super().__init__("interrupted")
        self.shrunk = shrunk


class Shrinking:
    """The state of one shrinking search (see Explorer.shrink): the best failing schedule so far, and the
    searches that look for a better one."""

    def __init__(self, explorer: Explorer, seed: int, wanted: FailureKey, budget: int,
                 status: Status | None, steps: StepBudget) -> None:  # fmt: skip
        self.explorer = explorer
        self.seed = seed
        self.wanted = wanted
        self.budget = budget
        self.status = status
        self.steps = steps
        self.runs = 0
        self.state = "budget"
        self.best: tuple[tuple[int, int], ...] = ()
        self.best_preemptions = 0
        self.best_delays = 0
        self.message = ""

    @property
    def best_switches(self) -> int:
        """The best schedule's preemptions and delays: what the bounded searches bound."""
        return self.best_preemptions + self.best_delays

    def result(self) -> Shrunk:
        return Shrunk(self.best, self.best_preemptions, self.state, self.runs, self.message, self.best_delays)

    def _count(self) -> None:
        if self.runs >= self.budget or self.steps.left <= 0:
            raise BudgetSpent
        self.runs += 1
        if self.status is not None:
            picks = len(self.best) - self.best_switches
            self.status(f"{self.runs} schedules, best so far {self.best_preemptions} preemptions, "
                        f"{self.best_delays} delays and {picks} picks")  # fmt: skip

    def _message(self, outcome: Outcome) -> str | None:
        """The wanted failure's message if `outcome` shows it."""
        return dict(outcome.failures).get(self.wanted)

    def _keep(self, outcome: Outcome, message: str) -> None:
        self.best, self.best_preemptions, self.message = outcome.decisions, outcome.preemptions, message
        self.best_delays = outcome.delays

    def replay(self, decisions: Sequence[tuple[int, int]]) -> Outcome:
        self._count()
        strategy = ReplayStrategy(dict(decisions))
        outcome, taken = self.explorer.run(self.seed, strategy)
        self.steps.spend(taken)
        return outcome

    def run(self) -> None:
        """Shrink from `best` (the failing schedule), keeping the best schedule found in `best`."""
        plain = self.replay(())
        message = self._message(plain)
        if message is not None:
            self._keep(plain, message)
            self.state = "fewest"
            return
        self._remove_one_at_a_time(self.best_switches)
        # Iterative bounding below the best found: the first level with a failing schedule is the fewest.
        for level in range(self.best_switches):
            for outcome, taken, counted, _ in self.explorer.level_runs(level, self.seed):
                self._count()
                self.steps.spend(taken)
                message = self._message(outcome) if counted else None
                if message is not None:
                    self._keep(outcome, message)
                    self._remove_one_at_a_time(level)
                    self.state = "fewest"
                    return
        self.state = "fewest"

    def _remove_one_at_a_time(self, most_preemptions: int) -> None:
        """Remove decisions one at a time, keeping any smaller set that still fails so with at most
        `most_preemptions` preemptions and delays, until no single decision can go."""
        changed = True
        while changed and self.best:
            changed = False
            for index in range(len(self.best)):
                outcome = self.replay(self.best[:index] + self.best[index + 1 :])
                message = self._message(outcome)
                if (message is not None and len(outcome.decisions) < len(self.best)
                        and outcome.switches <= min(most_preemptions, self.best_switches)):  # fmt: skip
                    self._keep(outcome, message)
                    changed = True
                    break
