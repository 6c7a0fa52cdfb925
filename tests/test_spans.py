"""Tests of spans: each pass is measured in simulated time; figures by nearest rank; reports only when used."""

import json
import textwrap

import pytest
from click.testing import CliRunner

from simulator import parse_scenario, simulate
from simulator.analysis.metrics import SpanMetrics
from simulator.cli import main
from simulator.errors import InputErrors
from tests.conftest import run_yaml

MS = 1_000_000


def run(text: str):  # type: ignore[no-untyped-def]
    """The metrics of a scenario text's run."""
    return simulate(parse_scenario(textwrap.dedent(text), "s.yaml"))


def test_each_pass_is_measured_from_entering_to_leaving() -> None:
    """A span around compute 2 and sleep 3, entered three times, measures 5 each time; the outer one 15."""
    metrics = run("""\
        threads:
          - name: T
            program:
              - compute: 1
              - span:
                  name: all
                  do:
                    - repeat:
                        times: 3
                        do:
                          - span: {name: pass, do: [compute: 2, sleep: 3]}
        """)
    assert [(s.name, s.count, s.total // MS, s.max) for s in metrics.spans] == [
        ("all", 1, 15, 15 * MS),
        ("pass", 3, 15, 5 * MS),
    ]
    assert metrics.threads[0].completion == 16 * MS  # entering and leaving take no time


def test_a_span_waits_included_and_the_run_is_unchanged() -> None:
    """Time queued at a device counts in the span, and the threads' times are those of the run without it."""
    plain = """\
        machine: {devices: {disk: {servers: 1}}}
        threads:
          - {name: A, program: [io: {device: disk, duration: 4}]}
          - {name: B, program: [io: {device: disk, duration: 4}]}
        """
    spanned = plain.replace(
        "program: [io: {device: disk, duration: 4}]",
        "program: [span: {name: r, do: [io: {device: disk, duration: 4}]}]",
    )
    with_span, without = run(spanned), run(plain)
    assert with_span.spans == (SpanMetrics("r", 2, 12 * MS, 4 * MS, 8 * MS, 8 * MS, 8 * MS),)
    assert with_span.threads == without.threads and without.spans == ()


def test_percentiles_are_by_nearest_rank() -> None:
    """p-th percentile of n sorted values is the value of rank ceil(p*n/100)."""
    figures = SpanMetrics.of("s", list(range(1, 101)))
    assert (figures.p50, figures.p90, figures.p99, figures.max, figures.mean) == (50, 90, 99, 100, 50.5)
    assert (SpanMetrics.of("s", [7]).p50, SpanMetrics.of("s", [3, 1, 2]).p90) == (7, 3)
    empty = SpanMetrics.of("s", [])
    assert (empty.count, empty.mean, empty.p50, empty.max) == (0, None, None, None)


def test_the_reports_show_spans_only_when_there_are_some(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The text report gets a spans table and the JSON report a "spans" list, in the scenario's unit."""
    path = tmp_path / "s.yaml"
    path.write_text("threads:\n  - {name: T, program: [span: {name: work, do: [compute: 1.5]}]}\n")
    text = CliRunner().invoke(main, ["run", str(path)]).output
    assert ("spans (each pass from entering to leaving; percentiles by nearest rank; times in ms):\n"
            "span  count  mean  p50  p90  p99  max\n"
            "work      1   1.5  1.5  1.5  1.5  1.5\n") in text  # fmt: skip
    report = json.loads(CliRunner().invoke(main, ["run", str(path), "--report", "json"]).output)
    assert report["spans"] == [{"name": "work", "count": 1, "mean": 1.5, "p50": 1.5, "p90": 1.5, "p99": 1.5,
                                "max": 1.5}]  # fmt: skip
    path.write_text("threads:\n  - {name: T, burst: 1}\n")
    assert "spans" not in json.loads(CliRunner().invoke(main, ["run", str(path), "--report", "json"]).output)
    assert "\nspans (" not in CliRunner().invoke(main, ["run", str(path)]).output


def test_span_errors_are_located() -> None:
    """A span needs a name and a body."""
    with pytest.raises(InputErrors) as caught:
        parse_scenario("threads:\n  - {name: T, program: [span: {do: []}, span: {name: 3, do: []}, span: 1]}\n",
                       "s.yaml")  # fmt: skip
    assert [str(error) for error in caught.value.errors] == [
        "s.yaml:2:31: threads[0].program[0].span: span needs 'name'",
        "s.yaml:2:54: threads[0].program[1].span.name: a span's name must be a non-empty string, got an integer",
        "s.yaml:2:72: threads[0].program[2].span: span needs a mapping such as {name: request, do: [...]}, "
        "got an integer",
    ]


def test_the_span_excerpts_in_capacity_md_are_current(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each spans table docs/capacity.md shows after "`threadsim run scenarios/X.yaml`" is in X's report."""
    import re

    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "capacity.md").read_text(encoding="utf-8")
    excerpts = re.findall(r"`threadsim run (scenarios/\S+\.yaml)`[^`]*```\n(spans \(.*?)```", text, flags=re.DOTALL)
    assert excerpts
    for path, excerpt in excerpts:
        assert excerpt in CliRunner().invoke(main, ["run", path]).output, path


def test_thousands_of_span_marks_in_a_row_keep_the_stack_shallow() -> None:
    """Each mark takes the next step at once, by recursion: 3,000 empty spans in a row (6,000 marks) used to
    overflow the stack (RecursionError); every pass is still measured."""
    metrics = run_yaml("""
    threads:
      - {name: T, program: [{repeat: {times: 3000, do: [{span: {name: s, do: []}}]}}, {compute: 1}]}
    """)
    assert metrics.complete and not metrics.violations
    assert [(span.name, span.count) for span in metrics.spans] == [("s", 3000)]
