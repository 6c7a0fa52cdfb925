"""`threadsim explore` and `threadsim merge`: the search, its shards and clusters, the failure database, and
the report with each failure's interleaving. As in simulator.commands, each command is a keyword-only
function returning the exit status, and imports the explorer's parts when it runs."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

import attrs

from simulator.bounds import DEFAULT_MAX_INSTANT_STEPS, DEFAULT_RUNS, EXPLORE_MAX_STEPS, SHRINK_BUDGET
from simulator.commands import duration_option
from simulator.errors import UsageError
from simulator.scenario.loader import load_scenario

if TYPE_CHECKING:
    from simulator.exploration.database import FailureDatabase
    from simulator.exploration.executors import Cluster
    from simulator.exploration.explorer import Explorer
    from simulator.exploration.results import ExploreResult
    from simulator.scenario.model import Scenario


def explore(
    *,
    scenario_path: str,
    out: IO[str],
    err: IO[str],
    runs: int | None = None,
    strategy: str = "random",
    depth: int = 2,
    preemption_bound: int = 2,
    jobs: int | None = None,
    seed_start: int = 0,
    every: bool = False,
    report: str = "text",
    progress: bool = False,
    time_budget: str | None = None,
    shrink_budget: int = SHRINK_BUDGET,
    database: bool = True,
    reduce: bool = True,
    shard: str | None = None,
    executor: str = "local",
    address: str | None = None,
    max_steps: int = EXPLORE_MAX_STEPS,
    max_instant_steps: int | None = DEFAULT_MAX_INSTANT_STEPS,
) -> int:
    """`threadsim explore`: run many schedules, report each distinct failure with a shrunk replay token.

    `runs` and `time_budget` (a duration; bare numbers are seconds) stop the search early; without them dfs
    runs every schedule within its bound, and random and pct run DEFAULT_RUNS seeds.

    `executor` "ray" or "dask" runs random and pct seeds on that cluster: the one at `address`, or one of
    `jobs` workers (default: one per CPU) started for the search; `jobs` is otherwise the local processes
    (default 1)."""
    from simulator.exploration.database import FailureDatabase, default_root
    from simulator.exploration.explorer import Explorer
    from simulator.exploration.report import render_explore_json, render_explore_text
    from simulator.exploration.results import DEFAULT_BOUNDS
    from simulator.exploration.shards import parse_shard
    from simulator.exploration.tokens import scenario_hash
    from simulator.output.progress import ProgressBar

    bounds = (max_steps, max_instant_steps)
    check_executor(executor, address, jobs, strategy)
    if shard is not None:
        if bounds != DEFAULT_BOUNDS:
            raise UsageError("--shard: give the default --max-steps and --max-steps-per-instant (merge runs "
                             "with the defaults)")  # fmt: skip
        return _explore_shard(scenario_path=scenario_path, out=out, shard=parse_shard(shard), runs=runs,
                              strategy=strategy, depth=depth, jobs=jobs, seed_start=seed_start, every=every,
                              time_budget=time_budget, shrink_budget=shrink_budget, executor=executor,
                              address=address)  # fmt: skip
    budget_ns = duration_option("--time-budget", time_budget, "s")
    seconds = None if budget_ns is None else budget_ns / 1e9
    try:
        scenario = load_scenario(scenario_path)
        digest = scenario_hash(scenario_path)
        explorer = Explorer(scenario_path, scenario, digest, bounds)
        root = default_root() if database else None
        saved_failures = FailureDatabase(root, digest) if root is not None else None
        # Saved failing schedules first, as Hypothesis replays its database before generating examples.
        saved = explorer.replay_saved(saved_failures.entries()) if saved_failures is not None else ()
    except KeyboardInterrupt:
        # Ctrl-C is honoured everywhere with the report of what ran so far: here, nothing.
        out.write(f"threadsim explore: {scenario_path}\ninterrupted (Ctrl-C) while loading: no schedule ran\n")
        return 0
    bar = ProgressBar(err) if progress else None
    status = None if bar is None else bar.status
    if strategy == "dfs":
        result = explorer.explore_dfs(preemption_bound, runs, seed_start, every=every, progress=bar,
                                      seconds=seconds, time_budget=time_budget, shrink_budget=shrink_budget,
                                      status=status, reduce=reduce)  # fmt: skip
    else:
        total = DEFAULT_RUNS if runs is None else runs
        with _cluster(executor, explorer, address, jobs) as cluster:
            tally, stopped_by = explorer.tally_seeds(strategy, total, seed_start, depth=depth, jobs=jobs or 1,
                                                     every=every, progress=bar, seconds=seconds,
                                                     cluster=cluster)  # fmt: skip
        result = explorer.result_of_seeds(tally, stopped_by, strategy, total, seed_start, depth=depth,
                                          time_budget=time_budget, shrink_budget=shrink_budget,
                                          status=status)  # fmt: skip
    if bar is not None:
        bar.finish()
    if saved_failures is not None:
        result = attrs.evolve(result, database=str(saved_failures.directory), saved=saved)
    result = with_interleavings(result, scenario)
    render = render_explore_json if report == "json" else render_explore_text
    out.write(render(result, scenario_path))
    if saved_failures is not None:
        _update_database(saved_failures, result, err)
    return 1 if result.failed else 0


def check_executor(executor: str, address: str | None, jobs: int | None, strategy: str) -> None:
    """Refuse the --executor, --address and --jobs that do not go together."""
    if executor not in ("local", "ray", "dask"):  # simulator.exploration.executors.EXECUTORS, not imported
        raise UsageError(f"--executor: expected local, ray or dask, got {executor!r}")
    if executor == "local":
        if address is not None:
            raise UsageError("--address: give --executor ray or --executor dask with it")
        return
    if strategy == "dfs":
        raise UsageError(f"--executor {executor} works with --strategy random or pct (a depth-first search is "
                         "not split)")  # fmt: skip
    if address is not None and jobs is not None:
        raise UsageError(f"--jobs and --address: the cluster at {address} has its own workers; give one of them")


def _cluster(executor: str, explorer: Explorer, address: str | None,
             jobs: int | None) -> contextlib.AbstractContextManager[Cluster | None]:  # fmt: skip
    """The Ray or Dask cluster to run the seeds on (a context manager), or none for --executor local."""
    if executor == "local":
        return contextlib.nullcontext()
    from simulator.exploration.executors import open_cluster

    return open_cluster(executor, explorer, address, jobs)


def _explore_shard(*, scenario_path: str, out: IO[str], shard: tuple[int, int], runs: int | None, strategy: str,
                   depth: int, jobs: int | None, seed_start: int, every: bool, time_budget: str | None,
                   shrink_budget: int, executor: str = "local", address: str | None = None) -> int:  # fmt: skip
    """`explore --shard K/N`: run the K-th share of a random or pct search and print it as a JSON part."""
    from simulator.exploration.explorer import Explorer
    from simulator.exploration.shards import part_dict, render_part
    from simulator.exploration.tokens import scenario_hash

    if strategy == "dfs":
        raise UsageError("--shard works with --strategy random or pct (a depth-first search is not split)")
    if time_budget is not None:
        raise UsageError("--shard and --time-budget: a time budget would stop each shard at another place; "
                         "give --runs")  # fmt: skip
    scenario = load_scenario(scenario_path)
    digest = scenario_hash(scenario_path)
    explorer = Explorer(scenario_path, scenario, digest)
    total = DEFAULT_RUNS if runs is None else runs
    with _cluster(executor, explorer, address, jobs) as cluster:
        tally, stopped_by = explorer.tally_seeds(strategy, total, seed_start, depth=depth, jobs=jobs or 1,
                                                 every=every, shard=shard, cluster=cluster)  # fmt: skip
    out.write(render_part(part_dict(tally, stopped_by, scenario_file=scenario_path, scenario_hash=digest,
                                    strategy=strategy, depth=depth, seed_start=seed_start, runs_limit=total,
                                    shard=shard, shrink_budget=shrink_budget)))  # fmt: skip
    return 1 if tally.failed else 0


def merge(*, paths: Sequence[str], out: IO[str], report: str = "text") -> int:
    """`threadsim merge`: the report one job would have printed, from the JSON parts of `explore --shard`."""
    from simulator.exploration.explorer import Explorer
    from simulator.exploration.report import render_explore_json, render_explore_text
    from simulator.exploration.shards import merge as merge_parts
    from simulator.exploration.tokens import scenario_hash

    parts = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as file:
                parts.append(json.load(file))
        except OSError as error:
            raise UsageError(f"cannot read {path!r}: {error.strerror}") from None
        except ValueError as error:
            raise UsageError(f"{path}: not JSON ({error})") from None
    search, tally, stopped_by = merge_parts(parts)
    scenario_file = str(search["scenario_file"])
    scenario = load_scenario(scenario_file)
    digest = scenario_hash(scenario_file)
    if digest != search["scenario_hash"]:
        raise UsageError(f"{scenario_file} changed since the parts were made (parts: {search['scenario_hash']}, "
                         f"now: {digest}); explore it again")  # fmt: skip
    explorer = Explorer(scenario_file, scenario, digest)
    result = explorer.result_of_seeds(tally, stopped_by, str(search["strategy"]), int(search["runs_limit"]),
                                      int(search["seed_start"]), depth=int(search["depth"]),
                                      shrink_budget=int(search["shrink_budget"]))  # fmt: skip
    result = with_interleavings(result, scenario)
    render = render_explore_json if report == "json" else render_explore_text
    out.write(render(result, scenario_file))
    return 1 if result.failed else 0


def with_interleavings(result: ExploreResult, scenario: Scenario) -> ExploreResult:
    """The result with each failure's shrunk schedule replayed into its interleaving (for the text report)."""
    from simulator.exploration.interleaving import explain
    from simulator.exploration.tokens import decode as decode_token

    failures = []
    for failure in result.failures:
        recorded = decode_token(failure.token)
        lines = explain(scenario, recorded.seed, recorded.decisions, max_steps=result.bounds[0],
                        max_instant_steps=result.bounds[1], delays=recorded.delays)  # fmt: skip
        failures.append(attrs.evolve(failure, interleaving=tuple(lines)))
    return attrs.evolve(result, failures=tuple(failures))


def _update_database(database: FailureDatabase, result: ExploreResult, err: IO[str]) -> None:
    """Forget saved schedules that pass now; save the token of every failure reported."""
    from simulator.exploration.database import Entry

    try:
        for replay in result.saved:
            if not replay.still_fails:
                database.forget(replay.token)
        for failure in result.failures:
            database.save(Entry(failure.token, failure.kind, failure.subject, failure.message))
    except OSError as error:
        # The report matters more than the database: it is printed; say why the database is not updated.
        err.write(f"warning: cannot update the failure database {database.directory}: {error.strerror}\n")
