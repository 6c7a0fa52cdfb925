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


@attrs.frozen
class Outcome:
    """One schedule: its seed, its non-default decisions, and the failures it showed (kind, message)."""

    seed: int
    decisions: tuple[tuple[int, int], ...]
    failures: tuple[tuple[str, str], ...]


class Tally:
    """What the summary needs of the schedules run so far, kept as they come: how many ran and failed, and
    per kind of failure how many runs showed it and the first one that did (with `every`, every failing run).
    Memory does not grow with the number of runs (except for `every`'s list), nor does the work per run."""

    def __init__(self, every: bool) -> None:
        self.runs = 0
        self.failed = 0
        self.counts: dict[str, int] = {}
        #: Per kind, the first failing run's number and outcome.
        self.first: dict[str, tuple[int, Outcome]] = {}
        #: With `every`: (kind, run number, outcome) of every failure, in run order.
        self.every: list[tuple[str, int, Outcome]] | None = [] if every else None

    def add(self, outcome: Outcome) -> None:
        number = self.runs
        self.runs += 1
        if outcome.failures:
            self.failed += 1
        for kind, _ in outcome.failures:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.first.setdefault(kind, (number, outcome))
            if self.every is not None:
                self.every.append((kind, number, outcome))


@attrs.frozen
class KindReport:
    """What exploration found for one kind of violation."""

    kind: str
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


def signature(kind: str, message: str) -> str:
    """What "failing the same way" means for shrinking: the kind, and which expectation, assertion,
    variable or misuse (not the values, which shrinking may change)."""
    if kind == "expect":
        return f"expect: {message.split(' is false')[0].split(' cannot be checked')[0]}"
    if kind == "assert":
        return f"assert: {message.split(' (')[0]}"
    if kind == "data_race":
        return f"data_race: {message.split(':')[0]}"
    if kind == "misuse":
        return f"misuse: {message}"
    return kind


def failures_of(metrics: RunMetrics) -> tuple[tuple[str, str], ...]:
    """The first violation of each kind a run showed, in report order."""
    first: dict[str, str] = {}
    for violation in metrics.violations:
        first.setdefault(violation.kind, violation.message)
    return tuple((kind, first[kind]) for kind in KINDS if kind in first)


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

    def shrink(self, seed: int, decisions: Sequence[tuple[int, int]], kind: str,
               message: str) -> tuple[tuple[int, int], ...]:  # fmt: skip
        """The smallest set of decisions (removing one at a time, greedily) that still fails the same way."""
        wanted = signature(kind, message)

        def fails(candidate: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...] | None:
            metrics, chooser, _ = self.replay(seed, candidate)
            if any(signature(k, m) == wanted for k, m in failures_of(metrics)):
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
        for kind in KINDS:
            if kind not in tally.first:
                continue
            number, first = tally.first[kind]
            message = dict(first.failures)[kind]
            shrunk = self.shrink(first.seed, first.decisions, kind, message)
            metrics, _, _ = self.replay(first.seed, shrunk)
            shown = dict(failures_of(metrics)).get(kind, message)
            token = str(ReplayToken(self.hash, first.seed, shrunk))
            preemptions = sum(1 for _, value in shrunk if value == 1)
            reports.append(KindReport(kind, tally.counts[kind], number, first.seed, shown, token, preemptions,
                                      len(shrunk), len(first.decisions)))  # fmt: skip
        every_failure = tuple(
            (kind, number, outcome.seed, str(ReplayToken(self.hash, outcome.seed, outcome.decisions)))
            for kind, number, outcome in tally.every or ()
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
