"""httpx as blazz-tui imports it: once, without what it never uses, and with what its first
request would import done beforehand.

- ``httpx/__init__`` tries ``from ._main import main`` for the ``httpx`` command, which loads
  rich, click and pygments when they are installed: ~55 ms of every ``--check``, for a
  command blazz-tui never runs.
- httpcore imports trio, where it is installed, to support it: ~100 ms on a machine that
  happens to have it, for an event loop blazz-tui never runs (it runs on asyncio).
- httpcore imports its network backend (anyio, h11: ~100 modules) on its first request, so
  a first reading's latency would be an import. They are imported here, before any request.

Every connection is made by the transport (``http_transport``): a local target's socket or an
SSH channel's, httpx cannot tell.

A ``None`` in ``sys.modules`` makes an import fail the way httpx and httpcore expect when
those optional parts are missing; the entries are removed again afterwards.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

_HIDDEN = [name for name in ("httpx._main", "trio") if name not in sys.modules]
if "httpx" not in sys.modules:
    for name in _HIDDEN:
        sys.modules[name] = None  # type: ignore[assignment]
try:
    import anyio._backends._asyncio  # noqa: F401 - what anyio.Event() loads on first use
    import h11  # noqa: F401
    import httpcore._backends.anyio  # noqa: F401
    import httpx
finally:
    for name in _HIDDEN:
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]

import anyio.abc  # noqa: E402 - after httpx, which imports it anyway
import httpcore  # noqa: E402
from httpcore._backends.anyio import AnyIOStream  # noqa: E402

from blazz_tui.transport.base import Address, Dial  # noqa: E402

__all__ = ["http_transport", "httpx"]


def http_transport(dial: Dial, *, verify: bool = False,
                   address: Address | None = None) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections come from ``dial``: to the URL's host and port,
    or always to ``address`` (a unix socket, whatever the URL says)."""
    transport = httpx.AsyncHTTPTransport(verify=verify, retries=0)
    # httpx takes no network backend of its own; its pool does, and makes every connection
    # through it (httpcore's public extension point).
    transport._pool._network_backend = _DialBackend(dial, address)
    return transport


class _DialBackend(httpcore.AnyIOBackend):
    def __init__(self, dial: Dial, address: Address | None) -> None:
        self._dial = dial
        self._address = address

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        return await self._open(self._address or (host, port), timeout)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        return await self._open(self._address or path, timeout)

    async def _open(self, address: Address, timeout: float | None) -> AnyIOStream:
        try:
            sock = await self._dial(address, timeout)
        # As httpcore's own backends do: the OS error is the exception's argument.
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.ConnectError(exc) from exc
        kind = anyio.abc.UNIXSocketStream if sock.family == socket.AF_UNIX \
            else anyio.abc.SocketStream
        return AnyIOStream(await kind.from_socket(sock))
