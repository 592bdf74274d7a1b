"""A yes/no question before anything changes the watched system (restart, sync, rebalance).

``No`` has the focus, so a stray Enter changes nothing; ``y`` confirms, ``n`` or esc cancels.
The target's name is in the question: an operator sees where the action would run.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "", *, target: str = "",
                 verb: str = "Yes") -> None:
        super().__init__()
        self.question, self.detail, self.target, self.verb = question, detail, target, verb

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            if self.target:
                yield Static(Text.assemble("on target ", (self.target, "bold")),
                             id="confirm-target")
            yield Static(self.question, id="confirm-question", markup=False)
            if self.detail:
                yield Static(self.detail, id="confirm-detail", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.verb} (y)", id="yes", variant="error")
                yield Button("No (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
