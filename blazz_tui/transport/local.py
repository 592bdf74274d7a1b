"""The local transport: the target is this machine.

Its blocking calls (psutil, file reads) run in threads of their own (``blocking.call``): the
caller's deadline bounds the wait, and a call stuck on a dead disk holds nothing.
"""

from __future__ import annotations

import asyncio
import glob as globmod
import ipaddress
import os
import socket
import time
from collections.abc import Callable
from typing import Any

import psutil

from blazz_tui import blocking
from blazz_tui.transport.base import (
    Address,
    CommandResult,
    FileStat,
    FoundProcess,
    HostStats,
    ProcessStats,
)


class LocalTransport:
    def __init__(self) -> None:
        # psutil's cpu_percent(None) compares against the previous call: keep the
        # Process objects between polls so per-process CPU is a real rate.
        self._procs: dict[int, psutil.Process] = {}
        self._lanes = object()
        """This transport's part of each blocking call's lane: one stuck call at most."""

    @property
    def name(self) -> str:
        return "local"

    @property
    def link(self) -> None:
        return None

    async def ready(self) -> None:
        return

    async def connect(self, address: Address, timeout: float | None) -> socket.socket:
        return await asyncio.wait_for(connect_socket(address), timeout)

    async def probe_tcp(self, host: str, port: int, timeout: float) -> float:
        start = time.perf_counter()
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        elapsed = time.perf_counter() - start
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
        return elapsed

    async def stat(self, path: str) -> FileStat:
        st = await blocking.call(os.stat, os.path.expanduser(path), timeout=None,
                                lane=(self._lanes, "stat", path))
        return FileStat(size=st.st_size, inode=st.st_ino, mtime=st.st_mtime, uid=st.st_uid)

    async def realpath(self, path: str) -> str:
        return await blocking.call(os.path.realpath, os.path.expanduser(path), timeout=None,
                                  lane=(self._lanes, "realpath", path))

    async def read_range(self, path: str, offset: int, length: int) -> bytes:
        def read() -> bytes:
            with open(os.path.expanduser(path), "rb") as f:
                f.seek(offset)
                return f.read(length)

        return await blocking.call(read, timeout=None, lane=(self._lanes, "read", path))

    async def glob(self, pattern: str) -> list[str]:
        expanded = os.path.expanduser(pattern)
        return sorted(await blocking.call(globmod.glob, expanded, timeout=None,
                                         lane=(self._lanes, "glob", pattern)))

    async def run(self, argv: list[str], timeout: float) -> CommandResult:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except BaseException:  # past its deadline, or the poll cancelled (the app quits)
            await _reap(proc)
            raise
        return CommandResult(
            exit_code=proc.returncode if proc.returncode is not None else -1,
            stdout=out.decode("utf-8", "replace"),
            stderr=err.decode("utf-8", "replace"),
        )

    async def stream(self, argv: list[str], timeout: float,
                     line: Callable[[str], None]) -> int:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        assert proc.stdout is not None

        async def read() -> int:
            assert proc.stdout is not None
            async for raw in proc.stdout:
                line(raw.decode("utf-8", "replace").rstrip("\n"))
            return await proc.wait()

        try:
            return await asyncio.wait_for(read(), timeout)
        except BaseException:
            await _reap(proc)
            raise

    async def host_stats(self, disk_path: str) -> HostStats:
        return await blocking.call(_host_stats, disk_path, timeout=None,
                                  lane=(self._lanes, "host"))

    async def process_stats(self, pids: list[int]) -> dict[int, ProcessStats]:
        return await blocking.call(self._process_stats, pids, timeout=None,
                                  lane=(self._lanes, "processes"))

    def _process_stats(self, pids: list[int]) -> dict[int, ProcessStats]:
        result: dict[int, ProcessStats] = {}
        for pid in pids:
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = psutil.Process(pid)
                    proc.cpu_percent(None)
                    self._procs[pid] = proc
                with proc.oneshot():
                    result[pid] = ProcessStats(
                        pid=pid,
                        cpu_percent=proc.cpu_percent(None),
                        rss=proc.memory_info().rss,
                        cmdline=tuple(proc.cmdline()),
                        cwd=_cwd(proc),
                    )
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                self._procs.pop(pid, None)
        for gone in set(self._procs) - set(pids):
            del self._procs[gone]
        return result

    async def find_processes(self, words: tuple[str, ...]) -> list[FoundProcess]:
        return await blocking.call(_find_processes, words, timeout=None,
                                  lane=(self._lanes, "find"))

    async def close(self) -> None:
        self._procs.clear()


async def _reap(proc: asyncio.subprocess.Process) -> None:
    """Kill a command we no longer wait for, and collect it (no zombie, no transport left
    for the garbage collector to close after its event loop)."""
    if proc.returncode is None:
        proc.kill()
    try:
        await asyncio.wait_for(proc.wait(), 1.0)
    except (TimeoutError, asyncio.CancelledError):
        pass


async def connect_socket(address: Address) -> socket.socket:
    """A non-blocking socket connected to ``address`` from this machine; every address a
    host name resolves to is tried in turn (``localhost`` may be ::1 or 127.0.0.1)."""
    loop = asyncio.get_running_loop()
    candidates: list[tuple[socket.AddressFamily, Any]]
    if isinstance(address, str):
        candidates = [(socket.AF_UNIX, address)]
    else:
        host, port = address
        try:  # an address already: no resolver (a thread hop each) to ask
            ip = ipaddress.ip_address(host.strip("[]"))
            candidates = [(socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                           (str(ip), port))]
        except ValueError:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            candidates = [(info[0], info[4]) for info in infos]
    error: OSError = OSError(f"{address!r} resolves to no address")
    for family, addr in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, addr)
        except OSError as exc:
            sock.close()
            # asyncio says "Connect call failed (address)"; the errno's own words are clearer.
            error = OSError(exc.errno, os.strerror(exc.errno)) if exc.errno else exc
            continue
        except BaseException:
            sock.close()
            raise
        if family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error


def _cwd(proc: psutil.Process) -> str | None:
    try:
        return str(proc.cwd()) or None
    except (psutil.AccessDenied, psutil.ZombieProcess):
        return None  # another user's process: not ours to read


def _find_processes(words: tuple[str, ...]) -> list[FoundProcess]:
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "create_time", "memory_info"]):
        cmdline = proc.info.get("cmdline") or []
        line = " ".join(cmdline)
        if any(word in line for word in words):
            memory = proc.info.get("memory_info")
            found.append(FoundProcess(proc.info["pid"], proc.info.get("create_time") or 0.0,
                                      tuple(cmdline), memory.rss if memory else 0))
    return found


def _host_stats(disk_path: str) -> HostStats:
    """The host's figures; CPU as counters since boot (a rate needs an earlier sample, which
    the history keeps — across runs of ``--check`` too)."""
    t = psutil.cpu_times()
    guest = getattr(t, "guest", 0.0) + getattr(t, "guest_nice", 0.0)  # already in user time
    total = sum(t) - guest
    mem = psutil.virtual_memory()
    disk = psutil.disk_usage(disk_path)
    return HostStats(
        cpu_busy=total - t.idle - getattr(t, "iowait", 0.0),
        cpu_total=total,
        cpu_count=psutil.cpu_count() or 1,
        memory_total=mem.total,
        memory_used=mem.total - mem.available,
        memory_percent=mem.percent,
        load=os.getloadavg(),
        disk_path=disk_path,
        disk_total=disk.total,
        disk_used=disk.used,
        disk_percent=disk.percent,
        boot_time=psutil.boot_time(),
    )
