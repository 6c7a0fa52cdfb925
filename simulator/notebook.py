"""Runs and explorations in notebooks and data tools: HTML views and records (rows as dicts) or DataFrames.

`RunMetrics` and `ExploreResult` delegate here: `metrics._repr_html_()` (a notebook shows it by itself),
`metrics.to_records(table)` and `metrics.to_dataframe(table)`, `result._repr_html_()`,
`result.to_records()`, `result.to_dataframe()`.

Metrics hold no trace, so the Gantt chart and the state intervals come from running the same schedule
again, with a recorder listening. That run is the same run: `simulate` remembers, for every metrics object
it returns (by identity, for as long as the object lives), the scenario, seed, step bound, end time and the
scheduling decisions of a controlled run, and a run is a function of exactly those (threadsim is
deterministic). The run happens when the chart or intervals are first asked for, never otherwise. Metrics
not made by `simulate` (read back from JSON, say) have threads and CPUs tables but no chart or intervals.

Tables: "threads" (one row per thread, times in ns, with response and turnaround), "cpus" (one row per
CPU) and "intervals" (one row per state interval of each thread and each CPU: `lane` is a thread name or
`CPU0`...). Times are integer ns; `to_dataframe` needs pandas (`pip install threadsim[pandas]`).
"""

from __future__ import annotations

import html
import importlib
import io
import weakref
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:  # the output modules are imported when first used: simulate() imports this module
    from simulator.analysis.metrics import RunMetrics
    from simulator.exploration.results import ExploreResult
    from simulator.scenario.model import Scenario
    from simulator.trace import Listener

TABLES = ("threads", "cpus", "intervals")


@attrs.frozen
class RunSource:
    """What reproduces a run exactly: the scenario, the seed, `until`, the step bound, and the decisions of
    a controlled run (None: the policy's own schedule, no strategy)."""

    scenario: Scenario
    seed: int
    until: int | None
    max_steps: int | None
    decisions: tuple[tuple[int, int], ...] | None
    #: Whether the controlled run met delay points (False: a ts1 token's replay).
    delays: bool = True


#: id of a metrics object -> (weak reference to it, how to run it again).
_sources: dict[int, tuple[weakref.ref[Any], RunSource]] = {}


def remember_run(metrics: RunMetrics, source: RunSource) -> None:
    """Record how `metrics` was made (simulate calls this)."""
    key = id(metrics)
    table = _sources  # bound here: at interpreter exit the module's globals may be gone before the callback

    def forget(_: weakref.ref[Any]) -> None:
        table.pop(key, None)

    _sources[key] = (weakref.ref(metrics, forget), source)


def source_of(metrics: RunMetrics) -> RunSource | None:
    """How `metrics` was made, if simulate made it."""
    known = _sources.get(id(metrics))
    return known[1] if known is not None and known[0]() is metrics else None


def rerun(metrics: RunMetrics, listeners: list[Listener]) -> RunMetrics:
    """Run the schedule of `metrics` again with `listeners`; raises ValueError when it is not known."""
    from simulator.exploration.strategies import ReplayStrategy
    from simulator.simulation import simulate

    source = source_of(metrics)
    if source is None:
        raise ValueError("these metrics were not made by simulate() in this process: their trace cannot be "
                         "recreated (threads and cpus tables are available)")  # fmt: skip
    strategy = None if source.decisions is None else ReplayStrategy(dict(source.decisions), source.delays)
    again = simulate(source.scenario, seed=source.seed, until=source.until, max_steps=source.max_steps,
                     listeners=listeners, strategy=strategy)  # fmt: skip
    if again != metrics:  # cannot happen for a deterministic scenario; say so loudly if it does
        raise RuntimeError("running the same schedule again gave other metrics: the scenario is not deterministic")
    return again


def _info(scenario: Scenario, metrics: RunMetrics) -> Any:
    from simulator.output.writer import TimelineInfo

    return TimelineInfo(
        scenario=scenario.name,
        time_unit=scenario.time_unit,
        cpus=scenario.machine.cpus,
        threads=tuple((thread.name, thread.process) for thread in scenario.threads()),
        header=f"seed {metrics.seed} | policy {metrics.policy.name} | cpus {metrics.cpus}",
    )


def chart_html(metrics: RunMetrics) -> str:
    """The interactive HTML Gantt chart of the run (the `--timeline run.html` page)."""
    source = source_of(metrics)
    if source is None:
        raise ValueError("these metrics were not made by simulate() in this process: no chart")
    from simulator.output.html_chart import HtmlChartWriter

    stream = io.StringIO()
    writer = HtmlChartWriter(stream, _info(source.scenario, metrics))
    rerun(metrics, [writer])
    writer.close(metrics)
    return stream.getvalue()


def run_html(metrics: RunMetrics) -> str:
    """A notebook's view of a run: a summary line, the threads table and the Gantt chart (in an iframe,
    whose page keeps its own styles and script away from the notebook's)."""
    head = (f"<p><b>{html.escape(metrics.scenario)}</b>: seed {metrics.seed}, policy "
            f"{html.escape(metrics.policy.name)}, {metrics.cpus} CPUs, end time {metrics.end_time} ns, "
            f"{len(metrics.violations)} violations</p>")  # fmt: skip
    parts = [head]
    if metrics.violations:
        items = "".join(f"<li>{html.escape(v.kind)}: {html.escape(v.message)}</li>" for v in metrics.violations)
        parts.append(f"<ul>{items}</ul>")
    parts.append(_table(to_records(metrics, "threads")))
    if source_of(metrics) is not None:
        page = chart_html(metrics)
        height = 120 + 34 * (len(metrics.threads) + metrics.cpus)
        parts.append(f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:{height}px;'
                     f'border:0"></iframe>')  # fmt: skip
    return "\n".join(parts)


def _table(records: list[dict[str, object]]) -> str:
    if not records:
        return "<p>(none)</p>"
    columns = list(records[0])
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if row[c] is None else str(row[c]))}</td>" for c in columns) + "</tr>"
        for row in records
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def to_records(metrics: RunMetrics, table: str = "threads") -> list[dict[str, object]]:
    """The rows of one table of the run ("threads", "cpus" or "intervals"), as dicts of plain values."""
    if table == "threads":
        return [{**attrs.asdict(thread), "response": thread.response, "turnaround": thread.turnaround}
                for thread in metrics.threads]  # fmt: skip
    if table == "cpus":
        return [{**attrs.asdict(cpu), "end_time": metrics.end_time} for cpu in metrics.cpu_stats]
    if table == "intervals":
        return _interval_records(metrics)
    raise ValueError(f"table must be one of {', '.join(TABLES)}, got {table!r}")


def _interval_records(metrics: RunMetrics) -> list[dict[str, object]]:
    source = source_of(metrics)
    if source is None:
        raise ValueError("these metrics were not made by simulate() in this process: no intervals")
    from simulator.output.recorder import IntervalRecorder

    recorder = IntervalRecorder([thread.name for thread in source.scenario.threads()], source.scenario.machine.cpus)
    rerun(metrics, [recorder])
    recorder.finish(metrics.end_time)
    rows: list[dict[str, object]] = []
    for name in recorder.thread_names:
        for interval in recorder.threads[name]:
            rows.append(_interval_row("thread", name, interval))
    for cpu, lane in enumerate(recorder.cpu_rows):
        for interval in lane:
            rows.append(_interval_row("cpu", f"CPU{cpu}", interval))
    return rows


def _interval_row(kind: str, lane: str, interval: Any) -> dict[str, object]:
    return {"kind": kind, "lane": lane, "start": interval.start, "end": interval.end,
            "state": interval.state.name.lower(), "cpu": interval.cpu, "thread": interval.thread,
            "reason": interval.reason}  # fmt: skip


def to_dataframe(records: list[dict[str, object]]) -> Any:
    """A pandas DataFrame of `records` (pandas is the optional extra `threadsim[pandas]`).

    Columns get pandas' nullable types (`convert_dtypes`): a column of times or CPU numbers with gaps stays
    integer (`Int64`, missing values `<NA>`) instead of turning float, so nanoseconds stay exact.
    """
    try:  # by name: pandas is optional, and mypy need not know its types
        pandas = importlib.import_module("pandas")
    except ImportError:
        raise ImportError("to_dataframe() needs pandas: pip install 'threadsim[pandas]' "
                          "(to_records() gives the same rows without it)") from None  # fmt: skip
    return pandas.DataFrame.from_records(records).convert_dtypes()


def explore_records(result: ExploreResult) -> list[dict[str, object]]:
    """One row per distinct failure of an exploration (saved ones replayed first included)."""
    rows: list[dict[str, object]] = []
    for saved in result.saved:
        rows.append({"kind": saved.kind, "subject": " ".join(saved.subject), "runs": None, "first_run": None,
                     "message": saved.message, "token": saved.token, "preemptions": None, "delays": None,
                     "picks": None,
                     "saved": True, "still_fails": saved.still_fails})  # fmt: skip
    for failure in result.failures:
        rows.append({"kind": failure.kind, "subject": " ".join(failure.subject), "runs": failure.runs,
                     "first_run": failure.first_run, "message": failure.message, "token": failure.token,
                     "preemptions": failure.preemptions, "delays": failure.delays, "picks": failure.picks,
                     "saved": False, "still_fails": True})  # fmt: skip
    return rows


def explore_html(result: ExploreResult) -> str:
    """A notebook's view of an exploration: what was searched, then a table of the failures."""
    how = "complete" if result.complete else f"stopped by {result.stopped_by}"
    head = (f"<p><b>{html.escape(result.scenario)}</b>: {result.strategy}, {result.runs} schedules ({how}), "
            f"{len(result.failures)} distinct failures</p>")  # fmt: skip
    columns = ("kind", "runs", "first_run", "preemptions", "delays", "picks", "message", "token")
    rows = [{column: row[column] for column in columns} for row in explore_records(result) if not row["saved"]]
    return head + ("\n" + _table(rows) if rows else "")
