"""What the dashboard's widgets receive: the snapshot, its judgement, the recent events, and
what watching costs."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from blazz_tui.causes import Problem, problems
from blazz_tui.events import Episode
from blazz_tui.rules import Check, Status, worst
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot


@dataclass(frozen=True)
class MonitorStats:
    """blazz-tui's own cost, so an operator on a production box sees what watching costs."""

    cpu_percent: float | None
    """Of one core, since the previous frame (None: no earlier sample yet)."""
    rss: int | None
    loop_lag: float = 0.0
    """Seconds the collection loop lagged at worst since the previous frame."""


@dataclass(frozen=True)
class Frame:
    snapshot: Snapshot
    checks: tuple[Check, ...]
    """Worst first."""
    waiting: tuple[str, ...] = ()
    """Sources that have not answered yet: the screen is not complete until this is empty."""
    events: tuple[Episode, ...] = ()
    """The newest episodes of the alert log, oldest first."""
    monitor: MonitorStats | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    """What the checks were judged against (the monitoring table shows them)."""
    badge: Status | None = None
    """The overall status the header shows, with hysteresis (None: ``status``)."""

    @cached_property
    def problems(self) -> list[Problem]:
        """The failing checks, cause first (``causes``)."""
        return problems(self.checks, self.snapshot)

    @property
    def status(self) -> Status:
        return worst(self.checks)

    @property
    def verdict(self) -> tuple[object, ...]:
        """What must reach the screen at once when it changes: each check's status, and the
        sources still awaited (the first complete screen)."""
        return self.waiting, tuple((c.name, c.status) for c in self.checks)
