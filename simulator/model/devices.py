"""An I/O device: a FIFO queue in front of a number of servers (SPEC section 4).

A thread that does I/O leaves its CPU blocked and asks the device for service. If a server is free the
request starts at once, else it waits its turn; when its duration is over the thread becomes ready and the
next queued request, if any, starts on the server it freed. The implicit device `io` has unlimited servers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from simulator.engine import PRIORITY_WAKE

if TYPE_CHECKING:
    from simulator.engine import Engine
    from simulator.model.threads import Thread
    from simulator.scenario.model import MachineSpec

#: The device every scenario has: it serves any number of requests at once.
IMPLICIT_DEVICE = "io"


class DeviceHost(Protocol):
    """What a device needs from the kernel (simulator.model.blocking.Blocking provides it)."""

    engine: Engine
    tracing: bool
    #: Makes a thread whose I/O is over ready.
    wake: Callable[[Thread], None]

    def emit(self, cpu: int | None, thread: str | None, event: str, *details: tuple[str, object]) -> None: ...


class Device:
    """Serves at most `servers` requests at once (None: unlimited); the rest wait in FIFO order.

    It also keeps its figures for the reports (see `figures`): the requests made, and the areas under the
    number of requests in service (server-time busy) and under the queue's length (request-time spent
    waiting), each advanced by length x time since the last change whenever either changes, so they cost a
    few additions per request and nothing per other event.
    """

    __slots__ = ("name", "servers", "in_service", "queue", "requests", "busy", "queued", "max_queue", "changed")

    def __init__(self, name: str, servers: int | None) -> None:
        self.name = name
        self.servers = servers
        self.in_service = 0
        self.queue: deque[tuple[Thread, int]] = deque()
        #: Requests made; server-time in service and request-time queued (ns) up to `changed`; the longest queue.
        self.requests = 0
        self.busy = 0
        self.queued = 0
        self.max_queue = 0
        self.changed = 0

    def has_free_server(self) -> bool:
        """Whether a new request can start service at once."""
        return self.servers is None or self.in_service < self.servers

    def request(self, host: DeviceHost, thread: Thread, duration: int) -> None:
        """`thread` (already off its CPU) asks for `duration` ns of service: now if a server is free, else
        when the requests before it are done."""
        self._advance(host.engine.now)
        self.requests += 1
        if self.has_free_server():
            self._serve(host, thread, duration)
        else:
            self.queue.append((thread, duration))
            if len(self.queue) > self.max_queue:
                self.max_queue = len(self.queue)

    def _advance(self, now: int) -> None:
        """Add the time since the last change to the areas, at the numbers in service and queued until now."""
        elapsed = now - self.changed
        if elapsed:
            self.busy += self.in_service * elapsed
            self.queued += len(self.queue) * elapsed
            self.changed = now

    def figures(self, end: int) -> tuple[int, int]:
        """(busy, queued) up to `end`, the run's end: server-time in service and request-time spent waiting
        for a server (ns), requests still in service or queued at the end counted up to it."""
        elapsed = end - self.changed
        return self.busy + self.in_service * elapsed, self.queued + len(self.queue) * elapsed

    def _serve(self, host: DeviceHost, thread: Thread, duration: int) -> None:
        self.in_service += 1
        if host.tracing:
            host.emit(None, thread.name, "io_start", ("device", self.name))
        engine = host.engine
        engine.schedule(engine.now + duration, PRIORITY_WAKE, self._served, (host, thread))

    def _served(self, event: tuple[DeviceHost, Thread]) -> None:
        """A request's service is over: its thread becomes ready, and the server takes the next request."""
        host, thread = event
        self._advance(host.engine.now)
        self.in_service -= 1
        if host.tracing:
            host.emit(None, thread.name, "io_done", ("device", self.name))
        host.wake(thread)
        if self.queue:
            self._serve(host, *self.queue.popleft())


def make_devices(machine: MachineSpec) -> dict[str, Device]:
    """Fresh devices for one run on `machine`, by name: the implicit `io` first, then the declared ones."""
    devices = {IMPLICIT_DEVICE: Device(IMPLICIT_DEVICE, None)}
    for device in machine.devices:
        devices[device.name] = Device(device.name, device.servers)
    return devices
