"""All panels: a grid on a wide terminal, one panel at a time (tabs) on a narrow one or zoomed.

The dashboard receives frames and episodes (``frame`` and ``events``, bound from the app) and
hands them on to its panels, which it builds from the target: a panel's freshness is its main
source's."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeAlias

from blazz_tui.widgets.events_panel import EventsPanel
from blazz_tui.widgets.logs_panel import LogsPanel
from blazz_tui.widgets.table_panel import TablePanel
from textual.app import ComposeResult
from textual.containers import Container
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.widgets import DataTable

from blazz_tui.events import Episode
from blazz_tui.frame import Frame
from blazz_tui.settings import TargetConfig
from blazz_tui.views import panels

PANELS = (("checks", "Checks"), ("services", "Services"), ("instances", "Instances"),
          ("queues", "Queues"), ("monitoring", "Monitoring"), ("events", "Events"),
          ("logs", "Logs"))
"""(id, title) in reading order, as numbered: tab and the number keys follow the screen."""
NARROW_WIDTH = 110
"""Below this many columns, one panel at a time."""

Panel: TypeAlias = TablePanel | LogsPanel
"""A panel that filters (``/``)."""


class Dashboard(Container):
    frame: reactive[Frame | None] = reactive(None, always_update=True, repaint=False)
    events: reactive[tuple[Episode, ...]] = reactive((), always_update=True, repaint=False)

    def __init__(self, target: TargetConfig, *, clock: Callable[[], float] = time.time,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self._target = target
        self._clock = clock
        """Now, as the events panel counts the durations of ongoing episodes."""

    def compose(self) -> ComposeResult:
        target = self._target
        # Supervisord's, else PM2's; Redis's, else the database's (whose load it shows too).
        yield TablePanel("1 Checks", lambda f: panels.checks(f.checks), None,
                         id="checks").data_bind(Dashboard.frame)
        services = "supervisor" if target.supervisor or target.pm2 is None else "pm2"
        yield TablePanel("2 Services", lambda f: panels.services(f.snapshot), services,
                         id="services").data_bind(Dashboard.frame)
        yield TablePanel("3 Instances", lambda f: panels.instances(f.snapshot), "instances",
                         id="instances").data_bind(Dashboard.frame)
        yield TablePanel("4 Queues", lambda f: panels.queues(f.snapshot, f.thresholds),
                         "database" if target.queues.connection == "database" else "redis",
                         id="queues").data_bind(Dashboard.frame)
        yield TablePanel("5 Monitoring",
                         lambda f: panels.monitoring(f.snapshot, f.checks, f.thresholds),
                         "redis" if target.redis is not None else "database",
                         id="monitoring", severity_first=False).data_bind(Dashboard.frame)
        yield EventsPanel(id="events", clock=self._clock).data_bind(Dashboard.events)
        yield LogsPanel(id="logs").data_bind(Dashboard.frame)

    @property
    def one_at_a_time(self) -> bool:
        """Narrow or zoomed: only the current panel shows."""
        return self.has_class("-narrow") or self.has_class("-zoomed")

    def mark_current(self, panel_id: str) -> None:
        for pid, _ in PANELS:
            self.query_one(f"#{pid}").set_class(pid == panel_id, "-current")

    def focus_panel(self, panel_id: str) -> None:
        """The focus on the panel's table or log (or the panel itself)."""
        panel = self.query_one(f"#{panel_id}")
        target = next(iter(panel.query("DataTable, RichLog")), panel)
        if target.focusable:
            target.focus()

    def table_edge(self, panel_id: str, where: str) -> None:
        """The panel's table takes the focus and goes to its first or last row."""
        tables = self.query_one(f"#{panel_id}").query(DataTable)
        if tables:
            table = tables.first()
            table.focus()
            table.action_scroll_top() if where == "top" else table.action_scroll_bottom()

    def panel_of(self, node: DOMNode | None, current: str) -> Panel | None:
        """The panel holding ``node`` (the focused widget), else the ``current`` one."""
        while node is not None and not isinstance(node, Panel):
            node = node.parent
        if node is None:
            node = self.query_one(f"#{current}")
        return node if isinstance(node, Panel) else None
