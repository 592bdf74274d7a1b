"""Redis: reachability, the windowed hit rate, memory and evictions."""

from __future__ import annotations

from collections.abc import Iterator

from blazz_tui.fmt import duration, percent, size
from blazz_tui.rules.model import Check, Perf, Status, lower, upper
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot


def redis_checks(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    r = snap.redis
    if r is None:
        return
    if r.error is not None:
        yield Check("redis", Status.CRITICAL, f"unreachable: {r.error}", "redis")
        if not r.has_data:
            return
    else:
        yield Check("redis", Status.OK,
                    f"redis {r.version}, up {duration(r.uptime)}, {r.ops_per_sec:.0f} ops/s, "
                    f"{r.connected_clients} clients", "redis",
                    (Perf("redis_ops", r.ops_per_sec, "", min=0),))
    yield _hit_rate(snap, t)
    if r.maxmemory:
        used = 100.0 * r.used_memory / r.maxmemory
        window = snap.cache
        evictions = window.evictions if window else 0
        status = upper(used, t.redis_memory_warn, t.redis_memory_crit)
        summary = f"{size(r.used_memory)} of {size(r.maxmemory)} ({used:.0f} %)"
        if window is not None and evictions > 0:
            status = max(status, Status.WARNING, key=lambda s: s.rank)
            summary += f", {evictions} keys evicted in the last {duration(window.seconds)}"
        yield Check("redis-memory", status, summary, "redis",
                    (Perf("redis_memory", round(used, 1), "%", f"{t.redis_memory_warn:g}",
                          f"{t.redis_memory_crit:g}", 0, 100),))


def _hit_rate(snap: Snapshot, t: Thresholds) -> Check:
    """Judged over the last window only: the lifetime rate is cumulative since the server
    started (or CONFIG RESETSTAT) and would hide a drop in the last minute."""
    r = snap.redis
    assert r is not None
    window = snap.cache
    lifetime = f"since start {percent(r.lifetime_hit_rate)}"
    if window is None or window.seconds == 0:
        return Check("cache-hit-rate", Status.OK,
                     f"window starts at the next poll; {lifetime}", "redis")
    shortest = t.cache_window / 4  # a few seconds of lookups: one miss moves the rate by 1 %
    if window.seconds < shortest:
        return Check("cache-hit-rate", Status.OK,
                     f"judged once the window spans {duration(shortest)} "
                     f"({duration(window.seconds)} so far); {lifetime}", "redis")
    if window.hit_rate is None or window.lookups < t.cache_min_lookups:
        return Check("cache-hit-rate", Status.OK,
                     f"too few lookups to judge ({window.lookups} in the last "
                     f"{duration(window.seconds)}); {lifetime}", "redis")
    rate = window.hit_rate
    summary = f"{rate:.1f} % over the last {duration(window.seconds)}; {lifetime}"
    if window.reset_seen:
        summary += "; counters were reset (restart or CONFIG RESETSTAT)"
    return Check("cache-hit-rate", lower(rate, t.cache_hit_warn, t.cache_hit_crit), summary,
                 "redis", (Perf("cache_hit_rate", round(rate, 2), "%", f"{t.cache_hit_warn:g}:",
                                f"{t.cache_hit_crit:g}:", 0, 100),))
