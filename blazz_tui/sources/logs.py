"""Logs source: tail log files on the target and parse Laravel's line format."""

from __future__ import annotations

from dataclasses import dataclass

from blazz_tui.settings import LogsConfig
from blazz_tui.sources.base import Reading
from blazz_tui.transport.base import Transport


@dataclass(frozen=True)
class LogEntry:
    file: str
    time: float | None
    """Epoch seconds (None when the line has no Laravel timestamp)."""
    level: str
    """DEBUG, INFO, NOTICE, WARNING, ERROR, CRITICAL, ALERT, EMERGENCY, or "" (plain line)."""
    message: str
    environment: str = ""
    detail: tuple[str, ...] = ()
    """Continuation lines (stack trace) attached to this entry."""


@dataclass(frozen=True)
class SyncRun:
    """A `WhatsApp Instance URL Sync completed: X updated, Y verified` line."""
    at: float
    updated: int | None
    verified: int | None
    file: str


@dataclass(frozen=True)
class LogFileState:
    path: str
    size: int = 0
    error: str | None = None
    errors_last_minute: int = 0


@dataclass(frozen=True, kw_only=True)
class LogsReading(Reading):
    files: tuple[LogFileState, ...] = ()
    entries: tuple[LogEntry, ...] = ()
    """The most recent entries over all files, oldest first (bounded)."""
    errors_last_minute: int = 0
    last_sync: SyncRun | None = None


class LogsSource:
    name = "logs"

    def __init__(self, config: LogsConfig, transport: Transport, app_dir: str) -> None:
        raise NotImplementedError

    async def read(self) -> LogsReading:
        raise NotImplementedError

    def failed(self, error: str, attempted_at: float, latency: float) -> LogsReading:
        return LogsReading.failed(error, attempted_at, latency)
