"""Queues: depth, age of the oldest pending job, unserved queues, failed jobs; the database."""

from __future__ import annotations

from collections.abc import Iterator

from blazz_tui.fmt import count, duration, plural
from blazz_tui.rules.model import Check, Perf, Status, upper
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot


def database_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    db = snap.database
    if db is None:
        return
    if db.error is not None:
        yield Check("database", Status.CRITICAL, f"unreachable: {db.error}", "database")
        return
    problems = [e for e in (db.jobs_error, db.failed_error, db.accounts_error) if e]
    summary = f"{db.engine} {db.server_version}".strip() + f", {db.latency * 1000:.0f} ms"
    if problems:
        yield Check("database", Status.WARNING, f"{summary}; " + "; ".join(problems), "database")
    else:
        yield Check("database", Status.OK, summary, "database")


def queue_checks(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    store = snap.redis if snap.redis is not None and _redis_queues(snap) else snap.database
    if store is None or not store.has_data:
        return
    for q in snap.queues:
        if q.pending is None:
            continue  # the store was read, but not this queue's depth (its table is missing)
        pending = count(q.pending, q.capped)
        age = q.oldest_pending_age
        status = max(upper(q.pending, t.queue_pending_warn, t.queue_pending_crit),
                     upper(age or 0.0, t.queue_age_warn, t.queue_age_crit), key=lambda s: s.rank)
        parts = [f"{pending} pending"]
        if age is not None and q.pending:
            parts[0] += f", oldest {duration(age)}"
        if q.reserved:
            parts.append(f"{count(q.reserved, q.capped)} reserved")
        if q.delayed:
            parts.append(f"{count(q.delayed, q.capped)} delayed")
        if q.served is None:
            parts.append("workers unknown")
        elif q.workers:
            parts.append(plural(len(q.workers), "worker"))
        else:
            idle = f" ({', '.join(q.idle_workers[:3])} not running)" if q.idle_workers else ""
            others = (f"; {plural(len(q.other_apps), 'worker')} of other apps serve a queue of "
                      "that name, not this app's" if q.other_apps else "")
            parts.append(f"no running worker serves it{idle}{others}")
            if q.pending:
                status = Status.CRITICAL
        perf = (Perf(f"queue_{q.name}", q.pending, "", f"{t.queue_pending_warn}",
                     f"{t.queue_pending_crit}", 0),
                Perf(f"queue_{q.name}_age", round(age or 0.0, 1), "s", f"{t.queue_age_warn:g}",
                     f"{t.queue_age_crit:g}", 0))
        yield Check(f"queue:{q.name}", status, ", ".join(parts), _queue_source(snap), perf)


def unserved_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    if not snap.queues or all(q.served is None for q in snap.queues):
        return
    unserved = [q for q in snap.queues if q.unserved]
    if not unserved:
        yield Check("unserved-queues", Status.OK, "every queue with pending jobs has a worker",
                    "supervisor")
        return
    names = ", ".join(f"{q.name} ({count(q.pending, q.capped)})" for q in unserved)
    down = list(dict.fromkeys(w for q in unserved for w in q.idle_workers))
    cause = f" — not running: {', '.join(down[:5])}" if down else ""
    yield Check("unserved-queues", Status.CRITICAL,
                f"pending jobs and no running worker: {names}{cause}", "supervisor",
                (Perf("unserved_queues", len(unserved), "", "0", "0", 0),),
                tuple(q.name for q in unserved))


def failed_jobs_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    db = snap.database
    if db is None or not db.has_data or db.failed_error:
        return
    last_hour = sum(q.failed_last_hour for q in db.queues)
    worst = sorted(db.queues, key=lambda q: -q.failed_last_hour)[:3]
    detail = ", ".join(f"{q.name} {q.failed_last_hour}" for q in worst if q.failed_last_hour)
    at_least = "≥ " if db.failed_last_hour_capped else ""  # only the newest were read
    summary = (f"{at_least}{plural(last_hour, 'job')} failed in the last hour"
               + (f" ({detail})" if detail else "")
               + f"; {count(db.failed_total, db.failed_total_capped)} in failed_jobs")
    yield Check("failed-jobs", upper(last_hour, t.failed_jobs_hour_warn, t.failed_jobs_hour_crit),
                summary, "database",
                (Perf("failed_last_hour", last_hour, "", f"{t.failed_jobs_hour_warn}",
                      f"{t.failed_jobs_hour_crit}", 0),))


def _redis_queues(snap: Snapshot) -> bool:
    return bool(snap.redis and snap.redis.queues) and not (snap.database and snap.database.queues)


def _queue_source(snap: Snapshot) -> str:
    return "redis" if _redis_queues(snap) else "database"
