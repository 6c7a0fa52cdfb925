"""The pytest plugin (simulator.testing), run in a pytester session with `-p simulator.testing`."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

COUNTER_TEST = f"""
from simulator import load_scenario
from simulator.testing import explore

@explore(runs=100, strategy="random")
def test_counter():
    return load_scenario({str(ROOT / "scenarios" / "counter-incr.yaml")!r})
"""

BUILT_TESTS = """
from simulator.builder import Machine, Process, build
from simulator.testing import explore

def bank(locked):
    accounts = Process("bank", memory={"a": 100, "b": 100}, sync={"ma": "mutex", "mb": "mutex"})
    first, second = ("ma", "mb"), ("mb", "ma") if not locked else ("ma", "mb")
    for name, (one, two) in (("T1", first), ("T2", second)):
        accounts.thread(name, program=[{"lock": one}, {"compute": 1}, {"lock": two}, {"unlock": two},
                                       {"unlock": one}])
    return build(Machine(cpus=2), accounts, name="bank", expect=["no_deadlock"])

@explore(strategy="dfs", preemption_bound=1)
def test_transfers_in_opposite_orders():
    return bank(locked=False)

@explore(strategy="dfs", preemption_bound=1)
def test_transfers_in_one_order():
    return bank(locked=True)

def test_with_the_fixture(threadsim_explore):
    result = threadsim_explore(bank(locked=True), strategy="dfs", preemption_bound=1)
    assert result.complete and not result.failures
"""


def _run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_it=source)
    # Installed (pip install -e .), the plugin loads through its pytest11 entry point, and naming it again
    # with -p would register it twice; otherwise (a checkout run without installing) it is named here.
    installed = any(entry.name == "threadsim" for entry in entry_points(group="pytest11"))
    plugin = () if installed else ("-p", "simulator.testing")
    return pytester.runpytest_inprocess(*plugin, "-p", "no:cacheprovider", *args)


def test_a_found_bug_fails_with_token_decisions_and_interleaving(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """The lost update fails the test; the message has the token, and the interleaving as the explorer and
    `replay --explain` show it: the explorer's decision marked >>, the conflicting write marked !."""
    result = _run(pytester, COUNTER_TEST, "--threadsim-database", str(tmp_path / "db"))
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "expect: app.counter == 20 is false" in text
    assert "replay token: ts2." in text
    assert "interleaving (ms; >> the explorer's decisions, ! conflicting accesses):" in text
    assert ">> explorer preempts T1 before its next step" in text and "!T1: wrote counter" in text
    assert "explore_or_fail" not in text  # the plugin's own frames are hidden: the test and the failure show


def test_a_found_bug_keeps_failing_from_the_database(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """The saved schedule fails the next session first, even with seeds that would not find it."""
    database = str(tmp_path / "db")
    _run(pytester, COUNTER_TEST, "--threadsim-database", database).assert_outcomes(failed=1)
    again = _run(pytester, COUNTER_TEST, "--threadsim-database", database, "--threadsim-runs", "1",
                 "--threadsim-seed", "0")  # fmt: skip
    again.assert_outcomes(failed=1)
    assert "saved failure still fails: expect" in again.stdout.str()


def test_builder_scenarios_deadlock_and_pass(pytester: pytest.Pytester) -> None:
    """Opposite lock orders deadlock under dfs; one order passes, with the decorator and the fixture."""
    result = _run(pytester, BUILT_TESTS, "--threadsim-database", "")
    result.assert_outcomes(failed=1, passed=2)
    assert "deadlock: deadlock cycle" in result.stdout.str()


def test_replay_option_replays_the_token(pytester: pytest.Pytester) -> None:
    """--threadsim-replay runs the token in the test it was made for and skips the other threadsim tests."""
    first = _run(pytester, BUILT_TESTS, "--threadsim-database", "")
    token = next(word for word in first.stdout.str().split() if word.startswith("ts2."))
    result = _run(pytester, BUILT_TESTS, "--threadsim-database", "", "--threadsim-replay", token)
    result.assert_outcomes(failed=1, skipped=2)
    assert f"replayed {token}" in result.stdout.str()


def test_a_test_returning_no_scenario_is_an_error(pytester: pytest.Pytester) -> None:
    """A decorated test must return a Scenario."""
    source = "from simulator.testing import explore\n\n@explore()\ndef test_nothing():\n    return 3\n"
    result = _run(pytester, source)
    result.assert_outcomes(failed=1)
    assert "must return the Scenario to explore" in result.stdout.str()


def test_the_database_defaults_to_dot_threadsim_in_the_rootdir(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the option or $THREADSIM_DATABASE, failures are saved under the rootdir's .threadsim."""
    monkeypatch.delenv("THREADSIM_DATABASE", raising=False)
    _run(pytester, COUNTER_TEST).assert_outcomes(failed=1)
    assert len(list((pytester.path / ".threadsim" / "failures").glob("*/*.json"))) == 1


def test_the_environment_variable_is_read_at_each_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """$THREADSIM_DATABASE names the database; empty, nothing is written."""
    monkeypatch.setenv("THREADSIM_DATABASE", str(tmp_path / "db"))
    _run(pytester, COUNTER_TEST).assert_outcomes(failed=1)
    assert len(list((tmp_path / "db" / "failures").glob("*/*.json"))) == 1
    monkeypatch.setenv("THREADSIM_DATABASE", "")
    _run(pytester, COUNTER_TEST).assert_outcomes(failed=1)
    assert not (pytester.path / ".threadsim").exists()


def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester) -> None:
    """A bad --threadsim-replay token or --threadsim-runs stops the session with a usage error."""
    result = _run(pytester, COUNTER_TEST, "--threadsim-replay", "nonsense")
    assert "--threadsim-replay: not a replay token: 'nonsense'" in result.stderr.str()
    result = _run(pytester, COUNTER_TEST, "--threadsim-runs", "0")
    assert "--threadsim-runs must be at least 1, got 0" in result.stderr.str()


def test_a_check_on_every_schedules_metrics(pytester: pytest.Pytester) -> None:
    """@explore(check=...) fails the test when the check fails a schedule, naming the check."""
    source = f"""
import attrs
from simulator import load_scenario
from simulator.testing import explore

def no_update_lost(metrics):
    assert metrics.memory["app"]["counter"] == 20, "an update was lost"

@explore(runs=100, check=no_update_lost)
def test_counter():
    return attrs.evolve(load_scenario({str(ROOT / "scenarios" / "counter-incr.yaml")!r}), expect=())
"""
    result = _run(pytester, source, "--threadsim-database", "")
    result.assert_outcomes(failed=1)
    assert "expect: check no_update_lost: an update was lost" in result.stdout.str()
