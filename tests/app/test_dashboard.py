"""The dashboard on a real simulated stack, driven with Pilot. The tests that only read the
stack share one (``shared_stack``); those that fault it start their own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.dom import DOMNode

from blazz_tui.sim import faults
from blazz_tui.sim.layout import Layout
from tests.app.support import app_for, fixed_app, rows, screen_text, until


async def test_narrow_terminal_shows_one_panel_and_number_keys_switch(
        shared_stack: Layout) -> None:
    app = app_for(shared_stack)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: [r[1] for r in rows(app, "instances")] == ["UP"] * 4)
        await pilot.press("3")
        assert app.query_one("#instances").display and not app.query_one("#queues").display
        await pilot.press("4")
        assert app.query_one("#queues").display and not app.query_one("#instances").display


async def test_instances_not_yet_polled_are_unknown_not_down(shared_stack: Layout) -> None:
    app = app_for(shared_stack)
    assert app.runtime is not None
    app.runtime.collector.sources.pop("instances")  # never polled in this app
    async with app.run_test(size=(120, 40)):
        await until(lambda: app.frame is not None and len(rows(app, "instances")) == 4)
        assert [r[1] for r in rows(app, "instances")] == ["?"] * 4


async def test_wide_terminal_shows_every_panel(shared_stack: Layout) -> None:
    app = app_for(shared_stack)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(lambda: app.frame is not None)
        await pilot.pause()
        for panel in ("services", "instances", "queues", "monitoring", "checks", "events", "logs"):
            assert app.query_one(f"#{panel}").display, panel


async def test_slash_filters_the_focused_table(shared_stack: Layout) -> None:
    app = app_for(shared_stack)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: len(rows(app, "queues")) == 8)
        await pilot.press("4", "slash")
        await pilot.press(*"whatsapp")
        await pilot.press("enter")
        names = [r[0] for r in rows(app, "queues")]
        assert names and all("whatsapp" in n for n in names) and len(names) == 4
        await pilot.press("escape")
        assert len(rows(app, "queues")) == 8


async def test_an_instance_failing_and_recovering_shows_while_the_app_runs(
        stack: Layout) -> None:
    app = app_for(stack)
    port = stack.instance_ports[1]
    async with app.run_test(size=(120, 40)):
        state: Callable[[], dict[str, str]] = lambda: {  # noqa: E731
            r[0]: r[1] for r in rows(app, "instances")}
        await until(lambda: list(state().values()) == ["UP"] * 4)
        faults.apply(stack, "kill-instance", [str(port)])
        await until(lambda: state()[f"wa-{port}"] == "DOWN")
        assert app.frame is not None and app.frame.status.value == "CRITICAL"
        faults.heal(stack)
        await until(lambda: state()[f"wa-{port}"] == "UP")


async def test_sessions_lost_for_real_reach_the_checks_once_both_sources_confirm(
        stack: Layout) -> None:
    app = app_for(stack)
    async with app.run_test(size=(120, 40)):
        checks: Callable[[], dict[str, list[str]]] = lambda: {  # noqa: E731
            r[1]: r for r in rows(app, "checks")}
        await until(lambda: "sessions-lost" in checks())
        faults.apply(stack, "lose-sessions", ["2"])
        # The two end one after the other: a poll between them sees one, not yet confirmed.
        def lost() -> list[str]:
            return checks()["sessions-lost"]

        await until(lambda: lost()[0] == "CRITICAL" and lost()[2].startswith(
            "2 sessions connected in the database"), timeout=30, seen=lost)


async def test_pause_stops_reading_and_the_screen_says_the_moment_of_its_data(
        shared_stack: Layout) -> None:
    app = app_for(shared_stack)
    runtime = app.runtime
    assert runtime is not None
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: app.frame is not None and not app.frame.waiting)
        await pilot.press("p")
        await pilot.pause(1.5)  # a read under way when p was pressed finishes
        reads, frozen = sum(runtime.reads.values()), app.frame
        assert frozen is not None
        await asyncio.sleep(2.5)
        assert sum(runtime.reads.values()) == reads
        assert app.frame is not None
        assert app.frame.snapshot.readings() == frozen.snapshot.readings()
        assert app.frame is frozen  # its ages stop: they are the data's, said so above
        taken = time.strftime("%H:%M:%S", time.localtime(frozen.snapshot.taken_at))
        assert f"PAUSED (p) data as of {taken}" in screen_text(app)
        await pilot.press("p")
        await until(lambda: sum(runtime.reads.values()) > reads)


async def test_each_resize_lays_out_for_the_new_size() -> None:
    from tests.app.support import fixed_app

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for size, narrow in (((80, 24), True), ((200, 60), False), ((120, 40), False),
                             ((100, 30), True)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert app.query_one("#dashboard").has_class("-narrow") is narrow, size
            assert app.query_one("#panel-tabs").display is narrow, size


async def test_unsorted_the_broken_rows_come_first_and_figures_keep_their_order() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert [r[2] for r in rows(app, "services")[:3]] == ["FATAL", "FATAL", "EXITED"]
        assert rows(app, "instances")[0][:2] == ["wa-3003", "DOWN"]
        assert [r[0] for r in rows(app, "queues")[:2]] == ["messaging", "whatsapp-normal"]
        assert rows(app, "monitoring")[0][0] == "scheduler"


async def test_z_zooms_the_focused_panel_onto_the_whole_screen_and_back() -> None:
    from tests.app.support import fixed_app

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "z")
        logs = app.query_one("#logs")
        assert app.query_one("#dashboard").has_class("-zoomed")
        assert logs.region.height >= 30 and not app.query_one("#services").display
        await pilot.press("2")  # the number keys move between zoomed panels
        assert app.query_one("#services").region.height >= 30
        await pilot.press("z")
        assert not app.query_one("#dashboard").has_class("-zoomed")
        assert app.query_one("#logs").region.height < 15 and app.query_one("#services").display


async def test_tab_reaches_every_panel_in_the_order_they_are_numbered_and_drawn() -> None:
    from blazz_tui.widgets.dashboard import PANELS

    from tests.app.support import fixed_app

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        seen: list[str] = []
        for _ in range(len(PANELS)):
            await pilot.press("tab")
            node: DOMNode | None = app.focused
            while node is not None and node.id not in {pid for pid, _ in PANELS}:
                node = node.parent
            seen.append(node.id if node is not None and node.id is not None else "?")
        assert seen == [pid for pid, _ in PANELS]
        titles = [str(app.query_one(f"#{pid}").border_title).split(" ", 1)[0]
                  for pid, _ in PANELS]
        assert titles == [str(n) for n in range(1, len(PANELS) + 1)]
        tops = [app.query_one(f"#{pid}").region.y for pid, _ in PANELS]
        assert tops == sorted(tops)  # reading order: row by row


async def test_an_episode_in_the_alert_log_is_one_line_however_long() -> None:
    from blazz_tui.events import Episode
    from blazz_tui.sim.synthetic import FROZEN
    from tests.app.support import fixed_app, screen_text

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.events = (Episode("sessions-lost", FROZEN - 5, "UNKNOWN", "unknown while the "
                              "session list of wa-3002 cannot be read " * 3),
                      Episode("instance:wa-3002", FROZEN - 9, "CRITICAL", "down"))
        await pilot.pause()
        lines = [line for line in screen_text(app).splitlines() if "(ongoing" in line]
        assert len(lines) == 2
        assert next(line for line in lines if "sessions-lost" in line).rstrip(" │").endswith("…")
