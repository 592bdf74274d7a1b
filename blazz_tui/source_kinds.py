"""Every kind of source, one row each: how it is built from a target's configuration, the
reading it gives (which is also the ``Snapshot`` field of that name), what the history learns
from it, whether its answer time is judged, and whether a check of its own name says that it
answers. The collector, the runtime, the judge and the snapshot read this table; a new source
is a module in ``sources/`` and a row here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from blazz_tui.history import History
from blazz_tui.settings import TargetConfig
from blazz_tui.sources.base import Reading, Source
from blazz_tui.sources.database import DatabaseReading, DatabaseSource
from blazz_tui.sources.host import HostReading, HostSource
from blazz_tui.sources.instances import InstancesReading, InstancesSource
from blazz_tui.sources.logs import LogsReading, LogsSource
from blazz_tui.sources.messages import MessagesReading, MessagesSource
from blazz_tui.sources.pm2 import Pm2Reading, Pm2Source
from blazz_tui.sources.ports import PortsReading, PortsSource
from blazz_tui.sources.redis import RedisReading, RedisSource
from blazz_tui.sources.supervisor import SupervisorReading, SupervisorSource
from blazz_tui.transport.base import Transport

Build = Callable[[TargetConfig, Transport], "Source[Any] | None"]
Observe = Callable[[History, Any, TargetConfig], None]


@dataclass(frozen=True)
class SourceKind:
    name: str
    """The source's name: its poll settings, its Snapshot field, its checks' ``source``."""
    build: Build
    """The source for a target, or None where the target has none of it."""
    reading: type[Reading]
    observe: Observe | None = None
    """What the history learns from a reading of it (stored, last good data kept)."""
    prepare: Callable[[History, Any], Reading] | None = None
    """What the history makes of a fresh reading before it is stored."""
    timed: bool = False
    """Its answer time is judged: it is read while no other read runs."""
    own_check: bool = False
    """A check of its name (and ``NAME:…``) says whether the source itself answers."""


def _supervisor(target: TargetConfig, transport: Transport) -> SupervisorSource | None:
    if not target.supervisor:
        return None
    return SupervisorSource(target.supervisor, transport,
                            timeout=target.poll.supervisor.timeout, workers=target.workers,
                            required=bool(target.supervisor_required), app_dir=target.app_dir)


def _instances(target: TargetConfig, transport: Transport) -> InstancesSource | None:
    return InstancesSource(target.instances, transport, target.poll.instances.timeout) \
        if target.instances else None


def _messages(target: TargetConfig, transport: Transport) -> MessagesSource | None:
    return MessagesSource(target.instances, transport, target.poll.messages.timeout) \
        if target.instances else None


def _database(target: TargetConfig, transport: Transport) -> DatabaseSource | None:
    if target.database is None:
        return None
    queues = target.queues
    return DatabaseSource(target.database, transport,
                          watch=queues.watch if queues.connection == "database" else (),
                          timeout=target.poll.database.timeout, messages=target.messages,
                          timezone=target.logs.timezone)


def _redis(target: TargetConfig, transport: Transport) -> RedisSource | None:
    if target.redis is None:
        return None
    return RedisSource(target.redis, transport, queue_names=target.queues.watch,
                       redis_queues=target.queues.connection == "redis",
                       timeout=target.poll.redis.timeout)


def _ports(target: TargetConfig, transport: Transport) -> PortsSource | None:
    return PortsSource(target.ports, transport, target.poll.ports.timeout) \
        if target.ports else None


def _logs(target: TargetConfig, transport: Transport) -> LogsSource | None:
    if not target.logs.files:
        return None
    messages = target.messages
    return LogsSource(target.logs, transport, target.app_dir, messages.log_pattern,
                      (messages.recent_seconds, messages.recent_messages))


def _pm2(target: TargetConfig, transport: Transport) -> Pm2Source | None:
    return Pm2Source(target.pm2, transport, target.poll.pm2.timeout) \
        if target.pm2 is not None else None


def _observe_queues(history: History, reading: DatabaseReading | RedisReading,
                    target: TargetConfig, connection: str) -> None:
    """The queue depths, from the source the target's queues are on."""
    if target.queues.connection == connection and reading.ok:
        history.queues.observe(reading.fetched_at,
                                     {q.name: q.pending for q in reading.queues})


def _observe_database(history: History, reading: DatabaseReading,
                      target: TargetConfig) -> None:
    history.database.observe(reading)
    history.jobs.observe(reading)
    _observe_queues(history, reading, target, "database")


def _observe_redis(history: History, reading: RedisReading, target: TargetConfig) -> None:
    history.cache.observe(reading)
    _observe_queues(history, reading, target, "redis")


KINDS: tuple[SourceKind, ...] = (
    SourceKind("supervisor", _supervisor, SupervisorReading,
               lambda h, r, _: h.programs.observe_supervisor(r), own_check=True),
    SourceKind("instances", _instances, InstancesReading,
               lambda h, r, _: h.uptime.observe(r), timed=True, own_check=True),
    SourceKind("messages", _messages, MessagesReading, lambda h, r, _: h.messages.observe(r)),
    SourceKind("database", _database, DatabaseReading, _observe_database, own_check=True),
    SourceKind("redis", _redis, RedisReading, _observe_redis, own_check=True),
    SourceKind("host", lambda target, transport: HostSource(transport, target.disk_path),
               HostReading, prepare=lambda h, r: h.host_cpu.with_cpu(r), own_check=True),
    SourceKind("ports", _ports, PortsReading, timed=True),
    SourceKind("logs", _logs, LogsReading, own_check=True),
    SourceKind("pm2", _pm2, Pm2Reading, lambda h, r, _: h.programs.observe_pm2(r), own_check=True),
)
BY_NAME = {kind.name: kind for kind in KINDS}
TIMED = frozenset(kind.name for kind in KINDS if kind.timed)
"""Sources whose answer time is judged: they are read while no other read runs."""
SOURCE_CHECKS = frozenset(kind.name for kind in KINDS if kind.own_check)
"""The checks that say whether a source itself answers (and ``supervisor:<endpoint>``)."""


def build_sources(target: TargetConfig, transport: Transport) -> dict[str, Source[Any]]:
    """The target's sources by name, in the table's order."""
    built = {kind.name: kind.build(target, transport) for kind in KINDS}
    return {name: source for name, source in built.items() if source is not None}
