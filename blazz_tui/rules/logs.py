"""Logs: the scheduled instance-URL sync, how much it had to fix, and the ERROR rate."""

from __future__ import annotations

from collections.abc import Iterator

from blazz_tui.fmt import duration
from blazz_tui.rules.model import Check, Perf, Status, lower, upper
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot


def sync_checks(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    logs = snap.logs
    if logs is None:
        return
    if not logs.has_data:
        yield Check("instance-url-sync", Status.UNKNOWN, f"logs unreadable: {logs.error}", "logs")
        return
    sync = logs.last_sync
    if sync is None:
        yield Check("instance-url-sync", Status.WARNING,
                    "no 'WhatsApp Instance URL Sync completed' line in the logs — "
                    "is the scheduler (cron schedule:run) running?", "logs")
        return
    age = max(0.0, snap.taken_at - sync.at)
    counts = ""
    if sync.updated is not None and sync.verified is not None:
        counts = f": {sync.updated} updated, {sync.verified} verified"
    yield Check("instance-url-sync", upper(age, t.sync_age_warn, t.sync_age_crit),
                f"last sync {duration(age)} ago{counts}", "logs",
                (Perf("sync_age", round(age), "s", f"{t.sync_age_warn:g}", f"{t.sync_age_crit:g}",
                      0),))
    if sync.updated is not None and sync.verified is not None and sync.updated + sync.verified:
        verified = 100.0 * sync.verified / (sync.updated + sync.verified)
        yield Check("sync-verified", lower(verified, t.sync_verified_warn, t.sync_verified_crit),
                    f"{verified:.0f} % of sessions were already right at the last sync "
                    f"({sync.updated} fixed)", "logs",
                    (Perf("sync_verified", round(verified, 1), "%", f"{t.sync_verified_warn:g}:",
                          f"{t.sync_verified_crit:g}:", 0, 100),))


def log_error_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    logs = snap.logs
    if logs is None or not logs.has_data:
        return
    n = logs.errors_last_minute
    unreadable = [f.path for f in logs.files if f.error]
    summary = f"{n} ERROR-or-worse lines in the last minute"
    if unreadable:
        summary += f"; unreadable: {', '.join(unreadable[:3])}"
    yield Check("log-errors", upper(n, t.log_errors_warn, t.log_errors_crit), summary, "logs",
                (Perf("log_errors", n, "", f"{t.log_errors_warn}", f"{t.log_errors_crit}", 0),))
