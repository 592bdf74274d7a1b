"""Cells and rows: text plus a tone, so colours are chosen by the theme, not by the view."""

from __future__ import annotations

import re
from dataclasses import dataclass

from blazz_tui.fmt import duration
from blazz_tui.rules.model import Status
from blazz_tui.sources.base import Reading

OK, WARN, CRIT, MUTED, PLAIN = "ok", "warn", "crit", "muted", ""
STATUS_TONE = {Status.OK: OK, Status.WARNING: WARN, Status.CRITICAL: CRIT,
               Status.UNKNOWN: MUTED}
RANK = {PLAIN: 0, MUTED: 0, OK: 0, WARN: 1, CRIT: 2}
"""How much a tone says is wrong: the worse of two is the one a cell takes."""
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


EIGHTHS = "▏▎▍▌▋▊▉"
"""A cell filled by one to seven eighths."""


def bar(fraction: float, width: int = 10) -> str:
    """A text capacity bar drawn in eighths of a cell, ``██▍░░░░░░░``: on five cells 6 % is
    ``▎░░░░`` and 24 % ``█▎░░░`` (whole cells drew both as ``█░░░░``). Any load shows."""
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * width * 8)
    if fraction > 0:
        eighths = max(1, eighths)
    full, part = divmod(eighths, 8)
    drawn = "█" * full + (EIGHTHS[part - 1] if part else "")
    return drawn + "░" * (width - len(drawn))


_QUANTITY = re.compile(r"(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>%|ms\b)"
                       r"|(?P<d>(?:\d+[dhms])+)(?![\w.])")
_THRESHOLD = re.compile(r"(?P<op>[<>≤≥])\s*(?P<rest>.+)")
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _quantity(text: str) -> tuple[float, str] | None:
    """The figure ``text`` starts with, as (number, unit): ``94.4 %``, ``320 ms``, or a
    duration as ``fmt.duration`` writes it (``7m05s`` → 425 s); None if it starts with none."""
    found = _QUANTITY.match(text.strip())
    if found is None:
        return None
    if found["d"]:
        return float(sum(int(n) * _SECONDS[u]
                         for n, u in re.findall(r"(\d+)([dhms])", found["d"]))), "s"
    return float(found["n"].replace(",", "")), found["unit"]


def _beyond(value: tuple[float, str], threshold: str, past: bool) -> bool:
    """Whether ``value`` is past a printed ``< 95 %``-like bound (``past``), or falls short of
    a printed ``> 99 %``-like target (not ``past``); False when they are not comparable."""
    found = _THRESHOLD.fullmatch(threshold.strip())
    bound = _quantity(found["rest"]) if found else None
    if found is None or bound is None or bound[1] != value[1]:
        return False
    below = found["op"] in "<≤"
    return (value[0] < bound[0] if below else value[0] > bound[0]) if past else \
        (value[0] > bound[0] if below else value[0] < bound[0])


def printed_tone(value: str, target: str, alert: str) -> str:
    """The tone a figure takes against the target and alert printed beside it: CRIT past the
    alert, WARN short of the target, PLAIN otherwise or when they do not compare — so what is
    read on the row agrees with its colour (``94.4 %`` beside ``< 95 %`` was plain while its
    check waited to have observed long enough)."""
    figure = _quantity(value)
    if figure is None:
        return PLAIN
    if _beyond(figure, alert, past=True):
        return CRIT
    return WARN if _beyond(figure, target, past=False) else PLAIN


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
