"""The actions from the keyboard alone, on the simulated stack: each fault taken back to
healthy, previewed and confirmed."""

from __future__ import annotations

import time

from blazz_tui.app import BlazzApp
from blazz_tui.screens.action import ActionScreen
from blazz_tui.sim.layout import Layout
from tests.app.support import app_for, cursor_to, screen_text, until
from tests.fixtures.stack import sim


def state_of(app: BlazzApp, full_name: str) -> str:
    frame = app.frame
    supervisor = frame.snapshot.supervisor if frame else None
    return next((p.state for p in supervisor.processes if p.full_name == full_name), "?") \
        if supervisor else "?"


async def test_a_fatal_worker_is_restarted_with_R_then_y(stack: Layout) -> None:
    sim(stack, "fault", "break-worker", "blazz-queue-default")
    app = app_for(stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: state_of(app, "blazz:blazz-queue-default_00") == "FATAL", 30,
                    lambda: state_of(app, "blazz:blazz-queue-default_00"))
        await pilot.press("2")
        cursor_to(app, "services", "sim/blazz:blazz-queue-default_00")
        await pilot.press("R")
        await until(lambda: isinstance(app.screen, ActionScreen))
        assert "Restart blazz:blazz-queue-default_00" in screen_text(app)
        assert "restart (FATAL)" in screen_text(app)
        await pilot.press("y")
        await until(lambda: "✓ blazz:blazz-queue-default_00: RUNNING" in screen_text(app), 30,
                    lambda: screen_text(app))
        await pilot.press("escape")
        await until(lambda: state_of(app, "blazz:blazz-queue-default_00") == "RUNNING")


async def test_drift_is_synced_with_S_then_y(stack: Layout) -> None:
    # The scheduler's own sync (every 30 s) would race the keys on a loaded machine: stopped,
    # the sync done here is the only one.
    sim(stack, "fault", "stop-worker", "blazz-scheduler")
    sim(stack, "fault", "drift", "6")
    app = app_for(stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: app.frame is not None and app.frame.snapshot.sessions.drift_count
                    == 6, 30)
        await pilot.press("S")
        await until(lambda: isinstance(app.screen, ActionScreen))
        assert "6 accounts to point at their instance" in screen_text(app)
        confirmed = time.time()
        await pilot.press("y")
        await until(lambda: "done in" in screen_text(app), 30)
        await pilot.press("escape")
        await until(lambda: app.frame is not None
                    and app.frame.snapshot.sessions.drift_count == 0, 30)
        logs = app.frame.snapshot.logs  # type: ignore[union-attr]
        # The sync done here is the last one: its age no longer runs toward the stale alert.
        assert logs is not None and logs.last_sync is not None
        assert logs.last_sync.at >= confirmed
