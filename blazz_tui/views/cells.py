"""Cells and rows: text plus a tone, so colours are chosen by the theme, not by the view."""

from __future__ import annotations

from dataclasses import dataclass

from blazz_tui.fmt import duration
from blazz_tui.rules.model import Status
from blazz_tui.sources.base import Reading

OK, WARN, CRIT, MUTED, PLAIN = "ok", "warn", "crit", "muted", ""
STATUS_TONE = {Status.OK: OK, Status.WARNING: WARN, Status.CRITICAL: CRIT,
               Status.UNKNOWN: MUTED}
STATE_TONE = {"RUNNING": OK, "STARTING": WARN, "STOPPING": WARN, "STOPPED": WARN,
              "EXITED": WARN, "BACKOFF": CRIT, "FATAL": CRIT, "UNKNOWN": CRIT}


@dataclass(frozen=True)
class Cell:
    text: str
    tone: str = PLAIN
    sort: float | str | None = None
    """Sort key when it differs from the text (numbers, durations)."""

    @property
    def key(self) -> float | str:
        return self.sort if self.sort is not None else self.text


@dataclass(frozen=True)
class Row:
    key: str
    """Stable identity of the row (process name, queue name...)."""
    cells: tuple[Cell, ...]
    tone: str = PLAIN


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    gives_way: tuple[int, ...] = ()
    """Name columns that are cut (in their middle) before the last column is: a check's
    name gives way to its summary, which carries the meaning."""


def freshness(reading: Reading | None, now: float) -> tuple[str, str]:
    """The panel subtitle for a source: (text, tone) — its age, or its error and the age of
    its last good data. Never a stale value dressed as fresh."""
    if reading is None:
        return "not configured", MUTED
    age = reading.age(now)
    if reading.error is not None:
        last = f"last good {duration(age)} ago" if age is not None else "no data yet"
        return f"{reading.error} — {last}", CRIT
    if age is None:
        return "waiting for first poll", MUTED
    return f"updated {duration(age)} ago", MUTED


def bar(fraction: float, width: int = 10) -> str:
    """A text capacity bar: ``███████░░░``."""
    fraction = min(1.0, max(0.0, fraction))
    filled = max(1, round(fraction * width)) if fraction > 0 else 0  # any load shows
    return "█" * filled + "░" * (width - filled)


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: tuple[float, ...] | tuple[int, ...], low: float, high: float,
              width: int = 12) -> str:
    """The last ``width`` values on a fixed scale from ``low`` to ``high`` (a meaningful one:
    a queue's depth against its thresholds, not against its own maximum, so 0 → 1 → 0 stays
    flat), padded to ``width`` while the history fills: a column that widened each second
    would lay out the whole screen again each second."""
    points = list(values)[-width:]
    if not points:
        return ""
    span = (high - low) or 1
    top = len(SPARK) - 1
    return "".join(SPARK[max(0, min(top, int((v - low) / span * top)))]
                   for v in points).ljust(width)
