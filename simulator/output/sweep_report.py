"""`threadsim sweep`'s reports: a table, JSON (`{"rows": [...]}`) and CSV, one row per combination."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from typing import Any

from simulator.output import numbers
from simulator.output.escaping import csv_cell, printable
from simulator.output.numbers import Number
from simulator.output.values import policy_text, rounded, shown
from simulator.sweep import Figure, Summary, SweepResult
from simulator.timeunits import NS_PER_UNIT

FORMAT = "threadsim-sweep/1"


def figure_value(figure: Figure, value: Fraction | int | None, unit: str) -> Number | None:
    """A figure's value for a report: times in `unit`, throughput per `unit`, a utilization as a fraction of
    the capacity (4 decimals), each rounded to 3 decimals (throughput to 6)."""
    if value is None:
        return None
    if figure.time:
        return rounded(Fraction(value), NS_PER_UNIT[unit])
    if figure.name == "throughput":
        return rounded(Fraction(value) * NS_PER_UNIT[unit], places=6)
    if figure.share:
        return rounded(Fraction(value), places=4)
    return rounded(Fraction(value))


def spread_value(figure: Figure, sd: float | None, unit: str) -> float | None:
    """A standard deviation in the figure's report unit (as `figure_value` gives the figure)."""
    if sd is None:
        return None
    scale = NS_PER_UNIT[unit] if figure.time else 1
    if figure.name == "throughput":
        return round(sd * NS_PER_UNIT[unit], 6)
    return round(sd / scale, 3)


def _summary_dict(figure: Figure, summary: Summary, unit: str) -> dict[str, Any]:
    return {
        "mean": figure_value(figure, summary.mean, unit),
        "sd": spread_value(figure, summary.sd, unit),
        "min": figure_value(figure, summary.low, unit),
        "max": figure_value(figure, summary.high, unit),
    }


def sweep_dict(result: SweepResult) -> dict[str, Any]:
    """The JSON report as plain values, keys in a fixed order."""
    unit = result.time_unit
    return {
        "format": FORMAT,
        "scenario": result.scenario,
        "time_unit": unit,
        "settings": [{"path": setting.path, "values": list(setting.texts)} for setting in result.settings],
        "seeds": list(result.seeds),
        "rows": [
            {
                "settings": dict(row.settings),
                "policy": policy_text(row.policy, unit),
                "figures": {figure.name: _summary_dict(figure, row.summary(figure), unit) for figure in result.figures},
            }
            for row in result.rows
        ],
    }


def render_sweep_json(result: SweepResult) -> str:
    """The JSON report."""
    return numbers.dumps(sweep_dict(result), indent=2) + "\n"


def _cell(figure: Figure, summary: Summary, unit: str, several: bool) -> str:
    mean = figure_value(figure, summary.mean, unit)
    if mean is None:
        return "-"
    if figure.share:
        text = f"{shown(rounded(Fraction(summary.mean or 0) * 100, places=1))}%"
        spread = None if summary.sd is None else f"{round(summary.sd * 100, 1)}"
    else:
        text = shown(mean)
        spread = None if summary.sd is None else str(spread_value(figure, summary.sd, unit))
    return f"{text} ±{spread}" if several and spread is not None else text


def render_sweep_text(result: SweepResult) -> str:
    """A table: the settings' values and the policy, then each figure (mean ±sd over seeds when several)."""
    unit = result.time_unit
    several = len(result.seeds) > 1
    if several:
        seeds = (
            f"seeds {result.seeds[0]}-{result.seeds[-1]} (mean ±sd)"
            if _consecutive(result.seeds)
            else f"seeds {', '.join(map(str, result.seeds))} (mean ±sd)"
        )
    else:
        seeds = f"seed {result.seeds[0]}"
    header = (
        [printable(setting.path) for setting in result.settings]
        + ["policy"]
        + [printable(f.name) for f in result.figures]
    )
    rows = [
        [*(printable(text) for _, text in row.settings), policy_text(row.policy, unit),
         *(_cell(figure, row.summary(figure), unit, several) for figure in result.figures)]
        for row in result.rows
    ]  # fmt: skip
    widths = [max(len(line[column]) for line in [header, *rows]) for column in range(len(header))]
    settings_count = len(result.settings) + 1

    def line(cells: list[str]) -> str:
        shown = [cell.ljust(width) if index < settings_count else cell.rjust(width)
                 for index, (cell, width) in enumerate(zip(cells, widths, strict=True))]  # fmt: skip
        return "  ".join(shown).rstrip()

    lines = [
        f"threadsim sweep: scenario {result.scenario} ({result.file})",
        f"{len(result.rows)} combinations | {seeds} | times in {unit}, throughput per {unit}",
        "",
        line(header),
        *(line(row) for row in rows),
    ]
    return "\n".join(lines) + "\n"


def _consecutive(seeds: tuple[int, ...]) -> bool:
    return list(seeds) == list(range(seeds[0], seeds[0] + len(seeds)))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def render_sweep_csv(result: SweepResult) -> str:
    """CSV with a header: a column per setting, the policy, then each figure (with `_sd`, `_min` and `_max`
    columns beside each mean when there are several seeds)."""
    unit = result.time_unit
    several = len(result.seeds) > 1
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = [csv_cell(setting.path) for setting in result.settings] + ["policy"]
    for figure in result.figures:
        name = csv_cell(figure.name)  # a span's or device's name is the user's: it may look like a formula
        header += [name, f"{name}_sd", f"{name}_min", f"{name}_max"] if several else [name]
    writer.writerow(header)
    for row in result.rows:
        cells: list[object] = [text if _is_number(text) else csv_cell(text) for _, text in row.settings]
        cells.append(policy_text(row.policy, unit))
        for figure in result.figures:
            summary = _summary_dict(figure, row.summary(figure), unit)
            cells += [summary["mean"], summary["sd"], summary["min"], summary["max"]] if several else [summary["mean"]]
        writer.writerow(["" if cell is None else numbers.number_text(cell) if isinstance(cell, Number) else cell
                         for cell in cells])  # fmt: skip
    return buffer.getvalue()
