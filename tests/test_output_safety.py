"""Every output is well-formed for any name and exact for any time: escaping (simulator.output.escaping),
exact numbers (simulator.output.numbers) and charts past 2**63 ns."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ElementTree
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.output.chart_data import ChartData
from simulator.output.escaping import csv_cell, printable, xml_text
from simulator.output.numbers import dumps, json_number, rounded_number, time_number
from simulator.output.writer import TimelineInfo
from simulator.states import State
from simulator.timeunits import format_time
from simulator.trace import TraceEvent

HOSTILE = ["a\x1b[31mred\nx", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "=cmd|' /C calc'!A0",
           "+sum", "-2+3", "@attack", "nul\x00bell\x07", "rtl\u202eevil", "lone\ud800"]  # fmt: skip
BIG = 2**60 + 1  # ns: 1152921504606.846977 ms needs 19 significant digits, more than a float holds


def hostile_scenario(tmp_path: Path) -> Path:
    """A scenario whose thread and process names are HOSTILE (written with JSON escapes, which YAML reads)."""
    threads = ", ".join(f"{{name: {json.dumps(name)}, burst: 1}}" for name in HOSTILE)
    path = tmp_path / "hostile.yaml"
    path.write_text(f"threads: [{threads}]\n", encoding="utf-8")
    return path


def run(*args: str) -> str:
    """threadsim's standard output for `args` (exit status 0)."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_printable_escapes_controls_surrogates_and_bidi_and_keeps_the_rest() -> None:
    """Escapes are short and readable; ordinary Unicode is kept."""
    assert printable("a\x1b[0m\n\t\x00\x7f\x9b") == "a\\x1b[0m\\n\\t\\x00\\x7f\\x9b"
    assert printable("x\u202ey\ud800") == "x\\u202ey\\ud800"
    assert printable("naïve 线程 <ok>") == "naïve 线程 <ok>"
    assert xml_text('<a href="x">\x01') == "&lt;a href=&quot;x&quot;&gt;\\x01"


def test_csv_cells_that_look_like_formulas_are_neutralized() -> None:
    """A leading =, +, -, @, tab or carriage return gets a quote; other text is unchanged."""
    assert [csv_cell(text) for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok", "a=b")] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "ok", "a=b"]  # fmt: skip


def test_the_text_report_escapes_every_name(tmp_path: Path) -> None:
    """No control character reaches the terminal; each name keeps to one line; the table stays aligned."""
    output = run("run", str(hostile_scenario(tmp_path)))
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e\ud800-\udfff]", output)
    rows = [line for line in output.splitlines() if line.startswith(tuple(printable(n)[:4] for n in HOSTILE))]
    table = [line for line in rows if line.endswith("0     0")]
    assert len(table) == len(HOSTILE)
    assert len({line.index(" 0  ") for line in table}) == 1  # the arrival column lines up
    assert "a\\x1b[31mred\\nx" in output and "lone\\ud800" in output


def test_the_text_gantt_file_escapes_names(tmp_path: Path) -> None:
    """--timeline x.txt shows the same escaped labels."""
    chart = tmp_path / "chart.txt"
    run("run", str(hostile_scenario(tmp_path)), "--timeline", str(chart))
    text = chart.read_text(encoding="utf-8")
    assert "nul\\x00bell\\x07" in text and "\x07" not in text


def test_svg_and_html_are_well_formed_and_escape_markup(tmp_path: Path) -> None:
    """Control characters can't make the SVG invalid XML; markup in names stays text."""
    svg, html = tmp_path / "run.svg", tmp_path / "run.html"
    run("run", str(hostile_scenario(tmp_path)), "--timeline", str(svg), "--timeline", str(html))
    root = ElementTree.parse(svg).getroot()
    labels = [node.text for node in root.iter("{http://www.w3.org/2000/svg}text") if node.get("class") == "lane-label"]
    assert labels[1:] == [printable(name) for name in HOSTILE]
    for path in (svg, html):
        text = path.read_text(encoding="utf-8")
        assert "<img" not in text and "<script>alert" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)
    inner = html.read_text(encoding="utf-8").split('<div id="frame">\n')[1].split("</div>")[0]
    ElementTree.fromstring(inner)  # the page's drawing is well-formed XML too


def test_csv_timeline_neutralizes_formulas_in_names(tmp_path: Path) -> None:
    """Thread and process cells that start like a formula start with a quote."""
    path = tmp_path / "run.csv"
    run("run", str(hostile_scenario(tmp_path)), "--timeline", str(path))
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    threads = {row["thread"] for row in rows}
    assert {"'=cmd|' /C calc'!A0", "'+sum", "'-2+3", "'@attack"} <= threads
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_numbers_are_exact_plain_decimals() -> None:
    """Times in any unit are exact at any size and never in exponent form."""
    assert format_time(1, "ms") == "0.000001"
    assert format_time(BIG, "ms") == "1152921504606.846977"
    assert format_time(2**70, "s") == "1180591620717.411303424"
    assert format_time(30_000_000, "ms") == "30"
    assert time_number(2_500_000, "ms") == 2.5 and isinstance(time_number(2_500_000, "ms"), float)
    assert time_number(BIG, "ms") == Decimal("1152921504606.846977")
    assert json_number("0.000001") == Decimal("0.000001")
    assert rounded_number(Fraction(17, 3), 3) == 5.667
    assert rounded_number(Fraction(2**80, 3), 3) == Decimal(f"{2**80 // 3}.333")


def test_dumps_is_json_dumps_with_exact_decimals() -> None:
    """The same text as json.dumps for ordinary values; Decimals as their digits."""
    value = {"a": [1, 2.5, None, True, "é\n"], "b": {}, "c": [], 3: "int key"}
    for options in ({}, {"indent": 2}, {"separators": (",", ":")}, {"indent": 2, "ensure_ascii": False}):
        assert dumps(value, **options) == json.dumps(value, **options)  # type: ignore[arg-type]
        exact = dumps({**value, "d": Decimal("0.000001")}, **options)  # type: ignore[arg-type]
        assert json.loads(exact, parse_float=Decimal)["d"] == Decimal("0.000001")
        assert exact == json.dumps({**value, "d": 1.5}, **options).replace("1.5", "0.000001")  # type: ignore[arg-type]


def test_a_1ns_cpu_time_is_a_plain_decimal(tmp_path: Path) -> None:
    """Not 1e-06: in the text report, the JSON report and the event log."""
    path = tmp_path / "tiny.yaml"
    path.write_text('threads: [{name: A, burst: "1ns"}]\n')
    text = run("run", str(path))
    assert re.search(r"^A +A +0 +0 +0.000001 +0.000001 ", text, re.MULTILINE)
    report = run("run", str(path), "--report", "json")
    assert '"cpu_time": 0.000001,' in report and "e-" not in report
    log = tmp_path / "run.jsonl"
    run("run", str(path), "--timeline", str(log))
    assert '"time":0.000001' in log.read_text()


def test_times_past_2_to_the_53_ns_are_exact_in_every_output(tmp_path: Path) -> None:
    """Reports and timelines keep every nanosecond of a 2**60 + 1 ns run; charts draw past 2**64 ns."""
    path = tmp_path / "big.yaml"
    path.write_text(f'threads: [{{name: A, burst: "{BIG}ns"}}, '
                    f'{{name: B, program: [sleep: "{2**65 + 7}ns", compute: 1]}}]\n')  # fmt: skip
    exact = "1152921504606.846977"
    assert exact in run("run", str(path))
    report = json.loads(run("run", str(path), "--report", "json"), parse_float=Decimal)
    assert report["threads"][0]["cpu_time"] == Decimal(exact)
    names = ["run.csv", "run.jsonl", "run.trace.json", "run.svg", "run.html", "run.txt"]
    run("run", str(path), *[arg for name in names for arg in ("--timeline", str(tmp_path / name))])
    assert f"A,A,0,running,0,{exact}," in (tmp_path / "run.csv").read_text()
    assert f'{{"time":{exact},"cpu":0,"thread":"A","event":"exit"' in (tmp_path / "run.jsonl").read_text()
    trace = json.loads((tmp_path / "run.trace.json").read_text(), parse_float=Decimal)
    durations = {event["dur"] for event in trace["traceEvents"] if event.get("name") == "A"}
    assert durations == {Decimal("1152921504606846.977")}
    root = ElementTree.parse(tmp_path / "run.svg").getroot()
    assert root.get("data-end") == str(BIG + 2**65 + 7 + 1_000_000) == str(int(report["end_time"] * 1_000_000))
    assert "<svg" in (tmp_path / "run.html").read_text()


@pytest.mark.parametrize("end", [2**63, 2**64 + 3, 2**130 + 11])
def test_chart_data_keeps_times_of_any_size(end: int) -> None:
    """The spill file's 64-bit records carry larger times in extra records; bars come back exact."""
    data = ChartData(TimelineInfo("s", "ns", 1, (("A", "p"),)))
    for event in (TraceEvent(0, None, "A", "arrive"), TraceEvent(end // 2, 0, "A", "run"),
                  TraceEvent(end, 0, "A", "exit")):  # fmt: skip
        data(event)
    bars = [(bar.lane, bar.start, bar.end, bar.state) for bar in data.bars(end)]
    assert bars == [(1, 0, end // 2, State.READY), (1, end // 2, end, State.RUNNING), (0, end // 2, end, State.RUNNING)]
