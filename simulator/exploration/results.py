"""What a search finds and reports: the outcome of one schedule, the tally of many, each distinct failure
(grouped by kind and structured subject) and the whole result `threadsim explore` renders, with the types of
the callbacks a search reports through as it goes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from simulator.analysis.metrics import RunMetrics
from simulator.analysis.violations import Violation
from simulator.bounds import EXPLORE_MAX_STEPS
from simulator.model.kernel import DEFAULT_MAX_INSTANT_STEPS

#: Violation kinds, in the order reports list them.
KINDS = ("expect", "assert", "deadlock", "data_race", "misuse", "step_bound", "livelock", "overflow")
#: The bounds of one explored run: (max_steps, max_instant_steps; None: no livelock check).
Bounds = tuple[int, int | None]
DEFAULT_BOUNDS: Bounds = (EXPLORE_MAX_STEPS, DEFAULT_MAX_INSTANT_STEPS)


#: Which failure a violation is: its kind and its subject (which expectation, assertion, variable, cycle or
#: misuse; `Violation.subject`). A violation with no subject is known by its kind alone.
FailureKey = tuple[str, tuple[str, ...]]


def failure_key(kind: str, subject: tuple[str, ...]) -> FailureKey:
    """What "the same failure" means for grouping and shrinking: the kind and the structured subject, never
    the message, whose values (times, counts, what was read) differ between runs of one failure."""
    return (kind, tuple(subject))


@attrs.frozen
class Outcome:
    """One schedule: its seed, its non-default decisions (how many of them preemptions, how many delays), and
    the distinct failures it showed (key, message)."""

    seed: int
    decisions: tuple[tuple[int, int], ...]
    failures: tuple[tuple[FailureKey, str], ...]
    preemptions: int = 0
    delays: int = 0

    @property
    def switches(self) -> int:
        """The decisions that count against a preemption bound: preemptions and delays."""
        return self.preemptions + self.delays


class Tally:
    """What the summary needs of the schedules run so far, kept as they come: how many ran and failed, and
    per distinct failure how many runs showed it and the first one that did (with `every`, every failing run).
    Memory does not grow with the number of runs (except for `every`'s list), nor does the work per run."""

    def __init__(self, every: bool) -> None:
        self.runs = 0
        self.failed = 0
        #: Steps the runs took, all together: shrinking is measured against it.
        self.steps = 0
        self.counts: dict[FailureKey, int] = {}
        #: Per distinct failure, the first failing run's number and outcome.
        self.first: dict[FailureKey, tuple[int, Outcome]] = {}
        #: With `every`: (failure, run number, outcome) of every failure, in run order.
        self.every: list[tuple[FailureKey, int, Outcome]] | None = [] if every else None

    def add(self, outcome: Outcome, steps: int = 0, number: int | None = None) -> None:
        """Count one run; `number` is its place in the whole search (by default, the next)."""
        number = self.runs if number is None else number
        self.runs += 1
        self.steps += steps
        if outcome.failures:
            self.failed += 1
        for key, _ in outcome.failures:
            self.counts[key] = self.counts.get(key, 0) + 1
            self.first.setdefault(key, (number, outcome))
            if self.every is not None:
                self.every.append((key, number, outcome))


@attrs.frozen
class FailureReport:
    """What exploration found for one distinct failure: a kind of violation and its subject.

    `preemptions`, `delays` and `picks` count the shrunk token's decisions: a preemption takes the CPU from a
    running thread for a ready one; a delay takes it when nobody is ready, until another thread steps; a pick
    runs another ready thread than the policy would on a free CPU. `original_*` count the first failing
    schedule's."""

    kind: str
    subject: tuple[str, ...]
    runs: int
    first_run: int
    first_seed: int
    message: str
    token: str
    preemptions: int
    picks: int
    original_preemptions: int
    original_picks: int
    #: How the search for fewer preemptions ended: "fewest" (no schedule with fewer fails so), "budget"
    #: (the shrink budget ran out first) or "interrupted" (Ctrl-C).
    shrink_state: str = "fewest"
    delays: int = 0
    original_delays: int = 0
    #: The shrunk schedule's interleaving, as report lines (simulator.exploration.interleaving; filled in by
    #: the explore command, after the search).
    interleaving: tuple[str, ...] = ()

    def decision_counts(self) -> str:
        """The shrunk token's decisions in words: "1 preemption, 0 delays and 0 picks"."""
        return count_decisions(self.preemptions, self.delays, self.picks)

    def original_decision_counts(self) -> str:
        """The first failing schedule's decisions in words."""
        return count_decisions(self.original_preemptions, self.original_delays, self.original_picks)


def count_decisions(preemptions: int, delays: int, picks: int) -> str:
    """Decision counts in words: "2 preemptions, 1 delay and 0 picks"."""
    words = [f"{number} {word}{'' if number == 1 else 's'}"
             for number, word in ((preemptions, "preemption"), (delays, "delay"), (picks, "pick"))]  # fmt: skip
    return f"{words[0]}, {words[1]} and {words[2]}"


#: Why a search stopped before its end: the --runs limit, the --time-budget, or Ctrl-C.
STOP_REASONS = ("runs", "time_budget", "interrupted")


@attrs.frozen
class ExploreResult:
    """Everything `threadsim explore` reports."""

    scenario: str
    strategy: str
    runs: int
    seed_start: int
    #: Whether the search ran to its end (every seed asked for; for dfs, every schedule within the bound).
    complete: bool
    #: None when complete; else one of STOP_REASONS.
    stopped_by: str | None
    failures: tuple[FailureReport, ...]
    #: With `all`: every failing run as (kind, run number, seed, token).
    every_failure: tuple[tuple[str, int, int, str], ...] = ()
    depth: int = 0
    bound: int = 0
    #: dfs: the largest bound within which every schedule ran (-1: not even bound 0).
    proven_bound: int = -1
    #: The budgets given: --runs (None: none) and --time-budget as the user wrote it (None: none).
    runs_limit: int | None = None
    time_budget: str | None = None
    #: Schedules shrinking ran, for every failure together.
    shrink_runs: int = 0
    #: The failure database's directory for this scenario (None: no database), and the saved failing
    #: schedules replayed before the search.
    database: str | None = None
    saved: tuple[SavedReplay, ...] = ()
    #: Each run's step bound and livelock bound (the reproduce commands repeat them when not the defaults).
    bounds: Bounds = DEFAULT_BOUNDS
    #: dfs: whether dynamic partial-order reduction chose the schedules (simulator.exploration.dpor).
    reduced: bool = False

    @property
    def failed(self) -> bool:
        """Whether any schedule failed (a saved one that still fails included)."""
        return bool(self.failures) or any(replay.still_fails for replay in self.saved)

    @property
    def interrupted(self) -> bool:
        """Whether Ctrl-C stopped the search."""
        return self.stopped_by == "interrupted"

    def _repr_html_(self) -> str:
        """A notebook's view: what was searched and a table of the failures (simulator.notebook)."""
        from simulator.notebook import explore_html

        return explore_html(self)

    def to_records(self) -> list[dict[str, object]]:
        """One dict per distinct failure (and per saved failure replayed first)."""
        from simulator.notebook import explore_records

        return explore_records(self)

    def to_dataframe(self) -> Any:
        """`to_records()` as a pandas DataFrame (needs the `pandas` extra)."""
        from simulator.notebook import explore_records, to_dataframe

        return to_dataframe(explore_records(self))


@attrs.frozen
class SavedReplay:
    """A saved failing schedule replayed before a search: whether it still shows the failure it was saved
    with, and that failure's message now (or when saved, if it passes now)."""

    token: str
    kind: str
    subject: tuple[str, ...]
    still_fails: bool
    message: str


#: A check of a run's metrics, beyond the scenario's own expectations: it fails a schedule by raising
#: AssertionError (a plain `assert` does).
Check = Callable[[RunMetrics], object]


def check_violations(check: Check, metrics: RunMetrics) -> list[Violation]:
    """The violation a check's AssertionError makes (kind `expect`, subject `("check <name>",)`), or none."""
    try:
        check(metrics)
    except AssertionError as error:
        name = getattr(check, "__qualname__", type(check).__name__)
        detail = str(error).splitlines()[0] if str(error) else "an assertion failed"
        return [Violation("expect", metrics.end_time, None, f"check {name}: {detail}", (f"check {name}",))]
    return []


def failures_of(metrics: RunMetrics) -> tuple[tuple[FailureKey, str], ...]:
    """The distinct failures a run showed, each with the message of its first violation, in report order
    (kinds in `KINDS` order, then by subject)."""
    return failures_in(metrics.violations)


def failures_in(violations: Sequence[Violation]) -> tuple[tuple[FailureKey, str], ...]:
    """`failures_of` for a run's violations."""
    first: dict[FailureKey, str] = {}
    for violation in violations:
        first.setdefault(failure_key(violation.kind, violation.subject), violation.message)
    return tuple(sorted(first.items(), key=lambda item: report_order(item[0])))


def report_order(key: FailureKey) -> tuple[int, tuple[str, ...]]:
    return (KINDS.index(key[0]), key[1])


#: Told (schedules done, schedules to do or 0 if not known, schedules failing) as a search goes.
Progress = Callable[[int, int, int], None]
#: Told a line of text saying how a later phase (shrinking) goes.
Status = Callable[[str], None]
#: (kind, run number, seed, token) of every failing run.
EveryFailure = tuple[tuple[str, int, int, str], ...]
