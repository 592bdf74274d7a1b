"""supervisord's XML-RPC interface, awaited: the standard library marshals the calls, httpx
carries them over the unix socket (or TCP), and every call has one total deadline.

Shared by the supervisor source and the actions. No thread is involved, so a supervisord that
answers one byte a second is cut off at the deadline like any other coroutine, and nothing of
it outlives the call.
"""

from __future__ import annotations

import asyncio
import xmlrpc.client
from typing import Any
from xml.parsers.expat import ExpatError

from blazz_tui.clients.http import http_transport, httpx
from blazz_tui.fmt import scrub, visible
from blazz_tui.transport.base import Address, Dial

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
