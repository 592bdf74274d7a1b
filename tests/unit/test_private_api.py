"""The private attributes of httpx, httpcore, anyio and asyncssh that blazz-tui uses are still
there, and still do what it uses them for: a failure here names the module to fix, so an
upgrade breaks here, loudly, rather than as a source that silently never connects."""

from __future__ import annotations

import importlib
import inspect
import socket

import httpcore
import httpx
import pytest

from blazz_tui.transport.base import Address


def test_httpx_transport_pool_has_network_backend_used_by_clients_http() -> None:
    pool = httpx.AsyncHTTPTransport(verify=False, retries=0)._pool
    backend = getattr(pool, "_network_backend", None)
    assert isinstance(backend, httpcore.AsyncNetworkBackend), (
        f"httpx {httpx.__version__} / httpcore {httpcore.__version__}: "
        "AsyncHTTPTransport()._pool._network_backend is gone or no AsyncNetworkBackend; "
        "blazz_tui/clients/http.py (http_transport) sets it to dial every connection itself")


async def test_every_connection_of_http_transport_goes_through_its_dial() -> None:
    from blazz_tui.clients.http import http_transport

    dialled: list[Address] = []

    async def dial(address: Address, timeout: float | None) -> socket.socket:
        dialled.append(address)
        raise ConnectionRefusedError("refused by the test's dial")

    transport = http_transport(dial)  # were the dial bypassed, port 9 refuses at once
    with pytest.raises(httpx.ConnectError):
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1:9/"))
    assert dialled == [("127.0.0.1", 9)], (
        "httpcore's pool did not connect through _network_backend: "
        "blazz_tui/clients/http.py (http_transport) no longer routes connections to its dial")


def test_httpcore_anyio_stream_is_a_network_stream_made_from_a_byte_stream() -> None:
    module = importlib.import_module("httpcore._backends.anyio")
    stream = getattr(module, "AnyIOStream", None)
    assert isinstance(stream, type) and issubclass(stream, httpcore.AsyncNetworkStream), (
        f"httpcore {httpcore.__version__}: httpcore._backends.anyio.AnyIOStream is gone; "
        "blazz_tui/clients/http.py wraps each dialled socket in it")
    assert list(inspect.signature(stream).parameters) == ["stream"], (
        "httpcore._backends.anyio.AnyIOStream(stream) changed its signature; "
        "blazz_tui/clients/http.py calls it with the anyio socket stream")


def test_anyio_asyncio_backend_module_is_importable_for_clients_http() -> None:
    assert importlib.import_module("anyio._backends._asyncio"), (
        "anyio._backends._asyncio is gone; blazz_tui/clients/http.py imports it beforehand "
        "so that a first reading's latency is not an import")


def test_asyncssh_connection_has_make_global_request_used_by_transport_ssh() -> None:
    import asyncssh

    request = getattr(asyncssh.SSHClientConnection, "_make_global_request", None)
    assert callable(request) and inspect.iscoroutinefunction(request), (
        f"asyncssh {asyncssh.__version__}: SSHClientConnection._make_global_request is gone or "
        "no coroutine; blazz_tui/transport/ssh.py (_ping) awaits it to time the link's round "
        "trip with a keepalive@openssh.com request")
    parameters = list(inspect.signature(request).parameters.values())
    assert [p.name for p in parameters[:2]] == ["self", "request"], (
        f"asyncssh {asyncssh.__version__}: _make_global_request(self, request, ...) changed "
        "its signature; blazz_tui/transport/ssh.py (_ping) passes the request name")
