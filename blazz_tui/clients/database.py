"""The database as blazz-tui speaks to it, for the database source's polls and reads on
demand and for the actions' guarded updates: a MySQL/MariaDB connection made through the
target's transport (``clients/dbconn.py``'s PyMySQL, whose greeting and answers are checked) or
a local SQLite file, the SQL dialect of each, statements counted and timed (``Session``), and
every failure said in one line an operator can act on, without the password."""

from __future__ import annotations

import re
import socket
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from blazz_tui import blocking
from blazz_tui.clients.dbconn import (
    DatabaseUrl,
    DatabaseUrlError,
    MySQLProtocolError,
    abort,
    connect,
    parse_database_url,
)
from blazz_tui.settings import DatabaseConfig
from blazz_tui.transport.base import Transport, describe_error

T = TypeVar("T")


DENIED = frozenset({1044, 1142, 1227})
"""MySQL errors of a user without the right to a statement (not of a broken connection)."""


def mysql_errors() -> tuple[type[Exception], ...]:
    """PyMySQL's errors, if PyMySQL was imported: it is only for a MySQL URL, and without it
    no MySQL error can happen."""
    pymysql = sys.modules.get("pymysql")
    return (pymysql.err.MySQLError,) if pymysql is not None else ()


def db_errors() -> tuple[type[BaseException], ...]:
    return (*mysql_errors(), MySQLProtocolError, sqlite3.Error, OSError)


class DatabaseError(Exception):
    """An on-demand statement failed; the message says why, without the password."""


@dataclass(frozen=True)
class Dialect:
    engine: str
    now: str
    """SQL for the current time in epoch seconds."""
    discover: str
    next_id: str
    """SQL for the id the next job gets (the table's auto-increment counter)."""

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.engine == "mysql" else text


MYSQL = Dialect(
    "mysql", "UNIX_TIMESTAMP()",
    "SELECT DISTINCT queue FROM jobs LIMIT ?",
    "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
    "AND TABLE_NAME = 'jobs'",
)
SQLITE = Dialect(
    "sqlite", "CAST(strftime('%s', 'now') AS INTEGER)",
    # SQLite has no loose index scan: hop from one queue name to the next through the index.
    """WITH RECURSIVE q(name) AS (
         SELECT MIN(queue) FROM jobs
         UNION ALL SELECT (SELECT MIN(queue) FROM jobs WHERE queue > q.name) FROM q
         WHERE q.name IS NOT NULL)
       SELECT name FROM q WHERE name IS NOT NULL LIMIT ?""",
    "SELECT seq + 1 FROM sqlite_sequence WHERE name = 'jobs'",
)


class Session:
    """One connection's statements, counted."""

    def __init__(self, conn: Any, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect
        self.statements = 0
        self.server_time = 0.0
        """Seconds spent in the statements themselves (the database's latency)."""

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.statements += 1
        started = time.perf_counter()
        cur = self.conn.cursor()
        try:
            cur.execute(self.dialect.sql(sql), tuple(args))
            return list(cur.fetchall())
        finally:
            cur.close()
            self.server_time += time.perf_counter() - started


class DatabaseClient:
    """Connections to one configured database, each within ``timeout`` seconds."""

    def __init__(self, config: DatabaseConfig, transport: Transport, timeout: float) -> None:
        self._transport = transport
        self._timeout = timeout
        self.url: DatabaseUrl | None = None
        self.url_error: str | None = None
        """Why the configured URL cannot be used (None: it can)."""
        try:
            self.url = parse_database_url(config.url)
            if config.password is not None:
                self.url = replace(self.url, password=config.password)
        except DatabaseUrlError as exc:
            self.url_error = str(exc)
        if self.url is not None and self.url.engine == "mysql":
            import pymysql  # noqa: F401 - here, not above: only a MySQL target pays for it

    def _need_url(self) -> DatabaseUrl:
        if self.url is None:
            raise DatabaseError(self.url_error or "bad database URL")
        return self.url

    async def with_connection(self, fn: Callable[[Any, str], T], *,
                              autocommit: bool = True, timeout: float | None = None) -> T:
        """``fn(connection, engine)`` in a worker thread, on a connection of its own that is
        closed afterwards, within ``timeout`` (the source's by default; past it the connection
        is aborted). Raises ``DatabaseError`` with a message an operator can act on."""
        url = self._need_url()
        limit = self._timeout if timeout is None else timeout
        sock = await self.open_socket()
        conn = connect(url, timeout=limit, autocommit=autocommit, defer=True)

        def run() -> T:
            try:
                if sock is not None:
                    conn.connect(sock)
                return fn(conn, url.engine)
            except db_errors() as exc:
                raise DatabaseError(scrub(describe(url, exc), url)) from None
            finally:
                close_quietly(conn)

        try:
            return await blocking.call(run, timeout=limit, abort=lambda: abort(conn))
        except TimeoutError:
            raise DatabaseError(f"the database did not answer within {limit:g} s") from None

    async def open_socket(self) -> socket.socket | None:
        """A socket connected to the MySQL server through the transport (None for SQLite,
        which is opened in the worker thread); raises ``DatabaseError``."""
        url = self._need_url()
        if url.engine == "sqlite":
            if self._transport.name != "local":
                raise DatabaseError("an SQLite database can only be watched on a local target")
            return None
        where = url.unix_socket or f"{url.host}:{url.port}"
        try:
            return await self._transport.connect(url.unix_socket or (url.host, url.port),
                                                 self._timeout)
        except TimeoutError:
            raise DatabaseError(f"cannot connect to MySQL at {where}: no answer within "
                                f"{self._timeout:g} s") from None
        except OSError as exc:
            raise DatabaseError(f"cannot connect to MySQL at {where}: "
                                f"{scrub(describe_error(exc), url)}") from None


def describe(url: DatabaseUrl, exc: BaseException) -> str:
    """What went wrong with the database at ``url``, as an operator can act on it."""
    if isinstance(exc, MySQLProtocolError):
        return exc.describe(url.unix_socket or f"{url.host}:{url.port}")
    if isinstance(exc, mysql_errors()):
        return describe_mysql(url, exc)
    if isinstance(exc, FileNotFoundError) and url.engine == "sqlite":
        return f"SQLite database file not found: {url.database}"
    if isinstance(exc, sqlite3.Error):
        return f"SQLite {url.database}: {describe_error(exc)}"
    return describe_error(exc)


def describe_mysql(url: DatabaseUrl, exc: Exception) -> str:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    where = url.unix_socket or f"{url.host}:{url.port}"
    if code == 1045:
        who = re.search(r"for user (\S+)", text)
        user = who.group(1) if who else f"'{url.user}'"
        return f"access denied for user {user} — check the database password"
    if code == 1044:
        return f"user '{url.user}' may not use database `{url.database}`"
    if code == 1049:
        return f"database `{url.database}` does not exist on {where}"
    if code == 2003:
        reason = re.search(r"\((?:\[Errno -?\d+\] )?([^()]*)\)\s*$", text)
        detail = reason.group(1).lower() if reason else text
        return f"cannot connect to MySQL at {where}: {detail}"
    if code in (2006, 2013, 2014):
        return f"lost the connection to MySQL at {where}: {text}"
    if code in (1969, 3024):
        return "a monitoring query ran past the timeout and was stopped by the server"
    return f"MySQL error {code}: {text}" if code else describe_error(exc)


def scrub(message: str, url: DatabaseUrl) -> str:
    """Belt and braces: no message ever carries the password."""
    if len(url.password) >= 4:
        return message.replace(url.password, "***")
    return message


def close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except db_errors():
        pass  # already broken: nothing left to release
