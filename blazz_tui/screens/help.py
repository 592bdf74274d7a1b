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
    HelpScreen > VerticalScroll { width: 90%; max-height: 95%; border: round $accent;
                                  background: $surface; padding: 0 1; }
    """

    def __init__(self, tables: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self._tables = tables
        """(where, bindings): e.g. ("everywhere", App.BINDINGS), ("logs", LogsPanel.BINDINGS)."""

    def compose(self) -> ComposeResult:
        sections = [("anywhere", EXTRA)] + [
            (where, [(b.key_display or b.key.replace(",", " / "),
                      b.description + (f" — {b.tooltip}" if b.tooltip else ""))
                     for b in bindings if isinstance(b, Binding) and b.description])
            for where, bindings in self._tables]
        # Two columns: the app's own keys on the left, the panels' and screens' on the right.
        columns = Table.grid(padding=(0, 3))
        columns.add_column(ratio=1)
        columns.add_column(ratio=1)
        columns.add_row(_keys(sections[:2]), _keys(sections[2:]))
        with VerticalScroll():
            yield Static("[b]blazz-tui keys[/b]")
            yield Static(columns)
            yield Static("\n[dim]esc closes[/dim]")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


def _keys(sections: list[tuple[str, list[tuple[str, str]]]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for where, keys in sections:
        table.add_row("", f"[dim]{where}[/dim]")
        for key, what in keys:
            table.add_row(key, what)
    return table
