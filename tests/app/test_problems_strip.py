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
