"""The timeline of state changes, newest first."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from blazz_tui.events import Event

TONES = {"OK": "ok", "WARNING": "warn", "CRITICAL": "crit", "UNKNOWN": "muted"}


class EventsPanel(Static):
    events: reactive[tuple[Event, ...]] = reactive((), repaint=False)
    _shown: tuple[Event, ...] | None = None

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, classes="panel")
        self.border_title = "7 Events"

    def watch_events(self, events: tuple[Event, ...]) -> None:
        if events == self._shown:  # data_bind sets it on every frame
            return
        self._shown = events
        style = self.app.tone_style  # type: ignore[attr-defined]
        if not events:
            self.update(Text("no state changes yet", style="dim"))
            return
        text = Text()
        for i, event in enumerate(reversed(events[-200:])):
            if i:
                text.append("\n")
            text.append(event.describe(), style=style(TONES.get(event.status, "")))
        self.update(text)
