"""Supervisor programs, restarts/flapping, and probed ports."""

from __future__ import annotations

import re
from collections.abc import Iterator

from blazz_tui.fmt import duration, plural
from blazz_tui.rules.model import Check, Perf, Status
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.supervisor import PROCESS_TABLE

_STATE_STATUS = {
    "RUNNING": Status.OK,
    "STARTING": Status.OK,
    "STOPPING": Status.WARNING,
    "STOPPED": Status.WARNING,
    "EXITED": Status.WARNING,
    "BACKOFF": Status.CRITICAL,
    "FATAL": Status.CRITICAL,
}


def supervisor_checks(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    reading = snap.supervisor
    if reading is None:
        return
    if reading.error is not None:
        status = Status.UNKNOWN if "permission" in reading.error.lower() else Status.CRITICAL
        yield Check("supervisor", status, f"supervisord unreachable: {reading.error}",
                    "supervisor")
        if not reading.has_data:
            return
    for endpoint in reading.endpoints:
        name = f"supervisor:{endpoint.name}"
        if endpoint.absent:
            yield Check(name, Status.OK, f"{endpoint.error}: queue workers are read from the "
                        "process table (set supervisor_required = true if it must run)",
                        "supervisor")
            continue
        if endpoint.error is not None and reading.error is None:
            status = Status.UNKNOWN if "permission" in endpoint.error.lower() else Status.CRITICAL
            yield Check(name, status, f"supervisord unreachable: {endpoint.error}", "supervisor")
            continue
        if reading.error is None:  # else: its last good programs follow, marked stale
            yield Check(name, Status.OK if endpoint.state in ("", "RUNNING") else
                        Status.WARNING, f"supervisord {endpoint.state or 'RUNNING'} "
                        f"{endpoint.version}".strip() + f", {len(endpoint.processes)} processes",
                        "supervisor")
        for proc in endpoint.processes:
            yield _program_check(proc.full_name, proc.state, proc.pid, proc.uptime,
                                 proc.spawn_error, proc.exit_status)


def workers_config_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    """A ``[[workers]]`` entry that names no supervisord program: a typo would otherwise
    silently leave those workers' queues to be guessed from their command lines."""
    reading = snap.supervisor
    if reading is None or not reading.ok or not reading.unmatched_workers:
        return
    programs = sorted({re.sub(r"_\d+$", "", p.name) for p in reading.processes
                       if p.endpoint != PROCESS_TABLE})
    names = ", ".join(repr(w) for w in reading.unmatched_workers)
    known = f" (programs: {', '.join(programs[:8])}{' …' if len(programs) > 8 else ''})" \
        if programs else " (supervisord runs no program)"
    yield Check("workers-config", Status.WARNING,
                f"[[workers]] program {names} names no running or stopped program{known}",
                "supervisor")


def _program_check(name: str, state: str, pid: int, uptime: float, spawn_error: str,
                   exit_status: int) -> Check:
    status = _STATE_STATUS.get(state, Status.UNKNOWN)
    if state == "RUNNING":
        summary = f"RUNNING pid {pid}, up {duration(uptime)}"
    elif spawn_error:
        summary = f"{state}: {spawn_error}"
    elif state in ("EXITED", "BACKOFF", "FATAL"):
        summary = f"{state} (exit status {exit_status})"
    else:
        summary = state
    return Check(f"program:{name}", status, summary, "supervisor")


def flapping_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    if snap.supervisor is None:
        return
    flapping = [r for r in snap.restarts if r.recent >= t.flap_restarts]
    window = duration(t.flap_window)
    perf = (Perf("restarts_recent", sum(r.recent for r in snap.restarts), min=0),)
    if not flapping:
        total = sum(r.restarts for r in snap.restarts)
        summary = (f"no program restarted {t.flap_restarts}+ times in {window}"
                   + (f" ({total} restarts seen)" if total else ""))
        yield Check("flapping", Status.OK, summary, "supervisor", perf)
        return
    worst = max(flapping, key=lambda r: r.recent)
    status = Status.CRITICAL if worst.recent >= 2 * t.flap_restarts else Status.WARNING
    names = ", ".join(f"{r.name} ({r.recent}x)" for r in flapping[:5])
    yield Check("flapping", status, f"restarting repeatedly in the last {window}: {names}",
                "supervisor", perf, tuple(r.name for r in flapping))


def port_checks(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    if snap.ports is None:
        return
    for port in snap.ports.ports:
        name = f"port:{port.name}"
        where = f"{port.host}:{port.port}"
        if port.open:
            ms = (port.connect_time or 0) * 1000
            yield Check(name, Status.OK, f"{where} open ({ms:.1f} ms)", "ports")
        else:
            yield Check(name, Status.CRITICAL, f"{where} closed: {port.error}", "ports")


def pm2_checks(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    """PM2's processes: errored is CRITICAL, stopped or crash-looping a WARNING."""
    r = snap.pm2
    if r is None:
        return
    if r.error is not None:
        yield Check("pm2", Status.CRITICAL if r.required else Status.UNKNOWN,
                    f"PM2 unreadable: {r.error}", "pm2")
        if not r.has_data:
            return
    elif r.absent is not None:
        if r.required:
            yield Check("pm2", Status.CRITICAL, r.absent, "pm2")
        return
    for p in r.processes:
        status = {"online": Status.OK, "errored": Status.CRITICAL}.get(p.status, Status.WARNING)
        summary = p.status + (f" pid {p.pid}, up {duration(p.uptime)}"
                              if p.uptime is not None else "")
        summary += f", {plural(p.restarts, 'restart')}"
        if p.unstable_restarts and p.status != "stopped":  # a stop in its first second counts
            status = max(status, Status.WARNING, key=lambda s: s.rank)
            summary += f" ({p.unstable_restarts} unstable: crash-looping)"
        yield Check(f"pm2:{p.name}", status, summary, "pm2",
                    (Perf(f"{p.name}_restarts", p.restarts, "c", min=0),))
