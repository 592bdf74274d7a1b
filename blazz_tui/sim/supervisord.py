"""A real supervisord, run from this Python environment, for tests and the demo stack.

``Supervisord(directory, programs, groups)`` writes ``supervisord.conf`` into ``directory``,
starts ``sys.executable -m supervisor.supervisord -c supervisord.conf`` in the foreground
(``nodaemon``) in its own session, waits until it answers over its unix socket, and stops it
with an XML-RPC ``shutdown`` — then kills whatever is left, children included. Programs can be
changed while it runs (``set_programs``) the way ``supervisorctl update`` does it.

Blocking API (subprocess and XML-RPC): call it from a thread when inside an event loop.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from blazz_tui.settings import SupervisorEndpoint

# AF_UNIX paths hold 107 bytes; supervisord first binds "<socket>.<pid>" and renames it.
MAX_SOCKET_PATH = 96
RUNNING_STATES = frozenset({"RUNNING"})
SETTLED_STATES = frozenset({"RUNNING", "STOPPED", "EXITED", "FATAL"})


class SupervisordError(RuntimeError):
    """supervisord did not start or stop as asked; the message says why."""



class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket, with a timeout (supervisor's own connection has none)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def rpc_proxy(path: str, username: str | None, password: str | None, timeout: float) -> Any:
    """A blocking ``ServerProxy`` over supervisor's own transport on a unix socket, for the
    simulator and the tests (blazz-tui itself talks through ``clients.supervisor_rpc``)."""
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(username, password, f"unix://{path}")
    transport._get_connection = lambda: UnixHTTPConnection(path, timeout)
    return xmlrpc.client.ServerProxy("http://127.0.0.1/RPC2", transport=transport)


@dataclass(frozen=True)
class ProgramSpec:
    """One ``[program:name]`` section."""

    name: str
    command: str
    """Expanded by supervisord: ``%(process_num)02d`` works, a literal % must be ``%%``."""
    numprocs: int = 1
    process_name: str | None = None
    """None: ``%(program_name)s``, or ``%(program_name)s_%(process_num)02d`` when numprocs > 1."""
    autostart: bool = True
    autorestart: bool | str = True
    """True, False or ``"unexpected"``."""
    startsecs: int = 1
    startretries: int = 3
    environment: Mapping[str, str] = field(default_factory=dict, hash=False)
    directory: str | None = None
    stdout_logfile: str | None = None
    """None: a file per process in the runner's ``log`` directory."""
    redirect_stderr: bool = True
    stopwaitsecs: int = 3
    stopasgroup: bool = True
    killasgroup: bool = True
    priority: int | None = None

    @property
    def effective_process_name(self) -> str:
        if self.process_name is not None:
            return self.process_name
        if self.numprocs > 1:
            return "%(program_name)s_%(process_num)02d"
        return "%(program_name)s"


@dataclass(frozen=True)
class GroupSpec:
    """One ``[group:name]`` section: its programs' processes are named ``name:process``."""

    name: str
    programs: tuple[str, ...]
    priority: int = 999


@dataclass(frozen=True)
class UpdateResult:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


class Supervisord:
    """One supervisord process with its configuration, socket, pidfile and logs in
    ``directory``."""

    def __init__(self, directory: Path | str, programs: Sequence[ProgramSpec] = (),
                 groups: Sequence[GroupSpec] = (), *, socket_path: Path | str | None = None,
                 username: str | None = None, password: str | None = None,
                 inet_port: int | None = None) -> None:
        self.directory = Path(directory).resolve()
        self.programs: tuple[ProgramSpec, ...] = tuple(programs)
        self.groups: tuple[GroupSpec, ...] = tuple(groups)
        self.socket_path = Path(socket_path) if socket_path else _socket_path(self.directory)
        self.username = username
        self.password = password
        self.inet_port = inet_port
        """Also serve XML-RPC on ``http://127.0.0.1:<inet_port>/RPC2`` when set."""
        self._proc: subprocess.Popen[bytes] | None = None

    # -- where things are --------------------------------------------------------------------

    @property
    def conf_path(self) -> Path:
        return self.directory / "supervisord.conf"

    @property
    def pidfile(self) -> Path:
        return self.directory / "supervisord.pid"

    @property
    def logfile(self) -> Path:
        return self.directory / "supervisord.log"

    @property
    def log_dir(self) -> Path:
        return self.directory / "log"

    @property
    def url(self) -> str:
        """The ``unix://`` URL of the socket, as written in a blazz-tui config."""
        return f"unix://{self.socket_path}"

    @property
    def http_url(self) -> str | None:
        return f"http://127.0.0.1:{self.inet_port}/RPC2" if self.inet_port else None

    def endpoint(self, name: str = "main", *, http: bool = False) -> SupervisorEndpoint:
        url = self.http_url if http and self.http_url else self.url
        return SupervisorEndpoint(name=name, url=url, username=self.username,
                                  password=self.password)

    @property
    def pid(self) -> int | None:
        """supervisord's pid while it runs (from the pidfile when started elsewhere)."""
        if self._proc is not None:
            return self._proc.pid if self._proc.poll() is None else None
        try:
            pid = int(self.pidfile.read_text().strip())
            cmdline = psutil.Process(pid).cmdline()
        except (OSError, ValueError, psutil.Error):
            return None
        return pid if any("supervisord" in arg for arg in cmdline) else None  # not reused

    # -- configuration -----------------------------------------------------------------------

    def write_config(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(render_config(self))
        return self.conf_path

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        """Write the configuration, start supervisord, and wait until it answers."""
        if self.pid is not None:
            raise SupervisordError(f"supervisord already runs with pid {self.pid}")
        self.write_config()
        err = (self.directory / "supervisord.stderr").open("wb")
        with err:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "supervisor.supervisord", "-c", str(self.conf_path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                cwd=self.directory, start_new_session=True)
        try:
            self._wait_ready(timeout)
        except SupervisordError:
            self.kill()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise SupervisordError(f"supervisord exited with {self._proc.returncode}: "
                                       + self._stderr_tail())
            try:
                if self.rpc(timeout=1.0).supervisor.getState()["statename"] == "RUNNING":
                    return
            except (OSError, xmlrpc.client.Error, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise SupervisordError(f"supervisord did not answer on {self.url} within "
                               f"{timeout:g} s: {self._stderr_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down over XML-RPC (stopping every program), wait, then kill leftovers."""
        pid = self.pid
        if pid is None:
            self._proc = None
            return
        try:
            self.rpc(timeout=2.0).supervisor.shutdown()
        except (OSError, xmlrpc.client.Error, http.client.HTTPException):
            pass
        if not self._wait_gone(pid, timeout):
            self.kill()
        self._reap()

    def kill(self) -> None:
        """SIGKILL supervisord, its process group and every descendant (no clean stop)."""
        pid = self.pid
        if pid is not None:
            try:
                victims = psutil.Process(pid).children(recursive=True)
            except psutil.Error:
                victims = []
            _killpg(pid)
            _kill(pid)
            for child in victims:
                _killpg(child.pid)
                _kill(child.pid)
            self._wait_gone(pid, 5.0)
        self._reap()

    def _reap(self) -> None:
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                pass
            self._proc = None

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.pid == pid:
                if self._proc.poll() is not None:
                    return True
            elif not _alive(pid):
                return True
            time.sleep(0.05)
        return False

    def _stderr_tail(self) -> str:
        parts = []
        for path in (self.directory / "supervisord.stderr", self.logfile):
            try:
                parts.append(path.read_text(errors="replace")[-600:].strip())
            except OSError:
                continue
        return " | ".join(p for p in parts if p) or "no output"

    def __enter__(self) -> Supervisord:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- talking to it -----------------------------------------------------------------------

    def rpc(self, timeout: float = 5.0) -> Any:
        """An XML-RPC proxy (``proxy.supervisor.startProcess(...)``) over the unix socket."""
        return rpc_proxy(str(self.socket_path), self.username, self.password, timeout)

    def process_info(self) -> list[dict[str, Any]]:
        infos: list[dict[str, Any]] = self.rpc().supervisor.getAllProcessInfo()
        return infos

    def wait_until(self, predicate: Callable[[list[dict[str, Any]]], bool],
                   timeout: float = 10.0) -> list[dict[str, Any]]:
        """Poll ``getAllProcessInfo`` until ``predicate(infos)``; return those infos."""
        deadline = time.monotonic() + timeout
        infos = self.process_info()
        while not predicate(infos):
            if time.monotonic() > deadline:
                states = ", ".join(f"{i['name']}={i['statename']}" for i in infos)
                raise SupervisordError(f"timed out after {timeout:g} s waiting; now: {states}")
            time.sleep(0.05)
            infos = self.process_info()
        return infos

    def wait_states(self, wanted: Mapping[str, str | frozenset[str]],
                    timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until each named process (``name`` or ``group:name``) is in its state(s)."""
        def ready(infos: list[dict[str, Any]]) -> bool:
            states = {}
            for i in infos:
                states[i["name"]] = states[f"{i['group']}:{i['name']}"] = i["statename"]
            return all(states.get(name) in ({want} if isinstance(want, str) else want)
                       for name, want in wanted.items())

        return self.wait_until(ready, timeout)

    def wait_settled(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until no process is STARTING, BACKOFF or STOPPING."""
        return self.wait_until(lambda infos: all(i["statename"] in SETTLED_STATES
                                                 for i in infos), timeout)

    def set_programs(self, programs: Sequence[ProgramSpec],
                     groups: Sequence[GroupSpec] | None = None) -> UpdateResult:
        """Replace the program list; when running, apply it like ``supervisorctl update``."""
        self.programs = tuple(programs)
        if groups is not None:
            self.groups = tuple(groups)
        self.write_config()
        return self.update() if self.pid is not None else UpdateResult()

    def update(self) -> UpdateResult:
        """``reloadConfig``, then stop/remove removed and changed groups, add new ones."""
        proxy = self.rpc(timeout=30.0)
        added, changed, removed = proxy.supervisor.reloadConfig()[0]
        for name in (*removed, *changed):
            proxy.supervisor.stopProcessGroup(name, True)
            proxy.supervisor.removeProcessGroup(name)
        for name in (*changed, *added):
            proxy.supervisor.addProcessGroup(name)
        return UpdateResult(tuple(added), tuple(changed), tuple(removed))


def render_config(sv: Supervisord) -> str:
    d = sv.directory
    auth = _auth_lines(sv.username, sv.password)
    lines = [
        "; written by blazz_tui.sim.supervisord",
        "[unix_http_server]", f"file={_esc(str(sv.socket_path))}", "chmod=0700", *auth, "",
    ]
    if sv.inet_port:
        lines += ["[inet_http_server]", f"port=127.0.0.1:{sv.inet_port}", *auth, ""]
    lines += [
        "[supervisord]", "nodaemon=true", f"logfile={_esc(str(sv.logfile))}",
        f"pidfile={_esc(str(sv.pidfile))}", f"childlogdir={_esc(str(sv.log_dir))}",
        f"directory={_esc(str(d))}", "logfile_maxbytes=1MB", "logfile_backups=1",
        "loglevel=info", "minfds=256", "minprocs=32", "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
        "[supervisorctl]", f"serverurl={_esc(sv.url)}", *auth, "",
    ]
    for program in sv.programs:
        lines += [*_program_lines(program, sv.log_dir), ""]
    for group in sv.groups:
        lines += [f"[group:{group.name}]", f"programs={','.join(group.programs)}",
                  f"priority={group.priority}", ""]
    return "\n".join(lines)


def _program_lines(p: ProgramSpec, log_dir: Path) -> list[str]:
    logfile = p.stdout_logfile or _esc(str(log_dir)) + "/" + p.effective_process_name + ".log"
    lines = [
        f"[program:{p.name}]",
        f"command={p.command}",
        f"process_name={p.effective_process_name}",
        f"numprocs={p.numprocs}",
        f"autostart={_bool(p.autostart)}",
        f"autorestart={_bool(p.autorestart)}",
        f"startsecs={p.startsecs}",
        f"startretries={p.startretries}",
        f"stopwaitsecs={p.stopwaitsecs}",
        f"stopasgroup={_bool(p.stopasgroup)}",
        f"killasgroup={_bool(p.killasgroup)}",
        f"redirect_stderr={_bool(p.redirect_stderr)}",
        f"stdout_logfile={logfile}",
        "stdout_logfile_maxbytes=1MB",
        "stdout_logfile_backups=1",
    ]
    if p.directory:
        lines.append(f"directory={_esc(p.directory)}")
    if p.priority is not None:
        lines.append(f"priority={p.priority}")
    if p.environment:
        pairs = ",".join(f"{k}={_quote(v)}" for k, v in p.environment.items())
        lines.append(f"environment={pairs}")
    return lines


def _auth_lines(username: str | None, password: str | None) -> list[str]:
    if username is None or password is None:
        return []
    return [f"username={_esc(username)}", f"password={_esc(password)}"]


def _bool(value: bool | str) -> str:
    return value if isinstance(value, str) else str(value).lower()


def _esc(value: str) -> str:
    """A literal value in supervisord's config: % starts an expansion, so double it."""
    return value.replace("%", "%%")


def _quote(value: str) -> str:
    """A quoted environment value: supervisord's parser knows no escapes inside quotes."""
    if '"' not in value:
        return f'"{_esc(value)}"'
    if "'" not in value:
        return f"'{_esc(value)}'"
    raise ValueError(f"an environment value cannot hold both quote characters: {value!r}")


def _socket_path(directory: Path) -> Path:
    path = directory / "supervisor.sock"
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha1(os.fsencode(directory)).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"blazz-sv-{digest}.sock"


def _alive(pid: int) -> bool:
    try:
        status: str = psutil.Process(pid).status()
    except psutil.Error:
        return False
    return status != "zombie"  # psutil.STATUS_ZOMBIE


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
