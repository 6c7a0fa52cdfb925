"""An I/O device: a FIFO queue in front of a number of servers."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.model.threads import Thread


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
