"""Each instance's answers, as up/down spans, for its uptime over the last hour and day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from blazz_tui.sources.instances import InstancesReading

UPTIME_GAP = 600.0
"""Seconds between two reads of an instance up to which the time between them counts as
observed (cron's --check every 5 minutes); a longer gap is not observed."""
UPTIME_KEPT = 86_400.0
MAX_SPANS = 2_000


@dataclass(frozen=True)
class Uptime:
    """An instance's share of observed time answering, over the last hour and day."""

    name: str
    hour: float | None
    """Percent, None when it was not observed in the last hour."""
    hour_observed: float
    """Seconds of the last hour it was observed."""
    day: float | None
    day_observed: float
    program: str | None = None
    """The supervisor program or PM2 process (``pm2/NAME``) that runs it, when known."""
    restarts_hour: int | None = None
    """Its restarts in the last hour (None: no program known) — seen between two reads even
    when the instance answered both."""


class InstanceUptime:
    def __init__(self) -> None:
        self._spans: dict[str, list[list[Any]]] = {}
        """Per instance, [start, end, up] spans of what was observed, oldest first."""

    def observe(self, reading: InstancesReading) -> None:
        """Each instance read is up (it answered /health) or down from the end of the
        previous read's span: a change between two reads is put halfway."""
        for inst in reading.instances:
            at = inst.attempted_at or inst.fetched_at
            if not at:
                continue
            spans = self._spans.setdefault(inst.name, [])
            if spans and at <= spans[-1][1]:
                continue
            if spans and at - spans[-1][1] <= UPTIME_GAP:
                last = spans[-1]
                if last[2] == inst.up:
                    last[1] = at
                else:
                    middle = (last[1] + at) / 2
                    last[1] = middle
                    spans.append([middle, at, inst.up])
            else:
                spans.append([at, at, inst.up])
            while spans and (spans[0][1] < at - UPTIME_KEPT or len(spans) > MAX_SPANS):
                spans.pop(0)

    def shares(self, now: float, downs: Mapping[str, list[tuple[float, float | None]]]
               | None = None) -> tuple[Uptime, ...]:
        """Each instance's share of observed time answering. ``downs``: per instance, when
        supervisord's log says the program running it was not running — down, and observed,
        whether or not blazz-tui was watching then."""
        downs = downs or {}

        def share(name: str, seconds: float) -> tuple[float | None, float]:
            start = now - seconds
            down = [(b, now if e is None else e) for b, e in downs.get(name, ())]
            spans = self._spans.get(name, [])
            seen = _measure([(b, e) for b, e, _ in spans] + down, start, now)
            lost = _measure([(b, e) for b, e, up in spans if not up] + down, start, now)
            return (100.0 * (seen - lost) / seen if seen else None), seen

        names = sorted(set(self._spans) | {n for n, d in downs.items() if d})
        return tuple(Uptime(name, *share(name, 3_600.0), *share(name, 86_400.0))
                     for name in names)

    def to_data(self) -> Any:
        return self._spans

    @classmethod
    def from_data(cls, data: Any) -> InstanceUptime:
        tracker = cls()
        tracker._spans = {str(k): [[float(a), float(b), bool(c)] for a, b, c in v]
                          for k, v in data.items()}
        return tracker


def _measure(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of [start, end] that the union of ``intervals`` covers."""
    total, reached = 0.0, start
    for begin, finish in sorted(intervals):
        begin, finish = max(begin, reached), min(finish, end)
        if finish > begin:
            total += finish - begin
            reached = finish
    return total
