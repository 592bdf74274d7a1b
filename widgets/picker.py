"""A short list to choose one from (``o`` in the logs: which file), as a modal: arrows or
j/k, enter chooses, esc leaves it as it was."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class Picker(ModalScreen[str | None]):
    BINDINGS = [Binding("escape,q", "dismiss(None)", "Close"),
                Binding("j", "move(1)", show=False), Binding("k", "move(-1)", show=False)]
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

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._choices[event.option_index][1])
