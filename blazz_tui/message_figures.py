"""The seeds' message latency and failed messages, from whichever source the target has.

Message latency: the instances' ``/metrics`` send timings, else the Laravel log's send lines
(``messages.log_pattern``), else the chats table's ``sent_at`` → ``delivered_at``. Failed
messages: the chats table's ``message_status`` over the last hour, else the instances'
``/metrics`` counters. The first source with a figure is taken; when none has one, the first
the target has says why; a target with none of them has no such figure. Each figure names its
source and its window.
"""

from __future__ import annotations

from dataclasses import dataclass

from blazz_tui.fmt import duration
from blazz_tui.history import MessageRates
from blazz_tui.settings import Thresholds
from blazz_tui.sources.chats import MessageWindow
from blazz_tui.sources.database import DatabaseReading
from blazz_tui.sources.logs import LogsReading

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


def _metrics_latency(rates: MessageRates | None) -> MessageFigure | None:
    if rates is None or not rates.available:
        return None
    if rates.unknown is not None:
        return _unknown(METRICS, rates.unknown, rates.waiting)
    return MessageFigure(rates.latency, rates.sent, rates.seconds, METRICS, rates.failed,
                         unknown=None if rates.latency is not None else
                         f"no message was sent in {duration(rates.seconds)}")


def _metrics_failed(rates: MessageRates | None) -> MessageFigure | None:
    if rates is None or not rates.available:
        return None
    if rates.unknown is not None:
        return _unknown(METRICS, rates.unknown, rates.waiting)
    total = rates.sent + rates.failed
    return MessageFigure(rates.failed_percent, total, rates.seconds, METRICS, rates.failed,
                         unknown=None if total else
                         f"no message was sent in {duration(rates.seconds)}")


def _log_latency(logs: LogsReading | None) -> MessageFigure | None:
    times = logs.send_times if logs is not None else None
    if times is None or not times.seen:
        return None
    return MessageFigure(times.total / times.count if times.count else None, times.count,
                         times.seconds, LOG, unknown=None if times.count else
                         f"no send logged in {duration(times.seconds)}")


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
    return MessageFigure(window.delivery_seconds / window.delivered if window.delivered
                         else None, window.delivered, window.seconds, _table(window),
                         window.failed, unknown=None if window.delivered else
                         f"no message delivered in {duration(window.seconds)}",
                         capped=window.capped)


def _chats_failed(database: DatabaseReading | None) -> MessageFigure | None:
    window, error = _chats(database)
    if window is None:
        return None if error is None else _unknown(CHATS, error)
    return MessageFigure(100.0 * window.failed / window.messages if window.messages else None,
                         window.messages, window.seconds, _table(window), window.failed,
                         unknown=None if window.messages else
                         f"no message sent in {duration(window.seconds)}",
                         capped=window.capped)
