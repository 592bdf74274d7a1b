"""The WhatsApp-service instances' HTTP API, spoken for whoever needs it: the instances and
messages sources read through it (``/health``, ``/health/sessions``, ``/metrics``) and the
actions ask through it (a session's status, stop, start). Every connection is made by the
target's transport; credentials in an instance's URL go in an Authorization header, never
on the wire's URL. Answers are bounded (``MAX_BODY``, inflated a piece at a time) and their
JSON checked (``parse_json``)."""

from __future__ import annotations

import asyncio
import json
import math
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from blazz_tui.clients.http import http_transport, httpx
from blazz_tui.fmt import visible
from blazz_tui.settings import InstanceConfig
from blazz_tui.transport.base import Transport

MAX_BODY = 8 * 1024 * 1024


class InstanceError(Exception):
    """An instance answered, but not usably."""


class InstanceApi:
    """One HTTP client for a target's instances (opened at the first request), each request
    within ``timeout`` seconds."""

    def __init__(self, instances: tuple[InstanceConfig, ...], transport: Transport,
                 timeout: float) -> None:
        self._instances = instances
        self._transport = transport
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    @staticmethod
    def base_url(url: str) -> str:
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
        self.open()
        headers = {"X-Api-Key": cfg.api_key} if cfg.api_key else {}
        base = self.base_url(cfg.url)
        return await asyncio.wait_for(
            self.get_json(f"{base}{path}", headers, cfg.url, method, body), self.timeout)

    def open(self) -> None:
        if self._client is None:
            # Certificates are loaded only for https instances: building the TLS context
            # costs ~40 ms, a third of the first poll on a local stack.
            tls = any(i.url.lower().startswith("https:") for i in self._instances)
            self._client = httpx.AsyncClient(
                transport=http_transport(self._transport.connect, verify=tls),
                timeout=self.timeout, follow_redirects=False, trust_env=False)

    async def text(self, cfg: InstanceConfig, path: str) -> tuple[int, str]:
        """A plain-text page of the instance (``/metrics``): (HTTP status, its text)."""
        self.open()
        headers = {"X-Api-Key": cfg.api_key} if cfg.api_key else {}
        status, body = await asyncio.wait_for(
            self._get(f"{self.base_url(cfg.url)}{path}", headers, cfg.url), self.timeout)
        return status, body.decode("utf-8", "replace")

    async def get_json(self, url: str, headers: dict[str, str], original: str,
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

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


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
