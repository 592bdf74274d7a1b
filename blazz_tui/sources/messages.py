"""Messages source: what the WhatsApp instances report of their sends, from ``GET /metrics``
(Prometheus text): messages sent and failed, and the time the sent ones took.

Seed 002's monitoring table wants message latency (< 150 ms, alert > 300 ms) and failed
messages (< 1 %, alert > 5 %); the instances are where a send is timed. The counters are
cumulative: the history turns them into a window. An instance that publishes no send
metrics says so; its messages are then unknown, never 0.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from blazz_tui.clients.http import httpx
from blazz_tui.clients.instance_api import InstanceApi, InstanceError
from blazz_tui.settings import InstanceConfig
from blazz_tui.sources.base import Reading, describe_error
from blazz_tui.sources.instances import InstancesSource
from blazz_tui.transport.base import Transport

SENT = "whatsapp_messages_sent_total"
FAILED = "whatsapp_messages_failed_total"
SECONDS_SUM = "whatsapp_message_send_seconds_sum"
SECONDS_COUNT = "whatsapp_message_send_seconds_count"


@dataclass(frozen=True)
class SendCounters:
    name: str
    sent: int | None = None
    failed: int | None = None
    seconds_sum: float | None = None
    seconds_count: int | None = None
    """Timed sends (a summary's _count) and their total seconds (its _sum)."""
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class MessagesReading(Reading):
    instances: tuple[SendCounters, ...] = ()


class MessagesSource:
    name = "messages"

    def __init__(self, instances: tuple[InstanceConfig, ...], transport: Transport,
                 timeout: float) -> None:
        self._instances = instances
        self._http = InstanceApi(instances, transport, timeout)

    async def read(self) -> MessagesReading:
        started, clock = time.time(), time.perf_counter()
        gate = asyncio.Semaphore(InstancesSource.CONCURRENCY)

        async def one(cfg: InstanceConfig) -> SendCounters:
            async with gate:
                return await self._read_one(cfg)

        counters = await asyncio.gather(*(one(cfg) for cfg in self._instances))
        return MessagesReading(instances=tuple(counters), fetched_at=started,
                               attempted_at=started, latency=time.perf_counter() - clock)

    async def _read_one(self, cfg: InstanceConfig) -> SendCounters:
        try:
            status, text = await self._http.text(cfg, "/metrics")
        except (httpx.HTTPError, InstanceError, OSError, TimeoutError) as exc:
            return SendCounters(cfg.name, error=f"/metrics: {describe_error(exc)}")
        if status != 200:
            return SendCounters(cfg.name, error=f"/metrics answered HTTP {status}")
        values = parse_prometheus(text)
        if SECONDS_COUNT not in values and SENT not in values:
            return SendCounters(cfg.name, error="its /metrics has no send counters")
        count = values.get(SECONDS_COUNT)
        return SendCounters(
            cfg.name, sent=_int(values.get(SENT)), failed=_int(values.get(FAILED)),
            seconds_sum=values.get(SECONDS_SUM), seconds_count=_int(count))

    def failed(self, error: str, attempted_at: float, latency: float) -> MessagesReading:
        return MessagesReading.failed(error, attempted_at, latency)

    async def close(self) -> None:
        await self._http.close()


def parse_prometheus(text: str) -> dict[str, float]:
    """Unlabelled samples (``name value``) of a Prometheus text page; labelled ones are summed
    by name (``sent_total{type="text"} 3``), comments and garbage lines skipped."""
    values: dict[str, float] = {}
    for line in text.splitlines()[:10_000]:
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 2:
            continue
        name = parts[0].split("{", 1)[0]
        try:
            value = float(parts[1])
        except ValueError:
            continue
        if value == value and abs(value) != float("inf"):
            values[name] = values.get(name, 0.0) + value
    return values


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
