"""Redis as blazz-tui speaks it, for the Redis source's reads and the actions' deletes: one
client per database, made through the target's transport, RESP2 (which every Redis speaks),
no client-side retries, and each reply's shape checked before redis-py interprets it, so a
server that is not Redis is named as such ("garbled answer from Redis"). Errors come back
as one line without the password."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from blazz_tui.fmt import visible
from blazz_tui.settings import RedisConfig
from blazz_tui.transport.base import Dial, Transport, describe_error


class RedisClient:
    def __init__(self, config: RedisConfig, transport: Transport, timeout: float = 2.0) -> None:
        self.config = config
        self._transport = transport
        self._timeout = timeout
        parts = urlsplit(config.url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 6379
        # Laravel's .env password is percent-encoded into the URL: decoded here, or given as
        # password on its own.
        self._password = config.password or (unquote(parts.password) if parts.password
                                              else None)
        self.db = int(parts.path.lstrip("/") or 0) if parts.path.lstrip("/").isdigit() else 0
        """The database of the URL (the queues'); ``config.cache_db`` is the cache's."""
        self._clients: dict[int, Any] = {}
        import redis.asyncio  # here, not above: only a target with Redis pays for it (~60 ms)

        self._redis = redis
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        """What a request raises when Redis cannot be read (see ``message``)."""

    async def client(self, db: int) -> Any:
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

    async def delete(self, db: int, keys: list[str]) -> int:
        """Delete ``keys`` of database ``db``, 500 a command; how many there were. Raises
        ``OSError`` with the reason when Redis cannot be reached or answers garbage."""
        try:
            client = await self.client(db)
            deleted = 0
            for start in range(0, len(keys), 500):
                deleted += int(await client.delete(*keys[start:start + 500]))
            return deleted
        except RedisProtocolError as exc:
            await self.close()
            raise OSError(self.garbled(exc)) from None
        except self.errors as exc:
            await self.close()
            raise OSError(self.message(exc)) from None

    def garbled(self, exc: RedisProtocolError) -> str:
        return self._hide(f"garbled answer from Redis at {self._host}:{self._port}: {exc}")

    def message(self, exc: BaseException) -> str:
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
