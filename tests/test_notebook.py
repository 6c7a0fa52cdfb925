"""Notebook views and records of runs and explorations (simulator.notebook)."""

from __future__ import annotations

import sys

import attrs
import pytest

from simulator import explore, load_scenario, replay, simulate
from simulator.notebook import chart_html

COUNTER = "scenarios/counter-incr.yaml"


def test_thread_and_cpu_records_are_plain_rows() -> None:
    """to_records gives one dict per thread (with turnaround) and per CPU."""
    metrics = simulate(load_scenario("scenarios/rr-textbook.yaml"), seed=1)
    threads = metrics.to_records()
    assert [row["name"] for row in threads] == [thread.name for thread in metrics.threads]
    assert [row["turnaround"] for row in threads] == [thread.turnaround for thread in metrics.threads]
    assert metrics.to_records("cpus")[0]["busy"] == metrics.cpu_stats[0].busy


def test_intervals_cover_each_thread_up_to_its_end() -> None:
    """The state intervals of a thread are contiguous from its arrival to its completion."""
    metrics = simulate(load_scenario("scenarios/rr-textbook.yaml"), seed=1)
    intervals = metrics.to_records("intervals")
    for thread in metrics.threads:
        own = [row for row in intervals if row["kind"] == "thread" and row["lane"] == thread.name]
        assert own[0]["start"] == thread.arrival and own[-1]["end"] == thread.completion
        assert all(a["end"] == b["start"] for a, b in zip(own, own[1:], strict=False))
    running = sum(int(row["end"]) - int(row["start"]) for row in intervals  # type: ignore[call-overload]
                  if row["kind"] == "thread" and row["state"] == "running")  # fmt: skip
    assert running == sum(thread.cpu_time for thread in metrics.threads)


def test_a_replayed_schedule_charts_that_schedule() -> None:
    """The intervals of a replayed failing schedule show its preemption, which the plain run lacks."""
    scenario = load_scenario(COUNTER)
    token = explore(scenario, runs=50).failures[0].token
    replayed = replay(scenario, token).to_records("intervals")
    plain = simulate(scenario).to_records("intervals")
    assert any(row["reason"] == "preempted" for row in replayed)
    assert not any(row["reason"] == "preempted" for row in plain)


def test_run_html_has_the_table_and_the_chart() -> None:
    """_repr_html_ shows the summary, the threads table and the chart page in an iframe."""
    metrics = simulate(load_scenario(COUNTER))
    page = metrics._repr_html_()
    assert "<b>counter-incr</b>" in page and "<th>turnaround</th>" in page and "<iframe srcdoc=" in page
    assert chart_html(metrics).startswith("<!DOCTYPE html>")


def test_metrics_not_made_by_simulate_have_no_chart() -> None:
    """A copy of metrics (not made by simulate) still has tables, and a clear error for the chart."""
    copy = attrs.evolve(simulate(load_scenario(COUNTER)))
    assert copy.to_records("threads")
    assert "<iframe" not in copy._repr_html_()
    with pytest.raises(ValueError, match="not made by simulate"):
        copy.to_records("intervals")


def test_explore_result_html_and_records() -> None:
    """An exploration shows a failures table; to_records has one row per failure."""
    result = explore(load_scenario(COUNTER), runs=50)
    assert "<th>token</th>" in result._repr_html_()
    assert [row["token"] for row in result.to_records()] == [failure.token for failure in result.failures]


def test_to_dataframe_holds_the_records_with_exact_integer_columns() -> None:
    """to_dataframe has the rows of to_records; times and CPU numbers stay integers, gaps are <NA>."""
    pandas = pytest.importorskip("pandas")  # `make test` installs it (the extra threadsim[pandas])
    metrics = simulate(load_scenario("scenarios/rr-textbook.yaml"), seed=1)
    for table in ("threads", "cpus", "intervals"):
        frame = metrics.to_dataframe(table)
        records = metrics.to_records(table)
        assert list(frame.columns) == list(records[0])
        rows = [{key: (None if pandas.isna(value) else value) for key, value in row.items()}
                for row in frame.to_dict("records")]  # fmt: skip
        assert rows == records
    intervals = metrics.to_dataframe("intervals")
    assert str(intervals["cpu"].dtype) == "Int64" and str(intervals["start"].dtype) == "Int64"
    assert intervals["cpu"].isna().any()  # ready intervals have no CPU
    frame = explore(load_scenario(COUNTER), runs=50).to_dataframe()
    assert list(frame["kind"]) == ["expect"] and int(frame["preemptions"][0]) == 1


def test_to_dataframe_without_pandas_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pandas, to_dataframe raises ImportError naming the extra."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"threadsim\[pandas\]"):
        simulate(load_scenario(COUNTER)).to_dataframe()


def test_bad_table_name() -> None:
    """An unknown table is a ValueError listing the tables."""
    with pytest.raises(ValueError, match="threads, cpus, intervals"):
        simulate(load_scenario(COUNTER)).to_records("memory")
