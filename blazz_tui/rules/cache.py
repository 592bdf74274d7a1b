"""Redis: reachability, the windowed hit rate, memory and evictions; and the database load
the cache is there to keep low."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

from blazz_tui.fmt import duration, percent, plural, size
from blazz_tui.rules.model import Check, Perf, Status, lower, upper
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.redis import SIGNALS


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


REVERB_PERIOD = 5.0
"""Seconds between two reads of ``laravel:reverb:restart`` by a running Reverb server."""
COVERS = "server-wide: every database and client of this Redis"


@dataclass(frozen=True)
class HitRate:
    """The cache hit rate over the window, as far as it tells about the app.

    Redis counts the lookups of every database and client of the server, the framework's own
    reads of its restart signals among them (``SIGNALS``): each queue worker reads
    ``illuminate:queue:restart`` after every job and every ``--sleep`` seconds when idle,
    Reverb reads ``laravel:reverb:restart`` every 5 s — misses while the key is not set. On an
    idle app those are the only lookups: a server-wide rate of 0 % that says nothing of the
    app's cache. So the rate is judged with up to as many misses left out as those reads can
    have made (the best the app's own rate can be), and not at all when the lookups beyond
    them are too few to tell anything."""

    server: float | None
    """Percent over the window, every lookup counted (blazz-tui's own left out)."""
    judged: float | None
    """The rate the check judges (None: not judged, see ``why``)."""
    lookups: int
    seconds: float
    framework: int | None = 0
    """Up to this many of the lookups were the framework's own reads of its restart signals
    (None: cannot be told)."""
    missing: tuple[str, ...] = ()
    """The restart signals not set: their reads are misses."""
    why: str | None = None
    """Why the rate is not judged."""


def hit_rate(snap: Snapshot, t: Thresholds) -> HitRate | None:
    """The window's hit rate and whether it can be judged (None: no window yet)."""
    r, window = snap.redis, snap.cache
    if r is None or window is None or window.seconds == 0:
        return None
    lookups, seconds = window.lookups, window.seconds
    base = HitRate(window.hit_rate, None, lookups, seconds)
    if seconds < t.cache_window / 4:  # a few seconds of lookups: one miss moves it by 1 %
        return replace(base, why=f"judged once the window spans {duration(t.cache_window / 4)} "
                                 f"({duration(seconds)} so far)")
    framework, missing = _framework_reads(snap, seconds, window.jobs_done)
    if missing and framework is None:
        return replace(base, framework=None, missing=missing, why=(
            "not judged: the workers' reads of the restart signal, one a job, cannot be "
            "counted (the jobs done are not known)"))
    framework = framework or 0
    # The reads of a signal not set are misses: the app's best case leaves them all out.
    left_out = min(window.misses, framework) if missing else 0
    own = lookups - left_out if missing else lookups - min(lookups, framework)
    figure = replace(base, framework=framework, missing=missing)
    if window.hit_rate is None or own < t.cache_min_lookups:
        return replace(figure, why=(
            f"not judged: {plural(lookups, 'lookup')} in the last {duration(seconds)}"
            + (f", no more than {_readers(snap)}' own reads of the restart signals"
               if framework else "") + f": too few to judge (fewer than "
            f"{t.cache_min_lookups} beyond them)"))
    judged = 100.0 * window.hits / (lookups - left_out)
    return replace(figure, judged=judged)


def _framework_reads(snap: Snapshot, seconds: float,
                     jobs_done: int | None) -> tuple[int | None, tuple[str, ...]]:
    """Up to how many reads of the restart signals the framework made in ``seconds`` (None:
    cannot be told), and the signals not set."""
    r = snap.redis
    signals = dict(r.signals) if r is not None else {}
    running = [p for p in (snap.supervisor.processes if snap.supervisor else ())
               if p.state in ("RUNNING", "STARTING")]
    workers = [p for p in running if p.worker]
    reverbs = [p for p in running if "reverb:start" in p.command]
    missing = tuple(name for name, present in signals.items() if not present and (
        (name == SIGNALS[0] and workers) or (name == SIGNALS[1] and reverbs)))
    idle = sum(seconds / p.sleep + 1 for p in workers) \
        + sum(seconds / REVERB_PERIOD + 1 for _ in reverbs)
    if workers and jobs_done is None:
        return None, missing
    return math.ceil(idle + (jobs_done or 0)), missing


def _readers(snap: Snapshot) -> str:
    running = [p for p in (snap.supervisor.processes if snap.supervisor else ())
               if p.state in ("RUNNING", "STARTING")]
    workers = sum(1 for p in running if p.worker)
    return f"the {plural(workers, 'worker')}" if workers else "the framework"


def _hit_rate(snap: Snapshot, t: Thresholds) -> Check:
    """Judged over the last window only: the lifetime rate is cumulative since the server
    started (or CONFIG RESETSTAT) and would hide a drop in the last minute."""
    r = snap.redis
    assert r is not None
    lifetime = f"since start {percent(r.lifetime_hit_rate)}"
    figure = hit_rate(snap, t)
    if figure is None:
        return Check("cache-hit-rate", Status.OK,
                     f"window starts at the next poll; {lifetime}", "redis")
    signals = "; " + ", ".join(figure.missing) + " not set: each read of it is a miss (" \
        + _remedy(figure.missing) + ")" if figure.missing else ""
    window = f"over the last {duration(figure.seconds)}"
    if figure.judged is None:
        return Check("cache-hit-rate", Status.OK, f"{figure.why}; {percent(figure.server)} "
                     f"{window} ({COVERS}){signals}; {lifetime}", "redis")
    rate = figure.judged
    if figure.missing and figure.framework:
        summary = (f"{rate:.1f} % {window}, leaving out up to {figure.framework:,} misses that "
                   f"are the framework's own reads; {percent(figure.server)} counting them "
                   f"({COVERS}){signals}")
    else:
        summary = f"{rate:.1f} % {window} ({COVERS})"
    summary += f"; {lifetime}"
    if snap.cache is not None and snap.cache.reset_seen:
        summary += "; counters were reset (restart or CONFIG RESETSTAT)"
    return Check("cache-hit-rate", lower(rate, t.cache_hit_warn, t.cache_hit_crit), summary,
                 "redis", (Perf("cache_hit_rate", round(rate, 2), "%", f"{t.cache_hit_warn:g}:",
                                f"{t.cache_hit_crit:g}:", 0, 100),))


def _remedy(missing: tuple[str, ...]) -> str:
    commands = ["php artisan queue:restart" if name == SIGNALS[0] else "php artisan "
                "reverb:restart" for name in missing]
    return f"{' / '.join(commands)} once makes them hits"


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
