"""Exploring on several machines: `explore --shard K/N` runs a deterministic share of a random or pct
search and prints it as a JSON part; `threadsim merge PART.json...` adds the parts up and prints the report
one job would have printed, byte for byte (shrinking is done at the merge, from the first failing schedule
of each failure over all parts).

Shard K of N runs the schedules whose number (seed - seed_start) is K-1 modulo N, so shards of any size get
alike shares of the seeds, and together they run each seed once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from simulator.errors import UsageError
from simulator.exploration.results import Outcome, Tally, report_order

FORMAT = "threadsim-explore-part/1"
_SHARD = re.compile(r"^\s*([0-9]{1,12})\s*/\s*([0-9]{1,12})\s*$")
#: The most shards one search may be split into.
MAX_SHARDS = 100_000
#: What every part of one search must agree on.
_SEARCH = ("scenario_file", "scenario_hash", "strategy", "depth", "seed_start", "runs_limit", "shards", "every",
           "shrink_budget")  # fmt: skip


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` as (K, N), with 1 <= K <= N. Raises UsageError saying what is wrong."""
    match = _SHARD.match(text)
    if match is None:
        raise UsageError(f"--shard: expected K/N, such as 1/4, got {text!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text}: K must be between 1 and N")
    if count > MAX_SHARDS:
        raise UsageError(f"--shard {text}: N must be at most {MAX_SHARDS:,} (the limit)")
    return index, count


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {"seed": outcome.seed, "decisions": [list(decision) for decision in outcome.decisions],
            "preemptions": outcome.preemptions, "delays": outcome.delays,
            "failures": [{"kind": kind, "subject": list(subject), "message": message}
                         for (kind, subject), message in outcome.failures]}  # fmt: skip


def _read_outcome(data: dict[str, Any]) -> Outcome:
    return Outcome(int(data["seed"]), tuple((int(p), int(v)) for p, v in data["decisions"]),
                   tuple(((str(f["kind"]), tuple(map(str, f["subject"]))), str(f["message"]))
                         for f in data["failures"]), int(data["preemptions"]), int(data["delays"]))  # fmt: skip


def part_dict(tally: Tally, stopped_by: str | None, *, scenario_file: str, scenario_hash: str, strategy: str,
              depth: int, seed_start: int, runs_limit: int, shard: tuple[int, int],
              shrink_budget: int) -> dict[str, Any]:  # fmt: skip
    """One shard's share of a search, as JSON data: enough to merge it with the others."""
    first = {(key[0], key[1]): (number, outcome) for key, (number, outcome) in tally.first.items()}
    return {
        "format": FORMAT, "scenario_file": scenario_file, "scenario_hash": scenario_hash, "strategy": strategy,
        "depth": depth, "seed_start": seed_start, "runs_limit": runs_limit, "shard": shard[0],
        "shards": shard[1], "every": tally.every is not None, "shrink_budget": shrink_budget,
        "runs": tally.runs, "failed": tally.failed, "steps": tally.steps, "stopped_by": stopped_by,
        "failures": [{"kind": key[0], "subject": list(key[1]), "runs": tally.counts[key], "first_run": number,
                      "first": _outcome(outcome)} for key, (number, outcome) in first.items()],
        "every_failure": [{"kind": key[0], "subject": list(key[1]), "run": number, "outcome": _outcome(outcome)}
                          for key, number, outcome in tally.every or ()],
    }  # fmt: skip


def render_part(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


def merge(parts: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], Tally, str | None]:
    """Add up the parts of one search: (what the search was, the whole tally, why it stopped early or None).
    Raises UsageError when the parts are not the N shares of one search."""
    if not parts:
        raise UsageError("give the parts to merge: threadsim merge PART.json...")
    for part in parts:
        if not isinstance(part, dict) or part.get("format") != FORMAT:
            found = part.get("format") if isinstance(part, dict) else type(part).__name__
            raise UsageError(f"not a part of a sharded explore (format {found!r}, expected {FORMAT})")
    try:
        return _merge(parts)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"a part is not as explore --shard wrote it (it was edited or cut short: "
                         f"{type(exc).__name__}: {exc})") from None  # fmt: skip


def _merge(parts: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], Tally, str | None]:
    search = {name: parts[0][name] for name in _SEARCH}
    for part in parts[1:]:
        for name in _SEARCH:
            if part[name] != search[name]:
                raise UsageError(f"the parts are of different searches: {name} is {search[name]!r} in one, "
                                 f"{part[name]!r} in another")  # fmt: skip
    count = search["shards"]
    if not isinstance(count, int) or not 1 <= count <= MAX_SHARDS:
        raise ValueError(f"shards is {count!r}")
    shards = sorted(int(part["shard"]) for part in parts)
    if shards != list(range(1, count + 1)):
        missing = sorted(set(range(1, count + 1)) - set(shards)) if len(shards) <= count else []
        detail = f"missing {', '.join(map(str, missing))}" if missing else "some given twice"
        raise UsageError(f"expected the {search['shards']} shards 1/{search['shards']} ... "
                         f"{search['shards']}/{search['shards']} once each ({detail})")  # fmt: skip
    tally = Tally(bool(search["every"]))
    every = []
    for part in sorted(parts, key=lambda part: int(part["shard"])):
        tally.runs += int(part["runs"])
        tally.failed += int(part["failed"])
        tally.steps += int(part["steps"])
        for failure in part["failures"]:
            key = (str(failure["kind"]), tuple(map(str, failure["subject"])))
            tally.counts[key] = tally.counts.get(key, 0) + int(failure["runs"])
            number = int(failure["first_run"])
            if key not in tally.first or number < tally.first[key][0]:
                tally.first[key] = (number, _read_outcome(failure["first"]))
        for entry in part["every_failure"]:
            key = (str(entry["kind"]), tuple(map(str, entry["subject"])))
            every.append((int(entry["run"]), key, _read_outcome(entry["outcome"])))
    if tally.every is not None:
        # In run order, and within a run in the order its failures were tallied (report order).
        order = {key: index for index, key in enumerate(sorted({key for _, key, _ in every}, key=report_order))}
        tally.every = [(key, number, outcome) for number, key, outcome in
                       sorted(every, key=lambda item: (item[0], order[item[1]]))]  # fmt: skip
    stops = [part["stopped_by"] for part in parts if part["stopped_by"] is not None]
    return search, tally, (stops[0] if stops else None)
