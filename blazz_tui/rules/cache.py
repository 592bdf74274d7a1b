"""Redis: reachability, the windowed hit rate, memory and evictions; and the database load
the cache is there to keep low."""

from __future__ import annotations

from collections.abc import Iterator

from blazz_tui.fmt import duration, percent, plural, size
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


def database_load_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    """The database server's query rate over the window and the app user's longest running
    statement: "monitor database query counts (should be very low)", beside the hit rate."""
    db, rates = snap.database, snap.database_load
    if db is None or not db.has_data or rates is None or db.engine != "mysql":
        return  # SQLite has no server: no load to judge
    load = db.load
    if load is None:
        yield Check("database-load", Status.UNKNOWN, f"unknown: {db.load_error}", "database")
        return
    status, perf, parts = Status.OK, [], []
    if rates.queries_per_second is None:
        parts.append(f"queries/s unknown ({rates.unknown})")
    else:
        qps = rates.queries_per_second
        if t.db_queries_warn > 0:
            status = upper(qps, t.db_queries_warn, t.db_queries_crit or float("inf"))
        parts.append(f"{qps:,.1f} queries/s ({rates.selects_per_second or 0:,.1f} selects) "
                     f"over {duration(rates.seconds)}, blazz-tui's own "
                     f"{rates.own_statements} left out")
        perf.append(Perf("db_queries", round(qps, 2), "",
                         f"{t.db_queries_warn:g}" if t.db_queries_warn > 0 else "",
                         f"{t.db_queries_crit:g}" if t.db_queries_crit > 0 else "", 0))
        if rates.slow_queries:
            parts.append(f"{rates.slow_queries} slow queries logged (all users)")
    parts.append(f"{plural(load.threads_running, 'thread')} running")
    longest = load.longest_query or 0.0
    if load.longest_query is not None:
        slow = upper(longest, t.db_query_time_warn, t.db_query_time_crit)
        status = max(status, slow, key=lambda s: s.rank)
        parts.append(f"longest query {duration(longest)}"
                     + (f": {load.longest_query_text[:80]}" if slow is not Status.OK else ""))
    perf += [Perf("db_threads_running", load.threads_running, "", min=0),
             Perf("db_longest_query", longest, "s", f"{t.db_query_time_warn:g}",
                  f"{t.db_query_time_crit:g}", 0)]
    yield Check("database-load", status, "; ".join(parts), "database", tuple(perf))
