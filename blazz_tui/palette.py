"""The command palette's entries: every binding of the app and of its panels, taken from their
own binding tables (never a hand-kept list)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding, BindingType

from blazz_tui.widgets.logs_panel import LogsPanel
from blazz_tui.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from blazz_tui.app import BlazzApp


def _described(bindings: list[BindingType]) -> Iterator[Binding]:
    return (b for b in bindings if isinstance(b, Binding) and b.description)


def binding_commands(app: BlazzApp) -> Iterator[SystemCommand]:
    for b in _described(app.BINDINGS):
        yield SystemCommand(f"{b.description}  ({b.key_display or b.key})", b.tooltip,
                            partial(app.run_later, b.action, app))
    logs = app.query_one(LogsPanel)
    for b in _described(LogsPanel.BINDINGS):
        yield SystemCommand(f"Logs: {b.description}  ({b.key_display or b.key})", b.tooltip,
                            partial(app.run_later, b.action, logs))
    for b in _described(TablePanel.BINDINGS):
        yield SystemCommand(f"Table: {b.description}  ({b.key_display or b.key})",
                            f"in the focused table: "
                            f"{b.tooltip}", partial(app.run_on_table, b.action))
    yield SystemCommand("Details of the selected row  (enter)",
                        "program log, instance sessions, queue jobs and failures",
                        app.details_of_selection)
