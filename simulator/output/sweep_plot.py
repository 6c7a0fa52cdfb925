"""`threadsim sweep --plot`: each key figure against the first swept setting, drawn with matplotlib.

matplotlib is an optional extra (`pip install 'threadsim[plot]'`): a plot's axes, ticks, legend and error bars
are what that library does well, and a sweep's figure is a plain line chart. The files are reproducible: SVG
ids come from a fixed salt and neither format records a date.
"""

from __future__ import annotations

import os
from pathlib import Path

from simulator.errors import UsageError
from simulator.output.sweep_report import figure_value, spread_value
from simulator.output.values import policy_text
from simulator.sweep import Figure, SweepResult

PLOTTED = ("response", "turnaround", "waiting", "throughput", "utilization", "end_time")


def plotted(result: SweepResult) -> list[Figure]:
    """The panels: PLOTTED, then each span's p99 and each device's utilization (result.figures)."""
    by_name = {figure.name: figure for figure in result.figures}
    extra = [figure for figure in result.figures if figure.name.endswith((".p99", ".utilization"))]
    return [by_name[name] for name in PLOTTED] + extra


def plot_sweep(result: SweepResult, path: str) -> None:
    """Draw `result` into `path` (.svg or .png): a panel per figure, x = the first setting's values, a line per
    combination of the other settings and the policy, error bars of one sd when several seeds ran."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".svg", ".png"):
        raise UsageError(f"--plot: {path!r} must end in .svg or .png")
    try:
        import matplotlib
    except ImportError:
        raise UsageError("--plot needs matplotlib, an optional extra: pip install 'threadsim[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    unit = result.time_unit
    x_setting = result.settings[0]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in x_setting.values)
    positions = list(x_setting.values) if numeric else list(range(len(x_setting.values)))
    series: dict[str, list[int]] = {}
    for index, row in enumerate(result.rows):
        others = [f"{path}={text}" for path, text in row.settings[1:]]
        label = ", ".join([*others, policy_text(row.policy, unit)])
        series.setdefault(label, []).append(index)
    figures = plotted(result)
    grid_rows = -(-len(figures) // 3)
    with plt.rc_context({"svg.hashsalt": "threadsim", "font.size": 9}):
        fig, axes = plt.subplots(grid_rows, 3, figsize=(12, 3.25 * grid_rows), constrained_layout=True, squeeze=False)
        for ax in axes.flat[len(figures) :]:
            ax.set_visible(False)
        for ax, figure in zip(axes.flat, figures, strict=False):
            for label, indices in series.items():
                rows = [result.rows[i] for i in indices]
                ys = [figure_value(figure, row.summary(figure).mean, unit) for row in rows]
                errors = [spread_value(figure, row.summary(figure).sd, unit) or 0 for row in rows]
                xs = positions[: len(ys)]
                if len(result.seeds) > 1:
                    ax.errorbar(
                        xs,
                        [float("nan") if y is None else y for y in ys],
                        yerr=errors,
                        marker="o",
                        capsize=3,
                        label=label,
                    )
                else:
                    ax.plot(xs, [float("nan") if y is None else y for y in ys], marker="o", label=label)
            ax.set_title(_title(figure.name, unit))
            ax.set_xlabel(x_setting.path)
            ax.set_xticks(positions, list(x_setting.texts))
            ax.grid(True, alpha=0.3)
        axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"threadsim sweep: {result.scenario}")
        metadata = {"Date": None} if suffix == ".svg" else {"Software": None}
        # Written beside the target and renamed into place: an interrupt never leaves a partial picture.
        partial = Path(path).with_name(Path(path).name + ".partial")
        try:
            fig.savefig(partial, format=suffix[1:], metadata=metadata)
            os.replace(partial, path)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise UsageError(f"--plot: cannot write {path!r}: {error.strerror}") from None
        finally:
            plt.close(fig)


def _title(name: str, unit: str) -> str:
    titles = {
        "response": f"mean response ({unit})",
        "turnaround": f"mean turnaround ({unit})",
        "waiting": f"mean waiting ({unit})",
        "throughput": f"throughput (threads per {unit})",
        "utilization": "CPU utilization",
        "end_time": f"end time ({unit})",
    }
    if name in titles:
        return titles[name]
    subject, _, statistic = name.rpartition(".")
    return f"{subject} p99 ({unit})" if statistic == "p99" else f"{subject} utilization"
