"""Run many schedules of a scenario, find the ones that fail, and shrink each failure to its essence.

- `random` and `pct` run one schedule per seed (`seed_start`, `seed_start + 1`, ...), in parallel
  processes with `jobs > 1`; results are merged in seed order, so the report does not depend on `jobs`.
- `dfs` runs every schedule with at most `bound` preemptions (CHESS's preemption bounding; a delay, see
  simulator.model.control, counts as one), by iterative bounding: every schedule without preemption, then
  those with exactly 1, ..., each run once.
  Partial-order reduction: decisions are made only before steps that may conflict with another thread's
  (see simulator.model.kernel.is_visible and simulator.analysis.footprints); switching before any other step only
  reorders independent steps.
- A failure (a kind of violation and its subject) is shrunk to the schedule with the fewest preemptions
  that fails the same way, then the fewest decisions (see Explorer.shrink).
"""

from __future__ import annotations

import concurrent.futures
import pickle
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from simulator.analysis.footprints import Footprints
from simulator.analysis.metrics import RunMetrics, collect_metrics
from simulator.analysis.violations import Violation
from simulator.bounds import EXPLORE_MAX_STEPS, SHRINK_BUDGET
from simulator.chooser import Chooser, Strategy
from simulator.exploration.database import Entry
from simulator.exploration.strategies import DefaultStrategy, DfsStrategy, PctStrategy, RandomStrategy, ReplayStrategy
from simulator.exploration.tokens import ReplayToken
from simulator.exploration.tokens import decode as decode_token
from simulator.model.kernel import DEFAULT_MAX_INSTANT_STEPS, Kernel
from simulator.program.python import check_deterministic, has_python_threads
from simulator.scenario.loader import load_scenario
from simulator.scenario.model import Scenario

if TYPE_CHECKING:
    from simulator.exploration.executors import Cluster

STRATEGIES = ("random", "pct", "dfs")
#: Violation kinds, in the order reports list them.
KINDS = ("expect", "assert", "deadlock", "data_race", "misuse", "step_bound", "livelock", "overflow")
#: The bounds of one explored run: (max_steps, max_instant_steps; None: no livelock check).
Bounds = tuple[int, int | None]
DEFAULT_BOUNDS: Bounds = (EXPLORE_MAX_STEPS, DEFAULT_MAX_INSTANT_STEPS)
#: Steps shrinking may take for all failures together, at least (beyond that, as many as the search took).
SHRINK_STEP_FLOOR = 1_000_000


#: Which failure a violation is: its kind and its subject (which expectation, assertion, variable, cycle or
#: misuse; `Violation.subject`). A violation with no subject is known by its kind alone.
FailureKey = tuple[str, tuple[str, ...]]


def failure_key(kind: str, subject: tuple[str, ...]) -> FailureKey:
    """What "the same failure" means for grouping and shrinking: the kind and the structured subject, never
    the message, whose values (times, counts, what was read) differ between runs of one failure."""
    return (kind, tuple(subject))


@attrs.frozen
class Outcome:
    """One schedule: its seed, its non-default decisions (how many of them preemptions, how many delays), and
    the distinct failures it showed (key, message)."""

    seed: int
    decisions: tuple[tuple[int, int], ...]
    failures: tuple[tuple[FailureKey, str], ...]
    preemptions: int = 0
    delays: int = 0

    @property
    def switches(self) -> int:
        """The decisions that count against a preemption bound: preemptions and delays."""
        return self.preemptions + self.delays


class Tally:
    """What the summary needs of the schedules run so far, kept as they come: how many ran and failed, and
    per distinct failure how many runs showed it and the first one that did (with `every`, every failing run).
    Memory does not grow with the number of runs (except for `every`'s list), nor does the work per run."""

    def __init__(self, every: bool) -> None:
        self.runs = 0
        self.failed = 0
        #: Steps the runs took, all together: shrinking is measured against it.
        self.steps = 0
        self.counts: dict[FailureKey, int] = {}
        #: Per distinct failure, the first failing run's number and outcome.
        self.first: dict[FailureKey, tuple[int, Outcome]] = {}
        #: With `every`: (failure, run number, outcome) of every failure, in run order.
        self.every: list[tuple[FailureKey, int, Outcome]] | None = [] if every else None

    def add(self, outcome: Outcome, steps: int = 0, number: int | None = None) -> None:
        """Count one run; `number` is its place in the whole search (by default, the next)."""
        number = self.runs if number is None else number
        self.runs += 1
        self.steps += steps
        if outcome.failures:
            self.failed += 1
        for key, _ in outcome.failures:
            self.counts[key] = self.counts.get(key, 0) + 1
            self.first.setdefault(key, (number, outcome))
            if self.every is not None:
                self.every.append((key, number, outcome))


@attrs.frozen
class FailureReport:
    """What exploration found for one distinct failure: a kind of violation and its subject.

    `preemptions`, `delays` and `picks` count the shrunk token's decisions: a preemption takes the CPU from a
    running thread for a ready one; a delay takes it when nobody is ready, until another thread steps; a pick
    runs another ready thread than the policy would on a free CPU. `original_*` count the first failing
    schedule's."""

    kind: str
    subject: tuple[str, ...]
    runs: int
    first_run: int
    first_seed: int
    message: str
    token: str
    preemptions: int
    picks: int
    original_preemptions: int
    original_picks: int
    #: How the search for fewer preemptions ended: "fewest" (no schedule with fewer fails so), "budget"
    #: (the shrink budget ran out first) or "interrupted" (Ctrl-C).
    shrink_state: str = "fewest"
    delays: int = 0
    original_delays: int = 0
    #: The shrunk schedule's interleaving, as report lines (simulator.exploration.interleaving; filled in by
    #: the explore command, after the search).
    interleaving: tuple[str, ...] = ()

    def decision_counts(self) -> str:
        """The shrunk token's decisions in words: "1 preemption, 0 delays and 0 picks"."""
        return count_decisions(self.preemptions, self.delays, self.picks)

    def original_decision_counts(self) -> str:
        """The first failing schedule's decisions in words."""
        return count_decisions(self.original_preemptions, self.original_delays, self.original_picks)


def count_decisions(preemptions: int, delays: int, picks: int) -> str:
    """Decision counts in words: "2 preemptions, 1 delay and 0 picks"."""
    words = [f"{number} {word}{'' if number == 1 else 's'}"
             for number, word in ((preemptions, "preemption"), (delays, "delay"), (picks, "pick"))]  # fmt: skip
    return f"{words[0]}, {words[1]} and {words[2]}"


#: Why a search stopped before its end: the --runs limit, the --time-budget, or Ctrl-C.
STOP_REASONS = ("runs", "time_budget", "interrupted")


@attrs.frozen
class ExploreResult:
    """Everything `threadsim explore` reports."""

    scenario: str
    strategy: str
    runs: int
    seed_start: int
    #: Whether the search ran to its end (every seed asked for; for dfs, every schedule within the bound).
    complete: bool
    #: None when complete; else one of STOP_REASONS.
    stopped_by: str | None
    failures: tuple[FailureReport, ...]
    #: With `all`: every failing run as (kind, run number, seed, token).
    every_failure: tuple[tuple[str, int, int, str], ...] = ()
    depth: int = 0
    bound: int = 0
    #: dfs: the largest bound within which every schedule ran (-1: not even bound 0).
    proven_bound: int = -1
    #: The budgets given: --runs (None: none) and --time-budget as the user wrote it (None: none).
    runs_limit: int | None = None
    time_budget: str | None = None
    #: Schedules shrinking ran, for every failure together.
    shrink_runs: int = 0
    #: The failure database's directory for this scenario (None: no database), and the saved failing
    #: schedules replayed before the search.
    database: str | None = None
    saved: tuple[SavedReplay, ...] = ()
    #: Each run's step bound and livelock bound (the reproduce commands repeat them when not the defaults).
    bounds: Bounds = DEFAULT_BOUNDS
    #: dfs: whether dynamic partial-order reduction chose the schedules (simulator.exploration.dpor).
    reduced: bool = False

    @property
    def failed(self) -> bool:
        """Whether any schedule failed (a saved one that still fails included)."""
        return bool(self.failures) or any(replay.still_fails for replay in self.saved)

    @property
    def interrupted(self) -> bool:
        """Whether Ctrl-C stopped the search."""
        return self.stopped_by == "interrupted"

    def _repr_html_(self) -> str:
        """A notebook's view: what was searched and a table of the failures (simulator.notebook)."""
        from simulator.notebook import explore_html

        return explore_html(self)

    def to_records(self) -> list[dict[str, object]]:
        """One dict per distinct failure (and per saved failure replayed first)."""
        from simulator.notebook import explore_records

        return explore_records(self)

    def to_dataframe(self) -> Any:
        """`to_records()` as a pandas DataFrame (needs the `pandas` extra)."""
        from simulator.notebook import explore_records, to_dataframe

        return to_dataframe(explore_records(self))


@attrs.frozen
class SavedReplay:
    """A saved failing schedule replayed before a search: whether it still shows the failure it was saved
    with, and that failure's message now (or when saved, if it passes now)."""

    token: str
    kind: str
    subject: tuple[str, ...]
    still_fails: bool
    message: str


#: A check of a run's metrics, beyond the scenario's own expectations: it fails a schedule by raising
#: AssertionError (a plain `assert` does).
Check = Callable[[RunMetrics], object]


def check_violations(check: Check, metrics: RunMetrics) -> list[Violation]:
    """The violation a check's AssertionError makes (kind `expect`, subject `("check <name>",)`), or none."""
    try:
        check(metrics)
    except AssertionError as error:
        name = getattr(check, "__qualname__", type(check).__name__)
        detail = str(error).splitlines()[0] if str(error) else "an assertion failed"
        return [Violation("expect", metrics.end_time, None, f"check {name}: {detail}", (f"check {name}",))]
    return []


def failures_of(metrics: RunMetrics) -> tuple[tuple[FailureKey, str], ...]:
    """The distinct failures a run showed, each with the message of its first violation, in report order
    (kinds in `KINDS` order, then by subject)."""
    return failures_in(metrics.violations)


def failures_in(violations: Sequence[Violation]) -> tuple[tuple[FailureKey, str], ...]:
    """`failures_of` for a run's violations."""
    first: dict[FailureKey, str] = {}
    for violation in violations:
        first.setdefault(failure_key(violation.kind, violation.subject), violation.message)
    return tuple(sorted(first.items(), key=lambda item: _order(item[0])))


def _order(key: FailureKey) -> tuple[int, tuple[str, ...]]:
    return (KINDS.index(key[0]), key[1])


def run_schedule(scenario: Scenario, seed: int, strategy: Strategy, footprints: Footprints | None = None,
                 max_steps: int = EXPLORE_MAX_STEPS,
                 max_instant_steps: int | None = DEFAULT_MAX_INSTANT_STEPS) -> tuple[RunMetrics, Chooser]:  # fmt: skip
    """Run one controlled schedule (pass the scenario's footprints when running many) within the step bound and
    the livelock bound."""
    kernel = Kernel(scenario, seed=seed, strategy=strategy, max_steps=max_steps, max_instant_steps=max_instant_steps,
                    footprints=footprints)  # fmt: skip
    kernel.run()
    return collect_metrics(kernel, seed=seed), kernel.chooser


def outcome_of(seed: int, metrics: RunMetrics, chooser: Chooser) -> Outcome:
    """What the tally keeps of one run."""
    return Outcome(seed, tuple(chooser.decisions), failures_of(metrics), chooser.preemptions, chooser.delays)


def count_steps(scenario: Scenario, seed: int, bounds: Bounds = DEFAULT_BOUNDS) -> int:
    """How many visible steps the default schedule takes (PCT's k)."""
    strategy = DefaultStrategy()
    run_schedule(scenario, seed, strategy, None, *bounds)
    return max(strategy.steps, 1)


def make_strategy(name: str, seed: int, depth: int, steps: int) -> Strategy:
    """A fresh strategy for one seeded run."""
    if name == "random":
        return RandomStrategy(seed)
    if name == "pct":
        return PctStrategy(seed, depth, steps)
    raise ValueError(f"unknown strategy {name!r}")


#: A worker process's explorer, made once per worker by `_start_worker`.
_worker: Explorer | None = None


def _start_worker(scenario: Scenario, check: Check | None = None, bounds: Bounds = DEFAULT_BOUNDS) -> None:
    """A worker process's start: ignore Ctrl-C (the parent hears it) and keep the scenario (and check, and
    bounds) it was sent."""
    global _worker
    _ignore_ctrl_c()
    _worker = Explorer("<worker>", scenario, "", bounds, check=check)


def run_seeds(source: str | Scenario | None, name: str, depth: int, steps: int, seeds: Sequence[int],
              bounds: Bounds = DEFAULT_BOUNDS) -> list[tuple[Outcome, int]]:  # fmt: skip
    """Run one schedule per seed in a worker process; each outcome with the steps its run took.

    `source` is the scenario file's path, or the scenario itself, or None for the one the worker was
    started with (the explorer sends its scenario object to every worker once, pickled, so that the
    workers run exactly what the parent explores, also a scenario built in Python)."""
    if source is None:
        assert _worker is not None, "run_seeds(None, ...) outside a worker started by _start_worker"
        return [_worker.run(seed, make_strategy(name, seed, depth, steps)) for seed in seeds]
    scenario = load_scenario(source) if isinstance(source, str) else source
    footprints = Footprints(scenario)
    outcomes = []
    for seed in seeds:
        metrics, chooser = run_schedule(scenario, seed, make_strategy(name, seed, depth, steps), footprints, *bounds)
        outcomes.append((outcome_of(seed, metrics, chooser), metrics.steps))
    return outcomes


#: Told (schedules done, schedules to do or 0 if not known, schedules failing) as a search goes.
Progress = Callable[[int, int, int], None]
#: Told a line of text saying how a later phase (shrinking) goes.
Status = Callable[[str], None]
#: (kind, run number, seed, token) of every failing run.
EveryFailure = tuple[tuple[str, int, int, str], ...]


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


#: The policies under which the reduced search finds everything the full one does (see `reducible`).
REDUCIBLE_POLICIES = ("fcfs", "rr")


def reducible(scenario: Scenario) -> bool:
    """Whether dfs reduces (simulator.exploration.dpor): on one CPU under fcfs or rr. On several CPUs which
    threads run at once is timing, and under a policy that ranks threads (srtf, priority, cfs ...) which one
    runs after a step depends on what each has done, not only on the order of the steps: generated programs
    found schedules the reduction lost in both cases (tests/test_dpor.py), so there it searches in full."""
    machine = scenario.machine
    return machine.cpus == 1 and machine.policy.name in REDUCIBLE_POLICIES


class Explorer:
    """Explores one scenario (loaded from the file at `path`, or built in Python: `path` is then only a
    name). Every schedule, in this process or in workers, runs the `scenario` object given."""

    def __init__(self, path: str, scenario: Scenario, scenario_hash: str, bounds: Bounds = DEFAULT_BOUNDS, *,
                 check: Check | None = None) -> None:  # fmt: skip
        """`bounds`: each run's step bound and livelock bound (--max-steps, --max-steps-per-instant)."""
        self.bounds = bounds
        self.path = path
        self.scenario = scenario
        self.footprints = Footprints(scenario)
        self.hash = scenario_hash
        #: Some thread is written in Python: a failing schedule is run twice first, to tell a nondeterministic
        #: body (NondeterministicBodyError) from a real failure.
        self.python = has_python_threads(scenario)
        #: Called with every schedule's metrics; an AssertionError it raises fails the schedule.
        self.check = check
        #: Whether a schedule's data races can fail it (`no_data_race`, or a check, which sees the metrics):
        #: otherwise the schedules run without the race detector (the replays that explain a failure have it).
        self.races_matter = check is not None or any(e.text == "no_data_race" for e in scenario.expect)

    def run(self, seed: int, strategy: Strategy) -> tuple[Outcome, int]:
        """Run one schedule; its outcome and how many steps it took. It reads the violations off the kernel
        and leaves the metrics uncomputed: the search needs nothing else (9% of a counter schedule's time)."""
        kernel = Kernel(self.scenario, seed=seed, strategy=strategy, max_steps=self.bounds[0],
                        max_instant_steps=self.bounds[1], footprints=self.footprints,
                        detect_races=self.races_matter)  # fmt: skip
        kernel.run()
        chooser = kernel.chooser
        violations: Sequence[Violation] = kernel.violations
        if self.check is not None:  # only then are the metrics computed
            violations = [*violations, *check_violations(self.check, collect_metrics(kernel, seed=seed))]
        outcome = Outcome(seed, tuple(chooser.decisions), failures_in(violations), chooser.preemptions,
                          chooser.delays)  # fmt: skip
        return outcome, kernel.steps

    # -- random and pct --------------------------------------------------------------------------------

    def explore_seeds(self, name: str, runs: int, seed_start: int, *, depth: int = 2, jobs: int = 1,
                      every: bool = False, progress: Progress | None = None, seconds: float | None = None,
                      time_budget: str | None = None, shrink_budget: int = SHRINK_BUDGET,
                      status: Status | None = None) -> ExploreResult:  # fmt: skip
        """Run `runs` seeded schedules with strategy `name` (fewer if `seconds` run out first), then shrink the
        first schedule of each distinct failure."""
        tally, stopped_by = self.tally_seeds(name, runs, seed_start, depth=depth, jobs=jobs, every=every,
                                             progress=progress, seconds=seconds)  # fmt: skip
        return self.result_of_seeds(tally, stopped_by, name, runs, seed_start, depth=depth, time_budget=time_budget,
                                    shrink_budget=shrink_budget, status=status)  # fmt: skip

    def result_of_seeds(self, tally: Tally, stopped_by: str | None, name: str, runs: int, seed_start: int, *,
                        depth: int = 2, time_budget: str | None = None, shrink_budget: int = SHRINK_BUDGET,
                        status: Status | None = None) -> ExploreResult:  # fmt: skip
        """The report of a random or pct search from its tally (of one job, or merged from shards)."""
        failures, every_failure, shrink_runs = self._summarize(tally, shrink_budget, status)
        return ExploreResult(self.scenario.name, name, tally.runs, seed_start, stopped_by is None, stopped_by,
                             failures, every_failure, depth=depth, runs_limit=runs, time_budget=time_budget,
                             shrink_runs=shrink_runs, bounds=self.bounds)  # fmt: skip

    def tally_seeds(self, name: str, runs: int, seed_start: int, *, depth: int = 2, jobs: int = 1,
                    every: bool = False, progress: Progress | None = None, seconds: float | None = None,
                    shard: tuple[int, int] = (1, 1),
                    cluster: Cluster | None = None) -> tuple[Tally, str | None]:  # fmt: skip
        """Run the schedules of a random or pct search (with `shard` (K, N), the K-th of N shares: the runs
        whose number is K-1 modulo N; with `cluster`, on a Ray or Dask cluster, simulator.exploration.executors);
        the tally, and why it stopped early (None: it ran them all)."""
        tally = Tally(every)
        budget = Budget(None, seconds)
        index, count = shard
        numbers = range(index - 1, runs, count)
        stopped_by: str | None = None
        try:
            steps = count_steps(self.scenario, seed_start, self.bounds) if name == "pct" else 0
            if cluster is not None:
                seeds = [seed_start + number for number in numbers]
                stopped_by = self._seeds_on_cluster(cluster, name, seeds, seed_start, depth, steps, tally, budget,
                                                    progress)  # fmt: skip
            elif jobs <= 1:
                # One schedule at a time, each added as it ends: Ctrl-C loses at most the one running.
                for number in numbers:
                    stopped_by = budget.spent(tally.runs)
                    if stopped_by is not None:
                        break
                    seed = seed_start + number
                    outcome, taken = self.run(seed, make_strategy(name, seed, depth, steps))
                    tally.add(outcome, taken, number)
                    if progress is not None:
                        progress(tally.runs, len(numbers), tally.failed)
            else:
                seeds = [seed_start + number for number in numbers]
                stopped_by = self._seeds_in_pool(name, seeds, seed_start, depth, steps, jobs, tally, budget, progress)
        except KeyboardInterrupt:
            stopped_by = "interrupted"
        return tally, stopped_by

    def _seeds_in_pool(self, name: str, seeds: Sequence[int], seed_start: int, depth: int, steps: int, jobs: int,
                       tally: Tally, budget: Budget, progress: Progress | None) -> str | None:  # fmt: skip
        """Run the seeds in `jobs` processes, in chunks, adding results in seed order; why it stopped early."""
        chunk = max(1, min(200, len(seeds) // (jobs * 4) or 1))
        chunks = [seeds[i : i + chunk] for i in range(0, len(seeds), chunk)]
        # Workers ignore Ctrl-C: this process hears it, keeps the chunks that ended and cancels the rest.
        # Each worker gets the scenario object once (never reloaded from the path: it may have none).
        _check_picklable(self.scenario, self.check)
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, initializer=_start_worker, initargs=(self.scenario, self.check, self.bounds)
        ) as pool:
            futures = [pool.submit(run_seeds, None, name, depth, steps, part) for part in chunks]
            try:
                for future in futures:  # in seed order, whatever finishes first
                    stopped_by = budget.spent(tally.runs)
                    if stopped_by == "time_budget":
                        return stopped_by
                    for outcome, taken in future.result():
                        tally.add(outcome, taken, outcome.seed - seed_start)
                    if progress is not None:
                        progress(tally.runs, len(seeds), tally.failed)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        return None

    def _seeds_on_cluster(self, cluster: Cluster, name: str, seeds: Sequence[int], seed_start: int, depth: int,
                          steps: int, tally: Tally, budget: Budget,
                          progress: Progress | None) -> str | None:  # fmt: skip
        """Run the seeds on a cluster, in chunks, adding results in seed order; why it stopped early."""
        chunks = cluster.run(name, depth, steps, seeds)
        try:
            for chunk in chunks:
                for outcome, taken in chunk:
                    tally.add(outcome, taken, outcome.seed - seed_start)
                if progress is not None:
                    progress(tally.runs, len(seeds), tally.failed)
                stopped_by = budget.spent(tally.runs)
                if stopped_by == "time_budget" and tally.runs < len(seeds):
                    return stopped_by
        finally:
            chunks.close()  # cancels the chunks not taken
        return None

    # -- dfs ---------------------------------------------------------------------------------------------

    def explore_dfs(self, bound: int, max_runs: int | None = None, seed: int = 0, *, every: bool = False,
                    progress: Progress | None = None, seconds: float | None = None, time_budget: str | None = None,
                    shrink_budget: int = SHRINK_BUDGET, status: Status | None = None,
                    reduce: bool = True) -> ExploreResult:  # fmt: skip
        """Every schedule with at most `bound` preemptions, by iterative preemption bounding: every schedule
        with no preemption, then every one with exactly 1, then exactly 2 ..., each run once, depth first
        within a bound; with `reduce`, only those dynamic partial-order reduction tells apart (see
        simulator.exploration.dpor). Stops early after `max_runs` schedules or `seconds` of wall-clock time."""
        tally = Tally(every)
        budget = Budget(max_runs, seconds)
        reduce = reduce and reducible(self.scenario)
        if reduce:
            from simulator.exploration.dpor import search

            stopped_by, proven = search(lambda strategy: self.run(seed, strategy), bound, tally, budget, progress,
                                        max_runs)  # fmt: skip
        else:
            stopped_by, proven = self._search_levels(bound, seed, tally, budget, progress, max_runs)
        failures, every_failure, shrink_runs = self._summarize(tally, shrink_budget, status)
        return ExploreResult(self.scenario.name, "dfs", tally.runs, seed, stopped_by is None, stopped_by, failures,
                             every_failure, bound=bound, proven_bound=proven, runs_limit=max_runs,
                             time_budget=time_budget, shrink_runs=shrink_runs, bounds=self.bounds,
                             reduced=reduce)  # fmt: skip

    def _search_levels(self, bound: int, seed: int, tally: Tally, budget: Budget, progress: Progress | None,
                       max_runs: int | None) -> tuple[str | None, int]:  # fmt: skip
        """The unreduced search: every decision at every point, bound 0, then 1, ... up to `bound`; why it
        stopped early (None: it ran to its end; "interrupted" for Ctrl-C) and the largest bound proven."""
        proven = -1
        try:
            for level in range(bound + 1):
                reached = False
                stopped_by = budget.spent(tally.runs)
                if stopped_by is not None:
                    return stopped_by, proven
                for outcome, taken, counted, last in self._level(level, seed):
                    if counted:
                        reached = True
                        tally.add(outcome, taken)
                        if progress is not None:
                            progress(tally.runs, max_runs or 0, tally.failed)
                    if not last:
                        stopped_by = budget.spent(tally.runs)
                        if stopped_by is not None:
                            return stopped_by, proven
                if not reached:
                    # No schedule has `level` preemptions (and delays), so none has more: every one has run.
                    return None, bound
                proven = level
        except KeyboardInterrupt:
            return "interrupted", proven
        return None, proven

    def _level(self, level: int, seed: int) -> Iterator[tuple[Outcome, int, bool, bool]]:
        """Every run of the depth-first search for schedules with exactly `level` preemptions, in order: its
        outcome, its steps, whether it counts (a run that found fewer places to preempt than `level` is a
        schedule of a smaller bound, which that bound's search already ran), and whether it is the last."""
        prefix: list[int] | None = []
        while prefix is not None:
            strategy = DfsStrategy(prefix, level)
            outcome, taken = self.run(seed, strategy)
            prefix = _next_prefix(strategy.trail)
            yield outcome, taken, outcome.switches == level, prefix is None

    def replay_saved(self, entries: Sequence[Entry]) -> tuple[SavedReplay, ...]:
        """Replay saved failing schedules (from the failure database), in order."""
        replays = []
        for entry in entries:
            token = decode_token(entry.token)
            outcome, _ = self.run(token.seed, ReplayStrategy(dict(token.decisions), token.delays))
            message = dict(outcome.failures).get(failure_key(entry.kind, entry.subject))
            replays.append(SavedReplay(entry.token, entry.kind, entry.subject, message is not None,
                                       entry.message if message is None else message))  # fmt: skip
        return tuple(replays)

    # -- shrinking and the summary -----------------------------------------------------------------------

    def replay(self, seed: int, decisions: Sequence[tuple[int, int]]) -> tuple[RunMetrics, Chooser, int]:
        """Replay a seed and decisions; also return how many decisions applied."""
        if self.python:
            check_deterministic(self.scenario, seed, tuple(decisions), self.footprints, EXPLORE_MAX_STEPS)
        strategy = ReplayStrategy(dict(decisions))
        metrics, chooser = run_schedule(self.scenario, seed, strategy, self.footprints, *self.bounds)
        return metrics, chooser, strategy.applied

    def shrink(self, seed: int, decisions: Sequence[tuple[int, int]], wanted: FailureKey,
               budget: int = SHRINK_BUDGET, status: Status | None = None,
               found: Outcome | None = None, steps: StepBudget | None = None) -> Shrunk:  # fmt: skip
        """The schedule with the fewest preemptions, then the fewest decisions, that still shows failure
        `wanted`, found within `budget` schedules:

        1. the plain run, if it fails so (no decision at all);
        2. the failing decisions with one removed at a time, keeping any smaller set that still fails (quick,
           and it often reaches the fewest preemptions at once);
        3. iterative preemption bounding below what that reached: every schedule with 0 preemptions, then 1,
           ..., with the same seed, until one fails so: it has the fewest preemptions that can;
        4. the picks of that schedule removed one at a time, as in 2, keeping its preemptions.

        `found` is the failing run's outcome when known (saving a replay); `steps` the steps shrinking may
        take (by default SHRINK_STEP_FLOOR). Ctrl-C stops it with the best schedule found so far, raised as
        _Interrupted."""
        if self.python:
            check_deterministic(self.scenario, seed, tuple(decisions), self.footprints, EXPLORE_MAX_STEPS)
        if found is None:
            found, _ = self.run(seed, ReplayStrategy(dict(decisions)))
        search = _Shrinking(self, seed, wanted, budget, status, steps or StepBudget(0))
        search.best, search.best_preemptions, search.best_delays = found.decisions, found.preemptions, found.delays
        search.message = dict(found.failures).get(wanted, "")
        try:
            search.run()
        except _BudgetSpent:
            search.state = "budget"
        except KeyboardInterrupt:
            search.state = "interrupted"
            raise _Interrupted(search.result()) from None
        return search.result()

    def _summarize(self, tally: Tally, shrink_budget: int = SHRINK_BUDGET,
                   status: Status | None = None) -> tuple[tuple[FailureReport, ...], EveryFailure, int]:  # fmt: skip
        """Each distinct failure, shrunk (until Ctrl-C, after which the rest are reported as found), and the
        schedules shrinking ran."""
        reports = []
        shrink_runs = 0
        interrupted = False
        steps = StepBudget(tally.steps)
        keys = sorted(tally.first, key=_order)
        for index, key in enumerate(keys):
            number, first = tally.first[key]
            message = dict(first.failures)[key]
            if interrupted:
                shrunk = Shrunk(first.decisions, first.preemptions, "interrupted", 0, message, first.delays)
            else:
                label = f"shrinking failure {index + 1} of {len(keys)} ({key[0]})"
                try:
                    shrunk = self.shrink(first.seed, first.decisions, key, shrink_budget,
                                         _labelled(status, label), first, steps)  # fmt: skip
                except _Interrupted as stop:
                    shrunk, interrupted = stop.shrunk, True
            shrink_runs += shrunk.runs
            token = str(ReplayToken(self.hash, first.seed, shrunk.decisions))
            picks = len(shrunk.decisions) - shrunk.preemptions - shrunk.delays
            reports.append(FailureReport(
                key[0], key[1], tally.counts[key], number, first.seed, shrunk.message or message, token,
                shrunk.preemptions, picks, first.preemptions, len(first.decisions) - first.switches,
                shrunk.state, delays=shrunk.delays, original_delays=first.delays,
            ))  # fmt: skip
        every_failure = tuple(
            (key[0], number, outcome.seed, str(ReplayToken(self.hash, outcome.seed, outcome.decisions)))
            for key, number, outcome in tally.every or ()
        )
        return tuple(reports), every_failure, shrink_runs


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


class _BudgetSpent(Exception):
    """Shrinking ran as many schedules as it may."""


class _Interrupted(Exception):
    """Ctrl-C during shrinking; carries the best schedule found before it."""

    def __init__(self, shrunk: Shrunk) -> None:
        super().__init__("interrupted")
        self.shrunk = shrunk


class _Shrinking:
    """The state of one shrinking search (see Explorer.shrink)."""

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
            raise _BudgetSpent
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
            for outcome, taken, counted, _ in self.explorer._level(level, self.seed):
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


def _check_picklable(scenario: Scenario, check: Check | None) -> None:
    """Raise a clear error, before any worker starts, if `scenario` (or `check`) cannot be sent to worker
    processes."""
    try:
        pickle.dumps((scenario, check))
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise ValueError(
            f"scenario {scenario.name!r} cannot be sent to worker processes ({error}); "
            f"explore it with jobs=1, or define its Python parts at module level"
        ) from None


def _ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _labelled(status: Status | None, label: str) -> Status | None:
    if status is None:
        return None
    return lambda text: status(f"{label}: {text}")


def _next_prefix(trail: Sequence[tuple[int, int, bool]]) -> list[int] | None:
    """The decisions of the next schedule of one bound's depth-first search, or None when every one has run.

    Within a bound the search preempts at the first places it can and backtracks from the last decision: a
    preemption taken is next not taken (the run then preempts at later places instead, see DfsStrategy); a
    pick takes the next ready thread. A preemption not taken has no alternative left: either its turn came
    already, or the bound was reached."""
    for index in range(len(trail) - 1, -1, -1):
        alternatives, value, is_preemption = trail[index]
        if is_preemption:
            if value == 1:
                return [taken for _, taken, _ in trail[:index]] + [0]
        elif value + 1 < alternatives:
            return [taken for _, taken, _ in trail[:index]] + [value + 1]
    return None
