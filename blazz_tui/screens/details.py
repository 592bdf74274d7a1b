"""Enter on a row: that row's details, kept live.

The screen receives frames from the app (``frame``) and what the app read on demand for it
(``loaded``: a program's log, a queue's jobs); it never fetches. ``r`` asks the app to read
the on-demand part again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.table import Table as RichTable
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Static

from blazz_tui.fmt import visible
from blazz_tui.frame import Frame
from blazz_tui.views.details import Details, Section
from blazz_tui.widgets.header_bar import HeaderBar, ProblemsBar
from blazz_tui.widgets.tones import tone_style

DetailsView = Callable[[Frame], Details | None]


class DetailsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", key_display="esc"),
        Binding("r", "reload", "Reload"),
    ]

    frame: reactive[Frame | None] = reactive(None, always_update=True, repaint=False)
    loaded: reactive[tuple[Section, ...]] = reactive((), always_update=True, repaint=False)

    class Reload(Message):
        def __init__(self, screen: DetailsScreen) -> None:
            super().__init__()
            self.screen = screen

    def __init__(self, panel: str, key: str, view: DetailsView, frame: Frame,
                 header: HeaderBar) -> None:
        super().__init__(classes="details")
        self.panel, self.key = panel, key
        self._header = header
        """The main screen's title line and key figures, kept: a new failure is seen here."""
        self._view = view
        self._sections: tuple[Section, ...] | None = None
        self._composed = False
        self.loaded_at = 0.0
        """When the app last started reading the on-demand part (monotonic seconds)."""
        self.set_reactive(DetailsScreen.frame, frame)

    def compose(self) -> ComposeResult:
        yield self._header
        yield ProblemsBar(id="problems", most=2)  # the details are what is read here
        yield Static(id="details-title")
        yield Static(id="details-facts")
        yield VerticalScroll(id="details-sections")
        yield Footer()

    def on_mount(self) -> None:
        self._composed = True
        self.watch_frame(self.frame)

    def watch_frame(self, frame: Frame | None) -> None:
        if self._composed:
            self.query_one(HeaderBar).frame = frame
            self.query_one(ProblemsBar).frame = frame
        self._update_view()

    def watch_loaded(self) -> None:
        self._update_view()

    def action_reload(self) -> None:
        self.post_message(self.Reload(self))

    def _update_view(self) -> None:
        if not self._composed or self.frame is None:
            return
        details = self._view(self.frame)
        title = self.query_one("#details-title", Static)
        if details is None:
            title.update(Text(f" {self.key} is gone from the latest data — esc goes back",
                              style="bold"))
            return
        title.update(Text.assemble((f" {details.title} ", "reverse bold"),
                                   ("   esc back · r reload", "dim")))
        style = partial(tone_style, self.app)
        grid = RichTable.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        for fact in details.facts:
            grid.add_row(fact.label, Text(visible(fact.value),
                                          style=style(fact.tone) if fact.tone else ""))
        self.query_one("#details-facts", Static).update(grid)
        loaded = {s.title: s for s in self.loaded}
        sections = tuple(loaded.get(s.title, s) for s in details.sections)
        if sections != self._sections:
            self._sections = sections
            self._show_sections(sections)

    def _show_sections(self, sections: tuple[Section, ...]) -> None:
        box = self.query_one("#details-sections", VerticalScroll)
        at_end = box.max_scroll_y == 0 or box.scroll_y >= box.max_scroll_y
        box.remove_children()
        box.mount_all([w for s in sections for w in self._section_widgets(s)])
        if at_end and any(s.lines for s in sections):  # a log: show its newest lines
            box.call_after_refresh(box.scroll_end, animate=False)
        else:
            box.call_after_refresh(box.scroll_to, y=box.scroll_y, animate=False)

    def _section_widgets(self, section: Section) -> list[Widget]:
        style = partial(tone_style, self.app)
        head = Text(section.title, style="bold")
        if section.note:
            head.append(f"  {section.note}", style="dim")
        widgets: list[Widget] = [Static(head, classes="section-title")]
        if section.error:
            widgets.append(Static(Text(visible(section.error), style=style("crit")),
                                  classes="section-error"))
        if section.table is not None and section.table.rows:
            table: DataTable[Text] = DataTable(cursor_type="row", classes="section-table")
            table.add_columns(*section.table.columns)
            for row in section.table.rows:  # unkeyed: the watched system may list an id twice
                table.add_row(*(Text(visible(c.text), style=style(c.tone or row.tone)
                                     if (c.tone or row.tone) else "") for c in row.cells))
            widgets.append(table)
        if section.lines:
            widgets.append(Static(Text("\n".join(visible(line.expandtabs(4))
                                                  for line in section.lines), no_wrap=True),
                                  classes="section-lines"))
        return widgets
