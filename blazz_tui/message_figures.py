"""The seeds' message latency and failed messages, from whichever source the target has.

Message latency: the instances' ``/metrics`` send timings, else the Laravel log's send lines
(``messages.log_pattern``), else the chats table's ``sent_at`` → ``delivered_at``. Failed
messages: the chats table's ``message_status`` over the last hour, else the instances'
``/metrics`` counters. The first source with a figure is taken; when none has one, the first
the target has says why; a target with none of them has no such figure. Each figure names its
source and its window.

A figure is judged over a recent window — the last minute when it holds enough messages, else
the newest of them — so a change shows within a minute and a healed fault clears as fast; the
longer window (5 minutes, the hour) rides along as its trend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from blazz_tui.fmt import duration
from blazz_tui.history import MessageRates
from blazz_tui.settings import Thresholds
from blazz_tui.sources.chats import MessageWindow
from blazz_tui.sources.database import DatabaseReading
from blazz_tui.sources.logs import LogsReading, SendTimes

T = TypeVar("T")

METRICS = "the instances' /metrics"
LOG = "the Laravel log"
CHATS = "the chats table"
"""Its name when it could not be read (its error names the configured table)."""


@dataclass(frozen=True)
class MessageFigure:
    value: float | None
    """Seconds a message (latency) or percent failed; None: unknown, see ``unknown``."""
    messages: int
    """Messages the figure is over."""
    seconds: float
    """The window."""
    source: str
    failed: int = 0
    unknown: str | None = None
    waiting: bool = False
    """The source needs a second sample before it has a window."""
    capped: bool = False
    """Over the newest rows of a busier window only (chats ``scan_limit``)."""
    trend: MessageFigure | None = None
    """The same figure over the longer window (5 minutes, the chats table's hour), shown
    beside the recent one it is judged on."""

    @property
    def quiet(self) -> bool:
        """No message at all in a window that was read: nothing to judge, nothing wrong."""
        return self.value is None and self.seconds > 0 and self.messages + self.failed == 0

    @property
    def polled_by(self) -> str:
        """The source whose polls bring this figure."""
        return {METRICS: "messages", LOG: "logs"}.get(self.source, "database")

    def too_few(self, check: str, t: Thresholds) -> bool:
        """Shown but not judged: fewer messages than ``check`` (``message-latency``,
        ``failed-messages``) is judged from."""
        return self.messages < (t.failed_messages_min if check == "failed-messages"
                                else t.messages_min)

    @property
    def window(self) -> str:
        newest = "the newest messages of " if self.capped else ""
        return f"over {newest}the last {duration(self.seconds)}, from {self.source}"


def latency(rates: MessageRates | None, logs: LogsReading | None,
            database: DatabaseReading | None) -> MessageFigure | None:
    return _first([_metrics_latency(rates), _log_latency(logs), _chats_latency(database)])


def failed(rates: MessageRates | None,
           database: DatabaseReading | None) -> MessageFigure | None:
    return _first([_chats_failed(database), _metrics_failed(rates)])


def _first(candidates: list[MessageFigure | None]) -> MessageFigure | None:
    there = [c for c in candidates if c is not None]
    return next((c for c in there if c.value is not None), there[0] if there else None)


def _unknown(source: str, why: str, waiting: bool = False) -> MessageFigure:
    return MessageFigure(None, 0, 0.0, source, unknown=why, waiting=waiting)


def _recent(figure: Callable[[T], MessageFigure], window: T,
            recent: T | None) -> MessageFigure:
    """The figure over the recent window, with the longer one's as its trend."""
    whole = figure(window)
    return whole if recent is None else replace(figure(recent), trend=whole)


def _metrics_latency(rates: MessageRates | None) -> MessageFigure | None:
    if rates is None or not rates.available:
        return None
    if rates.unknown is not None:
        return _unknown(METRICS, rates.unknown, rates.waiting)

    def figure(r: MessageRates) -> MessageFigure:
        return MessageFigure(r.latency, r.sent, r.seconds, METRICS, r.failed,
                             unknown=None if r.latency is not None else
                             f"no message was sent in {duration(r.seconds)}")

    return _recent(figure, rates, rates.recent)


def _metrics_failed(rates: MessageRates | None) -> MessageFigure | None:
    if rates is None or not rates.available:
        return None
    if rates.unknown is not None:
        return _unknown(METRICS, rates.unknown, rates.waiting)

    def figure(r: MessageRates) -> MessageFigure:
        total = r.sent + r.failed
        return MessageFigure(r.failed_percent, total, r.seconds, METRICS, r.failed,
                             unknown=None if total else
                             f"no message was sent in {duration(r.seconds)}")

    return _recent(figure, rates, rates.recent)


def _log_latency(logs: LogsReading | None) -> MessageFigure | None:
    times = logs.send_times if logs is not None else None
    if times is None or not times.seen:
        return None

    def figure(t: SendTimes) -> MessageFigure:
        return MessageFigure(t.total / t.count if t.count else None, t.count, t.seconds, LOG,
                             unknown=None if t.count else
                             f"no send logged in {duration(t.seconds)}")

    return _recent(figure, times, times.recent)


def _chats(database: DatabaseReading | None) -> tuple[MessageWindow | None, str | None]:
    """The chats window, or why it is unknown; (None, None) when the target has no table."""
    if database is None or (database.chats is None and database.chats_error is None):
        return None, None
    error = database.chats_error
    if error is not None and " not found in " in error:
        return None, None
    return database.chats, error


def _table(window: MessageWindow) -> str:
    return f"the {window.table} table"


def _chats_latency(database: DatabaseReading | None) -> MessageFigure | None:
    window, error = _chats(database)
    if window is None:
        return None if error is None else _unknown(CHATS, error)

    def figure(w: MessageWindow) -> MessageFigure:
        return MessageFigure(w.delivery_seconds / w.delivered if w.delivered else None,
                             w.delivered, w.seconds, _table(w), w.failed,
                             unknown=None if w.delivered else
                             f"no message delivered in {duration(w.seconds)}", capped=w.capped)

    return _recent(figure, window, window.recent)


def _chats_failed(database: DatabaseReading | None) -> MessageFigure | None:
    window, error = _chats(database)
    if window is None:
        return None if error is None else _unknown(CHATS, error)

    def figure(w: MessageWindow) -> MessageFigure:
        return MessageFigure(100.0 * w.failed / w.messages if w.messages else None,
                             w.messages, w.seconds, _table(w), w.failed,
                             unknown=None if w.messages else
                             f"no message sent in {duration(w.seconds)}", capped=w.capped)

    return _recent(figure, window, window.recent)
