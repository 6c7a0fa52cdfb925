"""What each command does, as one keyword-only function per command. `simulator.cli` only parses options.

Functions return the exit status (SPEC section 6): 0 no violation, 1 a violation was found. Bad input
raises InputErrors (file problems) or UsageError (option problems); the CLI turns both into status 2.

What only some commands or reports need (the explorer, the text report, the comparison and sweep tables,
progress bars) is imported inside the function that needs it: a small `threadsim run` should cost little more
than loading and running its file (tests/test_lazy_imports.py).
"""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

import attrs

from simulator.bounds import DEFAULT_MAX_INSTANT_STEPS, EXPLORE_MAX_STEPS, SHRINK_BUDGET
from simulator.errors import InputError, InputErrors, UsageError
from simulator.output.timeline import TimelineInfo, commit_all, discard_all, open_timelines
from simulator.output.values import human_duration, policy_text
from simulator.policies import POLICIES, PolicyError, parse_policy_text
from simulator.scenario.loader import load_scenario
from simulator.simulation import simulate, with_overrides
from simulator.timeunits import TimeValueError, to_ns

if TYPE_CHECKING:
    from simulator.analysis.metrics import RunMetrics
    from simulator.chooser import Strategy
    from simulator.exploration.database import FailureDatabase
    from simulator.exploration.executors import Cluster
    from simulator.exploration.explorer import Explorer
    from simulator.exploration.results import ExploreResult
    from simulator.output.activity import ActivityLog
    from simulator.output.end_state import EndState
    from simulator.output.recorder import IntervalRecorder
    from simulator.output.timeline import TimelineSink
    from simulator.scenario.model import PolicySpec, Scenario
    from simulator.trace import Listener


def run(
    *,
    scenario_path: str,
    out: IO[str],
    seed: int | None = None,
    cpus: int | None = None,
    policy: str | None = None,
    context_switch: str | None = None,
    until: str | None = None,
    max_steps: int | None = None,
    report: str = "text",
    timelines: Sequence[str] = (),
    width: int = 80,
    max_instant_steps: int | None = DEFAULT_MAX_INSTANT_STEPS,
    progress: bool = False,
    err: IO[str] | None = None,
) -> int:
    """`threadsim run`: simulate one scenario and print its report. `max_instant_steps`: the livelock bound
    (None: off); `progress`: show the simulated time and steps on `err` while a long run goes."""
    scenario = load_scenario(scenario_path)
    unit = scenario.time_unit
    try:
        scenario = with_overrides(
            scenario,
            cpus=cpus,
            policy=_policy_option(policy, unit),
            context_switch=_duration_option("--context-switch", context_switch, unit),
        )
    except ValueError as error:
        raise UsageError(f"--cpus: {error}") from None
    until_ns = _duration_option("--until", until, unit)
    return _run_and_report(scenario, scenario_path, out, seed=seed, until=until_ns, max_steps=max_steps, report=report,
                           timelines=timelines, width=width, max_instant_steps=max_instant_steps,
                           progress=err if progress else None)  # fmt: skip


def _run_and_report(
    scenario: Scenario,
    scenario_path: str,
    out: IO[str],
    *,
    seed: int | None = None,
    until: int | None = None,
    max_steps: int | None = None,
    report: str = "text",
    timelines: Sequence[str] = (),
    width: int = 80,
    strategy: Strategy | None = None,
    reproduce: str | None = None,
    activity_limit: int = 40,
    max_instant_steps: int | None = DEFAULT_MAX_INSTANT_STEPS,
    progress: IO[str] | None = None,
) -> int:
    """Run once with the given timelines and print the report; the exit status."""
    unit = scenario.time_unit
    recorder: IntervalRecorder | None = None
    activity: ActivityLog | None = None
    end_state: EndState | None = None
    if report == "text":
        from simulator.output.activity import ActivityLog
        from simulator.output.end_state import EndState
        from simulator.output.recorder import IntervalRecorder

        recorder = IntervalRecorder([name for name, _ in scenario.thread_instances()], scenario.machine.cpus)
        activity = ActivityLog(activity_limit)
        end_state = EndState()
    run_seed = scenario.seed if seed is None else seed
    info = TimelineInfo(
        scenario=scenario.name,
        time_unit=unit,
        cpus=scenario.machine.cpus,
        threads=tuple(scenario.thread_instances()),
        width=width,
        header=f"seed {run_seed} | policy {policy_text(scenario.machine.policy, unit)} | cpus {scenario.machine.cpus}",
        devices=tuple((device.name, device.servers) for device in scenario.machine.devices),
    )
    try:
        writers = open_timelines(timelines, info)
    except ValueError as error:
        raise UsageError(f"--timeline: {error}") from None
    except OSError as error:
        raise UsageError(f"--timeline: cannot write {error.filename!r}: {error.strerror}") from None
    listeners: list[Listener] = list(writers)
    if recorder is not None and activity is not None and end_state is not None:
        listeners += [recorder, activity, end_state]
    kwargs: dict[str, Any] = {"max_steps": max_steps} if max_steps is not None else {}
    if progress is not None:
        from simulator.output.run_progress import RunProgress

        kwargs["watch"] = RunProgress(progress, unit)
    metrics = _simulate_into(writers, scenario, seed=seed, until=until, listeners=listeners, strategy=strategy,
                             max_instant_steps=max_instant_steps, **kwargs)  # fmt: skip
    if recorder is not None:
        from simulator.output.text_report import render_text, reproduce_command

        recorder.finish(metrics.end_time)
        if reproduce is None:
            reproduce = reproduce_command(metrics, scenario_path, until=until, max_steps=max_steps, width=width)
            if max_instant_steps != DEFAULT_MAX_INSTANT_STEPS:
                reproduce += f" --max-steps-per-instant {max_instant_steps or 0}"
        out.write(render_text(metrics, recorder, scenario_file=scenario_path, width=width, activity=activity,
                              reproduce=reproduce, end_state=end_state))  # fmt: skip
    else:
        from simulator.output.json_report import render_json

        out.write(render_json(metrics))
    return 1 if metrics.violations else 0


def _simulate_into(writers: list[TimelineSink], scenario: Scenario, **kwargs: Any) -> RunMetrics:
    """Simulate, then put every timeline file in place; on any error or Ctrl-C, leave none half-written."""
    try:
        metrics = simulate(scenario, **kwargs)
    except BaseException:
        discard_all(writers)
        raise
    commit_all(writers, metrics)
    return metrics


def validate(*, paths: Sequence[str], out: IO[str], err: IO[str]) -> int:
    """`threadsim validate`: check every file, print every error found; 2 if any file is bad."""
    status = 0
    for path in paths:
        try:
            scenario = load_scenario(path)
        except InputErrors as errors:
            status = 2
            for error in errors.errors:
                err.write(f"{error}\n")
            continue
        threads = sum(1 for _ in scenario.thread_instances())
        out.write(f"{path}: ok ({len(scenario.processes)} processes, {threads} threads)\n")
    return status


def policies(*, out: IO[str]) -> int:
    """`threadsim policies`: every policy with its parameters and their defaults."""
    for policy in POLICIES.values():
        out.write(f"{policy.name}\n    {policy.summary}\n")
        for parameter in policy.parameters:
            value = parameter.default
            if isinstance(value, tuple):
                default = "/".join(human_duration(item) for item in value) or "none"
            elif parameter.kind == "duration" and isinstance(value, int):
                default = human_duration(value)
            else:
                default = str(value).lower()
            out.write(f"    {parameter.name} ({parameter.kind}, default {default}): {parameter.help}\n")
        if not policy.parameters:
            out.write("    (no parameters)\n")
    out.write("\nSelect one with --policy NAME[:KEY=VALUE,...], e.g. --policy rr:quantum=4,\n"
              "or in a scenario: machine: {policy: {name: rr, quantum: 4}}.\n"
              "Bare durations are in the scenario's time_unit; \"5ms\" or \"250us\" name their unit;\n"
              "a list of durations is A/B/C on the command line (mlfq:quanta=2/4/8).\n")  # fmt: skip
    return 0


def _policy_option(text: str | None, unit: str) -> PolicySpec | None:
    if text is None:
        return None
    try:
        return parse_policy_text(text, unit)
    except PolicyError as error:
        raise UsageError(f"--policy {text!r}: {error.message}") from None


def _duration_option(option: str, text: str | None, unit: str) -> int | None:
    if text is None:
        return None
    try:
        return to_ns(text, unit)
    except TimeValueError as error:
        raise UsageError(f"{option}: {error}") from None


#: Schedules random and pct run when --runs is not given (dfs runs every schedule within its bound).
DEFAULT_RUNS = 1000


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
    _check_executor(executor, address, jobs, strategy)
    if shard is not None:
        if bounds != DEFAULT_BOUNDS:
            raise UsageError("--shard: give the default --max-steps and --max-steps-per-instant (merge runs "
                             "with the defaults)")  # fmt: skip
        return _explore_shard(scenario_path=scenario_path, out=out, shard=parse_shard(shard), runs=runs,
                              strategy=strategy, depth=depth, jobs=jobs, seed_start=seed_start, every=every,
                              time_budget=time_budget, shrink_budget=shrink_budget, executor=executor,
                              address=address)  # fmt: skip
    budget_ns = _duration_option("--time-budget", time_budget, "s")
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


def _check_executor(executor: str, address: str | None, jobs: int | None, strategy: str) -> None:
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


def replay(
    *, scenario_path: str, token: str, out: IO[str], err: IO[str], report: str = "text", timelines: Sequence[str] = (),
    width: int = 80, max_steps: int = EXPLORE_MAX_STEPS, max_instant_steps: int | None = DEFAULT_MAX_INSTANT_STEPS,
    explain_steps: bool = False,
) -> int:  # fmt: skip
    """`threadsim replay`: rerun exactly the schedule a token records, within explore's bounds (the same
    defaults, so a step-bound or livelock failure explore found fails the same way here)."""
    from simulator.exploration.interleaving import explain
    from simulator.exploration.report import bound_options
    from simulator.exploration.strategies import ReplayStrategy
    from simulator.exploration.tokens import TokenError, scenario_hash
    from simulator.exploration.tokens import decode as decode_token

    try:
        recorded = decode_token(token)
    except TokenError as error:
        raise UsageError(str(error)) from None
    scenario = load_scenario(scenario_path)
    current = scenario_hash(scenario_path)
    strategy = ReplayStrategy(dict(recorded.decisions), recorded.delays)
    words = ["threadsim", "replay", scenario_path, token]
    command = shlex.join(words + (["--width", str(width)] if width != 80 else [])) + bound_options(
        (max_steps, max_instant_steps)
    )
    status = _run_and_report(scenario, scenario_path, out, seed=recorded.seed, report=report, timelines=timelines,
                             width=width, strategy=strategy, reproduce=command, activity_limit=400,
                             max_steps=max_steps, max_instant_steps=max_instant_steps)  # fmt: skip
    if explain_steps and report == "text":
        lines = explain(scenario, recorded.seed, recorded.decisions, max_steps=max_steps,
                        max_instant_steps=max_instant_steps, delays=recorded.delays)  # fmt: skip
        out.write("\n" + "\n".join(lines) + "\n")
    if current != recorded.scenario_hash:
        err.write(f"warning: {scenario_path} changed since this token was made (token: {recorded.scenario_hash}, "
                  f"now: {current}); replayed the recorded decisions as far as they fit: {strategy.applied} of "
                  f"{len(recorded.decisions)} applied\n")  # fmt: skip
    return status


def compare(
    *, scenario_path: str, out: IO[str], policies: Sequence[str], seed: int | None = None, report: str = "text",
    width: int = 80,
) -> int:  # fmt: skip
    """`threadsim compare`: run the scenario under each policy; 1 if any run found a violation."""
    from simulator.output.compare_report import render_compare_json, render_compare_text
    from simulator.output.recorder import IntervalRecorder

    if len(policies) < 1:
        raise UsageError("give at least one --policy")
    scenario = load_scenario(scenario_path)
    runs = []
    for text in policies:
        variant = with_overrides(scenario, policy=_policy_option(text, scenario.time_unit))
        recorder = IntervalRecorder([name for name, _ in variant.thread_instances()], variant.machine.cpus)
        metrics = simulate(variant, seed=seed, listeners=[recorder])
        recorder.finish(metrics.end_time)
        runs.append((metrics, recorder))
    if report == "json":
        out.write(render_compare_json([metrics for metrics, _ in runs]))
    else:
        out.write(render_compare_text(runs, scenario_path, width))
    return 1 if any(metrics.violations for metrics, _ in runs) else 0


def sweep(
    *,
    scenario_path: str,
    out: IO[str],
    err: IO[str],
    settings: Sequence[str],
    policies: Sequence[str] = (),
    seeds: int | None = None,
    max_steps: int | None = None,
    report: str = "text",
    plot: str | None = None,
    progress: bool = False,
) -> int:
    """`threadsim sweep`: run every combination of the --set values; 1 if any run found a violation."""
    from simulator.output.progress import ProgressBar
    from simulator.output.sweep_report import render_sweep_csv, render_sweep_json, render_sweep_text
    from simulator.scenario.source import load_source
    from simulator.sweep import parse_setting
    from simulator.sweep import sweep as run_sweep

    if not settings:
        raise UsageError("give at least one --set PATH=VALUE[,VALUE...], e.g. --set machine.cpus=1,2,4")
    parsed = [parse_setting(text) for text in settings]
    paths = [setting.path for setting in parsed]
    repeated = sorted({path for path in paths if paths.count(path) > 1})
    if repeated:
        raise UsageError(f"--set {repeated[0]} is given twice; give all its values in one --set")
    try:
        source = load_source(scenario_path)
    except InputError as error:
        raise InputErrors([error]) from None
    bar = ProgressBar(err, what="runs") if progress else None

    def tick(done: int, total: int) -> None:
        if bar is not None:
            bar(done, total, 0)

    def parse_policy(text: str, unit: str) -> PolicySpec:
        spec = _policy_option(text, unit)
        assert spec is not None
        return spec

    result = run_sweep(source, parsed, policies=policies, seeds=None if seeds is None else range(seeds),
                       max_steps=max_steps, progress=tick, parse_policy=parse_policy)  # fmt: skip
    if bar is not None:
        bar.finish()
    if plot is not None:
        from simulator.output.sweep_plot import plot_sweep

        plot_sweep(result, plot)
    render = {"text": render_sweep_text, "json": render_sweep_json, "csv": render_sweep_csv}[report]
    out.write(render(result))
    return 1 if any(metrics.violations for row in result.rows for metrics in row.runs) else 0
