"""Making a run's process instances and threads: those there from their arrival (copies included), and those
spawn and fork start as the run goes.

A process or thread declared with `count` has copies named NAME-1 ... NAME-count, copy k arriving k-1
interarrival times after the first; the register `replica` of each copy's threads holds its number. Arrival
and interarrival distributions are drawn from the run's chooser as the copies are reached, so the draws, and
so the run, are the same whatever else the scenario holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from simulator.analysis.races import Clock
from simulator.engine import PRIORITY_WAKE, no_full_collections
from simulator.model.processes import Process
from simulator.model.threads import Thread
from simulator.program.interpreter import run_program
from simulator.program.python import PythonProgram, python_body
from simulator.scenario.model import ProcessSpec, ThreadSpec

if TYPE_CHECKING:
    from simulator.model.kernel import Kernel


class Creator:
    """Makes the process instances and threads of one kernel run, into the kernel's `processes` and `threads`."""

    __slots__ = ("_kernel", "_scenario", "_chooser", "_engine", "_races", "_threads", "_processes", "_arrive",
                 "_forks")  # fmt: skip

    def __init__(self, kernel: Kernel, arrive: Callable[[Thread], None]) -> None:
        """`arrive` makes a thread that has arrived ready (scheduled at each thread's arrival)."""
        self._kernel = kernel  # a thread written in Python drives its body through the kernel
        self._scenario = kernel.scenario
        self._chooser = kernel.chooser
        self._engine = kernel.engine
        self._races = kernel.races
        # The kernel's own list and dict, filled here.
        self._threads = kernel.threads
        self._processes = kernel.processes
        self._arrive = arrive
        #: How many instances of each forked process have been started.
        self._forks: dict[str, int] = {}

    def populate(self) -> None:
        """Start the processes and threads there from their arrival, and schedule their arrivals."""
        with no_full_collections():  # building 100,000 threads took four times as long with them
            for spec in self._scenario.processes:  # declaration order: same-instant arrivals keep it
                if spec.start == "arrival":
                    for process, shift in self._process_copies(spec):
                        for thread_spec in spec.threads:
                            if thread_spec.start == "arrival":
                                self._create_copies(thread_spec, process, shift)
            self._engine.schedule_batch([(t.arrival, PRIORITY_WAKE, self._arrive, t) for t in self._threads])

    def _start_process(self, spec: ProcessSpec, name: str, memory: dict[str, int], suffix: str) -> Process:
        process = Process(spec, name, memory, suffix)
        self._processes[name] = process
        return process

    def _process_copies(self, spec: ProcessSpec) -> Iterator[tuple[Process, int]]:
        """Start the instances of a process that exist from their arrival: one, or `count` copies named
        NAME-1 ... NAME-count, copy k at the arrival plus k-1 interarrival times. Yields each instance with
        how much later than the declared arrival it arrives (its threads arrive that much later too). The
        draws are made as the copies are reached: copy k's threads draw before copy k+1's interarrival."""
        drawn = spec.arrival_distribution
        arrival = spec.arrival if drawn is None else self._chooser.draw(drawn)
        if spec.count is None:
            yield self._start_process(spec, spec.name, dict(spec.memory), ""), arrival - spec.arrival
            return
        for copy in range(1, spec.count + 1):
            if copy > 1:
                spacing = spec.interarrival_distribution
                arrival += spec.interarrival if spacing is None else self._chooser.draw(spacing)
            process = self._start_process(spec, f"{spec.name}-{copy}", dict(spec.memory), f"-{copy}")
            process.replica = copy
            yield process, arrival - spec.arrival

    def _create_copies(self, spec: ThreadSpec, process: Process, shift: int) -> None:
        """The threads a declaration starts at arrival in `process` (arriving `shift` later than declared):
        one, or `count` copies named NAME-1 ... NAME-count. The register `replica` holds the copy's number
        (the process's, for a thread without copies in a copy of a process)."""
        drawn = spec.arrival_distribution
        arrival = (spec.arrival if drawn is None else self._chooser.draw(drawn)) + shift
        if spec.count is None:
            self.create_thread(spec, process, arrival, None, arrive=False)
            return
        spacing = spec.interarrival_distribution
        for copy in range(1, spec.count + 1):
            if copy > 1:
                arrival += spec.interarrival if spacing is None else self._chooser.draw(spacing)
            self.create_thread(spec, process, arrival, None, arrive=False, copy=copy)

    def create_thread(
        self,
        spec: ThreadSpec,
        process: Process,
        arrival: int,
        parent: Clock | None,
        arrive: bool = True,
        copy: int = 0,
    ) -> Thread:
        """A new thread of `process`, arriving at `arrival`; `parent`: the clock it inherits (spawn, fork).
        Its arrival is scheduled unless `arrive` is false (the threads there before the run arrive as a batch).
        `copy`: its number among the copies of its declaration (0: it has none)."""
        body = python_body(spec.program)
        script = spec.script
        name = spec.name + process.suffix + (f"-{copy}" if copy else "")
        thread = Thread(len(self._threads), name, process.name, arrival, spec.priority,
                        run_program(spec.program) if script is None and body is None else None, script)  # fmt: skip
        if body is not None:  # a thread written in Python (simulator.program.python)
            thread.program = PythonProgram(body, thread, self._kernel)
        thread.template = spec.name
        replica = copy or process.replica
        if replica:  # registers start at 0; a copy's `replica` register holds its number
            thread.registers["replica"] = replica
        thread.proc = process
        thread.gil = process.gil
        if process.gil is not None:
            process.gil.chooser = self._chooser  # which waiter a dropped GIL wakes is the run's choice
        thread.demand = spec.demand
        thread.tickets = spec.tickets
        thread.nice = spec.nice
        thread.working_set = spec.working_set
        if spec.affinity is not None:
            thread.affinity = frozenset(spec.affinity)
        process.threads[spec.name] = thread
        process.live += 1
        self._threads.append(thread)
        self._races.start(thread.index, parent)
        if arrive:
            self._engine.schedule(arrival, PRIORITY_WAKE, self._arrive, thread)
        return thread

    def fork(self, parent: Process, template: str) -> Process:
        """A new instance of the forked process `template`, its memory a copy of `parent`'s right now."""
        count = self._forks[template] = self._forks.get(template, 0) + 1
        suffix = "" if count == 1 else f"#{count}"
        spec = next(spec for spec in self._scenario.processes if spec.name == template)
        return self._start_process(spec, template + suffix, dict(parent.memory), suffix)
