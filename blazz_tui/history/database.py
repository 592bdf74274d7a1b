"""The database server's statement counters, so its query rate is over a window like the
CPU's, blazz-tui's own statements left out; and the ``jobs`` table's counter and rows, for
the jobs done over a window."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

from blazz_tui.history.limits import CPU_WINDOW_MAX, CPU_WINDOW_MIN, HISTORY_POINTS
from blazz_tui.sources.database import DatabaseReading


@dataclass(frozen=True)
class DatabaseRates:
    """The database server's load between two samples (``unknown`` says why there is none)."""

    queries_per_second: float | None = None
    """Statements clients sent per second, blazz-tui's own left out."""
    selects_per_second: float | None = None
    slow_queries: int = 0
    """Statements the server logged as slow in the window (all its users)."""
    seconds: float = 0.0
    own_statements: int = 0
    unknown: str | None = None


class DatabaseLoad:
    def __init__(self) -> None:
        self._db: tuple[float, int, int, int, int, int] | None = None
        """(epoch seconds, questions, selects, slow queries, server uptime, this poll's own
        statements) of the database's last sample."""
        self._db_rates = DatabaseRates(unknown="needs a second sample")

    def observe(self, reading: DatabaseReading) -> None:
        load = reading.load
        if not reading.ok or load is None:
            self._db_rates = DatabaseRates(unknown=reading.load_error or reading.error)
            return
        sample = (reading.fetched_at, load.questions, load.selects, load.slow_queries,
                  load.uptime, reading.queries)
        before = self._db
        if before is not None and 0 <= sample[0] - before[0] < CPU_WINDOW_MIN:
            return  # too close: the last full window's figures stand
        self._db = sample
        if before is None:
            self._db_rates = DatabaseRates(unknown="needs a second sample")
            return
        seconds = sample[0] - before[0]
        if sample[4] < before[4] or sample[1] < before[1]:
            self._db_rates = DatabaseRates(unknown="the database restarted since the last "
                                                   "sample")
        elif seconds > CPU_WINDOW_MAX:
            self._db_rates = DatabaseRates(unknown="the last sample is too old to average over")
        else:
            # Between two samples lie the previous poll's statements, its status read first.
            own = before[5]
            self._db_rates = DatabaseRates(
                max(0.0, (sample[1] - before[1] - own) / seconds),
                max(0.0, (sample[2] - before[2]) / seconds), sample[3] - before[3],
                seconds, own)

    def rates(self) -> DatabaseRates:
        return self._db_rates

    def to_data(self) -> Any:
        return self._db

    @classmethod
    def from_data(cls, data: Any) -> DatabaseLoad:
        tracker = cls()
        if data is not None:
            questions, selects, slow, uptime, own = (int(v) for v in data[1:6])
            tracker._db = (float(data[0]), questions, selects, slow, uptime, own)
        return tracker


@dataclass
class _JobsSample:
    at: float
    next_id: int
    rows: int


class Jobs:
    def __init__(self) -> None:
        self._jobs: deque[_JobsSample] = deque(maxlen=HISTORY_POINTS)

    def observe(self, reading: DatabaseReading) -> None:
        """The ``jobs`` table's counter and rows, for the jobs done over a window."""
        if not reading.ok or reading.jobs_next_id is None or reading.jobs_rows is None:
            self._jobs.clear()  # a gap: no window spans it
            return
        if self._jobs and self._jobs[-1].at >= reading.fetched_at:
            return
        self._jobs.append(_JobsSample(reading.fetched_at, reading.jobs_next_id,
                                      reading.jobs_rows))

    def done(self, since: float, until: float) -> int | None:
        """Jobs that left the table from ``since`` to ``until``, from the samples spanning
        it (scaled up when they span less of it; None: not known)."""
        if len(self._jobs) < 2:
            return None
        last = self._jobs[-1]
        first = next((j for j in reversed(self._jobs) if j.at <= since), self._jobs[0])
        if last.at <= first.at or last.next_id < first.next_id:
            return None
        left = max(0, (last.next_id - first.next_id) - (last.rows - first.rows))
        span = last.at - first.at
        return math.ceil(left * max(1.0, (until - since) / span))

    def to_data(self) -> Any:
        return [vars(j) for j in self._jobs]

    @classmethod
    def from_data(cls, data: Any) -> Jobs:
        tracker = cls()
        tracker._jobs = deque((_JobsSample(float(j["at"]), int(j["next_id"]), int(j["rows"]))
                               for j in data), maxlen=HISTORY_POINTS)
        return tracker
