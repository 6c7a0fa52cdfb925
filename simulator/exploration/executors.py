"""Running the schedules of a random or pct search on a Ray or Dask cluster (`explore --executor ray|dask`).

The seeds are cut into chunks, each one task on the cluster; the explorer adds the chunks' outcomes up in
seed order (Explorer.tally_seeds, as for --jobs and --shard) and shrinks locally at the end, so the report
is byte for byte the one a local job prints. A task costs Ray about 1.4 ms and Dask about 6 ms on a local
cluster (measured, docs/exploration.md; more across machines), against 0.3-1 ms for a schedule of
scenarios/counter-incr.yaml: chunks of a few hundred seeds keep that to a few per cent.

The scenario goes to the cluster once (Ray's object store, Dask's scatter); each worker process builds its
explorer from it once per search and keeps it for the search's later chunks. The workers must run the same
threadsim as this process (a different version may schedule differently).

Ray and Dask are imported only here, and only when a cluster is asked for: neither is needed otherwise.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Callable, Generator, Sequence
from typing import Any

from simulator.errors import UsageError
from simulator.exploration.explorer import Explorer, make_strategy
from simulator.exploration.results import Bounds, Check, Outcome

EXECUTORS = ("local", "ray", "dask")
#: Seeds per task, at most: enough that a task's overhead (Ray ~1.4 ms, Dask ~6 ms) is a few per cent of
#: its schedules' time, and few enough that a search of 10^4 seeds still spreads over a small cluster.
CHUNK_SEEDS = {"ray": 200, "dask": 500}
#: What each worker process keeps: the explorers of the last searches it ran chunks of, by search key.
_explorers: dict[str, Explorer] = {}
_KEPT = 4
#: How long to wait for a cluster's address to answer.
CONNECT_SECONDS = 10

#: One chunk's result: each seed's outcome and the steps its run took, in seed order.
ChunkResult = list[tuple[Outcome, int]]


def _explorer(key: str, payload: Callable[[], tuple[Any, Check | None, Bounds]]) -> Explorer:
    """This worker's explorer of the search `key`, built from `payload()` the first time."""
    explorer = _explorers.get(key)
    if explorer is None:
        scenario, check, bounds = payload()
        if len(_explorers) >= _KEPT:
            _explorers.clear()
        explorer = _explorers[key] = Explorer("<worker>", scenario, "", bounds, check=check)
    return explorer


def _chunk(explorer: Explorer, name: str, depth: int, steps: int, seeds: Sequence[int]) -> ChunkResult:
    """Run one chunk's seeds: what explore's local loop runs for each (Explorer.tally_seeds)."""
    return [explorer.run(seed, make_strategy(name, seed, depth, steps)) for seed in seeds]


def _ray_chunk(key: str, boxed: list[Any], name: str, depth: int, steps: int, seeds: Sequence[int]) -> ChunkResult:
    """A Ray task. The scenario's object reference comes boxed in a list, so that Ray does not fetch and
    unpickle it for every chunk: only a worker that has no explorer for the search yet gets it."""
    import ray

    return _chunk(_explorer(key, lambda: ray.get(boxed[0])), name, depth, steps, seeds)


def _dask_chunk(key: str, payload: tuple[Any, Check | None, Bounds], name: str, depth: int, steps: int,
                seeds: Sequence[int]) -> ChunkResult:  # fmt: skip
    """A Dask task (the scattered scenario is already in the worker's memory)."""
    return _chunk(_explorer(key, lambda: payload), name, depth, steps, seeds)


def missing_extra(executor: str) -> UsageError:
    return UsageError(f"--executor {executor} needs the {executor} extra: pip install 'threadsim[{executor}]'")


def task_failed(executor: str, error: BaseException) -> UsageError:
    """A task that failed on the cluster, said in a line (its last line names the error: on a worker without
    threadsim, or with another one, that is usually an import error)."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    detail = lines[-1] if lines else type(error).__name__
    return UsageError(f"--executor {executor}: a task failed on the cluster ({type(error).__name__}: {detail}); "
                      f"the workers need threadsim installed, the same version as here")  # fmt: skip


def _check_answers(executor: str, address: str) -> None:
    """Raise UsageError unless something listens at `address` (HOST:PORT, with or without a scheme such as
    ray://): Ray would go on retrying an address where nothing listens for minutes. Names such as `auto` are
    left to Ray."""
    import socket

    host, colon, port = address.rpartition("://")[2].rpartition(":")
    if not colon or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as error:
        raise UsageError(f"--executor {executor} --address {address}: nothing answers there "
                         f"({error.strerror or error})") from None  # fmt: skip


def chunks_of(seeds: Sequence[int], chunk_seeds: int, workers: int) -> list[Sequence[int]]:
    """The seeds cut into tasks: at most `chunk_seeds` each, and at least 4 per worker when there are
    enough seeds (so that a slow worker holds up the others less). The report does not depend on it."""
    size = max(1, min(chunk_seeds, -(-len(seeds) // (4 * max(workers, 1)))))
    return [seeds[start : start + size] for start in range(0, len(seeds), size)]


class Cluster:
    """A Ray or Dask cluster that runs chunks of seeds of one search. Use it as a context manager: a cluster
    started for the search (no address) is shut down at its end."""

    executor = ""

    def __init__(self, explorer: Explorer) -> None:
        payload = (explorer.scenario, explorer.check, explorer.bounds)
        try:
            pickled = pickle.dumps(payload)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise UsageError(f"--executor {self.executor}: the scenario cannot be sent to the cluster "
                             f"({error})") from None  # fmt: skip
        self.payload = payload
        #: Which search a chunk is of, for the workers' explorers: the scenario, check and bounds, exactly.
        self.key = hashlib.sha256(pickled).hexdigest()
        self.workers = 1

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Let go of the cluster (and shut it down if it was started for this search)."""

    def run(self, name: str, depth: int, steps: int, seeds: Sequence[int]) -> Generator[ChunkResult, None, None]:
        """Every seed's outcome, chunk by chunk in seed order; the chunks not yet taken when the caller stops
        (a time budget, Ctrl-C) are cancelled."""
        raise NotImplementedError


class RayCluster(Cluster):
    """A Ray cluster: the one at `address` (such as `auto` or `ray://HOST:10001`), or a local one of
    `workers` CPUs started for the search. In a process where Ray is already initialized, that one."""

    executor = "ray"

    def __init__(self, explorer: Explorer, address: str | None, workers: int) -> None:
        try:
            import ray
        except ImportError:
            raise missing_extra("ray") from None
        super().__init__(explorer)
        self.ray = ray
        self.started = not ray.is_initialized()
        if self.started:
            if address is not None:
                _check_answers("ray", address)
            # "local": a new Ray of its own, never one that `ray start` left running (which address=None joins).
            try:
                ray.init(address=address or "local", num_cpus=None if address else workers, include_dashboard=False,
                         logging_level=logging.WARNING, log_to_driver=False)  # fmt: skip
            except (ConnectionError, ValueError, RuntimeError) as error:
                where = "" if address is None else f" --address {address}"
                raise UsageError(
                    f"--executor ray{where}: cannot {'connect' if address else 'start'} ({error})"
                ) from None
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.task = ray.remote(num_cpus=1)(_ray_chunk)
        self.reference = ray.put(self.payload)

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()
            self.started = False

    def run(self, name: str, depth: int, steps: int, seeds: Sequence[int]) -> Generator[ChunkResult, None, None]:
        pending = [self.task.remote(self.key, [self.reference], name, depth, steps, chunk)
                   for chunk in chunks_of(seeds, CHUNK_SEEDS["ray"], self.workers)]  # fmt: skip
        try:
            while pending:
                try:
                    result = self.ray.get(pending[0])
                except self.ray.exceptions.RayError as error:
                    raise task_failed("ray", error) from None
                yield result
                pending.pop(0)
        finally:
            for reference in pending:
                self.ray.cancel(reference)


class DaskCluster(Cluster):
    """A Dask cluster: the scheduler at `address` (such as `tcp://HOST:8786`), or a local one of `workers`
    single-threaded worker processes started for the search."""

    executor = "dask"

    def __init__(self, explorer: Explorer, address: str | None, workers: int) -> None:
        try:
            import distributed
        except ImportError:
            raise missing_extra("dask") from None
        super().__init__(explorer)
        self.local: Any = None
        self.client: Any = None
        if address is None:
            self.local = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                  dashboard_address=":0", silence_logs=logging.ERROR)  # fmt: skip
            address = self.local.scheduler_address
        else:
            _check_answers("dask", address)
        try:
            self.client = distributed.Client(address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as error:
            self.close()
            raise UsageError(f"--executor dask --address {address}: cannot connect ({error})") from None
        self.workers = max(1, sum(self.client.nthreads().values()))
        [self.scattered] = self.client.scatter([self.payload], broadcast=True, hash=False)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.local is not None:
            self.local.close()
            self.local = None

    def run(self, name: str, depth: int, steps: int, seeds: Sequence[int]) -> Generator[ChunkResult, None, None]:
        pending = [self.client.submit(_dask_chunk, self.key, self.scattered, name, depth, steps, chunk, pure=False)
                   for chunk in chunks_of(seeds, CHUNK_SEEDS["dask"], self.workers)]  # fmt: skip
        try:
            while pending:
                try:
                    result = pending[0].result()
                except Exception as error:  # a task's own exception, re-raised here: any type
                    raise task_failed("dask", error) from None
                yield result
                pending.pop(0)
        finally:
            if pending:
                self.client.cancel(pending)


def open_cluster(executor: str, explorer: Explorer, address: str | None, workers: int | None) -> Cluster:
    """The cluster `--executor` names (ray or dask), at `address` or started locally with `workers` worker
    processes (default: one per CPU). Raises UsageError when the extra is not installed or the address does
    not answer."""
    count = workers or os.cpu_count() or 1
    if executor == "ray":
        return RayCluster(explorer, address, count)
    if executor == "dask":
        return DaskCluster(explorer, address, count)
    raise UsageError(f"--executor: expected one of {', '.join(EXECUTORS)}, got {executor!r}")
