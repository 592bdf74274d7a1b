"""Host source: CPU, memory, load and disk of the target machine."""

from __future__ import annotations

import time
from dataclasses import dataclass

from blazz_tui.sources.base import Reading, describe_error
from blazz_tui.transport.base import HostStats, Transport


@dataclass(frozen=True, kw_only=True)
class HostReading(Reading):
    stats: HostStats | None = None
    cpu_percent: float | None = None
    """Busy share of all CPUs since the previous sample (None: no usable earlier sample)."""
    cpu_window: float = 0.0
    """Seconds ``cpu_percent`` covers."""
    cpu_unknown: str = "needs a second sample"
    """Why ``cpu_percent`` is None."""


class HostSource:
    name = "host"

    def __init__(self, transport: Transport, disk_path: str = "/") -> None:
        self._transport = transport
        self._disk_path = disk_path

    async def read(self) -> HostReading:
        started, clock = time.time(), time.perf_counter()
        try:
            stats = await self._transport.host_stats(self._disk_path)
        except OSError as exc:
            return HostReading.failed(describe_error(exc), started, time.perf_counter() - clock)
        return HostReading(stats=stats, fetched_at=started, attempted_at=started,
                           latency=time.perf_counter() - clock)

    def failed(self, error: str, attempted_at: float, latency: float) -> HostReading:
        return HostReading.failed(error, attempted_at, latency)

    async def close(self) -> None:
        pass
