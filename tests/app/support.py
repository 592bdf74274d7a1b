"""What the dashboard tests share: apps over fixed data or a simulated stack, and readers of
what they show."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from blazz_tui.widgets.table_panel import TablePanel
from textual.widgets import DataTable

from blazz_tui import compose
from blazz_tui.actions.run import ActionEnv, AuditLog
from blazz_tui.app import BlazzApp, make_app
from blazz_tui.config import load_config
from blazz_tui.runtime import Runtime
from blazz_tui.screen_export import export_screen
from blazz_tui.sim.layout import Layout
from blazz_tui.sim.synthetic import Scenario, frame, target

DEGRADED = Scenario(degraded=True)


def runtime_for(layout: Layout) -> Runtime:
    """A runtime polling a simulated stack, as the dashboard's."""
    config = load_config(str(layout.config_path))
    runtime, _ = compose.runtime_for(config, config.target())
    return runtime


def app_for(layout: Layout) -> BlazzApp:
    """The dashboard polling a simulated stack, its actions audited in the stack's state."""
    config = load_config(str(layout.config_path))
    runtime = runtime_for(layout)
    actions = ActionEnv(runtime.collector.target, runtime.collector.transport,
                        config.actions, audit=AuditLog(config.audit_path))
    return make_app(runtime.collector.target, runtime, actions=actions)


def fixed_app(scenario: Scenario = DEGRADED, accent: str | None = None) -> BlazzApp:
    """The dashboard showing one fixed frame (``sim.synthetic``), never polling."""
    cfg = target(scenario) if accent is None else replace(target(scenario), accent=accent)
    return make_app(cfg, frame=frame(scenario))


async def until(condition: Callable[[], bool], timeout: float = 15.0,
                seen: Callable[[], object] = lambda: "") -> None:
    """Wait for ``condition``; past ``timeout`` fail, saying what ``seen`` shows then."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"condition not met in time {seen()}"
        await asyncio.sleep(0.1)


def rows(app: BlazzApp, panel: str) -> list[list[str]]:
    table = app.query_one(f"#{panel}", TablePanel).query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def cursor_to(app: BlazzApp, panel: str, key: str) -> None:
    """Put the cursor of a panel's table on the row ``key``, wherever it is sorted."""
    table = app.query_one(f"#{panel}", TablePanel).query_one(DataTable)
    table.move_cursor(row=table.get_row_index(key))


def screen_text(app: BlazzApp) -> str:
    """The whole screen as plain text, as --snapshot PATH.txt would write it."""
    return export_screen(app, ".txt")
