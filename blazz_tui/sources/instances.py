"""Instances source: each WhatsApp-service instance's /health and /health/sessions."""

from __future__ import annotations

import asyncio
import json
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from blazz_tui.clients.http import http_transport, httpx
from blazz_tui.fmt import scrub, visible
from blazz_tui.settings import InstanceConfig, redact_url
from blazz_tui.sources.base import Reading, describe_error
from blazz_tui.transport.base import Transport

MAX_BODY = 8 * 1024 * 1024


@dataclass(frozen=True)
class HostedSession:
    session_id: str
    status: str
    """As the instance reports it, upper-cased: CONNECTED, QR_REQUIRED, DISCONNECTED..."""


DOWN = "DOWN"
"""Nothing answers at its address (connection refused, no route)."""
NO_ANSWER = "NO ANSWER"
"""It accepted the connection but did not answer in time."""
ERROR = "ERROR"
"""It answered, but not usably: an HTTP error status, HTML, garbage."""


@dataclass(frozen=True, kw_only=True)
class InstanceReading(Reading):
    name: str = ""
    url: str = ""
    failure: str | None = None
    """When ``error`` is set: DOWN, NO_ANSWER or ERROR — only DOWN means it is not running."""
    status: str | None = None
    active_sessions: int | None = None
    sessions: tuple[HostedSession, ...] | None = None
    sessions_error: str | None = None
    http_status: int | None = None
    uptime: float | None = None
    memory_rss: int | None = None

    @property
    def up(self) -> bool:
        return self.error is None and self.has_data

    @property
    def state(self) -> str:
        """UP, or how it failed (DOWN, NO ANSWER, ERROR); ``?`` before its first reading."""
        if self.up:
            return "UP"
        return self.failure or ("?" if self.error is None else ERROR)

    @property
    def sessions_known(self) -> bool:
        """Its session list was read: where a session is not, it is not hosted here."""
        return self.up and self.sessions is not None

    @property
    def connected(self) -> tuple[str, ...]:
        return tuple(s.session_id for s in self.sessions or () if s.status == "CONNECTED")


@dataclass(frozen=True, kw_only=True)
class InstancesReading(Reading):
    instances: tuple[InstanceReading, ...] = ()


class InstanceError(Exception):
    """An instance answered, but not usably."""


def _key_message(cfg: InstanceConfig, what: str) -> str:
    """An instance that asks for the API key: what it means for the config."""
    if cfg.api_key:
        return f"{what} refused the API key (HTTP 401) — check api_key for this instance"
    return f"{what} demands an API key (HTTP 401) — set api_key (X-Api-Key) in the config"


class InstancesSource:
    """Every instance concurrently (at most ``CONCURRENCY`` requests at once). Each request
    has its own deadline (``timeout``): an instance answering ``/health`` in 1.5 s of 2 is up
    and slow — judged by its latency, its sessions counted — and only one that does not
    answer ``/health`` at all is NO ANSWER; a session list that does not come in time leaves
    that instance's sessions unknown. A whole read takes at most ``read_bound`` seconds.

    Each instance's latency is its ``/health`` request, timed while nothing else of this read
    runs: the ``/health`` requests start ``STAGGER`` apart (a 2 ms request rarely overlaps the
    next; a slow one delays nobody), and the session lists — the JSON to parse — are asked
    for once every ``/health`` has answered (or after ``SESSIONS_WAIT``, so a hung instance
    holds up no other)."""

    name = "instances"
    CONCURRENCY = 16
    STAGGER = 0.004
    SESSIONS_WAIT = 0.2

    def __init__(self, instances: tuple[InstanceConfig, ...], transport: Transport,
                 timeout: float) -> None:
        self._instances = instances
        self._transport = transport
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    @property
    def read_bound(self) -> float:
        """Seconds a whole read may take: the staggered start, ``/health``, the wait for the
        others, ``/health/sessions`` — each request within its own timeout."""
        return 20 * self.STAGGER + 2 * self._timeout + self.SESSIONS_WAIT

    async def read(self) -> InstancesReading:
        started, clock = time.time(), time.perf_counter()
        self._open()
        gate = asyncio.Semaphore(self.CONCURRENCY)
        round_ = _Round(len(self._instances))
        readings = await asyncio.gather(*(
            self._read_one(cfg, gate, round_, min(i, 20) * self.STAGGER)
            for i, cfg in enumerate(self._instances)))
        return InstancesReading(instances=tuple(readings), fetched_at=started,
                                attempted_at=started, latency=time.perf_counter() - clock)

    async def _read_one(self, cfg: InstanceConfig, gate: asyncio.Semaphore,
                        round_: _Round, delay: float) -> InstanceReading:
        started = time.time()
        try:
            await asyncio.sleep(delay)
            async with gate:
                return await self._fetch(cfg, started, round_)
        except TimeoutError:
            failure, error = NO_ANSWER, f"no answer within {self._timeout:g} s"
        except (httpx.HTTPError, OSError) as exc:
            failure, error = _describe(exc)
        except InstanceError as exc:
            failure, error = ERROR, str(exc)
        finally:
            round_.answered(cfg.name)
        parts = urlsplit(cfg.url)
        error = scrub(error, [cfg.api_key or "", unquote(parts.password or "")],
                      [unquote(parts.username or "")])
        return InstanceReading(name=cfg.name, url=redact_url(cfg.url), error=error,
                               failure=failure,
                               attempted_at=started)

    async def _fetch(self, cfg: InstanceConfig, started: float,
                     round_: _Round) -> InstanceReading:
        base = self._base_url(cfg.url)
        headers = {"X-Api-Key": cfg.api_key} if cfg.api_key else {}
        clock = time.perf_counter()
        async with asyncio.timeout(self._timeout):
            status_code, health = await self._get_json(f"{base}/health", headers, cfg.url)
        latency = time.perf_counter() - clock
        if status_code == 401:
            raise InstanceError(_key_message(cfg, "/health"))
        if status_code != 200:
            raise InstanceError(f"/health answered HTTP {status_code}")
        if not isinstance(health, dict):
            raise InstanceError("answered garbage: /health is not a JSON object")
        round_.answered(cfg.name)
        await round_.all_answered(self.SESSIONS_WAIT)
        sessions: tuple[HostedSession, ...] | None = None
        sessions_error = None
        try:
            async with asyncio.timeout(self._timeout):
                code, body = await self._get_json(f"{base}/health/sessions", headers, cfg.url)
            if code == 401:
                sessions_error = _key_message(cfg, "/health/sessions")
            elif code != 200:
                sessions_error = f"/health/sessions answered HTTP {code}"
            else:
                sessions = _sessions(body)
                if sessions is None:
                    sessions_error = "/health/sessions has no session list"
        except InstanceError as exc:
            sessions_error = str(exc)
        except TimeoutError:
            sessions_error = f"/health/sessions: no answer within {self._timeout:g} s"
        except httpx.HTTPError as exc:
            sessions_error = _describe(exc)[1]
        active = _int(health, "activeSessions", "active_sessions", "sessions")
        memory = health.get("memory")
        rss = _int(memory, "rss", limit=1 << 50) if isinstance(memory, dict) else None
        return InstanceReading(
            name=cfg.name, url=redact_url(cfg.url), status=_str(health.get("status")),
            active_sessions=active, sessions=sessions, sessions_error=sessions_error,
            http_status=status_code, uptime=_float(health.get("uptime")), memory_rss=rss,
            fetched_at=started, attempted_at=started, latency=latency)

    @staticmethod
    def _base_url(url: str) -> str:
        """The URL without its credentials (they go in an Authorization header)."""
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (443 if parts.scheme == "https" else 80)
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return urlunsplit((parts.scheme or "http", netloc, parts.path.rstrip("/"), "", ""))

    async def call(self, cfg: InstanceConfig, method: str, path: str,
                   body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """One request of the instance's API (the actions'): (HTTP status, its JSON or None).
        Raises ``httpx.HTTPError``/``InstanceError``/``OSError`` when it does not answer."""
        self._open()
        headers = {"X-Api-Key": cfg.api_key} if cfg.api_key else {}
        base = self._base_url(cfg.url)
        return await asyncio.wait_for(
            self._get_json(f"{base}{path}", headers, cfg.url, method, body), self._timeout)

    def _open(self) -> None:
        if self._client is None:
            # Certificates are loaded only for https instances: building the TLS context
            # costs ~40 ms, a third of the first poll on a local stack.
            tls = any(i.url.lower().startswith("https:") for i in self._instances)
            self._client = httpx.AsyncClient(
                transport=http_transport(self._transport.connect, verify=tls),
                timeout=self._timeout, follow_redirects=False, trust_env=False)

    async def text(self, cfg: InstanceConfig, path: str) -> tuple[int, str]:
        """A plain-text page of the instance (``/metrics``): (HTTP status, its text)."""
        self._open()
        headers = {"X-Api-Key": cfg.api_key} if cfg.api_key else {}
        status, body = await asyncio.wait_for(
            self._get(f"{self._base_url(cfg.url)}{path}", headers, cfg.url), self._timeout)
        return status, body.decode("utf-8", "replace")

    async def _get_json(self, url: str, headers: dict[str, str], original: str,
                        method: str = "GET",
                        payload: dict[str, Any] | None = None) -> tuple[int, Any]:
        status, body = await self._get(url, headers, original, method, payload)
        if not 200 <= status < 300:
            return status, None
        return status, parse_json(url.rsplit("/", 1)[-1], body)

    async def _get(self, url: str, headers: dict[str, str], original: str,
                   method: str = "GET",
                   payload: dict[str, Any] | None = None) -> tuple[int, bytes]:
        assert self._client is not None
        parts = urlsplit(original)
        host = parts.netloc.rsplit("@", 1)[-1]  # never the credentials
        auth = httpx.BasicAuth(unquote(parts.username or ""), unquote(parts.password or "")) \
            if parts.username or parts.password else None
        async with self._client.stream(method, url, headers={
                **headers, "Host": host, "Accept-Encoding": "gzip, deflate"},
                auth=auth, json=payload) as resp:
            inflate = _inflater(resp.headers.get("content-encoding", ""))
            body = bytearray()
            async for chunk in resp.aiter_raw():
                # Inflated a bounded piece at a time: a small gzip bomb never becomes a large
                # buffer (MAX_BODY is a memory bound, not a check after the fact).
                while chunk:
                    piece, chunk = inflate(chunk, MAX_BODY + 1 - len(body))
                    body += piece
                    if len(body) > MAX_BODY:
                        raise InstanceError(
                            f"answer larger than {MAX_BODY // (1024 * 1024)} MiB")
            return resp.status_code, bytes(body)

    def failed(self, error: str, attempted_at: float, latency: float) -> InstancesReading:
        return InstancesReading.failed(error, attempted_at, latency)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


class _Round:
    """One read's instances: which have answered ``/health`` (or failed to)."""

    def __init__(self, count: int) -> None:
        self._waiting = count
        self._done: set[str] = set()
        self._all = asyncio.Event()

    def answered(self, name: str) -> None:
        if name not in self._done:
            self._done.add(name)
            self._waiting -= 1
            if self._waiting <= 0:
                self._all.set()

    async def all_answered(self, at_most: float) -> None:
        try:
            await asyncio.wait_for(self._all.wait(), at_most)
        except TimeoutError:
            pass  # one still answering: the others go on


def _sessions(body: Any) -> tuple[HostedSession, ...] | None:
    items = body.get("sessions") if isinstance(body, dict) else body
    if isinstance(items, dict):
        items = [{"sessionId": k, **(v if isinstance(v, dict) else {"status": v})}
                 for k, v in items.items()]
    if not isinstance(items, list):
        return None
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        sid = item.get("sessionId") or item.get("session_id") or item.get("id")
        status = item.get("status") or item.get("state") or ""
        if sid:
            out.append(HostedSession(str(sid), str(status).upper()))
    return tuple(out)


MAX_COUNT = 10_000_000
"""More than this (sessions, bytes of memory are checked apart) is no instance's figure."""


def parse_json(path: str, body: bytes) -> Any:
    """An instance's JSON answer; ``InstanceError`` saying what is wrong with one that is not
    JSON, nests deeper than any answer does, or holds a number that is not one (NaN,
    Infinity, 1e999)."""
    try:
        return json.loads(body, parse_constant=_not_a_number, parse_float=_finite)
    except InstanceError as exc:
        raise InstanceError(f"/{path} {exc}") from None
    except RecursionError:
        raise InstanceError(f"/{path} answered JSON nested too deep to be an answer") from None
    except ValueError:
        raise InstanceError(_not_json(path, body)) from None


def _not_a_number(text: str) -> float:
    raise InstanceError(f"answered {text} where a number belongs")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InstanceError(f"answered {visible(text[:40])}, a number too large to be one")
    return value


def _int(data: Any, *keys: str, limit: int = MAX_COUNT) -> int | None:
    """A count from the answer; ``InstanceError`` for one that cannot be (negative, absurd)."""
    for key in keys:
        value = data.get(key) if isinstance(data, dict) else None
        if isinstance(value, bool):
            continue
        if isinstance(value, list):
            return len(value)
        if isinstance(value, int | float):
            if not 0 <= value <= limit:
                raise InstanceError(f"/health answered {key} = {value:g}, which no count "
                                    "can be")
            return int(value)
    return None


def _float(value: Any) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if not 0 <= value < 1e12:
        raise InstanceError(f"/health answered uptime = {value:g}, which no uptime can be")
    return float(value)


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


def _inflater(encoding: str) -> Callable[[bytes, int], tuple[bytes, bytes]]:
    """``inflate(data, at_most)`` → (at most ``at_most`` decoded bytes, the input left) for
    the answer's ``Content-Encoding``."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda data, at_most: (data, b"")
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise InstanceError(f"answered in an encoding not asked for ({visible(encoding[:20])})")
    # gzip's header, or zlib's (deflate as HTTP means it), told apart by zlib itself.
    inflater = zlib.decompressobj(32 + zlib.MAX_WBITS)

    def inflate(data: bytes, at_most: int) -> tuple[bytes, bytes]:
        try:
            return inflater.decompress(data, max(1, at_most)), inflater.unconsumed_tail
        except zlib.error:
            raise InstanceError(f"answered {encoding} that does not inflate") from None

    return inflate


def _not_json(path: str, body: bytes) -> str:
    start = body[:200].lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start:
        return f"/{path} answered HTML instead of JSON (a proxy or error page?)"
    if not body.strip():
        return f"/{path} answered an empty body instead of JSON"
    return f"/{path} answered garbage instead of JSON (starts with " \
           f"\"{visible(body[:40].decode('utf-8', 'replace'))}\")"


def _describe(exc: BaseException) -> tuple[str, str]:
    """(failure kind, message) for an HTTP client's exception."""
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "refused" in text or "all connection attempts failed" in text:
            return DOWN, "connection refused"
        return DOWN, f"cannot connect: {visible(str(exc))}"
    if isinstance(exc, httpx.TimeoutException):
        return NO_ANSWER, "no answer in time"
    if isinstance(exc, httpx.ConnectError | OSError):
        return DOWN, describe_error(exc)
    return ERROR, visible(describe_error(exc))
