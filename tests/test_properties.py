"""Property tests over generated scenarios: invariants every run must keep, whatever the workload."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import (
    Compute,
    DeviceSpec,
    Exit,
    Io,
    MachineSpec,
    Operation,
    PolicySpec,
    ProcessSpec,
    Repeat,
    RunMetrics,
    Scenario,
    Sleep,
    ThreadMetrics,
    ThreadSpec,
    TraceEvent,
    Yield,
    simulate,
)
from simulator.model.kernel import Kernel
from simulator.model.threads import Thread
from simulator.output.json_report import render_json
from simulator.program.interpreter import run_program
from simulator.program.operations import Lock, Unlock
from simulator.scenario.model import SyncSpec

US = 1_000
durations = st.integers(min_value=0, max_value=20).map(lambda n: n * US)


@st.composite
def computes(draw: st.DrawFn) -> Compute:
    duration = draw(durations)
    jitter = draw(st.sampled_from([0, 0, duration // 2]))
    return Compute(duration, jitter, preemptible=draw(st.booleans()))


def operations(devices: list[str]) -> st.SearchStrategy[Operation]:
    """Primitive operations, nested in small `repeat`s. `exit` is inserted by `scenarios`."""
    leaves = st.one_of(
        computes(),
        durations.map(Sleep),
        st.just(Yield()),
        st.tuples(st.sampled_from(devices), durations).map(lambda pair: Io(*pair)),
        # A critical section on the process's mutex `m` (as one leaf, so locks never nest or stay held).
        computes().map(lambda compute: Repeat(1, (Lock("m"), compute, Unlock("m")))),
    )
    return st.recursive(
        leaves,
        lambda inner: st.tuples(st.integers(0, 3), st.lists(inner, max_size=3)).map(
            lambda pair: Repeat(pair[0], tuple(pair[1]))
        ),
        max_leaves=8,
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    devices = draw(st.lists(st.integers(1, 2), max_size=2))
    device_specs = tuple(DeviceSpec(f"d{i}", servers) for i, servers in enumerate(devices))
    device_names = ["io", *(spec.name for spec in device_specs)]
    policy = draw(st.sampled_from([PolicySpec("fcfs")]) | st.integers(1, 15).map(
        lambda q: PolicySpec("rr", (("quantum", q * US),))))  # fmt: skip
    machine = MachineSpec(
        cpus=draw(st.integers(1, 3)),
        policy=policy,
        context_switch=draw(st.sampled_from([0, 0, US, 3 * US])),
        devices=device_specs,
    )
    processes = []
    for p in range(draw(st.integers(1, 3))):
        arrival = draw(st.integers(0, 10)) * US
        threads = []
        for t in range(draw(st.integers(1, 3))):
            program = draw(st.lists(operations(device_names), max_size=6))
            if draw(st.integers(0, 9)) == 0:
                program.insert(draw(st.integers(0, len(program))), Exit())
            threads.append(ThreadSpec(f"p{p}t{t}", f"p{p}", arrival + draw(st.integers(0, 5)) * US,
                                      tuple(program)))  # fmt: skip
        gil = draw(st.sampled_from([None, None, 2 * US]))  # some processes have a GIL, its waits are blocked time
        processes.append(ProcessSpec(f"p{p}", arrival, tuple(threads), sync=(SyncSpec("m", "mutex"),), gil=gil))
    return Scenario("generated", "us", draw(st.integers(0, 2**32)), machine, tuple(processes))


def compute_bounds(program: tuple[Operation, ...]) -> tuple[int, int]:
    """The least and most CPU time a program can use (up to its first exit)."""
    low = high = 0
    for operation in run_program(program):
        if isinstance(operation, Exit):
            break
        if isinstance(operation, Compute):
            low += operation.duration - operation.jitter
            high += operation.duration + operation.jitter
    return low, high


#: The state each trace event puts its thread in (the events that change none are left out).
STATE_AFTER = {"arrive": "waiting", "wake": "waiting", "preempt": "waiting", "yield": "waiting", "switch": "switching",
               "run": "cpu_time", "sleep": "sleeping", "block": "blocked", "exit": "done"}  # fmt: skip


def blocked_part(event: TraceEvent) -> str:
    """What a `block` event's wait is charged to, from the event alone: a device's I/O, a GIL, or any other
    object (the metrics' io, gil and sync)."""
    details = dict(event.details)
    if "device" in details:
        return "io"
    return "gil" if details.get("kind") == "GIL" else "sync"


class InvariantChecker:
    """A trace listener that checks, event by event, that time is monotonic and CPUs are exclusive; it also
    adds up each thread's time in each state from the trace alone (`totals`, named as the metrics are; the
    blocked time also under io, sync or gil, by what the `block` event says it waits for)."""

    def __init__(self) -> None:
        self.now = 0
        self.on_cpu: dict[int, str] = {}
        self.cpu_of: dict[str, int] = {}
        self.state: dict[str, tuple[str, int]] = {}  # thread: (state, since)
        self.part: dict[str, str] = {}  # a blocked thread: what it is blocked on (io, sync, gil)
        self.totals: dict[tuple[str, str], int] = {}

    def _charge(self, name: str, state: str, spent: int) -> None:
        self.totals[name, state] = self.totals.get((name, state), 0) + spent
        if state == "blocked":
            part = self.part[name]
            self.totals[name, part] = self.totals.get((name, part), 0) + spent

    def close(self, end: int) -> None:
        """Charge every thread's current state up to `end`."""
        for name, (state, since) in self.state.items():
            self._charge(name, state, end - since)
            self.state[name] = (state, end)

    def __call__(self, event: TraceEvent) -> None:
        assert event.time >= self.now, "time went backwards"
        self.now = event.time
        name, cpu = event.thread, event.cpu
        if name is not None and event.event in STATE_AFTER:
            state, since = self.state.get(name, ("new", event.time))
            self._charge(name, state, event.time - since)
            self.state[name] = (STATE_AFTER[event.event], event.time)
            if event.event == "block":
                self.part[name] = blocked_part(event)
        if event.event in ("switch", "run"):
            assert cpu is not None and name is not None
            assert self.on_cpu.get(cpu, name) == name, f"CPU{cpu} runs {self.on_cpu.get(cpu)} and {name}"
            assert self.cpu_of.get(name, cpu) == cpu, f"{name} on CPU{self.cpu_of.get(name)} and CPU{cpu}"
            self.on_cpu[cpu] = name
            self.cpu_of[name] = cpu
        elif event.event in ("preempt", "yield", "sleep", "block", "exit"):
            assert cpu is not None and name is not None and self.on_cpu.get(cpu) == name
            del self.on_cpu[cpu]
            del self.cpu_of[name]


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_runs_keep_every_invariant(scenario: Scenario) -> None:
    """Exclusive CPUs, monotonic time, exact CPU time, times that add up, and every thread ends."""
    checker = InvariantChecker()
    metrics = simulate(scenario, listeners=[checker])
    assert metrics.complete and not metrics.violations
    assert not checker.on_cpu  # every CPU is free at the end
    specs = {spec.name: spec for spec in scenario.threads()}
    for thread in metrics.threads:
        low, high = compute_bounds(specs[thread.name].program)
        assert low <= thread.cpu_time <= high
        if low == high:
            assert thread.cpu_time == low
        assert thread.completion is not None
        assert thread.turnaround == (
            thread.cpu_time + thread.waiting + thread.blocked + thread.sleeping + thread.switching
        )
        assert thread.blocked == thread.io + thread.sync + thread.gil
        assert_times_match_the_trace(thread, checker)
        assert thread.first_run is None or thread.first_run >= thread.arrival
    for cpu in metrics.cpu_stats:
        assert cpu.busy + cpu.idle + cpu.switching == metrics.end_time and cpu.idle >= 0
    assert sum(cpu.busy for cpu in metrics.cpu_stats) == sum(t.cpu_time for t in metrics.threads)
    assert sum(cpu.switching for cpu in metrics.cpu_stats) == sum(t.switching for t in metrics.threads)
    assert_figures_add_up(metrics)


def assert_figures_add_up(metrics: RunMetrics) -> None:
    """The device and lock figures, kept as areas under queue lengths, agree with the threads' own times: a
    thread's I/O time is its requests' waits plus their service, and its sync time (here: the mutexes) is
    its waits for them."""
    assert sum(d.queued + d.busy for d in metrics.devices) == sum(t.io for t in metrics.threads)
    assert sum(lock.total_wait for lock in metrics.locks) == sum(t.sync for t in metrics.threads)
    for device in metrics.devices:
        assert device.max_queue == 0 or device.servers is not None
        utilization = device.utilization(metrics.end_time)
        assert utilization is None or 0 <= utilization <= 1
    for lock in metrics.locks:
        assert lock.contended <= lock.acquisitions


def assert_times_match_the_trace(thread: ThreadMetrics, checker: InvariantChecker) -> None:
    """The kernel derives cpu_time and waiting, and charges the other states: each must be what the trace shows."""
    for state in ("cpu_time", "waiting", "switching", "blocked", "io", "sync", "gil", "sleeping"):
        assert getattr(thread, state) == checker.totals.get((thread.name, state), 0), (thread.name, state)


class LiveTimesChecker(InvariantChecker):
    """Also checks, at every trace event, every thread's waiting (its ready spells that have ended), its
    blocked time and its io, sync and gil parts (the blocked spells that have ended; blocked is always their
    sum) and, for a thread not on a CPU, its cpu_time (its running spells), against the trace so far."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[Thread] = []  # the kernel's, once it is built

    def __call__(self, event: TraceEvent) -> None:
        super().__call__(event)
        for thread in self.threads:
            assert thread.waiting == self.totals.get((thread.name, "waiting"), 0), (event, thread.name)
            assert thread.blocked == thread.blocked_io + thread.blocked_sync + thread.blocked_gil, (event, thread.name)
            for part in ("blocked", "io", "sync", "gil"):
                charged = getattr(thread, part if part == "blocked" else f"blocked_{part}")
                assert charged == self.totals.get((thread.name, part), 0), (event, thread.name, part)
            if thread.cpu is None:
                assert thread.cpu_time == self.totals.get((thread.name, "cpu_time"), 0), (event, thread.name)


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_waiting_and_cpu_time_are_right_at_every_instant_not_only_at_the_end(scenario: Scenario) -> None:
    """They are derived, not charged as the run goes: what they say mid-run must still be what happened."""
    checker = LiveTimesChecker()
    kernel = Kernel(scenario, seed=scenario.seed, listeners=[checker])
    checker.threads = kernel.threads
    kernel.run()
    assert kernel.complete


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_the_same_scenario_and_seed_give_the_same_report(scenario: Scenario) -> None:
    """A run is a pure function of (scenario, seed)."""
    assert render_json(simulate(scenario)) == render_json(simulate(scenario))


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_stopping_early_charges_every_thread_up_to_the_bound(scenario: Scenario) -> None:
    """With --until, the accounting still adds up to the (shorter) end of the run."""
    full = simulate(scenario)
    until = full.end_time // 2
    checker = InvariantChecker()
    metrics = simulate(scenario, until=until, listeners=[checker])
    assert metrics.end_time <= full.end_time
    checker.close(metrics.end_time)
    for thread in metrics.threads:
        if thread.completion is None:
            spent = thread.cpu_time + thread.waiting + thread.blocked + thread.sleeping + thread.switching
            assert spent == max(0, metrics.end_time - thread.arrival)
        assert_times_match_the_trace(thread, checker)
    assert_figures_add_up(metrics)
