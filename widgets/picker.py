"""A short list to choose one from (``o`` in the logs: which file), as a modal: arrows or
j/k (g/G the first/last), enter chooses, esc leaves it as it was."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

MOVES = [Binding("j", "move('down')", show=False), Binding("k", "move('up')", show=False),
         Binding("g", "move('first')", show=False), Binding("G", "move('last')", show=False)]
"""As in the tables: j/k a row, g/G the first/last (an ``action_move(where)`` calls ``move``)."""


def move(options: OptionList, where: str) -> None:
    {"down": options.action_cursor_down, "up": options.action_cursor_up,
     "first": options.action_first, "last": options.action_last}[where]()


class Picker(ModalScreen[str | None]):
    BINDINGS = [Binding("escape,q", "dismiss(None)", "Close"), *MOVES]
    DEFAULT_CSS = """
    Picker { align: center middle; }
    Picker > OptionList { width: auto; min-width: 40; max-width: 90%; height: auto;
                          max-height: 80%; border: round $accent; }
    """

    def __init__(self, title: str, choices: list[tuple[str, str]], current: str) -> None:
        """``choices``: (label, value); the value ``current`` is highlighted."""
        super().__init__()
        self._title = title
        self._choices = choices
        self._current = current

    def compose(self) -> ComposeResult:
        options = OptionList(*(Option(label, id=str(i))
                               for i, (label, _) in enumerate(self._choices)))
        options.border_title = self._title
        yield options

    def on_mount(self) -> None:
        values = [value for _, value in self._choices]
        options = self.query_one(OptionList)
        options.highlighted = values.index(self._current) if self._current in values else 0
        options.focus()

    def action_move(self, where: str) -> None:
        move(self.query_one(OptionList), where)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._choices[event.option_index][1])
