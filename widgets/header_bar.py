"""The top lines: target, transport, overall status, clock; the host's vitals; the worst checks."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from blazz_tui.widgets.tones import accent_color, tone_style
from rich.console import Group
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from blazz_tui.frame import Frame
from blazz_tui.rules.model import Status
from blazz_tui.views.cells import CRIT, STATUS_TONE
from blazz_tui.views.panels import host_line, key_figures, link_text, monitor_text


class HeaderBar(Static):
    frame: reactive[Frame | None] = reactive(None, always_update=True, repaint=False)
    paused: reactive[bool] = reactive(False, repaint=False)

    def __init__(self, target: str, transport: str, read_only: bool,
                 clock: Callable[[], float] = time.time, notice: str = "") -> None:
        super().__init__(id="header-bar")
        self._target, self._transport, self._read_only = target, transport, read_only
        self._notice = notice
        self._clock = clock

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        self.refresh_line()

    def watch_frame(self) -> None:
        self.refresh_line()

    def watch_paused(self) -> None:
        self.refresh_line()

    def _paused_text(self, line: Text, frame: Frame | None) -> None:
        """``PAUSED (p) data as of 14:02:11`` while paused, next to the status: on a narrow
        line it is kept and the count of checks is cut."""
        if not self.paused:
            return
        warn = f"bold {tone_style(self.app, 'warn')}"
        line.append("  PAUSED (p)", style=warn)
        if frame is not None:  # what is shown is that moment's, not now's
            taken = time.strftime("%H:%M:%S", time.localtime(frame.snapshot.taken_at))
            line.append(f" data as of {taken}", style=warn)

    def refresh_line(self) -> None:
        style = partial(tone_style, self.app)
        line = Text(no_wrap=True, overflow="ellipsis")
        accent = accent_color(self.app)
        badge = "reverse" if self.app.no_color else f"black on {accent}"
        line.append(f" {self._target} ", style=f"bold {badge}")
        line.append(f" via {self._transport}", style="dim")
        if self.frame is not None:
            link, tone = link_text(self.frame.snapshot)
            if link:
                line.append(f" {link}", style=f"bold {style(tone)}" if tone == CRIT else "dim")
        if self._read_only:
            line.append("  read-only", style="bold")
        if self._notice:
            line.append(f"  {self._notice}", style=f"bold {style('warn')}")
        frame = self.frame
        if frame is None or frame.waiting:
            line.append("  collecting…", style="dim")
            self._paused_text(line, frame)
            if frame is not None:
                line.append(f" waiting for {', '.join(frame.waiting)}", style="dim")
        else:
            status = frame.badge or frame.status
            line.append("  ")
            line.append(f" {status.value} ", style=f"reverse {style(STATUS_TONE[status])}")
            self._paused_text(line, frame)
            bad = [c for c in frame.checks if c.status is not Status.OK]
            line.append(f"  {len(bad)} of {len(frame.checks)} checks need attention"
                        if bad else f"  all {len(frame.checks)} checks OK", style="dim")
        line.append(f"  {time.strftime('%H:%M:%S', time.localtime(self._clock()))}", style="dim")
        lines = [line]
        if frame is not None:
            second = Text(" ", no_wrap=True, overflow="ellipsis")
            for figure, tone in key_figures(frame.snapshot, frame.thresholds):
                second.append(figure, style=style(tone) if tone else "bold")
                second.append("  ")
            host, tone = host_line(frame.snapshot)
            second.append(host, style=style(tone) if tone else "dim")
            if frame.monitor is not None:
                second.append(f"  {monitor_text(frame.monitor)}", style="dim")
            lines.append(second)
        for text in lines:  # one line each, however narrow: the clock goes, not the layout
            text.truncate(self.size.width or self.app.size.width, overflow="ellipsis")
        self.update(Text("\n").join(lines), layout=False)  # a fixed height: no layout pass


class ProblemsBar(Static):
    """The problems, cause first, one line each — at least three on a short terminal —
    hidden when all is OK. Its height holds for ``HOLD`` seconds after it last needed it, so
    the panels below do not jump as problems come and go."""

    frame: reactive[Frame | None] = reactive(None, always_update=True, repaint=False)
    SHORT_SCREEN = 30
    HOLD = 30.0
    _shown = ""

    def __init__(self, *, id: str, most: int = 5) -> None:
        super().__init__(id=id)
        self._most = most
        """Lines at most (four on a short terminal)."""
        self._needed: list[tuple[float, int]] = []
        """(when, lines needed) over the last ``HOLD`` seconds."""

    def watch_frame(self, frame: Frame | None) -> None:
        found = frame.problems if frame else []
        limit = min(self._most, 4 if self.app.size.height < self.SHORT_SCREEN else 5)
        now = time.monotonic()
        self._needed = [(at, n) for at, n in self._needed if now - at < self.HOLD]
        self._needed.append((now, min(len(found), limit)))
        height = max(n for _, n in self._needed)
        self.display = height > 0
        if not height:
            return
        style = partial(tone_style, self.app)
        shown = found if len(found) <= height else found[:height - 1]
        width = self.app.size.width - 11  # the border and the status
        lines = []
        for problem in shown:
            cause, effects = problem.fitted(width)
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f" {problem.status.value:<8} ", style=style(STATUS_TONE[problem.status]))
            line.append(cause, style="bold")
            if effects:
                line.append(f" → {effects}")
            lines.append(line)
        if len(found) > len(shown):
            lines.append(Text(f" … and {len(found) - len(shown)} more (press 1 for all checks)",
                              style="dim", no_wrap=True, overflow="ellipsis"))
        if not found:
            lines.append(Text(" all checks OK now", style="dim", no_wrap=True))
        lines += [Text("")] * (height - len(lines))
        plain = "\n".join(line.plain for line in lines)
        if plain != self._shown:  # a layout pass (auto height) only when the text changed
            self._shown = plain
            self.update(Group(*lines))
