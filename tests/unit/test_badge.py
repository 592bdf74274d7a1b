"""The header's badge: hysteresis against a flapping host, none against a Blazz failure."""

from __future__ import annotations

from blazz_tui.judge import BADGE_HOLD, Badge
from blazz_tui.rules import Check, Status


def test_the_badge_holds_its_status_until_a_new_one_held_except_a_blazz_failure() -> None:
    host = (Check("host-cpu", Status.CRITICAL, "99 %"),)
    worker = (Check("program:blazz:blazz-queue-worker_00", Status.CRITICAL, "STOPPED"),)
    badge = Badge()
    assert badge.update(Status.WARNING, (), 0.0) is Status.WARNING
    assert badge.update(Status.CRITICAL, host, 1.0) is Status.WARNING  # a host flap waits
    assert badge.update(Status.WARNING, (), 2.0) is Status.WARNING
    assert badge.update(Status.CRITICAL, host, 3.0) is Status.WARNING
    assert badge.update(Status.CRITICAL, host, 3.0 + BADGE_HOLD) is Status.CRITICAL  # it held
    assert badge.update(Status.OK, (), 10.0) is Status.CRITICAL  # better waits too
    assert badge.update(Status.OK, (), 10.0 + BADGE_HOLD) is Status.OK
    assert badge.update(Status.CRITICAL, worker, 14.0) is Status.CRITICAL  # at once
