"""``?``: every binding, from the binding tables of the app, its panels and its screens
(never a hand-kept list)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA = [("tab / shift+tab", "move between panels"),
         ("enter", "details of the selected row"),
         ("click a header", "sort by that column (again: reverse)"),
         ("ctrl+p", "command palette: every command")]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-height: 90%; border: round $accent;
                                  background: $surface; padding: 0 1; }
    """

    def __init__(self, tables: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self._tables = tables
        """(where, bindings): e.g. ("everywhere", App.BINDINGS), ("logs", LogsPanel.BINDINGS)."""

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for where, bindings in self._tables:
            table.add_row("", f"[dim]{where}[/dim]")
            for binding in bindings:
                if isinstance(binding, Binding) and binding.description:
                    key = binding.key_display or binding.key.replace(",", " / ")
                    what = binding.description + (f" — {binding.tooltip}" if binding.tooltip
                                                  else "")
                    table.add_row(key, what)
        table.add_row("", "[dim]anywhere[/dim]")
        for key, what in EXTRA:
            table.add_row(key, what)
        with VerticalScroll():
            yield Static("[b]blazz-tui keys[/b]")
            yield Static(table)
            yield Static("\n[dim]esc closes[/dim]")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
