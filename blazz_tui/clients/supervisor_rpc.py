"""supervisord's XML-RPC interface, awaited: the standard library marshals the calls, httpx
carries them over the unix socket (or TCP), and every call has one total deadline.

Shared by the supervisor source and the actions. No thread is involved, so a supervisord that
answers one byte a second is cut off at the deadline like any other coroutine, and nothing of
it outlives the call.
"""

from __future__ import annotations

import asyncio
import xmlrpc.client
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.parsers.expat import ExpatError

from blazz_tui.clients.http import http_transport, httpx
from blazz_tui.fmt import scrub, visible
from blazz_tui.settings import SupervisorEndpoint, redact_url
from blazz_tui.transport.base import (
    Address,
    Dial,
    Transport,
    TransportError,
    describe_error,
)

MAX_BODY = 16 * 1024 * 1024


class RpcHttpError(Exception):
    """supervisord answered, but not with HTTP 200."""

    def __init__(self, status: int, reason: str) -> None:
        # A reason phrase is the server's to write (a proxy may echo the request in it):
        # cut, shown escaped, any credential in it scrubbed.
        reason = scrub(visible(reason[:80]))
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status = status
        self.reason = reason


class RpcGarbageError(Exception):
    """What answered is not supervisord's XML-RPC (HTML, truncated XML, a huge body…)."""


RPC_ERRORS = (OSError, httpx.HTTPError, RpcHttpError, RpcGarbageError, xmlrpc.client.Error)
"""What a call raises for a supervisord that is down, refuses or answers badly."""


class SupervisorClient:
    """One supervisord endpoint. Keeps its HTTP connection between calls; after a failure the
    next call connects afresh."""

    def __init__(self, dial: Dial, address: Address, username: str | None = None,
                 password: str | None = None, handler: str = "/RPC2",
                 timeout: float = 3.0) -> None:
        self._dial = dial
        self.address = address
        self.handler = handler or "/RPC2"
        self.timeout = timeout
        self._auth = (username or "", password or "") if username is not None else None
        self._client: httpx.AsyncClient | None = None

    async def call(self, method: str, *params: Any) -> Any:
        """``method(*params)``; raises ``xmlrpc.client.Fault`` when supervisord refuses it,
        ``TimeoutError`` past the deadline, one of ``RPC_ERRORS`` otherwise."""
        try:
            return await asyncio.wait_for(self._call(method, params), self.timeout)
        except BaseException:
            await self.aclose()  # half a conversation must not be read by the next call
            raise

    async def multicall(self, calls: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Several calls in one round trip; each result is a value or a fault dict
        (supervisord's multicall does not wrap values in one-element lists)."""
        result = await self.call("system.multicall",
                                 [{"methodName": m, "params": list(p)} for m, p in calls])
        if not isinstance(result, list) or len(result) != len(calls):
            got = len(result) if isinstance(result, list) else type(result).__name__
            raise RpcGarbageError(f"system.multicall answered {got} for {len(calls)} calls")
        return result

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _call(self, method: str, params: tuple[Any, ...]) -> Any:
        body = xmlrpc.client.dumps(params, method, allow_none=False).encode()
        client = self._connect()
        request = client.build_request("POST", self.handler, content=body,
                                       headers={"Content-Type": "text/xml"})
        response = await client.send(request, stream=True)
        try:
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_BODY:
                    raise RpcGarbageError(f"answer larger than {MAX_BODY // 2**20} MiB")
        finally:
            await response.aclose()
        if response.status_code != 200:
            raise RpcHttpError(response.status_code, response.reason_phrase)
        try:
            values, _ = xmlrpc.client.loads(bytes(data), use_builtin_types=True)
            return values[0] if len(values) == 1 else list(values)
        except (ExpatError, ValueError, TypeError, IndexError) as exc:
            start = bytes(data[:40]).decode("ascii", "replace")
            raise RpcGarbageError(f"not XML-RPC ({exc}; starts with {start!r})") from None

    def _connect(self) -> httpx.AsyncClient:
        if self._client is None:
            if isinstance(self.address, str):
                base = "http://localhost"
            else:
                host, port = self.address
                base = f"http://{host}:{port}"
            self._client = httpx.AsyncClient(transport=http_transport(self._dial,
                                                                      address=self.address),
                                             base_url=base,
                                             auth=self._auth, timeout=self.timeout,
                                             follow_redirects=False, trust_env=False)
        return self._client


# -- endpoints as configured ------------------------------------------------------------------

@dataclass(frozen=True)
class Endpoint:
    """Where one endpoint is, as parsed from its configured URL."""

    unix_path: str | None
    host: str
    port: int
    handler: str
    username: str | None
    password: str | None


def parse_endpoint(ep: SupervisorEndpoint) -> Endpoint:
    if ep.url.startswith("unix://"):
        return Endpoint(ep.url[len("unix://"):], "", 0, "/RPC2", ep.username, ep.password)
    parts = urlsplit(ep.url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"unsupported supervisor URL {redact_url(ep.url)} "
                         "(use unix:///path/to/supervisor.sock or http://host:9001/RPC2)")
    return Endpoint(None, parts.hostname, parts.port or 80, parts.path or "/RPC2",
                   ep.username if ep.username is not None else parts.username,
                   ep.password if ep.password is not None else parts.password)


class Supervisors:
    """A client per configured endpoint (made on first use, through the transport), and what
    an operator can act on when a call fails, for the supervisor source and the actions."""

    def __init__(self, transport: Transport, timeout: float) -> None:
        self._transport = transport
        self.timeout = timeout
        """Seconds for one whole XML-RPC exchange with one endpoint."""
        self._clients: dict[str, SupervisorClient] = {}

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()

    async def client(self, ep: SupervisorEndpoint) -> SupervisorClient:
        """The endpoint's client (raises ``ValueError`` for a URL that names no
        supervisord); it connects through the transport on its first call."""
        target = parse_endpoint(ep)
        address = target.unix_path if target.unix_path is not None \
            else (target.host, target.port)
        client = self._clients.get(ep.name)
        if client is None:
            client = self._clients[ep.name] = SupervisorClient(
                self._transport.connect, address, target.username, target.password,
                target.handler, self.timeout)
        return client

    def describe_failure(self, exc: BaseException, ep: SupervisorEndpoint) -> str:
        """What an operator can act on, for a call to ``ep`` that raised ``exc`` — never its
        credentials, whatever the answer echoed."""
        target = parse_endpoint(ep)
        return scrub(self._failure(exc, ep), [target.password or ""],
                     [target.username or ""])

    def _failure(self, exc: BaseException, ep: SupervisorEndpoint) -> str:
        url, target = redact_url(ep.url), parse_endpoint(ep)
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            return f"supervisord at {url} did not answer within {self.timeout:g} s"
        exc = os_error(exc) or exc
        path = target.unix_path
        if isinstance(exc, FileNotFoundError) and path is not None:
            return f"no supervisord at {url} (socket not found)"
        if isinstance(exc, PermissionError) and path is not None:
            return (f"permission denied on {path} — the socket is usually root-only (0700); "
                    "run as root or set chmod/chown in [unix_http_server]")
        if isinstance(exc, ConnectionRefusedError):
            hint = "stale socket: supervisord is not running" if path else "connection refused"
            return f"no supervisord at {url} ({hint})"
        if isinstance(exc, RpcHttpError):
            return _http_message(exc, target)
        if isinstance(exc, xmlrpc.client.Fault):
            return f"supervisord at {url} refused the request: {exc.faultString}"
        if isinstance(exc, TransportError):
            return f"cannot reach {url}: {describe_error(exc)}"
        if isinstance(exc, OSError):
            return f"{url}: {describe_error(exc)}"
        return f"{url} did not answer like supervisord ({describe_error(exc)[:100]})"


def os_error(exc: BaseException) -> OSError | None:
    """The operating-system error an HTTP client's exception was raised from, if any
    (httpcore keeps it as the argument of its own exception)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        inner = seen.args[0] if seen.args else None
        seen = seen.__cause__ or (inner if isinstance(inner, BaseException) else None)
    return None


def _http_message(exc: RpcHttpError, target: Endpoint) -> str:
    if exc.status == 401:
        if target.username is None:
            return ("supervisord rejected the credentials (none configured: set username "
                    "and password for this endpoint)")
        return "supervisord rejected the credentials"
    hint = f" (is {target.handler} the XML-RPC path?)" if exc.status == 404 else ""
    return f"supervisord answered {exc}{hint}"
