"""What each command does, as one keyword-only function per command. `simulator.cli` only parses options.

Functions return the exit status (SPEC section 6): 0 no violation, 1 a violation was found. Bad input
raises InputErrors (file problems) or UsageError (option problems); the CLI turns both into status 2.

What only some commands or reports need (the explorer, the text report, the comparison and sweep tables,
progress bars) is imported inside the function that needs it: a small `threadsim run` should cost little more
than loading and running its file (tests/test_lazy_imports.py).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from simulator.bounds import DEFAULT_MAX_INSTANT_STEPS, EXPLORE_MAX_STEPS
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
            context_switch=duration_option("--context-switch", context_switch, unit),
        )
    except ValueError as error:
        raise UsageError(f"--cpus: {error}") from None
    until_ns = duration_option("--until", until, unit)
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
        from simulator.output.json_report import write_json

        write_json(metrics, out)
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


def duration_option(option: str, text: str | None, unit: str) -> int | None:
    if text is None:
        return None
    try:
        return to_ns(text, unit)
    except TimeValueError as error:
        raise UsageError(f"{option}: {error}") from None


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
