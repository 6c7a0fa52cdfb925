"""Explore and replay from Python: what `threadsim explore` and `threadsim replay` do, as function calls on a
scenario object (loaded from a file or built in Python), returning the objects the command line renders.

    result = explore(scenario, strategy="dfs", preemption_bound=2)
    for failure in result.failures:
        print(failure.kind, failure.token)
        metrics = replay(scenario, failure.token)

Replay tokens carry a hash of the scenario (`scenario_hash_of`): for a scenario loaded from a file that is
unchanged, the file's hash, as the command line's tokens carry, so that tokens work in both; for any other
scenario a hash of its content (`simulator.exploration.tokens.content_hash`): the same for the same
machine, processes, programs and expectations in every process and Python version, whatever the file
names, line numbers or object identities.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import attrs

from simulator.analysis.metrics import RunMetrics
from simulator.bounds import DEFAULT_MAX_STEPS, DEFAULT_RUNS, SHRINK_BUDGET
from simulator.exploration.database import Entry, FailureDatabase
from simulator.exploration.explorer import STRATEGIES, Explorer
from simulator.exploration.results import Check, ExploreResult
from simulator.exploration.strategies import ReplayStrategy
from simulator.exploration.tokens import ReplayToken, content_hash, decode, scenario_hash
from simulator.scenario.loader import load_scenario
from simulator.scenario.model import Scenario
from simulator.simulation import simulate
from simulator.trace import Listener
from simulator.validation import validate


class TokenMismatchWarning(UserWarning):
    """A replay token made for another version of the scenario: its decisions are replayed as far as they fit."""


def scenario_hash_of(scenario: Scenario) -> str:
    """The hash replay tokens of `scenario` carry: its file's, if it was loaded from a file that still holds
    it, else the hash of its content."""
    if scenario.file:
        path = Path(scenario.file)
        try:
            if path.is_file() and load_scenario(path) == scenario:
                return scenario_hash(path)
        except Exception:  # noqa: BLE001 - a file that no longer loads is simply not this scenario's
            pass
    return content_hash(scenario)


def explore(
    scenario: Scenario,
    strategy: str = "random",
    *,
    runs: int | None = None,
    preemption_bound: int = 2,
    depth: int = 2,
    seed_start: int = 0,
    jobs: int = 1,
    time_budget: float | None = None,
    shrink: bool = True,
    shrink_budget: int = SHRINK_BUDGET,
    every: bool = False,
    database: str | Path | None = None,
    check: Check | None = None,
    reduce: bool = True,
) -> ExploreResult:
    """Run many schedules of `scenario` and report each distinct failure with a shrunk replay token, as
    `threadsim explore` does.

    `strategy`: "random" or "pct" run one schedule per seed from `seed_start` (`runs` of them, 1000 by
    default; `depth` is PCT's), "dfs" every schedule with at most `preemption_bound` preemptions (at most
    `runs`, if given). `jobs` > 1 runs random and pct schedules in that many processes (the scenario is sent
    to them pickled; the result does not depend on `jobs`). `time_budget` (seconds) stops the search early.
    `shrink=False` reports each failure's first schedule as found. `database`: a failure-database directory
    (as `.threadsim`): its saved failing schedules of this scenario are replayed first (`result.saved`), those
    that pass now are forgotten, and every failure found is saved. `check(metrics)` is called with every
    schedule's RunMetrics: an AssertionError it raises fails the schedule (as an `expect` failure named after
    the check), for properties beyond the scenario's `expect` list; with `jobs` > 1 it must be picklable
    (a function defined at module level). `reduce=False` makes dfs run every schedule within the bound,
    without dynamic partial-order reduction.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    for name, value, least in (("runs", runs, 1), ("preemption_bound", preemption_bound, 0), ("depth", depth, 1),
                               ("seed_start", seed_start, 0), ("jobs", jobs, 1)):  # fmt: skip
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < least):
            raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}")
    if time_budget is not None and time_budget <= 0:
        raise ValueError(f"time_budget must be a positive number of seconds, got {time_budget!r}")
    scenario = validate(scenario)
    digest = scenario_hash_of(scenario)
    explorer = Explorer(scenario.file or "<python>", scenario, digest, check=check)
    saved_failures = FailureDatabase(Path(database), digest) if database is not None else None
    saved = explorer.replay_saved(saved_failures.entries()) if saved_failures is not None else ()
    budget_text = None if time_budget is None else f"{time_budget}s"
    shrinking = shrink_budget if shrink else 0
    if strategy == "dfs":
        result = explorer.explore_dfs(preemption_bound, runs, seed_start, every=every, seconds=time_budget,
                                      time_budget=budget_text, shrink_budget=shrinking, reduce=reduce)  # fmt: skip
    else:
        result = explorer.explore_seeds(strategy, DEFAULT_RUNS if runs is None else runs, seed_start, depth=depth,
                                        jobs=jobs, every=every, seconds=time_budget, time_budget=budget_text,
                                        shrink_budget=shrinking)  # fmt: skip
    if saved_failures is not None:
        result = attrs.evolve(result, database=str(saved_failures.directory), saved=saved)
        for replayed in result.saved:
            if not replayed.still_fails:
                saved_failures.forget(replayed.token)
        for failure in result.failures:
            saved_failures.save(Entry(failure.token, failure.kind, failure.subject, failure.message))
    return result


def replay(
    scenario: Scenario,
    token: str | ReplayToken,
    *,
    listeners: Sequence[Listener] = (),
    max_steps: int | None = DEFAULT_MAX_STEPS,
) -> RunMetrics:
    """Run exactly the schedule `token` records (as printed by explore) and return its metrics, as
    `threadsim replay` does. A token made for another scenario (another hash) is replayed as far as its
    decisions fit, with a TokenMismatchWarning. Raises TokenError for text that is not a token."""
    recorded = decode(token) if isinstance(token, str) else token
    scenario = validate(scenario)
    strategy = ReplayStrategy(dict(recorded.decisions), recorded.delays)
    metrics = simulate(scenario, seed=recorded.seed, strategy=strategy, listeners=listeners, max_steps=max_steps)
    current = scenario_hash_of(scenario)
    if current != recorded.scenario_hash:
        warnings.warn(f"scenario {scenario.name!r} changed since this token was made (token: "
                      f"{recorded.scenario_hash}, now: {current}); replayed the recorded decisions as far as "
                      f"they fit: {strategy.applied} of {len(recorded.decisions)} applied",
                      TokenMismatchWarning, stacklevel=2)  # fmt: skip
    return metrics
