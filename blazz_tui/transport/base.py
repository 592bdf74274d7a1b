"""The transport interface: the only code that knows where the target is.

Sources never open sockets to hosts or files by themselves. They ask the transport for a
connected socket to a TCP address or a unix socket *as the target sees it* (an SSH transport
answers with one end of a socket pair whose other end it carries over an SSH channel:
nothing listens on this machine), a byte range of a file, a glob, a command run, or host and
process statistics. A local transport answers directly.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

Address = tuple[str, int] | str
"""A TCP (host, port) or a unix socket path, on the target."""

Dial = Callable[[Address, "float | None"], Awaitable[socket.socket]]
"""A transport's ``connect``: what every client (HTTP, Redis, MySQL) connects with."""


class TransportError(OSError):
    """The transport could not reach the target (SSH down, forward refused...)."""


@dataclass(frozen=True)
class FileStat:
    size: int
    inode: int
    mtime: float
    uid: int | None = None
    """The owner (None: not told)."""


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class HostStats:
    cpu_busy: float
    """Seconds of CPU time spent busy since boot, all CPUs together."""
    cpu_total: float
    """Seconds of CPU time since boot, all CPUs together (busy + idle)."""
    cpu_count: int
    memory_total: int
    memory_used: int
    memory_percent: float
    load: tuple[float, float, float]
    disk_path: str
    disk_total: int
    disk_used: int
    disk_percent: float
    boot_time: float


@dataclass(frozen=True)
class ProcessStats:
    pid: int
    cpu_percent: float
    rss: int
    cmdline: tuple[str, ...]
    cwd: str | None = None
    """Its working directory (None: not readable, e.g. another user's process)."""


@dataclass(frozen=True)
class FoundProcess:
    pid: int
    started: float
    """Epoch seconds."""
    cmdline: tuple[str, ...]
    rss: int = 0


@dataclass(frozen=True)
class LinkState:
    """The health of a remote transport's link (a local target has none)."""

    destination: str
    """What it connects to, as configured: an alias or ``user@host:port``."""
    up: bool
    since: float | None
    """Epoch seconds: connected since (up), or down since (down); None before any attempt."""
    rtt: float | None = None
    """Seconds, the median of the link's recent round trips (keepalive requests)."""
    attempts: int = 0
    """Failed connection attempts since the link was last up."""
    error: str | None = None
    """Why it is down."""
    retry_in: float | None = None
    """Seconds until the next attempt, while down."""


class Transport(Protocol):
    """Where the target is. Every method is async and raises ``OSError`` on failure."""

    @property
    def name(self) -> str:
        """A display name: ``local`` or ``ssh://user@host:port``."""
        ...

    @property
    def link(self) -> LinkState | None:
        """The link's health; None for a local target."""
        ...

    async def ready(self) -> None:
        """Set the link up if it is not (raises like ``connect``): a read timed afterwards
        times the service, not the link's handshake."""
        ...

    async def connect(self, address: Address, timeout: float | None) -> socket.socket:
        """A connected, non-blocking stream socket reaching ``address`` as the target sees it
        (``TransportError`` when the link is down, ``OSError`` when the address refuses)."""
        ...

    async def probe_tcp(self, host: str, port: int, timeout: float) -> float:
        """Connect to ``host:port`` from the target; return the connect time in seconds."""
        ...

    async def stat(self, path: str) -> FileStat:
        ...

    async def read_range(self, path: str, offset: int, length: int) -> bytes:
        ...

    async def realpath(self, path: str) -> str:
        """``path`` with every symbolic link resolved, as the target sees it."""
        ...

    async def glob(self, pattern: str) -> list[str]:
        """Paths matching ``pattern`` on the target, sorted."""
        ...

    async def run(self, argv: list[str], timeout: float) -> CommandResult:
        ...

    async def stream(self, argv: list[str], timeout: float,
                     line: Callable[[str], None]) -> int:
        """Run ``argv``, handing each line of its output (stdout and stderr) to ``line`` as
        it comes; its exit code. Killed at ``timeout`` (``TimeoutError``)."""
        ...

    async def host_stats(self, disk_path: str) -> HostStats:
        ...

    async def process_stats(self, pids: list[int]) -> dict[int, ProcessStats]:
        """Stats of the pids that exist; missing pids are left out."""
        ...

    async def find_processes(self, words: tuple[str, ...]) -> list[FoundProcess]:
        """The target's processes whose command line holds any of ``words``."""
        ...

    async def close(self) -> None:
        ...


def describe_error(exc: BaseException) -> str:
    """A one-line, human message for a caught exception (never a traceback)."""
    if isinstance(exc, TransportError):
        return str(exc)  # its own words: "ssh link down: …"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
