"""Supervisor source: every process of one or more supervisord endpoints, over XML-RPC.

One ``system.multicall`` per endpoint and poll (getState, getSupervisorVersion,
getAllProcessInfo), all endpoints concurrently, then one ``transport.process_stats`` call for
the CPU and memory of every running pid. The programs' commands (``getAllConfigInfo``, which
tells the queues a worker serves) are read again only when a process got a new pid.
"""

from __future__ import annotations

import asyncio
import posixpath
import shlex
import time
import xmlrpc.client
from dataclasses import dataclass, replace
from typing import Any

from blazz_tui.clients.supervisor_rpc import RPC_ERRORS, Supervisors, os_error, parse_endpoint
from blazz_tui.settings import SupervisorEndpoint, WorkerConfig, redact_url
from blazz_tui.sources import supervisor_log
from blazz_tui.sources.base import Reading, describe_error
from blazz_tui.sources.supervisor_log import SupervisorLog
from blazz_tui.sources.workers import (
    FIND_WORDS,
    NAME_WORDS,
    SLEEP,
    Apps,
    names_program,
    parse_worker_command,
    split_command,
)
from blazz_tui.transport.base import ProcessStats, Transport


@dataclass(frozen=True)
class ProcessInfo:
    endpoint: str
    """Name of the supervisord endpoint (config) this process belongs to."""
    group: str
    name: str
    """Process name, e.g. ``blazz-queue-default_00``."""
    state: str
    """RUNNING, STARTING, BACKOFF, STOPPING, STOPPED, EXITED, FATAL or UNKNOWN."""
    pid: int = 0
    start: float = 0.0
    """Epoch seconds of the last start; 0 when never started."""
    uptime: float = 0.0
    exit_status: int = 0
    spawn_error: str = ""
    description: str = ""
    command: str = ""
    """The program's command line ("" when unknown)."""
    queue_connection: str | None = None
    """For ``artisan queue:work [connection]`` commands: the connection (None: default)."""
    queues: tuple[str, ...] = ()
    """For queue workers: the queues served, in priority order (``--queue=a,b``); empty for
    a worker whose queues are not known (Horizon, a wrapper script)."""
    worker: bool = False
    """A queue worker: by the config's ``workers``, by its command (queue:work, queue:listen,
    horizon, ``--queue=``), or by its name (``*queue*``, ``*worker*``, ``*horizon*``)."""
    sleep: float = SLEEP
    """A worker's ``--sleep``: seconds between two looks at its queues when idle."""
    directory: str = ""
    """Where it runs: the directory of the artisan it names, else supervisord's
    ``directory=``, else its working directory ("" when unknown)."""
    app: bool | None = True
    """Whether it is the target's app's (False: another app's, which serves none of this
    app's queues; None: cannot be told)."""
    cpu_percent: float | None = None
    rss: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.group}:{self.name}"

    @property
    def is_queue_worker(self) -> bool:
        return self.worker


@dataclass(frozen=True, kw_only=True)
class EndpointReading(Reading):
    name: str = ""
    url: str = ""
    """Redacted URL of the endpoint."""
    state: str = ""
    """supervisord's own state (RUNNING, RESTARTING, SHUTDOWN...)."""
    version: str = ""
    processes: tuple[ProcessInfo, ...] = ()
    absent: bool = False
    """No supervisord here (its socket does not exist) and the config names none: a note,
    not a failure; the workers are then read from the process table."""
    log: SupervisorLog | None = None
    """What supervisord's main log says of its processes' restarts and downtime (None: not
    read, see ``log_error``)."""
    log_error: str | None = None


PROCESS_TABLE = "process table"
"""The name of the pseudo-endpoint listing workers found in the process table."""


@dataclass(frozen=True, kw_only=True)
class SupervisorReading(Reading):
    endpoints: tuple[EndpointReading, ...] = ()
    unmatched_workers: tuple[str, ...] = ()
    """``[[workers]]`` programs that name no process of any supervisord read."""

    @property
    def processes(self) -> tuple[ProcessInfo, ...]:
        return tuple(p for e in self.endpoints for p in e.processes)


_Commands = dict[tuple[Any, Any], tuple[str, str]]
"""(group, process name) -> the program's command line and its ``directory=``."""

_POLL_CALLS = ("supervisor.getState", "supervisor.getSupervisorVersion",
               "supervisor.getAllProcessInfo")


def _fault(item: Any) -> xmlrpc.client.Fault | None:
    if isinstance(item, dict) and "faultCode" in item:
        return xmlrpc.client.Fault(item["faultCode"], item.get("faultString", ""))
    return None


@dataclass(frozen=True)
class LogTail:
    """The end of a program's stdout log, read through supervisord (on demand, for details)."""

    text: str = ""
    error: str | None = None
    truncated: bool = False
    """The log is longer than what was read."""


# -- the source -----------------------------------------------------------------------------

class SupervisorSource:
    name = "supervisor"

    def __init__(self, endpoints: tuple[SupervisorEndpoint, ...], transport: Transport,
                 default_queue: str = "default", *, timeout: float = 3.0,
                 workers: tuple[WorkerConfig, ...] = (), required: bool = True,
                 app_dir: str | None = None) -> None:
        self.endpoints = endpoints
        self.transport = transport
        self.default_queue = default_queue
        self.workers = workers
        self._apps = Apps(transport, app_dir) if app_dir else None
        """Tells this app's workers from other apps' (None: every worker is taken as ours)."""
        self.required = required
        """False: a missing socket is a note (a laptop running ``artisan queue:work`` by
        hand), and the workers are found in the process table."""
        self.timeout = timeout
        """Seconds for one whole XML-RPC exchange with one endpoint."""
        self._rpc = Supervisors(transport, timeout)
        self._commands: dict[str, tuple[frozenset[tuple[Any, ...]], _Commands]] = {}
        self._logs: dict[str, tuple[frozenset[tuple[Any, ...]], SupervisorLog | None,
                                    str | None]] = {}
        """Per endpoint: the processes (group, name, pid, start, state) when its main log was
        last read, and what it said (or why it could not be read)."""
        """Per endpoint: the processes (group, name, pid) the commands were read for, and the
        commands. A command changes only when its program is restarted (a new pid), so
        ``getAllConfigInfo`` — two thirds of what a poll would parse — is asked for then."""

    async def read(self) -> SupervisorReading:
        attempted, clock = time.time(), time.perf_counter()
        readings = list(await asyncio.gather(*(self._read_endpoint(ep)
                                               for ep in self.endpoints)))
        if readings and all(r.absent for r in readings):
            readings.append(await self._process_table())
        readings = await self._whose(await self._add_process_stats(readings))
        latency = time.perf_counter() - clock
        failed = [r for r in readings if r.error is not None]
        if readings and len(failed) == len(readings):
            error = failed[0].error if len(failed) == 1 else (
                "every supervisord is down: " + "; ".join(f"{r.name}: {r.error}" for r in failed))
            return SupervisorReading(endpoints=tuple(readings), error=error,
                                     attempted_at=attempted, latency=latency)
        return SupervisorReading(endpoints=tuple(readings), fetched_at=time.time(),
                                 attempted_at=attempted, latency=latency,
                                 unmatched_workers=self._unmatched(readings))

    def _unmatched(self, readings: list[EndpointReading]) -> tuple[str, ...]:
        """The ``[[workers]]`` programs that name no process (when every supervisord was
        read: one that was not may hold them)."""
        if any(r.error is not None and not r.absent for r in readings):
            return ()
        processes = [p for r in readings for p in r.processes if r.name != PROCESS_TABLE]
        return tuple(w.program for w in self.workers
                     if not any(names_program(w.program, p.group, p.name) for p in processes))

    def failed(self, error: str, attempted_at: float, latency: float) -> SupervisorReading:
        return SupervisorReading.failed(error, attempted_at, latency)

    async def close(self) -> None:
        await self._rpc.close()

    async def tail_log(self, endpoint: str, full_name: str, length: int = 32 * 1024) -> LogTail:
        """The last ``length`` bytes of a program's stdout log; failures are in ``error``."""
        ep = next((e for e in self.endpoints if e.name == endpoint), None)
        if ep is None:
            return LogTail(error=f"no supervisor endpoint named {endpoint!r}")
        try:
            client = await self._rpc.client(ep)
            result = await client.call("supervisor.tailProcessStdoutLog", full_name, 0, length)
            text, _offset, overflow = result
        except ValueError as exc:
            return LogTail(error=str(exc))
        except xmlrpc.client.Fault as exc:
            if "NO_FILE" in exc.faultString:
                return LogTail(error=f"{full_name} has no stdout log (stdout_logfile = NONE?)")
            return LogTail(error=f"supervisord refused: {exc.faultString}")
        except (TimeoutError, *RPC_ERRORS) as exc:
            return LogTail(error=self._rpc.describe_failure(exc, ep))
        return LogTail(str(text), truncated=bool(overflow))

    # -- one endpoint ------------------------------------------------------------------------

    async def _read_endpoint(self, ep: SupervisorEndpoint) -> EndpointReading:
        url = redact_url(ep.url)
        attempted = time.time()
        try:
            target = parse_endpoint(ep)
        except ValueError as exc:
            return EndpointReading(name=ep.name, url=url, error=str(exc), attempted_at=attempted)
        latency = 0.0
        try:
            client = await self._rpc.client(ep)
            clock = time.perf_counter()
            results = await client.multicall([(m, ()) for m in _POLL_CALLS])
            latency = time.perf_counter() - clock
            reading = self._build(ep.name, url, results, await self._commands_for(ep, results))
            log, log_error = await self._log_for(ep, reading.processes)
            reading = replace(reading, log=log, log_error=log_error)
        except (TimeoutError, *RPC_ERRORS) as exc:
            absent = not self.required and target.unix_path is not None \
                and isinstance(os_error(exc), FileNotFoundError)
            reading = EndpointReading(name=ep.name, url=url, absent=absent,
                                      error=self._rpc.describe_failure(exc, ep))
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            reading = EndpointReading(name=ep.name, url=url, error=(
                f"{url} did not answer like supervisord (unexpected answer: "
                f"{describe_error(exc)[:100]})"))
        return replace(reading, attempted_at=attempted, latency=latency,
                       fetched_at=time.time() if reading.error is None else 0.0)

    async def _commands_for(self, ep: SupervisorEndpoint,
                            results: list[Any]) -> _Commands:
        infos = results[2]
        if _fault(infos) is not None or not isinstance(infos, list):
            return {}
        seen = frozenset((i.get("group"), i.get("name"), i.get("pid")) for i in infos
                         if isinstance(i, dict))
        cached = self._commands.get(ep.name)
        if cached is not None and cached[0] == seen:
            return cached[1]
        try:
            configs = await (await self._rpc.client(ep)).call("supervisor.getAllConfigInfo")
        except xmlrpc.client.Fault:
            configs = []  # an old supervisord: commands come from the process table
        commands = {(c.get("group"), c.get("name")): (str(c.get("command") or ""),
                                                      _directory(c.get("directory")))
                    for c in configs if isinstance(c, dict)}
        self._commands[ep.name] = (seen, commands)
        return commands

    async def _log_for(self, ep: SupervisorEndpoint, processes: tuple[ProcessInfo, ...]
                       ) -> tuple[SupervisorLog | None, str | None]:
        """supervisord's main log, read again only when a process started, stopped or
        changed state since it was last read (what it says of the past does not change)."""
        seen = frozenset((p.group, p.name, p.pid, p.start, p.state) for p in processes)
        cached = self._logs.get(ep.name)
        if cached is not None and cached[0] == seen:
            return cached[1], cached[2]
        log, error = None, None
        try:
            text = await (await self._rpc.client(ep)).call("supervisor.readLog",
                                                      -supervisor_log.TAIL_BYTES, 0)
            starts = {p.name: (p.pid, p.start) for p in processes if p.pid}
            log = supervisor_log.parse(str(text), starts)
            if log is None:
                error = "supervisord's log has no line to place in time"
        except xmlrpc.client.Fault as exc:
            error = ("supervisord keeps no log file (logfile)" if "NO_FILE" in exc.faultString
                     else f"supervisord refused its log: {exc.faultString}")
        except (TimeoutError, *RPC_ERRORS) as exc:
            error = f"its log was not read: {self._rpc.describe_failure(exc, ep)}"
            seen = frozenset()  # try again next poll
        self._logs[ep.name] = (seen, log, error)
        return log, error

    async def _process_table(self) -> EndpointReading:
        """The queue workers running without supervisord (``php artisan queue:work`` in a
        terminal), from the target's process table."""
        attempted = time.time()
        try:
            found = await self.transport.find_processes(FIND_WORDS)
        except OSError as exc:
            return EndpointReading(name=PROCESS_TABLE, url="ps", attempted_at=attempted,
                                   error=f"cannot read the process table: {describe_error(exc)}")
        processes = []
        for proc in found:
            command = shlex.join(proc.cmdline)
            if parse_worker_command(command, self.default_queue) is None:
                continue
            processes.append(self._with_command(ProcessInfo(
                endpoint=PROCESS_TABLE, group="ps", name=str(proc.pid), state="RUNNING",
                pid=proc.pid, start=proc.started, uptime=max(0.0, attempted - proc.started)),
                command, ""))
        return EndpointReading(name=PROCESS_TABLE, url="ps", processes=tuple(processes),
                               fetched_at=time.time(), attempted_at=attempted)

    def _build(self, name: str, url: str, results: list[Any],
               commands: _Commands) -> EndpointReading:
        state, version, infos = results
        for item in (state, version, infos):
            fault = _fault(item)
            if fault is not None:
                raise fault
        processes = tuple(self._process(name, info, commands) for info in infos)
        return EndpointReading(name=name, url=url, state=str(state.get("statename", "")),
                               version=str(version), processes=processes)

    def _process(self, endpoint: str, info: dict[str, Any],
                 commands: _Commands) -> ProcessInfo:
        pid, start = int(info.get("pid") or 0), float(info.get("start") or 0)
        now = float(info.get("now") or 0)
        command, directory = commands.get((info.get("group"), info.get("name")), ("", ""))
        return self._with_command(ProcessInfo(
            endpoint=endpoint, group=str(info.get("group", "")), name=str(info.get("name", "")),
            state=str(info.get("statename", "UNKNOWN")), pid=pid, start=start,
            uptime=max(0.0, now - start) if pid and start and now else 0.0,
            exit_status=int(info.get("exitstatus") or 0),
            spawn_error=str(info.get("spawnerr") or ""),
            description=str(info.get("description") or "")), command, directory)

    def _with_command(self, proc: ProcessInfo, command: str, directory: str) -> ProcessInfo:
        """The process, knowing whether it is a queue worker, which queues it serves (the
        config's ``workers`` first, then its command, then its name) and where it runs (the
        directory of the artisan it names, else supervisord's ``directory=``)."""
        worker = parse_worker_command(command, self.default_queue) if command else None
        artisan = worker.artisan if worker is not None else None
        if artisan is not None and artisan.startswith("/"):
            directory = posixpath.dirname(artisan)
        elif artisan is not None:  # relative: to supervisord's directory=, else its cwd
            directory = posixpath.join(directory, posixpath.dirname(artisan))
        proc = replace(proc, command=command, directory=directory,
                       sleep=worker.sleep if worker is not None else SLEEP)
        configured = next((w for w in self.workers
                           if names_program(w.program, proc.group, proc.name)), None)
        if configured is not None:
            return replace(proc, queue_connection=configured.connection,
                           queues=configured.queues, worker=True)
        if worker is not None:
            return replace(proc, queue_connection=worker.connection, queues=worker.queues,
                           worker=True)
        named = any(word in proc.full_name.lower() for word in NAME_WORDS)
        return replace(proc, queue_connection=None, queues=(), worker=named)

    async def _whose(self, readings: list[EndpointReading]) -> list[EndpointReading]:
        """Each worker marked with whether it is this app's (when apps can be told apart)."""
        apps = self._apps
        if apps is None or not any(p.worker for r in readings for p in r.processes) \
                or not await apps.applies():
            return readings
        out = []
        for reading in readings:
            processes = []
            for proc in reading.processes:
                if proc.worker:
                    proc = replace(proc, app=await apps.owns(proc.directory))
                processes.append(proc)
            out.append(replace(reading, processes=tuple(processes)))
        return out

    # -- cpu and memory ----------------------------------------------------------------------

    async def _add_process_stats(self, readings: list[EndpointReading]) -> list[EndpointReading]:
        pids = sorted({p.pid for r in readings for p in r.processes if p.pid > 0})
        if not pids:
            return readings
        try:
            stats = await self.transport.process_stats(pids)
        except OSError:
            return readings  # the processes still show, without CPU and memory
        return [replace(r, processes=tuple(self._stat(p, stats) for p in r.processes))
                if r.processes else r for r in readings]

    def _stat(self, proc: ProcessInfo, stats: dict[int, ProcessStats]) -> ProcessInfo:
        st = stats.get(proc.pid) if proc.pid > 0 else None
        if st is None or not _same_process(proc.command, st.cmdline):
            return proc
        proc = replace(proc, cpu_percent=st.cpu_percent, rss=st.rss)
        if not proc.command and st.cmdline:  # supervisord without getAllConfigInfo
            proc = self._with_command(proc, shlex.join(st.cmdline), proc.directory)
        if st.cwd and not proc.directory.startswith("/"):
            # Where it runs, as the kernel tells: an artisan named by a relative path (or
            # none) is found from there.
            relative = proc.directory
            proc = replace(proc, directory=posixpath.normpath(posixpath.join(st.cwd, relative))
                           if relative else st.cwd)
        return proc


def _directory(value: Any) -> str:
    """A program's ``directory=`` as getAllConfigInfo gives it ("none" when not set)."""
    return value if isinstance(value, str) and value.startswith("/") else ""


def _same_process(command: str, cmdline: tuple[str, ...]) -> bool:
    """Whether the pid seen by the transport runs ``command``: a supervisord in a container
    reports pids of its own namespace, which on the host belong to other processes."""
    if not command:
        return True
    if not cmdline:
        return False
    wanted = {t.rsplit("/", 1)[-1] for t in split_command(command)}
    return any(t.rsplit("/", 1)[-1] in wanted for t in cmdline)
