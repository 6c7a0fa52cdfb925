"""Tests of exploration, replay tokens and shrinking (simulator.exploration, explore and replay commands)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from simulator import load_scenario
from simulator.cli import main
from simulator.exploration.explorer import Explorer
from simulator.exploration.results import Outcome, Tally, failures_of
from simulator.exploration.tokens import ReplayToken, TokenError, decode, encode, scenario_hash
from tests.conftest import SCENARIOS, interrupt_after

INCR = str(SCENARIOS / "counter-incr.yaml")


def explore_json(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    """Run `threadsim explore ... --report json`."""
    result = CliRunner().invoke(main, ["explore", *args, "--report", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def explorer_for(path: str) -> Explorer:
    """An Explorer of a scenario file."""
    return Explorer(path, load_scenario(path), scenario_hash(path))


def test_tokens_round_trip_and_damaged_ones_are_refused() -> None:
    """Encoding then decoding gives the token back; malformed text is a clear error."""
    token = ReplayToken("0123abcd", 42, ((3, 1), (17, 2), (400, 1)))
    assert decode(encode(token)) == token
    assert encode(ReplayToken("0123abcd", 7, ())) == "ts2.0123abcd.7.-"
    # ts1 (before delays) is still read, and written back as it was read.
    old = decode("ts1.0123abcd.7.-")
    assert old.version == 1 and not old.delays and encode(old) == "ts1.0123abcd.7.-"
    assert decode("ts2.0123abcd.7.-").delays
    with pytest.raises(TokenError, match="not a replay token"):
        decode("hello")
    with pytest.raises(TokenError, match="token format ts3 is not supported .this threadsim reads ts1 and ts2"):
        decode("ts3.0123abcd.1.-")
    with pytest.raises(TokenError, match="damaged"):
        decode("ts2.0123abcd.1.a")


def test_random_exploration_finds_the_lost_update_and_shrinks_it_to_one_preemption() -> None:
    """The plain run passes; exploration finds lost updates; the shrunk token is one preemption."""
    code, report = explore_json(INCR, "--runs", "300")
    assert code == 1 and report["runs"] == 300 and report["complete"]
    assert report["format"] == "threadsim-explore/2" and report["stopped_by"] is None
    (failure,) = report["failures"]
    assert failure["kind"] == "expect" and failure["message"].startswith("app.counter == 20 is false")
    assert (failure["preemptions"], failure["picks"]) == (1, 0)
    assert failure["reproduce"][0] == f"threadsim replay {INCR} {failure['token']}"


def test_same_seeds_give_the_same_report_and_jobs_do_not_change_it() -> None:
    """Exploration is deterministic, and --jobs 2 prints exactly what --jobs 1 prints."""
    one = CliRunner().invoke(main, ["explore", INCR, "--runs", "200", "--seed-start", "5", "--all"])
    again = CliRunner().invoke(main, ["explore", INCR, "--runs", "200", "--seed-start", "5", "--all"])
    two = CliRunner().invoke(main, ["explore", INCR, "--runs", "200", "--seed-start", "5", "--all", "--jobs", "2"])
    assert one.stdout == again.stdout == two.stdout
    assert "every failing schedule:" in one.stdout


@pytest.mark.parametrize(
    "name", ["counter-incr.yaml", "lost-update.yaml", "dining-philosophers.yaml", "producer-consumer-queue.yaml"]
)
def test_every_reported_failure_replays_and_shrinking_keeps_it(name: str) -> None:
    """Each failing schedule's token, and each shrunk token, replays to the same kind of failure."""
    path = str(SCENARIOS / name)
    explorer = explorer_for(path)
    result = explorer.explore_seeds("random", 60, 0, every=True)
    for kind, _, seed, token_text in result.every_failure:
        token = decode(token_text)
        metrics, _, applied = explorer.replay(seed, token.decisions)
        assert applied == len(token.decisions)
        assert kind in {key[0] for key, _ in failures_of(metrics)}
    for kind in result.failures:
        token = decode(kind.token)
        metrics, chooser, _ = explorer.replay(token.seed, token.decisions)
        assert (kind.kind, kind.subject) in dict(failures_of(metrics))
        assert kind.preemptions + kind.picks <= kind.original_preemptions + kind.original_picks
        assert tuple(chooser.decisions) == token.decisions


def test_replay_reproduces_the_run_exactly(tmp_path: Path) -> None:
    """replay of a token prints the same bytes every time, and the report reproduces itself."""
    _, report = explore_json(INCR, "--runs", "50")
    token = report["failures"][0]["token"]
    first = CliRunner().invoke(main, ["replay", INCR, token])
    second = CliRunner().invoke(main, ["replay", INCR, token])
    assert first.exit_code == 1 and first.stdout == second.stdout
    assert f"reproduce: threadsim replay {INCR} {token}" in first.stdout
    assert "-- T1 is preempted" in first.stdout and "app.counter == 20 is false" in first.stdout


def test_a_changed_scenario_is_said_clearly_and_replayed_as_far_as_it_fits(tmp_path: Path) -> None:
    """A token made before an edit warns, and still replays the decisions that fit."""
    copy = tmp_path / "counter.yaml"
    shutil.copy(INCR, copy)
    _, report = explore_json(str(copy), "--runs", "50")
    token = report["failures"][0]["token"]
    copy.write_text(copy.read_text().replace("times: 10", "times: 12"))
    result = CliRunner().invoke(main, ["replay", str(copy), token])
    assert result.exit_code == 1
    assert "changed since this token was made" in result.stderr
    assert "replayed the recorded decisions as far as they fit: 1 of 1 applied" in result.stderr


def test_bad_tokens_are_usage_errors() -> None:
    """A malformed token exits with status 2 and says why."""
    result = CliRunner().invoke(main, ["replay", INCR, "not-a-token"])
    assert result.exit_code == 2 and "not a replay token: 'not-a-token'" in result.stderr
    # A seed of thousands of digits was a ValueError traceback; other scripts' digits were read as a seed.
    huge = "ts1.85d3c0e4." + "9" * 5000 + ".-"
    result = CliRunner().invoke(main, ["replay", INCR, huge])
    assert result.exit_code == 2 and "(5,015 characters)" in result.stderr and len(result.stderr) < 400
    result = CliRunner().invoke(main, ["replay", INCR, "ts1.85d3c0e4.\u0661.-"])
    assert result.exit_code == 2 and "not a replay token" in result.stderr


def test_dfs_proves_the_locked_counter_correct_within_bound_two(tmp_path: Path) -> None:
    """Every schedule with at most 2 preemptions of a mutex-protected counter passes, and the search ends."""
    locked = tmp_path / "locked.yaml"
    locked.write_text("""\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: app
    memory: {counter: 0}
    sync: {m: mutex}
    threads:
      - {name: T1, program: [repeat: {times: 3, do: [lock: m, incr: counter, unlock: m, compute: 1]}]}
      - {name: T2, program: [repeat: {times: 3, do: [lock: m, incr: counter, unlock: m, compute: 1]}]}
expect: [app.counter == 6, no_data_race]
""")
    code, report = explore_json(str(locked), "--strategy", "dfs", "--preemption-bound", "2", "--runs", "100000")
    assert code == 0 and report["complete"] and report["failures"] == [] and report["runs"] > 50
    text = CliRunner().invoke(main, ["explore", str(locked), "--strategy", "dfs"]).stdout
    assert "proven: no schedule with at most 2 preemptions fails" in text
    code, report = explore_json(INCR, "--strategy", "dfs", "--preemption-bound", "1")
    assert code == 1 and report["complete"] and report["failures"][0]["preemptions"] == 1


def test_dfs_finds_the_dining_philosophers_deadlock() -> None:
    """The deadlock shows within the bound."""
    code, report = explore_json(str(SCENARIOS / "dining-philosophers.yaml"), "--strategy", "dfs")
    assert code == 1 and report["failures"][0]["kind"] == "deadlock"


PCT_PROGRAMS = {
    # B must check x before A's store: one ordering (depth 1).
    1: """\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: app
    memory: {x: 0}
    threads:
      - {name: A, program: [store: {var: x, value: 1}]}
      - {name: B, program: [assert: x == 1]}
""",
    # B's load must fall between A's first and second store: two orderings (depth 2).
    2: """\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: app
    memory: {x: 0, y: 0}
    threads:
      - {name: A, program: [store: {var: x, value: 1}, store: {var: x, value: 2}, store: {var: y, value: 1}]}
      - {name: B, program: [load: {var: x, into: seen}, assert: seen != 1]}
""",
    # B's first load between A's two stores, its second after both: three orderings (depth 3).
    3: """\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: app
    memory: {x: 0}
    threads:
      - {name: A, program: [store: {var: x, value: 1}, store: {var: x, value: 2}]}
      - {name: B, program: [load: {var: x, into: r1}, load: {var: x, into: r2}, assert: r1 != 1 or r2 != 2]}
""",
}


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_pct_meets_the_papers_probability_bound_on_bugs_of_known_depth(tmp_path: Path, depth: int) -> None:
    """A bug of depth d among n = 2 threads with k visible steps is found in at least 1/(n k^(d-1)) of the
    runs (Burckhardt et al., ASPLOS 2010, theorem 9); searching at a smaller depth never finds it."""
    from simulator.exploration.explorer import count_steps

    path = tmp_path / f"depth{depth}.yaml"
    path.write_text(PCT_PROGRAMS[depth])
    steps = count_steps(load_scenario(path), 0)
    runs = 600
    _, report = explore_json(str(path), "--strategy", "pct", "--depth", str(depth), "--runs", str(runs))
    bound = 1 / (2 * steps ** (depth - 1))
    # A sample of 600 runs may fall short of the probability by chance: allow three standard deviations.
    slack = 3 * (runs * bound * (1 - bound)) ** 0.5
    assert report["failures"] and report["failures"][0]["runs"] >= runs * bound - slack
    if depth > 1:
        _, shallower = explore_json(str(path), "--strategy", "pct", "--depth", str(depth - 1), "--runs", "200")
        assert shallower["failures"] == []


def fake_thread(index: int):  # type: ignore[no-untyped-def]
    """Stands in for a Thread where a strategy only reads its index."""
    import types

    return types.SimpleNamespace(index=index)


def test_pct_change_points_demote_the_thread_taking_the_step_and_later_ones_lower() -> None:
    """Change points lower the thread that takes the step (not the one last picked), each later one below
    the earlier ones and every initial priority; a thread that yields drops below them all."""
    from simulator.exploration.strategies import PctStrategy

    strategy = PctStrategy(seed=3, depth=3, steps=10)
    strategy.change_points = {2: 2.0, 4: 1.0}  # as drawn for change points at steps 2 and 4
    a, b, c = fake_thread(0), fake_thread(1), fake_thread(2)
    initial = {thread.index: strategy.priority(thread) for thread in (a, b, c)}
    assert min(initial.values()) > 2 and len(set(initial.values())) == 3
    strategy.preempt(0, a, [b, c])  # step 1: nothing changes
    strategy.preempt(1, b, [a, c])  # step 2: B, which takes it, drops to 2
    assert strategy.priorities[b.index] == 2.0 and strategy.priorities[a.index] == initial[a.index]
    strategy.preempt(2, c, [a, b])
    strategy.preempt(3, a, [b, c])  # step 4: A drops to 1, below B, demoted earlier
    assert strategy.priorities[a.index] == 1.0 < strategy.priorities[b.index]
    assert strategy.preempt(4, a, [b])  # B now outranks A
    strategy.on_yield(c)
    assert strategy.priorities[c.index] < 1.0
    assert strategy.pick(5, [c, a]) == 1


SPIN_WITH_YIELD = """\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: app
    memory: {flag: 0}
    threads:
      - {name: waiter, program: [while: {cond: flag == 0, do: [yield]}]}
      - {name: setter, program: [compute: 1, store: {var: flag, value: 1}]}
"""


def test_pct_lets_a_spin_with_yield_loop_end(tmp_path: Path) -> None:
    """A waiter that spins with yield until another thread sets a flag never livelocks under PCT."""
    from simulator import parse_scenario
    from simulator.exploration.explorer import run_schedule
    from simulator.exploration.strategies import PctStrategy

    scenario = parse_scenario(SPIN_WITH_YIELD)
    for seed in range(20):
        metrics, _ = run_schedule(scenario, seed, PctStrategy(seed, 2, 4), max_steps=2_000)
        assert metrics.violations == (), seed


def test_interrupting_prints_the_report_so_far(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C during exploration stops it at once and reports every schedule that ended before it."""
    interrupt_after(monkeypatch, 37)
    result = CliRunner().invoke(main, ["explore", INCR, "--runs", "1000"])
    assert result.exit_code == 1
    assert "ran 37 of 1000 schedules: cut short by Ctrl-C" in result.stdout
    assert "failures: 1 distinct" in result.stdout


def test_random_tiebreak_lets_the_seed_order_same_instant_events(tmp_path: Path) -> None:
    """With machine.tiebreak: random, different seeds order simultaneous arrivals differently."""
    scenario = tmp_path / "ties.yaml"
    scenario.write_text("machine: {tiebreak: random}\nthreads: [{name: A, burst: 1}, {name: B, burst: 1}, "
                        "{name: C, burst: 1}, {name: D, burst: 1}]\n")  # fmt: skip
    orders = set()
    for seed in range(12):
        output = CliRunner().invoke(main, ["run", str(scenario), "--seed", str(seed), "--report", "json"]).stdout
        report = json.loads(output)
        orders.add(tuple(thread["first_run"] for thread in report["threads"]))
    assert len(orders) > 1
    again = CliRunner().invoke(main, ["run", str(scenario), "--seed", "3", "--report", "json"]).stdout
    assert again == CliRunner().invoke(main, ["run", str(scenario), "--seed", "3", "--report", "json"]).stdout


@pytest.mark.parametrize("strategy", ["random", "pct", "dfs"])
def test_exploring_under_a_preemptive_policy_terminates(strategy: str) -> None:
    """srtf takes the CPU back for the shortest job at once; exploration must not fight it for ever."""
    code, report = explore_json(str(SCENARIOS / "srtf-textbook.yaml"), "--strategy", strategy, "--runs", "30")
    assert code == 0 and report["runs"] >= 1


def test_the_tally_keeps_counts_and_first_failures_not_every_run() -> None:
    """Exploring a million schedules must not hold a million outcomes: without --all the tally keeps one
    outcome per kind of failure; with it, only the failing runs, in run order."""
    expect, deadlock = ("expect", ("x == 1",)), ("deadlock", ("a", "b"))
    outcomes = [Outcome(seed, ((seed, 1),), ((expect, "x is false"),) if seed % 3 == 0 else ()) for seed in range(9)]
    outcomes.append(Outcome(9, (), ((deadlock, "cycle"), (expect, "x is false"))))
    for every in (False, True):
        tally = Tally(every)
        for outcome in outcomes:
            tally.add(outcome)
        assert (tally.runs, tally.failed) == (10, 4)
        assert tally.counts == {expect: 4, deadlock: 1}
        assert tally.first == {expect: (0, outcomes[0]), deadlock: (9, outcomes[9])}
        if every:
            assert tally.every == [(expect, 0, outcomes[0]), (expect, 3, outcomes[3]), (expect, 6, outcomes[6]),
                                   (deadlock, 9, outcomes[9]), (expect, 9, outcomes[9])]  # fmt: skip
        else:
            assert tally.every is None


def test_failures_are_grouped_by_kind_and_subject_and_fall_back_to_the_kind() -> None:
    """Two violations of one kind with different subjects are two failures; without a subject, the kind alone
    names the failure, so several empty-subject violations of a kind are one."""
    from simulator.analysis.metrics import RunMetrics
    from simulator.analysis.violations import Violation

    def metrics_with(*violations: Violation) -> RunMetrics:
        metrics = collect_plain_metrics()
        return attrs.evolve(metrics, violations=tuple(violations))

    first = Violation("assert", 5, "T1", "assertion x == 1 failed (line 4)", ("4", "x == 1"))
    second = Violation("assert", 7, "T2", "assertion y == 1 failed (line 9)", ("9", "y == 1"))
    again = Violation("assert", 9, "T1", "assertion x == 1 failed (line 4) with x = 3", ("4", "x == 1"))
    race = Violation("data_race", 2, None, "data race on x: ...")
    found = failures_of(metrics_with(second, first, again, race))
    assert [key for key, _ in found] == [("assert", ("4", "x == 1")), ("assert", ("9", "y == 1")),
                                         ("data_race", ())]  # fmt: skip
    assert dict(found)[("assert", ("4", "x == 1"))] == "assertion x == 1 failed (line 4)"
    bare = failures_of(metrics_with(Violation("expect", 1, None, "a is false"), Violation("expect", 1, None, "b")))
    assert bare == ((("expect", ()), "a is false"),)


def collect_plain_metrics():  # type: ignore[no-untyped-def]
    """The metrics of a plain run of the counter scenario."""
    from simulator.exploration.explorer import run_schedule
    from simulator.exploration.strategies import DefaultStrategy

    metrics, _ = run_schedule(load_scenario(INCR), 0, DefaultStrategy())
    return metrics


def test_dfs_bounds_iteratively_so_a_larger_bound_finds_what_a_smaller_one_does_in_the_same_budget() -> None:
    """Within 10 schedules the lost update (one preemption) is found under every bound from 1 to 4, at the
    same schedule, because every bound's search runs bound 0, then 1, ... first."""
    firsts = set()
    for bound in range(1, 5):
        code, report = explore_json(INCR, "--strategy", "dfs", "--preemption-bound", str(bound), "--runs", "10")
        assert code == 1 and report["stopped_by"] == "runs" and not report["complete"]
        assert report["proven_bound"] == 0
        firsts.add(report["failures"][0]["first_run"])
    assert len(firsts) == 1


def test_dfs_runs_each_schedule_once_and_a_bound_adds_only_schedules_with_that_many_preemptions() -> None:
    """Every schedule of the search has its own decisions, and bound 2 runs bound 1's schedules plus those
    with exactly two preemptions (the same total as a search that is not iterative: 2442 on the counter;
    fewer with the reduction: every step races, but the sleep sets know which orders repeat another)."""
    explorer = explorer_for(INCR)
    for reduce, runs in ((False, (82, 2442)), (True, (42, 782))):
        one = explorer.explore_dfs(1, None, 0, every=True, reduce=reduce)
        two = explorer.explore_dfs(2, None, 0, every=True, reduce=reduce)
        assert one.complete and two.complete and (one.proven_bound, two.proven_bound) == (1, 2)
        assert (one.runs, two.runs) == runs
        tokens = [token for _, _, _, token in two.every_failure]
        assert len(tokens) == len(set(tokens)) == two.failures[0].runs


def test_dfs_without_runs_runs_every_schedule_and_says_when_cut_short() -> None:
    """dfs has no schedule limit unless --runs is given; a search cut short says by what and how far it got."""
    code, report = explore_json(INCR, "--strategy", "dfs")
    assert report["complete"] and report["runs"] == 782 and report["stopped_by"] is None
    assert report["reduction"] == "dpor"
    code, report = explore_json(INCR, "--strategy", "dfs", "--no-reduction")
    assert report["complete"] and report["runs"] == 2442 and report["reduction"] == "none"
    text = CliRunner().invoke(main, ["explore", INCR, "--strategy", "dfs", "--runs", "100"]).stdout
    assert "ran 100 schedules: cut short by --runs 100 (every schedule with at most 1 preemption ran)" in text
    text = CliRunner().invoke(main, ["explore", INCR, "--strategy", "dfs", "--time-budget", "0"]).stdout
    assert "ran 0 schedules: cut short by --time-budget 0 (before every schedule without preemption ran)" in text
    text = CliRunner().invoke(main, ["explore", INCR, "--time-budget", "0s"]).stdout
    assert "strategy random, no seed ran\nran 0 of 1000 schedules: cut short by --time-budget 0s\n" in text
    code, report = explore_json(INCR, "--time-budget", "1000", "--runs", "20")
    assert code == 1 and report["complete"] and report["stopped_by"] is None and report["time_budget"] == "1000"
    bad = CliRunner().invoke(main, ["explore", INCR, "--time-budget", "soon"])
    assert bad.exit_code == 2 and "--time-budget: expected a duration" in bad.stderr


SHRINKING = {
    # The 2x5 lost update: one preemption between a load and its store suffices.
    "counter": """\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: app
    memory: {counter: 0}
    threads:
      - {name: T1, program: [repeat: {times: 5, do: [incr: counter, compute: 1]}]}
      - {name: T2, program: [repeat: {times: 5, do: [incr: counter, compute: 1]}]}
expect: [app.counter == 10]
""",
    # Lazy initialization (check-then-act): both threads see `ready == 0` and both create the object.
    "lazy-init": """\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: app
    memory: {ready: 0, created: 0}
    threads:
      - name: T1
        program:
          - compute: 1
          - if: {cond: ready == 0, then: [compute: 1, incr: created, store: {var: ready, value: 1}]}
          - compute: 1
      - name: T2
        program:
          - compute: 1
          - if: {cond: ready == 0, then: [compute: 1, incr: created, store: {var: ready, value: 1}]}
          - compute: 1
expect: [app.created == 1]
""",
    # Two locks taken in opposite orders: one preemption between T1's two locks deadlocks.
    "two-lock deadlock": """\
machine: {cpus: 1, policy: fcfs}
processes:
  - name: app
    sync: {a: mutex, b: mutex}
    threads:
      - {name: T1, program: [lock: a, compute: 1, lock: b, unlock: b, unlock: a]}
      - {name: T2, program: [lock: b, compute: 1, lock: a, unlock: a, unlock: b]}
""",
}


@pytest.mark.parametrize("name", list(SHRINKING))
def test_every_failing_seed_shrinks_to_its_fewest_preemptions(tmp_path: Path, name: str) -> None:
    """From every failing seed of 40 random schedules, shrinking reaches one preemption (the minimum: the
    plain run passes) and no pick, and says it is the fewest."""
    path = tmp_path / "scenario.yaml"
    path.write_text(SHRINKING[name])
    explorer = explorer_for(str(path))
    result = explorer.explore_seeds("random", 40, 0, every=True)
    failing = [(decode(token), kind) for kind, _, _, token in result.every_failure]
    (failure,) = result.failures
    assert len(failing) >= 3 and failure.shrink_state == "fewest"
    key = (failure.kind, failure.subject)
    for token, _ in failing:
        shrunk = explorer.shrink(token.seed, token.decisions, key)
        assert (shrunk.preemptions, len(shrunk.decisions), shrunk.state) == (1, 1, "fewest"), token
        metrics, chooser, _ = explorer.replay(token.seed, shrunk.decisions)
        assert key in dict(failures_of(metrics)) and chooser.preemptions == 1


def test_a_failure_of_the_plain_run_shrinks_to_no_decision() -> None:
    """lost-update.yaml fails without any decision: its token has none, and says it is the fewest."""
    _, report = explore_json(str(SCENARIOS / "lost-update.yaml"), "--runs", "20")
    for failure in report["failures"]:
        assert (failure["preemptions"], failure["picks"], failure["fewest_preemptions"]) == (0, 0, True)
        assert failure["token"].endswith(".-")


def test_shrinking_keeps_to_its_budget_and_says_so() -> None:
    """With a budget of 3 schedules shrinking stops early, keeps a failing schedule, and says fewer
    preemptions were not ruled out; the report says when shrinking ran more schedules than exploring."""
    _, report = explore_json(INCR, "--runs", "3", "--seed-start", "1", "--shrink-budget", "3")
    (failure,) = report["failures"]
    assert failure["shrink_state"] == "budget" and not failure["fewest_preemptions"]
    assert report["shrink_runs"] == 3
    text = CliRunner().invoke(main, ["explore", INCR, "--runs", "3", "--seed-start", "1"]).stdout
    assert "the fewest preemptions that fail so" in text
    assert "(shrinking ran " in text and "schedules, more than the 3 explored)" in text


def test_ctrl_c_during_shrinking_reports_the_best_found(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C while shrinking keeps the schedules explored and the best shrunk schedule so far."""
    import simulator.exploration.shrinking as shrinking_module

    original = shrinking_module.Shrinking._count
    calls = []

    def interrupted(self):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
        original(self)

    monkeypatch.setattr(shrinking_module.Shrinking, "_count", interrupted)
    result = CliRunner().invoke(main, ["explore", INCR, "--runs", "50", "--report", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    (failure,) = report["failures"]
    assert report["runs"] == 50 and failure["shrink_state"] == "interrupted"
    replayed = CliRunner().invoke(main, ["replay", INCR, failure["token"]])
    assert replayed.exit_code == 1 and "app.counter == 20 is false" in replayed.stdout


def test_ctrl_c_while_loading_or_counting_steps_still_reports(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C before any schedule ran (loading the file, or PCT counting steps) prints what ran: nothing,
    and exits 0, as a search that found no failure does."""
    import simulator.exploration.explorer as explorer_module
    import simulator.explore_commands as commands_module

    def interrupt(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(commands_module, "load_scenario", interrupt)
        result = CliRunner().invoke(main, ["explore", INCR])
    assert result.exit_code == 0
    assert result.stdout == f"threadsim explore: {INCR}\ninterrupted (Ctrl-C) while loading: no schedule ran\n"
    monkeypatch.setattr(explorer_module, "count_steps", interrupt)
    result = CliRunner().invoke(main, ["explore", INCR, "--strategy", "pct"])
    assert result.exit_code == 0
    assert "ran 0 of 1000 schedules: cut short by Ctrl-C\n\nno schedule failed\n" in result.stdout


def test_the_failure_database_replays_saved_failures_first_and_forgets_fixed_ones(tmp_path: Path,
                                                                                   monkeypatch) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    """A failure found once is saved under failures/<scenario hash>/ and replayed first next time, even by a
    search that would not find it; a saved schedule that passes now is said and forgotten; --no-database
    neither reads nor writes."""
    from simulator.exploration.database import Entry, FailureDatabase

    database = tmp_path / "db"
    monkeypatch.setenv("THREADSIM_DATABASE", str(database))
    digest = scenario_hash(INCR)
    code, first = explore_json(INCR, "--runs", "50")
    token = first["failures"][0]["token"]
    assert code == 1 and (database / "failures" / digest / f"{token}.json").is_file()
    assert first["saved"] == [] and first["database"] == str(database / "failures" / digest)
    # dfs without preemptions cannot lose an update; the saved schedule still shows it.
    code, second = explore_json(INCR, "--strategy", "dfs", "--preemption-bound", "0")
    assert code == 1 and second["failures"] == []
    assert [(s["token"], s["kind"], s["still_fails"]) for s in second["saved"]] == [(token, "expect", True)]
    text = CliRunner().invoke(main, ["explore", INCR, "--strategy", "dfs", "--preemption-bound", "0"]).stdout
    assert (f"saved failures ({database / 'failures' / digest}): 1 replayed first, 1 still fails\n"
            f"  still fails: expect: app.counter == 20 is false (app.counter = 10)\n"
            f"    $ threadsim replay {INCR} {token}\n") in text  # fmt: skip
    plain = f"ts1.{digest}.0.-"  # the plain run passes: as if threadsim had fixed what made it fail
    FailureDatabase(database, digest).save(Entry(plain, "expect", (), "app.counter == 20 is false"))
    text = CliRunner().invoke(main, ["explore", INCR, "--strategy", "dfs", "--preemption-bound", "0"]).stdout
    assert f"  passes now (forgotten): expect: {plain}\n" in text
    assert not (database / "failures" / digest / f"{plain}.json").exists()
    code, off = explore_json(INCR, "--strategy", "dfs", "--preemption-bound", "0", "--no-database")
    assert code == 0 and off["saved"] == [] and off["database"] is None


def test_the_failure_database_skips_damaged_entries_and_writes_nothing_when_off(tmp_path: Path,
                                                                                monkeypatch) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    """A damaged entry is skipped, not an error; with THREADSIM_DATABASE empty nothing is written anywhere;
    unset, the database is .threadsim/ in the working directory."""
    database = tmp_path / "db"
    directory = database / "failures" / scenario_hash(INCR)
    directory.mkdir(parents=True)
    (directory / "junk.json").write_text("{not json")
    monkeypatch.setenv("THREADSIM_DATABASE", str(database))
    code, report = explore_json(INCR, "--strategy", "dfs", "--preemption-bound", "0")
    assert code == 0 and report["saved"] == []
    monkeypatch.setenv("THREADSIM_DATABASE", "")
    monkeypatch.chdir(tmp_path)
    explore_json(INCR, "--runs", "20")
    assert not (tmp_path / ".threadsim").exists()
    monkeypatch.delenv("THREADSIM_DATABASE")  # the default: .threadsim/ in the working directory
    explore_json(INCR, "--runs", "20")
    assert len(list((tmp_path / ".threadsim" / "failures" / scenario_hash(INCR)).glob("*.json"))) == 1


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_shards_merged_print_what_one_job_prints(tmp_path: Path, strategy: str) -> None:
    """explore --shard K/N for K = 1..3, merged, prints byte for byte the report of one job (text with
    --all, and JSON apart from the database, which shards do not use)."""
    parts = []
    for index in (3, 1, 2):  # any order
        part = tmp_path / f"part{index}.json"
        result = CliRunner().invoke(main, ["explore", INCR, "--strategy", strategy, "--runs", "90", "--all",
                                           "--seed-start", "4", "--shard", f"{index}/3"])  # fmt: skip
        assert result.exit_code in (0, 1), result.output
        part.write_text(result.stdout)
        parts.append(str(part))
    assert sum(json.loads(Path(part).read_text())["runs"] for part in parts) == 90
    one = CliRunner().invoke(main, ["explore", INCR, "--strategy", strategy, "--runs", "90", "--all",
                                    "--seed-start", "4"])  # fmt: skip
    merged = CliRunner().invoke(main, ["merge", *parts])
    assert merged.exit_code == one.exit_code == 1 and merged.stdout == one.stdout
    one_json = json.loads(
        CliRunner()
        .invoke(
            main,
            ["explore", INCR, "--strategy", strategy, "--runs", "90", "--all", "--seed-start", "4", "--report", "json"],
        )
        .stdout
    )
    merged_json = json.loads(CliRunner().invoke(main, ["merge", *parts, "--report", "json"]).stdout)
    assert merged_json == one_json


def test_merge_refuses_parts_that_do_not_make_one_search(tmp_path: Path) -> None:
    """Missing shards, parts of different searches and dfs shards are usage errors that say what is wrong."""
    one = tmp_path / "one.json"
    one.write_text(CliRunner().invoke(main, ["explore", INCR, "--runs", "10", "--shard", "1/2"]).stdout)
    other = tmp_path / "other.json"
    other.write_text(CliRunner().invoke(main, ["explore", INCR, "--runs", "20", "--shard", "2/2"]).stdout)
    result = CliRunner().invoke(main, ["merge", str(one)])
    assert result.exit_code == 2 and "expected the 2 shards 1/2 ... 2/2 once each (missing 2)" in result.stderr
    result = CliRunner().invoke(main, ["merge", str(one), str(other)])
    assert result.exit_code == 2 and "runs_limit is 10 in one, 20 in another" in result.stderr
    result = CliRunner().invoke(main, ["explore", INCR, "--strategy", "dfs", "--shard", "1/2"])
    assert result.exit_code == 2 and "--shard works with --strategy random or pct" in result.stderr
    result = CliRunner().invoke(main, ["explore", INCR, "--shard", "3/2"])
    assert result.exit_code == 2 and "--shard 3/2: K must be between 1 and N" in result.stderr
    result = CliRunner().invoke(main, ["explore", INCR, "--shard", "1/1000000000000000"])
    assert result.exit_code == 2 and "--shard: expected K/N" in result.stderr
    result = CliRunner().invoke(main, ["explore", INCR, "--shard", "1/200000"])
    assert result.exit_code == 2 and "N must be at most 100,000 (the limit)" in result.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda part: [], "not a part of a sharded explore (format 'list'"),
        (lambda part: part | {"failures": 5}, "a part is not as explore --shard wrote it (it was edited or cut short"),
        (lambda part: part | {"runs": "x"}, "a part is not as explore --shard wrote it"),
        (lambda part: part | {"shard": [1, 2]}, "a part is not as explore --shard wrote it"),
        (lambda part: part | {"shards": 10**12}, "a part is not as explore --shard wrote it"),
    ],
)
def test_merge_refuses_edited_parts_without_a_traceback(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    """A part that is not what explore wrote is a usage error (exit 2), never a traceback or a huge list."""
    part = json.loads(CliRunner().invoke(main, ["explore", INCR, "--runs", "5", "--shard", "1/1"]).stdout)
    path = tmp_path / "part.json"
    path.write_text(json.dumps(edit(part)))
    result = CliRunner().invoke(main, ["merge", str(path)])
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_shrinking_takes_no_more_steps_than_its_step_budget() -> None:
    """Shrinking stops once it has taken the steps it may (as many as the search took, at least a floor),
    keeping a failing schedule: long schedules cannot make it run for minutes."""
    from simulator.exploration.shrinking import StepBudget

    explorer = explorer_for(INCR)
    result = explorer.explore_seeds("random", 5, 1, every=True)
    _, _, seed, token = result.every_failure[0]
    decisions = decode(token).decisions
    small = StepBudget(0, floor=50)  # less than one schedule of the counter
    failure = ("expect", ("app.counter == 20",))
    shrunk = explorer.shrink(seed, decisions, failure, steps=small)
    assert shrunk.state == "budget" and shrunk.runs == 1 and small.spent > 50
    assert shrunk.decisions == decisions
    roomy = StepBudget(0)
    shrunk = explorer.shrink(seed, decisions, failure, steps=roomy)
    assert shrunk.state == "fewest" and shrunk.preemptions == 1 and 0 < roomy.spent < 1_000_000


#: One CPU; A runs first, then B or C: which of them the CPU takes next decides x. No thread wakes up.
WHOM_NEXT = """
name: whom-next
time_unit: ms
machine: {{cpus: 1, policy: {policy}}}
processes:
  - name: app
    memory: {{x: 0}}
    threads:
      - {{name: A, program: [compute: 1]}}
      - {{name: B, program: [store: {{var: x, value: 1}}]}}
      - {{name: C, program: [store: {{var: x, value: 2}}]}}
expect: [app.x == 2]
"""


@pytest.mark.parametrize("policy", ["fcfs", "{name: fcfs, wakeup: preempt}", "{name: fcfs, order: cyclic}"])
@pytest.mark.parametrize("layout", ["global", "per_cpu", "pinned"])
def test_fcfs_options_keep_the_explorers_picks(policy: str, layout: str) -> None:
    """fcfs's `wakeup: preempt` preempts once per wake-up, not by rank: exploration still picks whom to run
    next, so the schedule where C runs before B is found (it was "proven" with one schedule), also through
    the queue layers (per-CPU queues, a pinned thread)."""
    from simulator import parse_scenario

    text = WHOM_NEXT.format(policy=policy)
    if layout == "per_cpu":
        text = text.replace("machine: {cpus: 1,", "machine: {cpus: 1, queues: per_cpu,")
    elif layout == "pinned":
        text = text.replace("{name: B,", "{name: B, affinity: [0],")
    scenario = parse_scenario(text)
    result = Explorer("<whom-next>", scenario, "whomnext").explore_dfs(0)
    assert result.runs == 6 and [failure.kind for failure in result.failures] == ["expect"]
