"""Tests of `explore --executor ray|dask` (simulator.exploration.executors): the report is the one a local job
prints, the options that do not go together are refused, and a missing extra says what to install.

The Dask tests run a cluster in this process (cheap); the Ray tests and a Dask cluster of worker processes
take seconds to start, so they are marked slow (`make test-slow`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.exploration.executors import Cluster, chunks_of
from simulator.exploration.results import Tally
from tests.conftest import SCENARIOS
from tests.test_exploration import explorer_for

INCR = str(SCENARIOS / "counter-incr.yaml")
SEARCH = ["explore", INCR, "--runs", "240", "--seed-start", "3", "--all"]


def local_and_json(*args: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    """What one local job prints for `args`: the text report and the JSON report."""
    text = CliRunner().invoke(main, [*SEARCH, *args])
    assert text.exit_code == 1, text.output
    report = CliRunner().invoke(main, [*SEARCH, *args, "--report", "json"])
    return text.stdout, json.loads(report.stdout)


def assert_same_as_local(*args: str) -> None:
    """`explore ... ARGS` prints byte for byte what one local job prints, text and JSON, random and pct."""
    for strategy in ("random", "pct"):
        text, report = local_and_json("--strategy", strategy)
        result = CliRunner().invoke(main, [*SEARCH, "--strategy", strategy, *args])
        assert result.exit_code == 1 and result.stdout == text, result.output
        result = CliRunner().invoke(main, [*SEARCH, "--strategy", strategy, *args, "--report", "json"])
        assert json.loads(result.stdout) == report


def test_chunks_cover_the_seeds_in_order() -> None:
    """The chunks are the seeds in order, each once, at most the chunk size, 4 per worker when enough."""
    seeds = list(range(7, 1007))
    for size, workers in ((200, 1), (200, 2), (500, 8), (1, 3), (10_000, 1)):
        chunks = chunks_of(seeds, size, workers)
        assert [seed for chunk in chunks for seed in chunk] == seeds
        assert max(map(len, chunks)) <= size
        assert len(chunks) >= min(4 * workers, len(seeds) // size)
    assert chunks_of([], 200, 2) == []


class FakeCluster(Cluster):
    """A cluster that runs each chunk here, when it is taken, and records what was taken and cancelled."""

    executor = "fake"

    def __init__(self, explorer, chunk: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(explorer)
        self.explorer = explorer
        self.chunk = chunk
        self.taken = 0
        self.cancelled = 0

    def run(self, name: str, depth: int, steps: int, seeds):  # type: ignore[no-untyped-def]
        from simulator.exploration.executors import _chunk

        chunks = chunks_of(seeds, self.chunk, 1)
        try:
            for chunk in chunks:
                self.taken += 1
                yield _chunk(self.explorer, name, depth, steps, chunk)
        finally:
            self.cancelled = len(chunks) - self.taken


def tally_items(tally: Tally) -> tuple[object, ...]:
    return (tally.runs, tally.failed, tally.steps, tally.counts, tally.first, tally.every)


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_a_cluster_tallies_what_one_job_tallies(strategy: str) -> None:
    """Chunks of any size, added up in seed order, give one job's tally (also for a shard)."""
    explorer = explorer_for(INCR)
    for shard in ((1, 1), (2, 3)):
        one, _ = explorer.tally_seeds(strategy, 50, 5, every=True, shard=shard)
        for size in (1, 7, 200):
            cluster = FakeCluster(explorer, size)
            tally, stopped_by = explorer.tally_seeds(strategy, 50, 5, every=True, shard=shard, cluster=cluster)
            assert stopped_by is None and tally_items(tally) == tally_items(one)


def test_a_time_budget_stops_between_chunks_and_cancels_the_rest() -> None:
    """A spent time budget stops after the chunk being added, and the chunks not taken are cancelled."""
    explorer = explorer_for(INCR)
    cluster = FakeCluster(explorer, 10)
    tally, stopped_by = explorer.tally_seeds("random", 100, 0, seconds=0, cluster=cluster)
    assert (stopped_by, tally.runs, cluster.taken, cluster.cancelled) == ("time_budget", 10, 1, 9)


def test_options_that_do_not_go_together_are_refused() -> None:
    """dfs on a cluster, --address without a cluster, --jobs with --address: usage errors (exit 2)."""
    cases = [
        (["--strategy", "dfs", "--executor", "ray"], "--executor ray works with --strategy random or pct"),
        (["--address", "tcp://127.0.0.1:8786"], "--address: give --executor ray or --executor dask with it"),
        (["--executor", "dask", "--address", "tcp://h:1", "--jobs", "2"],
         "--jobs and --address: the cluster at tcp://h:1 has its own workers; give one of them"),
        (["--executor", "spark"], "Invalid value for '--executor'"),
    ]  # fmt: skip
    for args, message in cases:
        result = CliRunner().invoke(main, ["explore", INCR, *args])
        assert result.exit_code == 2 and message in result.stderr, result.output


@pytest.mark.parametrize(("executor", "module"), [("ray", "ray"), ("dask", "distributed")])
def test_a_missing_extra_says_what_to_install(executor: str, module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the extra installed, --executor says which to install: exit 2, no traceback."""
    monkeypatch.setitem(sys.modules, module, None)  # `import module` raises ImportError
    result = CliRunner().invoke(main, ["explore", INCR, "--executor", executor])
    assert result.exit_code == 2, result.output
    assert f"--executor {executor} needs the {executor} extra: pip install 'threadsim[{executor}]'" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("executor", ["ray", "dask"])
def test_an_address_where_nothing_listens_is_refused_at_once(executor: str) -> None:
    """An address where nothing listens is a usage error, without waiting for Ray's retries."""
    pytest.importorskip({"ray": "ray", "dask": "distributed"}[executor])
    result = CliRunner().invoke(main, ["explore", INCR, "--executor", executor, "--address", "127.0.0.1:1"])
    assert result.exit_code == 2, result.output
    assert f"--executor {executor} --address 127.0.0.1:1: nothing answers there" in result.stderr


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    """A Dask cluster of one worker in this process (a thread: no process to start)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


def test_a_dask_cluster_prints_what_one_local_job_prints(dask_address: str) -> None:
    """--executor dask --address: the same report as a local job, byte for byte, random and pct, text and JSON."""
    assert_same_as_local("--executor", "dask", "--address", dask_address)


def test_dask_shards_merge_to_what_one_local_job_prints(dask_address: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A shard run on a cluster is the shard run here: merged, the parts print one job's report."""
    parts = []
    for index in (1, 2):
        args = [*SEARCH, "--shard", f"{index}/2", "--executor", "dask", "--address", dask_address]
        path = tmp_path / f"part{index}.json"
        path.write_text(CliRunner().invoke(main, args).stdout)
        parts.append(str(path))
    text, _ = local_and_json()
    assert CliRunner().invoke(main, ["merge", *parts]).stdout == text


@pytest.mark.slow
def test_a_dask_cluster_started_for_the_search_prints_what_one_local_job_prints() -> None:
    """--executor dask without --address starts worker processes, and shuts them down at the end."""
    pytest.importorskip("distributed")
    assert_same_as_local("--executor", "dask", "--jobs", "2")


@pytest.mark.slow
def test_a_ray_cluster_prints_what_one_local_job_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    """--executor ray: a local Ray started for the search (and shut down after) gives the local report, and
    so does a Ray this process started; a task that fails there is one line."""
    ray = pytest.importorskip("ray")
    from simulator.exploration import executors

    text, _ = local_and_json()
    result = CliRunner().invoke(main, [*SEARCH, "--executor", "ray", "--jobs", "1"])
    assert result.exit_code == 1 and result.stdout == text, result.output
    assert not ray.is_initialized()
    ray.init(num_cpus=1, include_dashboard=False, logging_level="WARNING")  # then the one already running
    try:
        assert_same_as_local("--executor", "ray")
        assert ray.is_initialized()  # not shut down: this process started it
        monkeypatch.setattr(executors, "_ray_chunk", failing_chunk)
        result = CliRunner().invoke(main, [*SEARCH, "--executor", "ray"])
        assert result.exit_code == 2, result.output
        # The workers cannot even import this test module: the same one line.
        assert "--executor ray: a task failed on the cluster (" in result.stderr
        assert "ModuleNotFoundError" in result.stderr and "the workers need threadsim installed" in result.stderr
    finally:
        ray.shutdown()


class InterruptedCluster(FakeCluster):
    """A cluster that hears Ctrl-C as its third chunk is taken."""

    def run(self, name: str, depth: int, steps: int, seeds):  # type: ignore[no-untyped-def]
        for number, chunk in enumerate(super().run(name, depth, steps, seeds)):
            if number == 2:
                raise KeyboardInterrupt
            yield chunk


def test_ctrl_c_keeps_the_chunks_that_ended_and_cancels_the_rest() -> None:
    """Ctrl-C during a cluster's search: the tally holds the chunks added before it, the rest are cancelled."""
    explorer = explorer_for(INCR)
    cluster = InterruptedCluster(explorer, 10)
    tally, stopped_by = explorer.tally_seeds("random", 100, 0, cluster=cluster)
    assert (stopped_by, tally.runs, cluster.cancelled) == ("interrupted", 20, 7)


def failing_chunk(*args: object) -> object:
    """A task that fails on the worker as one without threadsim would."""
    raise ModuleNotFoundError("No module named 'simulator'")


def test_a_task_that_fails_on_the_cluster_is_one_line(dask_address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A task's exception on a worker is a usage error that names it and says what the workers need."""
    from simulator.exploration import executors

    monkeypatch.setattr(executors, "_dask_chunk", failing_chunk)
    result = CliRunner().invoke(main, [*SEARCH, "--executor", "dask", "--address", dask_address])
    assert result.exit_code == 2, result.output
    assert ("--executor dask: a task failed on the cluster (ModuleNotFoundError: No module named 'simulator'); "
            "the workers need threadsim installed, the same version as here") in result.stderr  # fmt: skip
