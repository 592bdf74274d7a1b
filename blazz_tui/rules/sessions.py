"""WhatsApp instances: up/down, latency, capacity, balance, drift and lost sessions."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from blazz_tui.correlation import SessionsView
from blazz_tui.fmt import duration, plural, visible
from blazz_tui.rules.model import Check, Perf, Status, lower, upper
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot


def instance_checks(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    if snap.instances is None:
        return
    if snap.instances.error is not None:
        yield Check("instances", Status.CRITICAL, f"instances not read: {snap.instances.error}",
                    "instances")
        if not snap.instances.has_data:
            return
    assigned = {i.name: i.assigned for i in snap.sessions.instances}
    cap = snap.max_sessions_per_instance
    for inst in snap.instances.instances:
        name = f"instance:{inst.name}"
        if not inst.up:
            pointing = assigned.get(inst.name, 0)
            extra = f"; {plural(pointing, 'account')} still point at it" if pointing else ""
            what = {"DOWN": "down", "NO ANSWER": "not answering"}.get(inst.state, "error")
            yield Check(name, Status.CRITICAL, f"{inst.url} {what}: {inst.error}{extra}"
                        + _pm2_note(snap, inst.url), "instances")
            continue
        hosted = inst.active_sessions if inst.active_sessions is not None else len(
            inst.connected)
        # Over SSH a request also crosses the link: its round trip is not the instance's.
        link, latency = snap.link_rtt, snap.service_latency(inst.latency)
        latency_ms = latency * 1000
        load = 100.0 * hosted / cap if cap else 0.0
        slow = upper(latency, t.instance_latency_warn, t.instance_latency_crit)
        notes = []
        if link >= 0.001:
            notes.append(f"+{link * 1000:.0f} ms link round trip not counted")
        stall = snap.instances.monitor_stall
        if slow is not Status.OK and stall >= latency / 2:
            # The monitor's own loop lagged through this request: the time is not the
            # instance's to answer for.
            slow = Status.OK
            notes.append(f"latency not judged: blazz-tui itself lagged {stall * 1000:.0f} ms")
        status = max(slow, upper(load, t.capacity_warn, t.capacity_crit), key=lambda s: s.rank)
        if inst.status and inst.status.lower() not in ("healthy", "ok", "up"):
            status = max(status, Status.WARNING, key=lambda s: s.rank)
            notes.append(f'reports "{visible(inst.status)}"')
        if inst.sessions_error:
            status = max(status, Status.WARNING, key=lambda s: s.rank)
            notes.append(f"sessions unknown: {inst.sessions_error}")
        summary = (f"up, {latency_ms:.0f} ms, {hosted}/{cap} sessions ({load:.0f} %)"
                   + ("; " + "; ".join(notes) if notes else ""))
        perf = (
            Perf(f"{inst.name}_latency", round(latency, 4), "s",
                 f"{t.instance_latency_warn:g}", f"{t.instance_latency_crit:g}", 0),
            Perf(f"{inst.name}_sessions", hosted, "", f"{cap * t.capacity_warn / 100:g}",
                 f"{cap * t.capacity_crit / 100:g}", 0, cap),
        )
        yield Check(name, status, summary, "instances", perf)


def balance_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    counts = {i.name: i.hosted for i in snap.sessions.instances if i.up and i.hosted is not None}
    if len(counts) < 2:
        return
    total = sum(counts.values())
    if total == 0:
        yield Check("sessions-balance", Status.OK, "no sessions hosted", "instances")
        return
    mean = total / len(counts)
    low, high = mean * (1 - t.balance_tolerance / 100), mean * (1 + t.balance_tolerance / 100)
    outside = {n: c for n, c in counts.items() if not low <= c <= high}
    spread = " ".join(f"{n}={c}" for n, c in counts.items())
    if not outside:
        yield Check("sessions-balance", Status.OK,
                    f"within ±{t.balance_tolerance:g} % of {mean:.0f}: {spread}", "instances")
        return
    worst = ", ".join(f"{n} {100 * (c - mean) / mean:+.0f} %" for n, c in outside.items())
    yield Check("sessions-balance", Status.WARNING,
                f"outside ±{t.balance_tolerance:g} % of {mean:.0f}: {worst} ({spread})",
                "instances")


def drift_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    view = snap.sessions
    if snap.instances is None or snap.database is None:
        return
    if not view.known:
        yield Check("session-drift", Status.UNKNOWN, "needs both the instances and the "
                    "whatsapp_accounts table" + _why(snap), "instances")
        return
    if not view.complete:
        seen = (f"; {plural(view.drift_count, 'account')} point at the wrong instance among "
                "those that answered" if view.drift_count else "")
        yield Check("session-drift", Status.UNKNOWN, _unreadable(view) + seen, "instances",
                    subjects=_unreadable_names(view))
        return
    perf = (Perf("drift", view.drift_count, "", f"{t.drift_warn}", f"{t.drift_crit}", 0),)
    status = upper(view.drift_count, t.drift_warn, t.drift_crit)
    if view.drift_count == 0:
        summary = "every connected session is where the database says"
    else:
        examples = ", ".join(
            f"{d.session_id} ({d.assigned_instance or d.assigned_url or 'none'} → "
            f"{d.actual_instance})" for d in view.drift[:3])
        summary = (f"{_at_least(view)}{plural(view.drift_count, 'account')} point at the "
                   f"wrong instance: {examples}{' …' if view.drift_count > 3 else ''}")
    if view.unknown_url:
        summary += f"; {plural(view.unknown_url, 'account')} point at unknown URLs"
    yield Check("session-drift", status, summary + _of_read(snap), "instances", perf)


def lost_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    view = snap.sessions
    if snap.instances is None or snap.database is None or not view.known:
        return
    if not view.complete:
        # Not found on the instances that answered proves nothing while one did not.
        parts = [f"{plural(n, 'session')} unreachable on {name}" for name, n in view.unreachable]
        if view.unplaced:
            parts.append(f"{plural(view.unplaced, 'session')} not found on the instances "
                         "that answered")
        yield Check("sessions-lost", Status.UNKNOWN, _unreadable(view)
                    + (f"; {', '.join(parts)}" if parts else ""), "instances",
                    subjects=_unreadable_names(view))
        return
    lost = view.lost_count
    perf = (Perf("lost", lost, "", f"{t.lost_warn}", f"{t.lost_crit}", 0),)
    status = upper(lost, t.lost_warn, t.lost_crit)
    if lost == 0:
        summary = "every connected account's session is hosted"
        if view.unconfirmed:
            summary += (f"; {plural(view.unconfirmed, 'session')} missing in the latest "
                        f"readings, read again to confirm")
    else:
        examples = ", ".join(view.lost[:3])
        summary = (f"{_at_least(view)}{plural(view.lost_count, 'session')} connected in the "
                   f"database but hosted nowhere (needs QR rescan): {examples}"
                   f"{' …' if view.lost_count > 3 else ''}")
    if view.unassigned:
        summary += f"; {plural(view.unassigned, 'account')} without assigned_instance_url"
    yield Check("sessions-lost", status, summary + _of_read(snap), "instances", perf)


def _at_least(view: SessionsView) -> str:
    return "≥ " if view.bound else ""


def _of_read(snap: Snapshot) -> str:
    """What a bounded figure is over: the accounts read of more that are connected."""
    if not snap.sessions.bound or snap.database is None:
        return ""
    return (f" (among the first {len(snap.database.accounts):,} connected accounts read: "
            "database.accounts_limit)")


def _unreadable(view: SessionsView) -> str:
    """Which instances' session lists could not be read, and why."""
    return "unknown while the session list of " + "; ".join(
        f"{name} cannot be read ({why})" for name, why in view.unreadable)


def _unreadable_names(view: SessionsView) -> tuple[str, ...]:
    return tuple(name for name, _ in view.unreadable)


def _why(snap: Snapshot) -> str:
    reasons = []
    if snap.instances and not snap.instances.has_data:
        reasons.append(f"instances: {snap.instances.error}")
    if snap.database and snap.database.error:
        reasons.append(f"database: {snap.database.error}")
    elif snap.database and snap.database.accounts_error:
        reasons.append(snap.database.accounts_error)
    return f" ({'; '.join(reasons)})" if reasons else ""


def uptime_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    """The instances' share of the last hour answering /health, as blazz-tui observed it
    (across --check runs too): the worst one judged once observed long enough."""
    if not snap.uptime:
        return
    judged = [u for u in snap.uptime if u.hour is not None
              and u.hour_observed >= t.uptime_min_observed]
    restarted = ", ".join(f"{u.name} ×{u.restarts_hour} ({u.program})" for u in snap.uptime
                          if u.restarts_hour)
    restarted = f"; restarted in the hour: {restarted}" if restarted else ""
    perf = tuple(Perf(f"{u.name}_uptime", round(u.hour, 2), "%", f"{t.uptime_warn:g}:",
                      f"{t.uptime_crit:g}:", 0, 100) for u in judged if u.hour is not None)
    if not judged:
        longest = max(u.hour_observed for u in snap.uptime)
        yield Check("instance-uptime", Status.OK,
                    f"judged once an hour's uptime spans {duration(t.uptime_min_observed)} "
                    f"({duration(longest)} observed so far){restarted}", "instances")
        return
    worst = min(judged, key=lambda u: u.hour or 0.0)
    assert worst.hour is not None
    others = [u for u in judged if u is not worst]
    rest = f"; the others ≥ {min(u.hour or 0.0 for u in others):.1f} %" if others else ""
    day = f", {worst.day:.1f} % over {duration(worst.day_observed)} of the day" \
        if worst.day is not None else ""
    yield Check("instance-uptime", lower(worst.hour, t.uptime_warn, t.uptime_crit),
                f"{worst.name} {worst.hour:.1f} % over the last hour (observed "
                f"{duration(worst.hour_observed)}){day}{rest}{restarted}", "instances", perf)


def _pm2_note(snap: Snapshot, url: str) -> str:
    """The PM2 process that runs the instance at ``url`` (matched by port), as it is."""
    port = urlsplit(url).port
    proc = next((p for p in (snap.pm2.processes if snap.pm2 else ())
                 if port is not None and p.port == port), None)
    if proc is None:
        return ""
    return f"; PM2 process {proc.name} is {proc.status} ({plural(proc.restarts, 'restart')})"
