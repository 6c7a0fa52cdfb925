"""Run many schedules of a scenario, find the ones that fail, and shrink each failure to its essence.

- `random` and `pct` run one schedule per seed (`seed_start`, `seed_start + 1`, ...), in parallel
  processes with `jobs > 1`; results are merged in seed order, so the report does not depend on `jobs`.
- `dfs` runs every schedule with at most `bound` preemptions (CHESS's preemption bounding), depth first.
  Partial-order reduction: decisions are made only before steps that may conflict with another thread's
  (see simulator.model.kernel.is_visible and simulator.analysis.footprints); switching before any other step only
  reorders independent steps.
- A failure is shrunk by replaying its decisions with some removed, keeping any smaller set that still
  fails the same way, until no single decision can go.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Sequence

import attrs

from simulator.analysis.footprints import Footprints
from simulator.analysis.metrics import RunMetrics, collect_metrics
from simulator.chooser import Chooser, Strategy
from simulator.exploration.strategies import DefaultStrategy, DfsStrategy, PctStrategy, RandomStrategy, ReplayStrategy
from simulator.exploration.tokens import ReplayToken
from simulator.model.kernel import Kernel
from simulator.scenario.loader import load_scenario
from simulator.scenario.model import Scenario

STRATEGIES = ("random", "pct", "dfs")
#: Violation kinds, in the order reports list them.
KINDS = ("expect", "assert", "deadlock", "data_race", "misuse", "step_bound")
#: How many steps one explored run may take before it counts as a step-bound failure.
EXPLORE_MAX_STEPS = 200_000


#: Which failure a violation is: its kind and its subject (which expectation, assertion, variable, cycle or
#: misuse; `Violation.subject`). A violation with no subject is known by its kind alone.
FailureKey = tuple[str, tuple[str, ...]]


def failure_key(kind: str, subject: tuple[str, ...]) -> FailureKey:
    """What "the same failure" means for grouping and shrinking: the kind and the structured subject, never
    the message, whose values (times, counts, what was read) differ between runs of one failure."""
    return (kind, tuple(subject))


@attrs.frozen
class Outcome:
    """One schedule: its seed, its non-default decisions, and the distinct failures it showed (key, message)."""

    seed: int
    decisions: tuple[tuple[int, int], ...]
    failures: tuple[tuple[FailureKey, str], ...]


class Tally:
    """What the summary needs of the schedules run so far, kept as they come: how many ran and failed, and
    per distinct failure how many runs showed it and the first one that did (with `every`, every failing run).
    Memory does not grow with the number of runs (except for `every`'s list), nor does the work per run."""

    def __init__(self, every: bool) -> None:
        self.runs = 0
        self.failed = 0
        self.counts: dict[FailureKey, int] = {}
        #: Per distinct failure, the first failing run's number and outcome.
        self.first: dict[FailureKey, tuple[int, Outcome]] = {}
        #: With `every`: (failure, run number, outcome) of every failure, in run order.
        self.every: list[tuple[FailureKey, int, Outcome]] | None = [] if every else None

    def add(self, outcome: Outcome) -> None:
        number = self.runs
        self.runs += 1
        if outcome.failures:
            self.failed += 1
        for key, _ in outcome.failures:
            self.counts[key] = self.counts.get(key, 0) + 1
            self.first.setdefault(key, (number, outcome))
            if self.every is not None:
                self.every.append((key, number, outcome))


@attrs.frozen
class KindReport:
    """What exploration found for one distinct failure: a kind of violation and its subject."""

    kind: str
    subject: tuple[str, ...]
    runs: int
    first_run: int
    first_seed: int
    message: str
    token: str
    preemptions: int
    decisions: int
    original_decisions: int


@attrs.frozen
class ExploreResult:
    """Everything `threadsim explore` reports."""

    scenario: str
    strategy: str
    runs: int
    seed_start: int
    complete: bool
    interrupted: bool
    kinds: tuple[KindReport, ...]
    #: With `all`: every failing run as (kind, run number, seed, token).
    every_failure: tuple[tuple[str, int, int, str], ...] = ()
    depth: int = 0
    bound: int = 0

    @property
    def failed(self) -> bool:
        """Whether any schedule failed."""
        return bool(self.kinds)


def failures_of(metrics: RunMetrics) -> tuple[tuple[FailureKey, str], ...]:
    """The distinct failures a run showed, each with the message of its first violation, in report order
    (kinds in `KINDS` order, then by subject)."""
    first: dict[FailureKey, str] = {}
    for violation in metrics.violations:
        first.setdefault(failure_key(violation.kind, violation.subject), violation.message)
    return tuple(sorted(first.items(), key=lambda item: (KINDS.index(item[0][0]), item[0][1])))


def run_schedule(scenario: Scenario, seed: int, strategy: Strategy, footprints: Footprints | None = None,
                 max_steps: int = EXPLORE_MAX_STEPS) -> tuple[RunMetrics, Chooser]:  # fmt: skip
    """Run one controlled schedule (pass the scenario's footprints when running many)."""
    kernel = Kernel(scenario, seed=seed, strategy=strategy, max_steps=max_steps, footprints=footprints)
    kernel.run()
    return collect_metrics(kernel, seed=seed), kernel.chooser


def count_steps(scenario: Scenario, seed: int) -> int:
    """How many visible steps the default schedule takes (PCT's k)."""
    strategy = DefaultStrategy()
    run_schedule(scenario, seed, strategy)
    return max(strategy.steps, 1)


def make_strategy(name: str, seed: int, depth: int, steps: int) -> Strategy:
    """A fresh strategy for one seeded run."""
    if name == "random":
        return RandomStrategy(seed)
    if name == "pct":
        return PctStrategy(seed, depth, steps)
    raise ValueError(f"unknown strategy {name!r}")


def run_seeds(path: str, name: str, depth: int, steps: int, seeds: Sequence[int]) -> list[Outcome]:
    """Run one schedule per seed (in a worker process, or in this one)."""
    scenario = load_scenario(path)
    footprints = Footprints(scenario)
    outcomes = []
    for seed in seeds:
        metrics, chooser = run_schedule(scenario, seed, make_strategy(name, seed, depth, steps), footprints)
        outcomes.append(Outcome(seed, tuple(chooser.decisions), failures_of(metrics)))
    return outcomes


Progress = Callable[[int, int, int], None]
#: (kind, run number, seed, token) of every failing run.
EveryFailure = tuple[tuple[str, int, int, str], ...]


class Explorer:
    """Explores one scenario file."""

    def __init__(self, path: str, scenario: Scenario, scenario_hash: str) -> None:
        self.path = path
        self.scenario = scenario
        self.footprints = Footprints(scenario)
        self.hash = scenario_hash

    # -- random and pct --------------------------------------------------------------------------------

    def explore_seeds(self, name: str, runs: int, seed_start: int, *, depth: int = 2, jobs: int = 1,
                      every: bool = False, progress: Progress | None = None) -> ExploreResult:  # fmt: skip
        """Run `runs` seeded schedules with strategy `name`, then shrink the first failure of each kind."""
        steps = count_steps(self.scenario, seed_start) if name == "pct" else 0
        seeds = range(seed_start, seed_start + runs)
        tally = Tally(every)
        interrupted = False
        chunk = max(1, min(200, runs // (jobs * 4) or 1))
        chunks = [seeds[i : i + chunk] for i in range(0, len(seeds), chunk)]
        try:
            if jobs <= 1:
                for part in chunks:
                    _add(tally, run_seeds(self.path, name, depth, steps, part), progress, runs)
            else:
                with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
                    futures = [pool.submit(run_seeds, self.path, name, depth, steps, part) for part in chunks]
                    try:
                        for future in futures:  # in seed order, whatever finishes first
                            _add(tally, future.result(), progress, runs)
                    except KeyboardInterrupt:
                        for future in futures:
                            future.cancel()
                        raise
        except KeyboardInterrupt:
            interrupted = True
        kinds, every_failure = self._summarize(tally)
        return ExploreResult(self.scenario.name, name, tally.runs, seed_start, tally.runs == runs,
                             interrupted, kinds, every_failure, depth=depth)  # fmt: skip

    # -- dfs ---------------------------------------------------------------------------------------------

    def explore_dfs(self, bound: int, max_runs: int, seed: int, *, every: bool = False,
                    progress: Progress | None = None) -> ExploreResult:  # fmt: skip
        """Every schedule with at most `bound` preemptions (up to `max_runs` of them), depth first."""
        tally = Tally(every)
        prefix: list[int] = []
        complete = interrupted = False
        try:
            while tally.runs < max_runs:
                strategy = DfsStrategy(prefix)
                metrics, chooser = run_schedule(self.scenario, seed, strategy, self.footprints)
                _add(tally, [Outcome(seed, tuple(chooser.decisions), failures_of(metrics))], progress, max_runs)
                following = _next_prefix(strategy.trail, bound)
                if following is None:
                    complete = True
                    break
                prefix = following
        except KeyboardInterrupt:
            interrupted = True
        kinds, every_failure = self._summarize(tally)
        return ExploreResult(self.scenario.name, "dfs", tally.runs, seed, complete, interrupted, kinds,
                             every_failure, bound=bound)  # fmt: skip

    # -- shrinking and the summary -----------------------------------------------------------------------

    def replay(self, seed: int, decisions: Sequence[tuple[int, int]]) -> tuple[RunMetrics, Chooser, int]:
        """Replay a seed and decisions; also return how many decisions applied."""
        strategy = ReplayStrategy(dict(decisions))
        metrics, chooser = run_schedule(self.scenario, seed, strategy, self.footprints)
        return metrics, chooser, strategy.applied

    def shrink(self, seed: int, decisions: Sequence[tuple[int, int]],
               wanted: FailureKey) -> tuple[tuple[int, int], ...]:  # fmt: skip
        """The smallest set of decisions (removing one at a time, greedily) that still shows failure `wanted`."""

        def fails(candidate: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...] | None:
            metrics, chooser, _ = self.replay(seed, candidate)
            if any(key == wanted for key, _ in failures_of(metrics)):
                return tuple(chooser.decisions)
            return None

        current = fails(decisions) or tuple(decisions)
        changed = True
        while changed and current:
            changed = False
            for index in range(len(current)):
                smaller = fails(current[:index] + current[index + 1 :])
                if smaller is not None and len(smaller) < len(current):
                    current, changed = smaller, True
                    break
        return current

    def _summarize(self, tally: Tally) -> tuple[tuple[KindReport, ...], EveryFailure]:
        reports = []
        for key in sorted(tally.first, key=lambda key: (KINDS.index(key[0]), key[1])):
            number, first = tally.first[key]
            message = dict(first.failures)[key]
            shrunk = self.shrink(first.seed, first.decisions, key)
            metrics, _, _ = self.replay(first.seed, shrunk)
            shown = dict(failures_of(metrics)).get(key, message)
            token = str(ReplayToken(self.hash, first.seed, shrunk))
            preemptions = sum(1 for _, value in shrunk if value == 1)
            reports.append(KindReport(key[0], key[1], tally.counts[key], number, first.seed, shown, token,
                                      preemptions, len(shrunk), len(first.decisions)))  # fmt: skip
        every_failure = tuple(
            (key[0], number, outcome.seed, str(ReplayToken(self.hash, outcome.seed, outcome.decisions)))
            for key, number, outcome in tally.every or ()
        )
        return tuple(reports), every_failure


def _next_prefix(trail: Sequence[tuple[int, int, bool]], bound: int) -> list[int] | None:
    """The decisions of the next schedule in depth-first order, or None when every one has been run."""
    preemptions = [0]
    for _, value, is_preemption in trail:
        preemptions.append(preemptions[-1] + (1 if is_preemption and value == 1 else 0))
    for index in range(len(trail) - 1, -1, -1):
        alternatives, value, is_preemption = trail[index]
        if is_preemption:
            if value == 0 and preemptions[index] < bound:
                return [taken for _, taken, _ in trail[:index]] + [1]
        elif value + 1 < alternatives:
            return [taken for _, taken, _ in trail[:index]] + [value + 1]
    return None


def _add(tally: Tally, outcomes: Sequence[Outcome], progress: Progress | None, total: int) -> None:
    for outcome in outcomes:
        tally.add(outcome)
    if progress is not None:
        progress(tally.runs, total, tally.failed)
