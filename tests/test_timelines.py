"""Tests of the timeline formats: event log, CSV, Chrome trace, SVG and HTML charts, text chart."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.output.chart_data import EXACT_LIMIT, PLOT_WIDTH
from simulator.output.timeline import TIMELINE_FORMATS, timeline_format
from tests.conftest import ROOT, SCENARIOS

MIXED = str(SCENARIOS / "mixed-io.yaml")
SVG = "{http://www.w3.org/2000/svg}"


def run_with(tmp_path: Path, scenario: str, *names: str, extra: tuple[str, ...] = ()) -> tuple[dict, list[Path]]:
    """Run a scenario writing the named timeline files; return its JSON report and the paths."""
    paths = [tmp_path / name for name in names]
    args = ["run", scenario, "--report", "json", *extra]
    for path in paths:
        args += ["--timeline", str(path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), paths


def test_formats_are_chosen_by_extension() -> None:
    """The longest known extension wins; unknown ones are refused with the list of formats."""
    assert timeline_format("a/b/run.trace.json") == ".trace.json"
    assert timeline_format("RUN.SVG") == ".svg"
    with pytest.raises(ValueError, match="use one of .trace.json, .jsonl, .csv, .svg, .html, .txt"):
        timeline_format("run.json")


def test_the_cli_help_lists_every_registered_format() -> None:
    """`run --help` and `replay --help` name each format of the registry with its description."""
    for command in ("run", "replay"):
        help_text = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
        for entry in TIMELINE_FORMATS:
            assert f"{entry.extension} ({entry.description})" in help_text, (command, entry.extension)


def test_the_docs_table_lists_exactly_the_registered_formats() -> None:
    """docs/outputs.md's format table has one row per registered extension, in the registry's order."""
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| `(\.[a-z.]+)` \|", text.split("## Exit status")[0], flags=re.MULTILINE)
    assert table == [entry.extension for entry in TIMELINE_FORMATS]


def test_writer_modules_do_not_import_the_registry() -> None:
    """Only the registry imports the format modules; they import `simulator.output.writer`, never it back."""
    for entry in TIMELINE_FORMATS:
        source = Path(sys.modules[entry.writer.__module__].__file__ or "").read_text(encoding="utf-8")
        assert "simulator.output.timeline" not in source, entry.writer.__module__


def test_csv_rows_add_up_to_each_threads_metrics(tmp_path: Path) -> None:
    """One row per state interval; per thread, the rows' durations are its metrics."""
    report, (path,) = run_with(tmp_path, MIXED, "run.csv")
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == ["thread", "process", "cpu", "state", "start", "end", "reason"]
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for row in rows:
        assert float(row["start"]) < float(row["end"])
        totals[row["thread"], row["state"]] += float(row["end"]) - float(row["start"])
        assert (row["cpu"] != "") == (row["state"] in ("running", "switching"))
    field = {"running": "cpu_time", "ready": "waiting", "blocked": "blocked", "sleeping": "sleeping",
             "switching": "switching"}  # fmt: skip
    for thread in report["threads"]:
        for state, metric in field.items():
            assert totals[thread["name"], state] == pytest.approx(thread[metric]), (thread["name"], state)
    reasons = {row["reason"] for row in rows if row["state"] == "blocked"}
    assert reasons == {"I/O on disk"}
    assert {row["reason"] for row in rows if row["state"] == "ready"} <= {"arrival", "preempted", "wakeup", "yield"}


def test_chrome_trace_follows_the_trace_event_format(tmp_path: Path) -> None:
    """Documented fields: M metadata names every track, X slices have ts/dur in exact µs, i instants have a scope."""
    report, (path,) = run_with(tmp_path, MIXED, "run.trace.json", extra=("--max-steps", "20"))
    trace = json.loads(path.read_text())
    assert trace["displayTimeUnit"] in ("ms", "ns")
    events = trace["traceEvents"]
    named_tracks = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    named_processes = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    slices: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for event in events:
        assert event["ph"] in ("M", "X", "i")
        assert isinstance(event["name"], str) and isinstance(event["pid"], int)
        if event["ph"] == "X":
            assert {"ts", "dur", "pid", "tid", "cat", "args"} <= set(event)
            assert event["dur"] > 0 and event["ts"] >= 0
            assert (event["pid"], event["tid"]) in named_tracks
            slices[event["pid"], event["tid"]].append((event["ts"], event["ts"] + event["dur"]))
        elif event["ph"] == "i":
            assert event["s"] in ("t", "g") and event["ts"] >= 0
        assert event["pid"] in named_processes and event["pid"] > 0
    for intervals in slices.values():  # slices on one track never overlap
        intervals.sort()
        assert all(a[1] <= b[0] + 1e-9 for a, b in zip(intervals, intervals[1:], strict=False))
    # Times are exact microseconds: 2.5 ms is 2500 µs.
    switch = next(e for e in events if e["ph"] == "X" and e["name"] == "switching")
    assert (switch["ts"], switch["dur"]) == (2000, 500)
    assert any(e["ph"] == "i" and e["name"] == "wake" for e in events)
    violations = [e for e in events if e.get("cat") == "violation"]
    assert [e["name"] for e in violations] == [v["kind"] for v in report["violations"]] == ["step_bound"]
    assert violations[0]["s"] == "g"
    process_names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert process_names == {"CPUs", "compute", "db", "logger"}


def test_chrome_trace_has_an_instant_for_every_synchronization_and_memory_step(tmp_path: Path) -> None:
    """Each thread event that is not a state change (lock, unlock, handoff, load, store, ...) is an instant
    on the thread's track, named after its object or variable, with its details as args."""
    from simulator import load_scenario, simulate
    from simulator.trace import EVENT_STATE

    scenario = str(SCENARIOS / "counter-mutex.yaml")
    _, (path,) = run_with(tmp_path, scenario, "run.trace.json")
    events: list = []
    simulate(load_scenario(scenario), listeners=[events.append])
    expected = [e for e in events if e.thread and e.event not in EVENT_STATE and e.event != "violation"]
    instants = [e for e in json.loads(path.read_text())["traceEvents"] if e["ph"] == "i" and e["name"] != "wake"]
    assert len(instants) == len(expected) and {e.event for e in expected} >= {"lock", "unlock", "load", "store"}
    first_lock = next(e for e in instants if e["name"] == "lock m")
    assert first_lock["args"] == {"object": "m"} and first_lock["s"] == "t"
    assert any(e["name"] == "store counter" and e["args"]["var"] == "counter" for e in instants)


def svg_root(path: Path) -> ElementTree.Element:
    """The parsed SVG document (fails if it is not well-formed XML)."""
    return ElementTree.parse(path).getroot()


def test_svg_is_standalone_with_a_lane_per_cpu_and_thread(tmp_path: Path) -> None:
    """Lanes, legend, axis in the scenario's unit, tooltips, violation marker; nothing external."""
    report, (path,) = run_with(tmp_path, MIXED, "run.svg", extra=("--max-steps", "20"))
    text = path.read_text()
    root = svg_root(path)
    labels = [node.text for node in root.iter(f"{SVG}text") if node.get("class") == "lane-label"]
    assert labels == ["CPU0", "CPU1", "cruncher1", "cruncher2", "reader1", "reader2", "logger", "disk"]
    ticks = [node.text for node in root.iter(f"{SVG}text") if node.get("class") == "tick-label"]
    assert ticks[0] == "0" and len(ticks) >= 3
    assert "time (ms)" in text and "blocked (I/O)" in text
    bars = [node for node in root.iter(f"{SVG}rect") if "bar" in (node.get("class") or "")]
    assert bars and all(bar.find(f"{SVG}title") is not None for bar in bars)
    assert {bar.get("class") for bar in bars} >= {"bar running", "bar ready", "bar blocked", "bar switching"}
    assert len([n for n in root.iter(f"{SVG}line") if n.get("class") == "violation"]) == len(report["violations"]) == 1
    for forbidden in ("<script", 'href="http', "xlink:href", "@import", "url(http"):
        assert forbidden not in text


def test_svg_device_lanes_show_requests_in_service_and_queued_as_the_trace_does(tmp_path: Path) -> None:
    """The disk's lane: one bar per spell of constant (in service, queued), nothing while it is idle; the
    spells add up to the device figures (busy server-time, queued request-time)."""
    report, (path,) = run_with(tmp_path, MIXED, "run.svg")
    root = svg_root(path)
    tips = [node.find(f"{SVG}title").text for node in root.iter(f"{SVG}rect")  # type: ignore[union-attr]
            if node.get("class") == "bar device in-service"]  # fmt: skip
    busy = queued = Fraction(0)
    for tip in tips:
        assert tip is not None and tip.startswith("disk (1 server): 1 in service, ")
        waiting = int(tip.split(", ")[1].split()[0])
        start, stop = (Fraction(part) for part in tip.split(", ")[2].removesuffix(" ms").split("–"))
        busy += stop - start
        queued += waiting * (stop - start)
    (disk,) = report["devices"]
    assert (busy, queued) == (disk["busy"], Fraction(str(disk["mean_wait"])) * disk["requests"])
    assert any(node.get("class") == "bar device queued" for node in root.iter(f"{SVG}rect"))
    assert "I/O queued" in path.read_text()


def test_charts_of_runs_without_io_have_no_device_lane(tmp_path: Path) -> None:
    """No lane, no legend entry for devices when nothing did I/O."""
    _, (path,) = run_with(tmp_path, str(SCENARIOS / "rr-textbook.yaml"), "run.svg")
    text = path.read_text()
    assert "device" not in text and "I/O queued" not in text


def test_violation_marks_use_a_colour_no_thread_uses(tmp_path: Path) -> None:
    """Violation lines are black and dashed; every thread colour (the first is red) is a mid-lightness hue."""
    from simulator.output.svg_chart import VIOLATION_COLOUR, thread_colour

    _, (path,) = run_with(tmp_path, str(SCENARIOS / "lost-update.yaml"), "run.svg")
    root = svg_root(path)
    marks = [node for node in root.iter(f"{SVG}line") if node.get("class") == "violation"]
    assert marks
    assert {(mark.get("stroke"), mark.get("stroke-dasharray")) for mark in marks} == {(VIOLATION_COLOUR, "5 3")}
    colours = {node.get("fill") for node in root.iter(f"{SVG}rect")}
    assert VIOLATION_COLOUR not in colours and "#d00" not in path.read_text()
    for index in range(500):
        lightness = int(thread_colour(index).split(",")[2].rstrip("%)"))
        assert 40 <= lightness <= 60


def test_html_cpu_lanes_name_their_threads_like_the_svg(tmp_path: Path) -> None:
    """The page's CPU bars carry thread names (zoomable labels); those wide enough show at first, as in the SVG."""
    _, (svg, html) = run_with(tmp_path, MIXED, "run.svg", "run.html")
    svg_names = [node.text for node in svg_root(svg).iter(f"{SVG}text") if node.get("font-size") == "10"]
    page = html.read_text()
    inner = ElementTree.fromstring(page.split('<div id="frame">\n')[1].split("</div>")[0])
    labels = [node for node in inner.iter(f"{SVG}text") if node.get("class") == "bar-label"]
    shown = [node.text for node in labels if node.get("display") is None]
    assert shown == svg_names and {"cruncher1", "reader2"} <= set(shown)
    assert len(labels) > len(shown)  # narrow bars keep a hidden name for when the chart is zoomed
    assert "drawLabels()" in page


def test_svg_aggregates_dense_lanes(tmp_path: Path) -> None:
    """A lane with more intervals than EXACT_LIMIT is drawn as at most one bar per pixel column."""
    scenario = tmp_path / "dense.yaml"
    scenario.write_text(
        "machine: {policy: {name: rr, quantum: 1}}\n"
        f"threads: [{{name: a, burst: {3 * EXACT_LIMIT}}}, {{name: b, burst: {3 * EXACT_LIMIT}}}]\n"
    )
    _, (path,) = run_with(tmp_path, str(scenario), "dense.svg")
    root = svg_root(path)
    bars = [node for node in root.iter(f"{SVG}rect") if "bar" in (node.get("class") or "")]
    assert len(bars) <= 3 * PLOT_WIDTH
    assert any("dense:" in (bar.find(f"{SVG}title").text or "") for bar in bars)  # type: ignore[union-attr]


def test_html_is_a_standalone_page(tmp_path: Path) -> None:
    """The page inlines its drawing, style and script, and loads nothing from elsewhere."""
    _, (path,) = run_with(tmp_path, MIXED, "run.html")
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and '<svg id="plot"' in text and "<script>" in text
    for forbidden in ("src=", 'href="http', "<link", "@import", "url(http"):
        assert forbidden not in text


def chromium() -> str | None:
    """The headless browser, if one is installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(chromium() is None, reason="no Chromium installed (.ci/run installs Debian's chromium)")
def test_html_renders_every_lane_and_the_axis_in_a_real_browser(tmp_path: Path) -> None:
    """Headless Chromium runs the page's script, lays out the chart and reports what it drew."""
    _, (path,) = run_with(tmp_path, MIXED, "run.html")
    browser = chromium()
    assert browser is not None
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.as_uri()]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    body = next(line for line in result.stdout.splitlines() if "<body" in line)
    assert 'data-rendered="true"' in body, result.stderr[-2000:]
    assert 'data-lanes="8"' in body  # 2 CPUs, 5 threads, the disk
    assert int(body.split('data-bar-labels="')[1].split('"')[0]) > 0
    labels = int(body.split('data-axis-labels="')[1].split('"')[0])
    assert labels >= 3


def test_text_chart_file_is_the_reports_chart(tmp_path: Path) -> None:
    """--timeline x.txt holds the same chart as the text report."""
    path = tmp_path / "chart.txt"
    result = CliRunner().invoke(main, ["run", MIXED, "--timeline", str(path)])
    assert path.read_text() in result.stdout


def test_event_log_lines_are_exactly_json_dumps_of_the_record(tmp_path: Path) -> None:
    """The hand-assembled lines equal (exact) json.dumps of event_record, for every event of a run."""
    from simulator import load_scenario, simulate
    from simulator.output.event_log import event_record
    from simulator.output.numbers import dumps

    events: list = []
    _, (path,) = run_with(tmp_path, MIXED, "run.jsonl", extra=("--seed", "3"))
    simulate(load_scenario(MIXED), seed=3, listeners=[events.append])
    expected = [dumps(event_record(e, "ms"), separators=(",", ":")) for e in events]
    assert path.read_text().splitlines() == expected


TWO_FORKS = """\
machine: {cpus: 2}
processes:
  - name: p
    memory: {x: 1}
    sync: {m: mutex}
    threads:
      - {name: main, program: [lock: m, compute: 1, unlock: m, fork: c, fork: c, wait_process: c]}
      - {name: other, program: [lock: m, compute: 1, unlock: m]}
  - name: c
    start: forked
    threads:
      - {name: w, program: [compute: 1, store: {var: x, value: 5}]}
"""


def test_every_format_shows_threads_of_a_second_forked_instance(tmp_path: Path) -> None:
    """Threads no declaration names (w#2 of process c#2) get a row, a lane and a track in every output."""
    scenario = tmp_path / "forks.yaml"
    scenario.write_text(TWO_FORKS)
    names = ["run.jsonl", "run.csv", "run.trace.json", "run.svg", "run.html", "run.txt"]
    paths = [tmp_path / name for name in names]
    args = ["run", str(scenario)] + [arg for path in paths for arg in ("--timeline", str(path))]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "w#2   |" in result.stdout
    for path in paths:
        assert "w#2" in path.read_text(), path.name
    assert "c#2" in (tmp_path / "run.csv").read_text()
    trace = json.loads((tmp_path / "run.trace.json").read_text())["traceEvents"]
    handoffs = [event for event in trace if event["ph"] == "i" and event["name"] == "handoff of m"]
    assert handoffs and handoffs[0]["args"] == {"object": "m", "from": "main"}
