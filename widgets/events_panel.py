"""The alert log: one line per episode, newest first."""

from __future__ import annotations

import time
from collections.abc import Callable

from blazz_tui.widgets.tones import tone_style
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from blazz_tui.events import Episode
from blazz_tui.fmt import visible

TONES = {"OK": "ok", "WARNING": "warn", "CRITICAL": "crit", "UNKNOWN": "muted"}


class EventsPanel(Static, can_focus=True):
    events: reactive[tuple[Episode, ...]] = reactive((), repaint=False)
    _shown: tuple[Episode, ...] | None = None

    def __init__(self, *, id: str, clock: Callable[[], float] = time.time) -> None:
        super().__init__(id=id, classes="panel")
        self.border_title = "6 Events"
        self._clock = clock
        """Now, as the durations of the ongoing episodes are counted."""

    _drawn_at = 0.0

    def watch_events(self, events: tuple[Episode, ...]) -> None:
        # data_bind sets it on every frame: draw again when it changed, or every few seconds
        # for the durations of the ongoing ones.
        if events == self._shown and time.monotonic() - self._drawn_at < 5:
            return
        self._shown, self._drawn_at = events, time.monotonic()
        now = self._clock()
        if not events:
            self.update(Text("no alerts yet", style="dim"))
            return
        text = Text(no_wrap=True, overflow="ellipsis")  # one line an episode
        for i, event in enumerate(reversed(events[-200:])):
            if i:
                text.append("\n")
            tone = "muted" if event.over_at is not None else TONES.get(event.status, "")
            text.append(visible(event.describe(now)), style=tone_style(self.app, tone))
        self.update(text)
