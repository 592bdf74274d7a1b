"""PM2 source: the processes of a PM2 daemon (``pm2 jlist``), through the transport.

Seed 002's runbooks run the WhatsApp service under PM2 (``pm2 restart whatsapp-3001``,
``pm2 list``). Before ``pm2 jlist`` the daemon's pid file is checked: ``pm2`` itself would
start a daemon where there is none, and a monitor changes nothing. ``jlist`` prints every
process's environment (API keys, passwords): only the fields below are kept.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import time
from dataclasses import dataclass, replace
from typing import Any

from blazz_tui.fmt import visible
from blazz_tui.settings import Pm2Config
from blazz_tui.sources.base import Reading, describe_error
from blazz_tui.transport.base import Transport

NO_DAEMON = "NO-PM2-DAEMON"
NO_PM2 = "NO-PM2-COMMAND"


@dataclass(frozen=True)
class Pm2Process:
    name: str
    pm_id: int
    status: str
    """online, stopping, stopped, launching, errored, one-launch-status."""
    pid: int
    uptime: float | None
    """Seconds since it (re)started, while online."""
    restarts: int
    """Restarts PM2 counted since the process was added (or ``pm2 reset``)."""
    unstable_restarts: int
    """Restarts of a process that did not stay up ``min_uptime``: crash-looping."""
    cpu: float
    memory: int
    port: int | None
    """Its ``PORT`` (environment or ``--port`` argument): how an instance is matched to it."""
    script: str
    user: str


@dataclass(frozen=True, kw_only=True)
class Pm2Reading(Reading):
    home: str = ""
    processes: tuple[Pm2Process, ...] = ()
    absent: str | None = None
    """Why there is no PM2 to read (no daemon, no ``pm2``): not an error where PM2 is not
    required."""
    required: bool = False


class Pm2Source:
    name = "pm2"

    def __init__(self, config: Pm2Config, transport: Transport, timeout: float) -> None:
        self._config = config
        self._transport = transport
        self._timeout = timeout

    async def read(self) -> Pm2Reading:
        started, clock = time.time(), time.perf_counter()
        home = self._config.home or (os.environ.get("PM2_HOME") if self._transport.name ==
                                     "local" else None) or "~/.pm2"
        if not await self._daemon_runs(home):
            # Most targets have no PM2: found out by reading a file, not by starting a
            # process every poll (that alone cost ~4 % of a core).
            return self._absent(started, time.perf_counter() - clock, home, NO_DAEMON)
        try:
            result = await self._transport.run(pm2_argv(self._config, "jlist"),
                                               self._timeout)
        except (OSError, TimeoutError) as exc:
            return self.failed(f"pm2 jlist: {describe_error(exc)}", started,
                               time.perf_counter() - clock)
        latency = time.perf_counter() - clock
        head, _, body = result.stdout.partition("\n")
        word, _, where = head.partition(" ")
        if word in (NO_DAEMON, NO_PM2):
            return self._absent(started, latency, where, word)
        if result.exit_code != 0:
            why = (result.stderr.strip().splitlines() or [f"exit code {result.exit_code}"])[-1]
            if re.search(r"EACCES|EPERM|permission denied", result.stderr, re.IGNORECASE):
                return self.failed(f"the PM2 daemon in {head} belongs to another user: run "
                                   "blazz-tui as that user, or over SSH as it "
                                   f"({visible(why)[:120]})", started, latency)
            return self.failed(f"pm2 jlist failed: {visible(why)[:200]}", started, latency)
        try:
            processes = tuple(_process(p) for p in _json_list(body))
        except (ValueError, KeyError, TypeError) as exc:
            return self.failed(f"pm2 jlist did not print its process list ({exc})", started,
                               latency)
        return Pm2Reading(fetched_at=started, attempted_at=started, latency=latency,
                          required=self._config.required, home=head, processes=processes)

    def _absent(self, started: float, latency: float, home: str, why: str) -> Pm2Reading:
        absent = (f"no PM2 daemon runs with {home} (if PM2 runs as another user, set [pm2] "
                  f"home to its PM2_HOME)" if why == NO_DAEMON else
                  f"a PM2 daemon runs with {home}, but the {self._config.command!r} command "
                  f"is not on the PATH")
        return Pm2Reading(fetched_at=started, attempted_at=started, latency=latency,
                          required=self._config.required, home=home, absent=absent)

    async def _daemon_runs(self, home: str) -> bool:
        """Whether the pid file in ``home`` names a running process."""
        try:
            pid = int((await self._transport.read_range(f"{home}/pm2.pid", 0, 32)).strip())
            await self._transport.stat(f"/proc/{pid}")
        except (OSError, ValueError):
            return False
        return True

    def failed(self, error: str, attempted_at: float, latency: float) -> Pm2Reading:
        return replace(Pm2Reading.failed(error, attempted_at, latency),
                       required=self._config.required)

    async def close(self) -> None:
        pass


def pm2_argv(config: Pm2Config, *args: str) -> list[str]:
    """``pm2 ARGS`` with the daemon's PM2_HOME, as a command for the transport. It prints
    that home first, then pm2's output; or ``NO-PM2-DAEMON home`` / ``NO-PM2-COMMAND home``
    and nothing else (no daemon is started)."""
    home = config.home
    if not home:
        where = '"${PM2_HOME:-$HOME/.pm2}"'
    elif home.startswith("~/"):
        where = f'"$HOME"/{shlex.quote(home[2:])}'
    else:
        where = shlex.quote(home)
    pm2 = shlex.quote(config.command)
    script = (
        f"H={where}; "
        f'p=$(cat "$H/pm2.pid" 2>/dev/null) && [ -d "/proc/$p" ] '
        f'|| {{ echo "{NO_DAEMON} $H"; exit 0; }}; '
        f'command -v {pm2} >/dev/null 2>&1 || {{ echo "{NO_PM2} $H"; exit 0; }}; '
        f'echo "$H"; PM2_HOME="$H" exec {pm2} "$@"')
    return ["sh", "-c", script, "sh", *args]


def _json_list(text: str) -> list[Any]:
    """The JSON array in ``text`` (PM2 may print a banner or warnings before it)."""
    start = text.find("[")
    if start < 0:
        raise ValueError("no JSON array")
    data = json.loads(text[start:])
    if not isinstance(data, list):
        raise ValueError("not a list")
    return data


def _process(raw: dict[str, Any]) -> Pm2Process:
    env = raw.get("pm2_env") or {}
    monit = raw.get("monit") or {}
    status = str(env.get("status", "?"))
    started = env.get("pm_uptime")
    uptime = max(0.0, time.time() - float(started) / 1000) \
        if status == "online" and isinstance(started, int | float) else None
    return Pm2Process(
        name=visible(str(raw.get("name", "?"))), pm_id=int(raw.get("pm_id", -1)),
        status=status, pid=int(raw.get("pid") or 0), uptime=uptime,
        restarts=int(env.get("restart_time") or 0),
        unstable_restarts=int(env.get("unstable_restarts") or 0),
        cpu=float(monit.get("cpu") or 0.0), memory=int(monit.get("memory") or 0),
        port=_port(env), script=visible(str(env.get("pm_exec_path", ""))),
        user=visible(str(env.get("username", ""))))


def _port(env: dict[str, Any]) -> int | None:
    """``PORT`` from the process's environment, else a ``--port N`` / ``--port=N`` argument."""
    for value in (env.get("PORT"), (env.get("env") or {}).get("PORT")):
        if str(value or "").isdigit():
            return int(str(value))
    args = env.get("args") or []
    args = args if isinstance(args, list) else str(args).split()
    for i, arg in enumerate(args):
        text = str(arg)
        if text.startswith("--port="):
            text = text.split("=", 1)[1]
        elif text == "--port" and i + 1 < len(args):
            text = str(args[i + 1])
        else:
            continue
        if text.isdigit():
            return int(text)
    return None
