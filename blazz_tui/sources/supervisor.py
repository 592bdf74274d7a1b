"""Supervisor source: every process of one or more supervisord endpoints, over XML-RPC."""

from __future__ import annotations

from dataclasses import dataclass

from blazz_tui.settings import SupervisorEndpoint
from blazz_tui.sources.base import Reading
from blazz_tui.transport.base import Transport


@dataclass(frozen=True)
class ProcessInfo:
    endpoint: str
    """Name of the supervisord endpoint (config) this process belongs to."""
    group: str
    name: str
    """Process name, e.g. ``blazz-queue-default_00``."""
    state: str
    """RUNNING, STARTING, BACKOFF, STOPPING, STOPPED, EXITED, FATAL or UNKNOWN."""
    pid: int = 0
    start: float = 0.0
    """Epoch seconds of the last start; 0 when never started."""
    uptime: float = 0.0
    exit_status: int = 0
    spawn_error: str = ""
    description: str = ""
    command: str = ""
    """The program's command line ("" when unknown)."""
    queue_connection: str | None = None
    """For ``artisan queue:work [connection]`` commands: the connection (None: default)."""
    queues: tuple[str, ...] = ()
    """For queue workers: the queues served, in priority order (``--queue=a,b``)."""
    cpu_percent: float | None = None
    rss: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.group}:{self.name}"

    @property
    def is_queue_worker(self) -> bool:
        return bool(self.queues)


@dataclass(frozen=True, kw_only=True)
class EndpointReading(Reading):
    name: str = ""
    url: str = ""
    """Redacted URL of the endpoint."""
    state: str = ""
    """supervisord's own state (RUNNING, RESTARTING, SHUTDOWN...)."""
    version: str = ""
    processes: tuple[ProcessInfo, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SupervisorReading(Reading):
    endpoints: tuple[EndpointReading, ...] = ()

    @property
    def processes(self) -> tuple[ProcessInfo, ...]:
        return tuple(p for e in self.endpoints for p in e.processes)


class SupervisorSource:
    name = "supervisor"

    def __init__(self, endpoints: tuple[SupervisorEndpoint, ...], transport: Transport,
                 default_queue: str = "default") -> None:
        raise NotImplementedError

    async def read(self) -> SupervisorReading:
        raise NotImplementedError

    def failed(self, error: str, attempted_at: float, latency: float) -> SupervisorReading:
        return SupervisorReading.failed(error, attempted_at, latency)
