"""The messages of the last hour from the ``chats`` table (seed 003: ``message_status``,
``sent_at``, ``delivered_at``): how many failed, and how long the delivered ones took.

One bounded statement, read by the database source each poll: the newest ``scan_limit`` rows
by primary key (Blazz adds no index on ``sent_at``, and none is added here), of which those
sent in the last hour are counted. Rows arrive in id order, so the newest rows are the
hour's; an hour busier than ``scan_limit`` rows is figured over its newest rows, and the
window says how long they cover. ~0.5 µs a row on MySQL: 5,000 rows ≈ 2.7 ms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from blazz_tui.settings import MessagesConfig

HOUR = 3_600.0


@dataclass(frozen=True)
class MessageWindow:
    """The chats table's messages sent within ``seconds`` before it was read."""

    messages: int
    failed: int
    delivered: int
    """Messages with both ``sent_at`` and ``delivered_at`` (their latency is known)."""
    delivery_seconds: float
    """Sum of their ``delivered_at - sent_at``."""
    seconds: float
    """The window: an hour, or less when the newest ``scan_limit`` rows cover less."""
    table: str = "chats"
    capped: bool = False
    """More messages in the hour than ``scan_limit``: figured over the newest of them."""
    recent: MessageWindow | None = None
    """The window judged: the last ``recent_seconds`` when they hold ``recent_messages``
    messages, else the newest ``recent_messages`` of the hour (None: this is that window)."""


class Rows(Protocol):
    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...


def read_chats(s: Rows, engine: str, config: MessagesConfig, zone: ZoneInfo,
               now: float) -> MessageWindow:
    """The hour ending ``now``, and its recent window; the table's timestamps are in ``zone``
    (APP_TIMEZONE). One statement: the newest rows numbered as they come (a window function:
    MySQL 8, MariaDB 10.2, SQLite 3.25)."""
    # Backticks on SQLite too: a double-quoted name it does not know is taken as a string.
    table, status, sent, delivered = (
        f"`{name}`" for name in (config.table, config.status_column,
                                           config.sent_column, config.delivered_column))
    took = (f"TIMESTAMPDIFF(MICROSECOND, {sent}, {delivered}) / 1e6" if engine == "mysql"
            else f"ROUND((julianday({delivered}) - julianday({sent})) * 86400000) / 1000.0")
    failed = ", ".join("?" for _ in config.failed_statuses)
    ok = f"{delivered} >= {sent}"
    columns: list[str] = []
    args: list[Any] = []
    # The hour, the last minute, the newest messages: five figures each.
    for where, value in (("1 = 1", None), (f"{sent} >= ?", _local(now - config.recent_seconds,
                                                                     zone)),
                         ("n <= ?", config.recent_messages)):
        columns += [f"SUM(CASE WHEN {where} THEN 1 ELSE 0 END)",
                    f"SUM(CASE WHEN {where} AND {status} IN ({failed}) THEN 1 ELSE 0 END)",
                    f"SUM(CASE WHEN {where} AND {ok} THEN 1 ELSE 0 END)",
                    f"SUM(CASE WHEN {where} AND {ok} THEN {took} ELSE 0 END)",
                    f"MIN(CASE WHEN {where} THEN {sent} END)"]
        mine = [] if value is None else [value]
        args += [*mine, *mine, *config.failed_statuses, *mine, *mine, *mine]
    row = s.rows(
        f"SELECT {', '.join(columns)} FROM (SELECT {status}, {sent}, {delivered}, "
        f"ROW_NUMBER() OVER (ORDER BY id DESC) AS n FROM {table} ORDER BY id DESC LIMIT ?) "
        f"AS newest WHERE {sent} >= ?",
        (*args, config.scan_limit, _local(now - HOUR, zone)))[0]
    hour, minute, newest = (row[i:i + 5] for i in (0, 5, 10))
    messages = int(hour[0] or 0)
    capped = messages >= config.scan_limit
    oldest = _epoch(hour[4], zone)
    seconds = max(0.0, now - oldest) if capped and oldest is not None else HOUR
    window = _window(hour, seconds, config.table, capped)
    if int(minute[0] or 0) >= config.recent_messages:
        recent = _window(minute, config.recent_seconds, config.table)
    elif int(newest[0] or 0) >= config.recent_messages:
        first = _epoch(newest[4], zone)
        recent = _window(newest, max(config.recent_seconds, now - first) if first else seconds,
                         config.table)
    else:
        recent = None  # fewer in the whole hour: the hour is the window judged
    return replace(window, recent=recent)


def _window(row: Any, seconds: float, table: str, capped: bool = False) -> MessageWindow:
    return MessageWindow(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0),
                         float(row[3] or 0.0), seconds, table, capped)


def _local(epoch: float, zone: ZoneInfo) -> str:
    """``epoch`` as the table's naive timestamps write it."""
    return datetime.fromtimestamp(epoch, zone).replace(tzinfo=None).isoformat(" ", "seconds")


def _epoch(value: Any, zone: ZoneInfo) -> float | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return float(value.astimezone(UTC).timestamp())

