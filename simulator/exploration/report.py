"""The report of `threadsim explore`, as text or JSON. It holds no timings, so that it is the same for
any number of jobs; the progress line (on a terminal) has them."""

from __future__ import annotations

import json
from typing import Any

from simulator.exploration.explorer import ExploreResult


def reproduce_commands(result: ExploreResult, scenario_file: str, token: str, seed: int) -> list[str]:
    """Commands that reproduce one failure exactly."""
    commands = [f"threadsim replay {scenario_file} {token}"]
    if result.strategy in ("random", "pct"):
        depth = f" --depth {result.depth}" if result.strategy == "pct" else ""
        commands.append(f"threadsim explore {scenario_file} --strategy {result.strategy}{depth} "
                        f"--seed-start {seed} --runs 1")  # fmt: skip
    return commands


def render_explore_text(result: ExploreResult, scenario_file: str) -> str:
    lines = [f"threadsim explore: scenario {result.scenario} ({scenario_file})"]
    if result.strategy == "dfs":
        lines.append(f"strategy dfs, preemption bound {result.bound}, seed {result.seed_start}")
        state = "every schedule within the bound" if result.complete else "stopped before the end of the search"
        lines.append(f"ran {result.runs} schedules: {state}")
    else:
        depth = f", depth {result.depth}" if result.strategy == "pct" else ""
        last = result.seed_start + result.runs - 1
        lines.append(f"strategy {result.strategy}{depth}, seeds {result.seed_start}-{last}")
        lines.append(f"ran {result.runs} schedules")
    if result.interrupted:
        lines.append("interrupted (Ctrl-C): the report covers the schedules run so far")
    lines.append("")
    if not result.kinds:
        if result.strategy == "dfs" and result.complete:
            lines.append(f"no schedule with at most {result.bound} preemptions fails")
        else:
            lines.append("no schedule failed")
        return "\n".join(lines) + "\n"
    lines.append(f"failures: {len(result.kinds)} distinct")
    for kind in result.kinds:
        lines.append(f"  {kind.kind}: {kind.runs} of {result.runs} schedules; first: schedule {kind.first_run}"
                     + (f" (seed {kind.first_seed})" if result.strategy != "dfs" else ""))  # fmt: skip
        lines.append(f"    {kind.message}")
        plural = "s" if kind.preemptions != 1 else ""
        lines.append(f"    shrunk to {kind.preemptions} preemption{plural} and {kind.decisions} decision"
                     f"{'s' if kind.decisions != 1 else ''} (from {kind.original_decisions})")  # fmt: skip
        for command in reproduce_commands(result, scenario_file, kind.token, kind.first_seed):
            lines.append(f"    $ {command}")
    if result.every_failure:
        lines.append("")
        lines.append("every failing schedule:")
        for kind_name, number, seed, token in result.every_failure:
            lines.append(f"  {kind_name}: schedule {number} (seed {seed}) {token}")
    return "\n".join(lines) + "\n"


def explore_dict(result: ExploreResult, scenario_file: str) -> dict[str, Any]:
    return {
        "format": "threadsim-explore/1",
        "scenario": result.scenario,
        "strategy": result.strategy,
        "runs": result.runs,
        "seed_start": result.seed_start,
        **({"depth": result.depth} if result.strategy == "pct" else {}),
        **({"preemption_bound": result.bound} if result.strategy == "dfs" else {}),
        "complete": result.complete,
        "interrupted": result.interrupted,
        "failures": [
            {"kind": kind.kind, "subject": list(kind.subject), "runs": kind.runs, "first_run": kind.first_run,
             "first_seed": kind.first_seed,
             "message": kind.message, "token": kind.token, "preemptions": kind.preemptions,
             "decisions": kind.decisions, "original_decisions": kind.original_decisions,
             "reproduce": reproduce_commands(result, scenario_file, kind.token, kind.first_seed)}
            for kind in result.kinds
        ],  # fmt: skip
        "every_failure": [{"kind": k, "run": n, "seed": s, "token": t} for k, n, s, t in result.every_failure],
    }


def render_explore_json(result: ExploreResult, scenario_file: str) -> str:
    return json.dumps(explore_dict(result, scenario_file), indent=2) + "\n"
