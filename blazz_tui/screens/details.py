"""Enter on a row: that row's details, kept live.

The screen receives frames from the app (``frame``). What it shows beyond them (``loaded``: a
program's log, a queue's jobs) it never fetches: it is handed ``load``, which the runtime
carries out on its own loop (``reader``), as often as that source is polled; ``r`` reads it
again now.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import partial

from rich.table import Table as RichTable
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Static

from blazz_tui.fmt import visible
from blazz_tui.frame import Frame
from blazz_tui.runtime import Runtime
from blazz_tui.settings import InstanceConfig
from blazz_tui.views import details as views
from blazz_tui.views.details import Details, Section
from blazz_tui.widgets.header_bar import HeaderBar, ProblemsBar
from blazz_tui.widgets.tones import tone_style

DetailsView = Callable[[Frame], Details | None]
Load = Callable[[], Awaitable[tuple[Section, ...]]]
"""Reads the on-demand part of a details screen (on the runtime's loop)."""


class DetailsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", key_display="esc"),
        Binding("r", "reload", "Reload"),
    ]

    frame: reactive[Frame | None] = reactive(None, always_update=True, repaint=False)
    loaded: reactive[tuple[Section, ...]] = reactive((), always_update=True, repaint=False)

    def __init__(self, panel: str, key: str, view: DetailsView, frame: Frame,
                 header: HeaderBar, *, load: Load | None = None,
                 every: float = float("inf")) -> None:
        super().__init__(classes="details")
        self.panel, self.key = panel, key
        self._header = header
        """The main screen's title line and key figures, kept: a new failure is seen here."""
        self._view = view
        self._load = load
        """None: nothing is read beyond the frames."""
        self._every = every
        """Seconds between two reads of the on-demand part (its source's poll interval)."""
        self._sections: tuple[Section, ...] | None = None
        self._composed = False
        self.loaded_at = 0.0
        """When the on-demand part was last asked for (monotonic seconds)."""
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
        self.action_reload()
        self.watch_frame(self.frame)

    def watch_frame(self, frame: Frame | None) -> None:
        if self._composed:
            self.query_one(HeaderBar).frame = frame
            self.query_one(ProblemsBar).frame = frame
        self._update_view()
        if self._composed and time.monotonic() - self.loaded_at >= self._every:
            self.action_reload()

    def watch_loaded(self) -> None:
        self._update_view()

    def action_reload(self) -> None:
        """Read the on-demand part again (one read at a time: a new one replaces the last)."""
        if self._load is not None:
            self.loaded_at = time.monotonic()
            self.run_worker(self._read(self._load), group="details", exclusive=True,
                            exit_on_error=False, name="details")

    async def _read(self, load: Load) -> None:
        self.loaded = await load()

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


def details_screen(panel: str, key: str, frame: Frame, *, runtime: Runtime | None,
                   instances: tuple[InstanceConfig, ...],
                   header: Callable[[], HeaderBar]) -> DetailsScreen | None:
    """The details of row ``key`` of ``panel`` (None: that panel's rows have none), its
    on-demand part read by ``runtime`` as often as its source is polled."""
    views_of: dict[str, DetailsView] = {
        "services": lambda f: views.program(f.snapshot, key),
        "instances": lambda f: views.instance(f.snapshot, instances, key),
        "queues": lambda f: views.queue(f.snapshot, key),
        "checks": lambda f: views.check(f, key),
    }
    view = views_of.get(panel)
    if view is None:
        return None
    every = float("inf") if runtime is None else runtime.interval(
        "supervisor" if panel == "services" else "database")
    return DetailsScreen(panel, key, view, frame, header(), load=reader(runtime, panel, key),
                         every=every)


def reader(runtime: Runtime | None, panel: str, key: str) -> Load | None:
    """What the details of ``key`` show beyond the snapshot, read on demand by the runtime:
    a program's log, a queue's jobs (None: nothing)."""
    if runtime is None:
        return None
    collector = runtime.collector
    if panel == "services" and not key.startswith(("port/", "pm2/")):
        endpoint, _, name = key.partition("/")

        async def log() -> tuple[Section, ...]:
            tail = await asyncio.wrap_future(runtime.ask(collector.program_log, endpoint, name))
            return (views.log_section(tail),)
        return log
    if panel == "queues":
        async def jobs() -> tuple[Section, ...]:
            found = await asyncio.wrap_future(runtime.ask(collector.queue_jobs, key))
            return views.job_sections(found, time.time())
        return jobs
    return None
