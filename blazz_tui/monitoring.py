"""Seed 002's "Production Monitoring Dashboard" table, filled in: each metric's figure now, its
target and alert threshold (this config's, which default to the seeds'), where the figure
comes from, and the status of the check that judges it — plus the database load the seeds'
Phase 1 was about. The dashboard's Monitoring panel and the JSON snapshot show the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from blazz_tui.fmt import duration, plural
from blazz_tui.rules.cache import hit_rate
from blazz_tui.rules.model import Check, Status
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot


@dataclass(frozen=True)
class Metric:
    name: str
    value: str
    """The figure now, with its window; "-" and why when unknown."""
    target: str
    alert: str
    source: str
    status: Status
    """Of the check that judges it (UNKNOWN when there is none)."""
    check: str = ""
    """That check's name."""


def monitoring_table(snap: Snapshot, checks: Iterable[Check], t: Thresholds) -> tuple[Metric, ...]:
    by_name = {c.name: c for c in checks}

    def status(name: str) -> Status:
        check = by_name.get(name)
        return check.status if check is not None else Status.UNKNOWN

    rows = [_scheduler(snap, by_name), *_sync(snap, t, status)]
    rate = hit_rate(snap, t)
    if rate is None:
        hit = "-"
    elif rate.judged is None:
        hit = f"- (not judged: {rate.server or 0:.1f} % server-wide, " \
              f"{plural(rate.lookups, 'lookup')} in {duration(rate.seconds)})"
    else:
        hit = f"{rate.judged:.1f} % ({duration(rate.seconds)})"
    rows.append(Metric("Cache hit rate", hit, f"> {t.cache_hit_warn:g} %",
                       f"< {t.cache_hit_crit:g} %",
                       "Redis INFO" if snap.redis is not None else "no Redis configured",
                       status("cache-hit-rate"), "cache-hit-rate"))
    for name, check, figure, target, alert in (
            ("Message latency", "message-latency", snap.message_latency,
             f"< {t.message_latency_warn * 1000:g} ms", f"> {t.message_latency_crit * 1000:g} ms"),
            ("Failed messages", "failed-messages", snap.failed_messages,
             f"< {t.failed_messages_warn:g} %", f"> {t.failed_messages_crit:g} %")):
        if figure is None:
            rows.append(Metric(name, "- (no source)", target, alert, "no /metrics, send log "
                               "lines or chats table on this target", Status.UNKNOWN))
            continue
        if figure.value is None:
            value = "- (" + ("needs a second sample" if figure.waiting else
                             str(figure.unknown)) + ")"
        elif check == "message-latency":
            value = f"{figure.value * 1000:.0f} ms ({figure.messages:,} in " \
                    f"{duration(figure.seconds)})"
        else:
            value = f"{figure.value:.1f} % ({figure.failed:,}/{figure.messages:,} in " \
                    f"{duration(figure.seconds)})"
        if figure.value is not None and figure.too_few(check, t):
            value += ", too few to judge"
        rows.append(Metric(name, value, target, alert, figure.source.removeprefix("the "),
                           status(check), check))
    rows.append(_uptime(snap, t, status("instance-uptime")))
    rows.append(_database(snap, t, status("database-load")))
    return tuple(rows)


def _scheduler(snap: Snapshot, checks: dict[str, Check]) -> Metric:
    """The scheduler's program (``schedule:work``), or, where cron runs ``schedule:run``, the
    instance-URL sync it schedules as the sign that it runs."""
    procs = [p for e in (snap.supervisor.endpoints if snap.supervisor else ())
             for p in e.processes if "schedul" in p.name]
    program = checks.get(f"program:{procs[0].full_name}") if procs else None
    if program is not None:
        return Metric("Scheduler status", procs[0].state, "RUNNING", "not running",
                      "supervisord", program.status, program.name)
    sync = checks.get("instance-url-sync")
    return Metric("Scheduler status", "see sync age", "RUNNING", "not running",
                  "no scheduler program: the sync it runs",
                  sync.status if sync else Status.UNKNOWN, "instance-url-sync")


def _sync(snap: Snapshot, t: Thresholds, status: Callable[[str], Status]) -> list[Metric]:
    sync = snap.logs.last_sync if snap.logs is not None else None
    age = snap.taken_at - sync.at if sync is not None else None
    verified = "-"
    if sync is not None and sync.verified is not None:
        total = sync.verified + (sync.updated or 0)
        verified = f"{100.0 * sync.verified / total:.0f} %" if total else "- (none)"
    source = "sync line, Laravel log"
    return [
        Metric("Health check frequency", "- (no sync line read)" if age is None
               else f"{duration(max(0.0, age))} ago", f"≤ {duration(t.sync_age_warn)}",
               f"> {duration(t.sync_age_crit)}", source, status("instance-url-sync"),
               "instance-url-sync"),
        Metric("Sessions synced", verified, f"> {t.sync_verified_warn:g} %",
               f"< {t.sync_verified_crit:g} %", source, status("sync-verified"), "sync-verified"),
    ]


def _uptime(snap: Snapshot, t: Thresholds, status: Status) -> Metric:
    judged = [u for u in snap.uptime if u.hour is not None]
    worst = min(judged, key=lambda u: u.hour or 0.0, default=None)
    value = "- (not observed yet)" if worst is None else \
        f"{worst.hour:.1f} % ({worst.name}, {duration(worst.hour_observed)} seen)"
    pm2 = any((u.program or "").startswith("pm2/") for u in snap.uptime)
    return Metric("Instance uptime", value, f"> {t.uptime_warn:g} %", f"< {t.uptime_crit:g} %",
                  "/health reads" + (", PM2 restarts" if pm2 else ""), status,
                  "instance-uptime")


def _database(snap: Snapshot, t: Thresholds, status: Status) -> Metric:
    rates, db = snap.database_load, snap.database
    if db is None or db.load is None or rates is None:
        why = "no database" if db is None else "no server" if db.engine == "sqlite" else \
            "not read yet" if db.load_error is None else "unknown"
        return Metric("Database load", f"- ({why})", "very low", "-", "MySQL status",
                      Status.UNKNOWN)
    qps = "-" if rates.queries_per_second is None else f"{rates.queries_per_second:,.1f}"
    longest = "" if db.load.longest_query is None else \
        f", longest {duration(db.load.longest_query)}"
    target = f"< {t.db_queries_warn:g} q/s" if t.db_queries_warn else "very low"
    return Metric("Database load", f"{qps} q/s, {db.load.threads_running} running{longest}",
                  target, f"query > {duration(t.db_query_time_crit)}", "MySQL status",
                  status, "database-load")
