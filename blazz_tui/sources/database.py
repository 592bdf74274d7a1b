"""Database source: Laravel queue tables and WhatsApp account assignments."""

from __future__ import annotations

from dataclasses import dataclass

from blazz_tui.settings import DatabaseConfig
from blazz_tui.sources.base import Reading
from blazz_tui.transport.base import Transport


@dataclass(frozen=True)
class QueueDepth:
    name: str
    pending: int = 0
    """Ready now: not reserved, available_at <= now."""
    reserved: int = 0
    delayed: int = 0
    capped: bool = False
    """True when a count hit the bound: show "10,000+"."""
    oldest_pending_at: float | None = None
    """Epoch seconds the oldest pending job was created (None: no pending job)."""
    failed_last_hour: int = 0


@dataclass(frozen=True)
class Account:
    uuid: str
    session_id: str | None
    status: str
    assigned_instance_url: str | None


@dataclass(frozen=True, kw_only=True)
class DatabaseReading(Reading):
    engine: str = ""
    """``mysql`` or ``sqlite``."""
    server_version: str = ""
    queues: tuple[QueueDepth, ...] = ()
    jobs_error: str | None = None
    """E.g. "table `jobs` not found in blazz"; the rest of the reading is still valid."""
    failed_total: int = 0
    failed_total_capped: bool = False
    failed_error: str | None = None
    accounts: tuple[Account, ...] = ()
    """Accounts with status ``connected`` (bounded by accounts_limit)."""
    accounts_truncated: bool = False
    accounts_error: str | None = None
    queries: int = 0
    """Statements this poll sent."""


class DatabaseSource:
    name = "database"

    def __init__(self, config: DatabaseConfig, transport: Transport,
                 watch: tuple[str, ...] = ()) -> None:
        raise NotImplementedError

    async def read(self) -> DatabaseReading:
        raise NotImplementedError

    def failed(self, error: str, attempted_at: float, latency: float) -> DatabaseReading:
        return DatabaseReading.failed(error, attempted_at, latency)
