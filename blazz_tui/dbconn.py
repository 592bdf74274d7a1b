"""Database URLs (``mysql://``, ``mariadb://``, ``sqlite:///``) and blocking DB-API connections.

Shared by the database source (through the transport) and by the simulated stack.
"""

from __future__ import annotations

import socket
import sqlite3
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


class DatabaseUrlError(ValueError):
    pass


@dataclass(frozen=True)
class DatabaseUrl:
    engine: str
    """``mysql`` or ``sqlite``."""
    database: str
    """Schema name (MySQL) or file path (SQLite)."""
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str = field(default="", repr=False)
    unix_socket: str | None = None

    @property
    def display(self) -> str:
        """The URL without its password, for messages and output."""
        if self.engine == "sqlite":
            return f"sqlite://{self.database}"
        auth = f"{self.user}:***@" if self.password else f"{self.user}@"
        return f"mysql://{auth}{self.host}:{self.port}/{self.database}"


def parse_database_url(url: str) -> DatabaseUrl:
    """Parse ``mysql://user:pass@host:port/db`` or ``sqlite:///path``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc:
            raise DatabaseUrlError(f"sqlite URL must be sqlite:///path, not {url!r}")
        if path.startswith("//"):  # sqlite:////abs/path is the same file as sqlite:///abs/path
            path = path[1:]
        if not path or path == "/":
            raise DatabaseUrlError("sqlite URL has no file path (sqlite:///path/to/database.sqlite)")
        return DatabaseUrl(engine="sqlite", database=path)
    if scheme in {"mysql", "mariadb", "mysql+pymysql"}:
        database = parts.path.lstrip("/")
        if not database:
            raise DatabaseUrlError(f"mysql URL names no database: {_redact(url)!r}")
        try:
            port = parts.port or 3306
        except ValueError as exc:
            raise DatabaseUrlError(f"bad port in {_redact(url)!r}") from exc
        socket = parse_qs(parts.query).get("unix_socket", [None])[0]
        return DatabaseUrl(
            engine="mysql",
            database=database,
            host=parts.hostname or "127.0.0.1",
            port=port,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            unix_socket=socket,
        )
    raise DatabaseUrlError(
        f"unsupported database URL scheme {parts.scheme!r} (use mysql:// or sqlite:///)"
    )


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def connect(db: DatabaseUrl, *, timeout: float = 5.0, autocommit: bool = True,
            defer: bool = False) -> Any:
    """A blocking DB-API connection.

    SQLite files are opened read-write without being created: a missing file is an error.
    With ``defer`` a MySQL connection is returned before it connects (``conn.connect(sock)``
    with a socket the transport opened), so that another thread can ``abort`` it even during
    the handshake.
    """
    if db.engine == "sqlite":
        conn = sqlite3.connect(f"file:{db.database}?mode=rw", uri=True, timeout=timeout,
                               check_same_thread=False,
                               isolation_level=None if autocommit else "DEFERRED")
        return conn
    import pymysql

    return pymysql.connect(
        host=db.host,
        port=db.port,
        user=db.user,
        password=db.password,
        database=db.database,
        unix_socket=db.unix_socket,
        connect_timeout=max(1, int(timeout)),
        read_timeout=max(1, int(timeout)),
        write_timeout=max(1, int(timeout)),
        autocommit=autocommit,
        charset="utf8mb4",
        defer_connect=defer,
    )


def abort(conn: Any) -> None:
    """From another thread: make the call blocked on ``conn`` fail at once (the socket is shut
    down; an SQLite statement is interrupted). The connection is unusable afterwards."""
    if isinstance(conn, sqlite3.Connection):
        conn.interrupt()
        return
    sock = getattr(conn, "_sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed
