"""Log entries as they arrive: level colours, stack traces folded, follow/pause, level and
text filters, one file or all."""

from __future__ import annotations

import time
from collections import Counter

from blazz_tui.widgets.picker import Picker
from blazz_tui.widgets.table_panel import set_subtitle
from blazz_tui.widgets.tones import tone_style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.reactive import Reactive, reactive
from textual.widgets import RichLog

from blazz_tui.fmt import size, visible
from blazz_tui.frame import Frame
from blazz_tui.sources.logs import ERROR_LEVELS, LogEntry
from blazz_tui.views.cells import MUTED, freshness

LEVELS = ("", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY")
TONES = {"WARNING": "warn", "NOTICE": "", "ERROR": "crit", "CRITICAL": "crit", "ALERT": "crit",
         "EMERGENCY": "crit", "DEBUG": "muted"}
MIN_LEVELS = ("", "INFO", "WARNING", "ERROR")
KEEP = 2000
"""Lines the panel keeps: as many entries as the logs source keeps."""
BURST = 500
"""New lines written at most per refresh while following; older ones are skipped (said so)."""


class TailLog(RichLog):
    """A RichLog whose growth repaints itself instead of laying out the whole screen again.

    Every written line changes the virtual height; Textual's default makes that a layout of
    every widget and a full repaint, which at a line a second was most of the dashboard's
    CPU. Only the log's own scrollbars depend on it (their appearing still lays out)."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
        Binding("ctrl+d", "page_down", "Page down", show=False),
        Binding("ctrl+u", "page_up", "Page up", show=False),
    ]

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)
        self.refresh()


class LogsPanel(Vertical):
    DEFAULT_CSS = """
    LogsPanel { height: 1fr; }
    LogsPanel > RichLog { height: 1fr; }
    """
    BINDINGS = [
        Binding("f", "toggle_follow", "Follow", tooltip="follow new lines or hold the view"),
        Binding("l", "cycle_level", "Level", tooltip="minimum level: all, INFO, WARNING, ERROR"),
        Binding("o", "pick_file", "File", tooltip="choose one log file, or all"),
        Binding("t", "toggle_traces", "Traces", tooltip="unfold or fold stack traces"),
    ]

    frame: reactive[Frame | None] = reactive(None, always_update=True, repaint=False)
    filter_text: reactive[str] = reactive("")
    follow: reactive[bool] = reactive(True)
    min_level: reactive[str] = reactive("")
    only_file: reactive[str] = reactive("")
    show_traces: reactive[bool] = reactive(False)

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, classes="panel")
        self.border_title = "7 Logs"
        self._entries: list[LogEntry] = []
        self._noted = False
        """Whether the log shows the no-match note instead of lines (rewritten as lines come)."""
        self._held_at: float | None = None
        """When ``f`` held the view: the moment of the data it shows."""
        self._unseen = 0
        """Lines that came, and would be shown, since the view was held."""

    def compose(self) -> ComposeResult:
        yield TailLog(max_lines=KEEP, wrap=False, markup=False, auto_scroll=True)

    @property
    def log_view(self) -> RichLog:
        return self.query_one(RichLog)

    def watch_frame(self, frame: Frame | None) -> None:
        if frame is None:
            return
        logs = frame.snapshot.logs
        text, tone = freshness(logs, frame.snapshot.taken_at)
        set_subtitle(self, self._subtitle(text))
        self.set_class(tone != MUTED, "-failed")
        if logs is None:
            return
        new = _new_entries(self._entries, logs.entries)
        if not new:
            return
        self._entries = _newest_of_each_file(self._entries + new, KEEP)
        if not self.follow:
            self._unseen += sum(1 for e in new if self._visible(e))
            set_subtitle(self, self._subtitle(text))
        elif self._noted:
            self._rerender()
        else:
            self._write(new, burst=BURST)

    def _subtitle(self, freshness_text: str) -> str:
        parts = [freshness_text]
        if not self.follow:
            held = "" if self._held_at is None else \
                time.strftime(" at %H:%M:%S", time.localtime(self._held_at))
            parts.append(f"PAUSED (f){held}" + (f", {self._unseen:,} new lines since"
                                                if self._unseen else ""))
        if self.min_level:
            parts.append(f"≥{self.min_level}")
        if self.only_file:
            parts.append(self.only_file.rsplit("/", 1)[-1])
        if self.filter_text:
            parts.append(f"/{self.filter_text}")
        return " · ".join(parts)

    def _visible(self, entry: LogEntry) -> bool:
        if self.min_level and LEVELS.index(entry.level if entry.level in LEVELS else "") \
                < LEVELS.index(self.min_level):
            return False
        if self.only_file and entry.file != self.only_file:
            return False
        if self.filter_text:
            needle = self.filter_text.lower()
            return needle in entry.message.lower() or any(needle in d.lower()
                                                          for d in entry.detail)
        return True

    def _write(self, entries: list[LogEntry], burst: int | None = None) -> None:
        """Append the visible ones of ``entries``, in one write (RichLog's cost is mostly per
        call). Beyond ``burst`` lines, only the newest are written, after a line saying how
        many were skipped: a writer of thousands of lines a second would otherwise cost the
        dashboard most of a core and its keys a noticeable delay."""
        visible = [e for e in entries if self._visible(e)]
        skipped = max(0, len(visible) - burst) if burst else 0
        lines = [line for entry in visible[skipped:] for line in self._lines(entry)]
        if skipped:
            errors = sum(1 for e in visible[:skipped] if e.level in ERROR_LEVELS)
            among = f", {errors:,} of them errors" if errors else ""
            lines.insert(0, Text(f"… {skipped:,} lines skipped (a fast log{among}): / filters, "
                                 "l sets a minimum level, f holds the view",
                                 style=tone_style(self.app, "crit") if errors else "dim"))
        if lines:
            self.log_view.write(Text("\n", no_wrap=True).join(lines))

    def _lines(self, entry: LogEntry) -> list[Text]:
        line = Text(no_wrap=True)
        if entry.time is not None:
            line.append(time.strftime("%H:%M:%S ", time.localtime(entry.time)), style="dim")
        if entry.level:
            tone = TONES.get(entry.level, "")
            line.append(f"{entry.level:<8} ", style=tone_style(self.app, tone) if tone else "")
        line.append(visible(entry.message.expandtabs(4)))  # log text may hold anything
        if self.filter_text:  # the filter is also a search: matches stand out
            line.highlight_words([self.filter_text], style="reverse", case_sensitive=False)
        if entry.detail and not self.show_traces:
            line.append(f"  [+{len(entry.detail)} lines, t]", style="dim")
        if not entry.detail or not self.show_traces:
            return [line]
        return [line, *(Text("    " + visible(detail.expandtabs(4)), style="dim", no_wrap=True)
                        for detail in entry.detail)]

    def _rerender(self) -> None:
        """Every kept line that passes the filters, anew (a held view then holds them all)."""
        self.log_view.clear()
        self._unseen = 0
        if not self.follow and self.frame is not None:
            self._held_at = self.frame.snapshot.taken_at
        filtered = bool(self.min_level or self.only_file or self.filter_text)
        self._noted = filtered and not any(self._visible(e) for e in self._entries)
        if self._noted:
            searched = [e for e in self._entries if not self.only_file or e.file == self.only_file]
            self.log_view.write(Text(no_match(searched, self.min_level, self.filter_text,
                                              self.only_file), style="dim", no_wrap=True))
        else:
            self._write(self._entries)
        if self.frame is not None:
            text, _ = freshness(self.frame.snapshot.logs, self.frame.snapshot.taken_at)
            set_subtitle(self, self._subtitle(text))

    def watch_filter_text(self) -> None:
        self._rerender()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self._unseen = 0
        self._held_at = self.frame.snapshot.taken_at if self.frame is not None else None
        if self.follow:
            self._rerender()
        elif self.frame is not None:
            text, _ = freshness(self.frame.snapshot.logs, self.frame.snapshot.taken_at)
            set_subtitle(self, self._subtitle(text))

    def action_cycle_level(self) -> None:
        self.min_level = MIN_LEVELS[(MIN_LEVELS.index(self.min_level) + 1) % len(MIN_LEVELS)]
        self._rerender()

    def action_pick_file(self) -> None:
        logs = self.frame.snapshot.logs if self.frame is not None else None
        choices = [("all files", "")] + [
            (visible(f"{f.path}  " + (f.error or f"{size(f.size)}") + (
                f", {f.errors_last_minute} errors in the last minute"
                if f.errors_last_minute else "")), f.path)
            for f in (logs.files if logs else ())]

        def chosen(path: str | None) -> None:
            if path is not None and path != self.only_file:
                self.only_file = path
                self._rerender()

        self.app.push_screen(Picker("log file", choices, self.only_file), chosen)

    def action_toggle_traces(self) -> None:
        self.show_traces = not self.show_traces
        self._rerender()


def no_match(searched: list[LogEntry], min_level: str, text: str, file: str) -> str:
    """What a filter that leaves no line says: what it looked for and how far back it looked
    (``searched``: the lines of its file, or of every file, the panel holds)."""
    what = f"no {'≥' + min_level + ' ' if min_level else ''}line"
    what += f" matches /{text}" if text else ""
    of = f" of {file.rsplit('/', 1)[-1]}" if file else ""
    if not searched:
        return visible(f"{what}: no line{of} read yet")
    span = f"the last {len(searched):,} lines" if len(searched) > 1 else "the last line"
    times = [e.time for e in searched if e.time is not None]
    since = f" (since {_since(min(times), max(times))})" if times else ""
    return visible(f"{what} in {span}{of}{since}")


def _since(oldest: float, newest: float) -> str:
    """``oldest`` as a clock time, with its date when it is not the day of ``newest``."""
    day = time.strftime("%Y-%m-%d", time.localtime(oldest))
    clock = time.strftime("%H:%M:%S", time.localtime(oldest))
    return clock if day == time.strftime("%Y-%m-%d", time.localtime(newest)) else f"{day} {clock}"


def _new_entries(seen: list[LogEntry], current: tuple[LogEntry, ...]) -> list[LogEntry]:
    """The entries of ``current`` read after the last one already shown (by the source's
    order, not by likeness: a repeated line is a new line)."""
    last = seen[-1].seq if seen else 0
    return [entry for entry in current if entry.seq > last]


def _newest_of_each_file(entries: list[LogEntry], keep: int) -> list[LogEntry]:
    """The newest ``keep`` entries of each file, in order: one file's flood pushes out no
    other file's lines."""
    counts: Counter[str] = Counter()
    kept = []
    for entry in reversed(entries):
        counts[entry.file] += 1
        if counts[entry.file] <= keep:
            kept.append(entry)
    kept.reverse()
    return kept
