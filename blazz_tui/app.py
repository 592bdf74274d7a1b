"""The dashboard: wires the panels, the key bindings and the polling workers.

Each source is polled by its own worker on its own interval; a worker never overlaps
itself (exclusive per source) and re-arms a timer when it finishes. Results arrive as
``SnapshotUpdated`` messages; widgets receive frames through ``data_bind``.
"""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Tab, Tabs

from blazz_tui.events import Event
from blazz_tui.frame import Frame
from blazz_tui.poller import Poller
from blazz_tui.screens.help import HelpScreen
from blazz_tui.views import panels
from blazz_tui.widgets.events_panel import EventsPanel
from blazz_tui.widgets.header_bar import HeaderBar, ProblemsBar
from blazz_tui.widgets.logs_panel import LogsPanel
from blazz_tui.widgets.table_panel import TablePanel

PANELS = (("checks", "Checks"), ("services", "Services"), ("instances", "Instances"),
          ("queues", "Queues"), ("cache", "Cache"), ("logs", "Logs"), ("events", "Events"))
NARROW_WIDTH = 110


class SnapshotUpdated(Message):
    def __init__(self, frame: Frame) -> None:
        super().__init__()
        self.frame = frame

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotUpdated)  # a newer frame supersedes a queued one


class Dashboard(Container):
    """All panels: a grid on a wide terminal, one panel at a time (tabs) on a narrow one."""


class BlazzApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "blazz-tui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("p", "toggle_pause", "Pause"),
        Binding("r", "refresh", "Refresh"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        *(Binding(str(n), f"show_panel('{pid}')", f"{title}", show=False)
          for n, (pid, title) in enumerate(PANELS, start=1)),
    ]

    frame: reactive[Frame | None] = reactive(None, always_update=True)
    events: reactive[tuple[Event, ...]] = reactive((), always_update=True)
    paused: reactive[bool] = reactive(False)

    def __init__(self, poller: Poller, *, read_only: bool = False, accent: str = "green",
                 frame: Frame | None = None) -> None:
        super().__init__()
        self.poller = poller
        self._static_frame = frame
        """A frame to show instead of polling (headless snapshots)."""
        self.read_only = read_only
        self.accent = accent
        self._poll_timers: dict[str, Timer] = {}
        self.current_panel = "checks"

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        target = self.poller.collector.target
        yield HeaderBar(target.name, self.poller.collector.transport.name,
                        self.read_only).data_bind(BlazzApp.frame, BlazzApp.paused)
        yield ProblemsBar(id="problems").data_bind(BlazzApp.frame)
        yield Tabs(*(Tab(f"{n} {title}", id=f"tab-{pid}")
                     for n, (pid, title) in enumerate(PANELS, start=1)), id="panel-tabs")
        with Dashboard(id="dashboard"):
            yield TablePanel("2 Services", lambda f: panels.services(f.snapshot), "supervisor",
                             id="services").data_bind(BlazzApp.frame)
            yield TablePanel("3 Instances", lambda f: panels.instances(f.snapshot), "instances",
                             id="instances").data_bind(BlazzApp.frame)
            yield TablePanel("4 Queues", lambda f: panels.queues(f.snapshot), "database"
                             if target.queues.connection == "database" else "redis",
                             id="queues").data_bind(BlazzApp.frame)
            yield TablePanel("5 Cache", lambda f: panels.cache(f.snapshot), "redis",
                             id="cache").data_bind(BlazzApp.frame)
            yield TablePanel("1 Checks", lambda f: panels.checks(f.checks), None,
                             id="checks").data_bind(BlazzApp.frame)
            yield EventsPanel(id="events").data_bind(BlazzApp.events)
            yield LogsPanel(id="logs").data_bind(BlazzApp.frame)
        yield Input(placeholder="filter… (enter keeps it, esc clears)", id="filter")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ProblemsBar).display = False
        self.query_one("#filter").display = False
        self.events = tuple(self.poller.timeline.events)
        self._apply_layout(self.size.width)
        if self._static_frame is not None:
            self.frame = self._static_frame
            return
        for name in self.poller.source_names:
            self._start_poll(name)

    def on_resize(self) -> None:
        self._apply_layout(self.size.width)

    def _apply_layout(self, width: int) -> None:
        narrow = width < NARROW_WIDTH
        self.query_one(Dashboard).set_class(narrow, "-narrow")
        self.query_one("#panel-tabs").display = narrow
        self._show(self.current_panel, focus=False)

    def _show(self, panel_id: str, focus: bool = True) -> None:
        self.current_panel = panel_id
        for pid, _ in PANELS:
            self.query_one(f"#{pid}").set_class(pid == panel_id, "-current")
        tabs = self.query_one(Tabs)
        if tabs.active != f"tab-{panel_id}":
            tabs.active = f"tab-{panel_id}"
        if focus:
            panel = self.query_one(f"#{panel_id}")
            target = next(iter(panel.query("DataTable, RichLog")), panel)
            if target.focusable:
                target.focus()

    # -- tone → theme colour (views stay theme-agnostic) -------------------------------------

    def tone_style(self, tone: str) -> str:
        theme = self.current_theme
        return {
            "ok": theme.success or "green",
            "warn": theme.warning or "yellow",
            "crit": f"bold {theme.error or 'red'}",
            "muted": "dim",
        }.get(tone, "")

    # -- polling ----------------------------------------------------------------------------

    def _start_poll(self, name: str) -> None:
        self.run_worker(self._poll(name), group=f"poll-{name}", exclusive=True,
                        exit_on_error=False, name=f"poll {name}")

    async def _poll(self, name: str) -> None:
        try:
            frame = await self.poller.poll(name)
            self.post_message(SnapshotUpdated(frame))
        finally:
            if not self.paused:
                self._poll_timers[name] = self.set_timer(self.poller.interval(name),
                                                    lambda: self._start_poll(name))

    def on_snapshot_updated(self, message: SnapshotUpdated) -> None:
        self.frame = message.frame
        self.events = tuple(self.poller.timeline.events)

    def on_worker_state_changed(self, event: object) -> None:
        from textual.worker import Worker, WorkerState

        worker: Worker[object] = event.worker  # type: ignore[attr-defined]
        if worker.state is WorkerState.ERROR and worker.name.startswith("poll "):
            self.notify(f"{worker.name} failed: {worker.error!r}", severity="error", timeout=10)
            name = worker.name.removeprefix("poll ")
            if not self.paused:
                self._poll_timers[name] = self.set_timer(self.poller.interval(name),
                                                    lambda: self._start_poll(name))

    # -- actions ----------------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        if self.paused:
            for timer in self._poll_timers.values():
                timer.stop()
            self.notify("refresh paused — p resumes, r refreshes once", timeout=3)
        else:
            for name in self.poller.source_names:
                self._start_poll(name)

    def action_refresh(self) -> None:
        for timer in self._poll_timers.values():
            timer.stop()
        for name in self.poller.source_names:
            self._start_poll(name)

    def action_show_panel(self, panel_id: str) -> None:
        self._show(panel_id)

    @on(Tabs.TabActivated, "#panel-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        panel_id = event.tab.id.removeprefix("tab-") if event.tab.id else "checks"
        if panel_id != self.current_panel:
            self._show(panel_id)

    def _focused_panel(self) -> TablePanel | LogsPanel | None:
        node = self.focused
        while node is not None and not isinstance(node, TablePanel | LogsPanel):
            node = node.parent  # type: ignore[assignment]
        if node is None:
            candidate = self.query_one(f"#{self.current_panel}")
            return candidate if isinstance(candidate, TablePanel | LogsPanel) else None
        return node

    def action_filter(self) -> None:
        panel = self._focused_panel()
        if panel is None:
            return
        field = self.query_one("#filter", Input)
        field.display = True
        field.value = panel.filter_text
        field.placeholder = f"filter {panel.border_title}… (enter keeps it, esc clears)"
        self._filtering = panel
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        panel = getattr(self, "_filtering", None)
        if panel is not None:
            panel.filter_text = event.value

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one("#filter").display = False
        panel = getattr(self, "_filtering", None)
        if panel is not None:
            self._show(panel.id or self.current_panel)

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        panel = getattr(self, "_filtering", None) or self._focused_panel()
        if panel is not None:
            panel.filter_text = ""
        field.value = ""
        field.display = False

    @on(TablePanel.RowChosen)
    def _row_chosen(self, event: TablePanel.RowChosen) -> None:
        self.notify(f"{event.key}", title=str(event.panel.border_title), timeout=4)

    @on(DataTable.RowHighlighted)
    def _remember_panel(self, event: DataTable.RowHighlighted) -> None:
        panel = event.data_table.parent
        if isinstance(panel, TablePanel) and panel.id and panel.id != self.current_panel \
                and not self.query_one(Dashboard).has_class("-narrow"):
            self.current_panel = panel.id

    async def on_unmount(self) -> None:
        await self.poller.close()


def make_app(poller: Poller, *, read_only: bool = False, frame: Frame | None = None) -> BlazzApp:
    """The app factory tests use: hand it a poller over a simulated stack or real servers;
    with ``frame`` it shows that frame and never polls (headless snapshots, golden tests)."""
    return BlazzApp(poller, read_only=read_only, accent=poller.collector.target.accent,
                    frame=frame)
