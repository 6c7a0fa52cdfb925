"""Hostile and oversized scenario files are refused at once: a located message, exit status 2, never a
traceback, never minutes or gigabytes (SPEC sections 6 and 9; docs/scenarios.md, "Limits")."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.scenario import limits, processes, source
from simulator.scenario.limits import MAX_ALIAS_NODES, MAX_CPUS, MAX_DEPTH

BASE = """name: h
machine: {machine}
processes:
  - name: p
    memory: {{x: 0}}
    threads:
      - name: T1
        program:
{program}
"""


def scenario(program: str = "          - compute: 1", machine: str = "{cpus: 1}") -> str:
    """A small valid scenario with `program` (indented YAML lines) and `machine` (a flow mapping)."""
    return BASE.format(machine=machine, program=program)


def refuse(tmp_path: Path, text: str, *args: str, command: str = "validate") -> str:
    """Run `command` on `text`; assert exit 2 within a few seconds, no traceback; return standard error."""
    path = tmp_path / "h.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.process_time()
    result = CliRunner().invoke(main, [command, str(path), *args])
    assert time.process_time() - started < 10
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result.stderr if hasattr(result, "stderr") else result.output


def test_billion_laughs_is_refused_by_counting_expanded_aliases(tmp_path: Path) -> None:
    """Nine levels of nine aliases (a billion values expanded) stop at the alias limit."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    message = refuse(tmp_path, "\n".join(lines) + "\n")
    assert f"aliases expand to more than {MAX_ALIAS_NODES:,} values (the limit)" in message
    assert message.startswith(f"{tmp_path / 'h.yaml'}:")


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    """An anchor that contains an alias to itself is an error at the anchor, not a RecursionError."""
    message = refuse(tmp_path, "a: &loop [1, *loop]\n")
    assert "h.yaml:1:4: a[1]: a recursive alias: this anchor contains an alias to itself" in message


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 600, 1500, 20_000])
def test_nesting_past_the_limit_is_refused_where_it_passes_the_limit(tmp_path: Path, depth: int) -> None:
    """However deep (PyYAML's composer itself runs out of stack at a few hundred), the error is at level 101."""
    message = refuse(tmp_path, "a: " + "[" * depth + "]" * depth + "\n")
    assert f"h.yaml:1:{3 + MAX_DEPTH}: a" in message
    assert f"nesting deeper than {MAX_DEPTH} levels of mappings and lists" in message


def test_nesting_at_the_limit_is_accepted_by_the_yaml_reader() -> None:
    """A hundred levels are fine (the error, if any, is about the scenario, not the nesting)."""
    parsed = source.parse_source("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n", "f.yaml")
    assert isinstance(parsed.data, dict)


@pytest.mark.parametrize(("text", "where"), [
    ("name: h\nx: [" + ",".join(["1"] * 3000) + "]\n", "h.yaml:2:3995: x[1995]"),
    ("name: h\nx:\n" + "".join(f"  k{i}: [1]\n" for i in range(3000)), "h.yaml:668:3: x.k665"),
])  # fmt: skip
def test_a_file_of_too_many_values_is_refused_before_they_are_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   text: str, where: str) -> None:  # fmt: skip
    """Past MAX_NODES values (made 2,000 here) the file is refused at the value past the limit, counted from the
    parser's events: no node is composed (a 4 MB list of 2,000,000 numbers took a gigabyte to compose)."""
    monkeypatch.setattr(limits, "MAX_NODES", 2000)
    monkeypatch.setattr(source, "_compose", lambda *args: pytest.fail("composed"))
    message = refuse(tmp_path, text)
    assert f"{where}: the file has more than 2,000 values (scalars, lists and mappings, keys included), the limit" in (
        message
    )


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read stops one byte past the limit (made small here)."""
    monkeypatch.setattr(source, "MAX_FILE_BYTES", 1024 * 1024)
    message = refuse(tmp_path, "# " + "x" * (1024 * 1024) + "\n")
    assert "h.yaml:1:1: (top): the file is larger than 1 MiB, the limit" in message


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_is_refused_without_reading_it() -> None:
    """/dev/zero never ends: it is not a regular file, so it is not read."""
    result = CliRunner().invoke(main, ["validate", "/dev/zero"])
    assert result.exit_code == 2
    assert "/dev/zero:1:1: (top): is not a regular file (a device, pipe or socket)" in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    """Opening a pipe for reading waits for a writer: the file is opened without blocking, then refused (a
    subprocess, so that a regression fails on its timeout instead of hanging the suite)."""
    import subprocess
    import sys

    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    result = subprocess.run([sys.executable, "-m", "simulator", "validate", str(pipe)], capture_output=True,
                            text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 2 and "is not a regular file" in result.stderr


@pytest.mark.parametrize("field", ["cpus", "seed", "compute"])
def test_integers_past_64_bits_are_refused_in_any_field(tmp_path: Path, field: str) -> None:
    """5,000 digits (past Python's int-from-text limit) and 2**64 are both located range errors."""
    for number in ("9" * 5000, str(2**64)):
        body = {"cpus": scenario(machine=f"{{cpus: {number}}}"), "seed": scenario() + f"seed: {number}\n",
                "compute": scenario(f"          - compute: {number}")}[field]  # fmt: skip
        message = refuse(tmp_path, body)
        assert "is out of range (integers in a scenario are signed 64-bit: -2**63 to 2**63-1)" in message


def test_a_huge_exponent_is_refused(tmp_path: Path) -> None:
    """1.0e+999999999 is a decimal YAML reads, but no number a scenario can hold."""
    message = refuse(tmp_path, scenario("          - compute: 1.0e+999999999"))
    assert "number 1.0e+999999999 is out of range (at most 10**19 in magnitude)" in message


def test_a_duration_text_past_100_characters_is_refused(tmp_path: Path) -> None:
    """Durations are exact at any size, but written as text they are at most 100 characters."""
    message = refuse(tmp_path, scenario('          - compute: "' + "9" * 150 + 'ms"'))
    assert "is longer than 100 characters" in message


def test_a_duration_past_64_bits_is_exact_when_written_as_text() -> None:
    """2**65 ns as text is exact (integers in the file are 64-bit; text durations are not)."""
    from simulator.timeunits import to_ns

    assert to_ns(f"{2**65 + 7}ns", "ms") == 2**65 + 7
    assert to_ns("9" * 40 + "s", "ms") == int("9" * 40) * 10**9


def test_the_yaml_value_key_and_tagged_keys_are_located_errors(tmp_path: Path) -> None:
    """`=` is YAML 1.1's value key: read as the text '=' (an unknown key); a tagged key is refused."""
    message = refuse(tmp_path, scenario() + "=: 1\n")
    assert "unknown key '=' in scenario" in message
    message = refuse(tmp_path, scenario() + "!foo bar: 1\n")
    assert "unsupported YAML tag '!foo' on a key; a key is a plain name" in message


def test_an_expression_nested_past_the_limit_is_refused_at_parse_time(tmp_path: Path) -> None:
    """`1+1+...` with 200 terms would exhaust the evaluator's stack at run time; validate refuses it."""
    value = "+".join(["1"] * 200)
    message = refuse(tmp_path, scenario(f"          - let: {{reg: r, value: '{value}'}}"))
    assert "the expression nests more than 100 operations deep (split it with let)" in message


def test_an_expression_at_the_depth_limit_validates_and_runs(tmp_path: Path) -> None:
    """What validate accepts, run evaluates: a 100-deep expression gives its value."""
    path = tmp_path / "ok.yaml"
    value = "+".join(["1"] * 101)
    path.write_text(scenario(f"          - let: {{reg: r, value: '{value}'}}\n          - store: {{var: x, value: r}}")
                    + "expect: ['p.x == 101']\n")  # fmt: skip
    assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == 0
    result = CliRunner().invoke(main, ["run", str(path), "--report", "json"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("value", "expected"), [
    ("(" * 40 + "1" + ")" * 40, "parentheses, 'not' and '-' nest more than 32 deep"),
    ("not " * 40 + "1", "parentheses, 'not' and '-' nest more than 32 deep"),
    ("1 + " * 3000 + "1", "characters long; at most 10,000 are allowed"),
    ("9" * 5000, "(5,000 digits) is out of range (at most 2**63 - 1)"),
    (str(2**63), "is out of range (at most 2**63 - 1)"),
])  # fmt: skip
def test_huge_or_deep_expressions_are_located_errors(tmp_path: Path, value: str, expected: str) -> None:
    """Parentheses, long text and huge literals are bounded when the expression is parsed."""
    message = refuse(tmp_path, scenario(f"          - let: {{reg: r, value: '{value}'}}"))
    assert expected in message


def test_machine_sizes_are_bounded(tmp_path: Path) -> None:
    """cpus 10**30 never ends today's runs; the limit is 4096 CPUs, 4096 servers, 64 mlfq queues."""
    message = refuse(tmp_path, scenario(machine="{cpus: 5000}"))
    assert f"cpus must be at most {MAX_CPUS:,} (the limit), got 5,000" in message
    message = refuse(tmp_path, scenario(machine="{cpus: 1000000000000000000000000000000}"))
    assert "out of range" in message
    message = refuse(tmp_path, scenario(machine="{devices: {disk: {servers: 100000}}}"))
    assert "servers must be at most 4,096 (the limit), got 100,000" in message
    message = refuse(tmp_path, scenario(machine="{policy: {name: mlfq, queues: 1000000}}"))
    assert "machine.policy.queues: queues must be at most 64 (the limit), got 1,000,000" in message


def test_nested_repeats_are_bounded_by_the_product_of_their_times(tmp_path: Path) -> None:
    """Two repeats of 10**7 nest to 10**14 runs: past the limit of 10**12, at the inner times."""
    program = "          - repeat: {times: 10000000, do: [repeat: {times: 10000000, do: [compute: 1]}]}"
    message = refuse(tmp_path, scenario(program))
    assert "repeats nested here run 100,000,000,000,000 times; nested repeats run at most 1,000,000,000,000" in message


def test_the_number_of_threads_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file declaring more threads than the limit (made small here) is refused before any is checked."""
    monkeypatch.setattr(processes, "MAX_THREADS", 1)
    text = scenario() + "threads:\n  - {name: T9, program: [compute: 1]}\n"
    assert "2 threads declared; a scenario declares at most 1" in refuse(tmp_path, text)


@pytest.mark.parametrize(("text", "expected"), [
    ("a:\n  b: 1\n c: 2\n", "h.yaml:3:2: (top): invalid YAML: bad indentation: this line is indented less than"),
    ("- a\nb: 1\n", "h.yaml:2:1: (top): invalid YAML: bad indentation: this line does not line up with the items"),
    ("a: 1\n  b: 2\n", "h.yaml:2:4: (top): invalid YAML: a ':' here cannot start a mapping"),
    ("a:\n\tb: 1\n", "h.yaml:2:1: (top): invalid YAML: a tab character cannot indent YAML; indent with spaces"),
])  # fmt: skip
def test_indentation_errors_are_explained(tmp_path: Path, text: str, expected: str) -> None:
    """Not PyYAML's "expected <block end>, but found '<block mapping start>'"."""
    message = refuse(tmp_path, text)
    assert expected in message and "<block" not in message


def test_an_empty_name_says_it_is_empty(tmp_path: Path) -> None:
    """Not "got a string"."""
    message = refuse(tmp_path, scenario().replace("name: T1", "name: ''"))
    assert "a name must be a non-empty string, got an empty string" in message


@pytest.mark.parametrize("args", [["--width", "10000000"], ["--cpus", "5000"], ["--seed", "9" * 5000],
                                  ["--max-steps", str(2**64)]])  # fmt: skip
def test_run_option_values_are_bounded(tmp_path: Path, args: list[str]) -> None:
    """Option values past their limit are usage errors (exit 2), not hours or gigabytes."""
    path = tmp_path / "ok.yaml"
    path.write_text(scenario())
    result = CliRunner().invoke(main, ["run", str(path), *args])
    assert result.exit_code == 2 and "Invalid value" in result.output


def test_every_limit_is_documented() -> None:
    """docs/scenarios.md's Limits section states each limit's value as limits.py defines it."""
    from simulator.scenario import limits

    text = (Path(__file__).parent.parent / "docs" / "scenarios.md").read_text(encoding="utf-8")
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    shown = {"MAX_NODES": "| 1,000,000 (an explicit", "MAX_STARTED": "| 100,000, the two counted together",
             "MAX_FILE_BYTES": "67,108,864", "MAX_DEPTH": "100 levels", "MAX_ALIAS_NODES": "100,000 values",
             "INT_MAX": "9,223,372,036,854,775,807", "MAX_CPUS": "4,096", "MAX_SERVERS": "4,096",
             "MAX_MLFQ_QUEUES": "| 64 |", "MAX_THREADS": "1,000,000", "MAX_REPEATS": "10\\*\\*12",
             "MAX_EXPRESSION_LENGTH": "10,000 characters", "MAX_EXPRESSION_DEPTH": "100 deep",
             "MAX_EXPRESSION_NESTING": "32 deep", "VALUE_MAX": "signed 64-bit, as integers in the file",
             "MAX_VIOLATIONS_PER_SUBJECT": "the first 100 of each kind and subject"}  # fmt: skip
    values = {"MAX_NODES": 1_000_000, "MAX_STARTED": 100_000,
              "MAX_FILE_BYTES": 67_108_864, "MAX_DEPTH": 100, "MAX_ALIAS_NODES": 100_000, "INT_MAX": 2**63 - 1,
              "MAX_CPUS": 4096, "MAX_SERVERS": 4096, "MAX_MLFQ_QUEUES": 64, "MAX_THREADS": 1_000_000,
              "MAX_REPEATS": 10**12, "MAX_EXPRESSION_LENGTH": 10_000, "MAX_EXPRESSION_DEPTH": 100,
              "MAX_EXPRESSION_NESTING": 32, "MAX_VIOLATIONS_PER_SUBJECT": 100, "VALUE_MAX": limits.INT_MAX}  # fmt: skip
    assert (limits.VALUE_MIN, limits.VALUE_MAX) == (limits.INT_MIN, limits.INT_MAX)
    for name, text_form in shown.items():
        assert getattr(limits, name) == values[name], name
        assert text_form in section, name


@pytest.mark.parametrize(("value", "expected"), [
    ("!!timestamp nope", "unsupported YAML value: 'nope' is not a valid timestamp"),
    ("!!bool maybe", "'maybe' is not true or false"),
    ("!!int abc", "'abc' is not an integer"),
    ("2020-13-45", "unsupported YAML value: '2020-13-45' is not a valid timestamp"),
    ("!!python/object:os.system x", "unsupported YAML value: could not determine a constructor"),
    ("0x8000000000000000", "integer 0x8000000000000000 is out of range"),
    ("1.5e-200", "number 1.5e-200 is too small (smaller than 1e-100)"),
])  # fmt: skip
def test_explicitly_tagged_and_odd_scalars_are_located_errors(tmp_path: Path, value: str, expected: str) -> None:
    """A tag PyYAML cannot build with that text is a message at the value, not a KeyError or AttributeError."""
    text = f"name: x\nthreads: [{{name: T, program: [compute: 1], arrival: {value}}}]\n"
    message = refuse(tmp_path, text)
    assert f"h.yaml:2:53: threads[0].arrival: {expected}" in message


def test_the_anchor_example_in_the_docs_loads() -> None:
    """docs/scenarios.md's anchors example is a scenario whose two threads share one program."""
    import re

    from simulator import parse_scenario

    text = (Path(__file__).parent.parent / "docs" / "scenarios.md").read_text(encoding="utf-8")
    block = re.search(r"## Anchors and aliases\n.*?```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert block is not None
    loaded = parse_scenario(block.group(1), "anchors.yaml")
    first, second = loaded.processes[0].threads
    assert first.program == second.program and len(first.program) == 1


def test_the_policy_option_has_the_same_bounds_as_the_file() -> None:
    """--policy mlfq:queues=100000000 is refused at once, as the same value in a file is (it ran for minutes)."""
    from click.testing import CliRunner

    from simulator.cli import main

    result = CliRunner().invoke(main, ["run", "scenarios/rr-textbook.yaml", "--policy", "mlfq:queues=100000000"])
    assert result.exit_code == 2
    assert "--policy 'mlfq:queues=100000000': queues must be at most 64 (the limit), got 100,000,000" in result.stderr


@pytest.mark.parametrize(
    "option",
    [["--depth", "1000000000"], ["--seed-start", str(10**30)], ["--runs", str(10**13)],
     ["--shrink-budget", str(10**10)], ["--preemption-bound", "1000000"]],
)  # fmt: skip
def test_explore_refuses_search_sizes_past_their_limits(option: list[str]) -> None:
    """explore's sizes are bounded before anything is built (--depth 10**9 drew 10**9 change points, for ever)."""
    result = CliRunner().invoke(main, ["explore", "scenarios/counter-incr.yaml", *option])
    assert result.exit_code == 2 and f"Invalid value for '{option[0]}'" in result.output


FORK_BOMB = """\
name: fork-bomb
machine: {cpus: 1, policy: fcfs}
processes:
  - name: P
    threads:
      - name: T1
        program:
          - repeat: {times: 500, do: [{fork: C}, {compute: 1}]}
  - name: C
    start: forked
    threads:
      - {name: T, program: [sleep: 1000]}
      - {name: S, start: spawned, program: [compute: 1]}
"""


def test_a_fork_bomb_stops_at_the_limit_of_what_fork_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loop of forks (each starting an instance and its thread) runs on, but past the limit (made 50 here)
    a fork is a misuse with no effect: 25 forks (the run has 26 threads, not 501), then 100 misuses, at the
    100th of which the forking thread stops (not 475 of them)."""
    from tests.conftest import run_yaml

    monkeypatch.setattr(limits, "MAX_STARTED", 50)
    metrics = run_yaml(FORK_BOMB)
    assert len(metrics.threads) == 26
    assert {violation.subject for violation in metrics.violations} == {("C", "fork")}
    assert metrics.violations[0].message == (
        "T1 forks C, past the 50 threads and process instances spawn and fork may start in a run (the limit); "
        "the fork has no effect"
    )
    assert len(metrics.violations) == 100 and metrics.complete
    assert metrics.violations[-1].message.endswith("the fork has no effect; T1 stops (it made this misuse 100 times)")


def test_forks_of_a_process_without_threads_count_their_instances(monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked process whose only thread is spawned starts no thread: each fork still counts its instance."""
    from simulator.model.kernel import Kernel
    from tests.conftest import scenario_from

    monkeypatch.setattr(limits, "MAX_STARTED", 50)
    kernel = Kernel(scenario_from(FORK_BOMB.replace("      - {name: T, program: [sleep: 1000]}\n", "")), seed=0)
    kernel.run()
    assert len(kernel.processes) == 1 + 50
    assert len(kernel.violations) == 100


def test_a_spawn_past_the_limit_is_a_misuse(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing left to start (the limit made 1, used by the first spawn), the second spawn has no effect."""
    from tests.conftest import run_yaml

    monkeypatch.setattr(limits, "MAX_STARTED", 1)
    metrics = run_yaml("""\
        processes:
          - name: p
            threads:
              - {name: A, program: [spawn: B, spawn: C]}
              - {name: B, start: spawned, program: [compute: 1]}
              - {name: C, start: spawned, program: [compute: 1]}
        """)
    assert [(violation.kind, violation.subject) for violation in metrics.violations] == [("misuse", ("C", "spawn"))]
    assert [thread.name for thread in metrics.threads] == ["A", "B"]
