"""One function per dashboard panel: Snapshot → Table."""

from __future__ import annotations

from blazz_tui.fmt import count, duration, percent, size, visible
from blazz_tui.frame import MonitorStats
from blazz_tui.monitoring import Metric, monitoring_table
from blazz_tui.rules.cache import hit_rate
from blazz_tui.rules.model import Check, Status, lower, upper
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.views.cells import (
    CRIT,
    MUTED,
    OK,
    PLAIN,
    RANK,
    STATE_TONE,
    STATUS_TONE,
    WARN,
    Cell,
    Row,
    Table,
    bar,
    printed_tone,
    sparkline,
)

PM2_TONE = {"online": OK, "launching": WARN, "stopping": WARN, "waiting restart": WARN,
            "stopped": MUTED, "errored": CRIT, "one-launch-status": MUTED}


def services(snap: Snapshot) -> Table:
    restarts = {r.name: r for r in snap.restarts}
    rows = []
    sup = snap.supervisor
    for proc in sup.processes if sup else ():
        seen = restarts.get(proc.full_name)
        tone = STATE_TONE.get(proc.state, CRIT)
        rows.append(Row(f"{proc.endpoint}/{proc.full_name}", (
            Cell(proc.group), Cell(proc.name),
            Cell(proc.state, tone),
            Cell(str(proc.pid) if proc.pid else "-", sort=proc.pid),
            Cell(duration(proc.uptime) if proc.state == "RUNNING" else "-", sort=proc.uptime),
            Cell("-" if proc.cpu_percent is None else f"{proc.cpu_percent:.0f}%",
                 sort=proc.cpu_percent or 0.0),
            Cell(size(proc.rss), sort=proc.rss or 0),
            Cell(str(seen.restarts) if seen else "0", WARN if seen and seen.recent else PLAIN,
                 sort=seen.restarts if seen else 0),
            Cell(",".join(proc.queues) or proc.spawn_error or "", MUTED),
        ), tone if tone == CRIT else PLAIN))
    for p in snap.pm2.processes if snap.pm2 else ():
        tone = PM2_TONE.get(p.status, CRIT)
        rows.append(Row(f"pm2/{p.name}", (
            Cell("pm2"), Cell(p.name), Cell(p.status.upper(), tone),
            Cell(str(p.pid) if p.pid else "-", sort=p.pid),
            Cell(duration(p.uptime) if p.uptime is not None else "-", sort=p.uptime or 0.0),
            Cell(f"{p.cpu:.0f}%", sort=p.cpu), Cell(size(p.memory), sort=p.memory),
            Cell(str(p.restarts), WARN if p.unstable_restarts else PLAIN, sort=p.restarts),
            Cell(f"port {p.port}" if p.port else p.script, MUTED),
        ), tone if tone == CRIT else PLAIN))
    for port in snap.ports.ports if snap.ports else ():
        rows.append(Row(f"port/{port.name}", (
            Cell("port"), Cell(port.name),
            Cell("OPEN" if port.open else "CLOSED", OK if port.open else CRIT),
            Cell(str(port.port), sort=port.port), Cell(""), Cell(""), Cell(""), Cell(""),
            Cell(port.error or f"{(port.connect_time or 0) * 1000:.1f} ms", MUTED),
        ), PLAIN if port.open else CRIT))
    return Table(("group", "process", "state", "pid", "uptime", "cpu", "rss", "restarts",
                  "queues / note"), tuple(rows))


def instances(snap: Snapshot) -> Table:
    cap = snap.max_sessions_per_instance
    view = snap.sessions
    readings = {i.name: i for i in (snap.instances.instances if snap.instances else ())}
    drift_to = {name: sum(1 for d in view.drift if d.actual_instance == name)
                for name in readings}
    hosted_total = sum(i.hosted or 0 for i in view.instances if i.up)
    up = [i for i in view.instances if i.up and i.hosted is not None]
    mean = hosted_total / len(up) if up else 0.0
    rows = []
    for inst in view.instances:
        reading = readings.get(inst.name)
        hosted = inst.hosted if inst.hosted is not None else (
            reading.active_sessions if reading and reading.active_sessions is not None else None)
        load = (hosted or 0) / cap if cap else 0.0
        off = (100.0 * ((hosted or 0) - mean) / mean) if mean and inst.up else 0.0
        known = reading is not None and (reading.has_data or reading.error is not None)
        state = (reading.state if reading else "?",
                 OK if inst.up else CRIT if known else MUTED)
        rows.append(Row(inst.name, (
            Cell(inst.name),
            Cell(*state),
            Cell(f"{snap.service_latency(reading.latency) * 1000:.0f} ms"
                 if reading and inst.up else "-", sort=reading.latency if reading else 0.0),
            Cell("-" if hosted is None else str(hosted), sort=hosted or 0),
            Cell(str(inst.assigned), WARN if inst.up and hosted is not None
                 and inst.assigned != hosted else PLAIN, sort=inst.assigned),
            Cell(f"{load * 100:3.0f}% {bar(load, 5)}", CRIT if load >= 0.95 else  # % first:
                 WARN if load >= 0.8 else PLAIN, sort=load),  # a cut cell keeps the figure
            Cell(f"{off:+.0f}%" if inst.up and mean else "-",
                 WARN if abs(off) > 20 else PLAIN, sort=off),
            Cell(str(drift_to.get(inst.name, 0)), WARN if drift_to.get(inst.name) else PLAIN,
                 sort=drift_to.get(inst.name, 0)),
            Cell(visible(reading.error) if reading and reading.error else
                 inst.unreadable or inst.url, MUTED),
        ), CRIT if known and not inst.up else PLAIN))
    return Table(("instance", "state", "latency", "hosted", "assigned", "capacity", "balance",
                  "drift in", "url / error"), tuple(rows))


def queues(snap: Snapshot, t: Thresholds) -> Table:
    """Pending and oldest coloured by the queue thresholds the checks use."""
    history = {h.name: h.depths for h in snap.queue_history}
    rows = []
    for q in snap.queues:
        unserved = q.unserved
        age = q.oldest_pending_age if q.pending else None
        rows.append(Row(q.name, (
            Cell(q.name, CRIT if unserved else PLAIN),
            Cell(count(q.pending, q.capped), CRIT if unserved else
                 _over(q.pending or 0, t.queue_pending_warn, t.queue_pending_crit),
                 sort=q.pending if q.pending is not None else -1),
            Cell(count(q.reserved, q.capped), sort=q.reserved),
            Cell(count(q.delayed, q.capped), sort=q.delayed),
            Cell(duration(age), _over(age or 0.0, t.queue_age_warn, t.queue_age_crit),
                 sort=age or 0.0),
            Cell(count(q.failed_last_hour, q.failed_capped),
                 WARN if q.failed_last_hour else PLAIN,
                 sort=q.failed_last_hour),
            Cell("unknown" if q.served is None else
                 (str(len(q.workers)) if q.workers else "NONE"),
                 MUTED if q.served is None else (OK if q.workers else
                                                 (CRIT if q.pending else WARN)),
                 sort=len(q.workers)),
            Cell(sparkline(history.get(q.name, ()), 0, t.queue_pending_crit), MUTED),
        ), CRIT if unserved else PLAIN))
    return Table(("queue", "pending", "reserved", "delayed", "oldest", "failed 1h", "workers",
                  "depth"), tuple(rows))


def _over(value: float, warn: float, crit: float) -> str:
    """The tone ``rules.model.upper`` would judge ``value`` at."""
    return STATUS_TONE[upper(value, warn, crit)] if value > warn else PLAIN


def monitoring(snap: Snapshot, all_checks: tuple[Check, ...], t: Thresholds) -> Table:
    """Seed 002's monitoring table (its value coloured by the check that judges it, or by the
    target and alert printed beside it when they say worse), then the cache's own figures."""
    rows = [Row(m.name, (Cell(_SHORT.get(m.name, m.name), MUTED),
                         Cell(_with_spark(m.value, m.check, snap, t), _metric_tone(m)),
                         Cell(m.target, MUTED), Cell(m.alert, MUTED), Cell(m.source, MUTED)))
            for m in monitoring_table(snap, all_checks, t)]
    r, w = snap.redis, snap.cache
    if r is not None and r.has_data:
        figures = (
            ("hit rate (all)", percent(r.lifetime_hit_rate), PLAIN),
            ("ops/s", f"{r.ops_per_sec:,.0f}", PLAIN),
            ("memory", f"{size(r.used_memory)}" + (f" of {size(r.maxmemory)}" if r.maxmemory
                                                   else " (no maxmemory)"), PLAIN),
            ("evictions", f"{r.evicted_keys:,} total" + (f", {w.evictions} in window" if w
                                                        else ""),
             WARN if w and w.evictions else PLAIN),
            ("instance-URL keys", count(r.instance_url_keys, r.instance_url_keys_capped), PLAIN),
            ("clients", f"{r.connected_clients} ({r.blocked_clients} blocked)", PLAIN),
            ("redis", f"{r.version}, up {duration(r.uptime)}", MUTED))
        rows += [Row(name, (Cell(name, MUTED), Cell(value, tone), Cell(""), Cell(""),
                            Cell("Redis INFO", MUTED))) for name, value, tone in figures]
    return Table(("metric", "now", "target", "alert", "source"), tuple(rows))


def _metric_tone(m: Metric) -> str:
    """The worse of its check's tone and the tone its figure has against the target and alert
    on its own row: a figure past its printed alert is never plain, even while its check
    abstains (uptime not yet observed an hour, too few messages)."""
    judged = PLAIN if m.status is Status.OK else STATUS_TONE[m.status]
    printed = printed_tone(m.value, m.target, m.alert)
    return printed if RANK[printed] > RANK[judged] else judged


_SHORT = {"Scheduler status": "scheduler", "Health check frequency": "sync age",
          "Sessions synced": "sessions synced", "Cache hit rate": "cache hit rate",
          "Message latency": "msg latency", "Failed messages": "failed msgs",
          "Instance uptime": "uptime", "Database load": "db load"}
"""The seeds' names, short enough for a half-width panel."""


def _with_spark(value: str, check: str, snap: Snapshot, t: Thresholds) -> str:
    """The hit rate's history on the scale of its thresholds: the critical one at the bottom,
    100 % at the top."""
    if check == "cache-hit-rate" and snap.hit_rate_history:
        return f"{value} {sparkline(snap.hit_rate_history, t.cache_hit_crit, 100.0, 8)}"
    return value


def checks(all_checks: list[Check] | tuple[Check, ...]) -> Table:
    return Table(("status", "check", "summary"), tuple(
        Row(c.name, (Cell(c.status.value, STATUS_TONE[c.status], sort=-c.status.rank),
                     Cell(c.name), Cell(c.summary)), STATUS_TONE[c.status])
        for c in all_checks), gives_way=(1,))


def monitor_text(monitor: MonitorStats | None) -> str:
    """What watching costs: blazz-tui's own CPU (of one core) and memory."""
    if monitor is None:
        return ""
    cpu = "? %" if monitor.cpu_percent is None else f"{monitor.cpu_percent:.1f} %"
    rss = "?" if monitor.rss is None else size(monitor.rss)
    return f"blazz-tui: {cpu} CPU, {rss}"


def link_text(snap: Snapshot) -> tuple[str, str]:
    """The SSH link in the header: its round trip while up, "LINK DOWN" and for how long
    while down; empty for a local target."""
    link = snap.link
    if link is None:
        return "", PLAIN
    if link.up:
        return (f"rtt {link.rtt * 1000:.1f} ms" if link.rtt is not None else "link up"), MUTED
    if link.since is None and link.error is None:
        return "connecting…", MUTED
    since = f" {duration(snap.taken_at - link.since)}" if link.since else ""
    return f"LINK DOWN{since}", CRIT


def key_figures(snap: Snapshot, t: Thresholds) -> list[tuple[str, str]]:
    """The figures an on-call engineer looks for first, always on screen (as Dolphie's
    header): jobs waiting and the oldest, sessions hosted of those assigned, lost ones, the
    cache hit rate over its window, the last sync's age. Each (text, tone); "?" when
    unknown."""
    out = []
    known = [q for q in snap.queues if q.pending is not None]
    if snap.queues:
        waiting = sum(q.pending or 0 for q in known)
        oldest = max((q.oldest_pending_age or 0.0 for q in known if q.pending), default=0.0)
        tone = _over(oldest, t.queue_age_warn, t.queue_age_crit)
        bound = any(q.capped for q in known) or len(known) < len(snap.queues)
        out.append((f"queued {count(waiting, bound)}"
                    + (f" oldest {duration(oldest)}" if oldest else "")
                    if known else "queued ?", tone if known else MUTED))
    sessions = snap.sessions
    view = sessions.instances
    if view:
        hosted = sum(i.hosted or 0 for i in view)
        # "+?": sessions an instance that answers hosts but could not be counted, said whose
        # (a down one hosts none: its accounts are the "unreachable" figure).
        unread = [i.name for i in view if i.hosted is None and i.up]
        whose = "" if not unread else f" +? {unread[0]} unread" if len(unread) == 1 \
            else f" +? {len(unread)} instances unread"
        out.append((f"sessions {hosted:,}/{sum(i.assigned for i in view):,}{whose}", PLAIN))
        lost = len(sessions.lost)
        if not sessions.complete:  # a session list unread, or no accounts: not known
            out.append(("lost ?", MUTED))
        else:
            out.append((f"lost {count(lost, sessions.bound)}", CRIT if lost else PLAIN))
        unreachable = sum(n for _, n in snap.sessions.unreachable)
        if unreachable:
            out.append((f"unreachable {unreachable:,}", WARN))
    if snap.redis is not None:
        figure = hit_rate(snap, t)
        rate = figure.judged if figure is not None else None  # "?" while not judged
        out.append(("hit ?" if rate is None else f"hit {rate:.1f} %",
                    MUTED if rate is None else
                    STATUS_TONE[lower(rate, t.cache_hit_warn, t.cache_hit_crit)]
                    if rate < t.cache_hit_warn else PLAIN))
    sync = snap.logs.last_sync if snap.logs is not None else None
    if snap.logs is not None:
        age = snap.taken_at - sync.at if sync is not None else None
        out.append(("sync ?" if age is None else f"sync {duration(max(0.0, age))} ago",
                    MUTED if age is None else _over(age, t.sync_age_warn, t.sync_age_crit)))
    return out


def host_line(snap: Snapshot) -> tuple[str, str]:
    h = snap.host
    if h is None or h.stats is None:
        return (f"host: {h.error if h else 'not read'}", MUTED)
    s = h.stats
    worst = max(h.cpu_percent or 0.0, s.memory_percent, s.disk_percent)
    tone = CRIT if worst >= 95 else WARN if worst >= 85 else PLAIN
    cpu = "?" if h.cpu_percent is None else f"{h.cpu_percent:.0f}%"
    return (f"cpu {cpu} of {s.cpu_count}  mem {s.memory_percent:.0f}% "
            f"({size(s.memory_used)}/{size(s.memory_total)})  load {s.load[0]:.2f} "
            f"{s.load[1]:.2f} {s.load[2]:.2f}  disk {s.disk_path} {s.disk_percent:.0f}%", tone)
