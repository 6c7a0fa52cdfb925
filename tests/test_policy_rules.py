"""Tests of each policy's rules, especially what happens at equal keys and equal timestamps."""

from __future__ import annotations

from click.testing import CliRunner

from simulator import load_scenario, parse_policy_text, simulate, with_overrides
from simulator.cli import main
from simulator.model.kernel import Kernel
from tests.conftest import MS, SCENARIOS, by_name, run_yaml, scenario_from


def averages(name: str, policy: str | None = None) -> dict[str, float]:
    """Average waiting and turnaround (ms) of a shipped scenario, optionally under another policy."""
    scenario = load_scenario(SCENARIOS / name)
    if policy:
        scenario = with_overrides(scenario, policy=parse_policy_text(policy, "ms"))
    metrics = simulate(scenario)
    return {field: round(float(metrics.average(field) or 0) / MS, 3) for field in ("waiting", "turnaround")}


def test_textbook_answers() -> None:
    """SJF 7; SRTF 6.5 and non-preemptive SJF 7.75; OSTEP SJF 50, late arrivals 103.33 and STCF 50."""
    metrics = simulate(load_scenario(SCENARIOS / "sjf-textbook.yaml"))
    assert [thread.waiting // MS for thread in metrics.threads] == [3, 16, 9, 0]
    assert averages("sjf-textbook.yaml")["waiting"] == 7
    assert averages("srtf-textbook.yaml")["waiting"] == 6.5
    assert averages("srtf-textbook.yaml", "sjf")["waiting"] == 7.75
    assert averages("ostep-sjf.yaml")["turnaround"] == 50
    assert averages("ostep-stcf.yaml", "sjf")["turnaround"] == 103.333
    assert averages("ostep-stcf.yaml")["turnaround"] == 50


def test_stride_reports_its_strides() -> None:
    """Tickets 100, 50, 250 give strides 100, 200, 40, in the JSON and the text report."""
    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "stride-tickets.yaml")])
    assert "stride strides: A=100, B=200, C=40" in result.stdout
    kernel = Kernel(load_scenario(SCENARIOS / "stride-tickets.yaml"), seed=0)
    kernel.run()
    assert kernel.policy.describe() == {"strides": {"A": 100, "B": 200, "C": 40}}


def test_equal_keys_go_first_come_first_served() -> None:
    """sjf, priority and stride break ties by the order threads became ready (declaration order here)."""
    for policy in ("sjf", "srtf", "priority", "stride", "cfs"):
        metrics = run_yaml(f"machine: {{policy: {policy}}}\nthreads: [{{name: A, burst: 3}}, {{name: B, burst: 3}}]\n")
        # A first; B at 3, when A ends (cfs: A's slice is half of the 6 ms latency, also 3 ms).
        assert [t.first_run for t in metrics.threads] == [0, 3 * MS], policy


def test_srtf_keeps_the_running_thread_at_equal_remaining_time() -> None:
    """An arrival with exactly the running thread's remaining time does not preempt it."""
    threads = by_name(run_yaml("machine: {policy: srtf}\n"
                               "threads: [{name: A, burst: 6}, {name: B, burst: 4, arrival: 2}]\n"))  # fmt: skip
    assert threads["A"].involuntary_switches == 0 and threads["B"].first_run == 6 * MS


def test_preemptive_priority_preempts_only_for_more_urgent_arrivals() -> None:
    """A more urgent arrival takes the CPU at once; an equally urgent one waits; non-preemptive never."""
    text = (
        "machine: {{policy: '{policy}'}}\n"
        "threads: [{{name: A, burst: 10, priority: 2}}, {{name: B, burst: 2, arrival: 3, priority: {p}}}]\n"
    )
    assert by_name(run_yaml(text.format(policy="priority", p=1)))["B"].first_run == 3 * MS
    assert by_name(run_yaml(text.format(policy="priority", p=2)))["B"].first_run == 10 * MS
    assert by_name(run_yaml(text.format(policy="priority:preemptive=false", p=0)))["B"].first_run == 10 * MS


def test_aging_ends_starvation() -> None:
    """Without aging a low-priority thread waits for every urgent one; with aging it gets in earlier."""
    text = """\
        machine: {{policy: '{policy}'}}
        threads:
          - {{name: low, burst: 2, priority: 9}}
          - {{name: urgent, priority: 0, program: [repeat: {{times: 10, do: [compute: 2, sleep: 0.5]}}]}}
          - {{name: urgent2, priority: 0, program: [repeat: {{times: 10, do: [compute: 2, sleep: 0.5]}}]}}
        """
    starved = by_name(run_yaml(text.format(policy="priority")))["low"].first_run
    aged = by_name(run_yaml(text.format(policy="priority:aging=1")))["low"].first_run
    assert aged < starved


def test_mlfq_demotes_cpu_hogs_and_a_new_thread_preempts_them() -> None:
    """A thread that uses its allotment moves down; a new arrival starts on top and takes the CPU."""
    threads = by_name(
        run_yaml("""\
        machine: {policy: {name: mlfq, queues: 3, quantum: 2}}
        threads: [{name: hog, burst: 20}, {name: short, burst: 1, arrival: 7}]
        """)
    )
    assert threads["short"].first_run == 7 * MS and threads["hog"].involuntary_switches == 1


def test_mlfq_io_keeps_priority_and_boost_lifts_everyone() -> None:
    """An interactive thread that gives up the CPU before its allotment stays on top: after its first wait
    (it starts in the hog's queue, so it waits for the hog's quantum to end), it never waits again."""
    threads = by_name(
        run_yaml("""\
        machine: {policy: {name: mlfq, queues: 3, quantum: 5, boost: 50}}
        threads:
          - {name: hog, burst: 60}
          - {name: interactive, arrival: 1, program: [repeat: {times: 8, do: [compute: 1, io: 3]}]}
        """)
    )
    assert threads["interactive"].waiting == 4 * MS


def test_lottery_draws_come_from_the_seed() -> None:
    """The same seed gives the same schedule; different seeds differ; tickets skew the CPU share."""
    text = (
        "machine: {policy: {name: lottery, quantum: 1}}\n"
        "threads: [{name: A, burst: 30, tickets: 900}, {name: B, burst: 30, tickets: 100}]\n"
    )
    runs = {seed: [t.completion for t in run_yaml(text, seed=seed).threads] for seed in range(6)}
    assert runs[1] == [t.completion for t in run_yaml(text, seed=1).threads]
    assert len({tuple(completions) for completions in runs.values()}) > 1
    assert all(completions[0] < completions[1] for completions in runs.values())


def test_cfs_gives_lower_nice_more_cpu() -> None:
    """Two CPU-bound threads, nice -5 and 5: the first finishes much earlier."""
    text = "machine: {policy: cfs}\nthreads: [{name: hi, burst: 50, nice: 5}, {name: lo, burst: 50, nice: -5}]\n"
    threads = by_name(run_yaml(text))
    assert threads["lo"].completion < threads["hi"].completion


def test_compare_prints_a_column_per_policy_and_each_chart() -> None:
    """compare: averages table with a column per policy, then a Gantt per policy; JSON holds every run."""
    scenario = str(SCENARIOS / "ostep-stcf.yaml")
    result = CliRunner().invoke(main, ["compare", scenario, "--policy", "sjf", "--policy", "srtf"])
    assert result.exit_code == 0
    table = result.stdout.splitlines()
    assert table[3].split() == ["sjf:estimate=remaining", "srtf:estimate=remaining"]
    assert table[6].split() == ["average", "turnaround", "103.333", "50"]
    assert result.stdout.count("Timeline") == 2
    import json

    report = json.loads(CliRunner().invoke(main, ["compare", str(SCENARIOS / "ostep-stcf.yaml"), "--policy", "sjf",
                                                  "--policy", "srtf", "--report", "json"]).stdout)  # fmt: skip
    assert report["format"] == "threadsim-compare/1"
    assert [run["averages"]["turnaround"] for run in report["runs"]] == [103.333, 50]


def test_next_burst_estimate_uses_the_next_compute() -> None:
    """sjf with estimate=next_burst orders by the coming burst, not by the whole program's demand."""
    text = """\
        machine: {policy: 'sjf:estimate=next_burst'}
        threads:
          - {name: long_total, program: [compute: 1, sleep: 1, compute: 50]}
          - {name: short_total, program: [compute: 5]}
        """
    assert by_name(simulate(scenario_from(text)))["long_total"].first_run == 0
    remaining = by_name(simulate(with_overrides(scenario_from(text), policy=parse_policy_text("sjf", "ms"))))
    assert remaining["short_total"].first_run == 0
