"""Transports: where the target is. ``make_transport`` picks one from a target's config;
``open_target`` also completes a remote target from the server's ``.env``."""

from __future__ import annotations

import asyncio
import posixpath

from blazz_tui.laravel_env import remote_target
from blazz_tui.settings import TargetConfig
from blazz_tui.transport.base import Transport, TransportError
from blazz_tui.transport.local import LocalTransport

__all__ = ["Transport", "TransportError", "complete", "make_transport", "open_target"]

ENV_LIMIT = 1024 * 1024
"""Bytes of a ``.env`` read, at most."""


def make_transport(target: TargetConfig) -> Transport:
    if target.transport == "ssh" and target.ssh is not None:
        from blazz_tui.transport.ssh import SshTransport  # asyncssh only for a remote target

        return SshTransport(target.ssh)
    return LocalTransport()


async def complete(target: TargetConfig, transport: Transport,
                   timeout: float) -> tuple[TargetConfig, str | None]:
    """``target``, completed from the server's ``.env`` when it names only its link and
    ``app_dir``; and a warning when that file could not be read (the defaults are used)."""
    if not target.remote_env:
        return target, None
    env_path = posixpath.join(target.app_dir, ".env")
    try:
        env = await asyncio.wait_for(_text(transport, env_path), timeout)
    except (OSError, TimeoutError) as exc:
        why = "no answer in time" if isinstance(exc, TimeoutError) else \
            (exc.strerror or str(exc))
        return target, (f"target {target.name!r}: cannot read {env_path} through the link "
                        f"({why}); watching the built-in defaults")
    try:
        node = await asyncio.wait_for(
            _text(transport, posixpath.join(target.app_dir, "whatsapp-service", ".env")),
            timeout)
    except (OSError, TimeoutError):
        node = ""
    return remote_target(target, env, node), None


def open_target(target: TargetConfig,
                timeout: float | None = None) -> tuple[TargetConfig, Transport, str | None]:
    """For a caller outside an event loop (the dashboard, ``--check``): the transport, the
    completed target, and a warning. The link used to read the ``.env`` is closed again: the
    runtime's event loop connects anew."""
    transport = make_transport(target)
    if not target.remote_env:
        return target, transport, None
    limit = timeout if timeout is not None else \
        (target.ssh.connect_timeout + 5.0 if target.ssh else 10.0)

    async def read() -> tuple[TargetConfig, str | None]:
        try:
            return await complete(target, transport, limit)
        finally:
            await transport.close()

    completed, warning = asyncio.run(read())
    return completed, transport, warning


async def _text(transport: Transport, path: str) -> str:
    return (await transport.read_range(path, 0, ENV_LIMIT)).decode("utf-8", "replace")
