"""What Enter on a row shows: a program's details and log, an instance's sessions, a queue's
oldest jobs and recent failures, a check's perfdata. Pure: Snapshot (and data read on demand)
→ ``Details``."""

from __future__ import annotations

import time
from dataclasses import dataclass

from blazz_tui.correlation import InstanceMatcher
from blazz_tui.fmt import count, duration, size
from blazz_tui.frame import Frame
from blazz_tui.settings import InstanceConfig
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.queue_jobs import QueueJobs
from blazz_tui.sources.supervisor import LogTail
from blazz_tui.views.cells import (
    CRIT,
    MUTED,
    OK,
    PLAIN,
    STATE_TONE,
    STATUS_TONE,
    WARN,
    Cell,
    Row,
    Table,
)
from blazz_tui.views.panels import PM2_TONE

SESSION_ROWS = 1000
LOG_LINES = 400


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    tone: str = PLAIN


@dataclass(frozen=True)
class Section:
    title: str
    table: Table | None = None
    lines: tuple[str, ...] = ()
    error: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Details:
    title: str
    facts: tuple[Fact, ...]
    sections: tuple[Section, ...] = ()


def _when(epoch: float | None) -> str:
    if not epoch:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


# -- programs ---------------------------------------------------------------------------------

def program(snap: Snapshot, key: str) -> Details | None:
    """A services row: ``endpoint/group:name`` (a supervisor program), ``pm2/name`` or
    ``port/name``."""
    if key.startswith("port/"):
        return _port(snap, key.removeprefix("port/"))
    if key.startswith("pm2/"):
        return _pm2(snap, key.removeprefix("pm2/"))
    sup = snap.supervisor
    proc = next((p for p in (sup.processes if sup else ())
                 if f"{p.endpoint}/{p.full_name}" == key), None)
    if proc is None:
        return None
    seen = next((r for r in snap.restarts if r.name == proc.full_name), None)
    facts = [
        Fact("state", proc.state + (f" — {proc.description}" if proc.description else ""),
             STATE_TONE.get(proc.state, CRIT)),
        Fact("supervisord", proc.endpoint),
        Fact("pid", str(proc.pid) if proc.pid else "-"),
        Fact("started", _when(proc.start)),
        Fact("uptime", duration(proc.uptime) if proc.state == "RUNNING" else "-"),
        Fact("cpu / rss", f"{'-' if proc.cpu_percent is None else f'{proc.cpu_percent:.1f}%'}"
                          f" / {size(proc.rss)}"),
        Fact("restarts seen", f"{seen.restarts} ({seen.recent} recently, last "
                              f"{_when(seen.last_restart_at)})" if seen else "0",
             WARN if seen and seen.recent else PLAIN),
        Fact("exit status", str(proc.exit_status),
             WARN if proc.exit_status and proc.state != "RUNNING" else PLAIN),
        Fact("command", proc.command or "-", MUTED),
    ]
    if proc.spawn_error:
        facts.insert(1, Fact("spawn error", proc.spawn_error, CRIT))
    if proc.queues:
        facts.append(Fact("works queues", ", ".join(proc.queues)
                          + f" (connection {proc.queue_connection or 'default'})"))
    return Details(f"program {proc.full_name}", tuple(facts),
                   (Section("stdout log", note="loading…"),))


def _port(snap: Snapshot, name: str) -> Details | None:
    port = next((p for p in (snap.ports.ports if snap.ports else ()) if p.name == name), None)
    if port is None:
        return None
    return Details(f"port {port.name}", (
        Fact("address", f"{port.host}:{port.port}"),
        Fact("state", "OPEN" if port.open else "CLOSED", OK if port.open else CRIT),
        Fact("connect time", "-" if port.connect_time is None
             else f"{port.connect_time * 1000:.1f} ms"),
        Fact("error", port.error or "-", CRIT if port.error else MUTED),
    ))


def _pm2(snap: Snapshot, name: str) -> Details | None:
    proc = next((p for p in (snap.pm2.processes if snap.pm2 else ()) if p.name == name), None)
    if proc is None:
        return None
    return Details(f"PM2 process {proc.name}", (
        Fact("status", proc.status, PM2_TONE.get(proc.status, CRIT)),
        Fact("pm2 id / pid", f"{proc.pm_id} / {proc.pid or '-'}"),
        Fact("uptime", duration(proc.uptime) if proc.uptime is not None else "-"),
        Fact("cpu / memory", f"{proc.cpu:.0f}% / {size(proc.memory)}"),
        Fact("restarts", f"{proc.restarts} ({proc.unstable_restarts} unstable)",
             WARN if proc.unstable_restarts else PLAIN),
        Fact("port", str(proc.port) if proc.port else "-"),
        Fact("script", proc.script or "-", MUTED),
        Fact("user / PM2_HOME", f"{proc.user or '-'} / {snap.pm2.home if snap.pm2 else '-'}",
             MUTED),
    ))


def log_section(tail: LogTail) -> Section:
    lines = tuple(tail.text.splitlines()[-LOG_LINES:])
    note = f"last {len(lines)} lines" + (" (older lines not read)" if tail.truncated else "")
    return Section("stdout log", lines=lines, error=tail.error,
                   note=note if lines else "the log is empty")


# -- instances --------------------------------------------------------------------------------

def _answering(snap: Snapshot, name: str) -> str:
    """Its observed uptime: the share of the last hour and day it answered /health."""
    found = next((u for u in snap.uptime if u.name == name), None)
    if found is None or found.hour is None:
        return "- (not observed yet)"
    text = f"{found.hour:.1f} % of the last hour (observed {duration(found.hour_observed)})"
    if found.day is not None and found.day_observed > found.hour_observed:
        text += f", {found.day:.1f} % of the day ({duration(found.day_observed)})"
    if found.restarts_hour:
        text += f"; restarted {found.restarts_hour}× in the hour ({found.program})"
    return text


def instance(snap: Snapshot, configs: tuple[InstanceConfig, ...], key: str) -> Details | None:
    """An instance: its health and every session it hosts or the database assigns to it."""
    view = next((i for i in snap.sessions.instances if i.name == key), None)
    if view is None:
        return None
    readings = {r.name: r for r in (snap.instances.instances if snap.instances else ())}
    reading = readings.get(key)
    facts = (
        Fact("url", view.url),
        Fact("state", reading.state if reading else "?", OK if view.up else CRIT),
        Fact("error", reading.error if reading and reading.error else "-",
             CRIT if reading and reading.error else MUTED),
        Fact("reported status", (reading.status or "-") if reading else "-"),
        Fact("latency", f"{snap.service_latency(reading.latency) * 1000:.0f} ms"
             + (f" (+{snap.link_rtt * 1000:.0f} ms link)" if snap.link_rtt >= 0.001 else "")
             if reading and view.up else "-"),
        Fact("answering", _answering(snap, key)),
        Fact("uptime / memory", f"{duration(reading.uptime) if reading else '-'} / "
                                f"{size(reading.memory_rss) if reading else '-'}"),
        Fact("sessions", f"{'?' if view.hosted is None else view.hosted} hosted, "
                         f"{view.assigned} assigned in the database, "
                         f"max {snap.max_sessions_per_instance}"),
    )
    return Details(f"instance {key}", facts, (_sessions(snap, configs, key),))


def _sessions(snap: Snapshot, configs: tuple[InstanceConfig, ...], name: str) -> Section:
    matcher = InstanceMatcher(configs)
    db = snap.database
    accounts = db.accounts if db and db.accounts_error is None else ()
    by_session = {a.session_id: a for a in accounts if a.session_id}
    readings = {r.name: r for r in (snap.instances.instances if snap.instances else ())}
    hosted_at: dict[str, str] = {}
    for reading in readings.values():
        for s in reading.sessions or () if reading.up else ():
            if s.status == "CONNECTED":
                hosted_at.setdefault(s.session_id, reading.name)
    complete = snap.sessions.complete
    unreadable_here = dict(snap.sessions.unreadable).get(name) is not None
    lost = set(snap.sessions.lost)
    rows: list[Row] = []
    here = readings.get(name)
    for s in (here.sessions or ()) if here and here.up else ():
        account = by_session.get(s.session_id)
        owner = matcher.name_for(account.assigned_instance_url) if account else None
        if account is None:
            note, tone = "no connected account in the database", MUTED
        elif owner == name:
            note, tone = "ok", OK
        else:
            note, tone = f"drift: the database says {owner or account.assigned_instance_url}", WARN
        rows.append(_session_row(s.session_id, s.status, account.uuid if account else "-",
                                 note, tone))
    for account in accounts:
        if not account.session_id or matcher.name_for(account.assigned_instance_url) != name:
            continue
        actual = hosted_at.get(account.session_id)
        if actual == name:
            continue
        if actual is not None:
            note, tone = f"assigned here, hosted on {actual}", WARN
        elif account.session_id in lost:
            note, tone = "lost: hosted by no instance", CRIT
        elif complete:
            note, tone = "missing: read again to confirm", WARN
        elif unreadable_here:
            note, tone = "unreachable: this instance's session list cannot be read", CRIT
        else:
            note, tone = "not found (another instance's session list cannot be read)", WARN
        rows.append(_session_row(account.session_id, "-", account.uuid, note, tone))
    rows.sort(key=lambda r: (r.tone == PLAIN or r.tone == OK, r.key))
    error = None
    if here is None or not here.up:
        error = (f"the instance is {here.state.lower() if here else 'not read yet'}: showing "
                 "what the database assigns to it")
    elif here.sessions_error:
        error = here.sessions_error
    elif db is None or db.accounts_error:
        error = (db.accounts_error if db else None) or "accounts not read"
    shown = tuple(rows[:SESSION_ROWS])
    note = f"{len(rows):,} sessions" + (f", first {SESSION_ROWS:,} shown"
                                        if len(rows) > SESSION_ROWS else "")
    return Section("sessions", Table(("session", "status here", "account", "note"), shown),
                   error=error, note=note)


def _session_row(session: str, status: str, account: str, note: str, tone: str) -> Row:
    return Row(session, (Cell(session), Cell(status), Cell(account, MUTED), Cell(note, tone)))


# -- queues -----------------------------------------------------------------------------------

def queue(snap: Snapshot, key: str) -> Details | None:
    q = next((q for q in snap.queues if q.name == key), None)
    if q is None:
        return None
    served = ("unknown (supervisor not read)" if q.served is None
              else ", ".join(q.workers) if q.workers else "NO RUNNING WORKER")
    return Details(f"queue {q.name}", (
        Fact("pending", count(q.pending, q.capped), CRIT if q.unserved else PLAIN),
        Fact("reserved / delayed",
             f"{count(q.reserved, q.capped)} / {count(q.delayed, q.capped)}"),
        Fact("oldest pending", duration(q.oldest_pending_age) if q.pending else "-"),
        Fact("failed in the last hour", count(q.failed_last_hour, q.failed_capped),
             WARN if q.failed_last_hour else PLAIN),
        Fact("served by", served, MUTED if q.served is None else OK if q.workers else CRIT),
        Fact("workers not running", ", ".join(q.idle_workers) or "-",
             WARN if q.idle_workers else MUTED),
    ), (Section("oldest jobs", note="loading…"), Section("recent failures", note="loading…")))


def job_sections(jobs: QueueJobs, now: float) -> tuple[Section, Section]:
    oldest = Table(("id", "job", "attempts", "age", "state"), tuple(
        Row(str(j.id), (
            Cell(str(j.id), sort=j.id), Cell(j.name), Cell(str(j.attempts), sort=j.attempts,
                                                           tone=WARN if j.attempts > 1 else PLAIN),
            Cell(duration(now - j.created_at) if j.created_at else "-"),
            Cell("reserved" if j.reserved_at else
                 (f"delayed {duration(j.available_at - now)}" if j.available_at > now
                  else "pending"), OK if j.reserved_at else MUTED),
        )) for j in jobs.oldest))
    failed = Table(("id", "failed", "exception"), tuple(
        Row(str(f.id), (Cell(str(f.id), sort=f.id), Cell(_when(f.failed_at)),
                        Cell(f.exception, CRIT)))
        for f in jobs.failed))
    return (
        Section("oldest jobs", oldest, error=jobs.error,
                note="" if jobs.oldest or jobs.error else "no jobs in this queue"),
        Section("recent failures", failed, error=jobs.error or jobs.failed_error,
                note="" if jobs.failed or jobs.error else "no recent failures"),
    )


# -- checks -----------------------------------------------------------------------------------

def check(frame: Frame, key: str) -> Details | None:
    c = next((c for c in frame.checks if c.name == key), None)
    if c is None:
        return None
    perf = Table(("metric", "value", "warning", "critical"), tuple(
        Row(p.label, (Cell(p.label), Cell(f"{p.value:g}{p.uom}"), Cell(p.warn or "-"),
                      Cell(p.crit or "-"))) for p in c.perf))
    return Details(f"check {c.name}", (
        Fact("status", c.status.value, STATUS_TONE[c.status]),
        Fact("summary", c.summary),
        Fact("source", c.source or "-", MUTED),
    ), (Section("perfdata", perf, note="" if c.perf else "no perfdata"),))
