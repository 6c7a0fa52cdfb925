"""The JSON report (SPEC section 8). Fields are only ever added within a format version."""

from __future__ import annotations

from json.encoder import encode_basestring  # the C function, where present
from typing import IO, Any

from simulator.analysis.metrics import RunMetrics, ThreadMetrics
from simulator.analysis.races import Access
from simulator.output.numbers import Number, dumps
from simulator.output.values import average_value, policy_parameters, rounded, time_value
from simulator.timeunits import NS_PER_UNIT

FORMAT = "threadsim-report/1"


def thread_dict(thread: ThreadMetrics, unit: str) -> dict[str, Any]:
    """One thread's entry of the report's `threads`."""

    def t(ns: int | None) -> Number | None:
        return time_value(ns, unit)

    return {
        "name": thread.name,
        "process": thread.process,
        "arrival": t(thread.arrival),
        "first_run": t(thread.first_run),
        "completion": t(thread.completion),
        "cpu_time": t(thread.cpu_time),
        "waiting": t(thread.waiting),
        "blocked": t(thread.blocked),
        "io": t(thread.io),
        "sync": t(thread.sync),
        "gil": t(thread.gil),
        "sleeping": t(thread.sleeping),
        "switching": t(thread.switching),
        "response": t(thread.response),
        "turnaround": t(thread.turnaround),
        "voluntary_switches": thread.voluntary_switches,
        "involuntary_switches": thread.involuntary_switches,
        "migrations": thread.migrations,
    }


def report_dict(metrics: RunMetrics, *, threads: bool = True) -> dict[str, Any]:
    """The JSON report as plain values, keys in a fixed order (`threads` false: its `threads` empty)."""
    unit = metrics.time_unit

    def t(ns: int | None) -> Number | None:
        return time_value(ns, unit)

    throughput = metrics.throughput()
    report: dict[str, Any] = {
        "format": FORMAT,
        "scenario": metrics.scenario,
        "seed": metrics.seed,
        "time_unit": unit,
        "policy": {"name": metrics.policy.name, **policy_parameters(metrics.policy, unit)},
        "policy_details": dict(metrics.policy_details),
        "cpus": metrics.cpus,
        "context_switch": t(metrics.context_switch),
        "end_time": t(metrics.end_time),
        "complete": metrics.complete,
        "threads": [thread_dict(thread, unit) for thread in metrics.threads] if threads else [],
        "averages": {
            "waiting": average_value(metrics.average("waiting"), unit),
            "response": average_value(metrics.average("response"), unit),
            "turnaround": average_value(metrics.average("turnaround"), unit),
        },
        "cpu_stats": [
            {
                "cpu": cpu.cpu,
                "busy": t(cpu.busy),
                "idle": t(cpu.idle),
                "switching": t(cpu.switching),
                "utilization": rounded(cpu.utilization(metrics.end_time)),
                **({} if cpu.warm is None else {"warm": t(cpu.warm)}),
            }
            for cpu in metrics.cpu_stats
        ],
        "devices": [
            {
                "name": device.name,
                "servers": device.servers,
                "requests": device.requests,
                "busy": t(device.busy),
                "utilization": rounded(device.utilization(metrics.end_time)),
                "mean_wait": average_value(device.mean_wait(), unit),
                "mean_queue": rounded(device.mean_queue(metrics.end_time)),
                "max_queue": device.max_queue,
            }
            for device in metrics.devices
        ],
        "locks": [
            {
                "name": lock.name,
                "process": lock.process,
                "kind": lock.kind,
                "acquisitions": lock.acquisitions,
                "contended": lock.contended,
                "total_wait": t(lock.total_wait),
                "mean_wait": average_value(lock.mean_wait(), unit),
                "max_waiters": lock.max_waiters,
            }
            for lock in metrics.locks
        ],
        "context_switches": metrics.context_switches,
        "completed": metrics.completed,
        "throughput": None if throughput is None else rounded(throughput * NS_PER_UNIT[unit], places=6),
        "steps": metrics.steps,
        "memory": {process: dict(variables) for process, variables in metrics.memory.items()},
        "data_races": [
            {
                "variable": race.variable,
                "count": race.count,
                "first": access_dict(race.first, unit),
                "second": access_dict(race.second, unit),
            }
            for race in metrics.races
        ],  # fmt: skip
        "violations": [
            {
                "kind": violation.kind,
                "time": t(violation.time),
                "thread": violation.thread,
                "message": violation.message,
            }
            for violation in metrics.violations
        ],  # fmt: skip
    }
    if metrics.gil:  # only for scenarios with a Python process, so other reports stay as they were
        report["gil"] = [
            {"process": gil.process, "held": t(gil.held), "waited": t(gil.waited), "switches": gil.switches,
             "forced_drops": gil.forced_drops}
            for gil in metrics.gil
        ]  # fmt: skip
    if metrics.spans:  # only for a scenario with spans: every other report stays as it was
        report["spans"] = span_dicts(metrics)
    return report


def span_dicts(metrics: RunMetrics) -> list[dict[str, Any]]:
    """Each span's figures for the JSON report, times in the scenario's unit (the mean rounded to 3 decimals,
    the percentiles and the maximum exact); null when no pass ended."""
    unit = metrics.time_unit
    return [
        {"name": span.name, "count": span.count, "mean": average_value(span.mean, unit),
         "p50": time_value(span.p50, unit), "p90": time_value(span.p90, unit), "p99": time_value(span.p99, unit),
         "max": time_value(span.max, unit)}
        for span in metrics.spans
    ]  # fmt: skip


def access_dict(access: Access, unit: str) -> dict[str, Any]:
    """One side of a race, for the JSON report."""
    return {"time": time_value(access.time, unit), "thread": access.thread, "op": access.op, "line": access.line}


def render_json(metrics: RunMetrics) -> str:
    """The JSON report as text (2-space indent, fixed key order, a final newline)."""
    return dumps(report_dict(metrics), indent=2, ensure_ascii=False) + "\n"


#: How the (empty) threads list shows in the report's text: a top-level key, the only one indented by two
#: spaces (nested keys have four or more; a string's newlines and quotes are escaped).
_NO_THREADS = '\n  "threads": []'
#: Threads written per call of `out.write`.
_BATCH = 1000


def write_json(metrics: RunMetrics, out: IO[str]) -> None:
    """Write exactly `render_json(metrics)` to `out`, one thread's entry at a time: the whole text of a
    million-thread report (json.dumps with an indent keeps every piece of it in a list first) took 4 GB."""
    text = dumps(report_dict(metrics, threads=False), indent=2, ensure_ascii=False) + "\n"
    if not metrics.threads:
        out.write(text)
        return
    head, tail = text.split(_NO_THREADS, 1)
    out.write(head + '\n  "threads": [\n')
    unit = metrics.time_unit
    batch: list[str] = []
    separator = ""  # before the next batch: nothing, then the comma after the last entry written
    for index, thread in enumerate(metrics.threads, 1):
        batch.append(_thread_entry(thread_dict(thread, unit)))
        if len(batch) == _BATCH or index == len(metrics.threads):
            out.write(separator + ",\n".join(batch))
            separator = ",\n"
            batch.clear()
    out.write("\n  ]" + tail)


def _thread_entry(row: dict[str, Any]) -> str:
    """`row` as `dumps(row, indent=2)` writes it, nested two levels deep (four more spaces a line), for the
    flat rows of `thread_dict` (names and numbers): each value by the C encoder's own pieces, which
    json.dumps with an indent does not use (its pure-Python encoder was most of a large report's time).
    Anything else goes through `dumps`."""
    parts = []
    for key, value in row.items():
        kind = type(value)
        if kind is str:
            shown = encode_basestring(value)
        elif kind is int:
            shown = int.__repr__(value)
        elif value is None:
            shown = "null"
        else:  # a float or an exact Decimal: as dumps writes it
            shown = dumps(value, ensure_ascii=False)
        parts.append(f"      {encode_basestring(key)}: {shown}")
    return "    {\n" + ",\n".join(parts) + "\n    }"
