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
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from simulator.analysis.footprints import Footprints
from simulator.analysis.metrics import RunMetrics, collect_metrics
from simulator.analysis.violations import Violation
from simulator.bounds import EXPLORE_MAX_STEPS, SHRINK_BUDGET
from simulator.chooser import Chooser, Strategy
from simulator.exploration.database import Entry
from simulator.exploration.results import (
    DEFAULT_BOUNDS,
    Bounds,
    Check,
    EveryFailure,
    ExploreResult,
    FailureKey,
    FailureReport,
    Outcome,
    Progress,
    SavedReplay,
    Status,
    Tally,
    check_violations,
    failure_key,
    failures_in,
    failures_of,
    report_order,
)
from simulator.exploration.shrinking import (
    Budget,
    BudgetSpent,
    Shrinking,
    ShrinkInterrupted,
    Shrunk,
    StepBudget,
)
from simulator.exploration.strategies import DefaultStrategy, DfsStrategy, PctStrategy, RandomStrategy, ReplayStrategy
from simulator.exploration.tokens import ReplayToken
from simulator.exploration.tokens import decode as decode_token
from simulator.model.kernel import DEFAULT_MAX_INSTANT_STEPS, Kernel
from simulator.program.determinism import check_deterministic
from simulator.program.python import has_python_threads
from simulator.scenario.loader import load_scenario
from simulator.scenario.model import Scenario

if TYPE_CHECKING:
    from simulator.exploration.executors import Cluster

STRATEGIES = ("random", "pct", "dfs")


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


#: The policies under which the reduced search finds everything the full one does (see `reducible`).
REDUCIBLE_POLICIES = ("fcfs", "rr")


def reducible(scenario: Scenario) -> bool:
    """Whether dfs reduces (simulator.exploration.dpor): on one CPU under fcfs or rr. On several CPUs which
    threads run at once is timing, and under a policy that ranks threads (srtf, priority, cfs ...) which one
    runs after a step depends on what each has done, not only on the order of the steps: generated programs
    found schedules the reduction lost in both cases (tests/test_dpor.py), so there it searches in full. So it
    does under fcfs with process-run.py's rules (`order`, `wakeup`, `io_wait`), which the reduction was not
    proven for."""
    machine = scenario.machine
    policy = machine.policy
    return machine.cpus == 1 and policy.name in REDUCIBLE_POLICIES and not (policy.name == "fcfs" and policy.params)


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
                for outcome, taken, counted, last in self.level_runs(level, seed):
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

    def level_runs(self, level: int, seed: int) -> Iterator[tuple[Outcome, int, bool, bool]]:
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
        ShrinkInterrupted."""
        if self.python:
            check_deterministic(self.scenario, seed, tuple(decisions), self.footprints, EXPLORE_MAX_STEPS)
        if found is None:
            found, _ = self.run(seed, ReplayStrategy(dict(decisions)))
        search = Shrinking(self, seed, wanted, budget, status, steps or StepBudget(0))
        search.best, search.best_preemptions, search.best_delays = found.decisions, found.preemptions, found.delays
        search.message = dict(found.failures).get(wanted, "")
        try:
            search.run()
        except BudgetSpent:
            search.state = "budget"
        except KeyboardInterrupt:
            search.state = "interrupted"
            raise ShrinkInterrupted(search.result()) from None
        return search.result()

    def _summarize(self, tally: Tally, shrink_budget: int = SHRINK_BUDGET,
                   status: Status | None = None) -> tuple[tuple[FailureReport, ...], EveryFailure, int]:  # fmt: skip
        """Each distinct failure, shrunk (until Ctrl-C, after which the rest are reported as found), and the
        schedules shrinking ran."""
        reports = []
        shrink_runs = 0
        interrupted = False
        steps = StepBudget(tally.steps)
        keys = sorted(tally.first, key=report_order)
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
                except ShrinkInterrupted as stop:
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
