"""Database source: Laravel queue tables and WhatsApp account assignments.

The monitor must not load the database it watches. Laravel's ``jobs`` table has one secondary
index, on ``queue``; InnoDB (and SQLite) index entries carry the primary key, so that index is
really (queue, id) and walks each queue in id order — which is creation order, and the order
workers take jobs in. A poll sends a fixed handful of statements, whatever the number of queues:

* queue names: ``DISTINCT queue`` (a loose index scan: one index dive per queue);
* every queue's figures, exact: its first count_cap + 1 jobs in id order, one statement for
  all queues — pending (ready now), reserved, delayed and the oldest pending job, in any mix.
  That walk costs ~1 µs a job, so a queue found over the cap is *anchored* at the oldest of
  its newest count_cap + 1 jobs (counted index only, from the newest end): while the first
  ready job is not past that anchor, workers (who go oldest first) have not reached those
  jobs, the queue is still over the cap, and only its first ``HEAD_WINDOW`` jobs are read.
  Its figures are then those of its first count_cap + 1 jobs, shown as lower bounds
  ("≥ 10,000"); nothing is ever extrapolated. It is walked again when the anchor is passed, or
  every ``RECOUNT_EVERY`` seconds (one queue per poll);
* failed jobs (``failed_at`` has no index): followed by primary key, so a steady poll reads the
  rows that arrived since the last one; its bounded count is redone when rows left, on a
  flood, or every ``RECOUNT_EVERY`` seconds (``sources/failed_jobs.py``);
* connected accounts: counted by assigned URL exactly, read as rows up to ``accounts_limit``
  (``sources/accounts.py``);
* the last hour's messages in ``chats``: its newest ``scan_limit`` rows (``sources/chats.py``).

Nothing is ever counted without a bound, and no index is added to the user's database.
``bench/db_poll.py`` measures a poll against the naive queries on 1,000,000 jobs.

PyMySQL and sqlite3 block: all database work runs in a thread, one poll at a time, on one
connection kept between polls and reopened on the poll after a failure.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from blazz_tui import blocking
from blazz_tui.clients.database import (
    DENIED,
    MYSQL,
    SQLITE,
    DatabaseClient,
    DatabaseError,
    Session,
    close_quietly,
    db_errors,
    describe,
    describe_mysql,
    mysql_errors,
    scrub,
)
from blazz_tui.clients.dbconn import DatabaseUrl, abort, connect
from blazz_tui.fmt import visible
from blazz_tui.settings import DatabaseConfig, MessagesConfig
from blazz_tui.sources import failed_jobs, queue_jobs
from blazz_tui.sources.accounts import Account, AccountRows, Accounts
from blazz_tui.sources.base import Reading
from blazz_tui.sources.chats import MessageWindow, read_chats
from blazz_tui.sources.failed_jobs import FailedJobs, failed_at
from blazz_tui.sources.queue_jobs import QueueJobs
from blazz_tui.transport.base import Transport

HEAD_WINDOW = 32
"""Jobs read at the front of an anchored (over the cap) queue for its oldest pending job."""
MAX_QUEUES = 200
"""At most this many queue names are discovered."""
RECOUNT_EVERY = 300.0
"""Seconds an anchored (over-the-cap) queue goes without its bounded count being redone."""

T = TypeVar("T")
@dataclass(frozen=True)
class QueueDepth:
    name: str
    pending: int = 0
    """Ready now: not reserved, available_at <= now."""
    reserved: int = 0
    delayed: int = 0
    capped: bool = False
    """The queue is longer than count_cap: pending, reserved and delayed are those of its
    first count_cap + 1 jobs, lower bounds ("≥ 10,000")."""
    oldest_pending_at: float | None = None
    """Epoch seconds the oldest pending job was created (None: no pending job)."""
    failed_last_hour: int = 0


@dataclass(frozen=True)
class ServerLoad:
    """The MySQL server's own counters (``SHOW GLOBAL STATUS``, since it started) and the
    app user's longest running statement (``information_schema.PROCESSLIST``)."""

    questions: int
    """Statements clients sent, blazz-tui's included."""
    selects: int
    slow_queries: int
    threads_running: int
    uptime: int
    """Seconds the server has run: a restart resets the counters."""
    longest_query: float | None = None
    """Seconds the database user's longest running statement has run (None: none running)."""
    longest_query_text: str = ""


@dataclass(frozen=True, kw_only=True)
class DatabaseReading(Reading):
    engine: str = ""
    """``mysql`` or ``sqlite``."""
    server_version: str = ""
    queues: tuple[QueueDepth, ...] = ()
    """Queues with jobs, watched queues, and queues with failures in the last hour."""
    jobs_error: str | None = None
    """E.g. "table `jobs` not found in blazz"; the rest of the reading is still valid."""
    jobs_rows: int | None = None
    """Rows in ``jobs`` now, exact (None: a queue is over the cap, or too many queues)."""
    jobs_next_id: int | None = None
    """The id the next job will get (the table's auto-increment; None: not known): with
    ``jobs_rows``, how many jobs left the table between two polls — each one a worker's
    turn of its loop."""
    failed_total: int = 0
    failed_total_capped: bool = False
    failed_last_hour_capped: bool = False
    """Every one of the newest FAILED_WINDOW failed jobs is from the last hour."""
    failed_error: str | None = None
    failed_sends_last_hour: int | None = None
    """Failed jobs of the last hour whose class is a send's (``messages.send_jobs``)."""
    chats: MessageWindow | None = None
    """The last hour's messages from the chats table (None: not read, or not there)."""
    chats_error: str | None = None
    accounts: tuple[Account, ...] = ()
    """Accounts with status ``connected`` (the first accounts_limit of them)."""
    accounts_truncated: bool = False
    """More accounts are connected than were read: drift and lost are lower bounds."""
    accounts_by_url: tuple[tuple[str, int], ...] | None = None
    """Every connected account, counted by assigned URL ("": none); None: not read (then
    the accounts read are counted)."""
    accounts_error: str | None = None
    load: ServerLoad | None = None
    load_error: str | None = None
    """Why the server's load is unknown (SQLite has no server; a user without rights)."""
    queries: int = 0
    """Statements this poll sent."""


@dataclass(frozen=True)
class _Head:
    """Exact figures of a queue's first jobs in id order (the whole queue when it is shorter
    than what was read)."""
    size: int = 0
    last_id: int = 0
    reserved: int = 0
    delayed: int = 0
    first_ready_id: int | None = None
    oldest_ready_at: int | None = None

    @property
    def ready(self) -> int:
        return self.size - self.reserved - self.delayed

    @property
    def first_ready(self) -> tuple[int, int] | None:
        """(id, created_at) of the oldest ready job among them."""
        if self.first_ready_id is None or self.oldest_ready_at is None:
            return None
        return self.first_ready_id, self.oldest_ready_at


@dataclass
class _Over:
    """A queue found over count_cap: not walked again until workers pass its anchor."""
    anchor: int
    """The id of the oldest of its newest count_cap + 1 jobs."""
    at: float
    """When it was counted."""
    prefix: _Head
    """Its first count_cap + 1 jobs when counted: lower bounds of its figures."""
    first: tuple[int, int] | None
    """(id, created_at) of its oldest ready job, as last seen."""
    walked_at: float = 0.0


class DatabaseSource:
    name = "database"

    def __init__(self, config: DatabaseConfig, transport: Transport,
                 watch: tuple[str, ...] = (), *, timeout: float = 5.0,
                 messages: MessagesConfig | None = None, timezone: str = "UTC") -> None:
        self._config = config
        self._messages = messages
        self._sends = re.compile(messages.send_jobs) if messages and messages.send_jobs \
            else None
        self._zone = ZoneInfo(timezone)
        self._transport = transport
        self._watch = watch
        self._timeout = timeout
        self._client = DatabaseClient(config, transport, timeout)
        self._url, self._url_error = self._client.url, self._client.url_error
        self._conn: Any = None
        self._version = ""
        self._busy = False
        """A poll's thread is running (set when it starts, cleared by the thread itself)."""
        self._over: dict[str, _Over] = {}
        """Queues found over the cap, by name."""
        self._failed = FailedJobs(RECOUNT_EVERY)
        self._accounts = Accounts(RECOUNT_EVERY)

    async def read(self) -> DatabaseReading:
        attempted = time.time()
        if self._url is None:
            return self.failed(self._url_error or "bad database URL", attempted, 0.0)
        if self._busy:
            return self.failed("the previous poll is still running (database slow)", attempted,
                               0.0)
        url = self._url
        self._busy = True  # cleared by the poll's thread when it ends, deadline or not
        try:
            sock = await self._client.open_socket() if self._conn is None else None
        except DatabaseError as exc:
            self._busy = False
            return self.failed(str(exc), attempted, time.time() - attempted)
        try:
            reading = await blocking.call(self._poll, url, sock, timeout=self._timeout,
                                          abort=self._abort)
        except TimeoutError:
            return self.failed(f"the database did not answer within {self._timeout:g} s",
                               attempted, self._timeout)
        return replace(reading, attempted_at=attempted)

    def failed(self, error: str, attempted_at: float, latency: float) -> DatabaseReading:
        return DatabaseReading.failed(error, attempted_at, latency)

    async def close(self) -> None:
        """Drop the connection without waiting for a poll still running: it is aborted."""
        if self._busy:
            self._abort()
            return
        try:
            await blocking.call(self._disconnect, timeout=1.0, abort=self._abort)
        except TimeoutError:
            pass  # a server that does not take our goodbye: the socket is shut down anyway

    def _abort(self) -> None:
        if self._conn is not None:
            abort(self._conn)

    async def queue_jobs(self, queue: str, limit: int = 20) -> QueueJobs:
        """A queue's oldest jobs and recent failures, on a connection of their own (the
        poll's is not shared between threads); failures are in ``error``."""
        try:
            return await self._client.with_connection(
                lambda conn, engine: self._read_queue_jobs(conn, engine, queue, limit))
        except DatabaseError as exc:
            return QueueJobs(queue, error=str(exc))

    def _read_queue_jobs(self, conn: Any, engine: str, queue: str, limit: int) -> QueueJobs:
        assert self._url is not None
        s = Session(conn, MYSQL if engine == "mysql" else SQLITE)
        jobs, jobs_error = self._guard(self._url, "jobs",
                                       lambda: queue_jobs.read_jobs(s, queue, limit))
        failed, failed_error = self._guard(
            self._url, "failed_jobs", lambda: queue_jobs.read_failed(s, queue, limit, failed_at))
        return QueueJobs(queue, jobs or (), failed or (), jobs_error, failed_error)

    # -- in the worker thread ---------------------------------------------------------------

    def _poll(self, url: DatabaseUrl, sock: socket.socket | None) -> DatabaseReading:
        dialect = MYSQL if url.engine == "mysql" else SQLITE
        session = Session(None, dialect)
        try:
            session.conn = self._connection(url, sock, session)
            return self._collect(session, url)
        except db_errors() as exc:
            self._disconnect()
            return DatabaseReading(engine=url.engine, error=scrub(describe(url, exc), url),
                                   queries=session.statements, latency=session.server_time)
        finally:
            self._busy = False

    def _connection(self, url: DatabaseUrl, sock: socket.socket | None,
                    session: Session) -> Any:
        if self._conn is not None:
            return self._conn
        if url.engine == "sqlite" and not os.path.exists(url.database):
            raise FileNotFoundError(2, "no such file", url.database)
        # Deferred, and known to the source before it connects: a deadline can abort it.
        conn = self._conn = session.conn = connect(url, timeout=self._timeout, defer=True)
        if sock is not None:
            conn.connect(sock)
            self._version = str(conn.get_server_info())
            limit = max(1, int(self._timeout))
            # The server stops any of our statements that runs longer than the poll timeout.
            if "mariadb" in self._version.lower():
                session.rows(f"SET SESSION max_statement_time = {limit}")
            else:
                session.rows(f"SET SESSION max_execution_time = {limit * 1000}")
                if not self._version.startswith(("5.", "4.")):
                    # MySQL 8 caches table statistics for a day: the auto-increment counter
                    # is wanted as it is now.
                    session.rows("SET SESSION information_schema_stats_expiry = 0")
        else:
            self._version = sqlite3.sqlite_version
        return conn

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        self._over.clear()
        if conn is not None:
            close_quietly(conn)

    def _collect(self, s: Session, url: DatabaseUrl) -> DatabaseReading:
        # First: between two polls' counters lie exactly the previous poll's own statements.
        load, load_error = self._read_load(s, url)
        jobs, jobs_error = self._guard(url, "jobs", lambda: self._read_jobs(s))
        depths, rows, next_id = jobs or ({}, None, None)
        failed, failed_error = self._guard(url, "failed_jobs", lambda: self._failed.read(
            s, self._config.count_cap, self._sends))
        accounts, accounts_error = self._guard(url, "whatsapp_accounts",
                                               lambda: self._read_accounts(s))
        chats, chats_error = self._read_chats(s, url)
        failed = failed or failed_jobs.NONE
        account_rows = accounts or AccountRows()
        return DatabaseReading(
            fetched_at=time.time(), engine=url.engine, server_version=self._version,
            queues=self._merge(depths, failed.per_queue), jobs_error=jobs_error,
            jobs_rows=rows, jobs_next_id=next_id,
            failed_total=failed.total, failed_total_capped=failed.total_capped,
            failed_last_hour_capped=failed.hour_capped, failed_error=failed_error,
            failed_sends_last_hour=failed.sends, chats=chats, chats_error=chats_error,
            accounts=account_rows.accounts, accounts_truncated=account_rows.truncated,
            accounts_by_url=account_rows.by_url, accounts_error=accounts_error, load=load,
            load_error=load_error,
            queries=s.statements, latency=s.server_time,
        )

    def _read_load(self, s: Session, url: DatabaseUrl) -> tuple[ServerLoad | None, str | None]:
        if url.engine != "mysql":
            return None, "SQLite has no server to count queries"
        try:
            status = {str(k).lower(): str(v) for k, v in s.rows(
                "SHOW GLOBAL STATUS WHERE Variable_name IN "
                "('Questions', 'Com_select', 'Slow_queries', 'Threads_running', 'Uptime')")}
            longest = s.rows(
                "SELECT TIME, LEFT(INFO, 160) FROM information_schema.PROCESSLIST "
                "WHERE USER = %s AND COMMAND = 'Query' AND ID <> CONNECTION_ID() "
                "ORDER BY TIME DESC LIMIT 1", (url.user,))
        except mysql_errors() as exc:
            code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
            if code not in DENIED:  # a lost connection, a dead server: the poll's error
                raise
            return None, f"server status: {scrub(describe_mysql(url, exc), url)}"
        try:
            load = ServerLoad(
                int(status["questions"]), int(status["com_select"]),
                int(status["slow_queries"]), int(status["threads_running"]),
                int(status["uptime"]))
        except (KeyError, ValueError) as exc:
            return None, f"server status without {exc}"
        if longest:
            load = replace(load, longest_query=float(longest[0][0] or 0),
                           longest_query_text=visible(str(longest[0][1] or "")))
        return load, None

    def _merge(self, depths: dict[str, QueueDepth],
               failed: dict[str, int]) -> tuple[QueueDepth, ...]:
        names = list(dict.fromkeys([*self._watch, *sorted(depths), *sorted(failed)]))
        return tuple(replace(depths.get(n, QueueDepth(n)), failed_last_hour=failed.get(n, 0))
                     for n in names)

    def _guard(self, url: DatabaseUrl, table: str,
               read: Callable[[], T]) -> tuple[T | None, str | None]:
        """Run one section; a missing table or column becomes its error, anything else raises."""
        try:
            return read(), None
        except db_errors() as exc:
            if isinstance(exc, OSError):
                raise
            problem = _schema_problem(table, _database_name(url), exc)
            if problem is None:
                raise
            return None, problem

    # -- jobs ---------------------------------------------------------------------------------

    def _read_jobs(self, s: Session) -> tuple[dict[str, QueueDepth], int | None, int | None]:
        """Each queue's figures; the rows in the table, exact when every queue was counted
        exactly; the table's next id."""
        found = [str(r[0]) for r in s.rows(s.dialect.discover, (MAX_QUEUES,))]
        next_id = s.rows(s.dialect.next_id)
        counter = _opt_int(next_id[0][0]) if next_id else (1 if s.dialect.engine == "sqlite"
                                                            else None)
        names = list(dict.fromkeys([*self._watch, *found]))
        for gone in set(self._over) - set(names):
            del self._over[gone]
        if not names:
            return {}, 0, counter
        cap = self._config.count_cap
        recount = self._recount_due()
        anchored = [n for n in names if n in self._over and n != recount]
        heads = self._scan(s, [(n, HEAD_WINDOW if n in anchored else cap + 1) for n in names])
        passed = [n for n in anchored if self._passed(s, n, heads[n])]
        if passed:  # workers went past the anchor: count those queues exactly again
            heads.update(self._scan(s, [(n, cap + 1) for n in passed]))
        exact = [n for n in names if n not in anchored or n in passed]
        for name in exact:
            self._over.pop(name, None)
        self._anchor(s, {n: heads[n] for n in exact if heads[n].size > cap})
        rows = None if self._over or len(found) >= MAX_QUEUES \
            else sum(heads[n].size for n in names)
        return {n: self._depth(n, heads[n]) for n in names}, rows, counter

    def _scan(self, s: Session, queues: list[tuple[str, int]]) -> dict[str, _Head]:
        """Exact figures of each queue's first ``limit`` jobs in id order (the order workers
        take them in), all queues in one statement. Walking Laravel's index on ``queue``
        costs ~1 µs a job: the whole of a queue up to count_cap, a probe of an anchored one."""
        ready = f"reserved_at IS NULL AND available_at <= {s.dialect.now}"
        block = (f"SELECT ?, COUNT(*), MAX(id), SUM(reserved_at IS NOT NULL), "
                 f"SUM(reserved_at IS NULL AND available_at > {s.dialect.now}), "
                 f"MIN(CASE WHEN {ready} THEN id END), "
                 f"MIN(CASE WHEN {ready} THEN created_at END) "
                 f"FROM (SELECT id, reserved_at, available_at, created_at FROM jobs "
                 f"WHERE queue = ? ORDER BY id LIMIT ?) AS head")
        args = [a for name, limit in queues for a in (name, name, limit)]
        rows = s.rows(" UNION ALL ".join([block] * len(queues)), args)
        return {str(r[0]): _Head(int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0),
                                 _opt_int(r[5]), _opt_int(r[6])) for r in rows}

    def _passed(self, s: Session, name: str, head: _Head) -> bool:
        """Whether workers have gone past an anchored queue's anchor (it may be under the cap
        again); keeps its oldest ready job up to date meanwhile."""
        over = self._over[name]
        if head.first_ready is not None:
            over.first = head.first_ready
        elif head.size < HEAD_WINDOW:
            return True  # the whole queue is in its head
        elif time.time() - over.walked_at > RECOUNT_EVERY:
            # No ready job among the first: one bounded walk for it — not on every poll (each
            # job it looks at costs a row lookup), as the queue is over the cap meanwhile.
            over.walked_at = time.time()
            rows = s.rows(f"SELECT id, created_at FROM jobs WHERE queue = ? AND id > ? "
                          f"AND id <= ? AND reserved_at IS NULL "
                          f"AND available_at <= {s.dialect.now} ORDER BY id LIMIT 1",
                          (name, head.last_id, head.last_id + self._config.count_cap))
            over.first = (int(rows[0][0]), int(rows[0][1])) if rows else None
        return over.first is not None and over.first[0] > over.anchor

    def _anchor(self, s: Session, heads: dict[str, _Head]) -> None:
        """Queues found over the cap: the oldest of their newest count_cap + 1 jobs is their
        anchor. While the first ready job is not past it, workers (who go oldest first) have
        not reached those jobs and the queue is still over the cap: it is not walked again.
        (This count is index only, ~0.3 µs a job, from the newest end.)"""
        if not heads:
            return
        bound = self._config.count_cap + 1
        block = ("SELECT ?, COUNT(*), MIN(id) FROM (SELECT id FROM jobs WHERE queue = ? "
                 "ORDER BY id DESC LIMIT ?) AS newest")
        rows = s.rows(" UNION ALL ".join([block] * len(heads)),
                      [a for n in heads for a in (n, n, bound)])
        for name, size, oldest_id in rows:
            if int(size) >= bound:
                head = heads[str(name)]
                self._over[str(name)] = _Over(int(oldest_id), time.time(), head,
                                              head.first_ready)

    def _recount_due(self) -> str | None:
        """The anchored queue whose count is the most overdue, if any is."""
        now = time.time()
        overdue = {n: o.at for n, o in self._over.items() if now - o.at > RECOUNT_EVERY}
        return min(overdue, key=lambda n: overdue[n]) if overdue else None

    def _depth(self, name: str, head: _Head) -> QueueDepth:
        over = self._over.get(name)
        if over is None:
            return QueueDepth(name, pending=head.ready, reserved=head.reserved,
                              delayed=head.delayed, oldest_pending_at=_created(head.first_ready))
        # Over the cap: the figures of its first count_cap + 1 jobs, all three lower bounds.
        prefix, cap = over.prefix, self._config.count_cap
        return QueueDepth(name, pending=min(prefix.ready, cap),
                          reserved=min(prefix.reserved, cap),
                          delayed=min(prefix.delayed, cap), capped=True,
                          oldest_pending_at=_created(over.first))

    # -- failed jobs and accounts -------------------------------------------------------------

    def _read_accounts(self, s: Session) -> AccountRows:
        return self._accounts.read(s, s.dialect.engine, self._config.accounts_limit)

    def _read_chats(self, s: Session,
                    url: DatabaseUrl) -> tuple[MessageWindow | None, str | None]:
        messages = self._messages
        if messages is None or not messages.table:
            return None, None
        return self._guard(url, messages.table, lambda: read_chats(
            s, url.engine, messages, self._zone, time.time()))

def _schema_problem(table: str, database: str, exc: BaseException) -> str | None:
    """A clear message when ``exc`` says the table or a column is missing; else None."""
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    if code == 1146 or text.startswith("no such table"):
        return f"table `{table}` not found in {database}"
    column = re.search(r"(?:Unknown column '([^']+)'|no such column: (\S+))", text)
    if code == 1054 or column:
        name = (column.group(1) or column.group(2)) if column else "?"
        return f"table `{table}` has no column `{name}` in {database}"
    if code in (1142, 1143):
        return f"no permission to read table `{table}` in {database}"
    return None


def _database_name(url: DatabaseUrl) -> str:
    return os.path.basename(url.database) if url.engine == "sqlite" else url.database


def _created(first: tuple[int, int] | None) -> float | None:
    return None if first is None else float(first[1])


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)

