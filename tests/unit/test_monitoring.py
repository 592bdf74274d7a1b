"""Seed 002's monitoring table: every row there with its figure, this config's thresholds, its
source and the status of the check that judges it."""

from __future__ import annotations

import time
from dataclasses import replace

from blazz_tui.history import CacheWindow, Uptime
from blazz_tui.message_figures import MessageFigure
from blazz_tui.monitoring import monitoring_table
from blazz_tui.rules import Status, evaluate
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.logs import LogsReading, SyncRun
from blazz_tui.sources.redis import RedisReading

NOW = time.time()
SEEDS = ["Scheduler status", "Health check frequency", "Sessions synced", "Cache hit rate",
         "Message latency", "Failed messages", "Instance uptime", "Database load"]


def table(snap: Snapshot, t: Thresholds) -> dict[str, tuple[str, str, str, str, Status]]:
    rows = monitoring_table(snap, evaluate(snap, t), t)
    return {m.name: (m.value, m.target, m.alert, m.source, m.status) for m in rows}


def snapshot(**parts: object) -> Snapshot:
    base = Snapshot(target="t", transport="local", taken_at=NOW, supervisor=None, instances=None,
                    database=None, redis=None, host=None, ports=None, logs=None)
    return replace(base, **parts)  # type: ignore[arg-type]


def test_the_seeds_rows_come_in_their_order_with_this_configs_thresholds() -> None:
    t = Thresholds(message_latency_warn=0.1, message_latency_crit=0.2, uptime_warn=99.5)
    snap = snapshot(
        logs=LogsReading(fetched_at=NOW, last_sync=SyncRun(NOW - 30, 2, 98, "laravel.log")),
        redis=RedisReading(fetched_at=NOW),
        cache=CacheWindow(99.6, 1_000, 60.0, 0, False, 996, 4),
        message_latency=MessageFigure(0.25, 400, 300.0, "the instances' /metrics"),
        uptime=(Uptime("wa-3002", 99.0, 3_600, 99.0, 3_600, "pm2/whatsapp-3002", 1),))

    rows = table(snap, t)

    assert list(rows) == SEEDS
    assert rows["Message latency"] == ("250 ms (400 in 5m)", "< 100 ms", "> 200 ms",
                                       "instances' /metrics", Status.CRITICAL)
    assert rows["Instance uptime"][1:] == ("> 99.5 %", "< 95 %", "/health reads, PM2 restarts",
                                           Status.WARNING)
    assert rows["Sessions synced"][0] == "98 %" and rows["Health check frequency"][0] == "30s ago"
    assert rows["Cache hit rate"][:3] == ("99.6 % (1m)", "> 99 %", "< 95 %")


def test_a_figure_the_target_has_no_source_for_says_so_and_is_unknown() -> None:
    rows = table(snapshot(), Thresholds())
    assert rows["Failed messages"][0] == "- (no source)"
    assert rows["Failed messages"][3].startswith("no /metrics, send log lines or chats table")
    assert rows["Failed messages"][4] is Status.UNKNOWN
    assert rows["Database load"][0] == "- (no database)"


def test_the_key_figures_line_says_what_is_waiting_lost_and_unknown() -> None:
    from blazz_tui.correlation import InstanceSessions, QueueView, SessionsView
    from blazz_tui.views.panels import key_figures

    snap = snapshot(
        queues=(QueueView("messaging", pending=40, oldest_pending_age=700.0),
                QueueView("default", pending=None)),
        sessions=SessionsView(instances=(
            InstanceSessions("wa-1", "http://127.0.0.1:3001", True, 120, 121),
            InstanceSessions("wa-2", "http://127.0.0.1:3002", False, None, 30),
            InstanceSessions("wa-3", "http://127.0.0.1:3003", True, None, 0, "timed out")),
            lost=("s9",), unreachable=(("wa-2", 30),)),
        logs=LogsReading(fetched_at=NOW))

    assert key_figures(snap, Thresholds()) == [
        ("queued ≥ 40 oldest 11m", "crit"), ("sessions 120/151 +? wa-3 unread", ""),
        ("lost ?", "muted"), ("unreachable 30", "warn"), ("sync ?", "muted")]


def test_the_key_figures_never_show_a_bound_as_an_exact_count() -> None:
    from blazz_tui.correlation import InstanceSessions, QueueView, SessionsView
    from blazz_tui.views.panels import key_figures

    snap = snapshot(
        queues=(QueueView("whatsapp-high", pending=10_000, capped=True),
                QueueView("default", pending=509)),
        sessions=SessionsView(instances=(
            InstanceSessions("wa-1", "http://127.0.0.1:3001", True, 99_995, 100_000),),
            lost=("s9",), known=True, bound=True))

    figures = [text for text, _ in key_figures(snap, Thresholds())]

    assert figures[:3] == ["queued ≥ 10,509", "sessions 99,995/100,000", "lost ≥ 1"]


def test_one_failure_in_a_few_messages_is_shown_not_judged() -> None:
    figure = MessageFigure(100 / 73, 73, 3_600.0, "the chats table", failed=1)
    snap = snapshot(failed_messages=figure)
    [check] = [c for c in evaluate(snap, Thresholds()) if c.name == "failed-messages"]
    assert check.status is Status.OK and check.summary.startswith("too few messages to judge")
    assert table(snap, Thresholds())["Failed messages"][0].endswith(", too few to judge")


def test_a_figure_past_its_printed_alert_is_coloured_while_its_check_waits() -> None:
    from blazz_tui.views.cells import CRIT
    from blazz_tui.views.panels import monitoring

    # 10 minutes observed: too little for the uptime check to judge the hour yet.
    snap = snapshot(uptime=(Uptime("wa-3001", 94.4, 600, 94.4, 600),))
    t = Thresholds()

    assert table(snap, t)["Instance uptime"][4] is Status.OK
    row = next(r for r in monitoring(snap, tuple(evaluate(snap, t)), t).rows
               if r.key == "Instance uptime")
    assert row.cells[1].text.startswith("94.4 %") and row.cells[1].tone == CRIT
