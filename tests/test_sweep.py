"""Tests of threadsim sweep (simulator.sweep and its reports): combinations, figures, errors, determinism."""

from __future__ import annotations

import csv
import io
import json
import shlex
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator import load_scenario, parse_policy_text, simulate, with_overrides
from simulator.cli import main
from simulator.errors import UsageError
from simulator.scenario.source import load_source
from simulator.sweep import Setting, parse_setting, set_value, summarize, sweep
from tests.conftest import SCENARIOS

MIXED = str(SCENARIOS / "mixed-io.yaml")


def invoke(*args: str) -> tuple[int, str, str]:
    """Run threadsim with `args`; return exit code, stdout and stderr."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_every_combination_runs_in_the_order_given() -> None:
    """Two settings of 3 and 2 values give 6 rows, the last setting changing fastest."""
    result = sweep(
        load_source(MIXED), [parse_setting("machine.cpus=1,2,3"), parse_setting("machine.devices.disk.servers=1,2")]
    )
    assert [row.settings for row in result.rows] == [
        (("machine.cpus", c), ("machine.devices.disk.servers", s)) for c in "123" for s in "12"
    ]


def test_a_row_is_the_run_of_the_scenario_with_that_value() -> None:
    """The cpus=2 row's metrics are exactly those of the scenario run with --cpus 2."""
    result = sweep(load_source(MIXED), [parse_setting("machine.cpus=1,2")])
    expected = simulate(with_overrides(load_scenario(MIXED), cpus=2))
    assert result.rows[1].runs == (expected,)


def test_span_and_device_figures_follow_the_cpu_figures() -> None:
    """A scenario with a span and a device gets SPAN.mean, SPAN.p99 and DEVICE.utilization columns, read
    from each run's span and device figures; one without them gets none."""
    web = str(SCENARIOS / "web-server-pool.yaml")
    result = sweep(load_source(web), [parse_setting("machine.devices.disk.servers=1,2")])
    names = [figure.name for figure in result.figures]
    assert names[-3:] == ["request.mean", "request.p99", "disk.utilization"]
    figures = {figure.name: figure for figure in result.figures}
    for row in result.rows:
        (metrics,) = row.runs
        (span,) = metrics.spans
        (disk,) = [device for device in metrics.devices if device.name == "disk"]
        assert row.summary(figures["request.p99"]).mean == span.p99
        assert row.summary(figures["request.mean"]).mean == span.mean
        assert row.summary(figures["disk.utilization"]).mean == disk.utilization(metrics.end_time)
    _, report, _ = invoke("sweep", web, "--set", "machine.devices.disk.servers=1,2", "--report", "json")
    assert json.loads(report)["rows"][0]["figures"]["disk.utilization"]["mean"] == 0.9959
    plain = sweep(load_source(str(SCENARIOS / "rr-textbook.yaml")), [parse_setting("machine.cpus=1")])
    assert [figure.name for figure in plain.figures][-1] == "violations"


def test_policies_are_one_more_axis() -> None:
    """With --policy, each combination runs under each policy."""
    code, out, _ = invoke(
        "sweep", MIXED, "--set", "machine.cpus=1,2", "--policy", "fcfs", "--policy", "rr:quantum=2", "--report", "json"
    )
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [(row["settings"]["machine.cpus"], row["policy"]) for row in rows] == [
        ("1", "fcfs"),
        ("1", "rr:quantum=2"),
        ("2", "fcfs"),
        ("2", "rr:quantum=2"),
    ]
    fcfs_two = simulate(with_overrides(load_scenario(MIXED), cpus=2, policy=parse_policy_text("fcfs", "ms")))
    assert rows[2]["figures"]["end_time"]["mean"] == fcfs_two.end_time / 1_000_000


def test_seeds_give_the_mean_and_sample_deviation() -> None:
    """The summary over seeds is the exact mean, the n-1 standard deviation, the least and the greatest."""
    summary = summarize([1, 2, 3, None])
    assert summary.mean == Fraction(2)
    assert summary.sd == 1.0
    assert (summary.low, summary.high) == (1, 3)
    assert summarize([None]).mean is None


def test_several_seeds_run_seeds_zero_to_n_minus_one() -> None:
    """--seeds 3 runs seeds 0, 1 and 2 of each combination and says so."""
    code, out, _ = invoke("sweep", MIXED, "--set", "machine.cpus=2", "--seeds", "3")
    assert code == 0
    assert "1 combinations | seeds 0-2 (mean ±sd)" in out
    code, out, _ = invoke("sweep", MIXED, "--set", "machine.cpus=2", "--seeds", "3", "--report", "json")
    assert json.loads(out)["seeds"] == [0, 1, 2]


def test_a_setting_the_file_leaves_out_is_created() -> None:
    """A path whose key the file does not write (context_switch) is set all the same."""
    result = sweep(load_source(MIXED), [parse_setting("machine.context_switch=0,1")])
    assert result.rows[1].runs[0].context_switch == 1_000_000


def test_list_items_are_found_by_name_or_index() -> None:
    """processes.db and processes.1 name the same process."""
    data = load_source(MIXED).data
    by_name = set_value(data, parse_setting("processes.db.arrival=7"), 7)
    by_index = set_value(data, parse_setting("processes.1.arrival=8"), 8)
    assert by_name == by_index == ("processes", 1, "arrival")


@pytest.mark.parametrize(("setting", "message"), [
    ("machine.cpus=0", "Error: --set machine.cpus=0: cpus must be at least 1, got 0"),
    ("machine.cpuz=1", "Error: --set machine.cpuz=1: unknown key 'cpuz' in machine (did you mean 'cpus'?)"),
    ("processes.nope.arrival=1", "Error: --set processes.nope.arrival: processes has no item named 'nope' "
                                 "(items: compute, db, logger); give an item's name or its index"),
    ("machine.cpus", "Error: --set 'machine.cpus': expected PATH=VALUE[,VALUE...], e.g. machine.cpus=1,2,4"),
    ("machine.cpus=1,,2", "Error: --set 'machine.cpus=1,,2': give one or more values separated by commas, "
                          "none of them empty"),
    ("machine..cpus=1", "Error: --set 'machine..cpus=1': 'machine..cpus' has an empty part; parts are separated "
                        "by single dots"),
    ("machine.cpus.count=1", "Error: --set machine.cpus.count: machine.cpus is a single value, not a mapping or a "
                             "list"),
    ("seed=1,2", "Error: --set 'seed=1,2': sweep seeds with --seeds"),  # it ran every row with the first seed
])  # fmt: skip
def test_bad_settings_are_usage_errors_naming_the_setting(setting: str, message: str) -> None:
    """Each mistake exits 2 with a message that names the --set."""
    code, _, err = invoke("sweep", MIXED, "--set", setting)
    assert code == 2
    assert message in err


def test_the_same_path_twice_is_refused() -> None:
    """Two --set of one path would hide one of them: refused."""
    code, _, err = invoke("sweep", MIXED, "--set", "machine.cpus=1", "--set", "machine.cpus=2")
    assert code == 2
    assert "--set machine.cpus is given twice" in err


def test_a_sweep_too_large_is_refused_before_running() -> None:
    """More than MAX_RUNS runs are refused at once."""
    with pytest.raises(UsageError, match="would make 120,000 runs"):
        sweep(load_source(MIXED), [parse_setting("machine.cpus=1,2,3,4,5,6,7,8,9,10,11,12")], seeds=range(10_000))


def test_a_sweep_too_large_is_refused_before_any_combination_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """A million combinations are counted, not built: no scenario is checked before the refusal (it took
    minutes and gigabytes to build them all first)."""
    import simulator.sweep as sweep_module

    built: list[object] = []
    monkeypatch.setattr(sweep_module, "scenario_from_source", lambda *args: built.append(args))
    values = ",".join(str(v) for v in range(1, 101))
    settings = [parse_setting(f"{path}={values}") for path in ("machine.cpus", "machine.context_switch", "name")]
    with pytest.raises(UsageError, match="would make 1,000,000 runs"):
        sweep(load_source(MIXED), settings)
    assert built == []


def test_values_with_commas_inside_brackets_stay_whole() -> None:
    """A flow mapping's commas belong to the value."""
    setting = parse_setting("machine.policy={name: rr, quantum: 3},fcfs")
    assert setting == Setting("machine.policy", ("machine", "policy"), ("{name: rr, quantum: 3}", "fcfs"),
                              ({"name": "rr", "quantum": 3}, "fcfs"))  # fmt: skip


def test_csv_has_a_column_per_setting_and_figure() -> None:
    """The CSV header names the settings, the policy and each figure; rows hold the figures' values."""
    code, out, _ = invoke("sweep", MIXED, "--set", "machine.cpus=1,2", "--report", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["machine.cpus"] for row in rows] == ["1", "2"]
    assert rows[0]["end_time"] == "155.5"
    assert rows[0]["utilization"] == "0.9196"


def test_text_and_json_agree() -> None:
    """The table's cells are the JSON report's means."""
    _, text, _ = invoke("sweep", MIXED, "--set", "machine.cpus=1,3")
    _, report, _ = invoke("sweep", MIXED, "--set", "machine.cpus=1,3", "--report", "json")
    rows = json.loads(report)["rows"]
    for line, row in zip(text.splitlines()[4:], rows, strict=True):
        cells = line.split()
        assert float(cells[2]) == row["figures"]["end_time"]["mean"]
        assert float(cells[4]) == row["figures"]["response"]["mean"]


def test_a_sweep_is_deterministic() -> None:
    """Two sweeps of the same settings print the same bytes."""
    args = ("sweep", MIXED, "--set", "machine.cpus=1,2", "--seeds", "2")
    assert invoke(*args) == invoke(*args)


def test_the_plot_is_drawn_and_reproducible(tmp_path: Path) -> None:
    """--plot writes an SVG that is byte-identical on a second run, and a PNG."""
    pytest.importorskip("matplotlib")
    first, second, png = tmp_path / "a.svg", tmp_path / "b.svg", tmp_path / "c.png"
    for path in (first, second, png):
        code, _, _ = invoke("sweep", MIXED, "--set", "machine.cpus=1,2,3", "--seeds", "2", "--plot", str(path))
        assert code == 0
    assert first.read_bytes() == second.read_bytes()
    assert b"mean response (ms)" in first.read_bytes()
    assert png.read_bytes().startswith(b"\x89PNG")
    assert not list(tmp_path.glob("*.partial"))


def test_a_plot_of_another_format_is_refused(tmp_path: Path) -> None:
    """Only .svg and .png are drawn."""
    code, _, err = invoke("sweep", MIXED, "--set", "machine.cpus=1", "--plot", str(tmp_path / "x.pdf"))
    assert code == 2
    assert "must end in .svg or .png" in err


DOC = Path(__file__).resolve().parent.parent / "docs" / "capacity.md"


def doc_samples() -> list[tuple[str, str]]:
    """Every `$ threadsim sweep ...` block of docs/capacity.md: the command and what it prints."""
    samples = []
    for block in DOC.read_text(encoding="utf-8").split("```\n")[1::2]:
        first, _, rest = block.partition("\n")
        if first.startswith("$ threadsim sweep "):
            samples.append((first[2:], rest))
    return samples


def test_the_docs_have_sweep_samples() -> None:
    """docs/capacity.md shows sweep output (so the sample test below cannot pass on nothing)."""
    assert len(doc_samples()) >= 3


@pytest.mark.parametrize(("command", "expected"), doc_samples())
def test_the_docs_samples_are_what_sweep_prints(command: str, expected: str) -> None:
    """Each sample in docs/capacity.md is the command's real output (stdout, or the error on stderr). Each
    runs in a fresh interpreter, as a user's would: the 40,000-request sweeps are heavy, and inside a long
    test session they ran for minutes."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "simulator", *shlex.split(command)[1:]], cwd=root,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    printed = done.stdout if done.returncode != 2 else done.stderr.splitlines()[-1] + "\n"
    assert printed == expected


def test_a_setting_inside_an_aliased_value_changes_only_its_own_path(tmp_path: Path) -> None:
    """With a YAML alias, one value appears at two paths; --set changes the path it names, not the other."""
    path = tmp_path / "aliased.yaml"
    path.write_text(
        "machine: {cpus: 1}\n"
        "processes:\n"
        "  - {name: a, threads: [{name: t1, program: &work [compute: 5]}]}\n"
        "  - {name: b, threads: [{name: t2, program: *work}]}\n", encoding="utf-8")  # fmt: skip
    result = sweep(load_source(path), [parse_setting("processes.a.threads.t1.program.0.compute=9")])
    lengths = {thread.process: thread.cpu_time for thread in result.rows[0].runs[0].threads}
    assert lengths == {"a": 9_000_000, "b": 5_000_000}


def test_span_names_in_columns_are_escaped(tmp_path: Path) -> None:
    """A span named like a formula, with a control character, is a CSV header cell that a spreadsheet does
    not evaluate, and is shown escaped in the text table."""
    text = (SCENARIOS / "web-server-pool.yaml").read_text(encoding="utf-8")
    path = tmp_path / "named.yaml"
    path.write_text(text.replace("name: request", 'name: "=HYPERLINK(1)\\e[31m"'), encoding="utf-8")
    _, table, _ = invoke("sweep", str(path), "--set", "machine.cpus=1")
    assert "\x1b" not in table and "=HYPERLINK(1)\\x1b[31m.p99" in table
    _, report, _ = invoke("sweep", str(path), "--set", "machine.cpus=1", "--report", "csv")
    header = next(csv.reader(io.StringIO(report)))
    assert "'=HYPERLINK(1)\x1b[31m.p99" in header
