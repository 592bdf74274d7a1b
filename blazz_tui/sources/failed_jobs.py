"""``failed_jobs`` followed by primary key, so a steady poll reads only the new rows.

Rows only arrive at the top (ids grow with ``failed_at``); they leave from the bottom
(``queue:prune-failed``), all at once (``queue:flush``, TRUNCATE), or one by one
(``queue:retry``, ``queue:forget``). The newest failures of the last hour are kept, at most
FAILED_WINDOW of them, with their job class (for the failed *sends*) — and only while their
rows are there: each poll counts the rows of their id range (an index range of at most
FAILED_WINDOW entries) and, when some left, drops those. The figures are always the rows in
``failed_jobs`` now, as SQL and a fresh ``--check`` see them. The bounded total is recounted
when rows left, on a flood, or every ``recount_every`` seconds, and otherwise grows by the
rows seen arriving. ``failed_at`` has no index: nothing here walks
it.
"""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from blazz_tui.sources.queue_jobs import Rows, job_name

FAILED_WINDOW = 1_000
"""Newest failed jobs examined for the last hour's failures."""


@dataclass(frozen=True)
class FailedFigures:
    total: int
    """Up to the count cap."""
    total_capped: bool
    per_queue: dict[str, int]
    """Failures in the last hour, by queue."""
    hour_capped: bool
    """Every one of the newest FAILED_WINDOW failed jobs is from the last hour."""
    sends: int | None
    """Of those, failed sends (jobs of the configured send classes); None: not asked."""


NONE = FailedFigures(0, False, {}, False, None)


class FailedJobs:
    def __init__(self, recount_every: float) -> None:
        self._recount_every = recount_every
        self.reset()

    def reset(self) -> None:
        self.last_id = 0
        self.min_id: int | None = None
        self.total = 0
        self.counted_at = 0.0
        self.recent: deque[tuple[int, str, float, str]] = deque(maxlen=FAILED_WINDOW)
        """(id, queue, failed_at epoch seconds, job class) of the newest failures, oldest
        first."""

    def read(self, s: Rows, cap: int, sends: re.Pattern[str] | None) -> FailedFigures:
        low, high = s.rows("SELECT MIN(id), MAX(id) FROM failed_jobs")[0]
        low, high = None if low is None else int(low), int(high or 0)
        if high < self.last_id:  # flushed or truncated: ids start again
            self.reset()
        gone = self._departures(s)
        new = self._arrivals(s, high) if high > self.last_id else []
        now = time.time()
        flood = len(new) >= FAILED_WINDOW
        if flood or gone or low != self.min_id or now - self.counted_at > self._recount_every:
            self.total = int(s.rows("SELECT COUNT(*) FROM (SELECT 1 FROM failed_jobs LIMIT ?) "
                                    "AS f", (cap + 1,))[0][0])
            self.counted_at, self.min_id = now, low
        else:
            self.total += len(new)
        self.recent = deque((r for r in self.recent if r[2] >= now - 3600), FAILED_WINDOW)
        return FailedFigures(
            min(self.total, cap), self.total > cap,
            dict(Counter(queue for _, queue, _, _ in self.recent)),
            len(self.recent) >= FAILED_WINDOW,
            None if sends is None else sum(1 for *_, job in self.recent if sends.search(job)))

    def _departures(self, s: Rows) -> bool:
        """Drop the kept failures whose rows left the table (retried, forgotten); whether any
        did."""
        if not self.recent:
            return False
        low, high = self.recent[0][0], self.recent[-1][0]
        there = int(s.rows("SELECT COUNT(*) FROM failed_jobs WHERE id >= ? AND id <= ?",
                           (low, high))[0][0])
        if there == len(self.recent):
            return False
        ids = {int(r[0]) for r in s.rows("SELECT id FROM failed_jobs WHERE id >= ? AND id <= ?",
                                         (low, high))}
        self.recent = deque((r for r in self.recent if r[0] in ids), FAILED_WINDOW)
        return True

    def _arrivals(self, s: Rows, high: int) -> list[tuple[int, str, float, str]]:
        rows = s.rows("SELECT id, queue, failed_at, SUBSTR(payload, 1, 400) FROM failed_jobs "
                      "WHERE id > ? AND id <= ? ORDER BY id DESC LIMIT ?",
                      (self.last_id, high, FAILED_WINDOW))
        new = [(int(i), str(q), failed_at(at), job_name(str(payload or "")))
               for i, q, at, payload in reversed(rows)]
        self.recent.extend(new)
        self.last_id = high
        return new


def failed_at(value: Any) -> float:
    """``failed_at`` (a datetime from MySQL, text from SQLite), written in UTC by Laravel."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return 0.0  # unreadable: too old to count
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).timestamp()
    return 0.0
