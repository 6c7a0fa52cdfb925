"""Hypothesis strategies for valid scenario files, built as YAML text from the scenario language (SPEC
sections 2, 3 and 10) rather than from the loader's classes, so that they test what a user writes.

`scenario_documents()` draws a document (a dict, as `yaml.safe_load` would give); `scenario_texts()` the
YAML text of one. Every document drawn is valid: its runs may still deadlock, fail an `assert` or race
(exit status 1), never be rejected. Runs are short: loops are bounded, so every run ends.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

Document = dict[str, Any]
Program = list[Any]

#: Policies with parameters that keep quanta short (bare durations are in the scenario's time unit).
POLICIES: tuple[object, ...] = (
    "fcfs",
    {"name": "rr", "quantum": 3},
    {"name": "rr", "quantum": 1.5},
    "sjf",
    {"name": "sjf", "estimate": "next_burst"},
    "srtf",
    {"name": "priority", "preemptive": True, "aging": 5},
    {"name": "priority", "preemptive": False},
    {"name": "mlfq", "queues": 2, "quantum": 2, "boost": 20},
    {"name": "lottery", "quantum": 2},
    {"name": "stride", "quantum": 2},
    {"name": "cfs", "sched_latency": 6, "min_granularity": 1},
)

#: Each time unit and the next smaller one, for durations written with a unit.
SMALLER = {"us": "ns", "ms": "us", "s": "ms"}


def written(count: int, unit: str) -> st.SearchStrategy[object]:
    """`count` time units as a scenario may write them: a bare number, or a string with a unit (the same
    length of time either way, so that a run's cost does not depend on how it was written)."""
    return st.sampled_from([count, f"{count}{unit}", f"{count * 1000}{SMALLER[unit]}"])


@st.composite
def durations(draw: st.DrawFn, unit: str, low: int = 0, high: int = 6) -> object:
    """A duration of `low` to `high` time units."""
    return draw(written(draw(st.integers(low, high)), unit))


@st.composite
def computes(draw: st.DrawFn, gil: bool) -> object:
    """`compute: D`, or the mapping form with jitter, preemptible and (in a Python process) releases_gil."""
    duration = draw(st.integers(0, 6))
    if draw(st.booleans()):
        return {"compute": duration}
    spec: dict[str, object] = {"duration": duration, "jitter": draw(st.integers(0, duration))}
    if draw(st.integers(0, 3)) == 0:
        spec["preemptible"] = False
    if gil and draw(st.booleans()):
        spec["releases_gil"] = True
    return {"compute": spec}


@st.composite
def steps(draw: st.DrawFn, context: dict[str, Any], depth: int = 0) -> Program:
    """One step of a program, or a few that belong together (a critical section, a counted loop), as a
    list to splice in. `context` says what the thread's process declares."""
    kinds = ["compute", "compute", "sleep", "io", "yield"]
    if context["memory"]:
        kinds += ["incr", "load_store", "atomic", "if"]
    if context["mutex"] and not context["in_section"]:
        kinds += ["mutex_section"]
    if context["semaphore"] and not context["in_section"]:
        kinds += ["semaphore_section"]
    if depth < 2:
        kinds += ["repeat", "while"]
    kind = draw(st.sampled_from(kinds))
    variable = draw(st.sampled_from(["x", "y"]))
    if kind == "compute":
        return [draw(computes(context["gil"]))]
    if kind == "sleep":
        return [{"sleep": draw(durations(context["unit"]))}]
    if kind == "io":
        devices = ["io", *context["devices"]]
        device = draw(st.sampled_from(devices))
        duration = draw(durations(context["unit"]))
        return [
            {"io": duration}
            if device == "io" and draw(st.booleans())
            else {"io": {"device": device, "duration": duration}}
        ]
    if kind == "yield":
        return ["yield"]
    if kind == "incr":
        return [{"incr": variable} if draw(st.booleans()) else {"incr": {"var": variable, "by": "2"}}]
    if kind == "load_store":
        return [{"load": {"var": variable, "into": "r"}}, {"store": {"var": variable, "value": "r + 1"}}]
    if kind == "atomic":
        operation = draw(st.sampled_from(["add", "sub", "set", "swap", "cas"]))
        spec: dict[str, object] = {"var": variable, "op": operation, "value": 1}
        if operation == "cas":
            spec["expected"] = 0
        if draw(st.booleans()):
            spec["into"] = "old"
        return [{"atomic": spec}]
    if kind == "if":
        return [
            {
                "if": {
                    "cond": f"{variable} > 1",
                    "then": draw(bodies(context, depth + 1)),
                    "else": draw(bodies(context, depth + 1)),
                }
            }
        ]
    inner = {**context, "in_section": True} if kind.endswith("_section") else context
    body = draw(bodies(inner, depth + 1))
    if kind == "mutex_section":
        return [{"lock": "m"}, *body, {"unlock": "m"}]
    if kind == "semaphore_section":
        return [{"acquire": "s"}, *body, {"release": "s"}]
    if kind == "repeat":
        return [{"repeat": {"times": draw(st.integers(0, 3)), "do": body}}]
    # A loop counted in a register of its own depth, so that nested loops do not share a counter.
    counter = f"i{depth}"
    body.append({"let": {"reg": counter, "value": f"{counter} + 1"}})
    return [
        {"let": {"reg": counter, "value": 0}},
        {"while": {"cond": f"{counter} < {draw(st.integers(0, 3))}", "do": body}},
    ]


@st.composite
def bodies(draw: st.DrawFn, context: dict[str, Any], depth: int = 0) -> Program:
    """A list of steps: a thread's whole program has one to four, a nested body up to three."""
    program: Program = []
    for _ in range(draw(st.integers(0 if depth else 1, 3 if depth else 4))):
        program.extend(draw(steps(context, depth)))
    return program


@st.composite
def scenario_documents(draw: st.DrawFn) -> Document:
    """A valid scenario document: a machine, one or two processes of a few threads, and expectations."""
    time_unit = draw(st.sampled_from(["us", "ms", "s"]))
    cpus = draw(st.integers(1, 3))
    machine: Document = {"cpus": cpus, "policy": draw(st.sampled_from(POLICIES))}
    if draw(st.booleans()):
        machine["context_switch"] = draw(durations(time_unit, high=2))
    devices = []
    if draw(st.booleans()):
        devices = ["disk"]
        machine["devices"] = {"disk": {"servers": draw(st.integers(1, 2))}}
    if cpus > 1 and draw(st.integers(0, 2)) == 0:
        machine["queues"] = "per_cpu"
        machine["balance_interval"] = draw(durations(time_unit, low=1))
    if cpus > 1 and draw(st.integers(0, 2)) == 0:
        machine["migration_cost"] = draw(durations(time_unit, high=2))
    if draw(st.integers(0, 3)) == 0:
        machine["tiebreak"] = "random"
    processes = []
    for p in range(draw(st.integers(1, 2))):
        process: Document = {"name": f"p{p}"}
        arrival = draw(st.integers(0, 5))
        if arrival:
            process["arrival"] = arrival
        memory = draw(st.booleans())
        if memory:
            process["memory"] = {"x": 0, "y": draw(st.integers(-2, 2))}
        sync: Document = {}
        if draw(st.booleans()):
            sync["m"] = "mutex"
        if draw(st.integers(0, 2)) == 0:
            sync["s"] = {"semaphore": draw(st.integers(1, 2))}
        if sync:
            process["sync"] = sync
        gil = draw(st.integers(0, 3)) == 0
        if gil:
            process["gil"] = True if draw(st.booleans()) else {"switch_interval": draw(durations(time_unit, low=1))}
        context = {
            "memory": memory,
            "mutex": "m" in sync,
            "semaphore": "s" in sync,
            "gil": gil,
            "devices": devices,
            "in_section": False,
            "unit": time_unit,
        }
        threads: list[Document] = []
        for t in range(draw(st.integers(1, 3))):
            thread: Document = {"name": f"p{p}t{t}"}
            if draw(st.booleans()):
                thread["burst"] = draw(st.integers(0, 6))
            else:
                thread["program"] = draw(bodies(context))
                if draw(st.integers(0, 5)) == 0:
                    thread["program"].append("exit")
            if draw(st.booleans()):
                thread["arrival"] = arrival + draw(st.integers(0, 5))  # not before its process
            for key, values in (
                ("priority", st.integers(0, 3)),
                ("tickets", st.integers(1, 300)),
                ("nice", st.integers(-20, 19)),
            ):
                if draw(st.integers(0, 2)) == 0:
                    thread[key] = draw(values)
            if cpus > 1 and draw(st.integers(0, 3)) == 0:
                allowed = draw(st.sets(st.integers(0, cpus - 1), min_size=1))
                thread["affinity"] = sorted(allowed)
            threads.append(thread)
        if draw(st.integers(0, 3)) == 0:  # a helper that the first thread spawns and joins
            helper = {"name": f"p{p}helper", "start": "spawned", "program": draw(bodies(context))}
            first = threads[0]
            first.pop("burst", None)
            first["program"] = [{"spawn": helper["name"]}, *first.get("program", []), {"join": helper["name"]}]
            threads.append(helper)
        process["threads"] = threads
        processes.append(process)
    document: Document = {
        "name": "generated",
        "time_unit": time_unit,
        "seed": draw(st.integers(0, 2**16)),
        "machine": machine,
        "processes": processes,
    }
    expect: list[str] = []
    if draw(st.booleans()):
        expect.append("no_data_race")
    if any("memory" in process for process in processes) and draw(st.booleans()):
        name = next(process["name"] for process in processes if "memory" in process)
        expect.append(f"{name}.x >= 0")
    if expect:
        document["expect"] = expect
    return document


def scenario_texts() -> st.SearchStrategy[str]:
    """The YAML text of a valid scenario document (block style, as people write them)."""
    return scenario_documents().map(lambda document: yaml.safe_dump(document, sort_keys=False))
