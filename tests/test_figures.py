"""Device and lock figures, and the split of blocked time: exact values on small scenarios."""

from __future__ import annotations

from fractions import Fraction

from simulator.output.json_report import report_dict
from tests.conftest import MS, by_name, run_yaml

THREE_READERS = """
    name: three-readers
    time_unit: ms
    machine:
      cpus: 3
      devices:
        disk: {servers: 1}
    processes:
      - name: p
        threads:
          - {name: A, program: [{io: {device: disk, duration: 10}}]}
          - {name: B, program: [{io: {device: disk, duration: 10}}]}
          - {name: C, program: [{io: {device: disk, duration: 10}}]}
"""


def test_a_single_server_disk_queues_its_requests_first_come_first_served() -> None:
    """Three 10 ms requests at once on one server: waits 0, 10, 20; queue 2 then 1 then 0."""
    metrics = run_yaml(THREE_READERS)
    (disk,) = metrics.devices
    assert (disk.name, disk.servers, disk.requests, disk.max_queue) == ("disk", 1, 3, 2)
    assert (disk.busy, disk.queued, metrics.end_time) == (30 * MS, 30 * MS, 30 * MS)
    assert disk.mean_wait() == 10 * MS
    assert disk.mean_queue(metrics.end_time) == 1
    assert disk.utilization(metrics.end_time) == 1
    assert [thread.io for thread in metrics.threads] == [10 * MS, 20 * MS, 30 * MS]


def test_the_implicit_io_device_is_listed_only_when_used_and_has_no_utilization() -> None:
    """`io` has unlimited servers: it never queues, and its utilization is None (null in JSON)."""
    metrics = run_yaml(THREE_READERS.replace("device: disk, ", ""))
    devices = {device.name: device for device in metrics.devices}
    assert list(devices) == ["disk", "io"]
    assert devices["disk"].requests == 0
    io = devices["io"]
    assert (io.servers, io.requests, io.busy, io.queued, io.max_queue) == (None, 3, 30 * MS, 0, 0)
    assert io.utilization(metrics.end_time) is None
    assert report_dict(metrics)["devices"][1] == {
        "name": "io", "servers": None, "requests": 3, "busy": 30, "utilization": None, "mean_wait": 0,
        "mean_queue": 0, "max_queue": 0,
    }  # fmt: skip
    assert run_yaml(THREE_READERS.replace("io: {device: disk, duration: 10}", "compute: 1")).devices[0].name == "disk"


def test_lock_figures_count_contended_acquisitions_and_the_wait() -> None:
    """Two threads lock m at once on two CPUs: one waits the other's 5 ms critical section."""
    metrics = run_yaml("""
        name: two-lockers
        time_unit: ms
        machine: {cpus: 2}
        processes:
          - name: p
            sync: {m: mutex, s: {semaphore: 0}}
            threads:
              - {name: A, program: [{lock: m}, {compute: 5}, {unlock: m}, {release: s}]}
              - {name: B, program: [{lock: m}, {compute: 5}, {unlock: m}, {acquire: s}]}
    """)
    mutex, semaphore = metrics.locks
    assert (mutex.name, mutex.process, mutex.kind) == ("m", "p", "mutex")
    assert (mutex.acquisitions, mutex.contended, mutex.total_wait, mutex.max_waiters) == (2, 1, 5 * MS, 1)
    assert mutex.mean_wait() == Fraction(5 * MS, 2)
    assert (semaphore.kind, semaphore.acquisitions, semaphore.contended, semaphore.total_wait) == ("semaphore", 1, 0, 0)
    threads = by_name(metrics)
    assert (threads["B"].sync, threads["B"].io, threads["B"].gil) == (5 * MS, 0, 0)  # type: ignore[attr-defined]


def test_a_condition_waiter_that_waits_for_the_mutex_again_counts_as_contended() -> None:
    """A notified waiter moved to the mutex's queue: its wait for the mutex is lock wait; its wait for the
    notification is not (it is sync time, not the mutex's)."""
    metrics = run_yaml("""
        name: condition
        time_unit: ms
        machine: {cpus: 2}
        processes:
          - name: p
            sync: {m: mutex, cv: {condition: m}}
            threads:
              - {name: W, program: [{lock: m}, {wait: cv}, {unlock: m}]}
              - {name: N, arrival: 1, program: [{lock: m}, {notify: cv}, {compute: 4}, {unlock: m}]}
    """)
    (mutex,) = metrics.locks
    assert (mutex.acquisitions, mutex.contended, mutex.total_wait, mutex.max_waiters) == (3, 1, 4 * MS, 1)
    assert by_name(metrics)["W"].sync == 5 * MS  # type: ignore[attr-defined]


def test_blocked_time_is_split_by_what_the_thread_waited_for() -> None:
    """I/O, a mutex and a GIL each go to their own part; blocked is their sum."""
    metrics = run_yaml("""
        name: parts
        time_unit: ms
        machine: {cpus: 2}
        processes:
          - name: py
            gil: true
            sync: {m: mutex}
            threads:
              - {name: A, program: [{lock: m}, {compute: 3}, {unlock: m}, {io: 2}]}
              - {name: B, program: [{lock: m}, {unlock: m}, {compute: 1}]}
              - {name: C, program: [{compute: {duration: 1, releases_gil: true}}, {compute: 1}]}
    """)
    a, b, c = metrics.threads
    assert (b.sync, b.io) == (3 * MS, 0) and b.gil > 0
    assert (a.io, a.sync, a.gil) == (2 * MS, 0, 0)
    assert (c.gil, c.sync, c.io) == (c.blocked, 0, 0) and c.gil > 0
    for thread in metrics.threads:
        assert thread.blocked == thread.io + thread.sync + thread.gil
