"""Turning polls into frames: one source read → snapshot → judged checks → events.

UI-free: the app schedules ``poll`` in its workers; tests and benchmarks can call it directly.
"""

from __future__ import annotations

import time
from dataclasses import replace

from blazz_tui.collect import Collector
from blazz_tui.correlation import LostSessions
from blazz_tui.events import Timeline
from blazz_tui.frame import Frame
from blazz_tui.rules import apply_retries, by_severity, evaluate
from blazz_tui.snapshot import Snapshot


class Poller:
    def __init__(self, collector: Collector, timeline: Timeline | None = None) -> None:
        self.collector = collector
        self.timeline = timeline or Timeline()
        self._lost = LostSessions()

    @property
    def source_names(self) -> list[str]:
        return list(self.collector.sources)

    def interval(self, name: str) -> float:
        return self.collector.target.poll.for_source(name).interval

    async def poll(self, name: str) -> Frame:
        await self.collector.poll(name)
        return self.frame()

    async def poll_all(self) -> Frame:
        await self.collector.poll_all()
        return self.frame()

    def frame(self) -> Frame:
        collector = self.collector
        snapshot = self._settled(collector.snapshot())
        thresholds = collector.thresholds
        checks = apply_retries(evaluate(snapshot, thresholds), snapshot, collector.history,
                               thresholds.retries)
        ordered = tuple(by_severity(checks))
        self.timeline.observe(ordered, time.time())
        waiting = tuple(n for n in collector.sources if n not in collector.readings)
        return Frame(snapshot, ordered, waiting)

    def _settled(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with only the lost sessions both sources have confirmed."""
        if snapshot.instances is None or snapshot.database is None:
            return snapshot
        sessions = self._lost.settle(snapshot.sessions, snapshot.instances.fetched_at,
                                     snapshot.database.fetched_at)
        return replace(snapshot, sessions=sessions)

    async def close(self) -> None:
        await self.collector.close()
