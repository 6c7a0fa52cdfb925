"""Tests of the livelock check and of the step bounds shared by run, explore and replay."""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner

from simulator.analysis.livelock import enclosing_loop
from simulator.cli import main
from simulator.program.operations import Repeat, While
from tests.conftest import run_yaml, scenario_from

SPIN = """\
name: spin
machine: {cpus: 1, policy: rr}
processes:
  - name: p
    memory: {flag: 0}
    threads:
      - name: spinner
        program:
          - while: {cond: flag == 0, do: []}
      - name: setter
        program:
          - compute: 1
          - store: {var: flag, value: 1}
"""


def test_a_zero_time_spin_is_a_livelock_naming_thread_loop_and_line() -> None:
    """A while loop of zero-time steps stops within twice the bound, as a livelock of its thread and line."""
    started = time.monotonic()
    metrics = run_yaml(SPIN)
    assert time.monotonic() - started < 10
    assert [(v.kind, v.thread, v.subject) for v in metrics.violations] == [("livelock", "spinner", ("spinner", "9"))]
    message = metrics.violations[0].message
    assert "while loop at line 9 (`while: flag == 0`)" in message
    assert "give its body a cost" in message and "--max-steps-per-instant" in message
    assert metrics.steps <= 2 * 10_000 + 10 and not metrics.complete


def test_the_livelock_bound_is_an_option_and_can_be_turned_off() -> None:
    """max_instant_steps sets the bound; None turns the check off (the step bound still ends the run)."""
    assert run_yaml(SPIN, max_instant_steps=50).steps <= 101
    kinds = [v.kind for v in run_yaml(SPIN, max_instant_steps=None, max_steps=30_000).violations]
    assert kinds == ["step_bound"]


def test_a_spin_whose_body_takes_time_is_no_livelock() -> None:
    """Time advances in the loop: the setter runs and the spinner ends."""
    metrics = run_yaml(SPIN.replace("do: []", "do: [compute: 0.001]"))
    assert metrics.complete and metrics.violations == ()


def test_many_threads_taking_few_steps_at_one_instant_are_no_livelock() -> None:
    """The bound is per thread: 300 threads of 50 zero-time steps at time 0 (15,000 steps) run to the end."""
    threads = ", ".join(f"{{name: T{i}, program: [repeat: {{times: 50, do: [yield]}}]}}" for i in range(300))
    metrics = run_yaml(f"threads: [{threads}]\n")
    assert metrics.complete and metrics.violations == ()


def test_a_repeat_of_many_zero_time_passes_ends_and_is_no_livelock() -> None:
    """20,000 increments at one instant: a repeat always ends, so it runs to its end and its expectation
    holds (it used to stop at 10,000 steps as a livelock); a while inside a repeat still spins."""
    metrics = run_yaml("""
    processes:
      - name: app
        memory: {x: 0}
        threads:
          - {name: T, program: [{repeat: {times: 20000, do: [{incr: x}]}}]}
    expect: [app.x == 20000]
    """)
    assert metrics.complete and metrics.violations == ()
    metrics = run_yaml("""
    processes:
      - name: app
        memory: {flag: 0}
        threads:
          - {name: T, program: [{repeat: {times: 3, do: [{while: {cond: flag == 0, do: []}}]}}]}
    """)
    assert [violation.kind for violation in metrics.violations] == ["livelock"]


def test_nested_repeats_of_nothing_take_no_time_and_end() -> None:
    """A repeat of 10^6 repeats of 10^5 empty repeats (within the loader's nesting limit) is skipped at once."""
    text = (
        "threads: [{name: A, program: [{repeat: {times: 1000000, do: [{repeat: {times: 100000, "
        "do: [{repeat: {times: 5, do: []}}]}}]}}, {compute: 1}, {while: {cond: 'x > 0', do: []}}]}]\n"
    )
    metrics = run_yaml(text)
    assert metrics.complete and metrics.steps == 2


def test_the_enclosing_loop_is_the_innermost() -> None:
    """A step's line is found in the innermost loop around it."""
    scenario = scenario_from(
        "threads: [{name: A, program: [{repeat: {times: 2, do: [\n"
        "  {while: {cond: 'x == 0', do: [\n"
        "     {yield: }]}}]}}]}]\n"
    )
    program = scenario.processes[0].threads[0].program
    assert isinstance(enclosing_loop(program, 2), While)
    assert isinstance(enclosing_loop(program, 3), While)
    assert isinstance(enclosing_loop(program, 1), Repeat)
    assert enclosing_loop(program, 99) is None


def test_explore_and_replay_take_the_same_bounds_and_repeat_them(tmp_path: Path) -> None:
    """explore reports a spin nobody ends as a livelock; its replay command carries the changed bound and fails
    alike."""
    path = tmp_path / "spin.yaml"
    path.write_text(SPIN.replace("value: 1}", "value: 0}"))
    result = CliRunner().invoke(main, ["explore", str(path), "--runs", "3", "--no-database", "--report", "json",
                                       "--max-steps-per-instant", "500"])  # fmt: skip
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    failure = report["failures"][0]
    assert failure["kind"] == "livelock"
    replay = failure["reproduce"][0]
    assert replay.endswith("--max-steps-per-instant 500")
    words = replay.split()[1:]
    replayed = CliRunner().invoke(main, words)
    assert replayed.exit_code == 1 and "[livelock]" in replayed.stdout
    assert "--max-steps-per-instant 500" in replayed.stdout  # its own reproduce line


def test_run_takes_the_livelock_option_and_reproduces_it(tmp_path: Path) -> None:
    """run --max-steps-per-instant 0 turns the check off; the reproduce line repeats the option."""
    path = tmp_path / "spin.yaml"
    path.write_text(SPIN)
    result = CliRunner().invoke(main, ["run", str(path), "--max-steps-per-instant", "0", "--max-steps", "2000"])
    assert result.exit_code == 1
    assert "[step_bound]" in result.stdout and "--max-steps-per-instant 0" in result.stdout
