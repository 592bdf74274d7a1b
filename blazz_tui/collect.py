"""Run every source concurrently, each with its own timeout, into one ``Snapshot``.

A source that fails or times out keeps its last good data, marked with the error
(``Reading.stale``); one that never succeeded gives an empty reading with the error.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, TypeVar

from blazz_tui.correlation import queue_views, sessions_view
from blazz_tui.history import History
from blazz_tui.settings import TargetConfig, Thresholds
from blazz_tui.snapshot import QueueHistory, Snapshot
from blazz_tui.sources.base import Reading, Source
from blazz_tui.sources.database import DatabaseReading, DatabaseSource
from blazz_tui.sources.host import HostReading, HostSource
from blazz_tui.sources.instances import InstancesReading, InstancesSource
from blazz_tui.sources.logs import LogsReading, LogsSource
from blazz_tui.sources.ports import PortsReading, PortsSource
from blazz_tui.sources.queue_jobs import QueueJobs
from blazz_tui.sources.redis import RedisReading, RedisSource
from blazz_tui.sources.supervisor import LogTail, SupervisorReading, SupervisorSource
from blazz_tui.transport.base import Transport

# Sources that enforce finer timeouts themselves get this much slack on top, so their own,
# more precise errors (one instance timed out) arrive before the collector's blanket one.
TIMEOUT_SLACK = 0.5

R = TypeVar("R", bound=Reading)


def build_sources(target: TargetConfig, transport: Transport) -> dict[str, Source[Any]]:
    poll = target.poll
    sources: dict[str, Source[Any]] = {}
    if target.supervisor:
        sources["supervisor"] = SupervisorSource(target.supervisor, transport,
                                                 timeout=poll.supervisor.timeout)
    if target.instances:
        sources["instances"] = InstancesSource(target.instances, transport,
                                               poll.instances.timeout)
    if target.database is not None:
        sources["database"] = DatabaseSource(
            target.database, transport,
            watch=target.queues.watch if target.queues.connection == "database" else (),
            timeout=poll.database.timeout)
    if target.redis is not None:
        sources["redis"] = RedisSource(target.redis, transport,
                                       queue_names=target.queues.watch,
                                       redis_queues=target.queues.connection == "redis",
                                       timeout=poll.redis.timeout)
    sources["host"] = HostSource(transport, target.disk_path)
    if target.ports:
        sources["ports"] = PortsSource(target.ports, transport, poll.ports.timeout)
    if target.logs.files:
        sources["logs"] = LogsSource(target.logs, transport, target.app_dir)
    return sources


class Collector:
    """Owns the sources of one target, their latest readings, and the history."""

    def __init__(self, target: TargetConfig, transport: Transport, thresholds: Thresholds,
                 history: History | None = None,
                 sources: dict[str, Source[Any]] | None = None) -> None:
        self.target = target
        self.transport = transport
        self.thresholds = thresholds
        self.history = history or History(thresholds.flap_window, thresholds.cache_window)
        self.sources = sources if sources is not None else build_sources(target, transport)
        self.readings: dict[str, Reading] = {}
        self.unfinished: list[str] = []
        """Sources that had not answered when an overall deadline expired."""

    async def poll(self, name: str, timeout: float | None = None) -> Reading:
        """Read one source within its timeout and remember the result."""
        source = self.sources[name]
        limit = timeout if timeout is not None else self.target.poll.for_source(name).timeout
        started, clock = time.time(), time.perf_counter()
        try:
            reading: Reading = await asyncio.wait_for(source.read(), limit + TIMEOUT_SLACK)
        except TimeoutError:
            reading = source.failed(f"timed out after {limit:g} s", started,
                                    time.perf_counter() - clock)
        previous = self.readings.get(name)
        if reading.error is not None and previous is not None and previous.has_data:
            reading = previous.stale(reading.error, reading.attempted_at or started,
                                     reading.latency)
        self.readings[name] = reading
        self._observe(reading)
        return reading

    async def poll_all(self) -> None:
        await asyncio.gather(*(self.poll(name) for name in self.sources))

    def mark_unfinished(self, error: str) -> None:
        """After an overall deadline: every source without a reading gets ``error``."""
        now = time.time()
        for name, source in self.sources.items():
            if name not in self.readings:
                self.readings[name] = source.failed(error, now, 0.0)
                self.unfinished.append(name)

    # -- on demand (details screens) ----------------------------------------------------------

    async def program_log(self, endpoint: str, full_name: str) -> LogTail:
        source = self.sources.get("supervisor")
        if not isinstance(source, SupervisorSource):
            return LogTail(error="no supervisor configured")
        limit = self.target.poll.supervisor.timeout + TIMEOUT_SLACK
        try:
            return await asyncio.wait_for(source.tail_log(endpoint, full_name), limit)
        except TimeoutError:
            return LogTail(error=f"supervisord did not send the log within {limit:g} s")

    async def queue_jobs(self, queue: str) -> QueueJobs:
        source = self.sources.get("database")
        if not isinstance(source, DatabaseSource):
            return QueueJobs(queue, error="no database configured: jobs and failures are "
                                          "read from Laravel's jobs and failed_jobs tables")
        limit = self.target.poll.database.timeout + TIMEOUT_SLACK
        try:
            return await asyncio.wait_for(source.queue_jobs(queue), limit)
        except TimeoutError:
            return QueueJobs(queue, error=f"the database did not answer within {limit:g} s")

    async def close(self) -> None:
        """Close every source's connections, then the transport."""
        await asyncio.gather(*(s.close() for s in self.sources.values()),
                             return_exceptions=True)
        await self.transport.close()

    def _observe(self, reading: Reading) -> None:
        depths: dict[str, int] | None = None
        if isinstance(reading, SupervisorReading):
            self.history.observe_supervisor(reading)
        elif isinstance(reading, RedisReading):
            self.history.observe_redis(reading)
            if self.target.queues.connection == "redis":
                depths = {q.name: q.pending for q in reading.queues}
        elif isinstance(reading, DatabaseReading) and self.target.queues.connection == "database":
            depths = {q.name: q.pending for q in reading.queues}
        if depths is not None and reading.ok:
            self.history.observe_queue_depths(reading.fetched_at, depths)

    def _get(self, name: str, cls: type[R]) -> R | None:
        reading = self.readings.get(name)
        return reading if isinstance(reading, cls) else None

    def snapshot(self) -> Snapshot:
        now = time.time()
        supervisor = self._get("supervisor", SupervisorReading)
        instances = self._get("instances", InstancesReading)
        database = self._get("database", DatabaseReading)
        redis = self._get("redis", RedisReading)
        queues = queue_views(database, redis, supervisor, self.target.queues.connection,
                             self.target.queues.watch, now)
        return Snapshot(
            target=self.target.name,
            transport=self.transport.name,
            taken_at=now,
            supervisor=supervisor,
            instances=instances,
            database=database,
            redis=redis,
            host=self._get("host", HostReading),
            ports=self._get("ports", PortsReading),
            logs=self._get("logs", LogsReading),
            queues=queues,
            sessions=sessions_view(self.target.instances, instances, database),
            restarts=self.history.restarts(now),
            cache=self.history.cache_window_now() if redis is not None else None,
            queue_history=tuple(QueueHistory(q.name, self.history.queue_history(q.name))
                                for q in queues),
            hit_rate_history=self.history.hit_rate_history(),
            max_sessions_per_instance=self.target.max_sessions_per_instance,
        )


async def collect_once(collector: Collector, deadline: float | None = None) -> Snapshot:
    """Poll every source once, concurrently; past ``deadline`` seconds the missing ones are
    marked as timed out and the snapshot is taken with what arrived."""
    if deadline is None:
        await collector.poll_all()
    else:
        try:
            await asyncio.wait_for(collector.poll_all(), deadline)
        except TimeoutError:
            collector.mark_unfinished(f"not answered within the {deadline:g} s deadline")
    return collector.snapshot()
