"""Scenarios built in Python: validated as scenario files are (simulator.validation, simulator.builder)."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from simulator import MachineSpec, PolicySpec, load_scenario, simulate, with_overrides
from simulator.builder import Machine, Process, build
from simulator.program.expressions import Number, Register
from simulator.program.operations import Compute, Load, Lock, Store, Unlock
from simulator.scenario.model import ProcessSpec, Scenario, ThreadSpec
from simulator.validation import ScenarioError, checked, validate


def _spec_scenario(machine: MachineSpec) -> Scenario:
    thread = ThreadSpec("T1", "app", 0, (Compute(1_000_000),))
    return Scenario("s", "ms", 0, machine, (ProcessSpec("app", 0, (thread,)),))


def test_zero_cpus_is_refused_with_the_loaders_message() -> None:
    """MachineSpec(cpus=0) fails as `cpus: 0` in a file does, naming the field."""
    with pytest.raises(ScenarioError) as caught:
        simulate(_spec_scenario(MachineSpec(cpus=0, policy=PolicySpec("fcfs"))))
    line = test_zero_cpus_is_refused_with_the_loaders_message.__code__.co_firstlineno + 3
    assert str(caught.value) == f"machine.cpus: cpus must be at least 1, got 0 (made at {__file__}:{line})"
    assert caught.value.field == "machine.cpus"


def test_spec_classes_made_directly_are_located_at_their_constructors_line() -> None:
    """A problem in a thread built with ThreadSpec names the line of that ThreadSpec call; equal specs made
    on different lines stay equal, and specs that threadsim makes (the loader's) carry no line."""
    first = test_spec_classes_made_directly_are_located_at_their_constructors_line.__code__.co_firstlineno
    threads = (ThreadSpec("T1", "app", 0, (Compute(1),)),
               ThreadSpec("T2", "app", 0, (Compute(-1),)))  # fmt: skip
    scenario = Scenario("s", "ms", 0, MachineSpec(cpus=1, policy=PolicySpec("fcfs")),
                        (ProcessSpec("app", 0, threads),))  # fmt: skip
    with pytest.raises(ScenarioError) as caught:
        validate(scenario)
    assert [problem.made_at for problem in caught.value.problems] == [f"{__file__}:{first + 5}"]
    assert threads[0] == ThreadSpec("T1", "app", 0, (Compute(1),))
    assert attrs.evolve(threads[1], name="T3").made_at == threads[1].made_at
    assert load_scenario("scenarios/counter-incr.yaml").machine.made_at == ""


def test_a_policy_without_parameters_gets_the_defaults() -> None:
    """PolicySpec("rr") runs as `policy: rr` does instead of raising KeyError."""
    built = simulate(_spec_scenario(MachineSpec(cpus=1, policy=PolicySpec("rr"))))
    from_file = simulate(_spec_scenario(MachineSpec(cpus=1, policy=PolicySpec("rr", (("quantum", 10_000_000),)))))
    assert built == from_file


def test_bad_policy_parameter_names_the_field() -> None:
    """An unknown policy parameter is reported at machine.policy.<key>."""
    with pytest.raises(ScenarioError, match=r"^machine\.policy\.quantom: policy 'rr' has no parameter 'quantom'"):
        validate(_spec_scenario(MachineSpec(cpus=1, policy=PolicySpec("rr", (("quantom", 5),)))))


@pytest.mark.parametrize("path", sorted(Path("scenarios").glob("*.yaml")), ids=lambda path: path.stem)
def test_every_scenario_file_passes_the_checks_of_built_scenarios(path: Path) -> None:
    """The checks of built scenarios accept every loaded scenario file and change nothing in it."""
    scenario = load_scenario(path)
    assert checked(scenario) is scenario
    assert validate(scenario) is scenario


def test_overrides_with_a_partial_policy_are_completed() -> None:
    """with_overrides(policy=PolicySpec("rr")) runs with rr's defaults; a complete policy is not re-checked."""
    loaded = load_scenario("scenarios/counter-incr.yaml")
    partial = with_overrides(loaded, policy=PolicySpec("rr"))
    assert validate(partial).machine.policy == PolicySpec("rr", (("quantum", 10_000_000),))
    complete = with_overrides(loaded, policy=PolicySpec("rr", (("quantum", 4_000_000),)))
    assert validate(complete) is complete


def test_operations_naming_missing_things_are_reported() -> None:
    """Operation objects naming an unknown variable or object fail at their program position."""
    thread = ThreadSpec("T1", "app", 0, (Load("x", "r"), Lock("m")))
    scenario = Scenario("s", "ms", 0, MachineSpec(1, PolicySpec("fcfs")), (ProcessSpec("app", 0, (thread,)),))
    with pytest.raises(ScenarioError) as caught:
        validate(scenario)
    assert [problem.field for problem in caught.value.problems] == [
        "processes[0].threads[0].program[0]",
        "processes[0].threads[0].program[1]",
    ]


def test_builder_makes_the_same_scenario_as_a_file() -> None:
    """The builder's counter equals the one loaded from scenarios/counter-incr.yaml, and runs the same."""
    app = Process("app", memory={"counter": 0})
    for name in ("T1", "T2"):
        app.thread(name, program=[{"repeat": {"times": 10, "do": [{"incr": "counter"}, {"compute": 1}]}}])
    built = build(Machine(cpus=1, policy="fcfs"), app, name="counter-incr", expect=["app.counter == 20"])
    loaded = load_scenario("scenarios/counter-incr.yaml")
    assert attrs.evolve(built, description="") == attrs.evolve(loaded, description="")
    ran, expected = simulate(built), simulate(loaded)
    assert (ran.end_time, ran.threads, ran.cpus) == (expected.end_time, expected.threads, expected.cpus)


def test_builder_errors_name_the_field_and_the_callers_line() -> None:
    """A bad value fails at build with the field path and the line of the builder call."""
    machine = Machine(cpus=0, policy="rr:quantum=4")
    with pytest.raises(ScenarioError) as caught:
        build(machine, Process("app").thread("T1", burst=3))
    problem = caught.value.problems[0]
    assert problem.field == "machine.cpus"
    line = test_builder_errors_name_the_field_and_the_callers_line.__code__.co_firstlineno + 2
    assert problem.made_at.endswith(f"test_builder.py:{line}")


def test_builder_accepts_operation_objects_and_checks_them() -> None:
    """Operation objects run as parsed ones; one naming a missing mutex is reported with its thread's line."""
    good = Process("app", memory={"x": 0}, sync={"m": "mutex"})
    good.thread("T1", program=[Lock("m"), Load("x", "r"), Store("x", Register("r")), Unlock("m")])
    assert not simulate(build(Machine(), good)).violations
    bad = Process("app", memory={"x": 0}).thread("T1", program=[Lock("m")])
    with pytest.raises(ScenarioError, match=r"processes\[0\]\.threads\[0\]\.program\[0\]: obj: no synchronization"):
        build(Machine(), bad)


def test_yaml_text_programs_are_parsed() -> None:
    """A program given as YAML text reads as in a file, and its errors point into it."""
    app = Process("app", memory={"x": 0}).thread("T1", program="- load: {var: y, into: r}")
    with pytest.raises(ScenarioError, match=r"^processes\[0\]\.threads\[0\]\.program\[0\]"):
        build(Machine(), app)


def test_a_thread_written_in_python_goes_through_the_builder() -> None:
    """process.thread(name, program=generator_function) runs the function as the thread's body."""
    from simulator import Load, Machine, Process, Store, build, simulate

    def bump():  # type: ignore[no-untyped-def]
        value = yield Load("x")
        yield Store("x", value + 1)

    scenario = build(Machine(cpus=1), Process("app", memory={"x": 0}).thread("T1", program=bump))
    assert dict(dict(simulate(scenario).memory)["app"]) == {"x": 1}


@attrs.frozen
class _Five(Number):
    """A subclass of an expression node: the evaluator tells nodes by their exact type."""


def test_a_subclassed_expression_node_is_refused_not_a_crash() -> None:
    """In a program built from operation objects, a subclass of Number is a ScenarioError naming the
    field; yielded by a Python body, a misuse that stops the thread (it crashed evaluate before)."""
    from simulator.ops import Store as PyStore

    thread = ThreadSpec("T", "app", 0, (Store("x", _Five(5)),))
    scenario = Scenario("s", "ms", 0, MachineSpec(cpus=1, policy=PolicySpec("fcfs")),
                        (ProcessSpec("app", 0, (thread,), memory=(("x", 0),)),))  # fmt: skip
    with pytest.raises(ScenarioError, match=r"program\[0\]: value: an expression node must be one of .* got _Five"):
        validate(scenario)

    def body():  # type: ignore[no-untyped-def]
        yield PyStore("x", _Five(5))

    metrics = simulate(build(Machine(cpus=1), Process("app", memory={"x": 0}).thread("T", program=body)))
    (violation,) = metrics.violations
    assert violation.kind == "misuse" and "must be a Number itself, not a subclass (_Five)" in violation.message


def test_with_thread_errors_name_the_callers_line() -> None:
    """A bad field given through with_thread is located at the with_thread call."""
    from simulator import parse_scenario, with_thread
    from simulator.ops import Compute as PyCompute

    base = parse_scenario("machine: {cpus: 1}\nprocesses: [{name: app, threads: [{name: T1, burst: 1}]}]\n")

    def body():  # type: ignore[no-untyped-def]
        yield PyCompute(1)

    line = test_with_thread_errors_name_the_callers_line.__code__.co_firstlineno + 11
    scenario = with_thread(base, "app", "T2", body, priority=2**70)
    with pytest.raises(ScenarioError) as caught:
        validate(scenario)
    assert caught.value.problems[0].made_at == f"{__file__}:{line}"
