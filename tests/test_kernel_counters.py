"""The kernel's counters stay right at every trace event, over generated scenarios.

The kernel counts ready threads (`_ready`), idle CPUs (`_idle`) and finished threads (`_finished`) instead
of recounting them: the hot path asks often, and the refill shortcut hands a vacated CPU straight to the
next ready thread on the strength of them. A counter that drifts by one would make a CPU idle while
someone waits, or a pick from an empty queue. These are internals, read here on purpose: if they are
renamed, rename them here.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from simulator import Kernel, State, TraceEvent, parse_scenario
from tests.listeners import BECOME_READY, LEAVE_CPU
from tests.scenario_texts import scenario_texts


class CounterChecker:
    """A trace listener that recomputes, at every event, the kernel's counters from the kernel's threads,
    CPUs and policy, and from the trace so far, and records every disagreement in `problems`."""

    def __init__(self) -> None:
        self.kernel: Kernel | None = None  # set once the kernel is built (it emits nothing before it runs)
        self.running: dict[int, str] = {}  # CPU -> thread, from the trace
        self.exits = 0
        self.finishing = False  # inside the kernel's handling of a thread's end (see below)
        self.events = 0
        self.problems: list[str] = []

    def __call__(self, event: TraceEvent) -> None:
        kernel = self.kernel
        assert kernel is not None
        self.events += 1
        if event.event in ("switch", "run"):
            assert event.cpu is not None and event.thread is not None
            self.running[event.cpu] = event.thread
        elif event.event in LEAVE_CPU and event.cpu is not None:
            self.running.pop(event.cpu, None)
        if event.event == "exit":
            self.exits += 1
        # A thread's end is counted once the threads that join it (or wait for its process) have been woken:
        # at its exit event, and at those wake-ups, the count is one behind.
        self.finishing = event.event == "exit" or (self.finishing and event.event == "wake")
        # A thread that becomes ready (or is preempted, or yields) is announced just before the policy
        # gets it: at its own event it is ready but not yet counted.
        announced = event.thread if event.event in BECOME_READY else None
        ready = sorted(t.index for t in kernel.threads if t.state is State.READY and t.name != announced)
        queued = sorted(t.index for t in kernel.policy.ready_threads())
        idle = sum(1 for cpu in kernel.cpus if cpu.thread is None)
        done = sum(1 for t in kernel.threads if t.state is State.DONE)
        where = f"at {event.time} after {event.event} of {event.thread}"
        if not kernel._ready == len(ready) == len(kernel.policy) or queued != ready:
            self.problems.append(
                f"{where}: _ready {kernel._ready}, policy holds {len(kernel.policy)} {queued}, ready threads {ready}"
            )
        if not kernel._idle == idle == len(kernel.cpus) - len(self.running):
            self.problems.append(f"{where}: _idle {kernel._idle}, idle CPUs {idle}, trace says {self.running}")
        expected = {done - 1} if event.event == "exit" else {done - 1, done} if self.finishing else {done}
        if kernel._finished not in expected or done != self.exits:
            self.problems.append(f"{where}: _finished {kernel._finished}, done {done}, exits {self.exits}")


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_texts())
def test_ready_idle_and_finished_counts_are_right_at_every_event(text: str) -> None:
    """_ready, _idle and _finished equal what the threads, CPUs, policy and trace say, after every event."""
    scenario = parse_scenario(text, "generated.yaml")
    checker = CounterChecker()
    kernel = Kernel(scenario, seed=scenario.seed, listeners=[checker], max_steps=100_000)
    checker.kernel = kernel
    kernel.run()
    assert not checker.problems, "\n".join(checker.problems[:5])
    assert checker.events > 0 or not kernel.threads
    # At the end, nothing is left behind: every CPU is idle, and nobody is ready unless the run stopped.
    assert kernel._idle == len(kernel.cpus) or not kernel.complete
    assert kernel._ready == 0 or not kernel.complete
    assert kernel._finished == sum(1 for t in kernel.threads if t.state is State.DONE)
