"""Each widget works in a bare Textual app: it knows its inputs (constructor arguments and
reactives bound with ``data_bind``), not the dashboard's app."""

from __future__ import annotations

import time

from blazz_tui.widgets.header_bar import HeaderBar
from blazz_tui.widgets.logs_panel import LogsPanel
from blazz_tui.widgets.table_panel import TablePanel
from rich.text import Text
from textual.app import App, ComposeResult
from textual.reactive import reactive
from textual.widgets import DataTable

from blazz_tui.frame import Frame
from blazz_tui.sim.synthetic import FROZEN, Scenario, frame
from blazz_tui.views import panels

DEGRADED = Scenario(degraded=True)


class Bare(App[None]):
    """A plain app: none of the dashboard's attributes, only a frame to bind."""

    frame: reactive[Frame | None] = reactive(None, always_update=True, repaint=False)

    def compose(self) -> ComposeResult:
        yield HeaderBar("production", "local", True, lambda: FROZEN).data_bind(Bare.frame)
        yield TablePanel("2 Services", lambda f: panels.services(f.snapshot), "supervisor",
                         id="services").data_bind(Bare.frame)
        yield LogsPanel(id="logs").data_bind(Bare.frame)


async def test_the_header_bar_shows_the_target_status_and_clock_in_a_bare_app() -> None:
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        app.frame = frame(DEGRADED)
        await pilot.pause()
        header = app.query_one(HeaderBar)
        assert isinstance(header.content, Text)
        text = header.content.plain
        assert "production" in text and "via local" in text and "read-only" in text
        assert "CRITICAL" in text
        assert time.strftime("%H:%M:%S", time.localtime(FROZEN)) in text  # its clock, given


async def test_a_table_panel_shows_its_rows_in_a_bare_app() -> None:
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        app.frame = frame(DEGRADED)
        await pilot.pause()
        table = app.query_one("#services", TablePanel).query_one(DataTable)
        states = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert table.row_count > 0 and states[0] == "FATAL"  # the broken rows first


async def test_the_logs_panel_shows_the_entries_in_a_bare_app() -> None:
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        app.frame = frame(DEGRADED)
        await pilot.pause()
        lines = [strip.text for strip in app.query_one(LogsPanel).log_view.lines]
        assert any("ERROR" in line for line in lines)
