"""Messages: the seeds' message latency (< 150 ms, alert > 300 ms) and failed messages (< 1 %,
alert > 5 %), each from whichever source the target has (``message_figures``), with failed
send jobs in ``failed_jobs`` as a second signal beside the failed share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from blazz_tui.fmt import duration, plural
from blazz_tui.message_figures import MessageFigure
from blazz_tui.rules.model import Check, Perf, Status, upper
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot


def message_checks(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    m = snap.message_latency
    if m is not None:
        yield _pending("message-latency", m, t) or Check(
            "message-latency", upper(m.value or 0.0, t.message_latency_warn,
                                     t.message_latency_crit),
            f"{(m.value or 0.0) * 1000:.0f} ms a message, mean of {m.messages:,} {m.window}"
            + _trend(m, lambda v: f"{v * 1000:.0f} ms"),
            m.polled_by, (Perf("message_latency", round(m.value or 0.0, 4), "s",
                               f"{t.message_latency_warn:g}", f"{t.message_latency_crit:g}",
                               0),))
    m = snap.failed_messages
    if m is not None:
        yield _with_sends(_pending("failed-messages", m, t) or Check(
            "failed-messages", upper(m.value or 0.0, t.failed_messages_warn,
                                     t.failed_messages_crit),
            f"{m.value or 0.0:.1f} % failed: {m.failed:,} of {m.messages:,} {m.window}"
            + _trend(m, lambda v: f"{v:.1f} %"),
            m.polled_by, (Perf("failed_messages", round(m.value or 0.0, 2), "%",
                               f"{t.failed_messages_warn:g}", f"{t.failed_messages_crit:g}",
                               0, 100),)), snap)


def _trend(m: MessageFigure, show: Callable[[float], str]) -> str:
    """The longer window beside the recent one judged."""
    trend = m.trend
    if trend is None or trend.value is None:
        return ""
    return f"; trend {show(trend.value)} over the last {duration(trend.seconds)}"


def _pending(name: str, m: MessageFigure, t: Thresholds) -> Check | None:
    """The check of a figure that cannot be judged (yet); None when it can."""
    if m.waiting:
        return Check(name, Status.OK, f"the window starts at the next read ({m.source})",
                     m.polled_by)
    if m.quiet:
        return Check(name, Status.OK, f"no message {m.window}", m.polled_by)
    if m.value is None:
        return Check(name, Status.UNKNOWN, f"unknown: {m.unknown} ({m.source})", m.polled_by)
    if m.too_few(name, t):
        return Check(name, Status.OK, f"too few messages to judge ("
                                      f"{plural(m.messages, 'message')} {m.window})", m.polled_by)
    return None


def _with_sends(check: Check, snap: Snapshot) -> Check:
    sends = snap.database.failed_sends_last_hour if snap.database is not None else None
    if not sends:
        return check
    return replace(check, summary=f"{check.summary}; {plural(sends, 'send job')} failed in "
                                  "the last hour (failed_jobs)")
