"""What the dashboard's widgets receive after each poll: the snapshot and its judgement."""

from __future__ import annotations

from dataclasses import dataclass

from blazz_tui.rules import Check, Status, worst
from blazz_tui.snapshot import Snapshot


@dataclass(frozen=True)
class Frame:
    snapshot: Snapshot
    checks: tuple[Check, ...]
    """Worst first."""
    waiting: tuple[str, ...] = ()
    """Sources that have not answered yet: the screen is not complete until this is empty."""

    @property
    def status(self) -> Status:
        return worst(self.checks)
