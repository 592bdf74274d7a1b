"""The problems strip under pressure: three causes in view on a small terminal, a steady
height while problems come and go, and a narrow line that keeps what happens."""

from __future__ import annotations

from blazz_tui.widgets.header_bar import ProblemsBar

from blazz_tui.app import BlazzApp
from blazz_tui.sim.synthetic import FROZEN, Scenario, frame
from tests.app.support import fixed_app, screen_text


def strip_lines(app: BlazzApp) -> list[str]:
    bar = app.query_one(ProblemsBar)
    start = bar.region.y
    return screen_text(app).splitlines()[start:start + bar.region.height]


async def test_a_small_terminal_keeps_three_causes_in_view() -> None:
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        causes = [line for line in strip_lines(app) if "CRITICAL" in line or "WARNING" in line]
        assert len(causes) >= 3, strip_lines(app)
        assert "2 queues unserved" in causes[0]  # shortened by its names, not its effect


async def test_the_strip_keeps_its_height_when_problems_go() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        height = app.query_one(ProblemsBar).region.height
        app.show_frame(frame(Scenario(), FROZEN + 10))  # all healthy now
        await pilot.pause()
        bar = app.query_one(ProblemsBar)
        assert bar.display and bar.region.height == height  # the panels below do not jump
        assert "all checks OK now" in "\n".join(strip_lines(app))


async def test_a_table_not_being_read_never_sits_scrolled_below_its_failures() -> None:
    from textual.widgets import DataTable

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")  # the operator reads Services; Checks is left scrolled down
        checks = app.query_one("#checks").query_one(DataTable)
        checks.scroll_end(animate=False)
        await pilot.pause()
        assert checks.scroll_y > 0
        app.show_frame(frame(Scenario(degraded=True), FROZEN + 5))
        await pilot.pause()
        await pilot.pause()
        assert checks.scroll_y == 0  # its first rows are its failures


async def test_g_and_G_work_before_any_table_has_the_focus() -> None:
    from textual.widgets import DataTable

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.set_focus(None)
        await pilot.press("G")
        checks = app.query_one("#checks").query_one(DataTable)
        assert checks.has_focus and checks.cursor_row == checks.row_count - 1
