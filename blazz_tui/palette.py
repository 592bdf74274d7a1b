"""The command palette's entries: every binding of the app and of its panels, taken from their
own binding tables (never a hand-kept list). Any app with a logs panel will do: it is handed
what the palette cannot know (how a table action finds its table, how details open)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from blazz_tui.widgets.logs_panel import LogsPanel
from blazz_tui.widgets.table_panel import TablePanel


def _described(bindings: list[BindingType]) -> Iterator[Binding]:
    return (b for b in bindings if isinstance(b, Binding) and b.description)


def run_later(app: App[Any], action: str, target: DOMNode) -> None:
    """Run ``action`` on ``target`` once the palette has closed."""
    app.call_later(app.run_action, action, target)


def binding_commands(app: App[Any], on_table: Callable[[str], None],
                     details: Callable[[], None]) -> Iterator[SystemCommand]:
    """The palette's entries; ``on_table`` runs an action on the focused table, ``details``
    opens the details of the selected row."""
    for b in _described(app.BINDINGS):
        yield SystemCommand(f"{b.description}  ({b.key_display or b.key})", b.tooltip,
                            partial(run_later, app, b.action, app))
    logs = app.query_one(LogsPanel)
    for b in _described(LogsPanel.BINDINGS):
        yield SystemCommand(f"Logs: {b.description}  ({b.key_display or b.key})", b.tooltip,
                            partial(run_later, app, b.action, logs))
    for b in _described(TablePanel.BINDINGS):
        yield SystemCommand(f"Table: {b.description}  ({b.key_display or b.key})",
                            f"in the focused table: "
                            f"{b.tooltip}", partial(on_table, b.action))
    yield SystemCommand("Details of the selected row  (enter)",
                        "program log, instance sessions, queue jobs and failures", details)
