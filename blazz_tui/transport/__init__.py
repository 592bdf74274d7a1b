"""Transports: where the target is. ``make_transport`` picks one from a target's config."""

from __future__ import annotations

from blazz_tui.settings import TargetConfig
from blazz_tui.transport.base import Transport, TransportError
from blazz_tui.transport.local import LocalTransport

__all__ = ["Transport", "TransportError", "make_transport"]


SSH_NOT_YET = "transport 'ssh' is configured but this version can only watch local targets"


def make_transport(target: TargetConfig) -> Transport:
    if target.transport == "ssh":
        raise TransportError(f"target {target.name!r}: {SSH_NOT_YET}")
    return LocalTransport()
