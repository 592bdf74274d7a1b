"""The dashboard: wires the panels and the key bindings to a runtime.

The runtime (``blazz_tui.runtime``) polls in a thread of its own and delivers frames, which
arrive here as ``SnapshotUpdated`` messages; widgets receive them through ``data_bind``. The app
schedules nothing: ``r`` and ``p`` ask the runtime, and details screens
(``screens.details``) ask it for their on-demand reads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.events import Resize
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import DataTable, Footer, Tab, Tabs

from blazz_tui.actions import menu
from blazz_tui.actions.run import ActionEnv
from blazz_tui.crash import crash_line, write_crash_report
from blazz_tui.events import Episode
from blazz_tui.exit_guard import ExitGuard
from blazz_tui.frame import Frame
from blazz_tui.palette import binding_commands, run_later
from blazz_tui.runtime import Runtime
from blazz_tui.screens.action import ActionMenu, planned
from blazz_tui.screens.details import DetailsScreen, details_screen
from blazz_tui.screens.help import HelpScreen
from blazz_tui.selection import Selection
from blazz_tui.settings import TargetConfig
from blazz_tui.widgets.dashboard import NARROW_WIDTH, PANELS, Dashboard, Panel
from blazz_tui.widgets.filter_bar import FilterBar
from blazz_tui.widgets.header_bar import HeaderBar, ProblemsBar
from blazz_tui.widgets.logs_panel import LogsPanel, TailLog
from blazz_tui.widgets.table_panel import PanelTable, TablePanel
from blazz_tui.widgets.tones import few_colours


class SnapshotUpdated(Message):
    def __init__(self, frame: Frame) -> None:
        super().__init__()
        self.frame = frame

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotUpdated)  # a newer frame supersedes a queued one


class BlazzApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "blazz-tui"
    BINDINGS = [
        Binding("q", "quit", "Quit", tooltip="leave the dashboard"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="every key"),
        # The footer shows the focused panel's keys first; pause, refresh, restart and sync
        # are in help, the palette and (R, S) the actions menu.
        Binding("p", "toggle_pause", "Pause", show=False, tooltip="stop polling; p again resumes"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="poll every source now"),
        Binding("slash", "filter", "Filter", key_display="/",
                tooltip="filter the focused table or log"),
        Binding("x", "actions_menu", "Actions",
                tooltip="what can be done to the selected or marked rows"),
        Binding("R", "restart", "Restart", show=False,
                tooltip="restart the selected programs, or the workers of the selected queue"),
        Binding("S", "sync", "Sync", show=False,
                tooltip="point drifted accounts at their instance"),
        Binding("z", "zoom", "Zoom", tooltip="the focused panel on the whole screen; z again "
                                             "goes back"),
        Binding("B", "rebalance", "Balance", show=False,
                tooltip="move sessions from the most loaded instances, none logged out"),
        Binding("escape", "clear_filter", "Clear filter and marks", show=False),
        # As in a focused table, from anywhere: the current panel's first or last row.
        Binding("g", "table_edge('top')", "Top", show=False, tooltip="the first row"),
        Binding("G", "table_edge('bottom')", "Bottom", show=False, tooltip="the last row"),
        *(Binding(str(n), f"show_panel('{pid}')", f"{title}", show=False,
                  tooltip=f"jump to the {title.lower()} panel")
          for n, (pid, title) in enumerate(PANELS, start=1)),
    ]

    # Bound to the widgets (data_bind), which repaint themselves; repainting the whole
    # screen on each frame was most of the dashboard's CPU.
    frame: reactive[Frame | None] = reactive(None, always_update=True, repaint=False)
    events: reactive[tuple[Episode, ...]] = reactive((), always_update=True, repaint=False)
    paused: reactive[bool] = reactive(False, repaint=False)

    def __init__(self, target: TargetConfig, runtime: Runtime | None, *,
                 read_only: bool = False, frame: Frame | None = None, notice: str = "",
                 crash_dir: Path | None = None, actions: ActionEnv | None = None,
                 guard: ExitGuard | None = None) -> None:
        super().__init__()
        self.guard = guard
        """Ends the process whatever the terminal does, once a way out is taken (None: the
        dashboard runs inside another program, as under tests)."""
        self.target = target
        self.actions = actions
        """Where and how actions run (None: this dashboard has none, as a headless one)."""
        self.crash_dir = crash_dir
        """Where a traceback of the dashboard's own failure is written (None: Textual prints
        it, as under tests)."""
        self.crash_report = ""
        self.notice = notice
        """Said in the header: what the operator must know about what is watched."""
        self.runtime = runtime
        self._static_frame = frame
        """A frame to show instead of polling (headless snapshots)."""
        self.read_only = read_only
        self.accent = target.accent
        self._accented: set[str] = set()
        """The themes made here, with the target's accent."""
        self.register_theme(LIGHT)
        self._few_colours_are_the_terminals()
        self.current_panel = "checks"

    # -- layout -----------------------------------------------------------------------------

    def header_bar(self) -> HeaderBar:
        """The title line and key figures, as the main screen and the details screens show
        them (the details keep them, so a new failure is seen while reading)."""
        if self.runtime is not None:
            transport = self.runtime.collector.transport.name
        else:
            transport = self._static_frame.snapshot.transport if self._static_frame \
                else self.target.transport
        return HeaderBar(self.target.name, transport, self.read_only, self.clock, self.notice)

    def compose(self) -> ComposeResult:
        yield self.header_bar().data_bind(BlazzApp.frame, BlazzApp.paused)
        yield ProblemsBar(id="problems").data_bind(BlazzApp.frame)
        yield Tabs(*(Tab(f"{n} {title}", id=f"tab-{pid}")
                     for n, (pid, title) in enumerate(PANELS, start=1)), id="panel-tabs")
        yield Dashboard(self.target, clock=self.clock, id="dashboard").data_bind(
            BlazzApp.frame, BlazzApp.events)
        yield FilterBar()
        yield Footer()

    def on_load(self) -> None:
        """The first polls start before the screen is built: they overlap its start-up."""
        if self.runtime is not None and self._static_frame is None:
            self.runtime.on_frame = lambda frame: self.post_message(SnapshotUpdated(frame))
            self.runtime.start()

    def on_mount(self) -> None:
        # SIGTERM, SIGHUP, a terminal that hung up: leave the way q does, so the terminal
        # is given back (no alternate screen, no mouse tracking) — within the guard's grace.
        if self.guard is not None:
            loop = asyncio.get_running_loop()
            self.guard.watch(lambda code: loop.call_soon_threadsafe(self.exit, None, code))
        self._apply_accent()
        self.query_one(ProblemsBar).display = False
        self._apply_layout(self.size.width)
        if self._static_frame is not None:
            self.show_frame(self._static_frame)

    def on_resize(self, event: Resize) -> None:
        self._apply_layout(event.size.width)  # self.size may still be the previous size

    def _apply_layout(self, width: int) -> None:
        narrow = width < NARROW_WIDTH
        dashboard = self.query_one(Dashboard)
        dashboard.set_class(narrow, "-narrow")
        self.query_one("#panel-tabs").display = narrow or dashboard.has_class("-zoomed")
        self._show(self.current_panel, focus=False)

    def action_table_edge(self, where: str) -> None:
        """``g``/``G`` with no table focused: the current panel's table takes the focus and
        goes to its first or last row."""
        self.query_one(Dashboard).table_edge(self.current_panel, where)

    def action_zoom(self) -> None:
        """One panel on the whole screen, as on a narrow terminal; the number keys and tab
        move between panels; ``z`` again goes back to all of them."""
        panel = self._focused_panel()
        if panel is not None and panel.id:
            self.current_panel = panel.id
        dashboard = self.query_one(Dashboard)
        dashboard.toggle_class("-zoomed")
        self._apply_layout(self.size.width)
        self._show(self.current_panel)

    def _show(self, panel_id: str, focus: bool = True) -> None:
        self.current_panel = panel_id
        dashboard = self.query_one(Dashboard)
        dashboard.mark_current(panel_id)
        tabs = self.query_one(Tabs)
        if tabs.active != f"tab-{panel_id}":
            tabs.active = f"tab-{panel_id}"
        if focus:
            dashboard.focus_panel(panel_id)

    def clock(self) -> float:
        """Now; for a static frame (headless snapshots), the moment it was taken."""
        return self._static_frame.snapshot.taken_at if self._static_frame else time.time()

    # -- tone → theme colour (views stay theme-agnostic) -------------------------------------

    def _few_colours_are_the_terminals(self) -> None:
        """On a 16- or 8-colour terminal the tones' ANSI yellow and red are sent as such, the
        terminal's own, and the styles' colours come from Textual's ANSI theme: a truecolor
        theme is mapped back to the nearest of 16 by distance (red became magenta, an orange
        warning bright red, and the problems' bar a bright red beside a WARNING)."""
        if few_colours(self):
            self.ansi_color = True
            self.theme = "ansi-dark"  # its $warning and $error are the terminal's own too

    def _apply_accent(self) -> None:
        """The target's accent colour (config ``accent``) on the focused panel's border and the
        target's name, so a production target never looks like a local one."""
        try:
            Color.parse(self.accent)
        except ColorParseError:
            self.notify(f"accent = {self.accent!r} in the config is not a colour; "
                        "using the default", severity="warning", timeout=8)
            return
        if self.current_theme.name in self._accented:
            return
        theme = replace(self.current_theme, name=f"{self.current_theme.name}+{self.target.name}",
                        accent=self.accent)
        self.register_theme(theme)
        self._accented.add(theme.name)
        self.theme = theme.name

    def watch_theme(self, name: str) -> None:
        """Another theme (the palette's picker): the target's accent goes with it."""
        if self._accented and name not in self._accented:  # after the first, at mount
            self.call_later(self._apply_accent)

    # -- frames ----------------------------------------------------------------------------

    def on_snapshot_updated(self, message: SnapshotUpdated) -> None:
        self.show_frame(message.frame)

    def show_frame(self, frame: Frame) -> None:
        """Put ``frame`` on screen now."""
        self.frame = frame
        self.events = frame.events
        for screen in self.screen_stack:
            if isinstance(screen, DetailsScreen):
                screen.frame = frame  # it reads its on-demand part again when that is due

    # -- actions ----------------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen([
            ("everywhere", self.BINDINGS),
            ("in a table", [*TablePanel.BINDINGS, *PanelTable.BINDINGS]),
            ("in the logs", [*LogsPanel.BINDINGS, *TailLog.BINDINGS]),
            ("in details", DetailsScreen.BINDINGS)]))

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        if self.runtime is None:
            return
        if self.paused:
            self.runtime.pause()
            self.notify("refresh paused — p resumes, r refreshes once", timeout=3)
        else:
            self.runtime.resume()

    def action_refresh(self) -> None:
        if self.runtime is not None:
            self.runtime.poll_now()

    def action_show_panel(self, panel_id: str) -> None:
        self._show(panel_id)

    @on(Tabs.TabActivated, "#panel-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        panel_id = event.tab.id.removeprefix("tab-") if event.tab.id else "checks"
        if panel_id != self.current_panel:
            self._show(panel_id)

    def _focused_panel(self) -> Panel | None:
        return self.query_one(Dashboard).panel_of(self.focused, self.current_panel)

    def action_filter(self) -> None:
        panel = self._focused_panel()
        if panel is not None:
            self.query_one(FilterBar).start(panel)

    @on(FilterBar.Done)
    def _filter_done(self, event: FilterBar.Done) -> None:
        self._show(event.panel.id or self.current_panel)

    def action_clear_filter(self) -> None:
        panel = self.query_one(FilterBar).clear() or self._focused_panel()
        if panel is not None:
            panel.filter_text = ""
        if isinstance(panel, TablePanel):
            panel.clear_marks()

    # -- details (enter on a row) ------------------------------------------------------------

    @on(TablePanel.RowChosen)
    def _row_chosen(self, event: TablePanel.RowChosen) -> None:
        self.open_details(event.panel.id or "", event.key)

    def open_details(self, panel: str, key: str) -> None:
        if self.frame is None:
            return
        screen = details_screen(panel, key, self.frame, runtime=self.runtime,
                                instances=self.target.instances, header=self.header_bar)
        if screen is not None:
            self.push_screen(screen)

    # -- selection and confirmation (what actions act on) ------------------------------------

    def selection(self) -> Selection:
        """The marked rows of the focused table, else its cursor row."""
        panel = self._focused_panel()
        if isinstance(panel, TablePanel):
            selection: Selection = panel.selection
            return selection
        return Selection(self.current_panel)

    # -- actions (x, R, S): planned on the latest frame, carried out by the runtime ---------

    def action_actions_menu(self) -> None:
        if self.frame is None:
            return
        selection = self.selection()
        offers = menu.offers(selection, self.frame.snapshot, self.read_only)
        self.push_screen(ActionMenu(offers, menu.heading(selection)),
                         lambda offer: self._offer_chosen(offer, selection))

    def action_restart(self) -> None:
        if self.frame is not None:
            selection = self.selection()
            self._offer_chosen(menu.restart_offer(selection, self.frame.snapshot), selection)

    def action_sync(self) -> None:
        self._offer_chosen(menu.SYNC)

    def action_rebalance(self) -> None:
        self._offer_chosen(menu.REBALANCE)

    def _offer_chosen(self, offer: menu.Offer | None,
                      selection: Selection | None = None) -> None:
        if offer is None:
            return
        if offer.why_not:
            self.notify(f"{offer.label}: {offer.why_not}", severity="warning", timeout=4)
        elif self.actions is None or self.runtime is None or self.frame is None:
            self.notify("no actions in a dashboard that is not watching a target",
                        severity="warning", timeout=4)
        else:
            if selection is not None and selection.marked:
                # Marks end with the action that used them: five minutes on, they must not
                # take over an action meant for the row under the cursor.
                self.query_one(f"#{selection.panel}", TablePanel).clear_marks()
            self.run_worker(self._open_action(offer, self.runtime, self.actions, self.frame),
                            group="action", exclusive=True, exit_on_error=False)

    async def _open_action(self, offer: menu.Offer, runtime: Runtime, env: ActionEnv,
                           frame: Frame) -> None:
        self.push_screen(await planned(offer, runtime, env, frame.snapshot, self.target))

    # -- command palette ---------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from binding_commands(self, self.run_on_table, self.details_of_selection)

    def run_on_table(self, action: str) -> None:
        panel = self._focused_panel()
        if isinstance(panel, TablePanel):
            run_later(self, action, panel)

    def details_of_selection(self) -> None:
        selection = self.selection()
        if selection.keys:
            self.open_details(selection.panel, selection.keys[0])

    @on(DataTable.RowHighlighted)
    def _remember_panel(self, event: DataTable.RowHighlighted) -> None:
        panel = event.data_table.parent
        if isinstance(panel, TablePanel) and panel.id and panel.id != self.current_panel \
                and not self.query_one(Dashboard).one_at_a_time:
            self.current_panel = panel.id

    def exit(self, result: object = None, return_code: int = 0,
             message: object = None) -> None:
        """Every way out ends the process within the guard's grace, whatever the terminal
        does (a gone or stalled one would hold Textual's shutdown forever)."""
        if self.guard is not None:
            self.guard.arm(return_code)
        super().exit(result, return_code, message)  # type: ignore[arg-type]

    def on_unmount(self) -> None:
        if self.runtime is not None:
            self.runtime.stop(timeout=1.0)

    def _handle_exception(self, error: Exception) -> None:
        """A failure of the dashboard itself: its traceback to a file, one line to say so
        (overrides Textual's private hook; Textual is pinned to the version checked)."""
        if self.crash_dir is not None and not self.crash_report:
            self.crash_report = crash_line(error, write_crash_report(error, self.crash_dir))
        super()._handle_exception(error)

    def _print_error_renderables(self) -> None:
        if not self.crash_report:
            super()._print_error_renderables()
            return
        self._exit_renderables.clear()
        self.error_console.print(self.crash_report, markup=False, highlight=False)


LIGHT = Theme(name="blazz-light", dark=False, primary="#0969da", secondary="#6639ba",
              accent="#0969da", foreground="#1f2328", background="#ffffff", surface="#f6f8fa",
              panel="#eaeef2", success="#1a7f37", warning="#9a6700", error="#cf222e")
"""A light theme whose states read on white (textual-light's yellow warning does not)."""


def make_app(target: TargetConfig, runtime: Runtime | None = None, *, read_only: bool = False,
             frame: Frame | None = None, notice: str = "",
             crash_dir: Path | None = None, actions: ActionEnv | None = None,
             guard: ExitGuard | None = None) -> BlazzApp:
    """The app factory tests use: hand it a runtime over a simulated stack or real servers;
    with ``frame`` (and no runtime) it shows that frame and never polls (headless snapshots,
    golden tests)."""
    return BlazzApp(target, runtime, read_only=read_only, frame=frame, notice=notice,
                    crash_dir=crash_dir, actions=actions, guard=guard)
