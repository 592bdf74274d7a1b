"""Ports source: TCP connects to configured ports (Reverb's 8080, ...), from the target."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from blazz_tui.settings import PortConfig
from blazz_tui.sources.base import Reading, describe_error
from blazz_tui.transport.base import Transport


@dataclass(frozen=True)
class PortState:
    name: str
    host: str
    port: int
    open: bool
    connect_time: float | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class PortsReading(Reading):
    ports: tuple[PortState, ...] = ()


class PortsSource:
    name = "ports"

    def __init__(self, ports: tuple[PortConfig, ...], transport: Transport,
                 timeout: float) -> None:
        self._ports = ports
        self._transport = transport
        self._timeout = timeout

    async def read(self) -> PortsReading:
        started, clock = time.time(), time.perf_counter()
        states = await asyncio.gather(*(self._probe(p) for p in self._ports))
        return PortsReading(ports=tuple(states), fetched_at=started, attempted_at=started,
                            latency=time.perf_counter() - clock)

    async def _probe(self, port: PortConfig) -> PortState:
        try:
            elapsed = await self._transport.probe_tcp(port.host, port.port, self._timeout)
        except (OSError, TimeoutError) as exc:
            return PortState(port.name, port.host, port.port, open=False,
                             error=describe_error(exc))
        return PortState(port.name, port.host, port.port, open=True, connect_time=elapsed)

    def failed(self, error: str, attempted_at: float, latency: float) -> PortsReading:
        return PortsReading.failed(error, attempted_at, latency)

    async def close(self) -> None:
        pass
