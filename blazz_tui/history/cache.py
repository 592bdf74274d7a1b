"""The Redis hit rate over the last window, from deltas of cumulative counters, safe across
a restart (new run_id) or ``CONFIG RESETSTAT`` (counters going down), and its history."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from blazz_tui.history.database import Jobs
from blazz_tui.history.limits import HISTORY_POINTS
from blazz_tui.sources.redis import RedisReading


@dataclass(frozen=True)
class CacheWindow:
    hit_rate: float | None
    """Percent over the window, None when there were no lookups or no earlier sample."""
    lookups: int
    seconds: float
    evictions: int
    reset_seen: bool
    """The counters went backwards (restart or CONFIG RESETSTAT) since the last sample."""
    hits: int = 0
    misses: int = 0
    """The window's lookups, blazz-tui's own left out."""
    jobs_done: int | None = None
    """Jobs that left the ``jobs`` table over about the window (None: not known) — each one
    a worker's turn of its loop, and so one read of the queue-restart signal."""


@dataclass
class _RedisSample:
    at: float
    run_id: str
    hits: int
    misses: int
    evicted: int
    own_hits: int = 0
    own_misses: int = 0
    """Lookups blazz-tui made after this sample's INFO: in the next sample's counters."""


class Cache:
    def __init__(self, jobs: Jobs, cache_window: float = 60.0) -> None:
        self.jobs = jobs
        """The jobs done over a window: each a worker's read of the queue-restart signal."""
        self.cache_window = cache_window
        self._redis: deque[_RedisSample] = deque(maxlen=HISTORY_POINTS)
        self._reset_seen = False
        self._hit_rates: deque[tuple[float, float]] = deque(maxlen=HISTORY_POINTS)

    def observe(self, reading: RedisReading) -> None:
        if not reading.ok:
            return
        sample = _RedisSample(reading.fetched_at, reading.run_id, reading.keyspace_hits,
                              reading.keyspace_misses, reading.evicted_keys, reading.own_hits,
                              reading.own_misses)
        if self._redis and self._redis[-1].at >= sample.at:
            return
        if self._redis:
            last = self._redis[-1]
            if (last.run_id != sample.run_id or sample.hits < last.hits
                    or sample.misses < last.misses):
                self._redis.clear()
                self._reset_seen = True
            else:
                self._reset_seen = False
        self._redis.append(sample)
        window = self.window()
        if window.hit_rate is not None:
            self._hit_rates.append((sample.at, window.hit_rate))

    def window(self) -> CacheWindow:
        if len(self._redis) < 2:
            return CacheWindow(None, 0, 0.0, 0, self._reset_seen)
        samples = list(self._redis)
        current = samples[-1]
        start = 0
        for i in range(len(samples) - 2, -1, -1):
            start = i
            if current.at - samples[i].at >= self.cache_window:
                break
        base, between = samples[start], samples[start:-1]
        # Our own probes, made after each sample's INFO, are in the next one's counters.
        hits = max(0, current.hits - base.hits - sum(s.own_hits for s in between))
        misses = max(0, current.misses - base.misses - sum(s.own_misses for s in between))
        lookups = hits + misses
        rate = 100.0 * hits / lookups if lookups else None
        return CacheWindow(rate, lookups, current.at - base.at, current.evicted - base.evicted,
                           self._reset_seen, hits, misses,
                           self.jobs.done(base.at, current.at))

    def hit_rates(self) -> tuple[float, ...]:
        return tuple(rate for _, rate in self._hit_rates)

    def to_data(self) -> Any:
        return {"redis": [vars(s) for s in self._redis], "hit_rates": list(self._hit_rates)}

    @classmethod
    def from_data(cls, data: Any, jobs: Jobs, cache_window: float) -> Cache:
        tracker = cls(jobs, cache_window)
        tracker._redis = deque((_RedisSample(**s) for s in data["redis"]),
                               maxlen=HISTORY_POINTS)
        tracker._hit_rates = deque(((float(a), float(b)) for a, b in data["hit_rates"]),
                                   maxlen=HISTORY_POINTS)
        return tracker
