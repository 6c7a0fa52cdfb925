"""The `threadsim` command line: parses options and calls one function of `simulator.commands` (or, for
explore and merge, `simulator.explore_commands`) each.

Each command imports `simulator.commands` when it runs, and that module imports what only some commands need
(the explorer, the text report, the timeline writers) inside them: `threadsim --help` imports none of it, and
a run imports only what it uses (tests/test_lazy_imports.py checks both).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

import click

from simulator.bounds import DEFAULT_MAX_INSTANT_STEPS, EXPLORE_MAX_STEPS
from simulator.errors import InputErrors, UsageError
from simulator.output.files import OutputError, StandardOutput
from simulator.output.timeline import timeline_help
from simulator.scenario.limits import INT_MAX, MAX_CPUS

#: Bounds of the option values of run, compare and sweep (docs/scenarios.md, "Limits").
MAX_SEED = INT_MAX
MAX_STEPS = INT_MAX
MAX_WIDTH = 10_000
#: explore --jobs: worker processes started at once (a thousand forked at once exhausted the machine).
MAX_JOBS = 256
#: explore's search sizes: more than any search could run, and small enough that no option can make the
#: explorer build something huge before it starts (PCT draws depth - 1 change points up front).
MAX_RUNS = 10**12
MAX_DEPTH = 10_000
MAX_BOUND = 10_000
MAX_SHRINK = 10**9

#: Options several commands share, declared once: the livelock bound (run, explore, replay) and the Gantt
#: chart's width (run, replay, compare; bounded alike, replay's was not).
instant_option = click.option(
    "--max-steps-per-instant",
    type=click.IntRange(min=0, max=MAX_STEPS),
    default=DEFAULT_MAX_INSTANT_STEPS,
    show_default=True,
    help="Livelock bound: stop with a livelock violation once one thread takes N steps while simulated time "
    "stands still (0: no such check).",
)
width_option = click.option(
    "--width",
    type=click.IntRange(min=10, max=MAX_WIDTH),
    default=80,
    show_default=True,
    help="Width of the Gantt chart in columns.",
)


def _stderr_is_a_terminal() -> bool:
    """Whether progress may be drawn on standard error (not when it is closed: `2>&-`)."""
    return sys.stderr is not None and sys.stderr.isatty()


def _exit_for_errors(function: Callable[..., int], /, **kwargs: Any) -> None:
    """Call a command; bad input prints `FILE:LINE:COL: PATH: message` lines and exits with status 2.

    An output that can't be written (a full disk, a closed standard output or pipe) prints one line and
    exits with status 2; Ctrl-C (and, for commands that write timelines, SIGTERM) prints
    `threadsim: interrupted` and exits with 130 (128 + SIGINT). Neither leaves a partial timeline file (see
    simulator.output.files).
    """
    out = kwargs.get("out")
    # Only for commands that write timeline files: explore's worker processes must keep SIGTERM's default.
    previous = _raise_on_sigterm() if "timelines" in kwargs else None
    try:
        if "out" in kwargs:
            if sys.stdout is None:  # started with standard output closed (`>&-`)
                raise OutputError("cannot write to standard output: it is closed")
            kwargs["out"] = out = StandardOutput(sys.stdout)
        status = function(**kwargs)
        if isinstance(out, StandardOutput):
            out.flush()
    except InputErrors as errors:
        for error in errors.errors:
            click.echo(str(error), err=True)
        sys.exit(2)
    except UsageError as error:
        raise click.UsageError(str(error)) from None
    except OutputError as error:
        _silence_stdout()
        _say(f"threadsim: {error}")
        sys.exit(2)
    except KeyboardInterrupt:
        _say("threadsim: interrupted")
        sys.exit(130)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    sys.exit(status)


def _raise_on_sigterm() -> Any:
    """Make SIGTERM end the command like Ctrl-C (cleaning up timeline files); the previous handler, to restore."""

    def terminated(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread: leave signals alone
        return None


def _say(line: str) -> None:
    """A line on standard error, if there is one to write to."""
    if sys.stderr is not None:
        with contextlib.suppress(OSError):  # nowhere left to say it; the exit status still says it
            click.echo(line, err=True)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's flush at exit can't fail a second time
    with a traceback (what the Python docs advise for a broken pipe)."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (closed, or a test's buffer)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="threadsim", prog_name="threadsim")
def main() -> None:
    """threadsim: a deterministic simulator of threads and processes sharing CPUs.

    Same scenario + same seed = byte-identical output.
    """


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--seed", type=click.IntRange(min=0, max=MAX_SEED), help="Seed for every random choice (default: the scenario's)."
)
@click.option("--cpus", type=click.IntRange(min=1, max=MAX_CPUS), help="Number of CPUs (overrides machine.cpus).")
@click.option("--policy", metavar="SPEC", help="Scheduling policy, e.g. rr or rr:quantum=4 (see `threadsim policies`).")
@click.option("--context-switch", metavar="D", help="Context-switch cost, e.g. 0.5 or 50us (bare numbers: time_unit).")
@click.option("--until", metavar="D", help="Stop the run at this time; the report says complete: false.")
@click.option(
    "--max-steps",
    type=click.IntRange(min=1, max=MAX_STEPS),
    help="Step bound: stop with a violation after N operations, or 10*N engine events (default 10,000,000).",
)
@instant_option
@click.option(
    "--report",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format printed on standard output.",
)
@click.option("--timeline", "timelines", metavar="PATH", multiple=True, help=timeline_help())
@width_option
def run(scenario: str, seed: int | None, cpus: int | None, policy: str | None, context_switch: str | None,
        until: str | None, max_steps: int | None, max_steps_per_instant: int, report: str, timelines: tuple[str, ...],
        width: int) -> None:  # fmt: skip
    """Run SCENARIO and print its report. Exit status 0: no violation, 1: violation, 2: bad input."""
    from simulator import commands

    _exit_for_errors(
        commands.run,
        scenario_path=scenario,
        out=sys.stdout,
        seed=seed,
        cpus=cpus,
        policy=policy,
        context_switch=context_switch,
        until=until,
        max_steps=max_steps,
        report=report,
        timelines=timelines,
        width=width,
        max_instant_steps=max_steps_per_instant or None,
        progress=_stderr_is_a_terminal(),
        err=sys.stderr,
    )


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(scenarios: tuple[str, ...]) -> None:
    """Check scenario files and report every error found (exit status 2 if any)."""
    from simulator import commands

    _exit_for_errors(commands.validate, paths=scenarios, out=sys.stdout, err=sys.stderr)


@main.command()
def policies() -> None:
    """List the scheduling policies with their parameters and defaults."""
    from simulator import commands

    _exit_for_errors(commands.policies, out=sys.stdout)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--runs",
    type=click.IntRange(min=1, max=MAX_RUNS),
    help="Schedules to run (random and pct: default 1000; dfs: by default every one within the bound).",
)
@click.option(
    "--time-budget",
    metavar="D",
    help="Stop the search after this much wall-clock time, e.g. 30, 30s or 500ms (bare numbers: seconds); "
    "the report says it was cut short.",
)
@click.option(
    "--strategy",
    type=click.Choice(["random", "pct", "dfs"]),
    default="random",
    show_default=True,
    help="random preemptions, PCT priorities, or depth-first search of every schedule.",
)
@click.option(
    "--depth",
    type=click.IntRange(min=1, max=MAX_DEPTH),
    default=2,
    show_default=True,
    help="PCT: the bug depth to aim for (depth - 1 priority change points).",
)
@click.option(
    "--preemption-bound",
    type=click.IntRange(min=0, max=MAX_BOUND),
    default=2,
    show_default=True,
    help="dfs: the most preemptions a schedule may have.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=MAX_JOBS),
    help="Processes to run schedules in (random and pct; default 1, or one per CPU for a cluster started for "
    "--executor ray or dask); the report is the same for any number.",
)
@click.option(
    "--seed-start",
    type=click.IntRange(min=0, max=MAX_SEED),
    default=0,
    show_default=True,
    help="The first seed (random and pct run seeds seed-start, seed-start + 1, ...).",
)
@click.option(
    "--shrink-budget",
    type=click.IntRange(min=1, max=MAX_SHRINK),
    default=1000,
    show_default=True,
    help="The most schedules shrinking may run for each failure (to find its fewest preemptions).",
)
@click.option(
    "--shard",
    metavar="K/N",
    help="Run the K-th of N shares of a random or pct search and print it as JSON for threadsim merge.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray", "dask"]),
    default="local",
    show_default=True,
    help="Where random and pct schedules run: here, or on a Ray or Dask cluster (the ray or dask extra) given "
    "by --address, or started for the search; the report is the same.",
)
@click.option(
    "--address",
    metavar="ADDR",
    help="The cluster for --executor: ray's address (auto, ray://HOST:10001) or dask's scheduler (tcp://HOST:8786).",
)
@click.option(
    "--no-reduction",
    "no_reduction",
    is_flag=True,
    help="dfs: run every schedule within the bound, without dynamic partial-order reduction (which applies on "
    "one CPU under fcfs or rr; to compare).",
)
@click.option(
    "--no-database",
    "no_database",
    is_flag=True,
    help="Neither replay nor save failing schedules in .threadsim/failures/ (or $THREADSIM_DATABASE).",
)
@click.option("--all", "every", is_flag=True, help="Also list every failing schedule with its replay token.")
@click.option(
    "--max-steps",
    type=click.IntRange(min=1, max=MAX_STEPS),
    default=EXPLORE_MAX_STEPS,
    show_default=True,
    help="Step bound of each schedule: it fails with step_bound after N operations or 10*N engine events.",
)
@instant_option
@click.option(
    "--report",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format printed on standard output.",
)
def explore(
    scenario: str,
    runs: int | None,
    time_budget: str | None,
    strategy: str,
    depth: int,
    preemption_bound: int,
    jobs: int | None,
    seed_start: int,
    shrink_budget: int,
    shard: str | None,
    executor: str,
    address: str | None,
    no_reduction: bool,
    no_database: bool,
    every: bool,
    max_steps: int,
    max_steps_per_instant: int,
    report: str,
) -> None:
    """Run many schedules of SCENARIO; report each distinct failure with a shrunk replay token.

    Exit status 1 when any schedule failed. Ctrl-C stops and prints the report so far.
    """
    from simulator import explore_commands

    _exit_for_errors(
        explore_commands.explore,
        scenario_path=scenario,
        out=sys.stdout,
        err=sys.stderr,
        runs=runs,
        strategy=strategy,
        depth=depth,
        preemption_bound=preemption_bound,
        jobs=jobs,
        seed_start=seed_start,
        every=every,
        report=report,
        progress=_stderr_is_a_terminal(),
        time_budget=time_budget,
        shrink_budget=shrink_budget,
        database=not no_database,
        reduce=not no_reduction,
        shard=shard,
        executor=executor,
        address=address,
        max_steps=max_steps,
        max_instant_steps=max_steps_per_instant or None,
    )


@main.command()
@click.argument("parts", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--report",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format printed on standard output.",
)
def merge(parts: tuple[str, ...], report: str) -> None:
    """Merge the JSON PARTS of `explore --shard K/N` runs: print the report one job would have printed."""
    from simulator import explore_commands

    _exit_for_errors(explore_commands.merge, paths=parts, out=sys.stdout, report=report)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("token")
@click.option(
    "--report",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format printed on standard output.",
)
@click.option("--timeline", "timelines", metavar="PATH", multiple=True, help=timeline_help())
@width_option
@click.option(
    "--max-steps",
    type=click.IntRange(min=1, max=MAX_STEPS),
    default=EXPLORE_MAX_STEPS,
    show_default=True,
    help="Step bound (explore's: give the value explore was given).",
)
@instant_option
@click.option(
    "--explain",
    "explain_steps",
    is_flag=True,
    help="Also print the interleaving: the steps in order, the explorer's decisions, conflicting accesses.",
)
def replay(scenario: str, token: str, report: str, timelines: tuple[str, ...], width: int, max_steps: int,
           max_steps_per_instant: int, explain_steps: bool) -> None:  # fmt: skip
    """Rerun exactly the schedule that TOKEN (printed by explore) records."""
    from simulator import commands

    _exit_for_errors(commands.replay, scenario_path=scenario, token=token, out=sys.stdout, err=sys.stderr,
                     report=report, timelines=timelines, width=width, max_steps=max_steps,
                     max_instant_steps=max_steps_per_instant or None, explain_steps=explain_steps)  # fmt: skip


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--policy",
    "policies",
    metavar="SPEC",
    multiple=True,
    required=True,
    help="A policy to compare, e.g. rr:quantum=4 (repeat for each).",
)
@click.option("--seed", type=click.IntRange(min=0, max=MAX_SEED), help="Seed for every run (default: the scenario's).")
@click.option(
    "--report",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format printed on standard output.",
)
@width_option
def compare(scenario: str, policies: tuple[str, ...], seed: int | None, report: str, width: int) -> None:
    """Run SCENARIO under each --policy: one table with a column per policy, then each Gantt chart."""
    from simulator import commands

    _exit_for_errors(commands.compare, scenario_path=scenario, out=sys.stdout, policies=policies, seed=seed,
                     report=report, width=width)  # fmt: skip


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--set",
    "settings",
    metavar="PATH=V1,V2,...",
    multiple=True,
    required=True,
    help="A scenario setting and the values to try, e.g. machine.cpus=1,2,4 or "
    "machine.devices.disk.servers=1,2 (list items by name or index). Repeat to sweep several; "
    "every combination runs.",
)
@click.option(
    "--policy",
    "policies",
    metavar="SPEC",
    multiple=True,
    help="Also try each of these policies (repeatable; default: the scenario's).",
)
@click.option(
    "--seeds",
    type=click.IntRange(min=1, max=10_000),
    metavar="N",
    help="Run seeds 0 to N-1 for each combination and show mean ±sd (default: the scenario's seed).",
)
@click.option("--max-steps", type=click.IntRange(min=1, max=MAX_STEPS), help="Step bound of each run.")
@click.option(
    "--report",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="Report format printed on standard output.",
)
@click.option(
    "--plot",
    metavar="PATH",
    help="Also draw each figure against the first --set's values into "
    "PATH (.svg or .png; needs the plot extra: pip install 'threadsim[plot]').",
)
def sweep(
    scenario: str,
    settings: tuple[str, ...],
    policies: tuple[str, ...],
    seeds: int | None,
    max_steps: int | None,
    report: str,
    plot: str | None,
) -> None:
    """Run SCENARIO for every combination of the --set values: a table of key figures per combination.

    Exit status 1 when any run found a violation.
    """
    from simulator import commands

    _exit_for_errors(commands.sweep, scenario_path=scenario, out=sys.stdout, err=sys.stderr, settings=settings,
                     policies=policies, seeds=seeds, max_steps=max_steps, report=report, plot=plot,
                     progress=_stderr_is_a_terminal())  # fmt: skip
