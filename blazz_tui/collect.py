"""Run every source concurrently, each with its own timeout, into one ``Snapshot``.

A source that fails or times out keeps its last good data, marked with the error
(``Reading.stale``); one that never succeeded gives an empty reading with the error.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from typing import Any, TypeVar

from blazz_tui import message_figures
from blazz_tui.correlation import (
    InstanceMatcher,
    SessionsView,
    instance_program,
    queue_views,
    sessions_known,
    sessions_view,
)
from blazz_tui.history import History, ProgramRestarts, Uptime
from blazz_tui.settings import TargetConfig, Thresholds
from blazz_tui.snapshot import QueueHistory, Snapshot
from blazz_tui.source_kinds import BY_NAME, KINDS, build_sources
from blazz_tui.sources.base import Reading, Source, describe_error
from blazz_tui.sources.database import DatabaseReading, DatabaseSource
from blazz_tui.sources.instances import InstancesReading
from blazz_tui.sources.logs import LogsReading, SyncRun
from blazz_tui.sources.pm2 import Pm2Reading
from blazz_tui.sources.queue_jobs import QueueJobs
from blazz_tui.sources.redis import RedisReading
from blazz_tui.sources.supervisor import LogTail, SupervisorReading, SupervisorSource
from blazz_tui.transport.base import LinkState, Transport

# Sources that enforce finer timeouts themselves get this much slack on top, so their own,
# more precise errors (one instance timed out) arrive before the collector's blanket one.
TIMEOUT_SLACK = 0.5
CLOSE_TIMEOUT = 1.0
"""Seconds a source may take to release its connections."""

R = TypeVar("R", bound=Reading)


class Collector:
    """Owns the sources of one target, their latest readings, and the history.

    Readings are stored by the runtime's thread and read by whoever builds a frame (the same
    thread, or the main thread of a one-shot check at its deadline), so storing and the
    snapshot share a lock, and ``readings`` is replaced, never changed in place.
    """

    def __init__(self, target: TargetConfig, transport: Transport, thresholds: Thresholds,
                 history: History | None = None,
                 sources: dict[str, Source[Any]] | None = None) -> None:
        self.target = target
        self.transport = transport
        self.thresholds = thresholds
        self.history = history or History(thresholds.flap_window, thresholds.cache_window)
        self.own_sync: SyncRun | None = None
        """The last instance-URL sync this process carried out itself (native mode writes no
        log line): the sync's age counts it."""
        self.sources = sources if sources is not None else build_sources(target, transport)
        self.readings: dict[str, Reading] = {}
        self.unfinished: list[str] = []
        """Sources that had not answered when an overall deadline expired."""
        self._lock = threading.Lock()
        self._frozen = False
        self._matcher = InstanceMatcher(target.instances)
        self._sessions: tuple[object, object, SessionsView] | None = None
        self._closed_link: LinkState | None = None
        self._links: dict[str, float | None] = {}
        """Per source: since when the link was up at its last read (a remote target)."""

    def timeout(self, name: str) -> float:
        """How long one read of source ``name`` may take, all told (setting a remote
        target's link up included)."""
        return self._read_limit(name) + TIMEOUT_SLACK + self._link_setup

    def _read_limit(self, name: str) -> float:
        """Seconds one read of source ``name`` may take: its poll timeout, or a source whose
        requests each have that timeout says how long a whole read may take."""
        bound: float | None = getattr(self.sources[name], "read_bound", None)
        return bound if bound is not None else self.target.poll.for_source(name).timeout

    @property
    def _link_setup(self) -> float:
        """Seconds a read may wait for a remote target's link to be set up: the link's own
        connect timeout, so a read reports why it could not be (a refused key, an
        unreachable host), not that its own timeout came first."""
        ssh = self.target.ssh
        return ssh.connect_timeout if self.target.transport == "ssh" and ssh else 0.0

    async def read(self, name: str) -> Reading:
        """One read of source ``name`` within its timeout; whatever goes wrong, including a
        bug in the source, comes back as a reading with ``error`` (nothing is stored)."""
        source = self.sources[name]
        limit = self._read_limit(name)
        started, clock = time.time(), time.perf_counter()
        try:
            await asyncio.wait_for(self.transport.ready(), limit + self._link_setup)
        except (OSError, TimeoutError) as exc:
            error = f"the link was not up within {limit + self._link_setup:g} s" \
                if isinstance(exc, TimeoutError) else describe_error(exc)
            failed: Reading = source.failed(error, started, time.perf_counter() - clock)
            return failed
        await self._follow_link(name, source)
        try:
            reading: Reading = await asyncio.wait_for(source.read(), limit + TIMEOUT_SLACK)
        except TimeoutError:
            reading = source.failed(f"timed out after {limit:g} s", started,
                                    time.perf_counter() - clock)
            await self._reset(source)  # a half-read answer must not reach the next read
        except Exception as exc:  # noqa: BLE001 - the source boundary: a failure is data
            reading = source.failed(f"internal error in the {name} source: "
                                    f"{describe_error(exc)}", started,
                                    time.perf_counter() - clock)
            await self._reset(source)
        link = self.transport.link
        if link is not None and link.up:
            self._links.setdefault(name, link.since)  # what its new connections went over
        return reading

    def store(self, name: str, reading: Reading) -> Reading:
        """Remember ``reading`` (a failed one keeps the last good data, marked stale) and feed
        the history; returns what was stored. Ignored once frozen."""
        with self._lock:
            if self._frozen:
                return reading
            kind = BY_NAME[name]
            if kind.prepare is not None:
                reading = kind.prepare(self.history, reading)
            previous = self.readings.get(name)
            link = self.transport.link
            if link is not None and (not link.up or reading.error and link.since
                                     and (reading.attempted_at or 0.0) < link.since):
                # Read while the link was down: whatever came back (an instance "down", a
                # disconnect) says nothing of the target. The last good data stays, stale.
                reading = self.sources[name].failed(
                    reading.error or "ssh link down", reading.attempted_at or time.time(),
                    reading.latency)
            if reading.error is not None and previous is not None and previous.has_data:
                reading = previous.stale(reading.error, reading.attempted_at or time.time(),
                                         reading.latency)
            self.readings = {**self.readings, name: reading}
            if kind.observe is not None:
                kind.observe(self.history, reading, self.target)
        return reading

    def freeze(self) -> None:
        """Stop taking readings: a one-shot check has taken its snapshot."""
        with self._lock:
            self._frozen = True

    def mark_unfinished(self, error: str) -> None:
        """After an overall deadline: every source without a reading gets ``error``."""
        now = time.time()
        with self._lock:
            missing = {name: source.failed(error, now, 0.0)
                       for name, source in self.sources.items() if name not in self.readings}
            self.readings = {**self.readings, **missing}
            self.unfinished.extend(missing)

    async def _follow_link(self, name: str, source: Source[Any]) -> None:
        """A remote target's link came up again since this source's last read: the source's
        connections went with the old link; it opens new ones rather than fail on them."""
        link = self.transport.link
        if link is None or not link.up:
            return
        last = self._links.get(name)
        self._links[name] = link.since
        if last is not None and last != link.since:
            await self._reset(source)

    async def _reset(self, source: Source[Any]) -> None:
        try:
            await asyncio.wait_for(source.close(), CLOSE_TIMEOUT)
        except (TimeoutError, OSError):
            pass  # connections are opened afresh on the next read anyway

    # -- on demand (details screens) ----------------------------------------------------------

    async def program_log(self, endpoint: str, full_name: str) -> LogTail:
        source = self.sources.get("supervisor")
        if not isinstance(source, SupervisorSource):
            return LogTail(error="no supervisor configured")
        limit = self.timeout("supervisor")
        try:
            return await asyncio.wait_for(source.tail_log(endpoint, full_name), limit)
        except TimeoutError:
            return LogTail(error=f"supervisord did not send the log within {limit:g} s")

    async def queue_jobs(self, queue: str) -> QueueJobs:
        source = self.sources.get("database")
        if not isinstance(source, DatabaseSource):
            return QueueJobs(queue, error="no database configured: jobs and failures are "
                                          "read from Laravel's jobs and failed_jobs tables")
        limit = self.timeout("database")
        try:
            return await asyncio.wait_for(source.queue_jobs(queue), limit)
        except TimeoutError:
            return QueueJobs(queue, error=f"the database did not answer within {limit:g} s")

    async def close(self) -> None:
        """Close every source's connections, then the transport (each bounded). The link's
        state stays as it was for the snapshots still to be taken (a one-shot's last one is
        taken while this runs)."""
        self._closed_link = self.transport.link
        await asyncio.gather(*(self._reset(s) for s in self.sources.values()))
        try:
            await asyncio.wait_for(self.transport.close(), CLOSE_TIMEOUT)
        except (TimeoutError, OSError):
            pass

    def _get(self, readings: dict[str, Reading], name: str, cls: type[R]) -> R | None:
        reading = readings.get(name)
        return reading if isinstance(reading, cls) else None

    def _uptime(self, now: float, restarts: tuple[ProgramRestarts, ...],
                supervisor: SupervisorReading | None,
                pm2: Pm2Reading | None) -> tuple[Uptime, ...]:
        """Each instance's observed uptime, with the restarts of the program that runs it."""
        seen = {r.name: r.last_hour for r in restarts}
        programs = {i.name: instance_program(i, pm2, supervisor) for i in self.target.instances}
        downs = {name: self.history.programs.downtime(program) for name, program in programs.items()
                 if program is not None and not program.startswith("pm2/")}
        out = []
        for uptime in self.history.uptime.shares(now, downs):
            program = programs.get(uptime.name)
            out.append(replace(uptime, program=program, restarts_hour=None if program is None
                               else seen.get(program, 0)))
        return tuple(out)

    def _sessions_view(self, instances: InstancesReading | None,
                       database: DatabaseReading | None) -> SessionsView:
        """``sessions_view``, computed again only when the instances were read again or the
        accounts changed: it is the one part of a frame that grows with the accounts."""
        accounts = database.accounts if database is not None else None
        cached = self._sessions
        if cached is not None and cached[0] is instances and cached[1] is accounts \
                and database is not None:
            return replace(cached[2], known=sessions_known(instances, database))
        view = sessions_view(self.target.instances, instances, database, self._matcher)
        self._sessions = (instances, accounts, view)
        return view

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot(self.readings)

    def _snapshot(self, readings: dict[str, Reading]) -> Snapshot:
        now = time.time()
        read = {kind.name: self._get(readings, kind.name, kind.reading) for kind in KINDS}
        supervisor = self._get(readings, "supervisor", SupervisorReading)
        instances = self._get(readings, "instances", InstancesReading)
        database = self._get(readings, "database", DatabaseReading)
        redis = self._get(readings, "redis", RedisReading)
        restarts = self.history.programs.restarts(now)
        logs = self._get(readings, "logs", LogsReading)
        own = self.own_sync
        if logs is not None and own is not None and (
                logs.last_sync is None or logs.last_sync.at < own.at):
            logs = replace(logs, last_sync=own)  # a sync done here counts as the app's own
        pm2 = self._get(readings, "pm2", Pm2Reading)
        messages = self.target.messages
        rates = self.history.messages.rates(messages.recent_seconds, messages.recent_messages) \
            if "messages" in self.sources else None
        queues = queue_views(database, redis, supervisor, self.target.queues.connection,
                             self.target.queues.watch, now,
                             frozenset(r.name for r in restarts if r.recent))
        return Snapshot(
            target=self.target.name,
            transport=self.transport.name,
            taken_at=now,
            # Each kind's reading is its field's type (KINDS says so; a test holds them to it).
            **{**read, "logs": logs},  # type: ignore[arg-type]
            queues=queues,
            sessions=self._sessions_view(instances, database),
            restarts=restarts,
            cache=self.history.cache.window() if redis is not None else None,
            queue_history=tuple(QueueHistory(q.name, self.history.queues.depths(q.name))
                                for q in queues),
            hit_rate_history=self.history.cache.hit_rates(),
            max_sessions_per_instance=self.target.max_sessions_per_instance,
            link=self._closed_link if self._closed_link is not None else self.transport.link,
            database_load=self.history.database.rates() if database is not None else None,
            uptime=self._uptime(now, restarts, supervisor, pm2),
            message_latency=message_figures.latency(rates, logs, database),
            failed_messages=message_figures.failed(rates, database),
        )
