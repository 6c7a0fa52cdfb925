"""`threadsim compare`: one scenario under several policies, side by side."""

from __future__ import annotations

from collections.abc import Sequence

from simulator.analysis.metrics import RunMetrics
from simulator.output.escaping import printable
from simulator.output.gantt import render_gantt
from simulator.output.json_report import report_dict
from simulator.output.numbers import dumps
from simulator.output.recorder import IntervalRecorder
from simulator.output.text_report import violation_lines
from simulator.output.values import average_value, policy_text, shown
from simulator.timeunits import format_time

FORMAT = "threadsim-compare/1"


def render_compare_text(runs: Sequence[tuple[RunMetrics, IntervalRecorder]], scenario_file: str, width: int) -> str:
    """A table with a column per policy (averages, end time, context switches, violations, each shared
    variable's final value, then each thread's turnaround and waiting), then each policy's Gantt chart, one
    under another, with its violations when it had any."""
    first = runs[0][0]
    unit = first.time_unit
    labels = [policy_text(metrics.policy, unit) for metrics, _ in runs]
    labels = [printable(label) for label in labels]
    rows: list[list[str]] = []

    def average(metrics: RunMetrics, field: str) -> str:
        return shown(average_value(metrics.average(field), unit))

    def time(value: int | None) -> str:
        return "-" if value is None else format_time(value, unit)

    for field in ("waiting", "response", "turnaround"):
        rows.append([f"average {field}", *(average(metrics, field) for metrics, _ in runs)])
    rows.append(["end time", *(time(metrics.end_time) for metrics, _ in runs)])
    rows.append(["context switches", *(str(metrics.context_switches) for metrics, _ in runs)])
    rows.append(["violations", *(str(len(metrics.violations)) for metrics, _ in runs)])
    # Final memory, a row per variable (forked instances may differ between policies: '-' where absent).
    finals = [{f"{process}.{name}": value for process, variables in metrics.memory.items()
               for name, value in variables.items()} for metrics, _ in runs]  # fmt: skip
    for variable in dict.fromkeys(key for final in finals for key in final):
        rows.append([f"{printable(variable)} at end", *(str(final.get(variable, "-")) for final in finals)])
    for index, thread in enumerate(first.threads):
        name = printable(thread.name)
        rows.append([f"{name} turnaround", *(time(m.threads[index].turnaround) for m, _ in runs)])
        rows.append([f"{name} waiting", *(time(m.threads[index].waiting) for m, _ in runs)])
    header = ["", *labels]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]

    def line(cells: list[str]) -> str:
        values = (cell.rjust(column_width) for cell, column_width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([cells[0].ljust(widths[0]), *values]).rstrip()

    lines = [
        f"threadsim compare: scenario {first.scenario} ({scenario_file})",
        f"seed {first.seed} | cpus {first.cpus} | context switch {format_time(first.context_switch, unit)} {unit}"
        f" | times in {unit}",
        "",
        line(header),
        *(line(row) for row in rows),
    ]
    for (metrics, recorder), label in zip(runs, labels, strict=True):
        lines += ["", f"--- {label} ---", *render_gantt(recorder, metrics.end_time, unit, width)]
        if metrics.violations:
            lines += ["", *violation_lines(metrics)]
    return "\n".join(printable(line) for line in lines) + "\n"


def render_compare_json(runs: Sequence[RunMetrics]) -> str:
    """Every policy's full JSON report, in the order given."""
    return dumps({"format": FORMAT, "runs": [report_dict(metrics) for metrics in runs]}, indent=2) + "\n"
