"""Database URLs (``mysql://``, ``mariadb://``, ``sqlite:///``) and blocking DB-API connections.

Shared by the database source (through the transport) and by the simulated stack.
"""

from __future__ import annotations

import functools
import socket
import sqlite3
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


class DatabaseUrlError(ValueError):
    pass


class MySQLProtocolError(Exception):
    """The server's bytes are not the MySQL protocol this client speaks (raised where PyMySQL
    parses them); ``describe`` says so for the server at ``where``."""

    def describe(self, where: str) -> str:
        return f"garbled answer from MySQL at {where}: {self}"


class UnknownProtocol(MySQLProtocolError):
    """A greeting of a protocol version other than 10, the only one MySQL (since 3.21) and
    MariaDB speak, and PyMySQL's parser reads."""

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version

    def describe(self, where: str) -> str:
        return (f"{where} is not a MySQL server this client can speak to: protocol version "
                f"{self.version} (MySQL and MariaDB speak 10)")


PROTOCOL_VERSION = 10
"""The version byte that opens a MySQL or MariaDB greeting (HandshakeV10)."""
_UNPARSABLE = (struct.error, IndexError, KeyError, ValueError)
"""What PyMySQL's readers raise on bytes they cannot read (a field cut short, an index past
the end of a packet, text not in its encoding, a number that is not one): the bytes are at
fault, not the statement that asked for them."""


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
    return _connection_class()(
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


@functools.cache
def _connection_class() -> type:
    """PyMySQL's connection, checking what it parses (defined on first use: PyMySQL is imported
    only by a MySQL target). It overrides the readers every answer goes through —
    ``_get_server_information`` (the greeting), ``_read_query_result`` and ``_read_ok_packet``
    — private to PyMySQL, so tests/sources/test_garbled_protocols.py covers each."""
    import pymysql
    from pymysql import err

    @contextmanager
    def parsed(conn: Any, what: str) -> Iterator[None]:
        """Bytes PyMySQL could not parse, or a fault it found in their framing (its own error,
        without a server's error code), as ``MySQLProtocolError``; the connection is closed."""
        try:
            yield
        except MySQLProtocolError:
            raise
        except _UNPARSABLE as exc:
            conn._force_close()
            raise MySQLProtocolError(f"{what} cannot be parsed ({_reason(exc)})") from None
        except (err.InternalError, err.OperationalError) as exc:
            if exc.args and isinstance(exc.args[0], int):
                raise  # an error the server sent (or a lost connection): not garbled bytes
            conn._force_close()
            raise MySQLProtocolError(f"{what} breaks the protocol ({_reason(exc)})") from None

    class CheckedConnection(pymysql.connections.Connection):  # type: ignore[misc]
        def connect(self, sock: socket.socket | None = None) -> None:
            with parsed(self, "the greeting or the answer to the login"):
                super().connect(sock)

        def _get_server_information(self) -> None:
            try:
                super()._get_server_information()
            except _UNPARSABLE:
                # What is not a HandshakeV10 is cut short where V10 has more fields: the
                # version byte, read first, says why.
                self._check_protocol()
                raise
            self._check_protocol()

        def _check_protocol(self) -> None:
            version = getattr(self, "protocol_version", PROTOCOL_VERSION)
            if version != PROTOCOL_VERSION:
                raise UnknownProtocol(version)

        def _read_query_result(self, unbuffered: bool = False) -> Any:
            with parsed(self, "the answer to a query"):
                return super()._read_query_result(unbuffered=unbuffered)

        def _read_ok_packet(self) -> Any:
            with parsed(self, "the answer to a command"):
                return super()._read_ok_packet()

    return CheckedConnection


def _reason(exc: BaseException) -> str:
    """What the parser said: its words (``unpack requires a buffer of 4 bytes``), named by the
    exception's type where they say little alone (a ``KeyError``'s key)."""
    text = str(exc.args[0] if len(exc.args) == 1 else exc).strip()
    if text and not isinstance(exc, (KeyError, IndexError)):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
