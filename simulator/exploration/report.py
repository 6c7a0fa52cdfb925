"""The report of `threadsim explore`, as text or JSON. It holds no timings, so that it is the same for
any number of jobs; the progress line (on a terminal) has them."""

from __future__ import annotations

import json
import shlex
from typing import Any

from simulator.exploration.results import DEFAULT_BOUNDS, Bounds, ExploreResult


def bound_options(bounds: Bounds) -> str:
    """The --max-steps and --max-steps-per-instant options that give `bounds` (empty for the defaults), with
    a leading space: replay and explore use the same defaults, so only a changed bound needs repeating."""
    text = ""
    if bounds[0] != DEFAULT_BOUNDS[0]:
        text += f" --max-steps {bounds[0]}"
    if bounds[1] != DEFAULT_BOUNDS[1]:
        text += f" --max-steps-per-instant {0 if bounds[1] is None else bounds[1]}"
    return text


def reproduce_commands(result: ExploreResult, scenario_file: str, token: str, seed: int) -> list[str]:
    """Commands that reproduce one failure exactly."""
    options = bound_options(result.bounds)
    quoted = shlex.quote(scenario_file)  # a path with a space or a quote still pastes into a shell
    commands = [f"threadsim replay {quoted} {token}{options}"]
    if result.strategy in ("random", "pct"):
        depth = f" --depth {result.depth}" if result.strategy == "pct" else ""
        commands.append(f"threadsim explore {quoted} --strategy {result.strategy}{depth} "
                        f"--seed-start {seed} --runs 1{options}")  # fmt: skip
    return commands


#: How each way a shrinking search can end reads in the report.
SHRINK_STATES = {
    "fewest": "the fewest preemptions that fail so",
    "budget": "fewer preemptions not ruled out (shrink budget spent)",
    "interrupted": "fewer preemptions not ruled out (Ctrl-C)",
}


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def stop_text(result: ExploreResult) -> str:
    """What cut the search short, as the user gave it."""
    if result.stopped_by == "runs":
        return f"--runs {result.runs_limit}"
    if result.stopped_by == "time_budget":
        return f"--time-budget {result.time_budget}"
    return "Ctrl-C"


def render_explore_text(result: ExploreResult, scenario_file: str) -> str:
    """The text report: what was searched and how far, saved failures replayed, then each distinct failure."""
    lines = [f"threadsim explore: scenario {result.scenario} ({scenario_file})"]
    if result.strategy == "dfs":
        reduction = "dynamic partial-order reduction" if result.reduced else "no reduction"
        lines.append(f"strategy dfs, preemption bound {result.bound}, seed {result.seed_start}, {reduction}")
        if result.complete:
            state = f"the search ended (every schedule with at most {_count(result.bound, 'preemption')})"
        elif result.proven_bound >= 0:
            state = (f"cut short by {stop_text(result)} (every schedule with at most "
                     f"{_count(result.proven_bound, 'preemption')} ran)")  # fmt: skip
        else:
            state = f"cut short by {stop_text(result)} (before every schedule without preemption ran)"
        lines.append(f"ran {_count(result.runs, 'schedule')}: {state}")
    else:
        depth = f", depth {result.depth}" if result.strategy == "pct" else ""
        last = result.seed_start + result.runs - 1
        seeds = f"seeds {result.seed_start}-{last}" if result.runs else "no seed ran"
        lines.append(f"strategy {result.strategy}{depth}, {seeds}")
        if result.complete:
            lines.append(f"ran {_count(result.runs, 'schedule')}")
        else:
            lines.append(f"ran {result.runs} of {result.runs_limit} schedules: cut short by {stop_text(result)}")
    if result.saved:
        still = sum(1 for replay in result.saved if replay.still_fails)
        lines.append(f"saved failures ({result.database}): {len(result.saved)} replayed first, {still} still "
                     f"fail{'s' if still == 1 else ''}")  # fmt: skip
        for replay in result.saved:
            if replay.still_fails:
                lines.append(f"  still fails: {replay.kind}: {replay.message}")
                lines.append(f"    $ threadsim replay {shlex.quote(scenario_file)} {replay.token}")
            else:
                lines.append(f"  passes now (forgotten): {replay.kind}: {replay.token}")
    lines.append("")
    if not result.failures:
        if result.strategy == "dfs" and result.complete:
            lines.append(f"proven: no schedule with at most {_count(result.bound, 'preemption')} fails")
        elif result.strategy == "dfs" and result.proven_bound >= 0:
            lines.append(f"no schedule failed; proven only within {_count(result.proven_bound, 'preemption')}")
        else:
            lines.append("no schedule failed")
        return "\n".join(lines) + "\n"
    lines.append(f"failures: {len(result.failures)} distinct")
    explained: dict[str, str] = {}  # token: the kind of the first failure whose interleaving is shown
    for failure in result.failures:
        lines.append(f"  {failure.kind}: {failure.runs} of {result.runs} schedules; first: schedule {failure.first_run}"
                     + (f" (seed {failure.first_seed})" if result.strategy != "dfs" else ""))  # fmt: skip
        lines.append(f"    {failure.message}")
        lines.append(f"    shrunk to {failure.decision_counts()} (from {failure.original_decision_counts()}): "
                     f"{SHRINK_STATES[failure.shrink_state]}")  # fmt: skip
        for command in reproduce_commands(result, scenario_file, failure.token, failure.first_seed):
            lines.append(f"    $ {command}")
        if failure.interleaving and failure.token in explained:
            lines.append(f"    interleaving: the same schedule as {explained[failure.token]}'s above")
        else:
            lines += [f"    {line}" if line else "" for line in failure.interleaving]
            explained.setdefault(failure.token, failure.kind)
    if result.shrink_runs > result.runs:
        lines.append(f"  (shrinking ran {result.shrink_runs} schedules, more than the {result.runs} explored)")
    if result.every_failure:
        lines.append("")
        lines.append("every failing schedule:")
        for kind_name, number, seed, token in result.every_failure:
            lines.append(f"  {kind_name}: schedule {number} (seed {seed}) {token}")
    return "\n".join(lines) + "\n"


def explore_dict(result: ExploreResult, scenario_file: str) -> dict[str, Any]:
    """The JSON report as data (format threadsim-explore/2)."""
    return {
        # /2: failures by (kind, subject); preemptions, delays and picks counted apart; stopped_by,
        # proven_bound, shrink_state, the failure database.
        "format": "threadsim-explore/2",
        "scenario": result.scenario,
        "strategy": result.strategy,
        "runs": result.runs,
        "seed_start": result.seed_start,
        **({"depth": result.depth} if result.strategy == "pct" else {}),
        **(
            {
                "preemption_bound": result.bound,
                "proven_bound": result.proven_bound,
                "reduction": "dpor" if result.reduced else "none",
            }
            if result.strategy == "dfs"
            else {}
        ),  # fmt: skip
        "runs_limit": result.runs_limit,
        "time_budget": result.time_budget,
        "complete": result.complete,
        "stopped_by": result.stopped_by,
        "shrink_runs": result.shrink_runs,
        "interrupted": result.interrupted,
        "failures": [
            {
                "kind": failure.kind,
                "subject": list(failure.subject),
                "runs": failure.runs,
                "first_run": failure.first_run,
                "first_seed": failure.first_seed,
                "message": failure.message,
                "token": failure.token,
                "preemptions": failure.preemptions,
                "delays": failure.delays,
                "picks": failure.picks,
                "original_preemptions": failure.original_preemptions,
                "original_delays": failure.original_delays,
                "original_picks": failure.original_picks,
                "fewest_preemptions": failure.shrink_state == "fewest",
                "shrink_state": failure.shrink_state,
                "reproduce": reproduce_commands(result, scenario_file, failure.token, failure.first_seed),
            }
            for failure in result.failures
        ],  # fmt: skip
        "every_failure": [{"kind": k, "run": n, "seed": s, "token": t} for k, n, s, t in result.every_failure],
        "database": result.database,
        "saved": [
            {
                "token": replay.token,
                "kind": replay.kind,
                "subject": list(replay.subject),
                "still_fails": replay.still_fails,
                "message": replay.message,
            }
            for replay in result.saved
        ],
    }


def render_explore_json(result: ExploreResult, scenario_file: str) -> str:
    """The JSON report as text."""
    return json.dumps(explore_dict(result, scenario_file), indent=2) + "\n"
