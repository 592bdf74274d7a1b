"""Instances source: each WhatsApp-service instance's /health and /health/sessions."""

from __future__ import annotations

from dataclasses import dataclass

from blazz_tui.settings import InstanceConfig
from blazz_tui.sources.base import Reading
from blazz_tui.transport.base import Transport


@dataclass(frozen=True)
class HostedSession:
    session_id: str
    status: str
    """As the instance reports it, upper-cased: CONNECTED, QR_REQUIRED, DISCONNECTED..."""


@dataclass(frozen=True, kw_only=True)
class InstanceReading(Reading):
    name: str = ""
    url: str = ""
    status: str | None = None
    """The ``status`` field of /health (e.g. "healthy")."""
    active_sessions: int | None = None
    """``activeSessions`` of /health."""
    sessions: tuple[HostedSession, ...] | None = None
    """Sessions from /health/sessions; None when that endpoint did not answer usably."""
    sessions_error: str | None = None
    http_status: int | None = None
    uptime: float | None = None
    memory_rss: int | None = None

    @property
    def up(self) -> bool:
        return self.error is None and self.has_data

    @property
    def connected(self) -> tuple[str, ...]:
        return tuple(s.session_id for s in self.sessions or () if s.status == "CONNECTED")


@dataclass(frozen=True, kw_only=True)
class InstancesReading(Reading):
    instances: tuple[InstanceReading, ...] = ()


class InstancesSource:
    name = "instances"

    def __init__(self, instances: tuple[InstanceConfig, ...], transport: Transport,
                 timeout: float) -> None:
        raise NotImplementedError

    async def read(self) -> InstancesReading:
        raise NotImplementedError

    def failed(self, error: str, attempted_at: float, latency: float) -> InstancesReading:
        return InstancesReading.failed(error, attempted_at, latency)
