"""The SSH transport: one asyncssh connection per target carries every source and action.

- TCP addresses (MySQL, Redis, the instances) through direct-tcpip channels, supervisord's
  unix socket through a direct-streamlocal channel. A client gets one end of a socket pair;
  the other end is bridged to the channel on the event loop. Nothing listens on this machine.
- Files (log tails) through one SFTP session: a stat and a bounded read per file and poll.
- Host and process figures from the remote ``/proc``, one small command per poll (psutil
  cannot run there); queue workers from the remote ``ps``. Nothing is installed on the server.

The link is connected on first use, once; when it drops, every call fails at once with
``TransportError`` ("link down") until the next attempt, which backs off (1, 2, 4 … 30 s).
``link`` tells the snapshot how it is.

Host keys: ``~/.ssh/known_hosts`` (or ``known_hosts`` in the config) decides; an unknown or
changed key is refused with its fingerprint and what to do. ``accept_new_host_key`` accepts and
records an unknown one, as OpenSSH's ``StrictHostKeyChecking=accept-new``; a changed key is
always refused. known_hosts is looked up as OpenSSH does (``[host]:port`` alone on another
port than 22), and a server that offers none of the host-key types it holds for the host is
named as such (asyncssh offers only those, so the server just hangs up). Everything else
(HostName, User, Port, IdentityFile, IdentitiesOnly, ProxyJump) comes from ``~/.ssh/config``,
the agent and the default key files, through asyncssh — once ``ssh_files`` has seen that the
config's Include lines do not loop.
"""

from __future__ import annotations

import asyncio
import errno
import os
import shlex
import socket
import statistics
import time
import typing
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncssh

from blazz_tui.settings import SshConfig
from blazz_tui.transport import remote_proc
from blazz_tui.transport.base import (
    Address,
    CommandResult,
    FileStat,
    FoundProcess,
    HostStats,
    LinkState,
    ProcessStats,
    TransportError,
)
from blazz_tui.transport.remote_shell import RemoteShell
from blazz_tui.transport.ssh_files import (
    IncludeLoop,
    KnownHosts,
    check_includes,
    known_hosts_name,
)

BACKOFF_MAX = 30.0
"""Seconds, at most, between two connection attempts while the link is down."""
BRIDGE_CHUNK = 64 * 1024
RTT_SAMPLES = 5
POLL_COMMAND_TIMEOUT = 10.0
"""Seconds a poll's command (host, processes, ps) may take on the server."""
PING_EVERY = 2.0
"""Seconds between two measures of the link's round trip."""
HOST_KEY_PROBES = 4
"""Handshakes, at most, to learn which host-key types a server offers (one type each)."""


class SshTransport:
    def __init__(self, config: SshConfig) -> None:
        self.config = config
        self._conn: asyncssh.SSHClientConnection | None = None
        self._opening: asyncio.Future[asyncssh.SSHClientConnection] | None = None
        self._sftp: asyncssh.SFTPClient | None = None
        self._bridges: set[asyncio.Task[None]] = set()
        self._since: float | None = None
        self._attempts = 0
        self._error: str | None = None
        self._next_try = 0.0
        self._rtts: deque[float] = deque(maxlen=RTT_SAMPLES)
        self._pinger: asyncio.Future[None] | None = None
        self._sh = RemoteShell()
        self._procs: remote_proc.ProcessSampler | None = None
        """Also holds the server's clock tick and page size, asked once."""

    @property
    def name(self) -> str:
        return f"ssh://{self.config.destination}"

    @property
    def link(self) -> LinkState:
        up = self._conn is not None
        retry = None if up or self._opening is not None \
            else max(0.0, self._next_try - time.monotonic())
        return LinkState(self.config.destination, up, self._since,
                         rtt=statistics.median(self._rtts) if up and self._rtts else None,
                         attempts=self._attempts, error=None if up else self._error,
                         retry_in=retry)

    # -- the connection -----------------------------------------------------------------------

    async def _connection(self) -> asyncssh.SSHClientConnection:
        if self._conn is not None:
            return self._conn
        if self._opening is None:
            wait = self._next_try - time.monotonic()
            if wait > 0:
                raise TransportError(f"ssh link down: {self._error} (next attempt in "
                                     f"{wait:.0f} s)")
            self._opening = asyncio.ensure_future(self._open())
        return await asyncio.shield(self._opening)

    async def _open(self) -> asyncssh.SSHClientConnection:
        client = _Client(self)
        known = KnownHosts(self._known_hosts_path())
        try:
            check_includes(Path("~/.ssh/config").expanduser(), Path("~/.ssh").expanduser())
            conn, _ = await asyncssh.create_connection(
                lambda: client, self.config.host, **self._options(known))
        except BaseException as exc:
            self._failed(await self._no_host_key_type(exc, client, known)
                         or _connect_message(exc, self.config, client))
            raise TransportError(f"ssh link down: {self._error}") from None
        finally:
            self._opening = None
        self._conn, self._since, self._attempts, self._error = conn, time.time(), 0, None
        self._pinger = asyncio.ensure_future(self._ping(conn))
        return conn

    async def _ping(self, conn: asyncssh.SSHClientConnection) -> None:
        """The link's round trip, every ``PING_EVERY`` s: a keepalive request, which the server
        answers at once (what OpenSSH's ServerAliveInterval sends). asyncssh makes it for its
        own keepalives; it has no public call to time one."""
        while conn is self._conn:
            start = time.perf_counter()
            try:
                await conn._make_global_request(b"keepalive@openssh.com")
            except (asyncssh.Error, OSError, AttributeError):
                return
            self._rtts.append(time.perf_counter() - start)
            await asyncio.sleep(PING_EVERY)

    async def _no_host_key_type(self, exc: BaseException, client: _Client,
                                known: KnownHosts) -> str | None:
        """The server hung up in the handshake, having been offered only the host-key types
        known_hosts holds for it: if it offers none of them, that is why (OpenSSH's server
        gives no reason). None for any other failure."""
        hung_up = isinstance(exc, OSError | asyncssh.ConnectionLost | asyncssh.KeyExchangeFailed) \
            and not isinstance(exc, TimeoutError)
        name, keys = known.looked_up or ("", [])
        if not hung_up or not client.connected or client.offered is not None or not keys:
            return None
        held = list(dict.fromkeys(key.get_algorithm() for key in keys))
        offered = await self._offered_host_key_types()
        if not offered or set(offered) & set(held):
            return None
        return (f"{self.config.destination}: the server offers host-key algorithm(s) "
                f"{', '.join(offered)} while {known.path} holds only {', '.join(held)} for "
                f"{name} — nothing accepted. If the server's keys were changed, check the "
                f"fingerprint with its admin, then connect once with ssh to add it")

    async def _offered_host_key_types(self) -> list[str]:
        """The server's host-key types, a handshake each (asyncssh shows only the key the
        server chose): each asks for any type but those found so far."""
        cfg, offered, excluded = self.config, list[str](), list[str]()
        for _ in range(HOST_KEY_PROBES):
            try:
                key = await asyncio.wait_for(asyncssh.get_server_host_key(
                    cfg.host, cfg.port if cfg.port is not None else (),
                    server_host_key_algs="-" + ",".join(excluded) if excluded else "default"),
                    cfg.connect_timeout)
            except (asyncssh.Error, OSError, ValueError):  # none left, or the server hung up
                break
            if key is None:
                break
            offered.append(key.get_algorithm())
            excluded += [alg.decode("ascii") for alg in key.sig_algorithms]
        return offered

    def _options(self, known: KnownHosts) -> dict[str, Any]:
        cfg = self.config
        options: dict[str, Any] = {
            "known_hosts": known,
            "keepalive_interval": cfg.keepalive_interval,
            "keepalive_count_max": 3,
            "connect_timeout": cfg.connect_timeout,
            # Session lists and logs compress several times over; a laptop's link is thin.
            "compression_algs": ["zlib@openssh.com", "none"] if cfg.compression else ["none"],
        }
        if cfg.port is not None:
            options["port"] = cfg.port
        if cfg.user is not None:
            options["username"] = cfg.user
        if cfg.key_file is not None:
            options["client_keys"] = [os.path.expanduser(cfg.key_file)]
        if cfg.password is not None:
            options["password"] = cfg.password
        return options

    def _known_hosts_path(self) -> Path:
        return Path(os.path.expanduser(self.config.known_hosts or "~/.ssh/known_hosts"))

    def _failed(self, error: str) -> None:
        if self._error is None:  # the first failure: down since now (after a drop: since it)
            self._since = time.time()
        self._attempts += 1
        self._error = error
        self._next_try = time.monotonic() + min(BACKOFF_MAX, 2.0 ** (self._attempts - 1))

    def _lost(self, conn: asyncssh.SSHClientConnection, exc: Exception | None) -> None:
        """The connection ended (the server went away, keepalives unanswered, closed)."""
        if conn is not self._conn:
            return
        self._conn, self._sftp = None, None
        self._since, self._attempts = time.time(), 0
        self._error = f"connection lost: {exc}" if exc else "connection closed"
        # A second before reconnecting: every read in it fails at once, as "link down",
        # rather than each source reporting the disconnect in its own words.
        self._next_try = time.monotonic() + 1.0
        self._rtts.clear()
        self._stop_tasks()

    def _stop_tasks(self) -> None:
        self._sh.close()
        for task in [*self._bridges, *([self._pinger] if self._pinger else [])]:
            task.cancel()
        self._pinger = None

    def _host_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        """Called for a host key that known_hosts does not trust."""
        path = self._known_hosts_path()
        known = KnownHosts(path).match(host, addr, port)[0]
        if known or not self.config.accept_new_host_key:
            return False
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with path.open("a", encoding="ascii") as f:
            f.write(f"{known_hosts_name(host, port)} "
                    f"{key.export_public_key('openssh').decode().strip()}\n")
        return True

    async def ready(self) -> None:
        await self._connection()

    # -- sockets ------------------------------------------------------------------------------

    async def connect(self, address: Address, timeout: float | None) -> socket.socket:
        return await asyncio.wait_for(self._channel_socket(address), timeout)

    async def _channel_socket(self, address: Address) -> socket.socket:
        reader, writer = await self._channel(address)
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        theirs.setblocking(False)
        task = asyncio.ensure_future(_bridge(ours, reader, writer))
        self._bridges.add(task)
        task.add_done_callback(self._bridges.discard)
        return theirs

    async def _channel(self, address: Address) -> tuple[Any, Any]:
        conn = await self._connection()
        try:
            if isinstance(address, str):
                pair = await conn.open_unix_connection(address)
            else:
                pair = await conn.open_connection(*address)
        except asyncssh.ChannelOpenError as exc:
            error = _channel_error(exc, address)
            if isinstance(address, str) and error.errno == errno.EIO:
                error = await self._why_no_socket(address, error)
            raise error from None
        except (asyncssh.Error, OSError) as exc:
            raise TransportError(f"ssh link: {exc}") from None
        return pair

    async def _why_no_socket(self, path: str, error: OSError) -> OSError:
        """OpenSSH says only "open failed" for a unix socket: the file tells why, as a local
        connect would (missing, not ours to open, or nothing listening)."""
        try:
            await self.stat(path)
        except FileNotFoundError as missing:
            return missing
        except OSError:
            return error
        if (await self._poll_command(f"test -w {shlex.quote(path)}")).exit_code != 0:
            return PermissionError(errno.EACCES, "Permission denied", path)
        return ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused", path)

    async def probe_tcp(self, host: str, port: int, timeout: float) -> float:
        start = time.perf_counter()
        _, writer = await asyncio.wait_for(self._channel((host, port)), timeout)
        elapsed = time.perf_counter() - start
        writer.close()
        return elapsed

    # -- files --------------------------------------------------------------------------------

    async def _sftp_client(self) -> asyncssh.SFTPClient:
        if self._sftp is None:
            conn = await self._connection()
            try:
                self._sftp = await conn.start_sftp_client()
            except (asyncssh.Error, OSError) as exc:
                raise TransportError(f"ssh: no SFTP on the server ({exc})") from None
        return self._sftp

    async def stat(self, path: str) -> FileStat:
        sftp = await self._sftp_client()
        path = _from_home(path)
        try:
            attrs = await sftp.stat(path)
        except asyncssh.SFTPError as exc:
            raise _sftp_error(exc, path) from None
        # SFTP does not tell inodes: a rotation is seen as the file shrinking.
        return FileStat(size=attrs.size or 0, inode=0, mtime=float(attrs.mtime or 0),
                        uid=attrs.uid)

    async def realpath(self, path: str) -> str:
        sftp = await self._sftp_client()
        path = _from_home(path)
        try:
            return str(await sftp.realpath(path))
        except asyncssh.SFTPError as exc:
            raise _sftp_error(exc, path) from None

    async def read_range(self, path: str, offset: int, length: int) -> bytes:
        sftp = await self._sftp_client()
        path = _from_home(path)
        try:
            async with sftp.open(path, "rb") as f:
                return typing.cast(bytes, await f.read(length, offset))
        except asyncssh.SFTPError as exc:
            raise _sftp_error(exc, path) from None

    async def glob(self, pattern: str) -> list[str]:
        sftp = await self._sftp_client()
        pattern = _from_home(pattern)
        try:
            return sorted(str(p) for p in await sftp.glob(pattern))
        except asyncssh.SFTPNoSuchFile:
            return []
        except asyncssh.SFTPError as exc:
            raise _sftp_error(exc, pattern) from None

    # -- commands -----------------------------------------------------------------------------

    async def run(self, argv: list[str], timeout: float) -> CommandResult:
        """An action's command: a session of its own (it may take long, and run anywhere)."""
        command = shlex.join(argv)
        conn = await self._connection()
        try:
            done = await conn.run(command, check=False, timeout=timeout, encoding="utf-8",
                                  errors="replace")
        except asyncssh.TimeoutError:
            raise TimeoutError(f"{command[:60]} ran past {timeout:g} s") from None
        except (asyncssh.Error, OSError) as exc:
            raise TransportError(f"ssh: {exc}") from None
        code = done.exit_status if done.exit_status is not None else -1
        return CommandResult(code, str(done.stdout or ""), str(done.stderr or ""))

    async def stream(self, argv: list[str], timeout: float,
                     line: Callable[[str], None]) -> int:
        conn = await self._connection()

        async def follow() -> int:
            async with conn.create_process(shlex.join(argv), stderr=asyncssh.STDOUT,
                                           encoding="utf-8", errors="replace") as proc:
                async for text in proc.stdout:
                    line(str(text).rstrip("\n"))
                done = await proc.wait()
            return done.exit_status if done.exit_status is not None else -1

        try:
            return await asyncio.wait_for(follow(), timeout)
        except (asyncssh.Error, OSError) as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise TransportError(f"ssh: {exc}") from None

    async def _poll_command(self, command: str) -> CommandResult:
        return await self._sh.run(await self._connection(), command, POLL_COMMAND_TIMEOUT)

    async def _sampler(self) -> remote_proc.ProcessSampler:
        if self._procs is None:
            tick, page = remote_proc.parse_facts(
                await self._poll_command(remote_proc.FACTS_COMMAND))
            self._procs = remote_proc.ProcessSampler(tick, page)
        return self._procs

    async def host_stats(self, disk_path: str) -> HostStats:
        tick = (await self._sampler()).tick
        result = await self._poll_command(remote_proc.host_command(disk_path))
        return remote_proc.parse_host(result, disk_path, tick)

    async def process_stats(self, pids: list[int]) -> dict[int, ProcessStats]:
        if not pids:
            return {}
        sampler = await self._sampler()
        return sampler.parse(await self._poll_command(sampler.command(pids)))

    async def find_processes(self, words: tuple[str, ...]) -> list[FoundProcess]:
        result = await self._poll_command(remote_proc.PS_COMMAND)
        return remote_proc.parse_ps(result, words, time.time())

    async def close(self) -> None:
        conn, self._conn, self._sftp = self._conn, None, None
        self._since, self._attempts, self._error, self._next_try = None, 0, None, 0.0
        self._stop_tasks()
        if conn is not None:
            conn.close()
            await conn.wait_closed()


class _Client(asyncssh.SSHClient):
    def __init__(self, transport: SshTransport) -> None:
        self._transport = transport
        self._conn: asyncssh.SSHClientConnection | None = None
        self.offered: tuple[asyncssh.SSHKey, bool, str] | None = None
        """The host key refused, whether known_hosts held another one for the host, and the
        host's name in known_hosts."""

    @property
    def connected(self) -> bool:
        """The TCP (or tunnelled) connection was made: the handshake began, failed or not."""
        return self._conn is not None

    def connection_made(self, conn: asyncssh.SSHClientConnection) -> None:
        self._conn = conn

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._transport._lost(self._conn, exc)

    def validate_host_public_key(self, host: str, addr: str, port: int,
                                 key: asyncssh.SSHKey) -> bool:
        accepted = self._transport._host_key(host, addr, port, key)
        if not accepted:
            known = KnownHosts(self._transport._known_hosts_path()).match(host, addr, port)
            self.offered = (key, bool(known[0]), known_hosts_name(host, port))
        return accepted


async def _bridge(ours: socket.socket, reader: Any, writer: Any) -> None:
    """Copy between the local end of a socket pair and an SSH channel until either ends."""
    local_reader, local_writer = await asyncio.open_connection(sock=ours)

    async def up() -> None:
        while data := await local_reader.read(BRIDGE_CHUNK):
            writer.write(data)
            await writer.drain()

    async def down() -> None:
        while data := await reader.read(BRIDGE_CHUNK):
            local_writer.write(data)
            await local_writer.drain()

    tasks = [asyncio.ensure_future(up()), asyncio.ensure_future(down())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        pass
    finally:
        for task in tasks:
            task.cancel()
            if task.done() and not task.cancelled():
                task.exception()  # a reset peer: the other side is closed below, that is all
        writer.close()
        local_writer.close()


def _from_home(path: str) -> str:
    """``~/x`` as SFTP takes it: a path relative to the home directory."""
    return path[2:] if path.startswith("~/") else path


def _connect_message(exc: BaseException, cfg: SshConfig, client: _Client) -> str:
    """Why the link could not be set up, and what to do about it."""
    where = cfg.destination
    if isinstance(exc, IncludeLoop):
        return f"ssh config: {exc}"
    if client.offered is not None:
        key, changed, name = client.offered
        kind, fingerprint = key.get_algorithm(), key.get_fingerprint("sha256")
        if changed:
            return (f"HOST KEY CHANGED for {where}: it now offers {kind} {fingerprint}, which "
                    f"known_hosts does not hold — refused (someone may be in the middle). If "
                    f"the server was reinstalled, check the fingerprint with its admin, then: "
                    f"ssh-keygen -R '{name}'")
        return (f"host key of {where} is unknown ({kind} {fingerprint}) — refused. Check the "
                f"fingerprint with the server's admin, then connect once with ssh, or set "
                f"accept_new_host_key = true in the target's [ssh] table")
    if isinstance(exc, asyncssh.PermissionDenied):
        return (f"authentication refused by {where} ({exc.reason}) — check the user, the "
                f"IdentityFile / key_file and the ssh-agent")
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return f"host key of {where} (or of a jump host) not trusted: {exc.reason}"
    if isinstance(exc, asyncssh.DisconnectError):
        return f"{where} closed the connection: {exc.reason}"
    if isinstance(exc, TimeoutError):
        return f"{where} did not answer within {cfg.connect_timeout:g} s"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host of {where}: {exc.strerror}"
    if isinstance(exc, OSError):
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        return f"cannot reach {where}: {reason[:1].lower() + reason[1:]}"
    if isinstance(exc, asyncio.CancelledError):
        return f"connecting to {where} was cancelled"
    return f"cannot connect to {where}: {type(exc).__name__}: {exc}"


def _channel_error(exc: asyncssh.ChannelOpenError, address: Address) -> OSError:
    """The server could not open the channel: the same OS error a local connect gives."""
    reason = exc.reason or ""
    text = reason.lower()
    for words, code in (("refused", errno.ECONNREFUSED), ("no such file", errno.ENOENT),
                        ("permission denied", errno.EACCES), ("timed out", errno.ETIMEDOUT),
                        ("no route", errno.EHOSTUNREACH)):
        if words in text:
            return OSError(code, os.strerror(code))
    if exc.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED:
        return PermissionError(errno.EACCES, f"the SSH server forbids forwarding to "
                                             f"{address!r} (AllowTcpForwarding / "
                                             f"AllowStreamLocalForwarding)")
    return OSError(errno.EIO, f"the SSH server could not open {address!r}: {reason}")


def _sftp_error(exc: asyncssh.SFTPError, path: str) -> OSError:
    if isinstance(exc, asyncssh.SFTPNoSuchFile):
        return FileNotFoundError(errno.ENOENT, "No such file or directory", path)
    if isinstance(exc, asyncssh.SFTPPermissionDenied):
        return PermissionError(errno.EACCES, "Permission denied", path)
    return OSError(errno.EIO, f"SFTP: {exc.reason}", path)
