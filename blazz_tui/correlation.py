"""What no generic tool shows: sources read together.

- *drift*: accounts whose ``assigned_instance_url`` differs from the instance that reports
  their session CONNECTED;
- *lost*: accounts connected in the database whose session no instance hosts — said only
  when every instance's session list was read; while one could not be (down, not answering,
  an error, the API key refused), a session not found is *unreachable* on the instance the
  database assigns it to when that is the unreadable one, else *unplaced*; while polling, a
  session counts as lost only once both sources have been read again (``LostSessions``);
- *unserved queues*: pending jobs and no running worker serving that queue;
- *the program behind an instance*: the PM2 process whose ``PORT`` is the instance's, else
  the supervisor program whose name holds its port (``blazz-whatsapp-3001``) or its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from blazz_tui.settings import InstanceConfig, redact_url
from blazz_tui.settings import instance_address as normalize_url
from blazz_tui.sources.database import DatabaseReading
from blazz_tui.sources.instances import InstanceReading, InstancesReading
from blazz_tui.sources.pm2 import Pm2Reading
from blazz_tui.sources.redis import RedisReading
from blazz_tui.sources.supervisor import SupervisorReading

LIST_LIMIT = 200


@dataclass(frozen=True)
class QueueView:
    name: str
    pending: int | None = 0
    """Ready jobs; None when the queue store (the jobs table, or Redis) was never read."""
    reserved: int = 0
    delayed: int = 0
    capped: bool = False
    oldest_pending_age: float | None = None
    failed_last_hour: int = 0
    failed_capped: bool = False
    """Only the newest failed jobs were read and all are from the hour: a lower bound."""
    workers: tuple[str, ...] = ()
    """Running worker processes of this app that serve this queue."""
    idle_workers: tuple[str, ...] = ()
    """Worker processes configured for this queue that are not running."""
    other_apps: tuple[str, ...] = ()
    """Running workers of other apps on the host serving a queue of this name (not this
    app's: they work another database)."""
    served: bool | None = None
    """None when the supervisor could not be read, or when only workers whose app cannot be
    told serve it."""

    @property
    def unserved(self) -> bool:
        return self.served is False and bool(self.pending)


@dataclass(frozen=True)
class Drift:
    account_uuid: str
    session_id: str
    assigned_url: str | None
    assigned_instance: str | None
    actual_instance: str


@dataclass(frozen=True)
class InstanceSessions:
    name: str
    url: str
    up: bool
    hosted: int | None
    """Sessions the instance reports CONNECTED (None: unknown)."""
    assigned: int
    """Connected accounts in the database pointing at this instance."""
    unreadable: str | None = None
    """Why its session list is unknown (None: it was read)."""


@dataclass(frozen=True)
class SessionsView:
    instances: tuple[InstanceSessions, ...] = ()
    drift_count: int = 0
    drift: tuple[Drift, ...] = ()
    lost: tuple[str, ...] = ()
    """Session ids connected in the database and hosted nowhere."""
    unconfirmed: int = 0
    """Hosted nowhere in readings not yet taken again since: not counted as lost yet."""
    unreachable: tuple[tuple[str, int], ...] = ()
    """(instance, sessions) for each instance whose session list could not be read: connected
    accounts assigned to it and found on no instance that answered."""
    unplaced: int = 0
    """Not found on any instance that answered, assigned elsewhere, while some instance's
    session list could not be read: maybe there, maybe lost."""
    unassigned: int = 0
    """Connected accounts with no assigned_instance_url."""
    unknown_url: int = 0
    """Connected accounts pointing at a URL that matches no configured instance."""
    known: bool = False
    """Both the instances and the accounts were read; otherwise the counts mean little."""
    bound: bool = False
    """More accounts are connected than were read (``accounts_limit``): the drift and lost
    figures are those of the accounts read, lower bounds."""

    @property
    def lost_count(self) -> int:
        return len(self.lost)

    @property
    def unreadable(self) -> tuple[tuple[str, str], ...]:
        """(instance, why) for each instance whose session list could not be read."""
        return tuple((i.name, i.unreadable) for i in self.instances if i.unreadable)

    @property
    def complete(self) -> bool:
        """Both sources were read and so was every instance's session list: a session found
        nowhere is lost."""
        return self.known and not self.unreadable


def instance_program(instance: InstanceConfig, pm2: Pm2Reading | None,
                     supervisor: SupervisorReading | None) -> str | None:
    """The process that runs ``instance``: ``pm2/NAME``, or a supervisor ``group:process``."""
    port = normalize_url(instance.url)[1]
    for proc in pm2.processes if pm2 is not None else ():
        if proc.port == port:
            return f"pm2/{proc.name}"
    token = re.compile(rf"(?<![0-9]){port}(?![0-9])|{re.escape(instance.name)}")
    names = [p.full_name for e in (supervisor.endpoints if supervisor else ())
             for p in e.processes]
    return next((n for n in names if token.search(n)), None)


class InstanceMatcher:
    """Maps a URL as written in the database to a configured instance name.

    The database holds a handful of distinct URLs for thousands of accounts: each is parsed
    once and remembered (up to ``MEMO_LIMIT`` distinct URLs)."""

    MEMO_LIMIT = 10_000

    def __init__(self, instances: tuple[InstanceConfig, ...]) -> None:
        self._by_url = {normalize_url(i.url): i.name for i in instances}
        ports: dict[int, list[str]] = {}
        for i in instances:
            ports.setdefault(normalize_url(i.url)[1], []).append(i.name)
        self._by_port = {p: names[0] for p, names in ports.items() if len(names) == 1}
        self._memo: dict[str, str | None] = {}

    def name_for(self, url: str | None) -> str | None:
        if not url:
            return None
        try:
            return self._memo[url]
        except KeyError:
            pass
        key = normalize_url(url)
        name = self._by_url.get(key) or (self._by_port.get(key[1]) if key[0] == "127.0.0.1"
                                         else None)
        if len(self._memo) < self.MEMO_LIMIT:
            self._memo[url] = name
        return name


def sessions_known(instances: InstancesReading | None, database: DatabaseReading | None) -> bool:
    """Both the instances and the accounts have been read: the session counts mean something."""
    return bool(instances and instances.has_data and database and database.has_data
                and database.accounts_error is None)


def sessions_view(instances_cfg: tuple[InstanceConfig, ...], instances: InstancesReading | None,
                  database: DatabaseReading | None,
                  matcher: InstanceMatcher | None = None) -> SessionsView:
    matcher = matcher or InstanceMatcher(instances_cfg)
    readings = {r.name: r for r in (instances.instances if instances else ())}
    hosted_at: dict[str, str] = {}
    unreadable = {cfg.name: why for cfg in instances_cfg
                  if (why := unreadable_reason(readings.get(cfg.name))) is not None}
    for cfg in instances_cfg:
        if cfg.name not in unreadable:
            for session_id in readings[cfg.name].connected:
                hosted_at.setdefault(session_id, cfg.name)

    accounts = database.accounts if database and database.accounts_error is None else ()
    known = sessions_known(instances, database)
    assigned: dict[str, int] = {}
    drift: list[Drift] = []
    lost: list[str] = []
    unreachable: dict[str, int] = {}
    drift_count = unplaced = unassigned = unknown = 0
    counted = database.accounts_by_url if database and database.accounts_error is None \
        else None
    for url, n in counted or ():  # every connected account, not only those read
        owner = matcher.name_for(url)
        if not url:
            unassigned += n
        elif owner is None:
            unknown += n
        else:
            assigned[owner] = assigned.get(owner, 0) + n
    for account in accounts:
        owner = matcher.name_for(account.assigned_instance_url)
        if counted is None:
            if not account.assigned_instance_url:
                unassigned += 1
            elif owner is None:
                unknown += 1
            else:
                assigned[owner] = assigned.get(owner, 0) + 1
        if not account.session_id:
            continue
        actual = hosted_at.get(account.session_id)
        if actual is not None:
            if actual != owner:
                drift_count += 1
                if len(drift) < LIST_LIMIT:
                    drift.append(Drift(account.uuid, account.session_id,
                                       account.assigned_instance_url, owner, actual))
        elif not unreadable:
            lost.append(account.session_id)
        elif owner in unreadable:
            unreachable[owner] = unreachable.get(owner, 0) + 1
        else:
            unplaced += 1

    per_instance = tuple(
        InstanceSessions(
            name=cfg.name, url=redact_url(cfg.url),
            up=bool(readings.get(cfg.name) and readings[cfg.name].up),
            hosted=(None if cfg.name in unreadable else len(readings[cfg.name].connected)),
            assigned=assigned.get(cfg.name, 0),
            unreadable=unreadable.get(cfg.name),
        )
        for cfg in instances_cfg
    )
    return SessionsView(per_instance, drift_count, tuple(drift), tuple(lost),
                        unreachable=tuple(unreachable.items()), unplaced=unplaced,
                        unassigned=unassigned, unknown_url=unknown, known=known,
                        bound=bool(database and database.accounts_truncated))


def unreadable_reason(reading: InstanceReading | None) -> str | None:
    """Why an instance's session list is unknown; None when it was read."""
    if reading is None or (reading.error is None and not reading.has_data):
        return "not read yet"
    if not reading.up:
        return f"{reading.state.lower()}: {reading.error}"
    if reading.sessions is None:
        return reading.sessions_error or "no session list"
    return None


SETTLE = 2.0
"""Seconds each source must be read after the other's reading that first showed a session
missing: Blazz updates the database from the instance's webhook, a moment after the instance."""


class LostSessions:
    """Lost sessions confirmed across polls. The instances and the database are polled at
    different moments: a session that has just ended is gone from its instance before the
    database says so, and the two readings side by side would call it lost for a poll or two.
    A session hosted nowhere counts as lost once each source has been read ``SETTLE`` seconds
    after the other's reading that first showed it missing; until then it is *unconfirmed*.
    (A one-shot check that finds one reads both sources again to confirm it.)"""

    def __init__(self) -> None:
        self._first: dict[str, tuple[float, float]] = {}

    def settle(self, view: SessionsView, instances_at: float, accounts_at: float) -> SessionsView:
        if not view.complete:
            # Nothing is said about lost sessions while a session list is unreadable, and
            # nothing is forgotten either: its recovery must not restart their settling.
            return view
        self._first = {sid: self._first.get(sid, (instances_at, accounts_at))
                       for sid in view.lost}
        confirmed = tuple(sid for sid, (seen_on_instances, seen_in_db) in self._first.items()
                          if instances_at >= seen_in_db + SETTLE
                          and accounts_at >= seen_on_instances + SETTLE)
        return replace(view, lost=confirmed,
                       unconfirmed=len(view.lost) - len(confirmed))


def queue_views(database: DatabaseReading | None, redis: RedisReading | None,
                supervisor: SupervisorReading | None, connection: str, watch: tuple[str, ...],
                now: float, restarted: frozenset[str] = frozenset()) -> tuple[QueueView, ...]:
    """Per queue: depth from the queue store, and the workers serving it from supervisor.

    A worker serves when RUNNING, or STARTING on its way up — but not STARTING again after it
    exited (``restarted``: programs restarted within the flap window), which a crash loop
    would otherwise make look served every few seconds. A running worker whose queues are not
    known (Horizon, a wrapper script, a name like ``*worker*``) might serve any queue: a queue
    without a known worker is then 'workers unknown', not unserved. Another app's worker
    serves none of this app's queues, whatever their names; one whose app cannot be told
    makes a queue without a sure worker 'workers unknown'."""
    store = redis if connection == "redis" else database
    read = store is not None and store.has_data and not (
        isinstance(store, DatabaseReading) and store.jobs_error)
    depths: dict[str, QueueView] = {name: QueueView(name, pending=0 if read else None)
                                    for name in watch}
    if connection == "redis" and redis is not None:
        for q in redis.queues:
            depths[q.name] = QueueView(q.name, q.pending, q.reserved, q.delayed)
    elif database is not None:
        for d in database.queues:
            # Its age when it was read: the job may have been taken since (and the frame
            # is assembled seconds after a slow source's read).
            read_at = database.fetched_at or now
            age = None if d.oldest_pending_at is None else max(0.0,
                                                               read_at - d.oldest_pending_at)
            depths[d.name] = QueueView(d.name, d.pending, d.reserved, d.delayed, d.capped, age,
                                       d.failed_last_hour, database.failed_last_hour_capped)

    # A failed poll keeps the last good processes for display, but they prove nothing now:
    # only a fresh reading can say a queue is (un)served.
    supervisor_known = supervisor is not None and supervisor.ok and any(
        e.error is None for e in supervisor.endpoints)
    running: dict[str, list[str]] = {}
    idle: dict[str, list[str]] = {}
    maybe: dict[str, list[str]] = {}  # running workers whose app cannot be told
    others: dict[str, list[str]] = {}  # running workers of other apps
    anything_running: list[str] = []  # workers whose queues are unknown
    anything_idle: list[str] = []
    if supervisor is not None and supervisor_known:
        for proc in supervisor.processes:
            if not proc.worker or proc.queue_connection not in (None, connection):
                continue  # a worker on another connection serves none of these queues
            serving = proc.state == "RUNNING" or (proc.state == "STARTING"
                                                  and proc.full_name not in restarted)
            if proc.app is False:
                for queue in proc.queues if serving else ():
                    others.setdefault(queue, []).append(proc.full_name)
                continue
            if not proc.queues:
                (anything_running if serving else anything_idle).append(proc.full_name)
            for queue in proc.queues:
                kind = (running if proc.app else maybe) if serving else idle
                kind.setdefault(queue, []).append(proc.full_name)
                depths.setdefault(queue, QueueView(queue, pending=0 if read else None))

    views = []
    for name in sorted(depths):
        view = depths[name]
        workers = tuple(running.get(name, ()))
        served = None if not supervisor_known or (
            not workers and (anything_running or name in maybe)) else bool(workers)
        views.append(replace(view, workers=workers,
                             idle_workers=tuple(idle.get(name, ())) + tuple(anything_idle),
                             other_apps=tuple(others.get(name, ())), served=served))
    return tuple(views)
