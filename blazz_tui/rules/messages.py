"""Messages: the seeds' message latency (< 150 ms, alert > 300 ms) and failed messages (< 1 %,
alert > 5 %), over the window, from the instances' own send counters."""

from __future__ import annotations

from collections.abc import Iterator

from blazz_tui.fmt import duration, plural
from blazz_tui.rules.model import Check, Perf, Status, upper
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot

SOURCE = "the instances' /metrics"


def message_checks(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    m = snap.messages
    if m is None or not m.available:
        return  # no instance publishes send counters: the target has no such figures
    if m.waiting:
        for name in ("message-latency", "failed-messages"):
            yield Check(name, Status.OK, "the window starts at the next read of the "
                                         f"counters ({SOURCE})", "messages")
        return
    if m.unknown is not None:
        for name in ("message-latency", "failed-messages"):
            yield Check(name, Status.UNKNOWN, f"unknown: {m.unknown}", "messages")
        return
    window = f"over the last {duration(m.seconds)} ({SOURCE})"
    total = m.sent + m.failed
    if total < t.messages_min:
        few = f"too few messages to judge ({plural(total, 'message')} {window})"
        yield Check("message-latency", Status.OK, few, "messages")
        yield Check("failed-messages", Status.OK, few, "messages")
        return
    if m.latency is None:
        yield Check("message-latency", Status.UNKNOWN,
                    f"unknown: no message was sent {window}", "messages")
    else:
        yield Check("message-latency",
                    upper(m.latency, t.message_latency_warn, t.message_latency_crit),
                    f"{m.latency * 1000:.0f} ms a message, mean of {m.sent:,} {window}",
                    "messages",
                    (Perf("message_latency", round(m.latency, 4), "s",
                          f"{t.message_latency_warn:g}", f"{t.message_latency_crit:g}", 0),))
    failed = m.failed_percent or 0.0
    yield Check("failed-messages",
                upper(failed, t.failed_messages_warn, t.failed_messages_crit),
                f"{failed:.1f} % failed: {m.failed:,} of {total:,} {window}", "messages",
                (Perf("failed_messages", round(failed, 2), "%", f"{t.failed_messages_warn:g}",
                      f"{t.failed_messages_crit:g}", 0, 100),))
