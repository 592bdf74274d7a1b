"""Instances source: each WhatsApp-service instance's /health and /health/sessions."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from blazz_tui.clients.http import httpx
from blazz_tui.clients.instance_api import InstanceApi, InstanceError
from blazz_tui.fmt import scrub, visible
from blazz_tui.settings import InstanceConfig, redact_url
from blazz_tui.sources.base import Reading, describe_error
from blazz_tui.transport.base import Transport


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
        self._timeout = timeout
        self._api = InstanceApi(instances, transport, timeout)

    @property
    def read_bound(self) -> float:
        """Seconds a whole read may take: the staggered start, ``/health``, the wait for the
        others, ``/health/sessions`` — each request within its own timeout."""
        return 20 * self.STAGGER + 2 * self._timeout + self.SESSIONS_WAIT

    async def read(self) -> InstancesReading:
        started, clock = time.time(), time.perf_counter()
        self._api.open()
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
        base = self._api.base_url(cfg.url)
        headers = {"X-Api-Key": cfg.api_key} if cfg.api_key else {}
        clock = time.perf_counter()
        async with asyncio.timeout(self._timeout):
            status_code, health = await self._api.get_json(f"{base}/health", headers, cfg.url)
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
                code, body = await self._api.get_json(f"{base}/health/sessions", headers, cfg.url)
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

    def failed(self, error: str, attempted_at: float, latency: float) -> InstancesReading:
        return InstancesReading.failed(error, attempted_at, latency)

    async def close(self) -> None:
        await self._api.close()

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
