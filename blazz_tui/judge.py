"""Judging: a snapshot becomes a frame — settled, evaluated by the rules, retries applied,
worst first, its changes recorded as events.

The one place where this happens, for the dashboard, ``--check`` and ``--snapshot`` alike. The
rules stay pure: what spans polls (consecutive failures, the settling of lost sessions, the
timeline) is kept here and passed to them.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from blazz_tui.correlation import LostSessions
from blazz_tui.events import Timeline
from blazz_tui.fmt import duration, visible
from blazz_tui.frame import Frame, MonitorStats
from blazz_tui.rules import Check, Status, apply_retries, by_severity, evaluate, worst
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.source_kinds import SOURCE_CHECKS


def _visible(check: Check) -> Check:
    """Names and summaries carry what the watched system wrote (queue and program names, its
    answers): control characters are shown escaped, in every output."""
    if check.name.isprintable() and check.summary.isprintable():
        return check
    return replace(check, name=visible(check.name), summary=visible(check.summary))


def _stale(checks: list[Check], snapshot: Snapshot) -> list[Check]:
    """A check built on the last good data of a source that fails now is UNKNOWN and says how
    old that data is; its figures leave the perfdata."""
    stale = {name: r for name, r in snapshot.readings().items() if r.error and r.has_data}
    out = []
    for check in checks:
        reading = stale.get(check.source)
        if reading is not None and check.name not in SOURCE_CHECKS \
                and not check.name.startswith(f"{check.source}:"):
            age = duration(snapshot.taken_at - reading.fetched_at)
            check = replace(check, status=Status.UNKNOWN, perf=(),
                            summary=f"last good {age} ago: {check.summary}")
        out.append(check)
    return out


def _behind_link(checks: list[Check], snapshot: Snapshot) -> list[Check]:
    """With the link down, nothing of the target can be read, for that one reason: the
    link's check says it once, and the others (errors, stale figures) wait for it. Once it
    is up again, a source whose last read failed before it came up waits for its next read."""
    link = snapshot.link
    if link is None:
        return checks
    if not link.up:
        return [c for c in checks if c.name == "link"]
    waiting = {name for name, r in snapshot.readings().items()
               if r.error and link.since and (r.attempted_at or r.fetched_at) < link.since}
    return [c for c in checks if c.source not in waiting]


BADGE_HOLD = 3.0
"""Seconds a new overall status must hold before the header's badge shows it."""


class Badge:
    """The header's overall status, with hysteresis: a busy host's CPU must not flip it
    CRITICAL ↔ WARNING every few seconds. A new status shows once it held ``BADGE_HOLD``
    seconds — except worse because of a Blazz check (not the host's), which shows at once:
    its checks have passed their retries already."""

    def __init__(self) -> None:
        self.shown: Status | None = None
        self._next: tuple[Status, float] | None = None

    def update(self, status: Status, checks: tuple[Check, ...], now: float) -> Status:
        shown = self.shown
        worse = shown is not None and status.rank > shown.rank and any(
            c.status is status and not c.host for c in checks)
        if shown is None or status is shown or worse:
            self.shown, self._next = status, None
        elif self._next is None or self._next[0] is not status:
            self._next = (status, now)
        elif now - self._next[1] >= BADGE_HOLD:
            self.shown, self._next = status, None
        return self.shown or status


class Retries:
    """Consecutive failing polls per check, for the retries a check gets before it is
    CRITICAL: each source attempt counted once however often the frame is built."""

    def __init__(self) -> None:
        self._failures: dict[str, tuple[float, int]] = {}
        """Per check: (the attempt last counted, failing polls in a row)."""

    def count(self, check: str, attempt: float, failing: bool) -> int:
        last_attempt, count = self._failures.get(check, (0.0, 0))
        if attempt != last_attempt:
            count = count + 1 if failing else 0
            self._failures[check] = (attempt, count)
        return count

    def to_data(self) -> dict[str, tuple[float, int]]:
        return dict(self._failures)

    def load_data(self, data: Any) -> None:
        """Restore what ``to_data`` gave; unreadable data is ignored whole."""
        try:
            self._failures = {str(k): (float(v[0]), int(v[1])) for k, v in data.items()}
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return


class Judge:
    def __init__(self, thresholds: Thresholds, retries: Retries | None = None,
                 timeline: Timeline | None = None) -> None:
        self.thresholds = thresholds
        self.badge = Badge()
        self.retries = retries if retries is not None else Retries()
        """The consecutive failing polls of each check (kept between --check runs)."""
        self.timeline = timeline or Timeline()
        self._lost = LostSessions()
        """The instances and the database are read at different moments: a session hosted
        nowhere counts as lost once both have been read again since."""

    def unconfirmed_lost(self, snapshot: Snapshot) -> bool:
        """Whether ``snapshot`` shows sessions hosted nowhere that still need a second read of
        the instances and the database to be called lost (remembering when they were seen)."""
        return self._settled(snapshot).sessions.unconfirmed > 0

    def frame(self, snapshot: Snapshot, waiting: tuple[str, ...] = (),
              monitor: MonitorStats | None = None) -> Frame:
        snapshot = self._settled(snapshot)
        checks = _stale([_visible(c) for c in evaluate(snapshot, self.thresholds)], snapshot)
        checks = _behind_link(checks, snapshot)
        checks = apply_retries(checks, self._failures(checks, snapshot),
                               self.thresholds.retries)
        ordered = tuple(by_severity(checks))
        now = time.time()
        self.timeline.observe(ordered, now)
        badge = self.badge.update(worst(ordered), ordered, now) if not waiting else None
        return Frame(snapshot, ordered, waiting, tuple(self.timeline.events), monitor,
                     self.thresholds, badge)

    def _failures(self, checks: list[Check], snapshot: Snapshot) -> dict[str, int]:
        """Consecutive failing polls per check, each source attempt counted once however
        often the frame is built."""
        readings = snapshot.readings()
        failures = {}
        for check in checks:
            reading = readings.get(check.source)
            attempt = (reading.attempted_at or reading.fetched_at) if reading \
                else snapshot.taken_at
            failures[check.name] = self.retries.count(
                check.name, attempt, check.status is Status.CRITICAL)
        return failures

    def _settled(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with only the lost sessions both sources have confirmed."""
        if snapshot.instances is None or snapshot.database is None:
            return snapshot
        sessions = self._lost.settle(snapshot.sessions, snapshot.instances.fetched_at,
                                     snapshot.database.fetched_at)
        return replace(snapshot, sessions=sessions)
