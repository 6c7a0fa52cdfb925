"""Tests of simulator.analysis.violations: a run lists at most MAX_VIOLATIONS_PER_SUBJECT violations of each
kind and subject, the last one counting the rest, so a misuse repeated in a loop costs no memory per pass."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from simulator.analysis.violations import MAX_VIOLATIONS_PER_SUBJECT, Violation, ViolationLog
from simulator.cli import main
from tests.conftest import MS, run_yaml, trace_of

CAP = MAX_VIOLATIONS_PER_SUBJECT


def misuse(time: int, obj: str = "m") -> Violation:
    """T1 unlocking `obj` at `time`."""
    return Violation("misuse", time, "T1", f"T1 unlocks mutex {obj}, held by nobody", (obj, "unlock"))


def test_the_log_keeps_the_first_of_each_kind_and_subject_and_counts_the_rest() -> None:
    """250 of one subject and 3 of another: 100 + 3 kept, in the order recorded; the 100th counts 150 more."""
    log = ViolationLog()
    kept = [log.record(misuse(time)) for time in range(250)]
    kept += [log.record(misuse(time, "n")) for time in range(3)]
    assert kept == [True] * CAP + [False] * (250 - CAP) + [True] * 3
    assert len(log) == CAP + 3
    assert [violation.time for violation in log[:CAP]] == list(range(CAP))
    assert log[CAP - 1].message == (
        "T1 unlocks mutex m, held by nobody (and 150 more like it after this, not listed: a run lists the first "
        f"{CAP} violations of each kind and subject)"
    )
    assert log[CAP - 2].message == "T1 unlocks mutex m, held by nobody"
    assert [violation.subject for violation in log[CAP:]] == [("n", "unlock")] * 3


def test_the_same_subject_of_another_kind_is_counted_apart() -> None:
    """The key is the kind and the subject together."""
    log = ViolationLog()
    for time in range(CAP):
        log.record(misuse(time))
    assert log.record(Violation("assert", 0, "T1", "assert failed", ("m", "unlock")))
    assert len(log) == CAP + 1


def test_exactly_the_cap_adds_no_count() -> None:
    """100 violations of a subject are all listed as they were: nothing was left out."""
    log = ViolationLog()
    for time in range(CAP):
        log.record(misuse(time))
    assert all("more like it" not in violation.message for violation in log)


UNLOCK_LOOP = """\
name: unlock-loop
machine: {cpus: 1, policy: fcfs}
processes:
  - name: p
    sync: {m: mutex}
    threads:
      - name: T1
        program:
          - repeat:
              times: 1000000000
              do:
                - unlock: m
                - compute: 1
"""


#: 250 threads that each unlock a mutex they do not hold, once.
UNLOCK_CROWD = """\
name: unlock-crowd
machine: {cpus: 1, policy: fcfs}
processes:
  - name: p
    sync: {m: mutex}
    threads:
      - {name: T, count: 250, program: [unlock: m, compute: 1]}
"""


def test_a_misuse_in_a_long_loop_stops_its_thread_at_the_hundredth(tmp_path: Path) -> None:
    """10**9 passes unlocking a mutex T1 does not hold: T1 stops at the 100th (the number a run lists), so
    the run ends at once, after 100 passes, with 100 violations and one violation event each."""
    metrics, events = trace_of(UNLOCK_LOOP)
    assert len(metrics.violations) == CAP
    assert (
        metrics.violations[-1].message
        == f"T1 unlocks mutex m, held by nobody; T1 stops (it made this misuse {CAP} times)"
    )
    assert (metrics.complete, metrics.end_time, metrics.steps) == (True, 99 * MS, 2 * CAP)
    assert sum(event.event == "violation" for event in events) == CAP
    path = tmp_path / "loop.yaml"
    path.write_text(UNLOCK_LOOP, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 1
    assert f"violations: {CAP}\n" in result.output
    assert f"T1 unlocks mutex m, held by nobody; T1 stops (it made this misuse {CAP} times)\n" in result.output


def test_a_misuse_made_by_many_threads_keeps_a_hundred_violations() -> None:
    """250 threads each make the same misuse once: each goes on; 100 violations listed, the last saying 150
    more, and the trace has one violation event per listed violation."""
    metrics, events = trace_of(UNLOCK_CROWD)
    assert metrics.complete and len(metrics.violations) == CAP
    assert metrics.violations[-1].message == (
        f"T-100 unlocks mutex m, held by nobody (and 150 more like it after this, not listed: a run lists the "
        f"first {CAP} violations of each kind and subject)"
    )
    assert sum(event.event == "violation" for event in events) == CAP


def test_different_subjects_are_capped_separately() -> None:
    """Two mutexes misused by each of 250 threads: a hundred of each."""
    metrics = run_yaml(UNLOCK_CROWD.replace("{m: mutex}", "{m: mutex, n: mutex}").replace(
        "[unlock: m,", "[unlock: m, unlock: n,"))  # fmt: skip
    assert [violation.subject for violation in metrics.violations].count(("n", "unlock")) == CAP
    assert len(metrics.violations) == 2 * CAP


def test_a_thread_stops_at_its_hundredth_misuse_of_one_subject_only() -> None:
    """Two mutexes misused in one loop: the thread stops at the 100th unlock of m, before the 100th of n."""
    metrics = run_yaml(UNLOCK_LOOP.replace("{m: mutex}", "{m: mutex, n: mutex}").replace(
        "- unlock: m", "- unlock: m\n                - unlock: n"))  # fmt: skip
    subjects = [violation.subject for violation in metrics.violations]
    assert (subjects.count(("m", "unlock")), subjects.count(("n", "unlock"))) == (CAP, CAP - 1)
