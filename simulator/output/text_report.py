"""The text report of `threadsim run` (SPEC section 6): header, Gantt chart, metrics, violations."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction

from simulator.analysis.metrics import RunMetrics
from simulator.output.activity import ActivityLog
from simulator.output.end_state import EndState
from simulator.output.escaping import printable
from simulator.output.gantt import render_gantt
from simulator.output.recorder import IntervalRecorder
from simulator.output.values import average_value, policy_text, rounded, shown
from simulator.timeunits import NS_PER_UNIT, format_time


def reproduce_command(metrics: RunMetrics, scenario_file: str, *, until: int | None = None,
                      max_steps: int | None = None, width: int = 80) -> str:  # fmt: skip
    """The command line that reproduces this run, and this report, from its own output: every option that
    changed either, shell-quoted (a path with a space stays one word)."""
    unit = metrics.time_unit
    words = ["threadsim", "run", scenario_file, "--seed", str(metrics.seed), "--policy",
             policy_text(metrics.policy, unit), "--cpus", str(metrics.cpus), "--context-switch",
             format_time(metrics.context_switch, unit)]  # fmt: skip
    if until is not None:
        words += ["--until", format_time(until, unit)]
    if max_steps is not None:
        words += ["--max-steps", str(max_steps)]
    if width != 80:
        words += ["--width", str(width)]
    return shlex.join(words)


def render_text(
    metrics: RunMetrics,
    recorder: IntervalRecorder,
    *,
    scenario_file: str,
    width: int = 80,
    activity: ActivityLog | None = None,
    reproduce: str | None = None,
    end_state: EndState | None = None,
) -> str:
    """The whole text report."""
    unit = metrics.time_unit
    lines = [
        f"threadsim: scenario {metrics.scenario} ({scenario_file})",
        f"seed {metrics.seed} | policy {policy_text(metrics.policy, unit)} | cpus {metrics.cpus}"
        f" | context switch {format_time(metrics.context_switch, unit)} {unit} | times in {unit}",
        f"reproduce: {reproduce or reproduce_command(metrics, scenario_file)}",
        "",
        *render_gantt(recorder, metrics.end_time, unit, width),
        "",
        *metrics_table(metrics),
        "",
        *gil_lines(metrics),
        *span_lines(metrics),
        *(activity.lines(metrics.time_unit) if activity is not None else []),
        *(end_state.lines(metrics) if end_state is not None else []),
        *memory_lines(metrics),
        *race_lines(metrics),
        *violation_lines(metrics),
    ]
    # Names, messages and paths come from the scenario: no control character reaches the terminal raw.
    return "\n".join(printable(line) for line in lines) + "\n"


def metrics_table(metrics: RunMetrics) -> list[str]:
    """The per-thread and per-CPU tables and the run's totals."""
    unit = metrics.time_unit

    def t(ns: int | None) -> str:
        return "-" if ns is None else format_time(ns, unit)

    def avg(field: str) -> str:
        return shown(average_value(metrics.average(field), unit))

    header = ["thread", "process", "arrival", "first_run", "completion", "cpu_time", "waiting", "blocked", "io",
              "sync", "gil", "sleeping", "switching", "response", "turnaround", "vol", "invol", "migr"]  # fmt: skip
    averages = ["average", "", "", "", "", "", avg("waiting"), "", "", "", "", "", "", avg("response"),
                avg("turnaround"), "", "", ""]  # fmt: skip

    def rows() -> Iterator[list[str]]:
        for thread in metrics.threads:
            yield [thread.name, thread.process, t(thread.arrival), t(thread.first_run), t(thread.completion),
                   t(thread.cpu_time), t(thread.waiting), t(thread.blocked), t(thread.io),
                   t(thread.sync), t(thread.gil), t(thread.sleeping), t(thread.switching),
                   t(thread.response), t(thread.turnaround), str(thread.voluntary_switches),
                   str(thread.involuntary_switches), str(thread.migrations)]  # fmt: skip
        yield averages

    lines = _streamed_table(header, rows)
    lines.append("")
    cpu_rows = [
        [f"CPU{cpu.cpu}", t(cpu.busy), t(cpu.idle), t(cpu.switching),
         f"{shown(rounded(cpu.utilization(metrics.end_time) * 100, places=1))}%"]
        for cpu in metrics.cpu_stats
    ]  # fmt: skip
    cpu_header = ["cpu", "busy", "idle", "switching", "utilization"]
    if metrics.cpu_stats and metrics.cpu_stats[0].warm is not None:  # a cache model: time run warm
        cpu_header.append("warm")
        for row, cpu in zip(cpu_rows, metrics.cpu_stats, strict=True):
            row.append(t(cpu.warm))
    lines.extend(_table(cpu_header, cpu_rows))
    lines.append("")
    lines.extend(device_table(metrics))
    lines.extend(lock_table(metrics))
    throughput = metrics.throughput()
    rate = "-" if throughput is None else f"{shown(rounded(throughput * NS_PER_UNIT[unit], places=6))} per {unit}"
    state = "complete" if metrics.complete else "incomplete"
    lines.append(
        f"end time {t(metrics.end_time)} ({state}) | context switches {metrics.context_switches}"
        f" | completed {metrics.completed}/{len(metrics.threads)} | throughput {rate}"
    )
    for key, value in metrics.policy_details:
        shown_value = (", ".join(f"{name}={item}" for name, item in value.items())
                       if isinstance(value, dict) else str(value))  # fmt: skip
        lines.append(f"{metrics.policy.name} {key}: {shown_value}")
    return lines


def span_lines(metrics: RunMetrics) -> list[str]:
    """The spans table (nothing for a scenario without spans): the passes through each span."""
    if not metrics.spans:
        return []
    unit = metrics.time_unit

    def t(ns: int | None) -> str:
        return "-" if ns is None else format_time(ns, unit)

    rows = [[span.name, str(span.count), shown(average_value(span.mean, unit)), t(span.p50), t(span.p90),
             t(span.p99), t(span.max)] for span in metrics.spans]  # fmt: skip
    return [f"spans (each pass from entering to leaving; percentiles by nearest rank; times in {unit}):",
            *_table(["span", "count", "mean", "p50", "p90", "p99", "max"], rows), ""]  # fmt: skip


def device_table(metrics: RunMetrics) -> list[str]:
    """Per device: servers, requests, busy server-time, utilization, mean wait before service, time-average
    and longest queue (nothing when the run used no device)."""
    if not metrics.devices:
        return []
    unit = metrics.time_unit
    rows = [
        [device.name, "unlimited" if device.servers is None else str(device.servers), str(device.requests),
         format_time(device.busy, unit), _percent(device.utilization(metrics.end_time)),
         shown(average_value(device.mean_wait(), unit)), shown(rounded(device.mean_queue(metrics.end_time))),
         str(device.max_queue)]
        for device in metrics.devices
    ]  # fmt: skip
    header = ["device", "servers", "requests", "busy", "utilization", "mean_wait", "mean_queue", "max_queue"]
    return [*_table(header, rows), ""]


def lock_table(metrics: RunMetrics) -> list[str]:
    """Per mutex and semaphore: acquisitions, contended ones, total and mean wait, most waiters at once
    (nothing when the scenario has none)."""
    if not metrics.locks:
        return []
    unit = metrics.time_unit
    rows = [
        [lock.name, lock.process if lock.process is not None else "(ipc)", lock.kind, str(lock.acquisitions),
         str(lock.contended), format_time(lock.total_wait, unit), shown(average_value(lock.mean_wait(), unit)),
         str(lock.max_waiters)]
        for lock in metrics.locks
    ]  # fmt: skip
    header = ["lock", "process", "kind", "acquisitions", "contended", "total_wait", "mean_wait", "max_waiters"]
    return [*_table(header, rows), ""]


def _percent(value: Fraction | None) -> str:
    return "-" if value is None else f"{shown(rounded(value * 100, places=1))}%"


def gil_lines(metrics: RunMetrics) -> list[str]:
    """Each Python process's GIL: time held and waited for, switches and forced drops (nothing when no
    process has a GIL)."""
    if not metrics.gil:
        return []
    unit = metrics.time_unit
    rows = [[gil.process, format_time(gil.held, unit), format_time(gil.waited, unit), str(gil.switches),
             str(gil.forced_drops)] for gil in metrics.gil]  # fmt: skip
    return [*_table(["gil of", "held", "waited", "switches", "forced_drops"], rows), ""]


def memory_lines(metrics: RunMetrics) -> list[str]:
    """Final memory of each process that has any (nothing when no process declares memory)."""
    if not metrics.memory:
        return []
    lines = ["memory at the end:"]
    for process, variables in metrics.memory.items():
        lines.append(f"  {process}: " + ", ".join(f"{name} = {value}" for name, value in variables.items()))
    return [*lines, ""]


def race_lines(metrics: RunMetrics) -> list[str]:
    """The data races found: each racing pair of accesses, with both sides' time, thread and line."""
    if not metrics.races:
        return [] if not metrics.memory else ["data races: none", ""]
    unit = metrics.time_unit
    lines = [f"data races: {len(metrics.races)} (pairs of accesses ordered by no synchronization)"]
    for race in metrics.races:
        times = f", {race.count} times" if race.count > 1 else ""
        first, second = race.first, race.second
        lines.append(f"  {race.variable}: {first.thread} {first.op} (line {first.line}) at "
                     f"{format_time(first.time, unit)} races with {second.thread} {second.op} (line {second.line})"
                     f" at {format_time(second.time, unit)}{times}")  # fmt: skip
    return [*lines, ""]


def violation_lines(metrics: RunMetrics) -> list[str]:
    """'violations: none', or one line per violation."""
    if not metrics.violations:
        return ["violations: none"]
    lines = [f"violations: {len(metrics.violations)}"]
    for violation in metrics.violations:
        who = f" {violation.thread}" if violation.thread else ""
        lines.append(f"  [{violation.kind}] at {format_time(violation.time, metrics.time_unit)}{who}: "
                     f"{violation.message}")  # fmt: skip
    return lines


def _streamed_table(header: list[str], rows: Callable[[], Iterable[list[str]]]) -> list[str]:
    """`_table(header, list(rows()))`, making the rows twice (once to measure the columns, once to write
    them) instead of keeping them: a million threads' cells took a gigabyte, twice over."""
    widths = [len(printable(cell)) for cell in header]
    for row in rows():
        for index, cell in enumerate(row):
            size = len(printable(cell))
            if size > widths[index]:
                widths[index] = size

    def line(cells: list[str]) -> str:
        cells = [printable(cell) for cell in cells]
        first = f"{cells[0]:<{widths[0]}}"
        rest = [f"{cell:>{width}}" for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return [line(header), *(line(row) for row in rows())]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    rows = [[printable(cell) for cell in row] for row in rows]  # escaped before measuring, so columns align
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = f"{cells[0]:<{widths[0]}}"
        rest = [f"{cell:>{width}}" for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return [line(header), *(line(row) for row in rows)]
