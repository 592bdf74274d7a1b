"""Health rules: ``Snapshot`` + thresholds → checks, worst first.

Both functions are pure. ``evaluate`` judges one snapshot; ``apply_retries`` turns a CRITICAL
that has not yet failed ``retries`` consecutive polls of its source into a WARNING saying so,
given the counts of consecutive failures that the runtime keeps (``judge.Judge``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from blazz_tui.rules.cache import database_load_check, redis_checks
from blazz_tui.rules.host import host_checks
from blazz_tui.rules.link import link_check
from blazz_tui.rules.logs import log_error_check, sync_checks
from blazz_tui.rules.messages import message_checks
from blazz_tui.rules.model import Check, Perf, Status, by_severity, worst
from blazz_tui.rules.queues import database_check, failed_jobs_check, queue_checks, unserved_check
from blazz_tui.rules.services import (
    flapping_check,
    pm2_checks,
    port_checks,
    supervisor_checks,
    workers_config_check,
)
from blazz_tui.rules.sessions import (
    balance_check,
    drift_check,
    instance_checks,
    lost_check,
    uptime_check,
)
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot

__all__ = ["Check", "Perf", "Status", "apply_retries", "by_severity", "evaluate", "worst"]

RULES = (
    link_check, supervisor_checks, workers_config_check, pm2_checks, flapping_check,
    instance_checks, uptime_check,
    balance_check, drift_check, lost_check, message_checks, database_check, queue_checks,
    unserved_check, failed_jobs_check, redis_checks, database_load_check, sync_checks,
    log_error_check, port_checks, host_checks,
)


def evaluate(snapshot: Snapshot, thresholds: Thresholds) -> list[Check]:
    """Every check, in a stable order (link, services, sessions, queues, cache, logs, host)."""
    return [check for rule in RULES for check in rule(snapshot, thresholds)]


def apply_retries(checks: list[Check], failures: Mapping[str, int],
                  retries: int) -> list[Check]:
    out = []
    for check in checks:
        failed = failures.get(check.name, 0)
        if check.status is Status.CRITICAL and failed < retries:
            check = replace(check, status=Status.WARNING,
                            summary=f"{check.summary} (failing {failed}/{retries} before "
                                    f"CRITICAL)")
        out.append(check)
    return out
