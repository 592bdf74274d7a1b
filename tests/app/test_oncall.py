"""The on-call screen against the simulated stack: the cause first in the strip, the broken
row in view in its panel, without a key press."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from blazz_tui.widgets.header_bar import ProblemsBar
from blazz_tui.widgets.table_panel import TablePanel
from rich.text import Text
from textual.widgets import DataTable

from blazz_tui.app import BlazzApp
from blazz_tui.sim import faults, laravel
from blazz_tui.sim.layout import Layout
from tests.app.support import app_for, until


def first_strip_line(app: BlazzApp) -> str:
    bar = app.query_one(ProblemsBar)
    return bar._shown.split("\n", 1)[0].strip() if bar.display else ""


def in_view(app: BlazzApp, panel: str, predicate: Callable[[list[str]], bool]) -> bool:
    """Whether a row matching ``predicate`` is drawn in the panel without scrolling."""
    # TablePanel's table (a DataTable[Text]); mypy sees blazz_tui.widgets as untyped here
    table: DataTable[Text] = app.query_one(f"#{panel}", TablePanel).query_one(DataTable)
    visible_rows = table.size.height - 1  # the header
    for index in range(min(table.row_count, visible_rows)):
        if predicate([str(c) for c in table.get_row_at(index)]):
            return table.scroll_offset.y == 0
    return False


@pytest.mark.parametrize("program", ["blazz-queue-worker", "blazz-scheduler"])
async def test_a_stopped_program_is_the_strips_first_line_and_in_view_in_services(
        stack: Layout, program: str) -> None:
    app = app_for(stack)
    async with app.run_test(size=(120, 40)):
        await until(lambda: app.frame is not None and not app.frame.waiting)
        faults.apply(stack, "stop-worker", [program])
        await until(lambda: f" {program} STOPPED" in first_strip_line(app)[:40], timeout=10,
                    seen=lambda: first_strip_line(app))
        assert in_view(app, "services", lambda r: r[1].startswith(program)
                       and r[2] == "STOPPED")


async def test_a_flooded_queue_is_in_view_in_queues(stack: Layout) -> None:
    app = app_for(stack)
    async with app.run_test(size=(120, 40)):
        await until(lambda: app.frame is not None and not app.frame.waiting)
        # Jobs of 5 s each: its two workers take a few a minute, so the queue stays past its
        # critical depth (5,000) however slowly this machine runs the test (a flood of quick
        # jobs raced them: 6,000 fell below it at load 7).
        flood_slowly(stack, "whatsapp-normal", 6_000)
        await until(lambda: first_strip_line(app).startswith("CRITICAL queue:whatsapp-normal"),
                    timeout=60, seen=lambda: first_strip_line(app))
        await until(lambda: in_view(app, "queues", lambda r: r[0] == "whatsapp-normal"
                                    and r[1] != "0"), timeout=30)


def flood_slowly(layout: Layout, queue: str, count: int) -> None:
    """Push ``count`` jobs of 5 s each (the simulated worker's longest) onto ``queue``."""
    app = laravel.App.from_env_file(layout.env_path)
    now = int(time.time())
    rows = [(queue, laravel.payload("App\\Jobs\\SendWhatsAppMessage", {"sim_duration": 5}),
             now, now) for _ in range(count)]
    conn = app.connect()
    try:
        cur = conn.cursor()
        cur.execute("BEGIN")
        cur.executemany("INSERT INTO jobs (queue, payload, attempts, available_at, created_at) "
                        f"VALUES ({app.mark}, {app.mark}, 0, {app.mark}, {app.mark})", rows)
        cur.execute("COMMIT")
    finally:
        conn.close()
