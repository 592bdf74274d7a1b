"""The ``/`` field: filters one panel (a table or the log) as you type; enter keeps the filter,
esc (the app's binding) clears it."""

from __future__ import annotations

from typing import TypeAlias

from blazz_tui.widgets.logs_panel import LogsPanel
from blazz_tui.widgets.table_panel import TablePanel
from textual.message import Message
from textual.widgets import Input

Filterable: TypeAlias = TablePanel | LogsPanel


class FilterBar(Input):
    class Done(Message):
        """Enter: the filter is kept; the panel gets the focus back."""

        def __init__(self, panel: Filterable) -> None:
            super().__init__()
            self.panel = panel

    def __init__(self) -> None:
        super().__init__(id="filter")
        self.panel: Filterable | None = None

    def on_mount(self) -> None:
        self.display = False

    def start(self, panel: Filterable) -> None:
        self.panel = panel
        self.value = panel.filter_text
        self.placeholder = f"filter {panel.border_title}… (enter keeps it, esc clears)"
        self.display = True
        self.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.panel is not None:
            self.panel.filter_text = event.value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.display = False
        if self.panel is not None:
            self.post_message(self.Done(self.panel))

    def clear(self) -> Filterable | None:
        """Hide and empty the field; the panel it was filtering, if any."""
        self.value = ""
        self.display = False
        return self.panel
