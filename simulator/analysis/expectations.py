"""End-of-run expectations (SPEC section 8): the scenario's `expect` list, checked once a run has ended by itself.

An expectation is an expression over `process.variable` (true or a violation of kind `expect`), or
`no_data_race` (each race the detector found becomes a violation of kind `data_race`). `no_deadlock` needs
nothing here: deadlocks are reported as they form (simulator.analysis.deadlock), whether expected or not.

This lives with the analyses, not the run-time model: it reads what a run left behind (process memory, the
race detector's findings) and changes nothing, exactly as the metrics do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from simulator.analysis.races import Race
from simulator.analysis.violations import Violation
from simulator.program.expressions import EvaluationError, Expression, Variable, evaluate, variables

if TYPE_CHECKING:
    from simulator.model.processes import Process
    from simulator.model.threads import Thread
    from simulator.scenario.model import Expectation

#: Records a violation; the flag says whether to emit a trace event for it now (see check_expectations).
Record = Callable[[Violation, bool], None]


def check_expectations(
    expectations: Sequence[Expectation],
    processes: Mapping[str, Process],
    races: Sequence[Race],
    threads: Sequence[Thread],
    now: int,
    record: Record,
) -> None:
    """Check every expectation, in the scenario's order, against the run's final state at `now`, and
    `record` each one that does not hold.

    A false expression is traced as found now; a data race is dated when it happened (its second access),
    which is in the past, so it gets no trace event at the end of the run.
    """
    for expectation in expectations:
        if expectation.text == "no_data_race":
            if races:
                declared = {thread.name: thread.proc.spec.name for thread in threads}
                for race in races:
                    record(race_violation(race, declared[race.second.thread]), False)
        elif expectation.expression is not None:
            message = _falsified(expectation.text, expectation.expression, processes)
            if message is not None:
                record(Violation("expect", now, None, message, (expectation.text,)), True)


def race_violation(race: Race, process: str) -> Violation:
    """The violation for one racing pair; `process`: the declared process whose memory it is in."""
    first, second = race.first, race.second
    times = "" if race.count == 1 else f" ({race.count} times)"
    message = (f"data race on {race.variable}: {first.thread} {first.op} at line {first.line} and "
               f"{second.thread} {second.op} at line {second.line}{times}")  # fmt: skip
    return Violation("data_race", second.time, second.thread, message, (process, race.variable))


def _falsified(text: str, expression: Expression, processes: Mapping[str, Process]) -> str | None:
    """None when the expression holds; else what to say (false, with the values read, or why it cannot be
    checked)."""

    def read(node: Expression) -> int:
        assert isinstance(node, Variable) and node.process is not None
        return processes[node.process].memory[node.name]

    try:
        if evaluate(expression, read):
            return None
    except KeyError as missing:
        return f"{text} cannot be checked: process {missing} never ran"
    except EvaluationError as error:
        return f"{text} cannot be checked: {error}"
    shown = {str(variable): variable for variable in variables(expression)}
    values = ", ".join(f"{name} = {read(variable)}" for name, variable in shown.items())
    return f"{text} is false" + (f" ({values})" if values else "")
