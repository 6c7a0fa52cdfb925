"""A user mistake in a scenario is never a crash: random documents built from the scenario vocabulary
either load or raise InputErrors with a location, nothing else. And a valid scenario never crashes a run:
generated valid scenarios validate, run to exit status 0 or 1, and run the same twice."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import parse_scenario
from simulator.cli import main as threadsim
from simulator.errors import InputErrors
from tests.scenario_texts import scenario_texts

WORDS = ["name", "time_unit", "seed", "machine", "cpus", "policy", "quantum", "context_switch", "devices",
         "servers", "processes", "threads", "program", "burst", "arrival", "priority", "compute", "sleep", "io",
         "yield", "exit", "repeat", "times", "do", "while", "cond", "if", "then", "else", "load", "store",
         "var", "into", "value", "let", "reg", "incr", "atomic", "op", "lock", "unlock", "acquire", "release",
         "wait", "notify", "put", "get", "queue", "spawn", "join", "fork", "start", "memory", "sync", "mutex",
         "semaphore", "condition", "event", "barrier", "expect", "gil", "affinity", "tickets", "nice", "ipc",
         "channel", "rr", "fcfs", "sjf", "x", "m", "T1", "p", "counter", "duration", "jitter", "queues",
         "per_cpu", "releases_gil", "switch_interval", "no_data_race", "tiebreak", "random"]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(WORDS), st.integers(-5, 50), st.booleans(), st.none(), st.just("x + 1"), st.just("5ms"),
    st.just("1.5"), st.just("r <"), st.just("p.counter == 2"),
)  # fmt: skip
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(WORDS), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(WORDS), documents, min_size=1, max_size=6))
def test_random_documents_load_or_fail_with_located_errors(document: dict) -> None:  # type: ignore[type-arg]
    """Either a scenario, or InputErrors whose every line is FILE:LINE:COL: PATH: message."""
    text = yaml.safe_dump(document)
    try:
        parse_scenario(text, "fuzz.yaml")
    except InputErrors as errors:
        assert errors.errors
        for error in errors.errors:
            assert str(error).startswith("fuzz.yaml:") and error.location.line >= 1


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes_the_loader(text: str) -> None:
    """Even text that is not YAML at all gives InputErrors, not an exception."""
    with contextlib.suppress(InputErrors):
        parse_scenario(text, "fuzz.yaml")


def run_cli(*args: str) -> Result:
    """`threadsim ARGS` in-process; a crash (any exception but a normal exit) fails the test at once."""
    result = CliRunner().invoke(threadsim, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_texts())
def test_valid_scenarios_validate_and_run_deterministically(text: str) -> None:
    """A valid scenario validates, runs without a crash to exit status 0 or 1 (1 exactly when the report
    lists violations), and gives the same report when run twice."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "generated.yaml"
        path.write_text(text, encoding="utf-8")
        validated = run_cli("validate", str(path))
        assert validated.exit_code == 0, validated.output
        first = run_cli("run", str(path), "--report", "json")
        second = run_cli("run", str(path), "--report", "json")
        text_report = run_cli("run", str(path))
    assert first.exit_code in (0, 1), first.output
    assert first.exit_code == (1 if json.loads(first.stdout)["violations"] else 0)
    assert (second.exit_code, second.stdout) == (first.exit_code, first.stdout)
    assert text_report.exit_code == first.exit_code


CFS_WORK_STEALING = """\
machine: {cpus: 2, policy: cfs, queues: per_cpu}
processes:
  - name: app
    threads:
      - {name: main, arrival: 3, program: [spawn: helper]}
      - {name: worker, burst: 5}
      - {name: helper, start: spawned, program: [compute: 2]}
  - name: other
    threads:
      - {name: reader, program: [io: 4]}
"""


def test_cfs_with_per_cpu_queues_survives_work_stealing(tmp_path: Path) -> None:
    """Found by the fuzzer above: helper, spawned at 3 onto CPU0's queue, is stolen by CPU1 when main ends
    (a stolen thread now takes its vruntime along: Policy.adopt)."""
    path = tmp_path / "cfs-steal.yaml"
    path.write_text(CFS_WORK_STEALING, encoding="utf-8")
    assert run_cli("run", str(path)).exit_code == 0
