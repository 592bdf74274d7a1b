"""Redis source: INFO counters, instance-URL cache keys, Redis-driver queue depths."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from blazz_tui.clients.redis_client import RedisClient, RedisProtocolError
from blazz_tui.fmt import visible
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
    instance_url_keys: int = 0
    instance_url_keys_capped: bool = False
    queues: tuple[RedisQueueDepth, ...] = ()
    commands: int = 0
    signals: tuple[tuple[str, bool], ...] = ()
    """Laravel's restart-signal cache keys (``SIGNALS``) and whether each is set: the
    framework reads them on its own, and each read is a miss while the key is not set."""
    own_hits: int = 0
    own_misses: int = 0
    """The lookups this read made after its INFO (its probes of ``signals``): in the next
    INFO's counters, not the app's."""

    @property
    def lifetime_hit_rate(self) -> float | None:
        lookups = self.keyspace_hits + self.keyspace_misses
        return 100.0 * self.keyspace_hits / lookups if lookups else None


SIGNALS = ("illuminate:queue:restart", "laravel:reverb:restart")
"""Cache keys Laravel reads on its own: every ``queue:work`` worker after each job and every
``--sleep`` seconds when idle, Reverb every 5 s. They exist only once ``php artisan
queue:restart`` (``reverb:restart``) has run; until then each read is a miss."""


class RedisSource:
    name = "redis"

    def __init__(self, config: RedisConfig, transport: Transport,
                 queue_names: tuple[str, ...] = (), redis_queues: bool = False,
                 timeout: float = 2.0) -> None:
        self._config = config
        self._queue_names = queue_names
        self._redis_queues = redis_queues
        self._redis = RedisClient(config, transport, timeout)

    async def read(self) -> RedisReading:
        started, clock = time.time(), time.perf_counter()
        try:
            reading = await self._read(started)
        except _Garbage as exc:
            return RedisReading.failed(f"Redis answered INFO with {exc}", started,
                                       time.perf_counter() - clock)
        except RedisProtocolError as exc:
            await self.close()  # what follows a garbled answer cannot be told apart
            return RedisReading.failed(self._redis.garbled(exc), started,
                                       time.perf_counter() - clock)
        except self._redis.errors as exc:
            await self.close()
            return RedisReading.failed(self._redis.message(exc), started,
                                       time.perf_counter() - clock)
        return RedisReading(**reading, fetched_at=started, attempted_at=started,
                            latency=time.perf_counter() - clock)

    async def _read(self, started: float) -> dict[str, Any]:
        main = await self._redis.client(self._redis.db)
        reading = _from_info(await main.info())  # first: a garbled INFO ends the read here
        commands = 1
        keys, capped, sent = await self._count_instance_keys()
        commands += sent
        signals, own_hits, own_misses = await self._signals()
        commands += 1
        queues: tuple[RedisQueueDepth, ...] = ()
        if self._redis_queues and self._queue_names:
            queues = await self._queue_depths(main)
            commands += 1
        return {
            **reading,
            "instance_url_keys": keys,
            "instance_url_keys_capped": capped,
            "queues": queues,
            "commands": commands,
            "signals": signals,
            "own_hits": own_hits,
            "own_misses": own_misses,
        }

    async def _signals(self) -> tuple[tuple[tuple[str, bool], ...], int, int]:
        """Whether each restart signal is set (under any spelling of its name), and the
        hits and misses these lookups added to the server's counters."""
        cache = await self._redis.client(self._config.cache_db)
        spellings = {signal: self._config.cache_keys(signal) for signal in SIGNALS}
        pipe = cache.pipeline(transaction=False)
        for names in spellings.values():
            for name in names:
                pipe.exists(name)
        answers = iter(await pipe.execute())
        found, hits, misses = [], 0, 0
        for signal, names in spellings.items():
            present = [bool(next(answers)) for _ in names]
            hits += sum(present)
            misses += len(present) - sum(present)
            found.append((signal, any(present)))
        return tuple(found), hits, misses

    async def _count_instance_keys(self) -> tuple[int, bool, int]:
        cache = await self._redis.client(self._config.cache_db)
        cursor, found, visited, sent = 0, 0, 0, 0
        while True:
            cursor, batch = await cache.scan(cursor=cursor, match="*whatsapp_instance_url_*",
                                             count=1000)
            sent += 1
            found += len(batch)
            visited += 1000
            if cursor == 0:
                return found, False, sent
            if visited >= self._config.scan_limit:
                return found, True, sent

    async def _queue_depths(self, client: Any) -> tuple[RedisQueueDepth, ...]:
        prefix = self._config.key_prefix
        pipe = client.pipeline(transaction=False)
        for name in self._queue_names:
            key = f"{prefix}queues:{name}"
            pipe.llen(key)
            pipe.zcard(f"{key}:reserved")
            pipe.zcard(f"{key}:delayed")
        values = await pipe.execute()
        return tuple(RedisQueueDepth(name, int(values[3 * i]), int(values[3 * i + 1]),
                                     int(values[3 * i + 2]))
                     for i, name in enumerate(self._queue_names))

    def failed(self, error: str, attempted_at: float, latency: float) -> RedisReading:
        return RedisReading.failed(error, attempted_at, latency)

    async def close(self) -> None:
        await self._redis.close()


class _Garbage(ValueError):
    """An answer that is not what Redis sends."""


def _from_info(info: dict[str, Any]) -> dict[str, Any]:
    """The reading's fields that INFO gives; raises ``_Garbage`` naming a field no Redis
    sends."""
    keyspace = tuple((int(name[2:]), _keys(name, value)) for name, value in info.items()
                     if name.startswith("db") and name[2:].isdigit())
    return {
        "version": str(info.get("redis_version", "")),
        "run_id": str(info.get("run_id", "")),
        "uptime": _number(info, "uptime_in_seconds", float),
        "keyspace_hits": _number(info, "keyspace_hits", int),
        "keyspace_misses": _number(info, "keyspace_misses", int),
        "total_commands": _number(info, "total_commands_processed", int),
        "ops_per_sec": _number(info, "instantaneous_ops_per_sec", float),
        "evicted_keys": _number(info, "evicted_keys", int),
        "expired_keys": _number(info, "expired_keys", int),
        "used_memory": _number(info, "used_memory", int),
        "maxmemory": _number(info, "maxmemory", int),
        "maxmemory_policy": str(info.get("maxmemory_policy", "")),
        "connected_clients": _number(info, "connected_clients", int),
        "blocked_clients": _number(info, "blocked_clients", int),
        "keys_per_db": keyspace,
    }


def _keys(name: str, value: Any) -> int:
    """The key count of a ``db<n>`` line of INFO's keyspace (``keys=12,expires=0,...``)."""
    if not isinstance(value, dict):
        return 0
    try:
        count: int = _number(value, "keys", int)
    except _Garbage as exc:
        raise _Garbage(f"{name} {exc}") from None
    return count


def _number(info: dict[str, Any], key: str, kind: type[int] | type[float]) -> Any:
    """A counter or gauge of INFO: a number, finite and not negative — or the answer is not
    Redis's (a counter below zero would read as a hit rate of 250 %)."""
    value = info.get(key, 0)
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        raise _Garbage(f'{key} = "{visible(str(value))[:40]}", not a number') from None
    if not math.isfinite(number) or number < 0:
        raise _Garbage(f"{key} = {visible(str(value))[:40]}, which no Redis reports")
    return number
