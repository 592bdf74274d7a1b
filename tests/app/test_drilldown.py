"""Enter on a row opens its details; the details follow new frames; esc goes back.

Fixed data (``sim.synthetic``) for what the snapshot holds; the simulated stack for what is
read on demand (a program's log from supervisord, a queue's jobs from the database).
"""

from __future__ import annotations

from textual.widgets import DataTable

from blazz_tui.app import BlazzApp, SnapshotUpdated
from blazz_tui.screens.details import DetailsScreen
from blazz_tui.sim import faults
from blazz_tui.sim.layout import Layout
from blazz_tui.sim.synthetic import Scenario, frame
from tests.app.support import app_for, cursor_to, fixed_app, rows, screen_text, until


def details_rows(app: BlazzApp) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_enter_on_a_down_instance_lists_the_sessions_assigned_to_it() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        cursor_to(app, "instances", "wa-3003")
        await pilot.press("enter")
        assert isinstance(app.screen, DetailsScreen) and app.screen.key == "wa-3003"
        sessions = details_rows(app)
        assert len(sessions) == 33
        notes = {r[3] for r in sessions}
        assert notes == {"unreachable: this instance's session list cannot be read",
                         "assigned here, hosted on wa-3002"}
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailsScreen)


async def test_instance_details_follow_new_frames() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        cursor_to(app, "instances", "wa-3003")
        await pilot.press("enter")
        assert "DOWN" in screen_text(app)
        app.post_message(SnapshotUpdated(frame(Scenario())))
        await pilot.pause()
        await pilot.pause()
        assert "UP" in screen_text(app) and "DOWN" not in screen_text(app)
        assert {r[3] for r in details_rows(app)} == {"ok"}


async def test_enter_on_a_check_shows_its_perfdata() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")
        cursor_to(app, "checks", "message-latency")  # one with perfdata: 0.31 s, > 0.3 s
        await pilot.press("enter")
        assert isinstance(app.screen, DetailsScreen) and app.screen.key == "message-latency"
        perfdata = [r for r in details_rows(app) if r and r[0] == "message_latency"]
        assert perfdata == [["message_latency", "0.31s", "0.15", "0.3"]]


async def test_enter_on_a_worker_shows_its_log_from_supervisord(stack: Layout) -> None:
    app = app_for(stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: any(r[1] == "blazz-queue-default_00" for r in rows(app, "services")))
        await pilot.press("2")
        cursor_to(app, "services", "sim/blazz:blazz-queue-default_00")
        await pilot.press("enter")
        assert isinstance(app.screen, DetailsScreen)
        # The log is read again as often as supervisord is polled: the new worker's first
        # lines appear without leaving the screen.
        await until(lambda: "stdout log  last" in screen_text(app), timeout=30)
        assert "queue:work" in screen_text(app)


async def test_enter_on_an_unserved_queue_lists_its_oldest_jobs(stack: Layout) -> None:
    faults.apply(stack, "stop-worker", ["blazz-queue-worker"])
    faults.apply(stack, "flood-queue", ["messaging", "50"])
    app = app_for(stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: len(rows(app, "queues")) == 8 and any(
            r[0] == "messaging" and r[1] != "0" for r in rows(app, "queues")))
        await pilot.press("4")
        cursor_to(app, "queues", "messaging")  # rows move as the queue turns critical
        await pilot.press("enter")
        assert isinstance(app.screen, DetailsScreen)
        await until(lambda: len(app.screen.query(DataTable)) >= 1)
        jobs = details_rows(app)
        assert len(jobs) == 20 and all(r[4] in ("pending", "reserved") or
                                       r[4].startswith("delayed") for r in jobs)
        assert "NO RUNNING WORKER" in screen_text(app)


async def test_q_in_details_goes_back_and_only_then_quits() -> None:
    from tests.app.support import fixed_app

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3", "enter")
        assert isinstance(app.screen, DetailsScreen)
        await pilot.press("q")
        assert not isinstance(app.screen, DetailsScreen) and app.is_running


async def test_a_session_listed_twice_by_an_instance_does_not_break_its_details() -> None:
    from dataclasses import replace

    broken = frame(Scenario())
    instances = broken.snapshot.instances
    assert instances is not None
    first = instances.instances[0]
    assert first.sessions
    twice = replace(first, sessions=first.sessions + first.sessions[:1])  # a hostile list
    broken = replace(broken, snapshot=replace(broken.snapshot, instances=replace(
        instances, instances=(twice, *instances.instances[1:]))))
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(SnapshotUpdated(broken))
        await pilot.pause()
        await pilot.press("3")
        cursor_to(app, "instances", first.name)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        assert len(details_rows(app)) == len(first.sessions) + 1


async def test_the_details_keep_the_header_and_the_problems_strip() -> None:
    from blazz_tui.widgets.header_bar import ProblemsBar

    from tests.app.support import fixed_app

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3", "enter")
        assert isinstance(app.screen, DetailsScreen)
        text = screen_text(app)
        assert text.splitlines()[0].startswith(" production  via local   CRITICAL")
        assert app.screen.query_one(ProblemsBar).display
        assert "blazz-queue-worker FATAL (2 processes) →" in text
