"""Hypothesis strategies for threadsim: schedules that Hypothesis drives, and scenarios to test on.

`schedules()` hands every scheduling decision of a run to Hypothesis: whether to preempt the running thread
before each visible step, and which ready thread an idle CPU runs. Hypothesis' shrinker then drives a
failing schedule towards fewer preemptions and the policy's own picks, since both shrink to the default
decision. Pass the drawn schedule to `simulate(..., strategy=schedule)`:

    from hypothesis import given
    from simulator import load_scenario, simulate
    from simulator.strategies import SCHEDULE_SETTINGS, schedules

    @SCHEDULE_SETTINGS
    @given(schedules())
    def test_the_counter_is_exact(schedule):
        metrics = simulate(load_scenario("scenarios/counter-mutex.yaml"), strategy=schedule)
        assert not metrics.violations, schedule.describe()

`machines()`, `programs()` and `scenarios()` generate valid scenarios (built as scenario files are and
checked by the same loader), for testing policies or invariants of your own over many workloads.

This module imports Hypothesis, which `pip install 'threadsim[test]'` brings; nothing else in threadsim does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import yaml
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from simulator.scenario.loader import parse_scenario
from simulator.scenario.model import Scenario

if TYPE_CHECKING:
    from simulator.model.threads import Thread

#: Settings for a test over `schedules()`: Hypothesis' explain phase traces coverage through the whole
#: simulator and made a lost-update search 40 times slower (7 s against 286 s), so it is left out; runs are
#: long for Hypothesis' taste, so the too-slow and data-too-large health checks are off. Use it as a decorator,
#: or as the parent of your own: `@settings(SCHEDULE_SETTINGS, max_examples=500)`.
SCHEDULE_SETTINGS = settings(
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    deadline=None,
)


class HypothesisSchedule:
    """A `Strategy` (simulator.chooser) whose decisions Hypothesis draws while the run goes.

    Preemptions are drawn as a list, one item at a time: "is there another preemption?" and, if so, "after
    how many more decision points (0 to `max_gap`)?". Hypothesis shrinks a list by dropping items and an
    integer towards 0, so a failing schedule shrinks towards fewer and earlier preemptions; drawing each point's
    yes-or-no instead shrank the lost update of scenarios/counter-incr.yaml to its one preemption in only 3 of
    12 seeds, and 7 times slower. A pick is an index into the ready threads, shrinking to 0, the policy's own
    pick. After `max_decisions` decision points the schedule draws nothing more and keeps the defaults, so that
    a long run does not exhaust Hypothesis' buffer. `decisions` records the non-default decisions as (point,
    value), as a replay token does.
    """

    #: Asked about delays too: a delay is drawn like a preemption (see simulator.model.control).
    offers_delays = True

    def __init__(self, data: st.DataObject, max_gap: int, max_decisions: int, seed: int | None = None) -> None:
        self._data = data
        #: The run's seed when Hypothesis drew it (`schedules(seeds=True)`): `simulate` runs with it.
        self.seed = seed
        self._max_gap = max_gap
        self._budget = max_decisions
        #: Decision points to let pass before the next preemption; -1: no more preemptions; None: not drawn.
        self._gap: int | None = None
        self.decisions: list[tuple[int, int]] = []
        #: The points of the decisions that are delays.
        self._delay_points: list[int] = []
        self.steps = 0

    def on_step(self) -> None:
        self.steps += 1

    def on_yield(self, thread: Thread) -> None:
        """A yield is the thread's own decision, not one Hypothesis draws."""

    def preempt(self, point: int, running: Thread, ready: Sequence[Thread]) -> bool:
        if self._budget <= 0:
            return False
        self._budget -= 1
        if self._gap is None:
            another = self._data.draw(st.booleans(), label="another preemption?")
            self._gap = (
                self._data.draw(st.integers(0, self._max_gap), label="after how many points?") if another else -1
            )
        if self._gap != 0:
            self._gap = max(self._gap - 1, -1)
            return False
        self._gap = None
        self.decisions.append((point, 1))
        return True

    def delay(self, point: int, running: Thread, others: Sequence[Thread]) -> bool:
        taken = self.preempt(point, running, others)
        if taken:
            self._delay_points.append(point)
        return taken

    def pick(self, point: int, ready: Sequence[Thread]) -> int:
        if self._budget <= 0 or len(ready) < 2:
            return 0
        self._budget -= 1
        index = self._data.draw(st.integers(0, len(ready) - 1), label="run which ready thread?")
        if index:
            self.decisions.append((point, index))
        return index

    @property
    def preemptions(self) -> int:
        """How many preemptions the schedule made (delays not counted)."""
        return sum(1 for _, value in self.decisions if value == 1) - len(self._delay_points)

    @property
    def delays(self) -> int:
        """How many delays the schedule made."""
        return len(self._delay_points)

    def describe(self) -> str:
        """The non-default decisions (and the drawn seed), for a failing test's message."""
        seed = "" if self.seed is None else f", seed {self.seed}"
        if not self.decisions:
            return f"the default schedule (no decision differs from the policy's){seed}"
        shown = ", ".join(f"point {point}: {self._kind(point, value)}" for point, value in self.decisions)
        count = len(self.decisions)
        return f"{count} decision{'s' if count != 1 else ''} ({shown}){seed}"

    def _kind(self, point: int, value: int) -> str:
        if value != 1:
            return f"pick #{value}"
        return "delay" if point in self._delay_points else "preempt"

    def __repr__(self) -> str:
        return f"HypothesisSchedule({self.describe()})"


#: The seeds `schedules(seeds=True)` draws from (a run's seed may be any integer; these are plenty).
MAX_DRAWN_SEED = 2**32 - 1


def schedules(*, max_gap: int = 100, max_decisions: int = 2_000, seeds: bool = False,
              ) -> st.SearchStrategy[HypothesisSchedule]:  # fmt: skip
    """Schedules whose every decision Hypothesis draws (see HypothesisSchedule). Use each one for one run.

    A larger `max_gap` reaches preemptions further into long runs, at the price of more examples to find a
    bug that needs an early one. With `seeds`, Hypothesis also draws the run's seed (0 to MAX_DRAWN_SEED),
    the one source of the run's random draws (distributions, jitter, lottery tickets, random tie-breaks, the
    GIL's woken waiter): `simulate(..., strategy=schedule)` runs with it, so Hypothesis explores the draws
    as it does the decisions, shrinks the seed towards 0, and replays it from its database. (threadsim keeps
    no random state between runs, so there is nothing for `hypothesis.register_random` to manage: each run's
    generator is made from its seed.)"""
    if isinstance(max_gap, bool) or not isinstance(max_gap, int) or max_gap < 0:
        raise ValueError(f"max_gap must be a non-negative integer, got {max_gap!r}")
    if isinstance(max_decisions, bool) or not isinstance(max_decisions, int) or max_decisions < 0:
        raise ValueError(f"max_decisions must be a non-negative integer, got {max_decisions!r}")
    if not isinstance(seeds, bool):
        raise ValueError(f"seeds must be True or False, got {seeds!r}")
    return _schedules(max_gap, max_decisions, seeds)


@st.composite
def _schedules(draw: st.DrawFn, max_gap: int, max_decisions: int, seeds: bool) -> HypothesisSchedule:
    # The decisions are drawn while the run goes, through Hypothesis' interactive data object: each one
    # depends on the run so far (how many threads are ready), which no strategy drawn up front could know.
    seed = draw(st.integers(0, MAX_DRAWN_SEED), label="the run's seed") if seeds else None
    return HypothesisSchedule(draw(st.data()), max_gap, max_decisions, seed)


# -- scenarios ---------------------------------------------------------------------------------------------

POLICY_NAMES = ("fcfs", "rr", "sjf", "srtf", "priority", "mlfq", "lottery", "stride", "cfs")


@st.composite
def policies(draw: st.DrawFn, names: Sequence[str] = POLICY_NAMES) -> dict[str, Any]:
    """A policy as a scenario writes it (`{name: rr, quantum: 3}`), with a quantum where the policy has one."""
    name = draw(st.sampled_from(list(names)))
    if name in ("rr", "mlfq", "lottery", "stride"):
        return {"name": name, "quantum": draw(st.integers(1, 10))}
    return {"name": name}


@st.composite
def machines(draw: st.DrawFn, *, max_cpus: int = 4, policy: st.SearchStrategy[dict[str, Any]] | None = None,
             ) -> dict[str, Any]:  # fmt: skip
    """A machine section: CPUs, a policy, a context-switch cost, and sometimes a disk with 1-2 servers."""
    machine: dict[str, Any] = {
        "cpus": draw(st.integers(1, max_cpus)),
        "policy": draw(policy if policy is not None else policies()),
        "context_switch": draw(st.sampled_from([0, 0, 1])),
    }
    if draw(st.booleans()):
        machine["devices"] = {"disk": {"servers": draw(st.integers(1, 2))}}
    return machine


def _durations() -> st.SearchStrategy[int]:
    return st.integers(0, 20)


@st.composite
def workload_programs(draw: st.DrawFn, *, devices: Sequence[str] = ("io",)) -> list[Any]:
    """A program of CPU bursts, sleeps, I/O and yields, with small repeats: no shared memory."""
    leaf = st.one_of(
        _durations().map(lambda d: {"compute": d}),
        _durations().map(lambda d: {"sleep": d}),
        st.tuples(st.sampled_from(list(devices)), _durations()).map(
            lambda pair: {"io": {"device": pair[0], "duration": pair[1]}}),
        st.just("yield"),
    )  # fmt: skip
    operation = st.recursive(
        leaf,
        lambda inner: st.tuples(st.integers(0, 3), st.lists(inner, min_size=1, max_size=3)).map(
            lambda pair: {"repeat": {"times": pair[0], "do": pair[1]}}),
        max_leaves=6,
    )  # fmt: skip
    return draw(st.lists(operation, min_size=1, max_size=6))


@st.composite
def programs(draw: st.DrawFn, *, variables: Sequence[str] = ("x",), mutexes: Sequence[str] = ("m",)) -> list[Any]:
    """A program over shared `variables`: loads, stores, increments, atomic adds and short computes,
    some of them inside `lock`/`unlock` of one of `mutexes` (always released, so no misuse)."""
    access: st.SearchStrategy[Any] = st.one_of(
        st.sampled_from(list(variables)).map(lambda v: {"incr": v}),
        st.sampled_from(list(variables)).map(lambda v: {"load": {"var": v, "into": "r"}}),
        st.tuples(st.sampled_from(list(variables)), st.integers(0, 3)).map(
            lambda pair: {"store": {"var": pair[0], "value": f"r + {pair[1]}"}}),
        st.sampled_from(list(variables)).map(lambda v: {"atomic": {"var": v, "op": "add", "value": 1}}),
        st.integers(0, 3).map(lambda d: {"compute": d}),
    )  # fmt: skip
    body: list[Any] = []
    for _ in range(draw(st.integers(1, 4))):
        steps: list[Any] = draw(st.lists(access, min_size=1, max_size=3))
        locked: bool = draw(st.booleans()) if mutexes else False
        if locked:
            mutex = draw(st.sampled_from(list(mutexes)))
            steps = [{"lock": mutex}, *steps, {"unlock": mutex}]
        body.extend(steps)
    return body


@st.composite
def scenario_data(draw: st.DrawFn, *, max_threads: int = 4, shared_memory: bool | None = None,
                  policy: st.SearchStrategy[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    """A scenario as the data of a scenario file: one process of 1 to `max_threads` threads, either a CPU
    and I/O workload or (with `shared_memory`) programs over shared variables and a mutex."""
    machine = draw(machines(policy=policy))
    devices = ["io", *machine.get("devices", {})]
    shared = draw(st.booleans()) if shared_memory is None else shared_memory
    threads = []
    for index in range(draw(st.integers(1, max_threads))):
        program = draw(programs()) if shared else draw(workload_programs(devices=devices))
        threads.append({"name": f"t{index + 1}", "arrival": draw(st.integers(0, 5)), "program": program})
    process: dict[str, Any] = {"name": "app", "threads": threads}
    if shared:
        process["memory"] = {"x": 0}
        process["sync"] = {"m": "mutex"}
    return {"name": "generated", "time_unit": "ms", "machine": machine, "processes": [process]}


def scenarios(**options: Any) -> st.SearchStrategy[Scenario]:
    """Valid scenarios (see `scenario_data` for the options), checked by the loader as a file would be."""
    return scenario_data(**options).map(_validated)


def _validated(data: dict[str, Any]) -> Scenario:
    return parse_scenario(yaml.safe_dump(data, sort_keys=False), "<generated>")
