"""Tests of the command line (simulator.cli) with click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from simulator.cli import main
from tests.conftest import SCENARIOS

RR = str(SCENARIOS / "rr-textbook.yaml")


def invoke(*args: str) -> tuple[int, str, str]:
    """Run threadsim with `args`; return exit code, stdout and stderr."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_run_prints_a_header_that_reproduces_the_run() -> None:
    """The header echoes scenario, seed, policy and CPUs, and the exact command to reproduce."""
    code, out, _ = invoke("run", RR, "--seed", "5")
    assert code == 0
    assert f"reproduce: threadsim run {RR} --seed 5 --policy rr:quantum=4 --cpus 1 --context-switch 0" in out
    assert "violations: none" in out


def test_run_json_follows_the_report_format() -> None:
    """--report json has SPEC section 8's fields."""
    code, out, _ = invoke("run", RR, "--report", "json")
    report = json.loads(out)
    assert code == 0
    assert report["format"] == "threadsim-report/1"
    assert report["policy"] == {"name": "rr", "quantum": 4}
    assert report["averages"] == {"waiting": 5.667, "response": 3.667, "turnaround": 15.667}
    assert report["threads"][0] == {
        "name": "P1", "process": "P1", "arrival": 0, "first_run": 0, "completion": 30, "cpu_time": 24,
        "waiting": 6, "blocked": 0, "io": 0, "sync": 0, "gil": 0, "sleeping": 0, "switching": 0, "response": 0,
        "turnaround": 30,
        "voluntary_switches": 0, "involuntary_switches": 1, "migrations": 0,
    }  # fmt: skip
    assert report["cpu_stats"] == [{"cpu": 0, "busy": 30, "idle": 0, "switching": 0, "utilization": 1}]
    assert (report["context_switches"], report["complete"], report["violations"]) == (3, True, [])


def test_overrides_change_the_machine() -> None:
    """--policy, --cpus and --context-switch replace the scenario's machine settings."""
    code, out, _ = invoke("run", RR, "--report", "json", "--policy", "fcfs", "--cpus", "2",
                          "--context-switch", "250us")  # fmt: skip
    report = json.loads(out)
    assert code == 0
    assert (report["policy"], report["cpus"], report["context_switch"]) == ({"name": "fcfs"}, 2, 0.25)


def test_until_reports_an_incomplete_run_with_status_0() -> None:
    """Stopping at --until is not a violation."""
    code, out, _ = invoke("run", RR, "--report", "json", "--until", "12")
    report = json.loads(out)
    assert (code, report["complete"], report["end_time"]) == (0, False, 12)


def test_the_step_bound_exits_with_status_1() -> None:
    """A violation gives exit status 1."""
    code, out, _ = invoke("run", RR, "--max-steps", "2")
    assert code == 1
    assert "[step_bound]" in out


def test_bad_scenarios_exit_2_with_located_messages_and_no_traceback(tmp_scenario) -> None:  # type: ignore[no-untyped-def]
    """Bad input prints FILE:LINE:COL: PATH: message on stderr and exits 2."""
    path = tmp_scenario("threads:\n  - {name: A, program: [lok: m]}\n")
    code, out, err = invoke("run", str(path))
    assert code == 2 and out == ""
    assert err == f"{path}:2:25: threads[0].program[0]: unknown operation 'lok' (did you mean 'lock'?)\n"
    assert "Traceback" not in err


def test_missing_file_and_bad_options_exit_2() -> None:
    """A missing file and bad option values are usage errors (status 2)."""
    code, _, err = invoke("run", "no-such-file.yaml")
    assert (code, err) == (2, "no-such-file.yaml:1:1: (top): no such file\n")
    code, _, err = invoke("run", RR, "--policy", "rr:quantum=-1")
    assert code == 2 and "--policy 'rr:quantum=-1': duration must not be negative, got -1" in err
    code, _, err = invoke("run", RR, "--until", "soon")
    assert code == 2 and "--until: expected a duration" in err
    code, _, err = invoke("run", RR, "--timeline", "out.pdf")
    assert code == 2 and "cannot tell the timeline format of 'out.pdf'" in err


def test_validate_reports_every_file(tmp_scenario) -> None:  # type: ignore[no-untyped-def]
    """validate checks many files, prints ok for good ones and every error for bad ones."""
    bad = tmp_scenario("machine: {cpus: 0}\nthreads: [{name: A, burst: -1}]\n", "bad.yaml")
    code, out, err = invoke("validate", RR, str(bad))
    assert code == 2
    assert out == f"{RR}: ok (3 processes, 3 threads)\n"
    assert err.splitlines() == [
        f"{bad}:1:17: machine.cpus: cpus must be at least 1, got 0",
        f"{bad}:2:28: threads[0].burst: duration must not be negative, got -1",
    ]
    assert invoke("validate", RR)[0] == 0


def test_policies_lists_each_policy_with_its_parameters() -> None:
    """`threadsim policies` shows names, parameters and defaults."""
    code, out, _ = invoke("policies")
    assert code == 0
    assert "fcfs\n" in out and "rr\n" in out
    assert "quantum (duration, default 10ms): time slice, restarted at each dispatch" in out


def test_timeline_files(tmp_path: Path) -> None:
    """--timeline writes the .jsonl event log and the .txt Gantt chart."""
    log, chart = tmp_path / "run.jsonl", tmp_path / "run.txt"
    code, out, _ = invoke("run", RR, "--timeline", str(log), "--timeline", str(chart))
    assert code == 0
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert events[0] == {
        "time": 0,
        "cpu": None,
        "thread": "P1",
        "event": "arrive",
        "state": "ready",
        "details": {"process": "P1"},
    }
    preempt = next(event for event in events if event["event"] == "preempt")
    assert preempt == {"time": 4, "cpu": 0, "thread": "P1", "event": "preempt", "state": "ready",
                       "details": {"remaining": 20}}  # fmt: skip
    assert [event["time"] for event in events] == sorted(event["time"] for event in events)
    gantt = chart.read_text()
    assert gantt.startswith("Timeline (1 column = 0.5 ms)\n")
    assert gantt in out


def test_python_dash_m_is_the_same_command() -> None:
    """`python -m simulator` runs the CLI."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "simulator", "policies"], capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert result.returncode == 0 and "rr\n" in result.stdout


def test_a_closed_standard_error_is_no_failure() -> None:
    """`threadsim run ... 2>&-`: progress is not drawn, the report is printed, exit 0 (it used to fail on
    `sys.stderr.isatty()` with no output)."""
    import shlex
    import subprocess
    import sys

    command = shlex.join([sys.executable, "-m", "simulator", "run", str(SCENARIOS / "rr-textbook.yaml"), "--report",
                          "json"]) + " 2>&-"  # fmt: skip
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and json.loads(result.stdout)["scenario"] == "rr-textbook"


def test_compare_shows_each_runs_violations_and_final_memory() -> None:
    """compare's table has a violations row and a row per shared variable's final value; each policy's
    violations follow its chart."""
    lost_update = str(SCENARIOS / "lost-update.yaml")
    code, out, _ = invoke("compare", lost_update, "--policy", "fcfs", "--policy", "rr:quantum=1")
    lines = out.splitlines()
    assert code == 1
    violations = next(line for line in lines if line.startswith("violations "))
    counter = next(line for line in lines if line.startswith("app.counter at end"))
    assert violations.split()[1:] == ["2", "6"]
    assert counter.split()[3:] == ["40", "21"]
    assert "--- rr:quantum=1 ---" in out and "  [expect] at " in out.split("--- rr:quantum=1 ---")[1]


def test_replay_bounds_the_width_as_run_does() -> None:
    """--width past the limit is refused by replay too (it shares run's option)."""
    code, _, err = invoke("replay", RR, "ts1.00000000.0", "--width", "10000001")
    assert code == 2
    assert "10000001 is not in the range 10<=x<=10000" in err


def test_explore_jobs_are_bounded() -> None:
    """--jobs 1000 is refused at once instead of forking a thousand workers."""
    code, _, err = invoke("explore", RR, "--jobs", "1000")
    assert code == 2
    assert "1000 is not in the range 1<=x<=256" in err
