"""Redis source: INFO counters, instance-URL cache keys, Redis-driver queue depths."""

from __future__ import annotations

from dataclasses import dataclass

from blazz_tui.settings import RedisConfig
from blazz_tui.sources.base import Reading
from blazz_tui.transport.base import Transport


@dataclass(frozen=True)
class RedisQueueDepth:
    name: str
    pending: int = 0
    reserved: int = 0
    delayed: int = 0


@dataclass(frozen=True, kw_only=True)
class RedisReading(Reading):
    version: str = ""
    run_id: str = ""
    uptime: float = 0.0
    keyspace_hits: int = 0
    keyspace_misses: int = 0
    total_commands: int = 0
    ops_per_sec: float = 0.0
    evicted_keys: int = 0
    expired_keys: int = 0
    used_memory: int = 0
    maxmemory: int = 0
    maxmemory_policy: str = ""
    connected_clients: int = 0
    blocked_clients: int = 0
    keys_per_db: tuple[tuple[int, int], ...] = ()
    """(db index, key count) from INFO keyspace."""
    instance_url_keys: int = 0
    instance_url_keys_capped: bool = False
    queues: tuple[RedisQueueDepth, ...] = ()
    commands: int = 0
    """Commands this poll sent."""

    @property
    def lifetime_hit_rate(self) -> float | None:
        lookups = self.keyspace_hits + self.keyspace_misses
        return 100.0 * self.keyspace_hits / lookups if lookups else None


class RedisSource:
    name = "redis"

    def __init__(self, config: RedisConfig, transport: Transport,
                 queue_names: tuple[str, ...] = (), redis_queues: bool = False) -> None:
        raise NotImplementedError

    async def read(self) -> RedisReading:
        raise NotImplementedError

    def failed(self, error: str, attempted_at: float, latency: float) -> RedisReading:
        return RedisReading.failed(error, attempted_at, latency)
