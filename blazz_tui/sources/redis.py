"""Redis source: INFO counters, instance-URL cache keys, Redis-driver queue depths."""

from __future__ import annotations

import asyncio
import functools
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from blazz_tui.fmt import visible
from blazz_tui.settings import RedisConfig
from blazz_tui.sources.base import Reading, describe_error
from blazz_tui.transport.base import Dial, Transport


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
        self._transport = transport
        self._queue_names = queue_names
        self._redis_queues = redis_queues
        self._timeout = timeout
        parts = urlsplit(config.url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 6379
        # Laravel's .env password is percent-encoded into the URL: decoded here, or given as
        # password on its own.
        self._password = config.password or (unquote(parts.password) if parts.password
                                              else None)
        self._db = int(parts.path.lstrip("/") or 0) if parts.path.lstrip("/").isdigit() else 0
        self._clients: dict[int, Any] = {}
        import redis.asyncio  # here, not above: only a target with Redis pays for it (~60 ms)

        self._redis = redis

    async def _client(self, db: int) -> Any:
        client = self._clients.get(db)
        if client is None:
            # No client-side retries: a failed poll is data, and the next poll retries.
            # RESP2, which every Redis speaks: RESP3 needs a HELLO that Redis 5 and older
            # reject ("unknown command"), and nothing read here needs it.
            pool = self._redis.asyncio.ConnectionPool(
                connection_class=_connection_class(), dial=self._transport.connect,
                host=self._host, port=self._port, db=db, password=self._password,
                socket_timeout=self._timeout, socket_connect_timeout=self._timeout,
                protocol=2, parser_class=_parser_class(),
                retry=self._redis.asyncio.retry.Retry(self._redis.backoff.NoBackoff(), 0))
            client = self._clients[db] = self._redis.asyncio.Redis.from_pool(pool)
            for command, shape in _REPLIES.items():
                client.set_response_callback(command, _checked(
                    command, shape, client.response_callbacks.get(command)))
        return client

    async def read(self) -> RedisReading:
        started, clock = time.time(), time.perf_counter()
        try:
            reading = await self._read(started)
        except _Garbage as exc:
            return RedisReading.failed(f"Redis answered INFO with {exc}", started,
                                       time.perf_counter() - clock)
        except RedisProtocolError as exc:
            await self.close()  # what follows a garbled answer cannot be told apart
            return RedisReading.failed(self._garbled(exc), started, time.perf_counter() - clock)
        except (self._redis.RedisError, OSError) as exc:
            await self.close()
            return RedisReading.failed(self._message(exc), started, time.perf_counter() - clock)
        return RedisReading(**reading, fetched_at=started, attempted_at=started,
                            latency=time.perf_counter() - clock)

    async def _read(self, started: float) -> dict[str, Any]:
        main = await self._client(self._db)
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
        cache = await self._client(self._config.cache_db)
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
        cache = await self._client(self._config.cache_db)
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

    async def forget_instance_urls(self, uuids: list[str]) -> int:
        """Delete the cached instance URLs (``whatsapp_instance_url_{uuid}``) of these
        accounts, so the app reads the database again; how many there were. Raises
        ``OSError`` with the reason when Redis cannot be reached."""
        keys = [k for uuid in uuids
                for k in self._config.cache_keys(f"whatsapp_instance_url_{uuid}")]
        try:
            cache = await self._client(self._config.cache_db)
            deleted = 0
            for start in range(0, len(keys), 500):
                deleted += int(await cache.delete(*keys[start:start + 500]))
            return deleted
        except RedisProtocolError as exc:
            await self.close()
            raise OSError(self._garbled(exc)) from None
        except (self._redis.RedisError, OSError) as exc:
            await self.close()
            raise OSError(self._message(exc)) from None

    def _garbled(self, exc: RedisProtocolError) -> str:
        return self._hide(f"garbled answer from Redis at {self._host}:{self._port}: {exc}")

    def _message(self, exc: BaseException) -> str:
        return self._hide(_describe(exc))

    def _hide(self, message: str) -> str:
        return message.replace(self._password, "***") if self._password else message

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            try:
                await client.aclose()
            except (self._redis.RedisError, OSError):
                pass


@functools.cache
def _connection_class() -> type:
    """redis-py's connection, made through the transport (defined on first use: redis is
    imported only by a target that has one)."""
    from redis.asyncio.connection import Connection

    class TransportConnection(Connection):
        def __init__(self, *, dial: Dial, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._dial = dial

        async def _connect(self) -> None:
            sock = await self._dial((self.host, self.port), self.socket_connect_timeout)
            self._reader, self._writer = await asyncio.open_connection(sock=sock)

    return TransportConnection


@functools.cache
def _parser_class() -> type:
    """redis-py's RESP2 parser, refusing a reply line RESP2 does not have (a type byte it
    lacks, a length below -1, a number that is not one) before the parser acts on it: a
    ``$-7`` would otherwise be read as an empty string and leave the reader out of step."""
    from redis._parsers import _AsyncRESP2Parser

    class CheckedParser(_AsyncRESP2Parser):
        async def _readline(self) -> bytes:
            line: bytes = await super()._readline()  # in RESP2 each line read is a reply's head
            _check_head(line)
            return line

    return CheckedParser


class RedisProtocolError(Exception):
    """An answer that is not RESP2, or not of the shape Redis gives the command sent."""


_INTEGER = re.compile(rb"-?[0-9]+")


def _check_head(line: bytes) -> None:
    """A reply's first line: ``+`` or ``-`` text, a ``:`` integer, a ``$`` length (``-1``
    null) or a ``*`` count (``-1`` null)."""
    kind, rest = line[:1], line[1:]
    if kind in (b"+", b"-"):
        return
    if kind not in (b":", b"$", b"*"):
        raise RedisProtocolError(f'"{_shown(line)}", which is not a RESP2 reply')
    if not _INTEGER.fullmatch(rest):
        raise RedisProtocolError(f'"{_shown(line)}", whose number is not one')
    if kind != b":" and int(rest) < -1:
        what = "bulk string length" if kind == b"$" else "array length"
        raise RedisProtocolError(f"a {what} of {int(rest)}, which RESP2 does not have")


def _shown(line: bytes) -> str:
    return visible(line[:40].decode("latin-1")) + ("…" if len(line) > 40 else "")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and value >= 0


def _is_scan(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], bytes)
            and value[0].isdigit() and isinstance(value[1], list)
            and all(isinstance(key, bytes) for key in value[1]))


_REPLIES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "INFO": (lambda value: isinstance(value, bytes), "a bulk string"),
    "SCAN": (_is_scan, "a cursor and an array of keys"),
    "EXISTS": (_is_count, "a count"),
    "LLEN": (_is_count, "a count"),
    "ZCARD": (_is_count, "a count"),
    "DEL": (_is_count, "a count"),
}
"""The replies of the commands this source sends: how to know one, and what Redis sends."""


def _checked(command: str, shape: tuple[Callable[[Any], bool], str],
             callback: Callable[..., Any] | None) -> Callable[..., Any]:
    """``callback`` (redis-py's parsing of ``command``'s reply), run only on a reply of the
    shape Redis sends; either check failing is a ``RedisProtocolError``."""
    accepts, expected = shape

    def parse(reply: Any, **options: Any) -> Any:
        if not accepts(reply):
            raise RedisProtocolError(f"{command} answered with {_kind(reply)}, where Redis "
                                     f"sends {expected}")
        if callback is None:
            return reply
        try:
            return callback(reply, **options)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            raise RedisProtocolError(f"{command} answered with what its parser cannot read "
                                     f"({type(exc).__name__}: {exc})") from None

    return parse


def _kind(reply: Any) -> str:
    """A RESP2 reply, as Redis's documentation names its type."""
    if reply is None:
        return "a null"
    if isinstance(reply, bytes):
        return f'the string "{_shown(reply)}"' if len(reply) <= 40 else "a long string"
    if isinstance(reply, bool | int):
        return f"the integer {int(reply)}"
    if isinstance(reply, list):
        return f"an array of {len(reply)}"
    return f"a {type(reply).__name__}"


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


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if "Connection refused" in text or "Error 111 " in text:
        return "connection refused"
    if "Connection closed by server" in text:
        return "connection closed by server"
    if "Timeout" in type(exc).__name__ or "timed out" in text.lower():
        return "timed out"
    if "AuthenticationError" in type(exc).__name__ or "NOAUTH" in text or "WRONGPASS" in text:
        return "authentication failed — check the Redis password"
    return describe_error(exc)
