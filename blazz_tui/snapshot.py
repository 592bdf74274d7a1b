"""The typed, immutable picture of a target at one moment: every reading, and what the
correlation and the history derive from them. Everything downstream (rules, ``--check``,
exports, the dashboard) reads only this."""

from __future__ import annotations

from dataclasses import dataclass

from blazz_tui.correlation import QueueView, SessionsView
from blazz_tui.history import (
    CacheWindow,
    DatabaseRates,
    ProgramRestarts,
    Uptime,
)
from blazz_tui.message_figures import MessageFigure
from blazz_tui.source_kinds import KINDS
from blazz_tui.sources.base import Reading
from blazz_tui.sources.database import DatabaseReading
from blazz_tui.sources.host import HostReading
from blazz_tui.sources.instances import InstancesReading
from blazz_tui.sources.logs import LogsReading
from blazz_tui.sources.messages import MessagesReading
from blazz_tui.sources.pm2 import Pm2Reading
from blazz_tui.sources.ports import PortsReading
from blazz_tui.sources.redis import RedisReading
from blazz_tui.sources.supervisor import SupervisorReading
from blazz_tui.transport.base import LinkState


@dataclass(frozen=True)
class QueueHistory:
    name: str
    depths: tuple[int, ...]


@dataclass(frozen=True)
class Snapshot:
    target: str
    transport: str
    taken_at: float
    supervisor: SupervisorReading | None
    instances: InstancesReading | None
    database: DatabaseReading | None
    redis: RedisReading | None
    host: HostReading | None
    ports: PortsReading | None
    logs: LogsReading | None
    queues: tuple[QueueView, ...] = ()
    sessions: SessionsView = SessionsView()
    restarts: tuple[ProgramRestarts, ...] = ()
    cache: CacheWindow | None = None
    queue_history: tuple[QueueHistory, ...] = ()
    hit_rate_history: tuple[float, ...] = ()
    max_sessions_per_instance: int = 300
    link: LinkState | None = None
    """A remote target's link (None for a local one)."""
    database_load: DatabaseRates | None = None
    """The database server's query rate since the previous sample (None: no database)."""
    uptime: tuple[Uptime, ...] = ()
    """Each instance's observed uptime over the last hour and day."""
    pm2: Pm2Reading | None = None
    messages: MessagesReading | None = None
    """The instances' send counters (/metrics), of which message_latency and
    failed_messages are made with the other sources' figures."""
    message_latency: MessageFigure | None = None
    """Seconds a message, from whichever source the target has (None: it has none)."""
    failed_messages: MessageFigure | None = None
    """Percent of messages failed, likewise."""

    @property
    def link_rtt(self) -> float:
        """Seconds: the round trip a request to the target crosses before it reaches a
        service (0 for a local target, or when not known)."""
        link = self.link
        return link.rtt if link is not None and link.up and link.rtt else 0.0

    def service_latency(self, latency: float) -> float:
        """A latency measured from here, without the link's round trip: the service's."""
        return max(0.0, latency - self.link_rtt)

    def readings(self) -> dict[str, Reading]:
        """The configured sources' readings by source name (each is the field of its name)."""
        all_ = {kind.name: getattr(self, kind.name) for kind in KINDS}
        return {name: r for name, r in all_.items() if r is not None}
