"""A titled panel holding one table, fed by a pure view function.

The panel receives frames (``frame`` reactive, bound from the app) and never fetches.
Its subtitle shows the age of the data or the source's error and the age of its last
good data. Unsorted, the broken rows come first. ``<``/``>`` (or a header click) sort by a
column, shown in its header (``pending ▼``), ``s`` reverses; ``/`` filters rows by text, the
title saying so with the counts (``4 Queues /wh [2/8]``); space marks rows (the selection an
action acts on). While the cursor rests below the first row of a focused table, the rows keep
their order: the row under it does not move away as figures change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from blazz_tui.widgets.tones import tone_style
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from blazz_tui.fmt import visible
from blazz_tui.frame import Frame
from blazz_tui.selection import Selection
from blazz_tui.views.cells import CRIT, MUTED, OK, WARN, Cell, Row, Table, freshness

ViewFn = Callable[[Frame], Table]
Shown = tuple[str, bool, tuple[tuple[str, str, bool], ...]]
"""A row as drawn: its key, whether it is marked, and (text, tone, right-aligned) a cell."""
SegmentLines = list[list[Segment]]  # a rendered cell, as DataTable._render_cell returns it


_subtitles: WeakKeyDictionary[Widget, str] = WeakKeyDictionary()
"""The subtitle last set on each panel, as given (a widget keeps it parsed)."""


def set_subtitle(widget: Widget, text: str) -> None:
    """Set a border subtitle only when it changed: Textual repaints the whole panel on every
    assignment, and the data's age is set on every frame."""
    if _subtitles.get(widget) != text:
        _subtitles[widget] = text
        widget.border_subtitle = text


class PanelTable(DataTable[Text]):
    """A DataTable that renders again only the cells whose content changed.

    DataTable keys its rendered cells on a table-wide update counter, so one changed uptime
    renders every visible cell again through Rich (most of the dashboard's CPU at a 1 s
    refresh). Here a cell's rendering is keyed on what it shows.

    Out of focus the cursor row keeps its cells' colours: a FATAL program sorted first must
    stay red while another panel has the focus."""

    CACHE_CELLS = 1024
    """A panel shows at most ~40 rows of ~10 cells."""

    BINDINGS = [  # the keys of less, vim, k9s and htop users
        Binding("enter", "select_cursor", "Details", tooltip="everything about the row"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
        Binding("ctrl+d", "page_down", "Page down", show=False),
        Binding("ctrl+u", "page_up", "Page up", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_foreground_priority="renderable", **kwargs)
        self._cells: LRUCache[tuple[object, ...], SegmentLines] = LRUCache(self.CACHE_CELLS)
        # DataTable's own caches (10,000 cells, 1,000 rows and lines) are keyed on a counter
        # that moves on every refresh: they only ever fill, for half an hour, to tens of MiB
        # over the dashboard's tables. Sized for what a panel shows, memory stays flat.
        self._cell_render_cache = LRUCache(self.CACHE_CELLS)
        self._row_render_cache = LRUCache(128)
        self._line_cache = LRUCache(128)

    def on_focus(self) -> None:
        self.cursor_foreground_priority = "css"

    def on_blur(self) -> None:
        self.cursor_foreground_priority = "renderable"

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> SegmentLines:
        if row_index < 0 or column_index < 0:  # headers and labels: as DataTable does
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        value = self._data[row_key][column_key]
        shown = (value.plain, value.style, tuple(value.spans)) if isinstance(value, Text) \
            else str(value)
        key = (shown, row_index, column_index, base_style, width, cursor, hover,
               self._show_hover_cursor, self._pseudo_class_state)
        lines = self._cells.get(key)
        if lines is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor,
                                         hover)
            self._cells[key] = lines
        return lines


class TablePanel(Vertical, can_focus=False):
    """A panel: border title, freshness subtitle, a sortable and filterable table."""

    DEFAULT_CSS = """
    TablePanel { height: 1fr; }
    TablePanel > DataTable { height: 1fr; }
    """

    BINDINGS = [
        Binding("greater_than_sign", "move_sort(1)", "Sort", key_display="< >",
                tooltip="sort by the next column (< the previous one)"),
        Binding("less_than_sign", "move_sort(-1)", "Sort back", key_display="<", show=False,
                tooltip="sort by the previous column"),
        Binding("s", "reverse_sort", "Reverse sort", show=False, tooltip="reverse the sort"),
        Binding("space", "toggle_mark", "Mark ↓", key_display="space",
                tooltip="mark the row (what an action acts on) and move down; esc clears"),
    ]
    MARK = "● "

    frame: reactive[Frame | None] = reactive(None, always_update=True, repaint=False)
    filter_text: reactive[str] = reactive("")

    class RowChosen(Message):
        """Enter on a row: the panel, and the row's key."""

        def __init__(self, panel: TablePanel, key: str) -> None:
            super().__init__()
            self.panel = panel
            self.key = key

    def __init__(self, title: str, view: ViewFn, source: str | None, *, id: str,
                 severity_first: bool = True) -> None:
        super().__init__(id=id, classes="panel")
        self._severity_first = severity_first
        """Unsorted, the broken rows come first (off for a table of figures, whose order is
        its meaning)."""
        self.border_title = self._title = title
        self._view = view
        self._source = source
        self._sort_column: int | None = None
        self._sort_reverse = False
        self._table: Table | None = None
        self._shown: list[Shown] = []
        """What the table shows: (row key, marked, (text, tone) per cell)."""
        self.marked: dict[str, None] = {}
        """Marked row keys, in the order they were marked (kept across refreshes)."""
        self._counts = (0, 0)
        """Rows shown (after the filter), and all rows."""
        self._caps: list[int | None] = []
        """The widths the name columns are cut at, to give the others their room."""

    def compose(self) -> ComposeResult:
        table = PanelTable(cursor_type="row", zebra_stripes=False)
        yield table

    @property
    def data_table(self) -> DataTable[Text]:
        return self.query_one(DataTable)

    def watch_frame(self, frame: Frame | None) -> None:
        if frame is None:
            return
        reading = frame.snapshot.readings().get(self._source) if self._source else None
        if self._source:
            text, tone = freshness(reading, frame.snapshot.taken_at)
            set_subtitle(self, text)
            self.set_class(tone != MUTED, "-failed")
            # Its source fails now: what the table still shows is its last good data.
            self.set_class(reading is not None and reading.error is not None
                           and reading.has_data, "-stale")
        self._table = self._view(frame)
        self._refresh_rows()

    def watch_filter_text(self) -> None:
        self._refresh_rows()

    def _refresh_rows(self) -> None:
        if self._table is None:
            return
        table = self.data_table
        columns = self._table.columns
        labels = tuple(self._label(i, c) for i, c in enumerate(columns))
        if tuple(str(c.label) for c in table.columns.values()) != labels:
            table.clear(columns=True)
            table.add_columns(*labels)
            self._shown = []
        rows = list(self._table.rows)
        total = len(rows)
        if self.filter_text:
            needle = self.filter_text.lower()
            rows = [r for r in rows if any(needle in c.text.lower() for c in r.cells)]
        if self._sort_column is not None and self._sort_column < len(columns):
            col = self._sort_column
            rows.sort(key=lambda r: _sort_key(r, col), reverse=self._sort_reverse)
        elif self._severity_first:  # the broken row on top, in view without scrolling
            rows.sort(key=_severity)
        if table.has_focus and table.cursor_row > 0 and self._shown:
            rows = _keep_order(rows, [key for key, _, _ in self._shown])
        self._set_title(len(rows), total)
        # The value is coloured, not the row (as glances does): a row's tone only sorts it;
        # figures are right-aligned.
        caps = _fitted_widths(labels, rows, self._table.gives_way,
                              table.scrollable_content_region.width)
        refit = caps != self._caps  # a column cut narrower (or wider) is measured anew
        if refit:
            self._caps = caps
            self._shown = []
        shown = [(row.key, row.key in self.marked,
                  tuple((_cut(c.text, caps[i]), c.tone, _figure(c))
                        for i, c in enumerate(row.cells)))
                 for row in rows]
        if [key for key, _, _ in shown] == [key for key, _, _ in self._shown]:
            self._update_cells(shown)
        else:
            self._rebuild(shown)
        self._shown = shown
        if refit:
            self._measure_columns(labels, shown)
        if not (table.has_focus and table.cursor_row > 0):  # nobody reads it row by row
            failing = next((i for i, row in enumerate(rows) if _severity(row) < 2), None)
            if failing is not None and (failing or table.scroll_y):
                self.call_after_refresh(self._bring_into_view, failing)

    def _measure_columns(self, labels: tuple[str, ...], shown: list[Shown]) -> None:
        """Each column as wide as what it shows now: a DataTable's columns only ever grow."""
        table = self.data_table
        for index, column in enumerate(table.columns.values()):
            column.content_width = max([cell_len(labels[index]), *(
                cell_len(cells[index][0]) + (len(self.MARK) if marked and not index else 0)
                for _, marked, cells in shown if index < len(cells))])
        table._require_update_dimensions = True  # noqa: SLF001 - DataTable internals (pinned)
        table.refresh()

    def _bring_into_view(self, index: int) -> None:
        """Scroll so that row ``index`` shows: a table never sits scrolled below its own
        failures (after a resize, say), its cursor left where it is."""
        table = self.data_table
        if index >= table.row_count:
            return
        top, _, _, left = table._get_fixed_offset()  # noqa: SLF001 - DataTable internals (pinned)
        _, y, width, height = table._get_row_region(index)  # noqa: SLF001
        table.scroll_to_region(Region(int(table.scroll_x) + left, y, width - left, height),
                               animate=False, spacing=table._get_fixed_offset(),  # noqa: SLF001
                               force=True)

    def _update_cells(self, shown: list[Shown]) -> None:
        """Same rows in the same order: only the cells that changed are redrawn (no layout,
        the cursor and the scroll position stay)."""
        table = self.data_table
        column_keys = list(table.columns)
        for (key, marked, cells), (_, was_marked, old) in zip(shown, self._shown, strict=True):
            for index, (cell, before) in enumerate(zip(cells, old, strict=False)):
                if cell == before and (index or marked == was_marked):
                    continue
                text = self._cell(cell, marked and not index)
                wider = text.cell_len > table.columns[column_keys[index]].content_width
                table.update_cell(key, column_keys[index], text, update_width=wider)

    def _rebuild(self, shown: list[Shown]) -> None:
        table = self.data_table
        # The cursor follows its row across refreshes, except at the top: a table watched
        # from its first row stays there as rows arrive above the old first one.
        selected = self._selected_key() if table.cursor_row > 0 else None
        table.clear()
        for key, marked, cells in shown:
            table.add_row(*(self._cell(c, marked and not i) for i, c in enumerate(cells)),
                          key=key)
        if selected is not None:
            try:
                table.move_cursor(row=table.get_row_index(selected), animate=False)
            except RowDoesNotExist:
                pass  # the row left the table: the cursor stays where it is

    def _cell(self, cell: tuple[str, str, bool], marked: bool) -> Text:
        text, tone, figure = cell
        style = tone_style(self.app, tone) if tone and tone != OK else ""
        rendered = Text(visible(text),  # names and errors come from the watched system
                        style=style, justify="right" if figure else "left")
        return Text(self.MARK, style="bold") + rendered if marked else rendered

    def _selected_key(self) -> str | None:
        table = self.data_table
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return str(key.value) if key.value is not None else None

    @property
    def selection(self) -> Selection:
        """The marked rows still present, else the row under the cursor."""
        present = {r.key for r in self._table.rows} if self._table else set()
        marked = tuple(k for k in self.marked if k in present)
        if marked:
            return Selection(self.id or "", marked, marked=True)
        cursor = self._selected_key()
        return Selection(self.id or "", (cursor,) if cursor is not None else ())

    def action_toggle_mark(self) -> None:
        key = self._selected_key()
        if key is None:
            return
        if key in self.marked:
            del self.marked[key]
        else:
            self.marked[key] = None
        row = self.data_table.cursor_row
        self._refresh_rows()
        self.data_table.move_cursor(row=min(row + 1, self.data_table.row_count - 1),
                                    animate=False)
        self._retitle()

    def clear_marks(self) -> None:
        self.marked.clear()
        self._refresh_rows()
        self._retitle()

    def _retitle(self) -> None:
        self._set_title(*self._counts)

    def _set_title(self, shown: int, total: int) -> None:
        """The title says what the table holds back: an active filter with the counts, how
        many rows are marked (what an action would act on), columns cut off."""
        self._counts = (shown, total)
        title = self._title
        if self.filter_text:
            title += f" /{visible(self.filter_text)} [{shown}/{total}]"
        marked = len(self.selection.keys) if self.marked and self.selection.marked else 0
        if marked:
            title += f" · {marked} marked"
        hidden = self._hidden_columns()
        if hidden:
            title += f" · +{hidden} col{'s' if hidden > 1 else ''} →"
        if self.border_title != title:
            self.border_title = title

    def _hidden_columns(self) -> int:
        """Columns cut off at the right edge (the table scrolls sideways; no bar shows it)."""
        table = self.data_table
        room = table.scrollable_content_region.width
        if not room:
            return 0
        end, hidden = 0, 0
        for column in table.columns.values():
            end += column.get_render_width(table)
            hidden += end > room + table.scroll_offset.x
        return hidden

    def on_resize(self) -> None:
        self._refresh_rows()  # the columns are fitted to the room there is
        self._retitle()

    def _label(self, index: int, column: str) -> str:
        if index != self._sort_column:
            return column
        return f"{column} {'▼' if self._sort_reverse else '▲'}"

    def action_move_sort(self, step: int) -> None:
        if self._table is None or not self._table.columns:
            return
        n = len(self._table.columns)
        start = self._sort_column if self._sort_column is not None else (-1 if step > 0 else n)
        self._sort_by((start + step) % n)

    def _sort_by(self, column: int) -> None:
        """Figures biggest first (▼), names from A (▲)."""
        rows = self._table.rows if self._table else ()
        self._sort_column = column
        self._sort_reverse = any(isinstance(r.cells[column].key, int | float) for r in rows
                                 if column < len(r.cells))
        self._refresh_rows()

    def action_reverse_sort(self) -> None:
        if self._sort_column is None:
            self.action_move_sort(1)
            return
        self._sort_reverse = not self._sort_reverse
        self._refresh_rows()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        if self._sort_column == event.column_index:
            self.action_reverse_sort()
        else:
            self._sort_by(event.column_index)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.RowChosen(self, str(event.row_key.value)))


_RANK = {CRIT: 0, WARN: 1}


NAME_MIN = 14
"""Characters a name column keeps when it gives way to the columns after it."""
LAST_MIN = 24
"""Characters the last column (a check's summary, a process's uptime…) is given room for."""


def _fitted_widths(labels: tuple[str, ...], rows: list[Row], gives_way: tuple[int, ...],
                   room: int) -> list[int | None]:
    """Widths to cut each column's text at (None: as wide as it is) so that the last column
    (a check's summary) gets its room first: the columns that give way are cut, widest
    first, down to ``NAME_MIN``."""
    count = len(labels)
    if not room or not rows or not gives_way:
        return [None] * count
    widths = [max([len(labels[i]), *(len(r.cells[i].text) for r in rows if i < len(r.cells))])
              for i in range(count)]
    # A cell's padding is one each side; the last column wants LAST_MIN of its own at least.
    excess = sum(w + 2 for w in widths[:-1]) + min(widths[-1], LAST_MIN) + 2 - room
    caps: list[int | None] = [None] * count
    names = sorted((i for i in gives_way if i < count - 1 and widths[i] > NAME_MIN),
                   key=lambda i: -widths[i])
    for i in names:
        if excess <= 0:
            break
        cut = min(excess, widths[i] - NAME_MIN)
        caps[i], excess = widths[i] - cut, excess - cut
    return caps


def _cut(text: str, width: int | None) -> str:
    """``text`` in ``width`` characters, its middle given up, more of its end kept."""
    if width is None or len(text) <= width:
        return text
    # The end tells more apart (_00 from _01, 3002 from 3003); a kind ("program:") stays.
    kind = text.find(":") + 1
    head = kind if 0 < kind <= (width - 1) // 2 else (width - 1) // 3
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def _severity(row: Row) -> int:
    """0 for a row with anything critical in it, 1 for a warning, 2 for the rest (a stable
    sort keeps the view's order within each)."""
    return min((_RANK.get(tone, 2) for tone in (row.tone, *(c.tone for c in row.cells))),
               default=2)


def _figure(cell: Cell) -> bool:
    """A number (or its "-"), right-aligned: sorted as a number and written as one."""
    return isinstance(cell.sort, int | float) and (cell.text[:1].isdigit() or cell.text in (
        "-", "?") or cell.text[:1] in "≥+-")


def _keep_order(rows: list[Row], before: list[str]) -> list[Row]:
    """``rows`` in the order ``before`` showed them; new ones after."""
    place = {key: i for i, key in enumerate(before)}
    return sorted(rows, key=lambda r: place.get(r.key, len(place)))


def _sort_key(row: Row, column: int) -> tuple[int, float | str]:
    key = row.cells[column].key if column < len(row.cells) else ""
    return (0, key) if isinstance(key, int | float) else (1, str(key).lower())
