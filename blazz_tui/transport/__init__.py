"""Transports: where the target is. ``make_transport`` picks one from a target's config."""

from __future__ import annotations

from blazz_tui.settings import TargetConfig
from blazz_tui.transport.base import Transport, TransportError
from blazz_tui.transport.local import LocalTransport

__all__ = ["Transport", "TransportError", "make_transport"]


def make_transport(target: TargetConfig) -> Transport:
    if target.transport == "ssh":
        from blazz_tui.transport.ssh import SshTransport

        assert target.ssh is not None  # the config loader guarantees it
        return SshTransport(target.ssh)
    return LocalTransport()
