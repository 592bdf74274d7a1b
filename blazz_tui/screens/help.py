"""``?``: every binding, from the app's own binding tables (never a hand-kept list)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

PANEL_KEYS = [("1-8", "jump to a panel (tabs on a narrow terminal)"),
              ("tab / shift+tab", "move between panels"),
              ("enter", "details of the selected row"),
              ("s / click a header", "sort the table (again: reverse, then next column)"),
              ("/", "filter the focused table or log; esc clears"),
              ("f  l  o  t", "logs: follow/pause, minimum level, one file/all, stack traces"),
              ("ctrl+p", "command palette: every command")]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-height: 90%; border: round $accent;
                                  background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        seen: set[str] = set()
        for binding in self.app.BINDINGS:
            if isinstance(binding, Binding) and binding.description and binding.key not in seen:
                seen.add(binding.key)
                table.add_row(binding.key_display or binding.key, binding.description)
        for key, what in PANEL_KEYS:
            table.add_row(key, what)
        with VerticalScroll():
            yield Static("[b]blazz-tui keys[/b]\n")
            yield Static(table)
            yield Static("\n[dim]esc closes[/dim]")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
