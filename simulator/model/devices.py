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


class DeviceHost(Protocol):
    """What a device needs from the kernel (simulator.model.blocking.Blocking provides it)."""

    engine: Engine
    tracing: bool
    #: Makes a thread whose I/O is over ready.
    wake: Callable[[Thread], None]

    def emit(self, cpu: int | None, thread: str | None, event: str, *details: tuple[str, object]) -> None: ...


class Device:
    """Serves at most `servers` requests at once (None: unlimited); the rest wait in FIFO order."""

    __slots__ = ("name", "servers", "in_service", "queue")

    def __init__(self, name: str, servers: int | None) -> None:
        self.name = name
        self.servers = servers
        self.in_service = 0
        self.queue: deque[tuple[Thread, int]] = deque()

    def has_free_server(self) -> bool:
        """Whether a new request can start service at once."""
        return self.servers is None or self.in_service < self.servers

    def request(self, host: DeviceHost, thread: Thread, duration: int) -> None:
        """`thread` (already off its CPU) asks for `duration` ns of service: now if a server is free, else
        when the requests before it are done."""
        if self.has_free_server():
            self._serve(host, thread, duration)
        else:
            self.queue.append((thread, duration))

    def _serve(self, host: DeviceHost, thread: Thread, duration: int) -> None:
        self.in_service += 1
        if host.tracing:
            host.emit(None, thread.name, "io_start", ("device", self.name))
        engine = host.engine
        engine.schedule(engine.now + duration, PRIORITY_WAKE, self._served, (host, thread))

    def _served(self, event: tuple[DeviceHost, Thread]) -> None:
        """A request's service is over: its thread becomes ready, and the server takes the next request."""
        host, thread = event
        self.in_service -= 1
        if host.tracing:
            host.emit(None, thread.name, "io_done", ("device", self.name))
        host.wake(thread)
        if self.queue:
            self._serve(host, *self.queue.popleft())
